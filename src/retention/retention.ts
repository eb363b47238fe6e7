// Retention (FGMV-46 7.4.2): per record type and data category, how long records are kept and
// what happens to them then (erased, or anonymized: the kept fields copied to a record of no one
// and the original erased). A run finds what has run out, reports it (a dry run stops there) and
// acts record by record, every action audited by the vault, the run summed up in the log.

import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { type JsonValue, parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { isVerityError, RetentionError } from '../errors/index.ts';
import { noteOpsHistory, type TransparencyLog } from '../log/index.ts';
import type { RecordRow, Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';

/** What happens to a record whose time has run out. */
export interface RetentionRule {
  /** Days after the record was first written. */
  readonly afterDays: number;
  readonly action: 'erase' | 'anonymize';
  /** anonymize: the top-level fields kept (nothing that identifies anyone). */
  readonly keep?: readonly string[];
}

/** The rules, by record type first, then by data category (from the privacy policy when wired to it). */
export interface RetentionRules {
  ruleFor(record: { readonly type: string; readonly category: string }): RetentionRule | undefined;
  /** Whether any rule has a period (else only records' own deadlines apply). */
  readonly periodic: boolean;
  /** Where the rules come from (logged with each run). */
  readonly source: string;
}

/** The record type of an anonymized copy. */
export const ANONYMIZED_TYPE = 'verity.anonymized';
const MAX_RULES = 1000;
const KEY_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

function checkRule(where: string, r: unknown): RetentionRule {
  const bad = (why: string) =>
    new RetentionError('VERITY_E_RETENTION_RULES_INVALID', `retention rule ${where.slice(0, 80)} ${why}`);
  if (typeof r !== 'object' || r === null) throw bad('must be {afterDays, action, keep?}');
  const o = r as Record<string, unknown>;
  if (!Number.isSafeInteger(o['afterDays']) || (o['afterDays'] as number) < 0 || (o['afterDays'] as number) > 36500)
    throw bad('needs afterDays: 0 to 36500');
  if (o['action'] !== 'erase' && o['action'] !== 'anonymize') throw bad('needs action: erase or anonymize');
  const keep = o['keep'];
  if (
    keep !== undefined &&
    (!Array.isArray(keep) || keep.length > 64 || !keep.every((k) => typeof k === 'string' && k.length <= 64))
  )
    throw bad('has a malformed keep list');
  if (o['action'] === 'erase' && keep !== undefined) throw bad('keeps fields only when it anonymizes');
  return {
    afterDays: o['afterDays'] as number,
    action: o['action'],
    ...(keep === undefined ? {} : { keep: keep as string[] }),
  };
}

/**
 * Rules from a table (attacker-checked: a rules file or the policy): `{types: {TYPE: rule},
 * categories: {CATEGORY: rule}}`. A record type's rule wins over its category's.
 */
export function tableRules(table: unknown, source = 'table'): RetentionRules {
  if (typeof table !== 'object' || table === null)
    throw new RetentionError(
      'VERITY_E_RETENTION_RULES_INVALID',
      'retention rules are {types: {...}, categories: {...}}',
    );
  const t = table as { types?: unknown; categories?: unknown };
  const read = (what: string, m: unknown): Map<string, RetentionRule> => {
    const out = new Map<string, RetentionRule>();
    if (m === undefined) return out;
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw new RetentionError('VERITY_E_RETENTION_RULES_INVALID', `retention ${what} must be an object`);
    const entries = Object.entries(m);
    if (entries.length > MAX_RULES)
      throw new RetentionError('VERITY_E_RETENTION_RULES_INVALID', `at most ${MAX_RULES} retention ${what}`);
    for (const [k, v] of entries) {
      if (!KEY_RE.test(k))
        throw new RetentionError('VERITY_E_RETENTION_RULES_INVALID', `retention ${what} key is malformed`);
      out.set(k, checkRule(`for ${k}`, v));
    }
    return out;
  };
  const types = read('types', t.types);
  const categories = read('categories', t.categories);
  return {
    ruleFor: (r) => types.get(r.type) ?? categories.get(r.category),
    periodic: types.size + categories.size > 0,
    source,
  };
}

/**
 * The default: what today's record types and settings say, namely each record's own deadline
 * (`retainUntil`, set when it was written) and no period per type or category; records past their
 * deadline are erased.
 */
export function defaultRules(): RetentionRules {
  return { ruleFor: () => undefined, periodic: false, source: 'record-deadlines' };
}

/** One thing a run does (or would do). */
export interface RetentionAction {
  readonly record: string;
  readonly type: string;
  readonly category: string;
  /** Why: the record's own deadline, or the rule of its type or category. */
  readonly basis: 'record-deadline' | 'rule';
  readonly action: 'erase' | 'anonymize' | 'skip';
  /** When it ran out (ISO 8601). */
  readonly due: string;
  /** Why it was skipped (a restriction the subject asked for). */
  readonly skipped?: string;
  /** The log index of the erasure, and of the anonymized copy's write. */
  readonly logIndex?: number;
  readonly anonymizedAs?: string;
}

/** What a run found and did. */
export interface RetentionReport {
  readonly dryRun: boolean;
  readonly at: string;
  readonly rules: string;
  readonly actions: readonly RetentionAction[];
  readonly erased: number;
  readonly anonymized: number;
  readonly skipped: number;
  /** The run's summary entry (not for a dry run, nor for a run that found nothing). */
  readonly logIndex?: number;
}

const DAY = 86_400_000;

/** A record whose time ran out. */
interface Due {
  readonly row: RecordRow;
  readonly category: string;
  readonly rule: RetentionRule | undefined;
  readonly basis: RetentionAction['basis'];
  readonly due: number;
}
const ACTOR = 'system:retention';
const PURPOSE = 'retention';

/** Finds and carries out what retention demands. */
export class Retention {
  readonly #store: Store;
  readonly #vault: Vault;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #rules: RetentionRules;
  readonly #held: ((subjectRef: string, recordId: string) => Promise<boolean>) | undefined;

  /**
   * `held`: whether a record is held back from retention (restricted at its subject's request,
   * see `src/rights`), wired by whoever builds both.
   */
  constructor(o: {
    store: Store;
    vault: Vault;
    log: TransparencyLog;
    clock: Clock;
    rules?: RetentionRules;
    held?: (subjectRef: string, recordId: string) => Promise<boolean>;
  }) {
    this.#held = o.held;
    this.#store = o.store;
    this.#vault = o.vault;
    this.#log = o.log;
    this.#clock = o.clock;
    this.#rules = o.rules ?? defaultRules();
  }

  /** What has run out at `now`: records past their own deadline, then those past their rule's period. */
  async #due(now: number, limit: number): Promise<Due[]> {
    const out: Due[] = [];
    const seen = new Set<string>();
    const category = (row: RecordRow) => {
      const m = parseJson(row.meta, { maxBytes: 1024 * 1024, maxDepth: 8 }, 'stored metadata') as {
        classification?: { category?: string };
      };
      return m.classification?.category ?? 'unclassified';
    };
    for (const row of await this.#store.reader.listExpiredRecords(now, limit)) {
      const c = category(row);
      seen.add(row.id);
      out.push({
        row,
        category: c,
        rule: this.#rules.ruleFor({ type: row.type, category: c }),
        basis: 'record-deadline',
        due: row.retainUntil ?? now,
      });
    }
    if (!this.#rules.periodic) return out;
    // A scan of every record version, in (id, version) order: the first version gives the time of
    // collection, the last one the record's state now.
    let after: { id: string; version: number } | undefined;
    let first: RecordRow | undefined;
    const consider = (firstRow: RecordRow, last: RecordRow) => {
      if (last.state === 'erased' || seen.has(last.id) || last.type === ANONYMIZED_TYPE || out.length >= limit) return;
      const c = category(last);
      const rule = this.#rules.ruleFor({ type: last.type, category: c });
      if (rule === undefined) return;
      const due = firstRow.createdAt + rule.afterDays * DAY;
      if (due <= now) out.push({ row: last, category: c, rule, basis: 'rule', due });
    };
    let prev: RecordRow | undefined;
    for (let pages = 0; pages < 10_000 && out.length < limit; pages++) {
      const rows = await this.#store.reader.scanRecords({
        limit: 1000,
        ...(after === undefined ? {} : { after: after.id, afterVersion: after.version }),
      });
      for (const r of rows) {
        if (prev !== undefined && r.id !== prev.id && first !== undefined) consider(first, prev);
        if (prev === undefined || r.id !== prev.id) first = r;
        prev = r;
      }
      if (rows.length < 1000) break;
      const last = rows[rows.length - 1] as RecordRow;
      after = { id: last.id, version: last.version };
    }
    if (prev !== undefined && first !== undefined) consider(first, prev);
    return out;
  }

  /**
   * Runs retention at the clock's now: with `dryRun`, only reports what it would do (nothing is
   * written, not even to the log). Records restricted at their subject's request are skipped (they
   * may be needed for legal claims) and reported.
   */
  async run(o: { dryRun?: boolean; limit?: number } = {}): Promise<RetentionReport> {
    const now = this.#clock.now();
    const limit = o.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100_000) throw new RangeError('limit must be 1 to 100000');
    const dryRun = o.dryRun === true;
    const actions: RetentionAction[] = [];
    let erased = 0;
    let anonymized = 0;
    let skipped = 0;
    for (const d of await this.#due(now, limit)) {
      const base = {
        record: d.row.id,
        type: d.row.type,
        category: d.category,
        basis: d.basis,
        due: new Date(d.due).toISOString(),
      };
      const action = d.rule?.action ?? 'erase';
      if ((await this.#held?.(d.row.subjectRef, d.row.id)) === true) {
        skipped++;
        actions.push({ ...base, action: 'skip', skipped: 'restricted at the subject\u2019s request' });
        continue;
      }
      if (dryRun) {
        actions.push({ ...base, action });
        continue;
      }
      let anonymizedAs: string | undefined;
      if (action === 'anonymize') {
        try {
          anonymizedAs = await this.#anonymize(d.row, d.rule?.keep ?? []);
        } catch (e) {
          // The vault refused to read it for retention: restricted, and this run was not told.
          if (!isVerityError(e, 'VERITY_E_RIGHTS_RESTRICTED')) throw e;
          skipped++;
          actions.push({ ...base, action: 'skip', skipped: 'restricted at the subject\u2019s request' });
          continue;
        }
        if (anonymizedAs !== undefined) anonymized++;
      }
      const e = await this.#vault.erase(d.row.id, { actor: ACTOR, purpose: PURPOSE, reason: 'retention' });
      erased++;
      actions.push({ ...base, action, logIndex: e.logIndex, ...(anonymizedAs === undefined ? {} : { anonymizedAs }) });
    }
    const report = {
      dryRun,
      at: new Date(now).toISOString(),
      rules: this.#rules.source,
      actions,
      erased,
      anonymized,
      skipped,
    };
    // A run that found nothing leaves no entry (a scheduler runs every minute).
    if (dryRun || actions.length === 0) return report;
    const { result } = await this.#log.submit(async (tx, batch) => {
      const index = batch.add(
        encodeAuditEntry({
          actor: ACTOR,
          action: 'retention.run',
          resource: 'retention:run',
          purpose: PURPOSE,
          outcome: 'success',
          time: now,
          details: { erased, anonymized, skipped, rules: this.#rules.source.slice(0, 128) },
        }),
      );
      // The operators' history of runs (GET /v1/trust/operations/history) reads this, not the log.
      await noteOpsHistory(tx, 'retention', index, now);
      return index;
    });
    return { ...report, logIndex: result };
  }

  /** Copies the kept fields to a record of no one (a fresh random subject, no lineage); its id. */
  async #anonymize(row: RecordRow, keep: readonly string[]): Promise<string | undefined> {
    let data: JsonValue;
    try {
      data = (await this.#vault.get(row.id, { actor: ACTOR, purpose: PURPOSE })).data;
    } catch (e) {
      if (isVerityError(e, 'VERITY_E_SUBJECT_SHREDDED')) return undefined;
      throw e;
    }
    const kept: Record<string, JsonValue> = {};
    if (typeof data === 'object' && data !== null && !Array.isArray(data))
      for (const k of keep) if (Object.hasOwn(data, k)) kept[k] = (data as Record<string, JsonValue>)[k] as JsonValue;
    if ((await this.#store.reader.getSchema(ANONYMIZED_TYPE)) === undefined)
      await this.#vault.registerSchema(ANONYMIZED_TYPE, { type: 'object' }, { actor: ACTOR, purpose: PURPOSE });
    const w = await this.#vault.put({
      actor: ACTOR,
      purpose: PURPOSE,
      subject: `anonymous:${toBase64Url(randomBytesSecure(16))}`,
      type: ANONYMIZED_TYPE,
      data: { type: row.type, fields: kept },
      classification: { category: 'anonymous', sensitivity: 'internal' },
      source: 'retention-anonymization',
    });
    return w.id;
  }
}

/**
 * Runs retention every `intervalMs` (timers are the caller's world; the clock deciding what ran out
 * is the injected one). Returns a function that stops it.
 */
export function scheduleRetention(
  retention: Retention,
  intervalMs: number,
  onReport: (r: RetentionReport | Error) => void,
): () => void {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1000)
    throw new RangeError('retention runs at most once a second');
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    retention
      .run()
      .then(onReport, (e: unknown) => onReport(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
