import { fromBase64, toBase64, toHex, utf8 } from '../encoding/index.ts';
import { LogError, quote } from '../errors/index.ts';
import { ed25519Verifier, sha256 } from '../platform/index.ts';

/** C2SP signed-note: algorithm byte of Ed25519 keys. */
export const ALG_ED25519 = 0x01;
/** Largest note accepted (attacker-controlled input). */
export const MAX_NOTE_BYTES = 1024 * 1024;
/** Most signature lines read before giving up (as golang.org/x/mod/sumdb/note does). */
export const MAX_SIGNATURES = 100;

const SIG_PREFIX = '\u2014 ';

/** A key that can check signatures on notes. */
export interface NoteVerifier {
  readonly name: string;
  /** First 4 bytes of SHA-256(name || "\n" || 0x01 || publicKey). */
  readonly keyHash: Uint8Array;
  readonly publicKey: Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A key that can sign notes (the private key stays wherever `sign` keeps it). */
export interface NoteSigner {
  readonly name: string;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** C2SP signed-note key names: non-empty, no whitespace, no `+`. */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !/[\s+]/u.test(name) && !/[\u0000-\u001f\u007f]/.test(name);
}

/**
 * C2SP signed-note key hash: first 4 bytes of SHA-256(name || "\n" || alg || publicKey); `alg` is
 * the signature type (0x01 Ed25519 note signatures, 0x04 timestamped Ed25519 cosignatures).
 */
export function keyHash(name: string, publicKey: Uint8Array, alg = ALG_ED25519): Uint8Array {
  const prefix = utf8(`${name}\n`);
  const buf = new Uint8Array(prefix.byteLength + 1 + publicKey.byteLength);
  buf.set(prefix, 0);
  buf[prefix.byteLength] = alg;
  buf.set(publicKey, prefix.byteLength + 1);
  return sha256(buf).slice(0, 4);
}

/** The verifier key string `name+hash+base64(alg || publicKey)` (alg 0x01 for log keys). */
export function formatVerifierKey(name: string, publicKey: Uint8Array, alg = ALG_ED25519): string {
  if (!isValidKeyName(name)) throw new RangeError('invalid note key name');
  if (publicKey.byteLength !== 32) throw new RangeError('an Ed25519 public key has 32 bytes');
  const key = new Uint8Array(33);
  key[0] = alg;
  key.set(publicKey, 1);
  return `${name}+${toHex(keyHash(name, publicKey, alg))}+${toBase64(key)}`;
}

function malformed(what: string): LogError {
  return new LogError('VERITY_E_LOG_NOTE_INVALID', what);
}

/** A parsed verifier key string: name, key hash and a checker of raw Ed25519 signatures. */
export interface ParsedKey {
  readonly name: string;
  readonly keyHash: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly verifyEd25519: (message: Uint8Array, signature: Uint8Array) => boolean;
}

/**
 * Parses a verifier key string `name+hash+base64(alg || key)` (attacker-controlled) whose
 * signature type must be `alg` with a 32-byte Ed25519 key; `fail` makes the error to throw.
 */
export function parseKeyString(vkey: string, alg: number, fail: (what: string, cause?: unknown) => Error): ParsedKey {
  if (typeof vkey !== 'string' || vkey.length > 512) throw fail('a verifier key must be a short string');
  // The base64 key may itself contain `+`: split at the first two only.
  const p1 = vkey.indexOf('+');
  const p2 = p1 < 0 ? -1 : vkey.indexOf('+', p1 + 1);
  if (p2 < 0) throw fail(`verifier key ${quote(vkey)} is not name+hash+key`);
  const name = vkey.slice(0, p1);
  const hash = vkey.slice(p1 + 1, p2);
  const b64 = vkey.slice(p2 + 1);
  if (!isValidKeyName(name)) throw fail(`verifier key name ${quote(name)} is not valid`);
  if (!/^[0-9a-f]{8}$/.test(hash)) throw fail(`verifier key hash ${quote(hash)} is not 8 lowercase hex digits`);
  let key: Uint8Array;
  try {
    key = fromBase64(b64, 'verifier key');
  } catch (cause) {
    throw fail('the verifier key is not valid base64', cause);
  }
  if (key.byteLength !== 33 || key[0] !== alg)
    throw fail(`the verifier key is not of signature type ${alg} with a 32-byte Ed25519 key`);
  const publicKey = key.subarray(1);
  const kh = keyHash(name, publicKey, alg);
  if (toHex(kh) !== hash) throw fail('the verifier key hash does not match its name and key');
  try {
    return { name, keyHash: kh, publicKey: new Uint8Array(publicKey), verifyEd25519: ed25519Verifier(publicKey) };
  } catch (cause) {
    throw fail('the verifier key is not a valid Ed25519 point', cause);
  }
}

/** Parses a verifier key string (attacker-controlled); only Ed25519 keys are accepted. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const k = parseKeyString(
    vkey,
    ALG_ED25519,
    (what, cause) => new LogError('VERITY_E_LOG_NOTE_INVALID', what, cause === undefined ? undefined : { cause }),
  );
  return { name: k.name, keyHash: k.keyHash, publicKey: k.publicKey, verify: k.verifyEd25519 };
}

/** C2SP signed-note text rules: non-empty, valid UTF-8 text ending in a newline, no control characters but newlines. */
function checkText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) throw malformed('note text must be non-empty and end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw malformed('note text contains control characters');
  if (text.includes('\n\n')) throw malformed('note text must not contain blank lines');
  if (!text.isWellFormed()) throw malformed('note text is not valid Unicode');
}

/** Signs `text` with every signer; returns the note: text, a blank line, one signature line each. */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  checkText(text);
  if (signers.length === 0) throw new RangeError('a note needs at least one signer');
  const msg = utf8(text);
  let out = `${text}\n`;
  for (const s of signers) {
    if (!isValidKeyName(s.name)) throw new RangeError('invalid note key name');
    const sig = await s.sign(msg);
    if (sig.byteLength !== 64) throw new RangeError('an Ed25519 signature has 64 bytes');
    const blob = new Uint8Array(68);
    blob.set(keyHash(s.name, s.publicKey), 0);
    blob.set(sig, 4);
    out += `${SIG_PREFIX}${s.name} ${toBase64(blob)}\n`;
  }
  return out;
}

/** A signature line's signer. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHash: Uint8Array;
}

/** The result of opening a note. */
export interface OpenedNote {
  readonly text: string;
  /** Signatures by known keys, all verified. */
  readonly verified: NoteSignature[];
  /** Signatures by keys not among the verifiers (not checked). */
  readonly unverified: NoteSignature[];
}

/**
 * Parses one signature line `— name base64(keyHash || signature)` (without its newline;
 * attacker-controlled). Throws VERITY_E_LOG_NOTE_INVALID when malformed.
 */
export function parseSignatureLine(line: string): { name: string; blob: Uint8Array } {
  if (!line.startsWith(SIG_PREFIX)) throw malformed('a signature line must start with an em dash and a space');
  const rest = line.slice(SIG_PREFIX.length);
  const sp = rest.indexOf(' ');
  if (sp < 0) throw malformed('a signature line must be `— name signature`');
  const name = rest.slice(0, sp);
  const b64 = rest.slice(sp + 1);
  if (!isValidKeyName(name) || b64 === '') throw malformed('a signature line has an invalid key name or no signature');
  let blob: Uint8Array;
  try {
    blob = fromBase64(b64, 'signature');
  } catch (cause) {
    throw new LogError('VERITY_E_LOG_NOTE_INVALID', 'a signature is not valid base64', { cause });
  }
  if (blob.byteLength < 5) throw malformed('a signature is too short');
  return { name, blob };
}

/**
 * Opens a signed note (attacker-controlled), following golang.org/x/mod/sumdb/note `Open`:
 * VERITY_E_LOG_NOTE_INVALID when malformed; VERITY_E_LOG_SIGNATURE_INVALID when a signature by a
 * known key fails, or when no known key signed it.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  if (typeof note !== 'string') throw malformed('a note must be text');
  if (utf8(note).byteLength > MAX_NOTE_BYTES) throw malformed(`a note may be at most ${MAX_NOTE_BYTES} bytes`);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('the note has no signature block (a blank line, then signature lines)');
  const text = note.slice(0, split + 1);
  const sigs = note.slice(split + 2);
  checkText(text);
  if (sigs.length === 0 || !sigs.endsWith('\n')) throw malformed('the signature block must end with a newline');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`a note may carry at most ${MAX_SIGNATURES} signatures`);
  const msg = utf8(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const { name, blob } = parseSignatureLine(line);
    const hash = blob.subarray(0, 4);
    const id = `${name}+${toHex(hash)}`;
    const v = verifiers.find((x) => x.name === name && toHex(x.keyHash) === toHex(hash));
    if (seen.has(id)) continue;
    seen.add(id);
    if (v === undefined) {
      unverified.push({ name, keyHash: new Uint8Array(hash) });
      continue;
    }
    if (!v.verify(msg, blob.subarray(4))) {
      throw new LogError(
        'VERITY_E_LOG_SIGNATURE_INVALID',
        `the signature by ${quote(name)} does not verify: the note was altered or forged`,
      );
    }
    verified.push({ name, keyHash: new Uint8Array(hash) });
  }
  if (verified.length === 0) {
    throw new LogError(
      'VERITY_E_LOG_SIGNATURE_INVALID',
      'the note is not signed by any expected key; check that you use the right verifier key',
    );
  }
  return { text, verified, unverified };
}
