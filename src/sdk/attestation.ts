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

/** Where the client appraises: its server, its fetch, and the log key it pinned (the evidence must name it). */
export interface AppraisalTarget {
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly logKey: string;
}

/** An appraisal `VerityClient` runs before it sends anything sensitive (its `attestation` option). */
export type Appraiser = (at: AppraisalTarget) => Promise<Evidence>;

/**
 * Pins reference values and an attestation key for `VerityClient`'s `attestation` option. (A
 * function the client is given, so that only applications that pin attestation ship its code.)
 *
 * @example
 * ```ts
 * const client = new VerityClient({
 *   url, token, verifierKey: LOG_KEY,
 *   attestation: { appraise: pinnedAttestation({ referenceValues: [MEASUREMENT], verifierKey: ATTESTATION_KEY }) },
 * });
 * ```
 */
export function pinnedAttestation(o: Omit<AttestOptions, 'fetch' | 'logKey'>): Appraiser {
  return ({ url, fetch, logKey }) => attest(url, { ...o, logKey, fetch });
}

/**
 * The client's appraisal of one server: appraised on first use and again once older than
 * `reattestAfterMs` (default 5 minutes); a failed appraisal is not kept, so the next call asks
 * again with a fresh nonce.
 */
export function cachedAppraisal(
  o: { readonly appraise: Appraiser; readonly reattestAfterMs?: number },
  target: AppraisalTarget,
): () => Promise<unknown> {
  let current: { readonly at: number; readonly evidence: Promise<unknown> } | undefined;
  return () => {
    const now = Date.now();
    if (current !== undefined && now - current.at < (o.reattestAfterMs ?? 5 * 60_000)) return current.evidence;
    const appraisal = { at: now, evidence: o.appraise(target) };
    current = appraisal;
    appraisal.evidence.catch(() => {
      if (current === appraisal) current = undefined;
    });
    return appraisal.evidence;
  };
}
