// Verifying an access report where it is read (Node.js or a browser): the checkpoint's signature
// (and witness cosignatures), then every line's inclusion proof against it, and that each line
// says what its proven entry says. Pure: no network, the trust material passed in explicitly.

import {
  type AccessReport,
  type AccessReportHeader,
  type AccessReportLine,
  type AuditEntry,
  decodeAuditEntry,
  ACCESS_REPORT_FORMAT as FORMAT,
} from '../audit/index.ts';
import { bytesEqual, fromBase64 } from '../encoding/index.ts';
import { InputError, isVerityError, ReportError, VerityError } from '../errors/index.ts';
import { hashLeaf, InclusionBatchVerifier } from '../merkle/index.ts';
import {
  type Checkpoint,
  type NoteVerifier,
  parseCosignerKey,
  parseVerifierKey,
  type VerifiedCosignature,
  verifyCheckpoint,
  verifyCosignedCheckpoint,
} from '../note/index.ts';

/** Most lines a report given to the verifier may have (a page holds at most 50,000). */
const MAX_LINES = 100_000;
/** Largest report text read (a 50,000-line page is about 75 MB). */
const MAX_TEXT = 256 * 1024 * 1024;

/** What to check an access report against: the log's key, and witnesses when asked. */
export interface VerifyAccessReportOptions {
  /** The log's verifier key (`verity log key`), obtained out of band. */
  readonly verifierKey: string;
  /** Expected checkpoint origin; default: the verifier key's name. */
  readonly origin?: string;
  /** Require cosignatures by at least `quorum` of these witness keys (`verity witness key`). */
  readonly witnesses?: { readonly keys: readonly string[]; readonly quorum: number };
  /** The subject's audit pseudonym the report must be about, when the caller knows it. */
  readonly subject?: string;
}

/** A verified access report: its checkpoint, header, and the decoded entry of each line. */
export interface VerifiedAccessReport {
  readonly checkpoint: Checkpoint;
  readonly header: AccessReportHeader;
  readonly lines: readonly AccessReportLine[];
  readonly entries: readonly AuditEntry[];
  /** The witnesses whose cosignatures verified (with `witnesses`). */
  readonly cosignatures?: readonly VerifiedCosignature[];
}

/**
 * A checkpoint signed by the log key and, with `witnesses`, cosigned by a quorum of them. Shared
 * by the verifiers of this SDK that take a checkpoint with their evidence.
 */
export function checkNote(
  note: string,
  verifier: NoteVerifier,
  o: VerifyAccessReportOptions,
): { checkpoint: Checkpoint; cosignatures?: VerifiedCosignature[] } {
  const origin = o.origin ?? verifier.name;
  return o.witnesses === undefined
    ? verifyCheckpoint(note, verifier, origin)
    : verifyCosignedCheckpoint(note, {
        log: verifier,
        cosigners: o.witnesses.keys.map(parseCosignerKey),
        quorum: o.witnesses.quorum,
        origin,
      });
}

/** RFC 9162 proofs of trees below 2^64 leaves have at most 64 hashes. */
const MAX_PROOF = 64;

/** A 32-byte hash given as standard base64, decoded once per distinct text (attacker-controlled). */
function hashOf(v: unknown, what: string, cache: Map<string, Uint8Array>): Uint8Array {
  if (typeof v !== 'string') throw malformed(`${what} is not a base64 string`);
  let b = cache.get(v);
  if (b === undefined) {
    b = fromBase64(v, what);
    if (b.byteLength !== 32) throw malformed(`${what} is not a 32-byte hash`);
    if (cache.size < 1 << 20) cache.set(v, b);
  }
  return b;
}

/** The proof case of a line (what `parseProofCase` reads, with the decoded hashes shared). */
function parseLine(raw: Record<string, unknown>, cache: Map<string, Uint8Array>) {
  const treeSize = raw['treeSize'];
  const leafIndex = raw['leafIndex'];
  if (!Number.isSafeInteger(treeSize) || (treeSize as number) < 0) throw malformed('`treeSize` is not a size');
  if (!Number.isSafeInteger(leafIndex) || (leafIndex as number) < 0) throw malformed('`leafIndex` is not an index');
  const proof = raw['proof'];
  if (!Array.isArray(proof) || proof.length > MAX_PROOF)
    throw malformed(`\`proof\` is not a list of at most ${MAX_PROOF} hashes`);
  return {
    treeSize: treeSize as number,
    leafIndex: leafIndex as number,
    leafHash: hashOf(raw['leafHash'], '`leafHash`', cache),
    rootHash: hashOf(raw['rootHash'], '`rootHash`', cache),
    // Decoded only where hashed (see InclusionBatchVerifier): most lines share most of their path.
    proof: proof.map((p, i) => {
      if (typeof p !== 'string') throw malformed(`proof[${i}] is not a base64 string`);
      return p;
    }),
  };
}

const malformed = (why: string) => new ReportError('VERITY_E_REPORT_MALFORMED', `access report: ${why}`);
const invalid = (why: string) => new ReportError('VERITY_E_REPORT_INVALID', `access report: ${why}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a report given as JSON lines (header first) or as `{ header, lines }`. */
export function parseAccessReport(input: string | AccessReport | unknown): { header: unknown; lines: unknown[] } {
  if (typeof input === 'string') {
    if (input.length > MAX_TEXT) throw malformed(`larger than ${MAX_TEXT} characters`);
    const rows = input.split('\n').filter((l) => l.trim() !== '');
    if (rows.length === 0) throw malformed('it is empty');
    if (rows.length > MAX_LINES + 1) throw malformed(`more than ${MAX_LINES} lines`);
    const parsed = rows.map((r, i) => {
      try {
        return JSON.parse(r) as unknown;
      } catch {
        throw malformed(`line ${i + 1} is not JSON`);
      }
    });
    return { header: parsed[0], lines: parsed.slice(1) };
  }
  if (!isObject(input) || !Array.isArray(input['lines'])) throw malformed('expected JSON lines or { header, lines }');
  if (input['lines'].length > MAX_LINES) throw malformed(`more than ${MAX_LINES} lines`);
  return { header: input['header'], lines: input['lines'] as unknown[] };
}

/** The outcome of one line of an inspected report. */
export type InspectedLine =
  | { readonly ok: true; readonly line: AccessReportLine; readonly entry: AuditEntry }
  | { readonly ok: false; readonly line: unknown; readonly error: VerityError };

/** An access report inspected line by line (see `inspectAccessReport`). */
export interface InspectedAccessReport {
  readonly checkpoint: Checkpoint;
  readonly header: AccessReportHeader;
  /** One result per line, in order: each verified on its own. */
  readonly results: readonly InspectedLine[];
  /** Lines that failed. */
  readonly failed: number;
  /** The witnesses whose cosignatures verified (with `witnesses`). */
  readonly cosignatures?: readonly VerifiedCosignature[];
}

/**
 * Verifies an access report like `verifyAccessReport`, but line by line: the header and its
 * checkpoint must verify (else it throws, as a report without a trusted checkpoint proves nothing),
 * then every line is checked on its own and its result kept, so a page can mark each line verified
 * and name exactly the lines whose proofs fail instead of refusing the whole report.
 */
export function inspectAccessReport(input: string | AccessReport | unknown, o: VerifyAccessReportOptions) {
  return inspect(input, o).report;
}

function inspect(
  input: string | AccessReport | unknown,
  o: VerifyAccessReportOptions,
): { report: InspectedAccessReport; firstLoopError: VerityError | undefined } {
  const verifier = parseVerifierKey(o.verifierKey);
  const { header, lines } = parseAccessReport(input);
  if (!isObject(header) || header['report'] !== FORMAT) throw malformed(`the first line is not a ${FORMAT} header`);
  const note = header['checkpoint'];
  if (typeof note !== 'string') throw malformed('the header has no checkpoint');
  const subject = header['subject'];
  if (subject !== null && typeof subject !== 'string') throw malformed('the header names no subject');
  if (o.subject !== undefined && subject !== o.subject) throw invalid('it is about another subject');
  const bases = header['legalBases'];
  if (!isObject(bases)) throw malformed('the header has no legal basis table');
  if (header['lines'] !== lines.length)
    throw invalid(`the header counts ${String(header['lines'])} lines but ${lines.length} follow`);
  const { checkpoint, cosignatures } = checkNote(note, verifier, o);
  if (header['treeSize'] !== checkpoint.size) throw invalid('the header names another tree size than its checkpoint');
  if (subject === null && lines.length > 0) throw invalid('lines follow a header that names no subject');
  const results: InspectedLine[] = [];
  /** Records that lines naming the subject name; and lines naming only a record, to check against them. */
  const records = new Set<string>();
  const recordOnly: { n: number; at: string; record: string }[] = [];
  let last = -1;
  let failed = 0;
  let firstLoopError: VerityError | undefined;
  /** Decoded hashes by their base64 text: lines near each other share most of their proof's nodes. */
  const hashes = new Map<string, Uint8Array>();
  // Every line is proven against the one signed root: each tree node is hashed once for all lines.
  const paths = new InclusionBatchVerifier<string>(checkpoint.size, checkpoint.rootHash, (p, i) => {
    try {
      return hashOf(p, `proof[${i}]`, hashes);
    } catch (e) {
      throw isVerityError(e) ? new ReportError('VERITY_E_REPORT_MALFORMED', e.message) : e;
    }
  });
  const checkLine = (raw: unknown, n: number): AuditEntry => {
    const at = `line ${n + 2}`;
    if (!isObject(raw)) throw malformed(`${at} is not a JSON object`);
    let c: { treeSize: number; leafIndex: number; leafHash: Uint8Array; rootHash: Uint8Array; proof: string[] };
    let entryBytes: Uint8Array;
    try {
      if (raw['type'] !== 'inclusion') throw malformed(`${at} is not an inclusion proof`);
      c = parseLine(raw, hashes);
      if (typeof raw['entry'] !== 'string') throw new InputError('VERITY_E_INPUT_MALFORMED', 'no entry');
      entryBytes = fromBase64(raw['entry'], 'entry');
    } catch (e) {
      const why = isVerityError(e) ? e.message.replace(/^access report: /, '') : 'not a proof case';
      throw malformed(`${at}: ${why}`);
    }
    if (c.treeSize !== checkpoint.size || !bytesEqual(c.rootHash, checkpoint.rootHash))
      throw invalid(`${at} is proven against another tree than the report's checkpoint`);
    if (raw['index'] !== c.leafIndex) throw invalid(`${at}: \`index\` and \`leafIndex\` differ`);
    if (c.leafIndex <= last) throw invalid(`${at}: indices must strictly ascend (${c.leafIndex} after ${last})`);
    last = c.leafIndex;
    const leaf = hashLeaf(entryBytes);
    if (!bytesEqual(leaf, c.leafHash)) throw invalid(`${at}: the entry does not hash to the proven leaf`);
    // The proof, against the signed root (not the line's copy of it, though they were compared).
    try {
      paths.verify(leaf, c.leafIndex, c.proof);
    } catch (e) {
      if (e instanceof ReportError && e.code === 'VERITY_E_REPORT_MALFORMED')
        throw malformed(`${at}: ${e.message.replace(/^access report: /, '')}`);
      throw e;
    }
    let e: AuditEntry;
    try {
      e = decodeAuditEntry(entryBytes);
    } catch {
      throw invalid(`${at}: the proven entry is not an audit entry`);
    }
    const record = /^record:(rec_[A-Za-z0-9_-]{22})(?:@[0-9]+)?$/.exec(e.resource)?.[1];
    if (e.subject === subject && record !== undefined) records.add(record);
    else if (e.subject !== subject) {
      // An entry naming no subject is about one of the subject's records (a decision, a denied
      // read): the line must name a record that a line naming the subject names too.
      if (e.subject !== undefined || record === undefined) throw invalid(`${at}: the entry is about another subject`);
      recordOnly.push({ n, at, record });
    }
    const type = e.details?.['type'];
    const basis = bases[e.purpose];
    if (
      raw['time'] !== new Date(e.time).toISOString() ||
      raw['actor'] !== e.actor ||
      raw['action'] !== e.action ||
      raw['resource'] !== e.resource ||
      raw['purpose'] !== e.purpose ||
      raw['outcome'] !== e.outcome ||
      raw['recordType'] !== (typeof type === 'string' ? type : null)
    )
      throw invalid(`${at}: its fields differ from its proven entry`);
    if (!isObject(basis) || raw['legalBasis'] !== basis['basis'])
      throw invalid(`${at}: its legal basis differs from the report's table for purpose \`${e.purpose}\``);
    return e;
  };
  lines.forEach((raw, n) => {
    try {
      results.push({ ok: true, line: raw as AccessReportLine, entry: checkLine(raw, n) });
    } catch (e) {
      const error = e instanceof VerityError ? e : invalid(`line ${n + 2} could not be checked`);
      firstLoopError ??= error;
      failed++;
      results.push({ ok: false, line: raw, error });
    }
  });
  // On a later page (`after` set) the subject's line naming the record may be on an earlier page.
  if (header['after'] === -1)
    for (const r of recordOnly)
      if (!records.has(r.record)) {
        const prior = results[r.n];
        if (prior?.ok === true) {
          failed++;
          results[r.n] = {
            ok: false,
            line: prior.line,
            error: invalid(`${r.at}: it names a record no line of the subject names`),
          };
        }
      }
  return {
    report: {
      checkpoint,
      header: header as unknown as AccessReportHeader,
      results,
      failed,
      ...(cosignatures === undefined ? {} : { cosignatures }),
    },
    firstLoopError,
  };
}

/**
 * Verifies an access report (from `GET /v1/reports/access` or `verity report access`): its
 * checkpoint is signed by the log key (and, with `witnesses`, cosigned by a quorum of them); every
 * line's entry hashes to its proven leaf and is included in that checkpoint's tree (RFC 9162);
 * every line names the report's subject, states exactly its entry's fields and the legal basis the
 * header's table gives its purpose; indices strictly ascend. Throws VERITY_E_REPORT_MALFORMED,
 * VERITY_E_REPORT_INVALID, VERITY_E_LOG_PROOF_INVALID, VERITY_E_LOG_SIGNATURE_INVALID or
 * VERITY_E_WITNESS_QUORUM. What it cannot show: that no entry of the subject was left out (D86).
 *
 * @example
 * ```ts
 * const text = execFileSync('verity', ['report', 'access', '--data', dir, '--subject', 'player-1'], { encoding: 'utf8' });
 * const r = verifyAccessReport(text, { verifierKey });
 * console.log(r.lines.length, 'lines proven in tree', r.checkpoint.size);
 * ```
 */
export function verifyAccessReport(
  input: string | AccessReport | unknown,
  o: VerifyAccessReportOptions,
): VerifiedAccessReport {
  const { report, firstLoopError } = inspect(input, o);
  // The first line that failed its own checks; else the first that names a record no line of the
  // subject names (checked once every line was read).
  if (firstLoopError !== undefined) throw firstLoopError;
  const bad = report.results.find((r) => !r.ok);
  if (bad !== undefined && !bad.ok) throw bad.error;
  const lines: AccessReportLine[] = [];
  const entries: AuditEntry[] = [];
  for (const r of report.results)
    if (r.ok) {
      lines.push(r.line);
      entries.push(r.entry);
    }
  return {
    checkpoint: report.checkpoint,
    header: report.header,
    lines,
    entries,
    ...(report.cosignatures === undefined ? {} : { cosignatures: report.cosignatures }),
  };
}
