// The log's side of C2SP tlog-witness: sends a checkpoint to a witness with a consistency proof
// from the size the witness last cosigned (learned from its 409 answers), checks the cosignature
// it returns, and turns refusals into what they mean for the log: rolled back, forked, refused.

import { fromUtf8, readBounded } from '../encoding/index.ts';
import { isVerityError, quote, WitnessError } from '../errors/index.ts';
import { isLineBy, type NoteVerifier, openNote, parseCosignerKey, splitNote } from '../note/index.ts';
import { formatAddCheckpoint, MAX_RESPONSE_BYTES, parseSizeBody, SIZE_MEDIA_TYPE } from './protocol.ts';

/** A witness as a log is configured with it: its submission URL prefix and its cosigner key. */
export interface WitnessEndpoint {
  readonly url: string;
  readonly key: string;
}

/** The answer to one add-checkpoint request. */
export type AddCheckpointResult =
  | { readonly kind: 'cosigned'; readonly lines: readonly string[] }
  | { readonly kind: 'conflict'; readonly size: number };

/** Consistency proof (base64 hashes) from tree size `from` to `to` of the log. */
export type Prover = (from: number, to: number) => Promise<readonly string[]>;

function checkUrl(url: string): string {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.search !== '' || u.hash !== '')
    throw new WitnessError(
      'VERITY_E_WITNESS_KEY_INVALID',
      `witness URL ${quote(url)} must be an http(s) URL prefix without query, e.g. http://127.0.0.1:9001`,
    );
  return u.href.replace(/\/+$/, '');
}

/**
 * Parses `URL=VKEY` (the `--witness` option): the witness's submission prefix and its cosigner
 * key. The first `=` after which a valid key follows splits them.
 */
export function parseWitnessEndpoint(text: string): WitnessEndpoint {
  if (typeof text !== 'string' || text.length > 2048)
    throw new WitnessError('VERITY_E_WITNESS_KEY_INVALID', 'a witness must be given as URL=KEY');
  let firstError: unknown;
  for (let i = text.indexOf('='); i >= 0; i = text.indexOf('=', i + 1)) {
    try {
      const key = text.slice(i + 1);
      parseCosignerKey(key);
      return { url: checkUrl(text.slice(0, i)), key };
    } catch (e) {
      firstError ??= e;
    }
  }
  throw new WitnessError(
    'VERITY_E_WITNESS_KEY_INVALID',
    `witness ${quote(text)} is not URL=KEY (the key as \`verity witness key\` prints it)${
      firstError instanceof Error ? `: ${firstError.message}` : ''
    }`,
  );
}

async function readLimited(res: Response, max: number): Promise<string> {
  const all =
    res.body === null
      ? new Uint8Array(0)
      : await readBounded(res.body.getReader(), max, () => new RangeError(`the answer is larger than ${max} bytes`));
  return fromUtf8(all, 'witness answer');
}

/** One witness, seen from a log. */
export class WitnessClient {
  readonly url: string;
  readonly key: NoteVerifier;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(e: WitnessEndpoint, o: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.url = checkUrl(e.url);
    this.key = parseCosignerKey(e.key);
    this.#fetch = o.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = o.timeoutMs ?? 5000;
  }

  /** How messages name this witness. */
  get label(): string {
    return `witness ${quote(this.key.name)} at ${this.url}`;
  }

  #error(code: 'VERITY_E_WITNESS_REFUSED' | 'VERITY_E_WITNESS_RESPONSE_INVALID', what: string): WitnessError {
    return new WitnessError(code, `${this.label} ${what}`, { details: { witness: this.key.name, url: this.url } });
  }

  /** One add-checkpoint request: `note` with `oldSize` and its consistency proof; `signal` cancels it. */
  async addCheckpoint(
    note: string,
    oldSize: number,
    proof: readonly string[],
    signal?: AbortSignal,
  ): Promise<AddCheckpointResult> {
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(`${this.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: formatAddCheckpoint({ oldSize, proof, note }),
        signal:
          signal === undefined
            ? AbortSignal.timeout(this.#timeoutMs)
            : AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
      text = await readLimited(res, MAX_RESPONSE_BYTES);
    } catch (cause) {
      // fetch says "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause.
      const c = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      const why =
        c.name === 'TimeoutError'
          ? `no answer in ${this.#timeoutMs} ms`
          : (c.cause?.code ?? c.cause?.message ?? c.message);
      throw new WitnessError(
        'VERITY_E_WITNESS_UNAVAILABLE',
        `${this.label} is unreachable (${String(why).slice(0, 120)})`,
        { cause, details: { witness: this.key.name, url: this.url } },
      );
    }
    if (res.status === 200) return { kind: 'cosigned', lines: this.#cosignatures(note, text) };
    if (res.status === 409) {
      const size = (res.headers.get('content-type') ?? '').startsWith(SIZE_MEDIA_TYPE)
        ? parseSizeBody(text)
        : undefined;
      if (size === undefined)
        throw this.#error('VERITY_E_WITNESS_RESPONSE_INVALID', 'answered 409 without its tree size');
      return { kind: 'conflict', size };
    }
    const reason = this.#reason(text);
    if (res.status === 422)
      throw new WitnessError(
        'VERITY_E_WITNESS_FORK',
        `${this.label} refused the consistency proof from size ${oldSize}: its view of this log is not a prefix of the log's tree (the store was forked or rewritten)${reason}`,
        { details: { witness: this.key.name, url: this.url, size: oldSize } },
      );
    if (res.status === 403)
      throw this.#error(
        'VERITY_E_WITNESS_REFUSED',
        `does not accept the log's signature (403): it knows this log with another key${reason}`,
      );
    if (res.status === 404)
      throw this.#error(
        'VERITY_E_WITNESS_REFUSED',
        `does not follow this log (404): add it there with \`verity witness add-log --key LOGKEY\`, or check the URL${reason}`,
      );
    if (res.status >= 400 && res.status < 500)
      throw this.#error('VERITY_E_WITNESS_REFUSED', `refused the checkpoint (${res.status})${reason}`);
    throw new WitnessError('VERITY_E_WITNESS_UNAVAILABLE', `${this.label} answered ${res.status}${reason}`, {
      details: { witness: this.key.name, url: this.url, status: res.status },
    });
  }

  /** A short reason from an error body (Verity's JSON shape or text), for messages. */
  #reason(text: string): string {
    let m = text;
    try {
      const j = JSON.parse(text) as { error?: { message?: unknown } };
      if (typeof j.error?.message === 'string') m = j.error.message;
    } catch {
      // not JSON
    }
    m = m
      .replace(/[^\x20-\x7e]/g, ' ')
      .trim()
      .slice(0, 200);
    return m === '' ? '' : `: ${m}`;
  }

  /** The cosignature lines of this witness's key in a 200 answer, verified over the checkpoint. */
  #cosignatures(note: string, text: string): string[] {
    try {
      // As the protocol suggests: the answer appended to the checkpoint body is a signed note.
      openNote(`${splitNote(note).text}\n${text}`, [this.key]);
    } catch (e) {
      throw this.#error(
        'VERITY_E_WITNESS_RESPONSE_INVALID',
        `answered without a valid cosignature by its key: ${isVerityError(e) ? e.message : 'unreadable answer'}`,
      );
    }
    return text
      .slice(0, -1)
      .split('\n')
      .filter((l) => isLineBy(l, this.key));
  }

  /**
   * Gets this witness to cosign `note` (a checkpoint of `size` entries), starting from the size
   * the log believes the witness last cosigned (0 when unknown) and following its 409 answers.
   * Throws VERITY_E_WITNESS_ROLLBACK when the witness cosigned a larger tree than `size` (the
   * log's store went back), VERITY_E_WITNESS_FORK when its tree is not a prefix of the log's.
   */
  async submit(
    note: string,
    size: number,
    knownSize: number,
    prove: Prover,
    signal?: AbortSignal,
  ): Promise<{ lines: readonly string[] }> {
    let old = knownSize;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (old > size)
        throw new WitnessError(
          'VERITY_E_WITNESS_ROLLBACK',
          `${this.label} has cosigned this log at tree size ${old}, but the log has only ${size} entries: its store was rolled back (restored from an older copy?); serve the newest store`,
          { details: { witness: this.key.name, url: this.url, witnessSize: old, logSize: size } },
        );
      const proof = old === 0 || old === size ? [] : await prove(old, size);
      const r = await this.addCheckpoint(note, old, proof, signal);
      if (r.kind === 'cosigned') return { lines: r.lines };
      if (r.size === old) {
        if (old === size)
          throw new WitnessError(
            'VERITY_E_WITNESS_FORK',
            `${this.label} has cosigned another root for tree size ${size}: the log's store was forked or rewritten`,
            { details: { witness: this.key.name, url: this.url, witnessSize: old, logSize: size } },
          );
        throw this.#error('VERITY_E_WITNESS_RESPONSE_INVALID', `answered 409 with the size ${old} it was sent`);
      }
      old = r.size;
    }
    throw this.#error('VERITY_E_WITNESS_RESPONSE_INVALID', 'kept answering 409 with other tree sizes');
  }
}
