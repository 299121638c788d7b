/**
 * Owners' phone numbers: a mainland mobile number (11 digits starting 13–19, with or without +86)
 * or any E.164 number. Kept in the owner tables only; orders, logs and head office see it masked.
 */

/** `+8613812345678` / `+4420…`, or undefined when it is no phone number. */
export function normalizePhone(input: string): string | undefined {
  const s = input.replace(/[\s()-]/g, '');
  const cn = /^(?:\+?86)?(1[3-9]\d{9})$/.exec(s);
  if (cn) return `+86${cn[1]}`;
  if (/^\+[1-9]\d{7,14}$/.test(s)) return s;
  return undefined;
}

/** `+86 138****5678`: enough for the desk to recognise a caller, useless to anyone else. */
export function maskPhone(phone: string): string {
  const cn = /^\+86(\d{3})\d{4}(\d{4})$/.exec(phone);
  if (cn) return `+86 ${cn[1]}****${cn[2]}`;
  return `${phone.slice(0, 3)}****${phone.slice(-2)}`;
}
