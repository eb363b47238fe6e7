// Remote attestation (FGMV-46 7.3.3; RFC 9334 roles): the server is the Attester, its evidence is
// the measured-boot chain signed with its attestation key, and a client (the SDK) is the Verifier
// and Relying Party in one, judging the evidence against reference values that the release signer
// (the Reference Value Provider: `verity release sign`) printed.
//
// The evidence is canonical JSON (RFC 8785) signed with Ed25519 over a domain-separated message
// (`verity-attestation/1\n` + the JSON): the primitives the SDK already ships in its browser build.
// An EAT (RFC 9711) in a JWS would need a JOSE library in the browser bundle, see docs/decisions.md.

import type { Measurement } from '../boot/index.ts';
import {
  canonicalJson,
  concatBytes,
  fromBase64,
  randomBytesSecure,
  toBase64Url,
  toHex,
  utf8,
} from '../encoding/index.ts';
import { AttestationError } from '../errors/index.ts';
import { formatVerifierKey, parseKeyString } from '../note/index.ts';
import { constantTimeEqual, sha256 } from '../platform/index.ts';

/** The evidence format, first line of the signed message. */
export const ATTESTATION_FORMAT = 'verity-attestation/1';
/** The KeyStore signing key that signs evidence (never the log's checkpoint key). */
export const ATTESTATION_KEY = 'attestation';
/** A nonce: 16 to 64 random bytes, base64url without padding. */
export const NONCE_RE = /^[A-Za-z0-9_-]{22,86}$/;
/** How old evidence may be by default when it is checked (the nonce is what binds it to the question). */
export const DEFAULT_MAX_AGE_MS = 5 * 60 * 1000;

const HEX64 = /^[0-9a-f]{64}$/;
const EVENT_TYPES = ['manifest', 'code', 'dependencies', 'policies', 'configuration'] as const;

/** The attested claims. */
export interface Evidence {
  readonly format: typeof ATTESTATION_FORMAT;
  /** The caller's nonce, echoed. */
  readonly nonce: string;
  /** When the evidence was made (milliseconds since the epoch, the server's clock). */
  readonly time: number;
  /** The release's version, from its signed manifest. */
  readonly version: string;
  /** The runtime, as it reports itself (`node v24.x linux-x64`). */
  readonly runtime: string;
  /** The measured-boot chain's final value (lowercase hex SHA-256). */
  readonly measurement: string;
  /** The event log the chain was extended with. */
  readonly events: readonly { readonly type: string; readonly digest: string }[];
  readonly eventLogDigest: string;
  /** Index of the `boot.measure` log entry that recorded this boot. */
  readonly bootEntry: number;
  /** The log's verifier key (checkpoints). */
  readonly logKey: string;
  /** The key that signed this evidence (signed-note verifier key form). */
  readonly attestationKey: string;
}

/** What `GET /v1/attestation` answers. */
export interface AttestationAnswer {
  readonly evidence: Evidence;
  /** Ed25519 over `verity-attestation/1\n` + canonical JSON of `evidence`, base64. */
  readonly signature: string;
}

/** The bytes an attestation signature covers. */
export function attestationMessage(evidence: Evidence): Uint8Array {
  return utf8(`${ATTESTATION_FORMAT}\n${canonicalJson(evidence)}`);
}

/** The attestation key's verifier-key string, as evidence and the boot entry name it. */
export function attestationKeyString(publicKey: Uint8Array): string {
  return formatVerifierKey('verity-attestation', publicKey);
}

/** Replays the chain over an event log (h0 = 32 zero bytes; h = SHA-256(h || SHA-256(event))). */
export function replayEvents(events: Evidence['events']): string {
  let h: Uint8Array = new Uint8Array(32);
  for (const e of events) h = sha256(concatBytes(h, sha256(utf8(`verity-boot/1 ${e.type} ${e.digest}`))));
  return toHex(h);
}

/** The measurement's evidence fields. */
export function measurementClaims(
  m: Measurement,
): Pick<Evidence, 'version' | 'measurement' | 'events' | 'eventLogDigest'> {
  return { version: m.version, measurement: m.value, events: m.events, eventLogDigest: m.eventLogDigest };
}

function fail(code: ConstructorParameters<typeof AttestationError>[0], message: string): AttestationError {
  return new AttestationError(code, message);
}

/** Checks the shape of an answer (attacker-controlled): every field typed and bounded. */
export function parseAttestationAnswer(value: unknown): AttestationAnswer {
  const bad = (what: string) => fail('VERITY_E_ATTESTATION_INVALID', `the attestation evidence is malformed: ${what}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const { evidence: e, signature } = value as Record<string, unknown>;
  if (typeof signature !== 'string' || signature.length > 128) throw bad('no signature');
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad('no evidence');
  const o = e as Record<string, unknown>;
  const str = (k: string, max: number) => {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw bad(`\`${k}\` is not a short string`);
    return v;
  };
  if (o['format'] !== ATTESTATION_FORMAT) throw bad(`the format is not ${ATTESTATION_FORMAT}`);
  if (!NONCE_RE.test(str('nonce', 86))) throw bad('the nonce is not 16 to 64 bytes of base64url');
  if (!HEX64.test(str('measurement', 64)) || !HEX64.test(str('eventLogDigest', 64))) throw bad('a digest is not hex');
  for (const k of ['time', 'bootEntry'])
    if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0) throw bad(`\`${k}\` is not a whole number`);
  const events = o['events'];
  if (!Array.isArray(events) || events.length !== EVENT_TYPES.length)
    throw bad('the event log is not the five boot events');
  events.forEach((ev: unknown, i) => {
    const x = ev as Record<string, unknown> | null;
    if (
      typeof x !== 'object' ||
      x === null ||
      x['type'] !== EVENT_TYPES[i] ||
      typeof x['digest'] !== 'string' ||
      !HEX64.test(x['digest'])
    )
      throw bad(`event ${i} is not \`${EVENT_TYPES[i]}\` with a digest`);
  });
  for (const k of ['version', 'runtime']) str(k, 128);
  for (const k of ['logKey', 'attestationKey']) str(k, 512);
  const keys = Object.keys(o);
  if (keys.length !== 11) throw bad('unexpected fields');
  return { evidence: o as unknown as Evidence, signature };
}

/** What a client pins and expects (RFC 9334: the verifier's appraisal policy). */
export interface VerifyAttestationOptions {
  /** The nonce the caller sent with this request (fresh, random). */
  readonly nonce: string;
  /** Measurements the caller accepts (`verity release sign` prints one per release). */
  readonly referenceValues: readonly string[];
  /** The attestation key the caller pinned (verifier-key form, from the boot entry in the log or the operator). */
  readonly verifierKey: string;
  /** The log key the caller pinned, when it has one: the evidence must name it. */
  readonly logKey?: string;
  /** Now, in milliseconds (default Date.now()). */
  readonly now?: number;
  /** Oldest evidence accepted (default 5 minutes), either side of `now`. */
  readonly maxAgeMs?: number;
}

/**
 * Appraises attestation evidence before anything sensitive is sent: the signature by the pinned
 * attestation key, the nonce the caller sent (a replayed answer to an earlier nonce is stale), its
 * age, the event log replaying to the measurement, and the measurement among the reference values.
 *
 * @example
 * ```ts
 * const nonce = newNonce();
 * const answer = await (await fetch(`${url}/v1/attestation?nonce=${nonce}`)).json();
 * const evidence = await verifyAttestation(answer, { nonce, referenceValues: [RELEASE_MEASUREMENT], verifierKey: PINNED_KEY });
 * ```
 */
export async function verifyAttestation(answer: unknown, o: VerifyAttestationOptions): Promise<Evidence> {
  const { evidence, signature } = parseAttestationAnswer(answer);
  if (evidence.attestationKey !== o.verifierKey)
    throw fail('VERITY_E_ATTESTATION_KEY', 'the evidence is signed by another attestation key than the pinned one');
  const key = parseKeyString(o.verifierKey, 0x01, (what) =>
    fail('VERITY_E_ATTESTATION_KEY', `the pinned attestation key: ${what}`),
  );
  let sig: Uint8Array;
  try {
    sig = fromBase64(signature, 'signature');
  } catch {
    throw fail('VERITY_E_ATTESTATION_INVALID', 'the attestation signature is not base64');
  }
  if (!key.verifyEd25519(attestationMessage(evidence), sig))
    throw fail('VERITY_E_ATTESTATION_INVALID', 'the attestation signature does not verify with the pinned key');
  if (o.logKey !== undefined && evidence.logKey !== o.logKey)
    throw fail('VERITY_E_ATTESTATION_KEY', 'the evidence names another log key than the pinned one');
  if (!constantTimeEqual(utf8(evidence.nonce), utf8(o.nonce)))
    throw fail(
      'VERITY_E_ATTESTATION_NONCE',
      'the evidence answers another nonce (a stale or replayed answer); ask again with a fresh nonce',
    );
  const now = o.now ?? Date.now();
  if (Math.abs(now - evidence.time) > (o.maxAgeMs ?? DEFAULT_MAX_AGE_MS))
    throw fail(
      'VERITY_E_ATTESTATION_NONCE',
      'the evidence is too old (or its clock is off); ask again with a fresh nonce',
    );
  if (replayEvents(evidence.events) !== evidence.measurement)
    throw fail('VERITY_E_ATTESTATION_INVALID', 'the event log does not replay to the attested measurement');
  if (!o.referenceValues.includes(evidence.measurement))
    throw fail(
      'VERITY_E_ATTESTATION_MEASUREMENT',
      'the attested measurement is not among the reference values: an unknown release, policy or configuration; send nothing sensitive',
    );
  return evidence;
}

/** A fresh nonce: 32 random bytes, base64url. */
export function newNonce(): string {
  return toBase64Url(randomBytesSecure(32));
}
