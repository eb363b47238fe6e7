import { InputError } from '../errors/index.ts';
import type { Finding } from './findings.ts';
import { MAX_SCAN_CHARS, type ScanOptions, scan } from './scan.ts';

/** Text held back so an entity cut by a chunk boundary is seen whole (longer than any entity). */
const HOLD = 256;
/** Released text kept in view for the words before an entity. */
const CONTEXT = 64;

export interface StreamOutput {
  /** The next committed piece of the stream, with the operator applied. */
  readonly text: string;
  /** Findings in that piece, offsets relative to the whole input stream so far. */
  readonly findings: Finding[];
}

/**
 * PII detection over a stream (live chat): `push` chunks as they arrive, get back the text that is
 * safe to release. The last part of the buffer (up to 256 characters, to the last whitespace) is
 * held until more text or `end()` arrives, so an e-mail or card number split across chunks is still
 * found; the concatenated outputs equal a one-shot scan of the whole text whenever no entity spans
 * more than the hold.
 */
export class PiiStream {
  readonly #options: ScanOptions;
  readonly #replace: ((text: string, findings: readonly Finding[]) => { text: string }) | undefined;
  #buffer = '';
  #offset = 0;
  /** The end of the text already released: recognizers read words before an entity (born, from). */
  #context = '';

  constructor(
    options: ScanOptions & { operator?: (text: string, findings: readonly Finding[]) => { text: string } } = {},
  ) {
    const { operator, ...scanOptions } = options;
    this.#options = scanOptions;
    this.#replace = operator;
  }

  push(chunk: string): StreamOutput {
    if (typeof chunk !== 'string') throw new InputError('VERITY_E_INPUT_INVALID', 'stream chunks are strings');
    this.#buffer += chunk;
    if (this.#buffer.length > MAX_SCAN_CHARS)
      throw new InputError('VERITY_E_INPUT_TOO_LARGE', 'a stream buffer without whitespace grew past 1 MiB');
    if (this.#buffer.length <= HOLD) return { text: '', findings: [] };
    // Commit up to the last whitespace before the hold window, so no token is cut.
    let cut = this.#buffer.length - HOLD;
    while (cut > 0 && !/\s/.test(this.#buffer[cut - 1] as string)) cut--;
    if (cut === 0) return { text: '', findings: [] };
    return this.#commit(cut);
  }

  end(): StreamOutput {
    return this.#commit(this.#buffer.length);
  }

  #commit(cut: number): StreamOutput {
    // Scan the buffer with what came before it in view, keep what starts inside the buffer.
    const lead = this.#context.length;
    const all = scan(this.#context + this.#buffer, this.#options)
      .filter((f) => f.start >= lead)
      .map((f) => ({ ...f, start: f.start - lead, end: f.end - lead }));
    // An entity that crosses the cut moves the cut past it.
    const end = all.filter((f) => f.start < cut).reduce((m, f) => Math.max(m, f.end), cut);
    const text = this.#buffer.slice(0, end);
    const local = all.filter((f) => f.start < end);
    this.#context = (this.#context + text).slice(-CONTEXT);
    this.#buffer = this.#buffer.slice(end);
    const base = this.#offset;
    this.#offset += end;
    return {
      text: this.#replace === undefined ? text : this.#replace(text, local).text,
      findings: local.map((f) => ({ ...f, start: f.start + base, end: f.end + base })),
    };
  }
}
