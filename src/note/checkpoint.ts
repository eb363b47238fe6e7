import { fromBase64, toBase64 } from '../encoding/index.ts';
import { LogError, quote } from '../errors/index.ts';
import { type NoteVerifier, openNote } from './note.ts';

/** A C2SP tlog-checkpoint body. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

function invalid(what: string): LogError {
  return new LogError('VERITY_E_LOG_CHECKPOINT_INVALID', `checkpoint invalid: ${what}`);
}

/** The checkpoint body: origin, decimal size, base64 root hash, extension lines; each ending in a newline. */
export function formatCheckpoint(c: {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}): string {
  if (c.origin.length === 0 || /[\n\u0000-\u001f]/.test(c.origin))
    throw new RangeError('checkpoint origin must be one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0)
    throw new RangeError('checkpoint size must be a non-negative safe integer');
  if (c.rootHash.byteLength !== 32) throw new RangeError('checkpoint root hash must have 32 bytes');
  const ext = c.extensions ?? [];
  for (const e of ext)
    if (e.length === 0 || e.includes('\n'))
      throw new RangeError('checkpoint extension lines must be non-empty single lines');
  return [c.origin, String(c.size), toBase64(c.rootHash), ...ext].map((l) => `${l}\n`).join('');
}

/** Parses a checkpoint body strictly (attacker-controlled). */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw invalid('the body must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw invalid('it needs an origin, a size and a root hash line');
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw invalid('the origin line is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size)))
    throw invalid(`tree size ${quote(size)} is not a decimal number`);
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(root, 'root hash');
  } catch {
    throw invalid('the root hash is not standard base64');
  }
  if (rootHash.byteLength !== 32) throw invalid('the root hash does not have 32 bytes');
  for (const e of extensions) if (e.length === 0) throw invalid('an extension line is empty');
  return { origin, size: Number(size), rootHash, extensions };
}

/** Opens a signed checkpoint note with one verifier and parses its body; checks the origin when given. */
export function verifyCheckpoint(
  note: string,
  verifier: NoteVerifier,
  expectedOrigin?: string,
): { checkpoint: Checkpoint; text: string } {
  const { text } = openNote(note, [verifier]);
  const checkpoint = parseCheckpoint(text);
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw invalid(`origin ${quote(checkpoint.origin)} is not the expected ${quote(expectedOrigin)}`);
  }
  return { checkpoint, text };
}
