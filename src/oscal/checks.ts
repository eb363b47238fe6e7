// The automated checks behind the control catalog. Each runs against the live store and log and
// reports what it measured: satisfied or not comes from that measurement, never from a constant,
// and a check that fails to run (a tampered log, say) is a finding that is not satisfied. Each
// carries its evidence: log indices with their leaf hashes proven against the checkpoint the
// results name, state roots, content hashes.

import { decodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { fromBase64, toBase64 } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import { type Governance, verifyTally } from '../governance/index.ts';
import type { IncidentRegister } from '../incidents/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { type TransparencyLog, verifyLogHead, verifyLogStorage } from '../log/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { Retention } from '../retention/index.ts';
import type { Rights } from '../rights/index.ts';
import type { Store } from '../store/index.ts';

/** One piece of evidence: a log entry proven in the checkpoint, a hash, a count. */
export interface Evidence {
  readonly description: string;
  readonly logIndex?: number;
  /** The entry's RFC 9162 leaf hash (base64), its inclusion proof checked against the checkpoint. */
  readonly leafHash?: string;
  readonly contentHash?: string;
  readonly stateRoot?: string;
}

/** What a check found. */
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly satisfied: boolean;
  /** What was measured, in one line. */
  readonly measured: string;
  readonly evidence: readonly Evidence[];
  /** When it ran (ms since the epoch). */
  readonly collected: number;
}

/** What the checks run against. */
export interface CheckContext {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly keys: KeyStore;
  readonly clock: Clock;
  readonly privacy?: Privacy;
  readonly rights?: Rights;
  readonly retention?: Retention;
  readonly incidents?: IncidentRegister;
  readonly governance?: Governance;
  /** The log's witnesses as the server sees them, and the quorum it demands. */
  readonly witnesses?: {
    readonly quorum: number;
    readonly list: () => readonly { name: string; cosignedSize: number }[];
  };
  /** Rebuild the whole tree and state map (`verity log verify`), not only the head (default false). */
  readonly full?: boolean;
  /** The oldest an active key-encryption key may be (default 365 days). */
  readonly maxKekAgeMs?: number;
  /** The size of the tree evidence is proven in (the results' checkpoint). */
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
}

const DAY = 24 * 3_600_000;
const MAX_EVIDENCE = 16;

/** A log entry as evidence: read, its inclusion proof made and checked against the results' checkpoint. */
async function proven(ctx: CheckContext, index: number, description: string): Promise<Evidence> {
  const [entry] = await ctx.log.entries(index, index + 1);
  if (entry === undefined) throw new VerityError('VERITY_E_LOG_RANGE', `no log entry ${index}`);
  const p = await ctx.log.inclusionProof(index, ctx.treeSize);
  const leaf = hashLeaf(entry);
  verifyInclusion(
    leaf,
    index,
    ctx.treeSize,
    p.proof.map((h) => fromBase64(h)),
    ctx.rootHash,
  );
  return { description, logIndex: index, leafHash: toBase64(leaf) };
}

type Check = {
  readonly id: string;
  readonly title: string;
  run(ctx: CheckContext): Promise<{ satisfied: boolean; measured: string; evidence: Evidence[] }>;
};

/** The checks, by id. */
export const CHECKS: readonly Check[] = [
  {
    id: 'log-integrity',
    title: 'The transparency log verifies',
    async run(ctx) {
      if (ctx.full === true) {
        const r = await verifyLogStorage(ctx.store, ctx.log.verifier, ctx.log.origin);
        return {
          satisfied: true,
          measured: `the whole log of ${r.size} entries verified: ${r.tilesChecked} tiles, the root and the signed checkpoint`,
          evidence: [{ description: `root of the tree of size ${r.size}`, contentHash: r.rootHash }],
        };
      }
      const r = await verifyLogHead(ctx.log, ctx.store);
      const last = r.size - 1;
      return {
        satisfied: true,
        measured: `the signed head of ${r.size} entries verified: signature, right edge and the newest entry's inclusion`,
        evidence: [await proven(ctx, last, 'the newest entry, proven in the checkpoint')],
      };
    },
  },
  {
    id: 'state-map',
    title: 'The state map matches the checkpoint',
    async run(ctx) {
      if (ctx.full === true) {
        const r = await verifyLogStorage(ctx.store, ctx.log.verifier, ctx.log.origin);
        const ok = r.stateRoot !== undefined;
        return {
          satisfied: ok,
          measured: ok
            ? `the state map rebuilt from the log's state entries; ${r.stateRows ?? 0} stored rows match it`
            : 'the log carries no state map',
          evidence: ok ? [{ description: 'the rebuilt state root', stateRoot: r.stateRoot as string }] : [],
        };
      }
      const r = await verifyLogHead(ctx.log, ctx.store);
      const ok = r.stateRoot !== undefined;
      return {
        satisfied: ok,
        measured: ok
          ? 'the checkpoint commits to a state root, recorded by the newest state entry and stored as the map’s root'
          : 'the checkpoint commits to no state root',
        evidence: ok
          ? [{ description: 'the state root the checkpoint commits to', stateRoot: r.stateRoot as string }]
          : [],
      };
    },
  },
  {
    id: 'witness-cosignatures',
    title: 'Independent witnesses cosign the log',
    async run(ctx) {
      const w = ctx.witnesses;
      if (w === undefined || w.list().length === 0)
        return { satisfied: false, measured: 'no witnesses are configured: nobody else checks the log', evidence: [] };
      const list = w.list();
      const cosigned = list.filter((x) => x.cosignedSize > 0);
      const need = Math.max(1, w.quorum);
      return {
        satisfied: cosigned.length >= need,
        measured: `${cosigned.length} of ${list.length} witnesses have cosigned (quorum ${need}); newest sizes ${list.map((x) => `${x.name}:${x.cosignedSize}`).join(', ')}`,
        evidence: cosigned
          .slice(0, MAX_EVIDENCE)
          .map((x) => ({ description: `cosigned by ${x.name} at size ${x.cosignedSize}` })),
      };
    },
  },
  {
    id: 'key-rotation',
    title: 'The key-encryption key in use is younger than the rotation period',
    async run(ctx) {
      const max = ctx.maxKekAgeMs ?? 365 * DAY;
      const keks = await ctx.keys.listKeks();
      const current = await ctx.keys.currentKekVersion();
      const k = keks.find((x) => x.version === current);
      if (k === undefined) return { satisfied: false, measured: 'no active key-encryption key', evidence: [] };
      const age = ctx.clock.now() - k.createdAt;
      return {
        satisfied: age <= max,
        measured: `key-encryption key version ${k.version} is ${Math.floor(age / DAY)} days old (at most ${Math.floor(max / DAY)})`,
        evidence: [{ description: `key-encryption key ${k.version} created ${new Date(k.createdAt).toISOString()}` }],
      };
    },
  },
  {
    id: 'privacy-policy',
    title: 'A privacy policy is in force and its installation is in the log',
    async run(ctx) {
      if (ctx.privacy === undefined)
        return { satisfied: false, measured: 'no privacy policy is configured', evidence: [] };
      const cur = await ctx.privacy.inForce();
      if (cur === undefined)
        return { satisfied: false, measured: 'no privacy policy version was ever installed', evidence: [] };
      const [bytes] = await ctx.log.entries(cur.logIndex, cur.logIndex + 1);
      const e = bytes === undefined ? undefined : decodeAuditEntry(bytes);
      const ok = e?.action === 'privacy.policy' && e.contentHash === cur.hash;
      return {
        satisfied: ok,
        measured: ok
          ? `version ${cur.version} in force${cur.enactedBy === undefined ? '' : ` (enacted by ${cur.enactedBy})`}; its entry names its hash`
          : `the entry at ${cur.logIndex} does not record version ${cur.version} with its hash`,
        evidence: [
          { ...(await proven(ctx, cur.logIndex, `installation of version ${cur.version}`)), contentHash: cur.hash },
        ],
      };
    },
  },
  {
    id: 'rights-deadlines',
    title: 'Data-subject requests are answered within their legal deadlines',
    async run(ctx) {
      if (ctx.rights === undefined)
        return { satisfied: false, measured: 'data-subject rights are not wired', evidence: [] };
      const now = ctx.clock.now();
      const overdue = await ctx.rights.requests.overdue(now);
      let late = 0;
      let done = 0;
      const lateOnes: number[] = [];
      let after: string | undefined;
      for (let scanned = 0; scanned < 100_000; ) {
        const page = await ctx.rights.requests.list({ limit: 1000, ...(after === undefined ? {} : { after }) });
        for (const r of page) {
          if (r.completedAt === undefined) continue;
          done++;
          if (Date.parse(r.completedAt) > Date.parse(r.deadline)) {
            late++;
            lateOnes.push(r.logIndex);
          }
        }
        scanned += page.length;
        if (page.length < 1000) break;
        after = page[page.length - 1]?.id;
      }
      const evidence: Evidence[] = [];
      for (const r of overdue.slice(0, MAX_EVIDENCE))
        evidence.push(await proven(ctx, r.logIndex, `request received, ${r.type}, deadline ${r.deadline}, still open`));
      for (const i of lateOnes.slice(0, MAX_EVIDENCE)) evidence.push(await proven(ctx, i, 'request completed late'));
      return {
        satisfied: overdue.length === 0 && late === 0,
        measured: `${overdue.length} open requests past their deadline; ${late} of ${done} completed requests completed late`,
        evidence,
      };
    },
  },
  {
    id: 'incident-notification',
    title: 'Breaches are notified to the authority within 72 hours, or with reasons for the delay',
    async run(ctx) {
      if (ctx.incidents === undefined)
        return { satisfied: false, measured: 'the incident register is not wired', evidence: [] };
      const all = await ctx.incidents.list({ limit: 1000 });
      const overdue = all.filter((i) => i.overdue);
      const lateNoReason = all.filter(
        (i) => i.notifications.some((n) => n.to === 'authority' && n.late) && i.delayReason === null,
      );
      const evidence: Evidence[] = [];
      for (const i of [...overdue, ...lateNoReason].slice(0, MAX_EVIDENCE))
        evidence.push(
          await proven(
            ctx,
            i.logIndices[0] as number,
            `incident ${i.id} opened; deadline ${new Date(i.deadline).toISOString()}`,
          ),
        );
      for (const i of all.filter((x) => !x.overdue).slice(0, MAX_EVIDENCE - evidence.length)) {
        const n = i.notifications.find((x) => x.to === 'authority');
        if (n !== undefined)
          evidence.push(
            await proven(ctx, n.logIndex, `incident ${i.id} notified to the authority${n.late ? ' late' : ''}`),
          );
      }
      return {
        satisfied: overdue.length === 0 && lateNoReason.length === 0,
        measured: `${all.length} incidents; ${overdue.length} past the 72-hour deadline unnotified; ${lateNoReason.length} notified late without reasons`,
        evidence,
      };
    },
  },
  {
    id: 'retention',
    title: 'Nothing is kept past its retention deadline',
    async run(ctx) {
      if (ctx.retention === undefined) return { satisfied: false, measured: 'retention is not wired', evidence: [] };
      // A dry run writes nothing: it lists what a run would erase or anonymize now.
      const r = await ctx.retention.run({ dryRun: true, limit: 100_000 });
      const due = r.actions.filter((a) => a.action !== 'skip');
      const held = r.actions.length - due.length;
      return {
        satisfied: due.length === 0,
        measured: `${due.length} records past their retention deadline not yet erased or anonymized; ${held} held back at their subject's request (rules: ${r.rules})`,
        evidence: due
          .slice(0, MAX_EVIDENCE)
          .map((a) => ({ description: `record ${a.record} (${a.type}) due ${a.due}` })),
      };
    },
  },
  {
    id: 'governance',
    title: 'Policy changes go through published votes, proven tallies and the timelock',
    async run(ctx) {
      if (ctx.governance === undefined) return { satisfied: false, measured: 'governance is not wired', evidence: [] };
      const proposals = await ctx.governance.list({ limit: 1000 });
      const bad: string[] = [];
      const evidence: Evidence[] = [];
      let tallied = 0;
      for (const p of proposals) {
        if (p.tally === null) continue;
        tallied++;
        try {
          const t = verifyTally(await ctx.governance.evidence(p.id), ctx.log.verifierKey);
          const wantStatus = t.outcome === 'adopted' ? ['adopted', 'enacted', 'cancelled'] : ['rejected'];
          if (!wantStatus.includes(p.status)) bad.push(`${p.id} is ${p.status} after a ${t.outcome} tally`);
        } catch (e) {
          if (!isVerityError(e)) throw e;
          bad.push(`${p.id}: ${e.code}`);
        }
        if (p.status === 'enacted' && (p.enacted === null || p.enactAfter === null || p.enacted.at < p.enactAfter))
          bad.push(`${p.id} was enacted before its timelock ended`);
        if (evidence.length < MAX_EVIDENCE)
          evidence.push({
            ...(await proven(
              ctx,
              p.tally.logIndex,
              `tally of ${p.id}: ${p.tally.yes} yes, ${p.tally.no} no, ${p.tally.abstain} abstain`,
            )),
            contentHash: p.tally.votesHash,
          });
      }
      return {
        satisfied: bad.length === 0,
        measured: `${proposals.length} proposals, ${tallied} tallied and recounted from the log with proofs; ${bad.length} faults${bad.length > 0 ? `: ${bad.slice(0, 4).join('; ')}` : ''}`,
        evidence,
      };
    },
  },
];

/** Runs every check (or those named); a check that throws is not satisfied, with its error code. */
export async function runChecks(ctx: CheckContext, only?: readonly string[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of CHECKS) {
    if (only !== undefined && !only.includes(c.id)) continue;
    const collected = ctx.clock.now();
    try {
      const r = await c.run(ctx);
      out.push({ id: c.id, title: c.title, ...r, collected });
    } catch (e) {
      if (!isVerityError(e)) throw e;
      out.push({
        id: c.id,
        title: c.title,
        satisfied: false,
        measured: `the check failed: ${e.code}: ${e.message.slice(0, 300)}`,
        evidence: [],
        collected,
      });
    }
  }
  return out;
}
