// C2SP tlog-cosignature, Ed25519 `cosignature/v1`: a witness's timestamped signature over a whole
// checkpoint body (extension lines included), as a note signature line of signature type 0x04.
// Portable (the SDK verifies cosignatures in browsers): no Node.js modules here.

import { bytesEqual, concatBytes, toBase64, toHex, utf8 } from '../encoding/index.ts';
import { LogError, quote, WitnessError } from '../errors/index.ts';
import { type Checkpoint, parseCheckpoint } from './checkpoint.ts';
import {
  formatVerifierKey,
  keyHash,
  type NoteSigner,
  type NoteVerifier,
  openNote,
  parseKeyString,
  parseSignatureLine,
} from './note.ts';

/** C2SP signed-note signature type of timestamped Ed25519 witness cosignatures. */
export const ALG_COSIGNATURE_V1 = 0x04;
/** Bytes of a cosignature after the key hash: a big-endian u64 timestamp, then 64 bytes of Ed25519. */
export const COSIGNATURE_BYTES = 8 + 64;
/**
 * Latest timestamp accepted (seconds). The format allows up to 2^63 - 1 and lets verifiers refuse
 * timestamps in the future; anything past 2^53 - 1 (285 million years away) is refused here.
 */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;
const SIG_PREFIX = '\u2014 ';

/** The message a cosigner signs: `cosignature/v1\ntime <t>\n` then the whole checkpoint body. */
export function cosignatureMessage(body: Uint8Array | string, timestamp: number): Uint8Array {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError('a cosignature timestamp is a non-negative safe integer');
  return concatBytes(utf8(`cosignature/v1\ntime ${timestamp}\n`), typeof body === 'string' ? utf8(body) : body);
}

/** The timestamp of a cosignature (the bytes after the key hash), or undefined when it has none. */
export function cosignatureTimestamp(signature: Uint8Array): number | undefined {
  if (signature.byteLength !== COSIGNATURE_BYTES) return undefined;
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  return t <= BigInt(MAX_TIMESTAMP) ? Number(t) : undefined;
}

function badKey(what: string, cause?: unknown): WitnessError {
  return new WitnessError(
    'VERITY_E_WITNESS_KEY_INVALID',
    `witness key: ${what}; a witness key is name+hash+base64(0x04 || key), as \`verity witness key\` prints it`,
    cause === undefined ? undefined : { cause },
  );
}

/** The cosigner verifier key string `name+hash+base64(0x04 || publicKey)`. */
export function formatCosignerKey(name: string, publicKey: Uint8Array): string {
  return formatVerifierKey(name, publicKey, ALG_COSIGNATURE_V1);
}

/**
 * Parses a cosigner verifier key (attacker-controlled; VERITY_E_WITNESS_KEY_INVALID when it is not
 * one). The verifier checks cosignature/v1 signatures, so `openNote` can verify a note's
 * cosignatures beside its log signature (their key hashes differ even for the same name and key).
 */
export function parseCosignerKey(vkey: string): NoteVerifier {
  const k = parseKeyString(vkey, ALG_COSIGNATURE_V1, badKey);
  return {
    name: k.name,
    keyHash: k.keyHash,
    publicKey: k.publicKey,
    verify(message, signature) {
      const t = cosignatureTimestamp(signature);
      return t !== undefined && k.verifyEd25519(cosignatureMessage(message, t), signature.subarray(8));
    },
  };
}

/** A cosigner's key hash (signature type 0x04). */
export function cosignerKeyHash(name: string, publicKey: Uint8Array): Uint8Array {
  return keyHash(name, publicKey, ALG_COSIGNATURE_V1);
}

/**
 * Cosigns a checkpoint body at `timestamp` (seconds): the note signature line, newline included.
 * `signer.sign` signs raw Ed25519 with the cosigner's key.
 */
export async function cosign(body: string, timestamp: number, signer: NoteSigner): Promise<string> {
  const sig = await signer.sign(cosignatureMessage(body, timestamp));
  if (sig.byteLength !== 64) throw new RangeError('an Ed25519 signature has 64 bytes');
  const blob = new Uint8Array(4 + COSIGNATURE_BYTES);
  blob.set(cosignerKeyHash(signer.name, signer.publicKey), 0);
  new DataView(blob.buffer).setBigUint64(4, BigInt(timestamp));
  blob.set(sig, 12);
  return `${SIG_PREFIX}${signer.name} ${toBase64(blob)}\n`;
}

/** The note's text (up to and including the newline before the blank line) and its signature lines. */
export function splitNote(note: string): { text: string; lines: string[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    throw new LogError(
      'VERITY_E_LOG_NOTE_INVALID',
      'the note has no signature block (a blank line, then signature lines)',
    );
  return { text: note.slice(0, split + 1), lines: note.slice(split + 2, -1).split('\n') };
}

/** Whether a signature line is by `key` (same name and key hash); false for malformed lines. */
export function isLineBy(line: string, key: NoteVerifier): boolean {
  try {
    const { name, blob } = parseSignatureLine(line);
    return name === key.name && bytesEqual(blob.subarray(0, 4), key.keyHash);
  } catch {
    return false;
  }
}

/** A cosignature that verified: the cosigner's name and when it signed. */
export interface VerifiedCosignature {
  readonly name: string;
  readonly keyHash: string;
  readonly timestamp: number;
}

/**
 * Opens a checkpoint that must be signed by the log key (and have `origin`, when given) and be
 * cosigned by at least `quorum` distinct keys among `cosigners` (C2SP tlog-cosignature; other
 * signatures are ignored). A signature by a
 * given key that does not verify refuses the whole note (VERITY_E_LOG_SIGNATURE_INVALID), as signed
 * notes ask; too few cosignatures is VERITY_E_WITNESS_QUORUM.
 */
export function verifyCosignedCheckpoint(
  note: string,
  o: {
    readonly log: NoteVerifier;
    readonly cosigners: readonly NoteVerifier[];
    readonly quorum: number;
    readonly origin?: string;
  },
): { checkpoint: Checkpoint; text: string; cosignatures: VerifiedCosignature[] } {
  if (!Number.isSafeInteger(o.quorum) || o.quorum < 0 || o.quorum > o.cosigners.length)
    throw new RangeError(`the quorum must be between 0 and the ${o.cosigners.length} witness keys`);
  const opened = openNote(note, [o.log, ...o.cosigners]);
  const is = (s: { name: string; keyHash: Uint8Array }, k: NoteVerifier) =>
    s.name === k.name && bytesEqual(s.keyHash, k.keyHash);
  if (!opened.verified.some((s) => is(s, o.log)))
    throw new LogError(
      'VERITY_E_LOG_SIGNATURE_INVALID',
      `the checkpoint is not signed by the log key ${quote(o.log.name)}; check that you use the right log key`,
    );
  const checkpoint = parseCheckpoint(opened.text);
  if (o.origin !== undefined && checkpoint.origin !== o.origin)
    throw new LogError(
      'VERITY_E_LOG_CHECKPOINT_INVALID',
      `checkpoint invalid: origin ${quote(checkpoint.origin)} is not the expected ${quote(o.origin)}`,
    );
  // openNote verified every signature by a given key; read the timestamps of those by cosigners.
  const cosignatures: VerifiedCosignature[] = [];
  const seen = new Set<string>();
  for (const line of splitNote(note).lines) {
    const { name, blob } = parseSignatureLine(line);
    const k = o.cosigners.find((c) => c.name === name && bytesEqual(c.keyHash, blob.subarray(0, 4)));
    const id = `${name}+${toHex(blob.subarray(0, 4))}`;
    if (k === undefined || k === o.log || seen.has(id)) continue;
    seen.add(id);
    cosignatures.push({ name, keyHash: toHex(k.keyHash), timestamp: cosignatureTimestamp(blob.subarray(4)) ?? 0 });
  }
  if (cosignatures.length < o.quorum)
    throw new WitnessError(
      'VERITY_E_WITNESS_QUORUM',
      `the checkpoint of size ${checkpoint.size} carries ${cosignatures.length} valid cosignature(s) by the ${o.cosigners.length} witness key(s) given; ${o.quorum} are required (wait for the witnesses to cosign it, or check the witness keys)`,
      { details: { size: checkpoint.size, cosigned: cosignatures.length, quorum: o.quorum } },
    );
  return { checkpoint, text: opened.text, cosignatures };
}

/**
 * Adds cosignature lines to a signed note; lines by a key the note already carries a signature of
 * (same name and key hash) are left out.
 */
export function addCosignatures(note: string, lines: readonly string[]): string {
  const { lines: existing } = splitNote(note);
  const ids = new Set(existing.map(lineId));
  let out = note;
  for (const l of lines) {
    const id = lineId(l);
    if (ids.has(id)) continue;
    ids.add(id);
    out += `${l}\n`;
  }
  return out;
}

function lineId(line: string): string {
  const { name, blob } = parseSignatureLine(line);
  return `${name}+${toHex(blob.subarray(0, 4))}`;
}
