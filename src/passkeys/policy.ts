import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { fromBase64, fromUtf8 } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import type { PasskeyOperation } from './config.ts';

/** Largest MDS3 blob read (the FIDO Alliance's own is a few MB). */
export const MAX_BLOB_BYTES = 32 * 1024 * 1024;
const MAX_ENTRIES = 50_000;
const MAX_CHAIN = 5;
/** Signature algorithms accepted on a blob (FIDO MDS3 uses RS256; ES256 for private blobs). */
const BLOB_ALGS = ['RS256', 'ES256', 'PS256'];
/** MDS3 statuses after which an authenticator model is not to be trusted at all. */
const REFUSED_STATUS: ReadonlySet<string> = new Set([
  'REVOKED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
]);
const AAGUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function bad(message: string): VerityError {
  return new VerityError('VERITY_E_PASSKEY_METADATA', message);
}

/** What the blob says of one authenticator model (by AAGUID). */
interface ModelFacts {
  /** Latest status report (by effective date). */
  readonly status: string;
  /** Key protection is `hardware` or `secure_element`. */
  readonly hardware: boolean;
  readonly roots: readonly X509Certificate[];
}

/** The policy's verdict on a new passkey. */
export interface Verdict {
  readonly hardware: boolean;
  readonly status: string | undefined;
}

/**
 * An authenticator policy (FGMV-46 7.3.2) from a verified FIDO Metadata Service (MDS3) blob: which
 * operations demand a hardware-backed authenticator, which accept any passkey. A passkey is
 * hardware-backed when its authenticator model (AAGUID) is in the blob with key protection
 * `hardware` or `secure_element` and its attestation certificate chains to that model's attestation
 * roots in the blob; a model whose latest status is a revocation or compromise is refused
 * everywhere, at registration and at every later use.
 */
export class AuthenticatorPolicy {
  readonly #models: ReadonlyMap<string, ModelFacts>;
  /** Operations that demand a hardware-backed authenticator. */
  readonly hardwareFor: readonly PasskeyOperation[];
  /** The blob's serial number and next update date. */
  readonly no: number;
  readonly nextUpdate: string;

  private constructor(
    models: Map<string, ModelFacts>,
    hardwareFor: readonly PasskeyOperation[],
    no: number,
    next: string,
  ) {
    this.#models = models;
    this.hardwareFor = [...hardwareFor];
    this.no = no;
    this.nextUpdate = next;
  }

  /**
   * Verifies an MDS3 blob (a JWS whose `x5c` chain must lead to `rootPem`, the FIDO Alliance's
   * root or a private one; every certificate valid at `now`; the blob not past `nextUpdate`) and
   * builds the policy. Throws VERITY_E_PASSKEY_METADATA.
   */
  static async fromBlob(
    blob: string,
    o: { rootPem: string; hardwareFor: readonly PasskeyOperation[]; now: number },
  ): Promise<AuthenticatorPolicy> {
    if (typeof blob !== 'string' || blob.length > MAX_BLOB_BYTES) throw bad('the metadata blob is too large');
    const text = blob.trim();
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(text);
    } catch {
      throw bad('the metadata blob is not a JWS; give the MDS3 blob file as downloaded');
    }
    if (typeof header.alg !== 'string' || !BLOB_ALGS.includes(header.alg))
      throw bad(`the metadata blob is signed with an algorithm not accepted (${BLOB_ALGS.join(', ')})`);
    const x5c = header.x5c;
    if (!Array.isArray(x5c) || x5c.length < 1 || x5c.length > MAX_CHAIN)
      throw bad('the metadata blob carries no certificate chain (x5c)');
    let root: X509Certificate;
    let chain: X509Certificate[];
    try {
      root = new X509Certificate(o.rootPem);
      chain = x5c.map((c) => new X509Certificate(fromBase64(String(c))));
    } catch {
      throw bad('a certificate of the metadata blob or its root does not parse');
    }
    if (!chainsTo(chain, [root], o.now)) throw bad('the metadata blob is not signed under the configured root');
    let payload: unknown;
    try {
      const key = (chain[0] as X509Certificate).publicKey;
      const { payload: p } = await compactVerify(text, key, { algorithms: [header.alg] });
      payload = JSON.parse(fromUtf8(p));
    } catch {
      throw bad('the metadata blob signature does not verify');
    }
    const p = payload as { no?: unknown; nextUpdate?: unknown; entries?: unknown };
    if (typeof p.no !== 'number' || typeof p.nextUpdate !== 'string' || !Array.isArray(p.entries))
      throw bad('the metadata blob payload lacks `no`, `nextUpdate` or `entries`');
    if (p.entries.length > MAX_ENTRIES) throw bad('the metadata blob has too many entries');
    const next = Date.parse(`${p.nextUpdate}T23:59:59Z`);
    if (!Number.isFinite(next) || o.now > next)
      throw bad('the metadata blob is past its nextUpdate date; download the current one');
    for (const op of o.hardwareFor)
      if (op !== 'signin' && op !== 'step-up') throw bad('hardware is demanded for `signin` or `step-up` only');
    return new AuthenticatorPolicy(models(p.entries), o.hardwareFor, p.no, p.nextUpdate);
  }

  /**
   * Judges a new passkey by its model and attestation chain (`x5c`, DER, leaf first; the signature
   * over the attestation was verified already). Refuses (VERITY_E_PASSKEY_AUTHENTICATOR) a model
   * with a refused status, or one that is not hardware-backed when every operation demands it.
   */
  judge(aaguid: string, x5c: readonly Uint8Array[] | undefined, now: number): Verdict {
    const m = this.#models.get(aaguid);
    if (m !== undefined && REFUSED_STATUS.has(m.status))
      throw new VerityError(
        'VERITY_E_PASSKEY_AUTHENTICATOR',
        `this authenticator model is ${m.status.toLowerCase().replaceAll('_', ' ')} in the metadata; use another authenticator`,
      );
    let hardware = false;
    if (m?.hardware === true && x5c !== undefined && x5c.length > 0 && x5c.length <= MAX_CHAIN) {
      try {
        hardware = chainsTo(
          x5c.map((c) => new X509Certificate(c)),
          m.roots,
          now,
        );
      } catch {
        hardware = false;
      }
    }
    if (!hardware && this.hardwareFor.includes('signin') && this.hardwareFor.includes('step-up'))
      throw new VerityError(
        'VERITY_E_PASSKEY_AUTHENTICATOR',
        'only hardware-backed authenticators attested in the metadata are accepted here; use a security key or a device with a secure element',
      );
    return { hardware, status: m?.status };
  }

  /** Whether a passkey may serve `op` now: refused model, or software where hardware is demanded. */
  check(op: PasskeyOperation, passkey: { aaguid: string; hardware: boolean }): void {
    const m = this.#models.get(passkey.aaguid);
    if (m !== undefined && REFUSED_STATUS.has(m.status))
      throw new VerityError(
        'VERITY_E_PASSKEY_AUTHENTICATOR',
        'this passkey’s authenticator model has since been revoked in the metadata; register another passkey',
      );
    if (this.hardwareFor.includes(op) && !passkey.hardware)
      throw new VerityError(
        'VERITY_E_PASSKEY_AUTHENTICATOR',
        `${op === 'step-up' ? 'a step-up' : 'signing in'} needs a hardware-backed passkey; use a security key or a device with a secure element`,
      );
  }
}

/** Whether `chain` (leaf first) is valid at `now` and its last certificate is issued by one of `roots`. */
function chainsTo(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now: number): boolean {
  const valid = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i] as X509Certificate;
    if (!valid(c)) return false;
    const issuer = chain[i + 1];
    if (issuer === undefined) break;
    if (!issuer.ca || !c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return false;
  }
  const last = chain[chain.length - 1] as X509Certificate;
  return roots.some(
    (r) => valid(r) && r.ca && (last.raw.equals(r.raw) || (last.checkIssued(r) && last.verify(r.publicKey))),
  );
}

/** The facts of every FIDO2 entry (with an AAGUID); malformed entries are skipped. */
function models(entries: readonly unknown[]): Map<string, ModelFacts> {
  const out = new Map<string, ModelFacts>();
  for (const e of entries) {
    if (typeof e !== 'object' || e === null) continue;
    const {
      aaguid,
      metadataStatement: ms,
      statusReports,
    } = e as {
      aaguid?: unknown;
      metadataStatement?: { keyProtection?: unknown; attestationRootCertificates?: unknown };
      statusReports?: unknown;
    };
    if (typeof aaguid !== 'string' || !AAGUID_RE.test(aaguid) || !Array.isArray(statusReports)) continue;
    // The latest report by effective date is the model's status (MDS3 3.1.3).
    let status = 'NOT_FIDO_CERTIFIED';
    let latest = '';
    for (const r of statusReports.slice(0, 256)) {
      const { status: s, effectiveDate: d } = (r ?? {}) as { status?: unknown; effectiveDate?: unknown };
      if (typeof s !== 'string') continue;
      const date = typeof d === 'string' ? d : '';
      if (date >= latest) {
        latest = date;
        status = s;
      }
    }
    const protection = Array.isArray(ms?.keyProtection) ? ms.keyProtection : [];
    const hardware = protection.includes('hardware') || protection.includes('secure_element');
    const roots: X509Certificate[] = [];
    if (Array.isArray(ms?.attestationRootCertificates))
      for (const c of ms.attestationRootCertificates.slice(0, 16))
        try {
          roots.push(new X509Certificate(fromBase64(String(c))));
        } catch {
          // An unparsable root vouches for nothing.
        }
    out.set(aaguid, { status, hardware, roots });
  }
  return out;
}
