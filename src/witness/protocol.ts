// The C2SP tlog-witness wire format: the add-checkpoint request body (`old N`, consistency proof
// lines, a blank line, the signed checkpoint) and the 409 answer (`text/x.tlog.size`).

import { fromBase64, toBase64 } from '../encoding/index.ts';
import { quote, WitnessError } from '../errors/index.ts';
import { HASH_SIZE } from '../merkle/index.ts';

/** Largest add-checkpoint body a witness reads (a checkpoint with many signatures fits easily). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Largest answer a client reads from a witness. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** At most this many consistency proof lines (the protocol's limit). */
export const MAX_PROOF_LINES = 63;
/** The media type of a witness's 409 answer: its tree size in decimal and a newline. */
export const SIZE_MEDIA_TYPE = 'text/x.tlog.size';

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/** An add-checkpoint request. */
export interface AddCheckpoint {
  /** The tree size of the checkpoint the witness last cosigned, as the client believes it. */
  readonly oldSize: number;
  /** RFC 9162 consistency proof from `oldSize` to the checkpoint's size. */
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note. */
  readonly note: string;
}

function bad(what: string): WitnessError {
  return new WitnessError('VERITY_E_WITNESS_REQUEST_INVALID', `add-checkpoint request: ${what}`);
}

/** A decimal tree size: no sign, no leading zero, a safe integer. */
export function parseSize(text: string): number | undefined {
  return DECIMAL.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
}

/** Formats an add-checkpoint request body. */
export function formatAddCheckpoint(r: {
  oldSize: number;
  proof: readonly (Uint8Array | string)[];
  note: string;
}): string {
  if (!Number.isSafeInteger(r.oldSize) || r.oldSize < 0)
    throw new RangeError('old size must be a non-negative integer');
  if (r.proof.length > MAX_PROOF_LINES) throw new RangeError(`at most ${MAX_PROOF_LINES} proof lines`);
  const proof = r.proof.map((p) => `${typeof p === 'string' ? p : toBase64(p)}\n`).join('');
  return `old ${r.oldSize}\n${proof}\n${r.note}`;
}

/**
 * Parses an add-checkpoint request body (attacker-controlled): strict UTF-8, `old N` with no
 * leading zeros, at most 63 proof lines of one 32-byte hash each, a blank line, then the note
 * (checked by the caller). VERITY_E_WITNESS_REQUEST_INVALID when it is not one.
 */
export function parseAddCheckpoint(body: Uint8Array): AddCheckpoint {
  if (body.byteLength > MAX_REQUEST_BYTES) throw bad(`the body is larger than ${MAX_REQUEST_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw bad('the body is not UTF-8');
  }
  let at = text.indexOf('\n');
  if (at < 0) throw bad('the body must start with an `old N` line');
  const first = text.slice(0, at);
  const oldSize = first.startsWith('old ') ? parseSize(first.slice(4)) : undefined;
  if (oldSize === undefined)
    throw bad(`the first line ${quote(first)} is not \`old N\` (a decimal without leading zeros)`);
  const proof: Uint8Array[] = [];
  for (;;) {
    const end = text.indexOf('\n', at + 1);
    if (end < 0) throw bad('the proof lines must end with a blank line before the checkpoint');
    const line = text.slice(at + 1, end);
    at = end;
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES) throw bad(`more than ${MAX_PROOF_LINES} consistency proof lines`);
    let h: Uint8Array;
    try {
      h = fromBase64(line, 'proof line');
    } catch {
      throw bad(`proof line ${proof.length + 1} is not standard base64`);
    }
    if (h.byteLength !== HASH_SIZE) throw bad(`proof line ${proof.length + 1} is not one ${HASH_SIZE}-byte hash`);
    proof.push(h);
  }
  if (oldSize === 0 && proof.length > 0) throw bad('the consistency proof must be empty when old is 0');
  const note = text.slice(at + 1);
  if (note === '') throw bad('no checkpoint after the blank line');
  return { oldSize, proof, note };
}

/** Parses a 409 answer's body: the witness's tree size and a newline. */
export function parseSizeBody(text: string): number | undefined {
  return text.endsWith('\n') ? parseSize(text.slice(0, -1)) : undefined;
}
