// Remote attestation in the SDK (Node.js and browsers): ask a server for evidence with a fresh nonce
// and appraise it before anything sensitive is sent (see src/attestation for the checks).

import { type Evidence, newNonce, type VerifyAttestationOptions, verifyAttestation } from '../attestation/index.ts';
import { request } from './http.ts';

/** What `attest` pins: the reference values and keys of `verifyAttestation`, without the nonce it makes. */
export type AttestOptions = Omit<VerifyAttestationOptions, 'nonce'> & { readonly fetch?: typeof fetch };

/**
 * Asks the server at `url` for attestation evidence bound to a fresh random nonce and appraises it:
 * the signature by the pinned attestation key, the nonce, the age, and the measurement among the
 * reference values. Resolves with the evidence; rejects with an attestation error code (VERITY_E_ATTESTATION_NONCE, ...) otherwise.
 *
 * @example
 * ```ts
 * await attest('https://verity.example.com', { referenceValues: [MEASUREMENT], verifierKey: ATTESTATION_KEY });
 * // only now send the player's data
 * ```
 */
export async function attest(url: string, o: AttestOptions): Promise<Evidence> {
  const nonce = newNonce();
  const res = await request(
    { url: url.replace(/\/+$/, ''), fetch: o.fetch ?? globalThis.fetch.bind(globalThis) },
    'GET',
    `/v1/attestation?nonce=${nonce}`,
  );
  return verifyAttestation(await res.json(), { ...o, nonce });
}
