import type { JWK } from 'jose';
import type { JsonValue } from '../encoding/index.ts';
import {
  cryptoKeySigner,
  type Disclosable,
  type JwsAlgorithm,
  listDisclosures,
  type PrivateCryptoKey,
  presentSdJwt,
  type VerifiedSdJwt,
  verifySdJwt,
} from '../vc/index.ts';

/**
 * Holder and verifier helpers of the SDK, with no server involved: list what a credential can
 * disclose, present chosen disclosures with a Key Binding JWT signed by the holder's WebCrypto key,
 * and verify a presentation offline with an issuer key (RFC 9901, strict).
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

/** Verifies a presentation offline with the issuer's public key (no status list check). */
export function verifyPresentationOffline(
  presentation: string,
  issuerKey: JWK,
  o: { audience?: string; nonce?: string; requireKeyBinding?: boolean; now?: number } = {},
): Promise<VerifiedSdJwt> {
  return verifySdJwt(presentation, {
    issuerKey,
    keyBinding: {
      ...(o.requireKeyBinding === undefined ? {} : { required: o.requireKeyBinding }),
      ...(o.audience === undefined ? {} : { audience: o.audience }),
      ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
    },
    ...(o.now === undefined ? {} : { now: o.now }),
  });
}
