import type { AccessReport } from '../audit/index.ts';
import { InputError } from '../errors/index.ts';
import { checkIdentifier } from '../identifiers/index.ts';
import { type Checkpoint, parseVerifierKey } from '../note/index.ts';
import { type Appraiser, cachedAppraisal } from './attestation.ts';
import { proveConsistency, proveEntry } from './auditor.ts';
import {
  advance,
  type CheckpointStore,
  type LogTrust,
  latest,
  memoryCheckpoints,
  parseWitnesses,
  verifyNote,
} from './checkpoints.ts';
import { request } from './http.ts';
import { checkNames, query } from './identifiers.ts';
import {
  provenRefusal,
  type RecordAnswer,
  type VerifiedRecord,
  verifyErasureProof,
  verifyRecordAnswer,
} from './records.ts';
import { type VerifiedAccessReport, verifyAccessReport } from './reports.ts';

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
  readonly #fetch: typeof fetch;
  readonly #options: VerityClientOptions;
  /** The log as this client trusts it: key, origin, trusted checkpoint, witnesses. */
  readonly #log: LogTrust;
  /** With attestation pinned: the server's appraised evidence, appraised again once stale. */
  readonly #attested: (() => Promise<unknown>) | undefined;

  constructor(o: VerityClientOptions) {
    this.#options = o;
    this.#url = o.url.replace(/\/+$/, '');
    this.#token = o.token;
    const verifier = parseVerifierKey(o.verifierKey);
    // Bound: browsers refuse `fetch` called as a method of another object ("Illegal invocation").
    this.#fetch = o.fetch ?? ((input, init) => fetch(input, init));
    this.#log = {
      verifier,
      origin: o.origin ?? verifier.name,
      store: o.checkpoints ?? memoryCheckpoints(),
      witnesses: o.witnesses === undefined ? undefined : parseWitnesses(o.witnesses),
      verified: new Map(),
      get: (path) => this.#request('GET', path, undefined, false),
    };
    const a = o.attestation;
    this.#attested =
      a === undefined ? undefined : cachedAppraisal(a, { url: this.#url, fetch: this.#fetch, logKey: o.verifierKey });
  }

  async #request(method: string, path: string, body?: unknown, auth = true): Promise<Response> {
    checkNames(body);
    // INVARIANT: with attestation pinned, nothing sensitive (a body, the token) leaves before the
    // server's evidence is appraised; public reads (checkpoints, proofs) need no appraisal.
    if (body !== undefined || (auth && this.#token !== undefined)) await this.#attested?.();
    return request({ url: this.#url, token: this.#token, fetch: this.#fetch }, method, path, body, auth);
  }

  async #json<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    return (await (await this.#request(method, path, body, auth)).json()) as T;
  }

  /** The checkpoint this client trusts now, if any. */
  async trusted(): Promise<Checkpoint | undefined> {
    const note = await this.#log.store.load();
    return note === undefined ? undefined : verifyNote(this.#log, note);
  }

  /**
   * Fetches, verifies and (when newer) trusts the latest checkpoint; with witnesses, the newest
   * one they cosigned (refused without the quorum: VERITY_E_WITNESS_QUORUM).
   */
  checkpoint(): Promise<Checkpoint> {
    return latest(this.#log);
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
    let r: RecordAnswer;
    try {
      r = await this.#json('GET', `/v1/records/${id}?${q}`);
    } catch (e) {
      throw await provenRefusal(this.#log, e, id, o.version);
    }
    return verifyRecordAnswer(this.#log, id, o.version, r);
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
      origin: this.#log.origin,
      ...(w === undefined ? {} : { witnesses: { keys: w.keys, quorum: w.quorum } }),
    });
    // A report proven against a checkpoint off the log this client saw (a fork) is refused.
    await advance(this.#log, verified.header.checkpoint, true);
    return verified;
  }

  /** A record type's privacy label (JSON). */
  privacyLabel(type: string): Promise<Record<string, unknown>> {
    checkIdentifier(type, 'type');
    return this.#json('GET', `/v1/reports/labels/${encodeURIComponent(type)}`);
  }

  /**
   * Checks the proof that a record is erased (an erasure request's tombstone): under a signed
   * checkpoint consistent with what this client trusts, the state map holds the record erased.
   * Throws VERITY_E_STATE_PROOF_INVALID otherwise.
   */
  verifyErasure(id: string, state: unknown): Promise<{ treeSize: number }> {
    return verifyErasureProof(this.#log, id, state);
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
  proveConsistency(
    size1: number,
    size2: number,
  ): Promise<{ size1: number; size2: number; root1: Uint8Array; root2: Uint8Array; checkpoint: Checkpoint }> {
    return proveConsistency(this.#log, size1, size2);
  }

  /**
   * Proves one log entry here, for an auditor: its bytes are taken from the C2SP entry bundle that
   * holds it (not from a decoded copy), hashed to their leaf, and proven included in the trusted
   * checkpoint (fetched and checked for consistency first) by the server's RFC 9162 inclusion proof.
   * Answers the decoded entry when it is an audit entry (else `undefined`) and the tree size.
   */
  proveEntry(index: number): Promise<{ index: number; treeSize: number; leafHash: Uint8Array; entry: unknown }> {
    return proveEntry(this.#log, index);
  }

  /**
   * Checks a checkpoint an answer carries: signed by the log's key and consistent with the one this
   * client trusts (which it advances when newer).
   */
  verifiedCheckpoint(note: string): Promise<Checkpoint> {
    return advance(this.#log, note, true);
  }
}
