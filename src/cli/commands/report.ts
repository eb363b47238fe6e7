/** `verity report ...`: access reports (each line with its proof), their verification, privacy labels. */

import { fromUtf8 } from '../../encoding/index.ts';
import { isVerityError } from '../../errors/index.ts';
import {
  AccessReports,
  accessReportToJsonLines,
  defaultLegalBases,
  MAX_REPORT_LINES,
  privacyLabel,
  privacyLabelText,
} from '../../reports/index.ts';
import { verifyAccessReport } from '../../sdk/index.ts';
import { type Command, type Group, UsageError, usage } from '../command.ts';
import { ACTOR, DATA, int, list, opt, str, withLog, withVerity } from '../common.ts';
import { out, outJson, readInput } from '../io.ts';

const access: Command = {
  name: 'access',
  summary: "a player's access report: JSON lines, a header then one line per log entry about them, each with its proof",
  options: {
    ...DATA,
    subject: { type: 'string', value: 'ID', identifier: true, required: true, help: 'the player' },
    purpose: { type: 'string', value: 'P', identifier: true, help: 'why it is asked (default user-request); logged' },
    after: {
      type: 'string',
      value: 'I',
      help: "only entries after log index I (the header's `next` of the previous page)",
    },
    limit: { type: 'string', value: 'N', help: 'at most N lines (default 10000, at most 50000)' },
  },
  details:
    "The first line is the header: the subject's audit pseudonym, the signed checkpoint (`checkpoint`, a C2SP\n" +
    'note) and its tree size, the legal basis of each purpose, and `next` when more lines follow. Every other\n' +
    'line is an RFC 9162 inclusion proof case (type, index, leafIndex, treeSize, leafHash, rootHash, proof) with\n' +
    "the log entry it proves (`entry`, base64) and that entry's fields (time, actor, action, resource,\n" +
    'recordType, purpose, legalBasis, outcome). Check it with `verity report verify` or line by line with\n' +
    '`verity log verify-proof`, which takes the checkpoint from the header. The request itself is logged and is\n' +
    'the last line. A player whose key was shredded has no pseudonym any more: the report is empty.',
  async run({ values }) {
    const subject = str(values, 'subject');
    const purpose = opt(values, 'purpose') ?? 'user-request';
    const after = values['after'] === undefined ? undefined : int(values, 'after', true);
    const limit = int(values, 'limit', false);
    if (limit !== undefined && (limit < 1 || limit > MAX_REPORT_LINES))
      usage(`--limit must be between 1 and ${MAX_REPORT_LINES}`, 'report access');
    const text = await withVerity(values, async (v) => {
      const reports = new AccessReports(v.store, v.log, v.vault);
      const r = await reports.build(
        await v.vault.subjectRef(subject),
        { actor: ACTOR, purpose },
        { ...(after === undefined ? {} : { after }), ...(limit === undefined ? {} : { limit }) },
      );
      return accessReportToJsonLines(r);
    });
    await out(text);
    return 0;
  },
};

/** Errors that are a verdict on the report (exit 1), not a problem with the input (exit 2). */
const VERDICTS: ReadonlySet<string> = new Set([
  'VERITY_E_REPORT_INVALID',
  'VERITY_E_LOG_PROOF_INVALID',
  'VERITY_E_LOG_SIGNATURE_INVALID',
  'VERITY_E_LOG_CHECKPOINT_INVALID',
  'VERITY_E_WITNESS_QUORUM',
]);

const verify: Command = {
  name: 'verify',
  summary: 'check an access report (FILE, or - for stdin) against the log key, and its witnesses',
  options: {
    key: { type: 'string', value: 'VKEY', help: 'the log verifier key (or VERITY_LOG_KEY)' },
    'witness-key': {
      type: 'string',
      value: 'VKEY',
      multiple: true,
      help: 'a witness cosigner key: the checkpoint must be cosigned (repeatable)',
    },
    quorum: { type: 'string', value: 'K', help: 'valid cosignatures required (default: all witness keys)' },
  },
  args: ['FILE'],
  details:
    "`valid` means: the header's checkpoint is signed by the key (and cosigned by the quorum), every line's\n" +
    'entry is proven included in that tree, and every line says what its entry says. It cannot show that no\n' +
    'entry was left out (see docs/decisions.md D86).',
  async run({ values, positionals }) {
    const key = opt(values, 'key') ?? process.env['VERITY_LOG_KEY'];
    if (key === undefined || key === '') usage('--key VKEY (or VERITY_LOG_KEY) is required', 'report verify');
    const keys = list(values, 'witness-key');
    const quorum = int(values, 'quorum', false);
    if (quorum !== undefined && (keys.length === 0 || quorum < 1 || quorum > keys.length))
      usage('--quorum must be between 1 and the number of --witness-key given', 'report verify');
    const text = fromUtf8(await readInput(positionals[0] as string, 256 * 1024 * 1024), 'report');
    try {
      const r = verifyAccessReport(text, {
        verifierKey: key,
        ...(keys.length === 0 ? {} : { witnesses: { keys, quorum: quorum ?? keys.length } }),
      });
      await outJson({
        valid: true,
        subject: r.header.subject,
        lines: r.lines.length,
        treeSize: r.checkpoint.size,
        ...(r.cosignatures === undefined ? {} : { cosigners: r.cosignatures.map((c) => c.name) }),
      });
      return 0;
    } catch (e) {
      if (isVerityError(e, 'VERITY_E_REPORT_MALFORMED') || isVerityError(e, 'VERITY_E_INPUT_MALFORMED'))
        throw new UsageError('VERITY_E_REPORT_MALFORMED', e.message, { cause: e });
      if (isVerityError(e) && VERDICTS.has(e.code)) {
        await outJson({ valid: false, code: e.code, reason: e.message });
        return 1;
      }
      throw e;
    }
  },
};

const label: Command = {
  name: 'label',
  summary:
    "a record type's privacy label: categories, purposes and legal bases, retention, recipients (no secret needed)",
  options: {
    ...DATA,
    type: { type: 'string', value: 'TYPE', required: true, identifier: true, help: 'the record type' },
    text: { type: 'boolean', help: 'a few lines of plain text instead of JSON' },
  },
  async run({ values }) {
    const l = await withLog(values, ({ store }) =>
      privacyLabel(store.reader, str(values, 'type'), {
        clock: { now: () => Date.now() },
        legalBases: defaultLegalBases(),
      }),
    );
    if (values['text'] === true) await out(privacyLabelText(l));
    else await outJson(l);
    return 0;
  },
};

export const report: Group = {
  name: 'report',
  summary: 'access reports with proofs, and privacy labels',
  commands: [access, verify, label],
};
