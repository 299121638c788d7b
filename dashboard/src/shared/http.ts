/**
 * JSON over fetch with the bearer token, shared by the estate and head-office API clients.
 * Network failures and non-2xx answers become ApiError; a 401 from any call but the login call
 * itself reports the token as no longer valid.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Method = 'GET' | 'POST';

export const LOGIN_PATH = '/api/auth/login';

export interface HttpOptions {
  getToken(): string | null;
  /** A 401 from any call but the login call: the token is missing or expired. */
  onUnauthorized(): void;
  /** Whether an empty `message` in an error body falls back to the status line too. */
  blankMessageIsStatus?: boolean;
}

/** The body as JSON; undefined when empty or not JSON. */
export function parseLenient(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Sends a request (JSON body if any, bearer token if signed in) and returns the response once it
 * is known to be 2xx; anything else throws ApiError with the server's `{ code, message }`.
 */
export function createSender(opts: HttpOptions): (method: Method, path: string, body?: unknown) => Promise<Response> {
  return async (method, path, body) => {
    const headers: Record<string, string> = body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
    const token = opts.getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
    }
    // Token missing or expired: back to the login page (not for the login call itself).
    if (res.status === 401 && path !== LOGIN_PATH) opts.onUnauthorized();
    if (!res.ok) {
      const e = (parseLenient(await res.text()) ?? {}) as { code?: unknown; message?: unknown };
      const message = typeof e.message === 'string' && (e.message || !opts.blankMessageIsStatus) ? e.message : `${res.status} ${res.statusText}`;
      throw new ApiError(res.status, typeof e.code === 'string' ? e.code : `http_${res.status}`, message);
    }
    return res;
  };
}
