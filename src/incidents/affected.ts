// Finding the subjects a breach affected through the log: the audit entries in a time window (of
// given record types, actors or actions) and the subjects they name, by audit pseudonym, or by the
// record they name when they name no subject (a decision, a denied read).

import type { AuditEntry } from '../audit/index.ts';
import { IncidentError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { auditEntryOf, recordOf, type SubjectIndex } from '../reports/index.ts';
import type { StoreReader } from '../store/index.ts';

/** Most entries one search reads. */
export const MAX_SCAN = 1_000_000;
/** Most pseudonyms an incident lists (beyond, they are counted only). */
export const MAX_LISTED = 10_000;
/**
 * Entries carry the time their operation was queued, and several processes append to one log, so
 * times are only nearly ordered by index: the search starts this much before the window.
 */
const SKEW_MS = 5 * 60_000;
const PAGE = 1000;
/** Entries probed around a midpoint of the binary search for one with a time. */
const PROBE = 64;

/** Which entries a breach concerns. */
export interface AffectedQuery {
  /** Milliseconds since the epoch, inclusive. */
  readonly from: number;
  /** Milliseconds since the epoch, inclusive. */
  readonly to: number;
  /** Only entries about records of these types (the entry's `details.type`). */
  readonly recordTypes?: readonly string[];
  /** Only entries by these actors (e.g. a leaked token's `service:NAME`). */
  readonly actors?: readonly string[];
  /** Only these actions (e.g. `record.read`). */
  readonly actions?: readonly string[];
}

/** What a search found, and where it looked (so anyone can repeat it on the log). */
export interface AffectedSubjects {
  readonly query: AffectedQuery;
  /** Audit pseudonyms of the subjects found, sorted (at most MAX_LISTED). */
  readonly subjects: readonly string[];
  /** How many subjects were found (may exceed the listed ones). */
  readonly count: number;
  /** Entries that matched. */
  readonly entries: number;
  /** The log range read: [fromIndex, toIndex), of the tree of `treeSize`. */
  readonly fromIndex: number;
  readonly toIndex: number;
  readonly treeSize: number;
}

function matches(e: AuditEntry, q: AffectedQuery): boolean {
  if (e.time < q.from || e.time > q.to) return false;
  if (q.actors !== undefined && !q.actors.includes(e.actor)) return false;
  if (q.actions !== undefined && !q.actions.includes(e.action)) return false;
  if (q.recordTypes !== undefined) {
    const t = e.details?.['type'];
    if (typeof t !== 'string' || !q.recordTypes.includes(t)) return false;
  }
  return true;
}

/** The time of the first audit entry at or after `i` (within PROBE entries), or undefined. */
async function timeNear(log: TransparencyLog, i: number, size: number): Promise<number | undefined> {
  const end = Math.min(size, i + PROBE);
  if (i >= end) return undefined;
  for (const b of await log.provenEntries(i, end)) {
    const e = auditEntryOf(b);
    if (e !== undefined) return e.time;
  }
  return undefined;
}

/** The first index whose entries are (nearly) not before `t`: a binary search over entry times. */
async function firstAtOrAfter(log: TransparencyLog, t: number, size: number): Promise<number> {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const time = await timeNear(log, mid, size);
    if (time !== undefined && time < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Finds the subjects of the entries `q` selects, reading the log from its committed head. */
export async function findAffected(
  reader: StoreReader,
  log: TransparencyLog,
  index: SubjectIndex,
  q: AffectedQuery,
): Promise<AffectedSubjects> {
  const size = (await log.head()).size;
  // Entries are proven against the signed checkpoint as they are read: what they say decides who is
  // told of a breach, and a row changed in the store would leave someone out (D415).
  const fromIndex = await firstAtOrAfter(log, q.from - SKEW_MS, size);
  const subjects = new Set<string>();
  let entries = 0;
  let i = fromIndex;
  let past = false;
  while (i < size && !past) {
    if (i - fromIndex >= MAX_SCAN)
      throw new IncidentError(
        'VERITY_E_INCIDENT_SCAN_LIMIT',
        `the window covers more than ${MAX_SCAN} log entries; give a narrower window`,
      );
    const batch = await log.provenEntries(i, Math.min(size, i + PAGE));
    for (const b of batch) {
      i++;
      const e = auditEntryOf(b);
      if (e === undefined) continue;
      if (e.time > q.to + SKEW_MS) {
        past = true;
        break;
      }
      if (!matches(e, q)) continue;
      let who = e.subject;
      if (who === undefined) {
        const rec = recordOf(e.resource);
        if (rec !== undefined) who = await index.subjectOfRecord(reader, rec);
      }
      if (who === undefined) continue;
      entries++;
      subjects.add(who);
    }
  }
  const all = [...subjects].sort();
  return {
    query: q,
    subjects: all.slice(0, MAX_LISTED),
    count: all.length,
    entries,
    fromIndex,
    toIndex: i,
    treeSize: size,
  };
}
