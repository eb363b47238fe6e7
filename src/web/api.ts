// Calls to the Verity server the page came from, with the signed-in bearer token, and the errors
// it answers in Verity's {"error":{"code","message"}} shape. No cookie, no third party.
import { VerityClient, webStorageCheckpoints } from '../sdk/index.ts';

/** Who is signed in, kept for this tab only (sessionStorage). */
export interface Auth {
  readonly token: string;
  readonly kind: 'player' | 'staff';
  readonly via: 'passkey' | 'platform' | 'token';
}

const AUTH_KEY = 'verity.trust.auth';

export function loadAuth(): Auth | undefined {
  try {
    const a = JSON.parse(sessionStorage.getItem(AUTH_KEY) ?? 'null') as Auth | null;
    return a !== null && typeof a.token === 'string' ? a : undefined;
  } catch {
    return undefined;
  }
}

export function saveAuth(a: Auth | undefined): void {
  if (a === undefined) sessionStorage.removeItem(AUTH_KEY);
  else sessionStorage.setItem(AUTH_KEY, JSON.stringify(a));
}

/** An answer other than 2xx. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A JSON call; text answers come back as strings. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token ?? loadAuth()?.token;
  if (t !== undefined) headers['authorization'] = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok) {
    let code = 'VERITY_E_INTERNAL';
    let message = `the server answered ${res.status}`;
    try {
      const e = (await res.json()) as { error?: { code?: string; message?: string } };
      if (typeof e.error?.code === 'string') code = e.error.code;
      if (typeof e.error?.message === 'string') message = e.error.message;
    } catch {
      // not a Verity error body
    }
    throw new ApiError(res.status, code, message);
  }
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** A GET of a part of Verity this server may not serve: undefined when the route answers 404. */
export async function probe<T>(path: string): Promise<T | undefined> {
  try {
    return await api<T>('GET', path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.code === 'VERITY_E_HTTP_ROUTE_NOT_FOUND') return undefined;
    throw e;
  }
}

/** The trust anchors this browser pinned on first use (TOFU), and the client that checks with them. */
export interface Trust {
  readonly logKey: string;
  readonly witnesses: readonly { name: string; key: string }[];
  readonly quorum: number;
  /** The anchors were pinned on this visit (first use), not before. */
  readonly firstUse: boolean;
  /** A checkpoint was pinned before this visit: consistency with it is checked. */
  readonly hadCheckpoint: boolean;
  readonly client: VerityClient;
}

const ANCHORS_KEY = 'verity.trust.anchors';
const CHECKPOINT_KEY = 'verity.trust.checkpoint';

/** The anchors changed since this browser pinned them: never silently accepted. */
export class AnchorsChanged extends Error {}

let cached: Promise<Trust> | undefined;

/** Pins (or checks against the pinned) trust anchors and builds a client over them. */
export function trust(): Promise<Trust> {
  cached ??= (async () => {
    const a = await api<{ logKey: string; witnesses: { name: string; key: string }[]; quorum: number }>(
      'GET',
      '/v1/trust/anchors',
    );
    const text = JSON.stringify({
      logKey: a.logKey.trim(),
      witnesses: a.witnesses.map((w) => w.key),
      quorum: a.quorum,
    });
    const pinned = localStorage.getItem(ANCHORS_KEY);
    if (pinned !== null && pinned !== text) {
      cached = undefined;
      throw new AnchorsChanged(
        "this server's log key or witnesses differ from those this browser pinned: do not trust what it shows until an operator confirms the change",
      );
    }
    if (pinned === null) localStorage.setItem(ANCHORS_KEY, text);
    const hadCheckpoint = localStorage.getItem(CHECKPOINT_KEY) !== null;
    const auth = loadAuth();
    const client = new VerityClient({
      url: location.origin,
      verifierKey: a.logKey.trim(),
      checkpoints: webStorageCheckpoints(localStorage, CHECKPOINT_KEY),
      ...(auth === undefined ? {} : { token: auth.token }),
      ...(a.quorum > 0 ? { witnesses: { keys: a.witnesses.map((w) => w.key), quorum: a.quorum } } : {}),
    });
    return {
      logKey: a.logKey.trim(),
      witnesses: a.witnesses,
      quorum: a.quorum,
      firstUse: pinned === null,
      hadCheckpoint,
      client,
    };
  })();
  return cached;
}

/** What the SDK checks a signed checkpoint with: the pinned log key, and the witnesses when a quorum is set. */
export function checkWith(t: Trust): {
  verifierKey: string;
  witnesses?: { keys: string[]; quorum: number };
} {
  return {
    verifierKey: t.logKey,
    ...(t.quorum > 0 ? { witnesses: { keys: t.witnesses.map((w) => w.key), quorum: t.quorum } } : {}),
  };
}

/** Whether a checkpoint extends (or is) the one this browser pinned before: another history is caught here. */
export type Consistency = { readonly ok: true } | { readonly ok: false; readonly why: string };

export async function consistency(t: Trust, checkpoint: string): Promise<Consistency> {
  try {
    await t.client.verifiedCheckpoint(checkpoint);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: describe(e) };
  }
}

/** Forgets the client (a new sign-in carries another token); the pinned anchors stay. */
export function resetTrust(): void {
  cached = undefined;
}

/** A short readable form of an error. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  if (e instanceof Error) return e.message;
  return String(e);
}
