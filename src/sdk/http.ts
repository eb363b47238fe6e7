import { type ErrorCode, VerityError } from '../errors/index.ts';

/** Where and as whom a client calls a Verity server. */
export interface Endpoint {
  readonly url: string;
  readonly token?: string | undefined;
  readonly fetch: typeof fetch;
}

/**
 * One request to a Verity server: JSON in, the response out when it is 2xx, else the server's
 * `{"error":{"code","message"}}` as a VerityError (`VERITY_E_INTERNAL` when the body is not one).
 * A refusal's state proof (unknown or erased record) is kept in `details.state`, unverified, for the
 * caller to check. Shared by every client of the SDK.
 */
export async function request(
  at: Endpoint,
  method: string,
  path: string,
  body?: unknown,
  auth = true,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (auth && at.token !== undefined) headers['authorization'] = `Bearer ${at.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await at.fetch(`${at.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.ok) return res;
  let code: ErrorCode = 'VERITY_E_INTERNAL';
  let message = `the server answered ${res.status}`;
  let state: unknown;
  try {
    const e = (await res.json()) as { error?: { code?: string; message?: string; details?: { state?: unknown } } };
    if (typeof e.error?.code === 'string' && e.error.code.startsWith('VERITY_E_')) code = e.error.code as ErrorCode;
    if (typeof e.error?.message === 'string') message = e.error.message.slice(0, 300);
    state = e.error?.details?.state;
  } catch {
    // not a Verity error body
  }
  throw new VerityError(code, message, { details: { status: res.status, ...(state === undefined ? {} : { state }) } });
}

/** `request`, its JSON answer. */
export async function requestJson<T>(at: Endpoint, method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(at, method, path, body)).json()) as T;
}
