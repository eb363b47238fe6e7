// Access reports (FGMV-46 7.1.5, 7.4.2; GDPR Art. 15): for one subject, every log entry about
// them, each with its RFC 9162 inclusion proof against one signed (and, with witnesses, cosigned)
// checkpoint, so the subject can check every line without trusting the server.

import {
  ACCESS_REPORT_FORMAT,
  type AccessReport,
  type AccessReportHeader,
  type AccessReportLine,
  type AuditEntry,
  encodeSuccessEntry,
} from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { toBase64 } from '../encoding/index.ts';
import { InputError, LogError, quote, ReportError } from '../errors/index.ts';
import type { InclusionProofCase, TransparencyLog } from '../log/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import type { Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';
import { defaultLegalBases, type LegalBasis, type LegalBasisSource, legalBasisOf } from './legal.ts';
import { auditEntryOf, SubjectIndex } from './subject-index.ts';

/** Most lines one report page holds. */
export const MAX_REPORT_LINES = 50_000;
/** Lines per page unless asked otherwise. */
export const DEFAULT_REPORT_LINES = 10_000;
/** Lines read and proven together. */
const FETCH = 256;
/** Their entries are read in one range when it spans at most this many entries, else one by one. */
const MAX_SPAN = 16_384;

/** Who asks for a report and why (logged as a `report.access` entry naming the subject). */
export interface ReportAccess {
  readonly actor: string;
  readonly purpose: string;
  /** Hash of the policy set that allowed it. */
  readonly policy?: string;
}

export interface AccessReportsOptions {
  readonly clock?: Clock;
  /** Legal basis of each purpose (default: `defaultLegalBases()`). */
  readonly legalBases?: LegalBasisSource;
  /**
   * The checkpoint reports are proven against: by default the log's newest; a server with
   * witnesses passes its newest cosigned one, and lines newer than it are left out as pending.
   */
  readonly checkpoint?: () => Promise<string | undefined>;
}

/** Builds access reports over the subject index. */
export class AccessReports {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #vault: Vault;
  readonly #clock: Clock;
  readonly #bases: LegalBasisSource;
  readonly #checkpoint: (() => Promise<string | undefined>) | undefined;
  readonly index: SubjectIndex;

  constructor(store: Store, log: TransparencyLog, vault: Vault, options: AccessReportsOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#vault = vault;
    this.#clock = options.clock ?? systemClock;
    this.#bases = options.legalBases ?? defaultLegalBases();
    this.#checkpoint = options.checkpoint;
    this.index = new SubjectIndex(log, () => this.#clock.now());
  }

  /**
   * The access report of the subject with storage reference `subjectRef` (a player id's reference:
   * `vault.subjectRef(id)`, or a session's). The request is logged first, in the transaction that
   * brings the subject index up to date, and appears as the report's last line once proven.
   */
  async build(
    subjectRef: string,
    access: ReportAccess,
    page: { after?: number; limit?: number } = {},
  ): Promise<AccessReport> {
    const after = page.after ?? -1;
    const limit = page.limit ?? DEFAULT_REPORT_LINES;
    if (!Number.isSafeInteger(after) || after < -1)
      throw new InputError('VERITY_E_INPUT_INVALID', `\`after\` ${quote(after)} must be a log index or -1`);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_REPORT_LINES)
      throw new InputError('VERITY_E_INPUT_INVALID', `\`limit\` must be between 1 and ${MAX_REPORT_LINES}`);
    const pseudonym = await this.#vault.auditPseudonym(subjectRef);
    const now = this.#clock.now();
    const { result: own, indexedTo } = await this.index.catchUp((_tx, batch) =>
      batch.add(
        encodeSuccessEntry(access, {
          action: 'report.access',
          resource: 'subject:access-report',
          time: now,
          ...(pseudonym === undefined ? {} : { subject: pseudonym }),
        }),
      ),
    );
    const note = (await this.#checkpoint?.()) ?? (await this.#log.checkpoint());
    const cp = verifyCheckpoint(note, this.#log.verifier, this.#log.origin).checkpoint;
    let indices: number[] = [];
    let checked = 0;
    if (pseudonym !== undefined) {
      indices = await this.index.indicesOf(this.#store.reader, pseudonym);
      // The report's own request is not indexed yet (it was logged with the catch-up).
      if (own !== undefined && own >= indexedTo) indices.push(own);
      checked = await this.#checkRecordWrites(subjectRef, new Set(indices), Math.min(cp.size, indexedTo));
    }
    const proven = indices.filter((i) => i < cp.size);
    const pending = indices.length - proven.length;
    const pageIndices = proven.filter((i) => i > after);
    const selected = pageIndices.slice(0, limit);
    const lines: AccessReportLine[] = [];
    const bases: Record<string, LegalBasis> = {};
    for (let k = 0; k < selected.length; k += FETCH) {
      const part = selected.slice(k, k + FETCH);
      // One read for the part's span of the log (a subject's entries are spread, but near in time).
      const first = part[0] as number;
      const end = (part[part.length - 1] as number) + 1;
      const span = end - first <= MAX_SPAN ? await this.#store.reader.getLogEntries(first, end) : undefined;
      const proofs = await this.#log.inclusionProofs(part, cp.size);
      for (const [j, index] of part.entries()) {
        const bytes = (span?.[index - first] ??
          (await this.#store.reader.getLogEntries(index, index + 1))[0]) as Uint8Array;
        const e = auditEntryOf(bytes);
        if (e === undefined)
          throw new LogError('VERITY_E_LOG_TAMPERED', `log entry ${index} of the subject index is not an audit entry`);
        const basis = legalBasisOf(this.#bases, e.purpose);
        bases[e.purpose] = basis;
        lines.push(reportLine(index, bytes, e, proofs[j] as InclusionProofCase, basis));
      }
    }
    const more = pageIndices.length > selected.length;
    const header: AccessReportHeader = {
      report: ACCESS_REPORT_FORMAT,
      subject: pseudonym ?? null,
      generatedAt: new Date(now).toISOString(),
      checkpoint: note,
      treeSize: cp.size,
      lines: lines.length,
      after,
      next: more ? (selected[selected.length - 1] as number) : null,
      pending,
      legalBases: bases,
      completeness: { recordWritesChecked: checked, indexedTo },
    };
    return { header, lines };
  }

  /**
   * Cross-checks the index against the state map: every version of every record the subject holds
   * was written by an entry the index lists (a dropped write line would be caught here; a dropped
   * read line would not: see D86). Returns how many versions were checked.
   */
  async #checkRecordWrites(subjectRef: string, indices: ReadonlySet<number>, upTo: number): Promise<number> {
    const reader = this.#store.reader;
    let checked = 0;
    let after: string | undefined;
    for (;;) {
      const rows = await reader.listRecordsBySubject(subjectRef, { limit: 500, ...(after ? { after } : {}) });
      if (rows.length === 0) return checked;
      for (const r of rows) {
        for (const v of r.version === 1 ? [r] : await reader.listRecordVersions(r.id)) {
          if (v.logIndex >= upTo) continue;
          checked++;
          if (!indices.has(v.logIndex))
            throw new ReportError(
              'VERITY_E_REPORT_INDEX_INCOMPLETE',
              `the subject index lacks the write of record ${quote(v.id)} version ${v.version} (log entry ${v.logIndex}); run \`verity log verify\``,
            );
        }
      }
      after = rows[rows.length - 1]?.id;
    }
  }
}

/** One report line: the proof case, the entry and its fields. */
function reportLine(
  index: number,
  bytes: Uint8Array,
  e: AuditEntry,
  proof: { treeSize: number; leafHash: string; rootHash: string; proof: string[] },
  basis: LegalBasis,
): AccessReportLine {
  const type = e.details?.['type'];
  return {
    type: 'inclusion',
    index,
    leafIndex: index,
    treeSize: proof.treeSize,
    leafHash: proof.leafHash,
    rootHash: proof.rootHash,
    proof: proof.proof,
    entry: toBase64(bytes),
    time: new Date(e.time).toISOString(),
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    recordType: typeof type === 'string' ? type : null,
    purpose: e.purpose,
    legalBasis: basis.basis,
    outcome: e.outcome,
  };
}

/** A report as JSON lines: the header, then one line per entry (what `verity report access` prints). */
export function accessReportToJsonLines(report: AccessReport): string {
  return [report.header, ...report.lines].map((l) => JSON.stringify(l)).join('\n');
}
