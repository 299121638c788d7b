/**
 * The display language of both apps: Simplified Chinese by default, English one click away,
 * remembered in localStorage `fgw.lang` (one key, so both apps and the formatters agree).
 */
export type Lang = 'zh-CN' | 'en';

const STORAGE_KEY = 'fgw.lang';
const listeners = new Set<() => void>();

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    /* storage may be blocked: fall back to the default */
  }
  return 'zh-CN';
}

let lang: Lang = initialLang();

export function getLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* not remembered, still switched */
  }
  document.documentElement.lang = next;
  for (const fn of listeners) fn();
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The other language: what the switch button offers. */
export function toggleLang(): void {
  setLang(lang === 'en' ? 'zh-CN' : 'en');
}

/** `{name}` placeholders filled from params; unknown ones stay as they are. */
export function fill(text: string, params?: Record<string, string | number>): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** The locale for dates and numbers in the current language. */
export function localeTag(): string {
  return getLang() === 'en' ? 'en-GB' : 'zh-CN';
}
