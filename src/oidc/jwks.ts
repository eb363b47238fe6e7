// Fetching an issuer's JWK Set (RFC 7517 5) from its `jwks_uri`: the only network call of this
// capability, through a fetch function the caller injects (the server passes the platform's fetch,
// tests a local identity provider). Everything it returns is attacker-controlled until checked.
// Not jose's createRemoteJWKSet: its cache lives in one process's memory, and Verity keeps the keys
// it verifies with in the authenticated state (see Issuers), so that every node uses, and every
// sign-in's log entry names, the same stored set.
import { readBounded } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import { type JwkSet, MAX_JWKS_BYTES, parseJwks } from './config.ts';

/** The fetch Verity calls (the WHATWG fetch's shape, narrowed to what is used). */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; redirect: 'error'; headers: Record<string, string> },
) => Promise<Response>;

/** How long one JWKS fetch may take. */
const FETCH_TIMEOUT_MS = 5000;

function unavailable(message: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_OIDC_JWKS_UNAVAILABLE',
    `the issuer's keys could not be fetched: ${message}; check its jwksUri or give its keys with \`verity issuers rotate --jwks FILE\``,
    cause === undefined ? undefined : { cause },
  );
}

/** Reads at most `max` bytes of a body, refusing a longer one without reading the rest. */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw unavailable(`the JWK Set is larger than ${max} bytes`);
  if (res.body === null) return new Uint8Array();
  return readBounded(res.body.getReader(), max, () => unavailable(`the JWK Set is larger than ${max} bytes`));
}

/**
 * Fetches and checks an issuer's JWK Set: no redirects, a time limit, HTTP 200, at most 64 KiB, a
 * JWK Set of public keys (keys Verity cannot verify with are left out). Throws
 * VERITY_E_OIDC_JWKS_UNAVAILABLE.
 */
export async function fetchJwks(fetch: FetchLike, uri: string): Promise<JwkSet> {
  let res: Response;
  try {
    res = await fetch(uri, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
  } catch (e) {
    throw unavailable('the request failed or timed out', e);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw unavailable(`it answered HTTP ${res.status}`);
  }
  const body = await readCapped(res, MAX_JWKS_BYTES);
  try {
    return parseJwks(body, false);
  } catch (e) {
    throw unavailable(`it is not a JWK Set of public signing keys (${(e as Error).message})`, e);
  }
}
