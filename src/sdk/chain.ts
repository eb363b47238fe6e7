// `@verity/sdk/chain` (D233): Verity's view of the chain, read through a server and checked on the
// client. Every answer's rows are checked against the state map of a checkpoint signed with the
// pinned log key, the value the server states is compared with the proven row, and an agreement
// check is decided again from the proven rows. A second entry point, so that the main bundle does
// not grow by it.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { type ChainProofs, verifyChainProofs } from '../chainproof/index.ts';
import { canonicalJson } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import { type NoteVerifier, parseVerifierKey } from '../note/index.ts';
import { type Endpoint, requestJson } from './http.ts';

export type { ChainProofs, ProvenChainRow } from '../chainproof/index.ts';

export interface ChainReaderOptions {
  /** The Verity server's base URL. */
  readonly url: string;
  /** A token granted `chain.read` (and `chain.anchor` to anchor). */
  readonly token: string;
  /** The log's verifier key, pinned from a source you trust (`verity log key`), never from the server. */
  readonly verifierKey: string;
  /** The log's origin (default: the verifier key's name). */
  readonly origin?: string;
  readonly fetch?: typeof fetch;
}

/** A read and the rows that prove it, checked. */
export interface VerifiedChainRead<T> {
  readonly value: T;
  readonly tx: string;
  readonly block: number;
  /** The signed checkpoint the proofs lead to. */
  readonly checkpoint: string;
}

const bad = (why: string) => new LogError('VERITY_E_STATE_PROOF_INVALID', `chain state proof invalid: ${why}`);
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** A purpose or category as on chain: 32 bytes of hex, or the keccak-256 of a name. */
export function itemId(name: string): string {
  if (HEX32.test(name)) return name.toLowerCase();
  return `0x${Array.from(keccak_256(new TextEncoder().encode(name)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Reads agreements, goods, anchors and agreement checks and checks each answer (see the file
 * comment). It trusts the pinned key only: it does not keep a trusted checkpoint across reads
 * (`VerityClient` does, for the log itself).
 *
 * @example
 * const chain = new ChainReader({ url, token, verifierKey });
 * const { value } = await chain.agreement('0x…');
 */
export class ChainReader {
  readonly #at: Endpoint;
  readonly #verifier: NoteVerifier;
  readonly #origin: string;

  constructor(o: ChainReaderOptions) {
    this.#verifier = parseVerifierKey(o.verifierKey);
    this.#origin = o.origin ?? this.#verifier.name;
    const f = o.fetch ?? ((input, init) => fetch(input, init));
    this.#at = { url: o.url.replace(/\/+$/, ''), token: o.token, fetch: f };
  }

  /** The proven rows of an answer by `kind id`, each checked. */
  verify(evidence: ChainProofs): Map<string, { body: string } | null> {
    return verifyChainProofs(evidence, this.#verifier, this.#origin);
  }

  /** Checks that the stated value is the body of the one proven row of `kind`. */
  #same<T>(evidence: ChainProofs, kind: string, value: T): void {
    const rows = [...this.verify(evidence)].filter(([k]) => k.startsWith(`${kind} `));
    const row = rows[0]?.[1];
    if (rows.length !== 1 || row === null || row === undefined) throw bad(`the answer proves no ${kind} row`);
    if (canonicalJson(JSON.parse(row.body)) !== canonicalJson(value))
      throw bad(`the ${kind} stated is not the one proven`);
  }

  async #read<T>(path: string, field: string, kind: string): Promise<VerifiedChainRead<T>> {
    const a = await requestJson<Record<string, unknown> & { tx: string; block: number; evidence: ChainProofs }>(
      this.#at,
      'GET',
      path,
    );
    this.#same(a.evidence, kind, a[field]);
    return { value: a[field] as T, tx: a.tx, block: a.block, checkpoint: a.evidence.checkpoint };
  }

  /** How far the server's index of the chain goes: its cursor, proven (null before the first block). */
  async status(): Promise<{
    chainId: number;
    cursor: Record<string, unknown> | null;
    head: number | null;
    checkpoint: string;
  }> {
    const a = await requestJson<{
      chainId: number;
      cursor: Record<string, unknown> | null;
      head: number | null;
      evidence: ChainProofs;
    }>(this.#at, 'GET', '/v1/chain/status');
    const rows = [...this.verify(a.evidence)].filter(([k]) => k.startsWith('chain.cursor '));
    const row = rows[0]?.[1];
    if (rows.length !== 1 || (row === null) !== (a.cursor === null)) throw bad('the answer proves no cursor row');
    if (row != null && canonicalJson(JSON.parse(row.body)) !== canonicalJson(a.cursor))
      throw bad('the cursor stated is not the one proven');
    return { chainId: a.chainId, cursor: a.cursor, head: a.head, checkpoint: a.evidence.checkpoint };
  }

  /**
   * Anchors the log's latest checkpoint on chain now (a token granted `chain.anchor`); read the
   * anchor back with {@link ChainReader.anchor} once indexed.
   */
  anchorNow(): Promise<{
    originHash: string;
    treeSize: number;
    rootHash: string;
    tx: string;
    block: number;
    logIndex: number;
  }> {
    return requestJson(this.#at, 'POST', '/v1/chain/anchor', {});
  }

  /** An indexed data-sharing agreement. */
  agreement(id: string): Promise<VerifiedChainRead<Record<string, unknown>>> {
    if (!HEX32.test(id)) throw new RangeError('an agreement id is 32 bytes of hex');
    return this.#read(`/v1/chain/agreements/${id}`, 'agreement', 'chain.agreement');
  }

  /** An indexed virtual good (its licence is proven too). */
  good(tokenId: string | bigint): Promise<VerifiedChainRead<Record<string, unknown>>> {
    const t = String(tokenId);
    if (!/^[0-9]{1,78}$/.test(t)) throw new RangeError('a token id is a decimal number');
    return this.#read(`/v1/chain/goods/${t}`, 'good', 'chain.good');
  }

  /** An indexed anchor of a log (the SHA-256 of its origin line) at a tree size. */
  anchor(originHash: string, treeSize: number): Promise<VerifiedChainRead<Record<string, unknown>>> {
    if (!HEX32.test(originHash) || !Number.isSafeInteger(treeSize) || treeSize < 1)
      throw new RangeError('an anchor is named by a 32-byte origin hash and a positive tree size');
    return this.#read(`/v1/chain/anchors/${originHash}/${treeSize}`, 'anchor', 'chain.anchor');
  }

  /**
   * Whether an agreement between `subject` and `recipient` covers `purpose` and `category`, decided
   * again here from the proven rows (the pair index and each agreement) at `now` (seconds).
   */
  async check(
    q: { subject: string; recipient: string; purpose: string; category: string },
    now = Math.floor(Date.now() / 1000),
  ): Promise<{ allowed: boolean; reason: string; agreementId: string | null; checkpoint: string }> {
    const a = await requestJson<{
      allowed: boolean;
      reason: string;
      agreementId: string | null;
      evidence: ChainProofs;
    }>(this.#at, 'POST', '/v1/chain/agreements/check', q);
    const rows = this.verify(a.evidence);
    const p = itemId(q.purpose);
    const c = itemId(q.category);
    let allowed = false;
    for (const [k, row] of rows) {
      if (!k.startsWith('chain.agreement ') || row === null) continue;
      const g = JSON.parse(row.body) as Record<string, unknown>;
      if (
        g.subject === q.subject.toLowerCase() &&
        g.recipient === q.recipient.toLowerCase() &&
        g.revoked === false &&
        BigInt(String(g.expiry)) > BigInt(now) &&
        (g.purposes as string[]).includes(p) &&
        (g.categories as string[]).includes(c)
      )
        allowed = true;
    }
    if (allowed !== a.allowed) throw bad('the decision stated is not the one the proven rows give');
    return { allowed, reason: a.reason, agreementId: a.agreementId, checkpoint: a.evidence.checkpoint };
  }
}
