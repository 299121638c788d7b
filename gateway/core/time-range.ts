/** Every time the gateway accepts lies in [1970-01-01, 2100-01-01): outside is a typo or an attack (gateway/api/time.ts). */
export const TIME_MIN = 0;
export const TIME_MAX = Date.UTC(2100, 0, 1);
