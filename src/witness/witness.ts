// The witness core (C2SP tlog-witness): for each log it follows, the last checkpoint it cosigned;
// it cosigns a new checkpoint only when the request's old size is that checkpoint's size and the
// RFC 9162 consistency proof from it verifies. Requests arriving together share one durable
// transaction (group commit); each is checked against the state its predecessors left.

import { type Clock, systemClock } from '../clock/index.ts';
import { bytesEqual } from '../encoding/index.ts';
import { isVerityError, quote, WitnessError } from '../errors/index.ts';
import { EMPTY_ROOT, verifyConsistency } from '../merkle/index.ts';
import {
  type Checkpoint,
  cosign,
  formatCosignerKey,
  type NoteSigner,
  type NoteVerifier,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
} from '../note/index.ts';
import { parseAddCheckpoint } from './protocol.ts';
import type { LogState, StateTx, WitnessState } from './state.ts';

/** Requests committed together at most. */
const MAX_BATCH = 256;

interface Pending {
  readonly origin: string;
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  readonly note: string;
  readonly text: string;
  readonly checkpoint: Checkpoint;
  readonly resolve: (line: string) => void;
  readonly reject: (e: unknown) => void;
}

/** What a witness is made of: its cosigning key (by name), its state, and a clock. */
export interface WitnessOptions {
  /** Signs with the witness's Ed25519 key; `name` is the witness's name. */
  readonly signer: NoteSigner;
  readonly state: WitnessState;
  readonly clock?: Clock;
}

/** 409: the witness's last cosigned size, which the client should send as `old`. */
export function conflict(size: number, why: string): WitnessError {
  return new WitnessError('VERITY_E_WITNESS_CONFLICT', `${why}; the witness's tree size is ${size}`, {
    details: { size },
  });
}

/**
 * A C2SP tlog-witness. Attacker-controlled requests are parsed strictly and refused with the
 * protocol's status codes as typed errors: VERITY_E_WITNESS_REQUEST_INVALID (400),
 * VERITY_E_WITNESS_SIGNATURE_INVALID (403), VERITY_E_WITNESS_LOG_UNKNOWN (404),
 * VERITY_E_WITNESS_CONFLICT (409, with `details.size`) and VERITY_E_WITNESS_PROOF_INVALID (422).
 *
 * @example
 * const w = new Witness({ signer, state: WitnessState.open('witness.db') });
 * w.addLog(logVerifierKey);
 * const line = await w.addCheckpoint(requestBody); // `— name base64(...)\n`
 */
export class Witness {
  readonly #signer: NoteSigner;
  readonly #state: WitnessState;
  readonly #clock: Clock;
  readonly #verifiers = new Map<string, NoteVerifier>();
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(o: WitnessOptions) {
    this.#signer = o.signer;
    this.#state = o.state;
    this.#clock = o.clock ?? systemClock;
  }

  /** The witness's name (its cosignatures' key name). */
  get name(): string {
    return this.#signer.name;
  }

  /** The witness's cosigner verifier key (`name+hash+base64(0x04 || key)`), for logs and clients. */
  get verifierKey(): string {
    return formatCosignerKey(this.#signer.name, this.#signer.publicKey);
  }

  /**
   * Follows a log: its checkpoints signed by `vkey` (origin: the key's name unless given) may be
   * cosigned from now on.
   */
  addLog(vkey: string, origin?: string): 'added' | 'known' {
    const v = parseVerifierKey(vkey);
    const o = origin ?? v.name;
    if (o.length === 0 || o.length > 1024 || /[\n\u0000-\u001f]/.test(o))
      throw new WitnessError('VERITY_E_WITNESS_REQUEST_INVALID', `log origin ${quote(o)} must be one line`);
    return this.#state.addLog(o, vkey);
  }

  /** The logs followed and what was last cosigned for each. */
  logs(): LogState[] {
    return this.#state.logs();
  }

  #verifier(log: LogState): NoteVerifier {
    let v = this.#verifiers.get(log.origin);
    if (v === undefined) {
      v = parseVerifierKey(log.vkey);
      this.#verifiers.set(log.origin, v);
    }
    return v;
  }

  /**
   * Handles an add-checkpoint request body; resolves with the cosignature line once the new state
   * is durable.
   */
  addCheckpoint(body: Uint8Array): Promise<string> {
    try {
      return this.#enqueue(body);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #enqueue(body: Uint8Array): Promise<string> {
    const req = parseAddCheckpoint(body);
    const nl = req.note.indexOf('\n');
    const origin = nl < 0 ? req.note : req.note.slice(0, nl);
    const log = this.#state.log(origin);
    if (log === undefined)
      throw new WitnessError(
        'VERITY_E_WITNESS_LOG_UNKNOWN',
        `this witness does not follow the log ${quote(origin)}; its operator adds it with \`verity witness add-log\``,
      );
    let text: string;
    try {
      text = openNote(req.note, [this.#verifier(log)]).text;
    } catch (e) {
      if (isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'))
        throw new WitnessError(
          'VERITY_E_WITNESS_SIGNATURE_INVALID',
          `the checkpoint carries no valid signature by the key this witness knows for ${quote(origin)}`,
        );
      throw new WitnessError('VERITY_E_WITNESS_REQUEST_INVALID', `add-checkpoint request: ${(e as Error).message}`);
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (e) {
      throw new WitnessError('VERITY_E_WITNESS_REQUEST_INVALID', `add-checkpoint request: ${(e as Error).message}`);
    }
    if (req.oldSize > checkpoint.size)
      throw new WitnessError(
        'VERITY_E_WITNESS_REQUEST_INVALID',
        `old size ${req.oldSize} is larger than the checkpoint's size ${checkpoint.size}`,
      );
    return new Promise((resolve, reject) => {
      this.#queue.push({ origin, ...req, text, checkpoint, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      const at = Math.floor(this.#clock.now() / 1000);
      let outcomes: (WitnessError | undefined)[];
      try {
        outcomes = this.#state.transaction((tx) => batch.map((p) => this.#check(tx, p, at)));
      } catch (e) {
        for (const p of batch) p.reject(e);
        continue;
      }
      // Durable: now each accepted checkpoint may be cosigned.
      batch.forEach((p, i) => {
        const refusal = outcomes[i];
        if (refusal !== undefined) p.reject(refusal);
        else cosign(p.text, at, this.#signer).then(p.resolve, p.reject);
      });
    }
  }

  /** The protocol's checks against the state inside the transaction; records the checkpoint when they pass. */
  #check(tx: StateTx, p: Pending, at: number): WitnessError | undefined {
    const cur = tx.get(p.origin);
    if (cur === undefined) return new WitnessError('VERITY_E_WITNESS_LOG_UNKNOWN', 'the log is no longer followed');
    const cp = p.checkpoint;
    if (p.oldSize !== cur.size)
      return conflict(cur.size, `old size ${p.oldSize} is not the last size this witness cosigned`);
    if (cp.size === p.oldSize) {
      if (cur.root !== undefined && !bytesEqual(cur.root, cp.rootHash))
        return conflict(
          cur.size,
          `the checkpoint's root differs from the one this witness cosigned for size ${cur.size}`,
        );
      if (cp.size === 0 && !bytesEqual(cp.rootHash, EMPTY_ROOT))
        return new WitnessError(
          'VERITY_E_WITNESS_PROOF_INVALID',
          'a checkpoint of size 0 must carry the empty tree root',
        );
    } else if (p.oldSize === 0) {
      if (p.proof.length !== 0)
        return new WitnessError(
          'VERITY_E_WITNESS_REQUEST_INVALID',
          'the consistency proof must be empty when old is 0',
        );
    } else {
      // (From 0 every tree is an extension, and the parser made sure the proof is empty.)
      try {
        verifyConsistency(p.oldSize, cp.size, p.proof, cur.root ?? EMPTY_ROOT, cp.rootHash);
      } catch {
        return new WitnessError(
          'VERITY_E_WITNESS_PROOF_INVALID',
          `the consistency proof from size ${p.oldSize} to ${cp.size} does not verify against the checkpoint this witness cosigned`,
        );
      }
    }
    const to = { size: cp.size, root: cp.rootHash, checkpoint: p.note, at };
    if (!tx.advance(p.origin, { size: cur.size, root: cur.root }, to))
      return conflict(tx.get(p.origin)?.size ?? cur.size, 'another request advanced this log first');
    return undefined;
  }

  close(): void {
    this.#state.close();
  }
}
