import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { GovernanceError, InputError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { newObject, type ObjectRow, type Store } from '../store/index.ts';
import { type Choice, MAX_TALLY_VOTES } from '../tally/index.ts';
import {
  CHANGE_KIND,
  checkProposalId,
  PAGE,
  PROPOSAL_KIND,
  type Proposal,
  type ProposalStatus,
  PURPOSE,
  VOTE_KIND,
} from './model.ts';

/**
 * The proposals as state: each read with the row it came from, each step written as the next
 * version of the proposal object with its audit entry in one log transaction, and its votes.
 */
export class ProposalBook {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;

  constructor(store: Store, log: TransparencyLog, clock: Clock) {
    this.#store = store;
    this.#log = log;
    this.#clock = clock;
  }

  /** The privacy policy document a proposal would enact (RFC 8785 JSON). */
  async change(id: string): Promise<string> {
    const row = await this.#store.reader.getObject(CHANGE_KIND, checkProposalId(id));
    if (row === undefined)
      throw new GovernanceError('VERITY_E_GOVERNANCE_NOT_FOUND', `there is no proposal ${quote(id)}`);
    return (JSON.parse(row.body) as { document: string }).document;
  }

  /** Proposals by id (`status` to filter). */
  async list(o: { status?: ProposalStatus; limit?: number; after?: string } = {}): Promise<Proposal[]> {
    const limit = o.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE)
      throw new InputError('VERITY_E_INPUT_INVALID', `limit must be 1 to ${PAGE}`);
    const out: Proposal[] = [];
    let after = o.after === undefined ? undefined : checkProposalId(o.after);
    for (;;) {
      const rows = await this.#store.reader.listObjects(PROPOSAL_KIND, '', { limit: 200, ...(after ? { after } : {}) });
      for (const r of rows) {
        const p = JSON.parse(r.body) as Proposal;
        if (o.status !== undefined && p.status !== o.status) continue;
        out.push(p);
        if (out.length >= limit) return out;
      }
      if (rows.length < 200) return out;
      after = rows[rows.length - 1]?.id;
    }
  }

  /** Every vote of a proposal (state objects, each checked against the state map as it is read). */
  async votes(id: string): Promise<{ voter: string; choice: Choice; logIndex: number }[]> {
    const out: { voter: string; choice: Choice; logIndex: number }[] = [];
    let after: string | undefined;
    for (;;) {
      const rows = await this.#store.reader.listObjects(VOTE_KIND, id, { limit: PAGE, ...(after ? { after } : {}) });
      for (const r of rows) out.push(JSON.parse(r.body) as { voter: string; choice: Choice; logIndex: number });
      if (out.length > MAX_TALLY_VOTES)
        throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', `more than ${MAX_TALLY_VOTES} votes: not supported`);
      if (rows.length < PAGE) return out;
      after = rows[rows.length - 1]?.id;
    }
  }

  /** A proposal and the row it was read from. */
  async load(id: string): Promise<{ row: ObjectRow; proposal: Proposal }> {
    const row = await this.#store.reader.getObject(PROPOSAL_KIND, checkProposalId(id));
    if (row === undefined)
      throw new GovernanceError('VERITY_E_GOVERNANCE_NOT_FOUND', `there is no proposal ${quote(id)}`);
    return { row, proposal: JSON.parse(row.body) as Proposal };
  }

  /** Writes the proposal's next version and its step's audit entry in one log transaction. */
  async write(
    prev: ObjectRow | undefined,
    next: Omit<Proposal, 'logIndices'> & { logIndices?: readonly number[] },
    actor: string,
    action: 'governance.propose' | 'governance.tally' | 'governance.cancel',
    o: {
      details: Record<string, string | number | boolean>;
      contentHash?: string;
      tally?: (logIndex: number) => NonNullable<Proposal['tally']>;
      document?: string;
    },
  ): Promise<Proposal> {
    const { result } = await this.#log.submit(async (tx, batch) => {
      // Compare-and-set on the version read: a concurrent step fails this one (VERITY_E_STORE_CONFLICT).
      const logIndex = batch.add(
        encodeAuditEntry({
          actor,
          action,
          resource: `governance-proposal:${next.id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: this.#clock.now(),
          details: o.details,
          ...(o.contentHash === undefined ? {} : { contentHash: o.contentHash }),
        }),
      );
      const p: Proposal = {
        ...next,
        ...(o.tally === undefined ? {} : { tally: o.tally(logIndex) }),
        logIndices: [...(next.logIndices ?? []), logIndex],
      };
      await tx.putObject({
        kind: PROPOSAL_KIND,
        id: next.id,
        owner: '',
        body: JSON.stringify(p),
        version: (prev?.version ?? 0) + 1,
        updatedAt: p.updatedAt,
      });
      if (o.document !== undefined)
        await tx.putObject(
          newObject({ kind: CHANGE_KIND, id: next.id, doc: { document: o.document }, updatedAt: p.updatedAt }),
        );
      return p;
    });
    return result;
  }
}
