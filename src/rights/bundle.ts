// Portability bundles (GDPR Art. 20): a subject's records with their schemas, provenance and
// proofs, as a compact JWS (EdDSA) signed by a KeyStore key of the exporting Verity; another Verity
// verifies the signature with the exporter's key, then every record's inclusion proof against the
// exporter's signed checkpoint and its content commitment, before it imports anything.
import { contentCommitment, decodeAuditEntry } from '../audit/index.ts';
import {
  bytesEqual,
  canonicalJsonBytes,
  fromBase64,
  fromBase64Url,
  fromUtf8,
  type JsonValue,
  parseJson,
  toBase64Url,
  utf8,
} from '../encoding/index.ts';
import { isVerityError, RightsError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { MAX_ENTRY_BYTES } from '../log/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import { parseVerifierKey, verifyCheckpoint } from '../note/index.ts';
import type { RecordMeta, RecordProof } from '../vault/index.ts';

/** Name of the KeyStore signing key that signs exports. */
export const EXPORT_KEY = 'rights-export';
export const BUNDLE_FORMAT = 'verity-portability/1';
const BUNDLE_TYP = 'verity-portability+jws';
/** Largest bundle accepted (compact JWS text). */
export const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
/** Most records one bundle carries. */
export const MAX_BUNDLE_RECORDS = 10_000;

/** One exported record: its data, metadata and the proof of its write. */
export interface ExportedRecord {
  readonly id: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly meta: RecordMeta;
  readonly proof: RecordProof;
}

/** What a bundle's JWS payload holds. */
export interface BundlePayload {
  readonly format: typeof BUNDLE_FORMAT;
  /** The exporting Verity's log origin. */
  readonly issuer: string;
  /** Its log verifier key: the checkpoints of the proofs are signed with it. */
  readonly logKey: string;
  readonly issuedAt: string;
  /** The portability request it answers. */
  readonly request: string;
  readonly records: readonly ExportedRecord[];
  /** The JSON Schema of each record type that has one. */
  readonly schemas: Readonly<Record<string, JsonValue>>;
}

/** The exporting key as a public JWK (OKP, Ed25519). */
export async function exportKeyJwk(keys: KeyStore): Promise<{ kty: 'OKP'; crv: 'Ed25519'; x: string }> {
  return { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(await keys.ensureSigningKey(EXPORT_KEY)) };
}

/**
 * Signs a bundle as a compact JWS: the private key never leaves the KeyStore, so the JWS is
 * assembled here (RFC 7515 5.1) and signed by `KeyStore.sign`; jose verifies it.
 */
export async function signBundle(keys: KeyStore, payload: BundlePayload): Promise<string> {
  const jwk = await exportKeyJwk(keys);
  const header = { alg: 'EdDSA', typ: BUNDLE_TYP, jwk };
  const input = `${toBase64Url(utf8(JSON.stringify(header)))}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
  const sig = await keys.sign(EXPORT_KEY, utf8(input));
  return `${input}.${toBase64Url(sig)}`;
}

function invalid(why: string, cause?: unknown): RightsError {
  return new RightsError(
    'VERITY_E_RIGHTS_BUNDLE_INVALID',
    `the portability bundle ${why}; ask the exporting Verity for a new one`,
    cause === undefined ? undefined : { cause },
  );
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks one exported record against the exporter's log key: write entry, inclusion, content. */
function checkRecord(r: unknown, i: number, verifier: ReturnType<typeof parseVerifierKey>, issuer: string): void {
  const bad = (why: string, cause?: unknown) => invalid(`record ${i} ${why}`, cause);
  if (!isObj(r) || !isObj(r['meta']) || !isObj(r['proof']) || !isObj(r['data'])) throw bad('is malformed');
  const meta = r['meta'] as unknown as RecordMeta;
  const proof = r['proof'] as unknown as RecordProof;
  if (typeof r['id'] !== 'string' || meta.id !== r['id'] || meta.type !== r['type']) throw bad('names two records');
  try {
    const entry = fromBase64(proof.entry, 'entry');
    if (entry.byteLength > MAX_ENTRY_BYTES) throw new Error('entry too large');
    const leaf = hashLeaf(entry);
    const e = decodeAuditEntry(entry);
    if (e.resource !== `record:${meta.id}@${meta.version}` || e.contentHash !== meta.contentHash)
      throw bad('has a proof of another write');
    const salt = fromBase64Url(proof.contentSalt, 'content salt');
    if (contentCommitment(salt, canonicalJsonBytes(r['data'])) !== meta.contentHash)
      throw bad('holds data other than what was logged');
    const cp = verifyCheckpoint(proof.checkpoint, verifier, issuer).checkpoint;
    if (cp.size !== proof.treeSize || !bytesEqual(cp.rootHash, fromBase64(proof.rootHash, 'root')))
      throw bad('has a proof for another checkpoint');
    if (!Array.isArray(proof.proof) || proof.proof.length > 64) throw bad('has a malformed proof');
    verifyInclusion(
      leaf,
      proof.leafIndex,
      proof.treeSize,
      proof.proof.map((h) => fromBase64(h, 'proof hash')),
      cp.rootHash,
    );
  } catch (e) {
    if (isVerityError(e, 'VERITY_E_RIGHTS_BUNDLE_INVALID')) throw e;
    throw bad('does not verify against the exporter log', e);
  }
}

/**
 * Verifies a bundle (attacker-controlled text) with the exporter's public key (trusted, given by
 * the caller: a key embedded in the bundle proves nothing) and every record's proofs; returns its
 * payload. Throws VERITY_E_RIGHTS_BUNDLE_INVALID saying what failed.
 */
export async function verifyBundle(
  jws: string,
  exporterKey: { kty: 'OKP'; crv: 'Ed25519'; x: string },
): Promise<BundlePayload> {
  if (typeof jws !== 'string' || jws.length > MAX_BUNDLE_BYTES) throw invalid('is not a compact JWS of at most 32 MiB');
  // jose loads here, at the first bundle checked, not with every process that opens a data directory (D323).
  const { compactVerify, importJWK } = await import('jose');
  let payloadBytes: Uint8Array;
  try {
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: exporterKey.x }, 'EdDSA');
    const r = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    if (r.protectedHeader.typ !== BUNDLE_TYP) throw new Error('wrong typ');
    payloadBytes = r.payload;
  } catch (e) {
    throw invalid('signature does not verify with the exporter key', e);
  }
  const p = parseJson(fromUtf8(payloadBytes, 'bundle'), { maxBytes: MAX_BUNDLE_BYTES, maxDepth: 48 }, 'bundle');
  if (
    !isObj(p) ||
    p['format'] !== BUNDLE_FORMAT ||
    typeof p['issuer'] !== 'string' ||
    typeof p['logKey'] !== 'string' ||
    !Array.isArray(p['records']) ||
    !isObj(p['schemas'])
  )
    throw invalid(`is not a ${BUNDLE_FORMAT} bundle`);
  const records = p['records'] as unknown[];
  if (records.length > MAX_BUNDLE_RECORDS) throw invalid(`holds more than ${MAX_BUNDLE_RECORDS} records`);
  let verifier: ReturnType<typeof parseVerifierKey>;
  try {
    verifier = parseVerifierKey(p['logKey']);
  } catch (e) {
    throw invalid('names a malformed log key', e);
  }
  records.forEach((r, i) => {
    checkRecord(r, i, verifier, p['issuer'] as string);
  });
  return p as unknown as BundlePayload;
}
