/** Coded errors of the owners' public pages (gateway/core/errors.ts catalogue). */
import { Errors } from '../core/errors.js';

export const OwnerErrors = {
  /** One message for every unknown, forged or foreign token: existence is never told apart. */
  LINK_NOT_FOUND: () => Errors.NOT_FOUND('link'),
  LINK_EXPIRED: Errors.LINK_EXPIRED,
  LINK_USED: Errors.LINK_USED,
  RATE_LIMITED: Errors.RATE_LIMITED,
  PHOTO_TOO_LARGE: (max: number) => Errors.PAYLOAD_TOO_LARGE(`body.photo is larger than ${Math.round(max / 1024)} KiB after decoding`),
  PHOTO_TYPE: () => Errors.UNSUPPORTED_MEDIA_TYPE('body.photo must be a JPEG, PNG or WebP image'),
  BAD_PHOTO: Errors.BAD_REQUEST,
} as const;
