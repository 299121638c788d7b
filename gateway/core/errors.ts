/**
 * One catalogue of coded errors (the fastify `FST_ERR_*` pattern). Every error the gateway
 * reports to a user carries a stable code, an HTTP status where it reaches the API, and a
 * message that says what was expected. Add new codes here, never ad hoc.
 */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayError';
  }
}

type Factory<A extends unknown[]> = ((...args: A) => GatewayError) & { code: string };

function define<A extends unknown[]>(code: string, statusCode: number, message: (...args: A) => string): Factory<A> {
  const f = (...args: A) => new GatewayError(code, message(...args), statusCode);
  return Object.assign(f, { code });
}

export const Errors = {
  CONFIG_READ: define('GW_ERR_CONFIG_READ', 500, (file: string, why: string) => `cannot read config ${file}: ${why}`),
  CONFIG_PARSE: define('GW_ERR_CONFIG_PARSE', 500, (file: string, why: string) => `config ${file} is not valid YAML: ${why}`),
  CONFIG_INVALID: define('GW_ERR_CONFIG_INVALID', 500, (file: string, problems: string[]) =>
    `config ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`),
  DATA_DIR: define('GW_ERR_DATA_DIR', 500, (dir: string, why: string) => `data folder ${dir} is not usable: ${why}`),
  /** A database written by a newer gateway (storage/migrations.ts): refuse rather than misread it. */
  SCHEMA_NEWER: define('GW_ERR_SCHEMA_NEWER', 500, (file: string, component: string, have: number, know: number) =>
    `database ${file} holds ${component} schema version ${have}; this gateway knows up to ${know}: run a newer gateway or restore a backup`),
  HISTORY_UNAVAILABLE: define('GW_ERR_HISTORY_UNAVAILABLE', 503, (why: string) => `history store unavailable: ${why}`),
  BAD_REQUEST: define('GW_ERR_BAD_REQUEST', 400, (why: string) => why),
  NOT_FOUND: define('GW_ERR_NOT_FOUND', 404, (what: string) => `${what} not found`),
  CONFLICT: define('GW_ERR_CONFLICT', 409, (why: string) => why),
  FORBIDDEN: define('GW_ERR_FORBIDDEN', 403, (why: string) => why),
  UNKNOWN_USER: define('GW_ERR_UNKNOWN_USER', 400, (field: string, name: string) => `${field}: "${name}" is not a user of this site (technician or above)`),
  REASON_REQUIRED: define('GW_ERR_REASON_REQUIRED', 400, (why: string) => why),
  TIME_RANGE: define('GW_ERR_TIME_RANGE', 400, (field: string, min: string, max: string) => `${field} must be a time between ${min} and ${max}`),
  TRANSITION: define('GW_ERR_TRANSITION', 409, (from: string, to: string) => `work order cannot go from ${from} to ${to}`),
  MODBUS_EXCEPTION: define('GW_ERR_MODBUS_EXCEPTION', 502, (code: number, text: string) => `Modbus exception ${code}: ${text}`),
  PHOTO_TOO_LARGE: define('GW_ERR_PHOTO_TOO_LARGE', 413, (max: number) => `photo is larger than ${max} bytes: shrink it before upload`),
  PHOTO_TYPE: define('GW_ERR_PHOTO_TYPE', 415, (why: string) => `photo must be a JPEG, PNG or WebP image: ${why}`),
  IDEMPOTENCY_KEY: define('GW_ERR_IDEMPOTENCY_KEY', 422, (why: string) => why),
  RATE_LIMITED: define('GW_ERR_RATE_LIMITED', 429, (what: string, retryS: number) => `too many ${what}; retry in ${retryS} s`),
  PAYLOAD_TOO_LARGE: define('GW_ERR_PAYLOAD_TOO_LARGE', 413, (why: string) => why),
  UNSUPPORTED_MEDIA_TYPE: define('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 415, (why: string) => why),
  /** A signed link whose time is over (owner follow and feedback links, gateway/owner/). */
  LINK_EXPIRED: define('GW_ERR_LINK_EXPIRED', 410, () => 'this link has expired'),
  /** A one-time link used already (owner feedback, seed 2.3). */
  LINK_USED: define('GW_ERR_LINK_USED', 409, () => 'this link has been used already'),
  TIMEOUT: define('GW_ERR_TIMEOUT', 504, (what: string, ms: number) => `${what} timed out after ${ms} ms`),
} as const;
