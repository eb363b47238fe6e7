import { type AccessReport, contentCommitment, decodeAuditEntry } from '../audit/index.ts';
import {
  bytesEqual,
  canonicalJsonBytes,
  checkIdentifier,
  fromBase64,
  fromBase64Url,
  type JsonValue,
} from '../encoding/index.ts';
import type { ErrorCode } from '../errors/index.ts';
import { InputError, isVerityError, LogError, VerityError, WitnessError } from '../errors/index.ts';
import { checkCheckpointAdvance, parseProofCase } from '../log/index.ts';
import { entryBundlePath, hashLeaf, TILE_WIDTH, verifyConsistency, verifyInclusion } from '../merkle/index.ts';
import {
  type Checkpoint,
  type NoteVerifier,
  parseCosignerKey,
  parseVerifierKey,
  verifyCheckpoint,
  verifyCosignedCheckpoint,
} from '../note/index.ts';
import { stateRootFromExtensions, verifyRecordState } from '../smt/index.ts';
import type { Appraiser } from './attestation.ts';
import { request } from './http.ts';
import { type VerifiedAccessReport, verifyAccessReport } from './reports.ts';

/** Where a client keeps the last checkpoint it trusted (memory by default; persist it to survive restarts). */
export interface CheckpointStore {
  load(): string | undefined | Promise<string | undefined>;
  save(note: string): void | Promise<void>;
}

export interface VerityClientOptions {
  /** Base URL of a Verity server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Bearer token for the record endpoints. */
  readonly token?: string;
  /** The log's verifier key, obtained out of band (never from the server being checked). */
  readonly verifierKey: string;
  /** Expected checkpoint origin; default: the verifier key's name. */
  readonly origin?: string;
  readonly checkpoints?: CheckpointStore;
  readonly fetch?: typeof fetch;
  /**
   * Witnesses to rely on (C2SP tlog-witness): every checkpoint this client trusts must carry valid
   * cosignatures by at least `quorum` of these cosigner keys (`verity witness key`), so a log that
   * shows this client a view its witnesses did not see is refused. A record read waits up to
   * `waitMs` (default 5000) for a cosigned checkpoint that covers its write.
   */
  readonly witnesses?: { readonly keys: readonly string[]; readonly quorum: number; readonly waitMs?: number };
  /**
   * Remote attestation (RFC 9334, the SDK as verifier and relying party): before the first request
   * that carries data or the token, and again once the appraisal is older than `reattestAfterMs`
   * (default 5 minutes), `appraise` (`pinnedAttestation({ referenceValues, verifierKey })`) asks
   * the server for evidence with a fresh nonce and appraises it; the evidence must also name this
   * client's log key. A server that fails is sent nothing: the request rejects with the
   * attestation error (VERITY_E_ATTESTATION_MEASUREMENT, ...), and the next request asks again.
   */
  readonly attestation?: { readonly appraise: Appraiser; readonly reattestAfterMs?: number };
}

/** A record as read and verified by the client. */
export interface VerifiedRecord {
  readonly data: unknown;
  readonly meta: {
    readonly id: string;
    readonly version: number;
    readonly contentHash: string;
    readonly logIndex: number;
    readonly [k: string]: unknown;
  };
  /** The checkpoint the record's write was proven against (now the client's trusted one, or older). */
  readonly checkpoint: Checkpoint;
  /** What the state map of that checkpoint holds for it: the record's current version, or the superseded version asked for. */
  readonly state: 'current' | 'version';
}

/** The subset of the Web Storage API a checkpoint store needs (`localStorage` in browsers). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * Keeps the trusted checkpoint in Web Storage (e.g. `localStorage`), so a page that reloads still
 * refuses a log that was rolled back or forked since its last visit.
 */
export function webStorageCheckpoints(storage: KeyValueStorage, key = 'verity.checkpoint'): CheckpointStore {
  return {
    load: () => storage.getItem(key) ?? undefined,
    save: (note: string) => storage.setItem(key, note),
  };
}

/** Fields of request bodies that name something (a subject, a purpose, a domain, ...). */
const NAMED = ['subject', 'player', 'type', 'purpose', 'domain', 'name', 'key'] as const;

/**
 * Checks the identifiers of a request before it leaves (see `checkIdentifier`): a lone surrogate
 * or an unnormalized id is refused here, not silently rewritten on the way to the server.
 */
function checkNames(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const b = body as Record<string, unknown>;
  for (const k of NAMED)
    if (typeof b[k] === 'string') checkIdentifier(b[k], k === 'subject' || k === 'player' ? 'subject id' : k);
  if (Array.isArray(b['guardians'])) for (const g of b['guardians']) checkIdentifier(g, 'guardian id');
}

/** A query string of identifiers (a purpose, a version), each checked first. */
function query(params: Record<string, string>): URLSearchParams {
  for (const [k, v] of Object.entries(params)) checkIdentifier(v, k);
  return new URLSearchParams(params);
}

/** The witness keys a client relies on, parsed. */
interface Witnesses {
  readonly keys: NoteVerifier[];
  readonly quorum: number;
  readonly waitMs: number;
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

/**
 * A typed client of Verity's HTTP API that trusts nothing it cannot check: every checkpoint must
 * be signed by the configured key, every newer checkpoint must come with a consistency proof from
 * the last one this client trusted (a forked or rolled-back log is refused), and every record read
 * must come with an inclusion proof of its write entry, which must name that record version and
 * its content commitment.
 */
export class VerityClient {
  readonly #url: string;
  readonly #token: string | undefined;
  readonly #verifier: NoteVerifier;
  readonly #origin: string;
  readonly #store: CheckpointStore;
  readonly #fetch: typeof fetch;
  readonly #witnesses: Witnesses | undefined;
  readonly #options: VerityClientOptions;

  constructor(o: VerityClientOptions) {
    this.#options = o;
    this.#url = o.url.replace(/\/+$/, '');
    this.#token = o.token;
    this.#verifier = parseVerifierKey(o.verifierKey);
    this.#origin = o.origin ?? this.#verifier.name;
    this.#store = o.checkpoints ?? new MemoryCheckpoints();
    // Bound: browsers refuse `fetch` called as a method of another object ("Illegal invocation").
    this.#fetch = o.fetch ?? ((input, init) => fetch(input, init));
    const w = o.witnesses;
    if (w !== undefined) {
      const keys = w.keys.map(parseCosignerKey);
      if (!Number.isSafeInteger(w.quorum) || w.quorum < 1 || w.quorum > keys.length)
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `the witness quorum must be between 1 and the ${keys.length} keys`,
        );
      this.#witnesses = { keys, quorum: w.quorum, waitMs: w.waitMs ?? 5000 };
    }
  }

  async #request(method: string, path: string, body?: unknown, auth = true): Promise<Response> {
    checkNames(body);
    // INVARIANT: with attestation pinned, nothing sensitive (a body, the token) leaves before the
    // server's evidence is appraised; public reads (checkpoints, proofs) need no appraisal.
    if (body !== undefined || (auth && this.#token !== undefined)) await this.#attested();
    return request({ url: this.#url, token: this.#token, fetch: this.#fetch }, method, path, body, auth);
  }

  #appraisal: { readonly at: number; readonly evidence: Promise<unknown> } | undefined;

  /** Appraises the server's evidence when attestation is pinned and the last appraisal is stale. */
  #attested(): Promise<unknown> | undefined {
    const o = this.#options.attestation;
    if (o === undefined) return undefined;
    const now = Date.now();
    const current = this.#appraisal;
    if (current !== undefined && now - current.at < (o.reattestAfterMs ?? 5 * 60_000)) return current.evidence;
    const evidence = o.appraise({ url: this.#url, fetch: this.#fetch, logKey: this.#options.verifierKey });
    const appraisal = { at: now, evidence };
    this.#appraisal = appraisal;
    // A failed appraisal is not kept: the next request asks again with a fresh nonce.
    evidence.catch(() => {
      if (this.#appraisal === appraisal) this.#appraisal = undefined;
    });
    return evidence;
  }

  async #json<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    return (await (await this.#request(method, path, body, auth)).json()) as T;
  }

  /** The checkpoint this client trusts now, if any. */
  async trusted(): Promise<Checkpoint | undefined> {
    const note = await this.#store.load();
    return note === undefined ? undefined : this.#verify(note);
  }

  /**
   * Checks `note` against the trusted checkpoint: signed by the key, and proven consistent with it
   * (the proof is fetched from the server). A newer one becomes the trusted one; an older one is
   * refused as a rollback unless `allowOlder`, and even then must be a prefix of the trusted tree.
   */
  /** Checkpoints whose signature this client verified, by their exact text (a signature check each costs ~0.1 ms). */
  readonly #verified = new Map<string, Checkpoint>();

  /** Verifies a signed checkpoint with this client's key, once per distinct text. */
  #verify(note: string): Checkpoint {
    const hit = this.#verified.get(note);
    if (hit !== undefined) return hit;
    const cp = verifyCheckpoint(note, this.#verifier, this.#origin).checkpoint;
    if (this.#verified.size >= 32) this.#verified.clear();
    this.#verified.set(note, cp);
    return cp;
  }

  async #advance(note: string, allowOlder: boolean): Promise<Checkpoint> {
    const next = this.#verify(note);
    const trustedNote = await this.#store.load();
    if (trustedNote === undefined) {
      await this.#store.save(note);
      return next;
    }
    // The very checkpoint this client trusts: nothing to prove.
    if (trustedNote === note) return next;
    const trusted = this.#verify(trustedNote);
    if (next.size < trusted.size && !allowOlder) {
      throw new LogError(
        'VERITY_E_LOG_ROLLBACK',
        `the log's latest checkpoint (size ${next.size}) is older than one this client trusted (size ${trusted.size}): it was rolled back`,
      );
    }
    const [older, newer, olderNote, newerNote] =
      next.size < trusted.size ? [next, trusted, note, trustedNote] : [trusted, next, trustedNote, note];
    let proof: Uint8Array[] = [];
    if (newer.size > older.size && older.size > 0) {
      const c = parseProofCase(
        await this.#json('GET', `/v1/log/proofs/consistency?from=${older.size}&to=${newer.size}`, undefined, false),
      );
      if (c.type !== 'consistency' || c.size1 !== older.size || c.size2 !== newer.size) {
        throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for other tree sizes');
      }
      proof = c.proof;
    }
    // A newer checkpoint must extend the trusted one; an older one (a lagging node) must be a
    // prefix of it. Either way a fork or a rewrite is refused; the trusted checkpoint only grows.
    checkCheckpointAdvance(olderNote, newerNote, proof, this.#verifier, this.#origin);
    if (next.size > trusted.size) await this.#store.save(note);
    return next;
  }

  /**
   * Fetches, verifies and (when newer) trusts the latest checkpoint; with witnesses, the newest
   * one they cosigned (refused without the quorum: VERITY_E_WITNESS_QUORUM).
   */
  async checkpoint(): Promise<Checkpoint> {
    if (this.#witnesses !== undefined) return this.#advance(await this.#cosigned(), false);
    const note = await (await this.#request('GET', '/v1/log/checkpoint', undefined, false)).text();
    return this.#advance(note, false);
  }

  /** The server's newest cosigned checkpoint, checked for the witness quorum. */
  async #cosigned(): Promise<string> {
    const w = this.#witnesses as Witnesses;
    const note = await (await this.#request('GET', '/checkpoint', undefined, false)).text();
    verifyCosignedCheckpoint(note, { log: this.#verifier, cosigners: w.keys, quorum: w.quorum, origin: this.#origin });
    return note;
  }

  /**
   * The newest cosigned checkpoint once it covers entry `index` (waiting up to the witnesses'
   * `waitMs`), with the leaf proven included in it; it becomes the trusted checkpoint.
   */
  async #witnessedInclusion(leaf: Uint8Array, index: number): Promise<Checkpoint> {
    const w = this.#witnesses as Witnesses;
    const deadline = Date.now() + w.waitMs;
    for (;;) {
      let note: string | undefined;
      try {
        note = await this.#cosigned();
      } catch (e) {
        if (!isVerityError(e, 'VERITY_E_WITNESS_QUORUM') || Date.now() >= deadline) throw e;
      }
      const cp = note === undefined ? undefined : verifyCheckpoint(note, this.#verifier, this.#origin).checkpoint;
      if (note !== undefined && cp !== undefined && cp.size > index) {
        const c = parseProofCase(
          await this.#json('GET', `/v1/log/proofs/inclusion?index=${index}&size=${cp.size}`, undefined, false),
        );
        if (c.type !== 'inclusion' || c.treeSize !== cp.size || c.leafIndex !== index)
          throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for another entry or tree');
        verifyInclusion(leaf, index, cp.size, c.proof, cp.rootHash);
        return this.#advance(note, true);
      }
      if (Date.now() >= deadline)
        throw new WitnessError(
          'VERITY_E_WITNESS_QUORUM',
          `entry ${index} is not yet in a checkpoint cosigned by ${w.quorum} witness(es) (the newest has size ${cp?.size ?? 0}); try again later`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Writes a record; resolves once it is durable on the server. */
  async putRecord(input: {
    subject: string;
    type: string;
    purpose: string;
    data: unknown;
    id?: string;
  }): Promise<{ id: string; version: number; logIndex: number; contentHash: string }> {
    return this.#json('POST', '/v1/records', input);
  }

  /**
   * Reads a record and verifies it: the proof's checkpoint is signed and consistent with what this
   * client trusted before; the write entry hashes to the proven leaf, names this record version and
   * the content commitment in the metadata; and the data with the returned salt recomputes that
   * commitment, so data altered anywhere between the write and this read is refused.
   */
  async getRecord(id: string, o: { purpose: string; version?: number }): Promise<VerifiedRecord> {
    if (!/^rec_[A-Za-z0-9_-]{22}$/.test(id)) throw new InputError('VERITY_E_INPUT_INVALID', 'not a record id');
    const q = query({
      purpose: o.purpose,
      ...(o.version === undefined ? {} : { version: String(o.version) }),
    });
    let r: {
      data: unknown;
      meta: VerifiedRecord['meta'];
      proof: { checkpoint?: unknown; entry?: unknown; contentSalt?: unknown } & Record<string, unknown>;
    };
    try {
      r = await this.#json('GET', `/v1/records/${id}?${q}`);
    } catch (e) {
      throw await this.#provenRefusal(e, id, o.version);
    }
    const tampered = (why: string) => new LogError('VERITY_E_LOG_TAMPERED', `record ${id}: ${why}`);
    if (
      typeof r.proof?.checkpoint !== 'string' ||
      typeof r.proof.entry !== 'string' ||
      typeof r.proof.contentSalt !== 'string'
    )
      throw tampered('the answer carries no checkpoint, entry or content salt');
    const c = parseProofCase(r.proof);
    if (c.type !== 'inclusion') throw tampered('the proof is not an inclusion proof');
    const entry = fromBase64(r.proof.entry, 'entry');
    const leaf = hashLeaf(entry);
    if (!bytesEqual(leaf, c.leafHash)) throw tampered('the entry does not hash to the proven leaf');
    let cp: Checkpoint;
    if (this.#witnesses === undefined) {
      // A proof may come from a node a little behind another: older is fine if it is a prefix.
      cp = await this.#advance(r.proof.checkpoint, true);
      if (cp.size !== c.treeSize || !bytesEqual(cp.rootHash, c.rootHash))
        throw tampered('the proof is not for the signed checkpoint');
      verifyInclusion(leaf, c.leafIndex, c.treeSize, c.proof, cp.rootHash);
    } else {
      // Only a checkpoint the witnesses cosigned is trusted: the write is proven in one.
      cp = await this.#witnessedInclusion(leaf, c.leafIndex);
    }
    const e = decodeAuditEntry(entry);
    if (
      c.leafIndex !== r.meta.logIndex ||
      e.resource !== `record:${r.meta.id}@${r.meta.version}` ||
      e.contentHash !== r.meta.contentHash ||
      r.meta.id !== id
    ) {
      throw tampered('the proven entry names another record or content');
    }
    // The data itself: it must be what the logged write committed to.
    let dataBytes: Uint8Array;
    try {
      dataBytes = canonicalJsonBytes(r.data as JsonValue);
    } catch {
      throw tampered('the data is not JSON the write could have committed to');
    }
    if (contentCommitment(fromBase64Url(r.proof.contentSalt, 'content salt'), dataBytes) !== e.contentHash)
      throw tampered('the data is not the content its logged write committed to');
    // And that this is the record's current version (or the version asked for) in the state map
    // the same checkpoint commits to: a stale or rolled-back row is refused.
    // The state proof comes with its own checkpoint (the server's latest when it answered; with
    // witnesses the read's proof may use an older, cosigned one): signed and consistent too.
    const sp = r.proof['state'] as { checkpoint?: unknown } | undefined;
    if (typeof sp?.checkpoint !== 'string') throw tampered('the answer carries no state proof');
    const scp =
      sp.checkpoint === r.proof.checkpoint && this.#witnesses === undefined
        ? cp
        : await this.#advance(sp.checkpoint, true);
    const stateRoot = stateRootFromExtensions(scp.extensions);
    if (stateRoot === undefined) throw tampered('the checkpoint commits to no state map');
    const st = verifyRecordState(r.proof['state'], stateRoot, id, o.version);
    if (st.kind === 'absent' || st.kind === 'erased')
      throw tampered(`the state map shows the record ${st.kind === 'absent' ? 'absent' : 'erased'}`);
    if (o.version === undefined && st.kind !== 'current') throw tampered('the version read is not the current one');
    let stored: { contentHash?: unknown };
    try {
      stored = JSON.parse(st.fields.meta) as { contentHash?: unknown };
    } catch {
      throw tampered('the state map holds metadata that is not JSON');
    }
    if (
      st.fields.version !== r.meta.version ||
      st.fields.logIndex !== r.meta.logIndex ||
      st.fields.type !== r.meta.type ||
      stored.contentHash !== r.meta.contentHash
    )
      throw tampered('the metadata is not what the state map holds');
    return { data: r.data, meta: r.meta, checkpoint: cp, state: st.kind };
  }

  /**
   * An unknown or erased record is a claim the server must prove: its answer carries a state proof
   * under a signed checkpoint (consistent with what this client trusts) that the map holds no such
   * record, or holds it erased. A refusal without one, or with one that shows otherwise, is refused.
   */
  async #provenRefusal(e: unknown, id: string, version: number | undefined): Promise<unknown> {
    if (!(e instanceof VerityError)) return e;
    const want =
      e.code === 'VERITY_E_RECORD_NOT_FOUND' ? 'absent' : e.code === 'VERITY_E_RECORD_ERASED' ? 'erased' : undefined;
    if (want === undefined) return e;
    const p = e.details?.['state'] as { checkpoint?: unknown } | undefined;
    const unproven = (why: string) =>
      new LogError('VERITY_E_STATE_PROOF_INVALID', `the server says record ${id} is ${want} but ${why}`);
    if (typeof p?.checkpoint !== 'string') return unproven('does not prove it');
    const cp = await this.#advance(p.checkpoint, true);
    const root = stateRootFromExtensions(cp.extensions);
    if (root === undefined) return unproven('its checkpoint commits to no state map');
    const scope = (p as { scope?: unknown }).scope;
    const found = verifyRecordState(p, root, id, scope === 'version' ? version : undefined);
    // A version above the current one does not exist either.
    const shows =
      found.kind !== 'absent' && found.kind !== 'erased' && version !== undefined && found.fields.version < version
        ? 'absent'
        : found.kind;
    if (shows !== want) return unproven(`its state proof shows it ${found.kind}`);
    return new VerityError(e.code, `${e.message} (proven by the state map at tree size ${cp.size})`, {
      details: { status: e.details?.['status'], proven: found.kind },
    });
  }

  /** Metadata of every version of a record. */
  async history(id: string, purpose: string): Promise<unknown[]> {
    return this.#json('GET', `/v1/records/${id}/history?${query({ purpose })}`);
  }

  /** The subject's records the caller may read. */
  query(subject: string, purpose: string): Promise<unknown[]> {
    return this.#json('POST', '/v1/records/query', { subject, purpose });
  }

  /**
   * Records whether a subject is a minor and who their guardians are (subjects), citing the
   * evidence (kind: parental-consent, court-order, guardianship-document or age-verification; the
   * log keeps its hash); the access policies read these facts about every record's owner. The
   * default policies allow it to a service token granted `guardianship.set`.
   */
  setGuardianship(
    subject: string,
    facts: { minor: boolean; guardians: readonly string[] },
    evidence: { kind: string; reference: string },
    purpose = 'guardianship',
  ): Promise<{ logIndex: number }> {
    return this.#json('PUT', '/v1/subjects/guardianship', { subject, purpose, ...facts, evidence });
  }

  // ---- player sessions (a platform service's token granted `session.open`) -------------------

  /** Opens a session for a player the calling service authenticated: its id, its token, its expiry (ms). */
  openSession(
    player: string,
    o: { purpose?: string; ttlSeconds?: number } = {},
  ): Promise<{ id: string; token: string; expiresAt: number }> {
    return this.#json('POST', '/v1/sessions', {
      player,
      purpose: o.purpose ?? 'authentication',
      ...(o.ttlSeconds === undefined ? {} : { ttlSeconds: o.ttlSeconds }),
    });
  }

  /** Revokes one session (the caller opened it, or holds `session.revoke`). */
  revokeSession(id: string): Promise<{ revoked: number }> {
    return this.#json('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
  }

  /** Revokes a player's sessions, or those one token opened, as far as the policies allow. */
  revokeSessions(which: { subject: string } | { opener: string }): Promise<{ revoked: number }> {
    return this.#json('POST', '/v1/sessions/revoke', which);
  }

  // ---- de-identification (FGMV-46 7.1.3) ----------------------------------------------------

  /** Keyed pseudonyms of `values` in `domain` (same value, same pseudonym, within the domain only). */
  pseudonymize(
    domain: string,
    values: readonly string[],
    purpose = 'analytics',
  ): Promise<{ version: number; pseudonyms: string[]; logIndex: number }> {
    return this.#json('POST', '/v1/deid/pseudonyms', { domain, purpose, values });
  }

  /** Replaces a subject's value by a random token (the value is sealed in the vault). */
  tokenize(
    subject: string,
    value: string,
    domain: string,
    purpose = 'service-provision',
  ): Promise<{ token: string; logIndex: number }> {
    return this.#json('POST', '/v1/deid/tokens', { subject, domain, purpose, value });
  }

  /** The value behind a token (re-identification: needs a purpose the policies allow; audited). */
  detokenize(token: string, purpose: string): Promise<{ value: string; domain: string; logIndex: number }> {
    return this.#json('POST', '/v1/deid/tokens/detokenize', { token, purpose });
  }

  /** FF1 encryption (NIST SP 800-38G) of values under a named server-side key; `tweak` is hex. */
  fpeEncrypt(
    key: string,
    values: readonly string[],
    o: { radix: number; alphabet?: string; tweak?: string; purpose?: string },
  ): Promise<{ values: string[]; logIndex: number }> {
    const { purpose = 'service-provision', ...rest } = o;
    return this.#json('POST', '/v1/deid/fpe/encrypt', { key, values, purpose, ...rest });
  }

  /** FF1 decryption (re-identification: needs a purpose the policies allow; audited). */
  fpeDecrypt(
    key: string,
    values: readonly string[],
    o: { radix: number; alphabet?: string; tweak?: string; purpose: string },
  ): Promise<{ values: string[]; logIndex: number }> {
    return this.#json('POST', '/v1/deid/fpe/decrypt', { key, values, ...o });
  }

  /** Personal data found in texts (and, with an operator, the redacted or masked texts). */
  scanPii(
    texts: readonly string[],
    o: {
      purpose?: string;
      operator?: 'none' | 'redact' | 'mask' | 'hash' | 'pseudonymize';
      domain?: string;
      types?: readonly string[];
      minScore?: number;
    } = {},
  ): Promise<{
    results: { text?: string; entities: { type: string; start: number; end: number; score: number }[] }[];
    logIndex: number;
  }> {
    const { purpose = 'service-provision', ...rest } = o;
    return this.#json('POST', '/v1/deid/pii/scan', { texts, purpose, ...rest });
  }

  /** k-anonymity with l-diversity of a table; hierarchies list each value then its generalizations up to `*`. */
  anonymize(input: {
    columns: readonly string[];
    rows: readonly (readonly string[])[];
    quasiIdentifiers: readonly string[];
    hierarchies: Record<string, readonly (readonly string[])[]>;
    k: number;
    l?: number;
    sensitive?: string;
    maxSuppression?: number;
    purpose?: string;
  }): Promise<{ columns: string[]; rows: string[][]; report: Record<string, unknown>; logIndex: number }> {
    const { purpose = 'analytics', ...rest } = input;
    return this.#json('POST', '/v1/deid/anonymize', { purpose, ...rest });
  }

  /** Registers a numeric dataset (sealed in the vault) with a total privacy budget. */
  createDataset(
    name: string,
    values: readonly number[],
    budget: { epsilon: number; delta: number },
    purpose = 'analytics',
  ): Promise<{ name: string; logIndex: number }> {
    return this.#json('POST', '/v1/deid/datasets', { name, values, purpose, ...budget });
  }

  /** A differentially private aggregate, charged to the dataset's budget. */
  queryDataset(
    name: string,
    q: {
      query: 'count' | 'sum' | 'mean' | 'histogram' | 'quantile';
      epsilon: number;
      delta?: number;
      mechanism?: 'laplace' | 'gaussian';
      lower?: number;
      upper?: number;
      edges?: readonly number[];
      q?: number;
      candidates?: number;
    },
    purpose = 'analytics',
  ): Promise<{
    value: number | number[];
    epsilon: number;
    delta: number;
    mechanism: string;
    granularity?: number;
    remainingEpsilon: number;
    remainingDelta: number;
  }> {
    return this.#json('POST', '/v1/deid/datasets/query', { name, purpose, ...q });
  }

  // ---- access reports, privacy labels, incidents (FGMV-46 7.1.5, 7.4.2) ---------------------

  /**
   * An access report, verified: a player session's own (no `subject`), or a subject's with a token
   * granted `report.access`. Every line's inclusion proof is checked against the report's
   * checkpoint, which must be signed by the log key (and cosigned by the witnesses this client
   * relies on) and consistent with the checkpoint this client trusts (see `verifyAccessReport`).
   */
  async accessReport(
    o: { purpose?: string; subject?: string; after?: number; limit?: number } = {},
  ): Promise<VerifiedAccessReport> {
    const params: Record<string, string> = { purpose: o.purpose ?? 'user-request' };
    if (o.subject !== undefined) params['subject'] = o.subject;
    for (const k of ['after', 'limit'] as const) {
      const v = o[k];
      if (v !== undefined) {
        if (!Number.isSafeInteger(v)) throw new InputError('VERITY_E_INPUT_INVALID', `\`${k}\` must be an integer`);
        params[k] = String(v);
      }
    }
    const report = await this.#json<AccessReport>('GET', `/v1/reports/access?${new URLSearchParams(params)}`);
    const w = this.#options.witnesses;
    const verified = verifyAccessReport(report, {
      verifierKey: this.#options.verifierKey,
      origin: this.#origin,
      ...(w === undefined ? {} : { witnesses: { keys: w.keys, quorum: w.quorum } }),
    });
    // A report proven against a checkpoint off the log this client saw (a fork) is refused.
    await this.#advance(verified.header.checkpoint, true);
    return verified;
  }

  /** A record type's privacy label (JSON). */
  privacyLabel(type: string): Promise<Record<string, unknown>> {
    checkIdentifier(type, 'type');
    return this.#json('GET', `/v1/reports/labels/${encodeURIComponent(type)}`);
  }

  /** Records a personal data breach (a token granted `incident.manage`); times in ms since the epoch. */
  openIncident(input: {
    description: string;
    categories: readonly string[];
    detectedAt?: number;
    awareAt?: number;
    affected?: { from: number; to: number; recordTypes?: string[]; actors?: string[]; actions?: string[] };
  }): Promise<Record<string, unknown> & { id: string; deadline: number; overdue: boolean }> {
    return this.#json('POST', '/v1/incidents', input);
  }

  /** The incidents (`overdue` for those past their 72-hour deadline without notifying the authority). */
  listIncidents(o: { status?: 'open' | 'notified' | 'closed'; overdue?: boolean } = {}): Promise<unknown[]> {
    const p = new URLSearchParams();
    if (o.status !== undefined) p.set('status', o.status);
    if (o.overdue !== undefined) p.set('overdue', String(o.overdue));
    return this.#json('GET', `/v1/incidents?${p}`);
  }

  /** One incident and its clock. */
  getIncident(id: string): Promise<Record<string, unknown>> {
    return this.#json('GET', `/v1/incidents/${encodeURIComponent(id)}`);
  }

  /** Records a notification sent (to the authority or the subjects) and its evidence. */
  notifyIncident(
    id: string,
    n: {
      to: 'authority' | 'subjects';
      reference: string;
      at?: number;
      evidenceHash?: string;
      subjects?: number;
      delayReason?: string;
    },
  ): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/incidents/${encodeURIComponent(id)}/notifications`, n);
  }

  /** Closes an incident. */
  closeIncident(id: string, c: { resolution: string; notRequired?: string }): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/incidents/${encodeURIComponent(id)}/close`, c);
  }

  /**
   * Checks the proof that a record is erased (an erasure request's tombstone): under a signed
   * checkpoint consistent with what this client trusts, the state map holds the record erased.
   * Throws VERITY_E_STATE_PROOF_INVALID otherwise.
   */
  async verifyErasure(id: string, state: unknown): Promise<{ treeSize: number }> {
    const p = state as { checkpoint?: unknown } | undefined;
    const bad = (why: string) =>
      new LogError('VERITY_E_STATE_PROOF_INVALID', `the erasure of record ${id} is not proven: ${why}`);
    if (typeof p?.checkpoint !== 'string') throw bad('no state proof');
    const cp = await this.#advance(p.checkpoint, true);
    const root = stateRootFromExtensions(cp.extensions);
    if (root === undefined) throw bad('its checkpoint commits to no state map');
    const found = verifyRecordState(p, root, id);
    if (found.kind !== 'erased') throw bad(`the state map shows it ${found.kind}`);
    return { treeSize: cp.size };
  }

  /** Files a data-subject request (a player: about themselves; a `rights.manage` token: `subject` and `identity`). */
  fileRightsRequest(input: {
    type: string;
    subject?: string;
    regime?: string;
    identity?: { evidenceKind: string; evidenceRef?: string };
    scope?: { purposes?: string[]; records?: string[] };
  }): Promise<Record<string, unknown> & { id: string; deadline: string; status: string }> {
    return this.#json('POST', '/v1/rights/requests', input);
  }

  /** A data-subject request with its notifications. */
  rightsRequest(id: string): Promise<Record<string, unknown> & { id: string; status: string }> {
    return this.#json('GET', `/v1/rights/requests/${encodeURIComponent(id)}`);
  }

  /** Data-subject requests (`overdue`: the open ones past their deadline). */
  rightsRequests(o: { overdue?: boolean } = {}): Promise<Record<string, unknown>[]> {
    return this.#json('GET', `/v1/rights/requests${o.overdue === true ? '?overdue=true' : ''}`);
  }

  /** Carries a data-subject request out and completes it (see `POST /v1/rights/requests/{id}/execute`). */
  executeRightsRequest(id: string, input: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/rights/requests/${encodeURIComponent(id)}/execute`, input);
  }

  /** Extends a request's deadline, or refuses the request, for a reason. */
  decideRightsRequest(
    id: string,
    op: 'extend' | 'refuse',
    why: { reason: string; note?: string },
  ): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/rights/requests/${encodeURIComponent(id)}/${op}`, why);
  }

  /** The key this server signs portability bundles with (fetch it once, from a source you trust). */
  rightsExportKey(): Promise<{ kty: 'OKP'; crv: 'Ed25519'; x: string }> {
    return this.#json('GET', '/v1/rights/export-key', undefined, false);
  }

  /** Imports another Verity's portability bundle for `subject`. */
  importRightsBundle(input: {
    bundle: string;
    exporterKey: { kty: 'OKP'; crv: 'Ed25519'; x: string };
    subject: string;
    purpose: string;
  }): Promise<{ imported: { from: string; id: string; logIndex: number }[]; logIndex: number }> {
    return this.#json('POST', '/v1/rights/import', input);
  }

  /** Runs retention (`dryRun`: report only). */
  runRetention(o: { dryRun?: boolean } = {}): Promise<Record<string, unknown>> {
    return this.#json('POST', '/v1/retention/run', o);
  }

  /** Erases every version of a record. */
  async erase(id: string, purpose: string): Promise<{ versions: number; logIndex: number }> {
    return this.#json('DELETE', `/v1/records/${id}?${query({ purpose })}`);
  }

  /**
   * A JSON call to any endpoint of the API with this client's token (for helpers built on the
   * client, such as `ConsentClient`): what it answers is not checked here.
   */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#json<T>(method, path, body);
  }

  /**
   * Proves, for an auditor, that the log's tree of `size1` entries is a prefix of its tree of
   * `size2` entries (RFC 9162 consistency), and that the tree of `size2` is a prefix of the latest
   * checkpoint this client trusts (fetched and checked first), so both roots it answers are roots
   * of the signed log. Compare them with checkpoints of those sizes kept elsewhere. Throws
   * VERITY_E_LOG_RANGE for sizes outside 0 <= size1 <= size2 <= the checkpoint's size and
   * VERITY_E_LOG_PROOF_INVALID when a proof fails.
   */
  async proveConsistency(
    size1: number,
    size2: number,
  ): Promise<{ size1: number; size2: number; root1: Uint8Array; root2: Uint8Array; checkpoint: Checkpoint }> {
    const cp = await this.checkpoint();
    if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2 || size2 > cp.size)
      throw new LogError(
        'VERITY_E_LOG_RANGE',
        `the sizes must satisfy 0 <= from <= to <= ${cp.size} (the latest checkpoint's size)`,
      );
    const prove = async (a: number, b: number) => {
      const c = parseProofCase(
        await this.#json('GET', `/v1/log/proofs/consistency?from=${a}&to=${b}`, undefined, false),
      );
      if (c.type !== 'consistency' || c.size1 !== a || c.size2 !== b)
        throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for other tree sizes');
      verifyConsistency(a, b, c.proof, c.root1, c.root2);
      return c;
    };
    // size2 -> the signed checkpoint first: it binds the root of size2 to a signature.
    const upper = size2 === cp.size ? undefined : await prove(size2, cp.size);
    if (upper !== undefined && !bytesEqual(upper.root2, cp.rootHash))
      throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the proof leads to another root than the signed checkpoint');
    const root2 = upper?.root1 ?? cp.rootHash;
    const lower = await prove(size1, size2);
    if (!bytesEqual(lower.root2, root2))
      throw new LogError('VERITY_E_LOG_PROOF_INVALID', `the two proofs name different roots for size ${size2}`);
    return { size1, size2, root1: lower.root1, root2, checkpoint: cp };
  }

  /**
   * Proves one log entry here, for an auditor: its bytes are taken from the C2SP entry bundle that
   * holds it (not from a decoded copy), hashed to their leaf, and proven included in the trusted
   * checkpoint (fetched and checked for consistency first) by the server's RFC 9162 inclusion proof.
   * Answers the decoded entry when it is an audit entry (else `undefined`) and the tree size.
   */
  async proveEntry(index: number): Promise<{ index: number; treeSize: number; leafHash: Uint8Array; entry: unknown }> {
    if (!Number.isSafeInteger(index) || index < 0) throw new InputError('VERITY_E_INPUT_INVALID', 'not an entry index');
    const cp = await this.checkpoint();
    if (index >= cp.size)
      throw new InputError('VERITY_E_INPUT_INVALID', `entry ${index} is beyond the log's ${cp.size} entries`);
    const bundleIndex = Math.floor(index / TILE_WIDTH);
    const full = (bundleIndex + 1) * TILE_WIDTH <= cp.size;
    const width = full ? TILE_WIDTH : cp.size - bundleIndex * TILE_WIDTH;
    const bytes = new Uint8Array(
      await (
        await this.#request('GET', `/${entryBundlePath(bundleIndex, full ? undefined : width)}`, undefined, false)
      ).arrayBuffer(),
    );
    // Attacker-controlled: walk the uint16 length prefixes with bounds checks.
    let at = 0;
    let entry: Uint8Array | undefined;
    for (let i = 0; i <= index % TILE_WIDTH; i++) {
      if (at + 2 > bytes.byteLength) throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the entry bundle is truncated');
      const len = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
      if (at + 2 + len > bytes.byteLength)
        throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the entry bundle is truncated');
      if (i === index % TILE_WIDTH) entry = bytes.subarray(at + 2, at + 2 + len);
      at += 2 + len;
    }
    const leaf = hashLeaf(entry as Uint8Array);
    const c = parseProofCase(
      await this.#json('GET', `/v1/log/proofs/inclusion?index=${index}&size=${cp.size}`, undefined, false),
    );
    if (c.type !== 'inclusion' || c.treeSize !== cp.size || c.leafIndex !== index)
      throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for another entry or tree');
    verifyInclusion(leaf, index, cp.size, c.proof, cp.rootHash);
    let decoded: unknown;
    try {
      decoded = decodeAuditEntry(entry as Uint8Array);
    } catch {
      decoded = undefined;
    }
    return { index, treeSize: cp.size, leafHash: leaf, entry: decoded };
  }

  /**
   * Checks a checkpoint an answer carries: signed by the log's key and consistent with the one this
   * client trusts (which it advances when newer).
   */
  verifiedCheckpoint(note: string): Promise<Checkpoint> {
    return this.#advance(note, true);
  }
}
