// Key transparency in the MLS client (FGMV-46 7.2.1, D174, D175): the keys members show in a room
// (their leaf's signature key and the identity in its credential) are checked against the key
// entries the service proves under a signed checkpoint (`POST /v1/mls/keys/lookup`): the checkpoint
// signed by the log key the client pinned (and cosigned by its witnesses, when it relies on some),
// consistent with every checkpoint the client trusted before, the state proof leading to the
// checkpoint's state root, the entry's object hashing to the proven value and holding the key.
// A key the proven state does not hold raises VERITY_E_MLS_KEY_UNPROVEN; a checkpoint off the
// client's view of the log (a fork shown to it, or to another member it compares with) raises
// VERITY_E_MLS_SPLIT_VIEW.
import { bytesEqual, toBase64Url } from '../encoding/index.ts';
import { isVerityError, MlsError } from '../errors/index.ts';
import { checkCheckpointAdvance, parseProofCase } from '../log/index.ts';
import { verifyConsistency } from '../merkle/index.ts';
import {
  type Checkpoint,
  type NoteVerifier,
  parseCosignerKey,
  parseVerifierKey,
  verifyCheckpoint,
  verifyCosignedCheckpoint,
} from '../note/index.ts';
import {
  stateDigest,
  stateKey,
  stateProofFromBase64,
  stateRootFromExtensions,
  verifyStateProof,
} from '../smt/index.ts';
import type { CheckpointStore } from './checkpoints.ts';
import { type Endpoint, request, requestJson } from './http.ts';

const KEYS_KIND = 'mls.keys';
const MAX_LOOKUP = 1000;

/** A member's key as the room shows it. */
export interface ShownKey {
  readonly identity: string;
  /** The signature public key of the member's leaf. */
  readonly signatureKey: Uint8Array;
}

/** What the client relies on to check keys: the log key, pinned out of band, and optionally witnesses. */
export interface KeyTransparencyOptions {
  /** The log's verifier key, obtained out of band (never from the server being checked). */
  readonly verifierKey: string;
  /** Expected checkpoint origin; default: the verifier key's name. */
  readonly origin?: string;
  /** Where the last checkpoint trusted is kept (memory by default). */
  readonly checkpoints?: CheckpointStore;
  /**
   * Witnesses (C2SP tlog-witness cosigner keys) and how many must have cosigned: the latest
   * checkpoint a proof is under must extend the newest one they cosigned.
   */
  readonly witnesses?: { readonly keys: readonly string[]; readonly quorum: number };
  /** Called with every alarm, thrown or not (an alarm met while receiving refuses that message only). */
  readonly onAlarm?: (alarm: MlsError) => void;
}

interface Answer {
  checkpoint: string;
  entries: {
    identity: string;
    object?: { id: string; owner: string; body: string; version: number; updatedAt: number };
    proof: string;
  }[];
}

class MemoryCheckpoints implements CheckpointStore {
  #note: string | undefined;
  load() {
    return this.#note;
  }
  save(note: string) {
    this.#note = note;
  }
}

/** The client's key transparency checks (used by MlsClient; exported for tests and tools). */
export class KeyTransparency {
  readonly #at: Endpoint;
  readonly #verifier: NoteVerifier;
  readonly #origin: string;
  readonly #store: CheckpointStore;
  readonly #witnesses: { keys: NoteVerifier[]; quorum: number } | undefined;
  readonly #onAlarm: ((alarm: MlsError) => void) | undefined;
  /** Keys checked already: identity to base64url signature keys. */
  readonly #proven = new Map<string, Set<string>>();

  constructor(at: Endpoint, o: KeyTransparencyOptions) {
    this.#at = at;
    this.#verifier = parseVerifierKey(o.verifierKey);
    this.#origin = o.origin ?? this.#verifier.name;
    this.#store = o.checkpoints ?? new MemoryCheckpoints();
    this.#onAlarm = o.onAlarm;
    if (o.witnesses !== undefined) {
      const keys = o.witnesses.keys.map(parseCosignerKey);
      if (!Number.isSafeInteger(o.witnesses.quorum) || o.witnesses.quorum < 1 || o.witnesses.quorum > keys.length)
        throw new RangeError(`the witness quorum must be between 1 and the ${keys.length} keys`);
      this.#witnesses = { keys, quorum: o.witnesses.quorum };
    }
  }

  /** Raises an alarm: reported to `onAlarm`, then thrown. */
  alarm(code: 'VERITY_E_MLS_KEY_UNPROVEN' | 'VERITY_E_MLS_SPLIT_VIEW', message: string, details: object): never {
    const e = new MlsError(code, message, { details: { ...details } });
    this.#onAlarm?.(e);
    throw e;
  }

  /** The checkpoint this client trusts now (signed note text), if any: what to compare with other members. */
  async trusted(): Promise<string | undefined> {
    return this.#store.load();
  }

  #verify(note: string): Checkpoint {
    try {
      return verifyCheckpoint(note, this.#verifier, this.#origin).checkpoint;
    } catch (cause) {
      return this.alarm(
        'VERITY_E_MLS_KEY_UNPROVEN',
        'the service proved keys under a checkpoint the log key did not sign',
        {
          cause: (cause as Error).message,
        },
      );
    }
  }

  /**
   * Checks that `note` and the trusted checkpoint are on one log (a consistency proof between them,
   * fetched from the server); the newer becomes the trusted one. A fork is VERITY_E_MLS_SPLIT_VIEW.
   */
  async #advance(note: string): Promise<void> {
    const next = this.#verify(note);
    const trustedNote = await this.#store.load();
    if (trustedNote === undefined) {
      await this.#store.save(note);
      return;
    }
    if (trustedNote === note) return;
    await this.consistent(trustedNote, note);
    if (next.size > this.#verify(trustedNote).size) await this.#store.save(note);
  }

  /** Proves two signed checkpoints are on one log (either may be the older); VERITY_E_MLS_SPLIT_VIEW if not. */
  async consistent(a: string, b: string): Promise<void> {
    const ca = this.#verify(a);
    const cb = this.#verify(b);
    const [older, newer, olderNote, newerNote] = ca.size <= cb.size ? [ca, cb, a, b] : [cb, ca, b, a];
    try {
      let proof: Uint8Array[] = [];
      if (newer.size > older.size && older.size > 0) {
        const res = await request(
          this.#at,
          'GET',
          `/v1/log/proofs/consistency?from=${older.size}&to=${newer.size}`,
          undefined,
          false,
        );
        const c = parseProofCase(await res.json());
        if (c.type !== 'consistency' || c.size1 !== older.size || c.size2 !== newer.size)
          throw new Error('a proof for other tree sizes');
        proof = c.proof;
      }
      checkCheckpointAdvance(olderNote, newerNote, proof, this.#verifier, this.#origin);
    } catch (cause) {
      if (isVerityError(cause, 'VERITY_E_MLS_SPLIT_VIEW')) throw cause;
      this.alarm(
        'VERITY_E_MLS_SPLIT_VIEW',
        `the log shown at size ${newer.size} does not extend the one shown at size ${older.size}: a split view`,
        { older: olderNote, newer: newerNote, cause: (cause as Error).message?.slice(0, 200) },
      );
    }
  }

  /** Views of the log other members showed that were proven consistent with this client's (size:root). */
  readonly #seenViews = new Set<string>();

  /**
   * This client's view of the log to show other members (D179): the size (8 bytes, big-endian)
   * and root hash of the checkpoint it trusts; undefined before it trusts one.
   */
  async view(): Promise<Uint8Array | undefined> {
    const note = await this.#store.load();
    if (note === undefined) return undefined;
    const cp = this.#verify(note);
    const out = new Uint8Array(40);
    new DataView(out.buffer).setBigUint64(0, BigInt(cp.size));
    out.set(cp.rootHash, 8);
    return out;
  }

  /**
   * Compares another member's view of the log (from `view()`, carried in their signed message)
   * with this client's: the same size must have the same root, and the smaller tree must be a
   * prefix of the larger (a consistency proof fetched from the server). VERITY_E_MLS_SPLIT_VIEW
   * otherwise: the service shows the two members different logs.
   */
  async compareView(view: Uint8Array, context: { groupId?: string; sender?: string } = {}): Promise<void> {
    if (view.length !== 40)
      return this.alarm('VERITY_E_MLS_SPLIT_VIEW', 'a member showed a malformed view of the log', context);
    const size = Number(new DataView(view.buffer, view.byteOffset, 8).getBigUint64(0));
    const root = view.slice(8);
    const id = `${size}:${toBase64Url(root)}`;
    const mine = await this.#store.load();
    if (mine === undefined || this.#seenViews.has(id)) return;
    const cp = this.#verify(mine);
    const split = (why: string): never =>
      this.alarm('VERITY_E_MLS_SPLIT_VIEW', `another member was shown a different log: ${why}`, {
        ...context,
        theirs: { size, root: toBase64Url(root) },
        mine: { size: cp.size, root: toBase64Url(cp.rootHash) },
      });
    if (!Number.isSafeInteger(size)) split('its size is out of range');
    if (size === cp.size) {
      if (!bytesEqual(root, cp.rootHash)) split('the same size with another root');
    } else {
      const [s1, s2, r1, r2] = size < cp.size ? [size, cp.size, root, cp.rootHash] : [cp.size, size, cp.rootHash, root];
      try {
        let proof: Uint8Array[] = [];
        if (s1 > 0) {
          const res = await request(
            this.#at,
            'GET',
            `/v1/log/proofs/consistency?from=${s1}&to=${s2}`,
            undefined,
            false,
          );
          const c = parseProofCase(await res.json());
          if (c.type !== 'consistency' || c.size1 !== s1 || c.size2 !== s2) throw new Error('a proof for other sizes');
          proof = c.proof;
        }
        verifyConsistency(s1, s2, proof, r1, r2);
      } catch (cause) {
        if (isVerityError(cause, 'VERITY_E_MLS_SPLIT_VIEW')) throw cause;
        split('the two trees are not one log');
      }
    }
    if (this.#seenViews.size > 1024) this.#seenViews.clear();
    this.#seenViews.add(id);
  }

  /** With witnesses: the newest checkpoint they cosigned, checked, and proven consistent with `note`. */
  async #witnessed(note: string): Promise<void> {
    const w = this.#witnesses;
    if (w === undefined) return;
    const res = await request(this.#at, 'GET', '/checkpoint', undefined, false);
    const cosigned = await res.text();
    verifyCosignedCheckpoint(cosigned, {
      log: this.#verifier,
      cosigners: w.keys,
      quorum: w.quorum,
      origin: this.#origin,
    });
    await this.consistent(cosigned, note);
  }

  /**
   * Checks every shown key against the key entries the service proves: throws
   * VERITY_E_MLS_KEY_UNPROVEN (or VERITY_E_MLS_SPLIT_VIEW) at the first that fails.
   */
  async check(shown: readonly ShownKey[], context: { groupId?: string } = {}): Promise<void> {
    const todo = shown.filter((s) => !this.#proven.get(s.identity)?.has(toBase64Url(s.signatureKey)));
    if (todo.length === 0) return;
    const identities = [...new Set(todo.map((s) => s.identity))];
    const entries = new Map<string, Set<string>>();
    for (let i = 0; i < identities.length; i += MAX_LOOKUP) {
      const part = identities.slice(i, i + MAX_LOOKUP);
      const answer = await requestJson<Answer>(this.#at, 'POST', '/v1/mls/keys/lookup', { identities: part });
      for (const [id, keys] of await this.#verifyAnswer(answer, part)) entries.set(id, keys);
    }
    for (const s of todo) {
      const key = toBase64Url(s.signatureKey);
      if (entries.get(s.identity)?.has(key) !== true)
        this.alarm(
          'VERITY_E_MLS_KEY_UNPROVEN',
          'a member shows a signature key that the proven key entry of their identity does not hold',
          { identity: s.identity, signatureKey: key, ...context },
        );
      const set = this.#proven.get(s.identity) ?? new Set<string>();
      set.add(key);
      this.#proven.set(s.identity, set);
    }
  }

  /** The proven signature keys of each identity asked for, from one lookup answer. */
  async #verifyAnswer(answer: Answer, asked: readonly string[]): Promise<Map<string, Set<string>>> {
    const unproven = (why: string, identity?: string): never =>
      this.alarm('VERITY_E_MLS_KEY_UNPROVEN', `the key lookup does not verify: ${why}`, {
        ...(identity === undefined ? {} : { identity }),
        checkpoint: typeof answer?.checkpoint === 'string' ? answer.checkpoint : '',
      });
    if (typeof answer !== 'object' || answer === null || typeof answer.checkpoint !== 'string')
      unproven('it carries no checkpoint');
    if (!Array.isArray(answer.entries) || answer.entries.length !== asked.length)
      unproven('it answers other identities');
    const cp = this.#verify(answer.checkpoint);
    // INVARIANT: keys are trusted only under a checkpoint on the one log this client has seen.
    await this.#advance(answer.checkpoint);
    await this.#witnessed(answer.checkpoint);
    const root = stateRootFromExtensions(cp.extensions);
    if (root === undefined) unproven('the checkpoint commits to no state map');
    const out = new Map<string, Set<string>>();
    for (const e of answer.entries) {
      // Attacker-controlled: every field is checked before use.
      if (typeof e?.identity !== 'string' || !asked.includes(e.identity) || out.has(e.identity))
        unproven('an entry is for an identity not asked about');
      let value: Uint8Array | undefined;
      try {
        value = verifyStateProof(
          root as Uint8Array,
          stateKey(`object.${KEYS_KIND}`, e.identity),
          stateProofFromBase64(e.proof),
        );
      } catch {
        unproven('a state proof does not lead to the checkpoint’s state root', e.identity);
      }
      const o = e.object;
      if (o === undefined) {
        if (value !== undefined) unproven('an entry the map holds was left out', e.identity);
        out.set(e.identity, new Set());
        continue;
      }
      if (
        typeof o.body !== 'string' ||
        o.id !== e.identity ||
        o.owner !== e.identity ||
        !Number.isSafeInteger(o.version) ||
        !Number.isSafeInteger(o.updatedAt)
      )
        unproven('an entry is not the one its identity names', e.identity);
      const digest = stateDigest('object', [KEYS_KIND, o.id, o.owner, o.body, o.version, o.updatedAt]);
      if (value === undefined || !bytesEqual(value, digest))
        unproven('the state map does not hold the entry as sent', e.identity);
      let keys: unknown;
      try {
        const doc = JSON.parse(o.body) as { identity?: unknown; signatureKeys?: unknown };
        keys = doc.identity === e.identity ? doc.signatureKeys : undefined;
      } catch {
        keys = undefined;
      }
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string'))
        unproven('an entry is malformed', e.identity);
      out.set(e.identity, new Set(keys as string[]));
    }
    return out;
  }
}
