// A record's trust report (FGMV-46 6.2): the report's nine attributes, each computed from evidence
// that was measured (a proof checked, a signature verified, a state read from a proven row or from
// the server's evidence answer), never set to a constant. Pure: the caller gathers the evidence
// (the Trust Center does it in the browser) and this function only judges it, so the rules are
// tested once, in Node.js, and run unchanged in the page.

import { canonicalJson, fromBase64, type JsonValue, utf8 } from '../encoding/index.ts';
import { ed25519Verifier } from '../platform/index.ts';

/** The nine attributes of a trusted data layer (FGMV-46 6.2), in the report's order. */
export const TRUST_ATTRIBUTES = [
  'accuracy',
  'authenticity',
  'availability',
  'compliance',
  'confidentiality',
  'integrity',
  'reliability',
  'security',
  'transparency',
] as const;
export type TrustAttribute = (typeof TRUST_ATTRIBUTES)[number];

/** `met`: the evidence shows it; `partial`: shown in part (said why); `failed`: the evidence contradicts it; `unknown`: no evidence could be measured. */
export type TrustStatus = 'met' | 'partial' | 'failed' | 'unknown';

/** One attribute: its status and the evidence it rests on, in words a person reads. */
export interface TrustFinding {
  readonly attribute: TrustAttribute;
  readonly status: TrustStatus;
  readonly evidence: readonly string[];
}

/** What was measured about one record (each part absent when it could not be measured). */
export interface TrustEvidence {
  /** The verified read (`VerityClient.getRecord`): inclusion and state proofs, content commitment. */
  readonly read:
    | {
        readonly ok: true;
        readonly treeSize: number;
        readonly logIndex: number;
        readonly state: 'current' | 'version';
        /** The schema the data was validated with at write (`TYPE@sha256:...` or `verity:generic`). */
        readonly schema: string;
        readonly lifecycle: string;
        readonly retainUntil: string | null;
        readonly purpose: string;
        readonly creator: string;
      }
    | { readonly ok: false; readonly error: string };
  /** The provenance signature checked over the record type and data (`verifyProvenance`). */
  readonly provenance: 'verified' | 'absent' | 'failed';
  /** The witnesses' cosignatures on the newest checkpoint, checked against their pinned keys. */
  readonly witnesses?: {
    readonly verified: number;
    readonly quorum: number;
    readonly configured: number;
    /** The cosigned tree covers the record's write. */
    readonly covers: boolean;
  };
  /** The trusted checkpoint only grew by consistency proofs since this browser first pinned it. */
  readonly consistent?: boolean;
  /** The server's evidence (`GET /v1/trust/records/{id}`): encryption and key state, the decision. */
  readonly server?: {
    readonly algorithm: string;
    readonly kekVersion: number | null;
    readonly kekState: 'active' | 'retired' | 'destroyed' | 'none';
    readonly decision: { readonly allowed: boolean; readonly policyHash: string; readonly purpose: string };
    readonly legalBasis: string | null;
    readonly consent: 'granted' | 'denied' | 'unknown';
  };
  /** The player's verified access history: lines proven, lines failed, and lines about this record. */
  readonly history?: { readonly verified: number; readonly failed: number; readonly aboutRecord: number };
  /** How the session signed in (`passkey`, `platform`, `token`). */
  readonly signIn?: string;
  /** Milliseconds since the epoch, to judge a retention deadline. */
  readonly now: number;
}

/**
 * Checks a record's provenance signature where the record is read: Ed25519 over
 * `{"data":<RFC 8785 JSON of the data>,"type":"<type>"}`, the message the vault verified at write.
 * `absent` when the record carries none; `failed` when it does not verify.
 */
export function verifyProvenance(
  type: string,
  data: unknown,
  signature: { alg?: unknown; publicKey?: unknown; value?: unknown } | undefined,
): 'verified' | 'absent' | 'failed' {
  if (signature === undefined) return 'absent';
  try {
    if (signature.alg !== 'Ed25519' || typeof signature.publicKey !== 'string' || typeof signature.value !== 'string')
      return 'failed';
    const verify = ed25519Verifier(fromBase64(signature.publicKey, 'signature public key'));
    const message = utf8(`{"data":${canonicalJson(data as JsonValue)},"type":${JSON.stringify(type)}}`);
    return verify(message, fromBase64(signature.value, 'signature value')) ? 'verified' : 'failed';
  } catch {
    return 'failed';
  }
}

/**
 * Judges the evidence, attribute by attribute. What each attribute rests on (docs/trust-center.md):
 * accuracy (schema validation and the content commitment), authenticity (provenance signature),
 * availability (a proven read now), compliance (the policy decision, legal basis, consent,
 * retention), confidentiality (sealed under a key-encryption key and its state), integrity
 * (inclusion and state proofs), reliability (consistency with the pinned checkpoint, lifecycle),
 * security (key state, sign-in method, the decision was a default-deny policy's allow),
 * transparency (the witnesses' cosignatures and the verified access history).
 */
export function trustReport(e: TrustEvidence): TrustFinding[] {
  const f = (attribute: TrustAttribute, status: TrustStatus, ...evidence: string[]): TrustFinding => ({
    attribute,
    status,
    evidence,
  });
  const r = e.read;
  const s = e.server;
  const out: TrustFinding[] = [];

  // accuracy
  if (!r.ok) out.push(f('accuracy', 'unknown', `the record could not be read and verified: ${r.error}`));
  else if (r.schema === 'verity:generic')
    out.push(
      f(
        'accuracy',
        'partial',
        'the data recomputes the content commitment its logged write made',
        'no JSON Schema is registered for its type: the data was checked only for size and depth',
      ),
    );
  else
    out.push(
      f(
        'accuracy',
        'met',
        `validated at write against the schema ${r.schema}`,
        'the data recomputes the content commitment its logged write made',
      ),
    );

  // authenticity
  if (e.provenance === 'verified')
    out.push(f('authenticity', 'met', 'its Ed25519 provenance signature over the type and data verifies here'));
  else if (e.provenance === 'failed')
    out.push(f('authenticity', 'failed', 'its provenance signature does not verify over the type and data'));
  else if (r.ok)
    out.push(
      f('authenticity', 'partial', `no provenance signature; written by ${r.creator}, as the logged write says`),
    );
  else out.push(f('authenticity', 'unknown', 'no provenance could be read'));

  // availability
  if (r.ok)
    out.push(f('availability', 'met', `read and proven now against a signed checkpoint of ${r.treeSize} entries`));
  else out.push(f('availability', 'failed', `the read failed: ${r.error}`));

  // compliance
  if (s === undefined || !r.ok) out.push(f('compliance', 'unknown', 'no policy decision could be measured'));
  else {
    const expired = r.retainUntil !== null && Date.parse(r.retainUntil) < e.now;
    const ev = [
      `${s.decision.allowed ? 'allowed' : 'denied'} for purpose \`${s.decision.purpose}\` by the policy set ${s.decision.policyHash.slice(0, 19)}…`,
      s.legalBasis === null ? 'no legal basis is declared for the purpose' : `legal basis: ${s.legalBasis}`,
      `consent for the purpose: ${s.consent}`,
      r.retainUntil === null ? 'no retention deadline' : `retained until ${r.retainUntil}`,
    ];
    const status: TrustStatus =
      !s.decision.allowed || expired || s.consent === 'denied' ? 'failed' : s.legalBasis === null ? 'partial' : 'met';
    if (expired) ev.push('its retention deadline has passed');
    out.push(f('compliance', status, ...ev));
  }

  // confidentiality
  if (s === undefined) out.push(f('confidentiality', 'unknown', 'no encryption state could be measured'));
  else if (s.kekState === 'active' || s.kekState === 'retired')
    out.push(
      f(
        'confidentiality',
        s.kekState === 'active' ? 'met' : 'partial',
        `sealed with ${s.algorithm} under the subject's data key`,
        `the data key is wrapped by key-encryption key v${s.kekVersion} (${s.kekState})`,
      ),
    );
  else
    out.push(
      f(
        'confidentiality',
        'failed',
        `the subject's data key is ${s.kekState === 'none' ? 'gone' : 'under a destroyed KEK'}`,
      ),
    );

  // integrity
  if (r.ok)
    out.push(
      f(
        'integrity',
        'met',
        `its write (entry ${r.logIndex}) is proven included in the log (RFC 9162)`,
        `the state map proves this row is the ${r.state === 'current' ? 'current' : 'requested'} version`,
      ),
    );
  else out.push(f('integrity', 'failed', `a proof failed: ${r.error}`));

  // reliability
  if (e.consistent === false)
    out.push(f('reliability', 'failed', 'the log is not consistent with the checkpoint this browser pinned'));
  else if (!r.ok) out.push(f('reliability', 'unknown', 'the record could not be read'));
  else
    out.push(
      f(
        'reliability',
        e.consistent === true && r.lifecycle !== 'erased' ? 'met' : 'partial',
        e.consistent === true
          ? 'every checkpoint seen extends the one this browser pinned (consistency proofs)'
          : 'no earlier checkpoint was pinned to check consistency against',
        `lifecycle state: ${r.lifecycle}`,
      ),
    );

  // security
  if (s === undefined) out.push(f('security', 'unknown', 'no key state or decision could be measured'));
  else {
    const ev = [
      `key-encryption key v${s.kekVersion ?? '-'} is ${s.kekState}`,
      `access decided by the default-deny policy set ${s.decision.policyHash.slice(0, 19)}…`,
      ...(e.signIn === undefined ? [] : [`signed in with ${e.signIn}`]),
    ];
    out.push(f('security', s.kekState === 'active' && s.decision.allowed ? 'met' : 'partial', ...ev));
  }

  // transparency
  const w = e.witnesses;
  const h = e.history;
  const tev: string[] = [];
  let tStatus: TrustStatus = 'unknown';
  if (w !== undefined) {
    tev.push(`${w.verified} of ${w.configured} witnesses cosigned the checkpoint (quorum ${w.quorum})`);
    tStatus = w.verified >= w.quorum && w.quorum > 0 && w.covers ? 'met' : 'partial';
    if (!w.covers) tev.push('the cosigned checkpoint does not cover the write yet');
  }
  if (h !== undefined) {
    tev.push(`${h.verified} lines of the access history verified, ${h.aboutRecord} about this record`);
    if (h.failed > 0) {
      tev.push(`${h.failed} lines failed verification`);
      tStatus = 'failed';
    } else if (tStatus === 'unknown') tStatus = 'partial';
  }
  if (tev.length === 0) tev.push('no witness or access history evidence could be measured');
  out.push(f('transparency', tStatus, ...tev));
  return out;
}
