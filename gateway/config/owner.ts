/**
 * `owner:` in the site config: owners' requests from printed QR codes, the follow link and the
 * feedback link after completion (gateway/owner/README.md; seed 2.1 requests, seed 2.3 feedback).
 */
import { Type, type Static } from '@sinclair/typebox';
import { REQUEST_CATEGORIES } from '../core/model.js';
import { Id } from '../core/vocabulary.js';

/** What an owner's label may carry (not planned work). */
export const OwnerCategory = Type.Union(REQUEST_CATEGORIES.map((c) => Type.Literal(c)));

/** A place name shown on the label and the request page, in both languages. */
export const OwnerLocation = Type.Object(
  { zh: Type.String({ minLength: 1, maxLength: 100 }), en: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const OwnerCode = Type.Object(
  {
    /** Stable id of the label (the QR token is derived from it and the server secret). */
    id: Id,
    /** The device the label sits on (its orders show on the device page); none for a place. */
    device: Type.Optional(Type.String({ minLength: 1 })),
    /** Where the label hangs; default the device's name and building. */
    location: Type.Optional(OwnerLocation),
    /** Category pre-filled on the request page (its SLA policy applies; seed 2.1). */
    category: OwnerCategory,
  },
  { additionalProperties: false },
);
export type OwnerCode = Static<typeof OwnerCode>;

export const OwnerConfig = Type.Object(
  {
    /** The public request pages and their API; off → `/r/…` and `/api/owner/…` answer 404. */
    enabled: Type.Boolean({ default: true }),
    /** Labels to print. Absent: one per device (category from the equipment type). */
    codes: Type.Optional(Type.Array(OwnerCode, { maxItems: 10_000 })),
    /** Days after `resolved` without the owner's feedback before the system closes the order (seed 2.3). */
    feedbackWaitDays: Type.Number({ minimum: 0, default: 3 }),
    /** Days a follow link stays valid. */
    followDays: Type.Number({ minimum: 1, default: 90 }),
    limits: Type.Object(
      {
        /** Requests per client address per hour. */
        perAddressPerHour: Type.Integer({ minimum: 1, default: 5 }),
        /** Requests per label per day. */
        perCodePerDay: Type.Integer({ minimum: 1, default: 20 }),
        /** Largest photo after decoding, KiB (the browser shrinks photos well below this). */
        maxPhotoKB: Type.Integer({ minimum: 16, maximum: 4096, default: 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type OwnerConfig = Static<typeof OwnerConfig>;
