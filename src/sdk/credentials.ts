import type { JsonValue } from '../encoding/index.ts';
import {
  cryptoKeySigner,
  type Disclosable,
  type JwsAlgorithm,
  listDisclosures,
  type PrivateCryptoKey,
  presentSdJwt,
} from '../sdjwt/index.ts';
import { type Endpoint, requestJson } from './http.ts';

/**
 * Holder helpers of the SDK, with no server involved: list what a credential can disclose, and
 * present chosen disclosures with a Key Binding JWT signed by the holder's WebCrypto key.
 * Verification is the server's (`CredentialsClient.verify`) or `verity vc verify`'s: the SDK
 * carries no JWS verifier (jose) so that its browser build stays within its size budget.
 */

/** Every claim the holder could disclose, with where it lands (`path`) and its value. */
export function disclosable(sdJwt: string): { path: readonly (string | number)[]; name?: string; value: JsonValue }[] {
  return listDisclosures(sdJwt).map((d: Disclosable) => ({
    path: d.path,
    ...(d.disclosure.name === undefined ? {} : { name: d.disclosure.name }),
    value: d.disclosure.value,
  }));
}

/**
 * Presents a credential: `disclose` names the claims to reveal (object claim names, or a predicate
 * over each disclosable), bound to the verifier's `audience` and `nonce` with the holder's key.
 *
 * @example
 * const p = await createPresentation(sdJwt, ['age_over_18'], { privateKey, alg: 'ES256', audience, nonce });
 */
export function createPresentation(
  sdJwt: string,
  disclose:
    | readonly string[]
    | ((d: { path: readonly (string | number)[]; name?: string; value: JsonValue }) => boolean),
  kb?: { privateKey: PrivateCryptoKey; alg: JwsAlgorithm; audience: string; nonce: string; iat?: number },
): Promise<string> {
  const pick =
    typeof disclose === 'function'
      ? (d: Disclosable) =>
          disclose({
            path: d.path,
            ...(d.disclosure.name === undefined ? {} : { name: d.disclosure.name }),
            value: d.disclosure.value,
          })
      : (d: Disclosable) => d.disclosure.name !== undefined && disclose.includes(d.disclosure.name);
  return presentSdJwt(
    sdJwt,
    pick,
    kb === undefined
      ? undefined
      : {
          alg: kb.alg,
          sign: cryptoKeySigner(kb.privateKey, kb.alg),
          audience: kb.audience,
          nonce: kb.nonce,
          ...(kb.iat === undefined ? {} : { iat: kb.iat }),
        },
  );
}

/**
 * Credentials over HTTP (kept apart from VerityClient so that a client that only reads records does
 * not carry it): issue (a service names the `player`; a player session asks for its own membership
 * credential), revoke, suspend or reinstate, and have the server verify a presentation.
 */
export class CredentialsClient {
  readonly #at: Endpoint;

  constructor(o: { url: string; token: string; fetch?: typeof fetch }) {
    this.#at = { url: o.url.replace(/\/$/, ''), token: o.token, fetch: o.fetch ?? fetch };
  }

  #post<T>(path: string, body: unknown): Promise<T> {
    return requestJson<T>(this.#at, 'POST', path, body);
  }

  /** Asks for an SD-JWT VC bound to `holderJwk`; keep the returned SD-JWT in the wallet. */
  issue(input: {
    type: 'over-18' | 'verified-creator' | 'membership';
    holderJwk: JsonValue;
    purpose: string;
    player?: string;
    claims?: Record<string, JsonValue>;
    evidence?: { ageOver18: boolean };
    ttlSeconds?: number;
  }): Promise<{ sdJwt: string; credential: { id: string; type: string; vct: string; status: string } }> {
    return this.#post('/v1/credentials', input);
  }

  /** Revokes, suspends or reinstates a credential Verity issued (a token granted `credential.revoke`). */
  setStatus(id: string, verb: 'revoke' | 'suspend' | 'reinstate'): Promise<{ id: string; status: string }> {
    return this.#post(`/v1/credentials/${encodeURIComponent(id)}/${verb}`, {});
  }

  /** Has the server verify a presentation; answers the disclosed claims or throws the reason. */
  verify(
    presentation: string,
    o: { audience?: string; nonce?: string; requireKeyBinding?: boolean } = {},
  ): Promise<{ issuer: string; vct: string; keyBound: boolean; claims: Record<string, JsonValue> }> {
    return this.#post('/v1/presentations/verify', { presentation, ...o });
  }
}
