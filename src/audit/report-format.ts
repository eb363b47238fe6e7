// The shape of an access report (a subject's part of the audit trail, each line with its proof), as
// the server and `verity report access` write it and the SDK (`verifyAccessReport`) and `verity log
// verify-proof` read it. Here, beside the audit entry, so that verifiers import the shape without
// the code that builds reports (src/reports).

/** The six lawful bases of GDPR Art. 6(1), plus `unknown` for a purpose nobody mapped. */
export type LegalBasisKind =
  | 'consent'
  | 'contract'
  | 'legal-obligation'
  | 'vital-interests'
  | 'public-task'
  | 'legitimate-interests'
  | 'unknown';

/** The `report` field of an access report's header line. */
export const ACCESS_REPORT_FORMAT = 'verity.access-report/v1';

/**
 * The first line of an access report: whom it is about, the signed checkpoint (cosigned when the
 * server has witnesses) every line is proven against, and the legal basis table used.
 */
export interface AccessReportHeader {
  readonly report: typeof ACCESS_REPORT_FORMAT;
  /** The subject's audit pseudonym (`sp_...`), or null when the subject has no key (unknown or shredded). */
  readonly subject: string | null;
  /** RFC 3339 time the report was made. */
  readonly generatedAt: string;
  /** The C2SP signed checkpoint note (with witness cosignature lines when witnessed). */
  readonly checkpoint: string;
  /** The checkpoint's tree size: every line's `treeSize`. */
  readonly treeSize: number;
  /** Lines that follow this header. */
  readonly lines: number;
  /** Lines of this page start after this log index (-1: from the start). */
  readonly after: number;
  /** The last index of this page when more lines follow (ask again with `after`), else null. */
  readonly next: number | null;
  /** The subject's entries newer than the checkpoint, left out until a checkpoint covers them. */
  readonly pending: number;
  /** The legal basis of each purpose the lines name (a claim of the privacy policy, not proven). */
  readonly legalBases: Readonly<Record<string, { readonly basis: LegalBasisKind; readonly term: string }>>;
  /** How complete the report is known to be: see docs/decisions.md D86. */
  readonly completeness: {
    /** Record versions of the subject the state map holds, each checked to have its write line. */
    readonly recordWritesChecked: number;
    /** Where the subject index had read the log to when the report was made. */
    readonly indexedTo: number;
  };
}

/**
 * One line: an RFC 9162 inclusion proof case (the fields `verity log verify-proof` reads), the
 * log entry it proves (`entry`, standard base64 of its bytes), and that entry's fields spelled out.
 */
export interface AccessReportLine {
  readonly type: 'inclusion';
  /** The entry's log index (also `leafIndex`). */
  readonly index: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** Standard base64 of SHA-256(0x00 || entry). */
  readonly leafHash: string;
  readonly rootHash: string;
  readonly proof: readonly string[];
  /** Standard base64 of the entry bytes (RFC 8785 JSON of the audit entry). */
  readonly entry: string;
  /** RFC 3339 time of the entry. */
  readonly time: string;
  /** Who acted: a service principal (`service:NAME`), `player:session-ID`, `operator:cli`, ... */
  readonly actor: string;
  readonly action: string;
  /** What was acted on, e.g. `record:rec_...@2`. */
  readonly resource: string;
  /** The record type, when the entry names one. */
  readonly recordType: string | null;
  readonly purpose: string;
  readonly legalBasis: LegalBasisKind;
  readonly outcome: string;
}

/** A whole report: its header and its lines, in log order. */
export interface AccessReport {
  readonly header: AccessReportHeader;
  readonly lines: readonly AccessReportLine[];
}
