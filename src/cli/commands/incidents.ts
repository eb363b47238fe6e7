/** `verity incidents ...`: the incident register of a data directory (GDPR Art. 33 and 34). */

import { createHash } from 'node:crypto';
import { toBase64Url } from '../../encoding/index.ts';
import { type AffectedQuery, IncidentRegister, type IncidentStatus } from '../../incidents/index.ts';
import { AccessReports } from '../../reports/index.ts';
import { type Command, type Group, type OptionSpec, usage, type Values } from '../command.ts';
import { ACTOR, DATA, int, list, type Opened, opt, printWithVerity, str } from '../common.ts';
import { readInput } from '../io.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time option, in milliseconds since the epoch. */
function timeOpt(values: Values, name: string, where: string): number | undefined {
  const v = opt(values, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!RFC3339.test(v) || !Number.isFinite(t))
    usage(`--${name} must be an RFC 3339 time, e.g. 2026-05-01T10:00:00Z`, where);
  return t;
}

const ID: Readonly<Record<string, OptionSpec>> = {
  id: { type: 'string', value: 'ID', required: true, help: 'the incident (inc_...)' },
};

/** Options naming the log window to search for affected subjects. */
const WINDOW: Readonly<Record<string, OptionSpec>> = {
  from: { type: 'string', value: 'TIME', help: 'search the log for affected subjects from TIME (RFC 3339)' },
  to: { type: 'string', value: 'TIME', help: 'to TIME (RFC 3339, default now)' },
  'record-type': {
    type: 'string',
    value: 'T',
    multiple: true,
    help: 'only entries about records of type T (repeatable)',
  },
  actor: {
    type: 'string',
    value: 'A',
    multiple: true,
    help: 'only entries by actor A, e.g. service:shop (repeatable)',
  },
  action: { type: 'string', value: 'X', multiple: true, help: 'only action X, e.g. record.read (repeatable)' },
};

function windowFrom(values: Values, where: string, required: boolean): AffectedQuery | undefined {
  const from = timeOpt(values, 'from', where);
  if (from === undefined) {
    if (required) usage('--from TIME is required', where);
    for (const k of ['to', 'record-type', 'actor', 'action'])
      if (values[k] !== undefined) usage(`--${k} needs --from`, where);
    return undefined;
  }
  const pick = (k: string) => (values[k] === undefined ? undefined : list(values, k));
  const recordTypes = pick('record-type');
  const actors = pick('actor');
  const actions = pick('action');
  return {
    from,
    to: timeOpt(values, 'to', where) ?? Date.now(),
    ...(recordTypes === undefined ? {} : { recordTypes }),
    ...(actors === undefined ? {} : { actors }),
    ...(actions === undefined ? {} : { actions }),
  };
}

/** The register of an open data directory. */
function registerOf(v: Opened): IncidentRegister {
  return new IncidentRegister(v.store, v.log, new AccessReports(v.store, v.log, v.vault).index);
}

const access = { actor: ACTOR };

const open: Command = {
  name: 'open',
  summary: 'record a personal data breach; the 72-hour clock of GDPR Art. 33 starts when you became aware',
  options: {
    ...DATA,
    description: { type: 'string', value: 'TEXT', required: true, help: 'what happened (no personal data)' },
    category: {
      type: 'string',
      value: 'C',
      multiple: true,
      help: 'a data category concerned, e.g. dpv-pd:Contact (repeatable)',
    },
    'detected-at': { type: 'string', value: 'TIME', help: 'when it was detected (RFC 3339, default now)' },
    'aware-at': { type: 'string', value: 'TIME', help: 'when the controller became aware (default: detected-at)' },
    ...WINDOW,
  },
  async run({ values }) {
    const where = 'incidents open';
    const detectedAt = timeOpt(values, 'detected-at', where);
    const awareAt = timeOpt(values, 'aware-at', where) ?? detectedAt;
    const affected = windowFrom(values, where, false);
    return printWithVerity(values, (v) =>
      registerOf(v).open(
        {
          description: str(values, 'description'),
          categories: list(values, 'category'),
          ...(detectedAt === undefined ? {} : { detectedAt }),
          ...(awareAt === undefined ? {} : { awareAt }),
          ...(affected === undefined ? {} : { affected }),
        },
        access,
      ),
    );
  },
};

const assess: Command = {
  name: 'assess',
  summary: 'search the log again for the subjects an incident affected',
  // The search needs its start: --from is required here, unlike on `open` (the help says so: D415).
  options: { ...DATA, ...ID, ...WINDOW, from: { ...(WINDOW['from'] as OptionSpec), required: true } },
  async run({ values }) {
    const q = windowFrom(values, 'incidents assess', true) as AffectedQuery;
    return printWithVerity(values, (v) => registerOf(v).assess(str(values, 'id'), q, access));
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'the incidents and their clocks; --overdue for those past 72 hours without notifying the authority',
  options: {
    ...DATA,
    status: { type: 'string', value: 'S', help: 'only open, notified or closed ones' },
    overdue: { type: 'boolean', help: 'only those past their deadline with the authority not notified' },
  },
  async run({ values }) {
    const status = opt(values, 'status');
    if (status !== undefined && !['open', 'notified', 'closed'].includes(status))
      usage('--status must be open, notified or closed', 'incidents list');
    return printWithVerity(values, (v) =>
      registerOf(v).list({
        ...(status === undefined ? {} : { status: status as IncidentStatus }),
        overdue: values['overdue'] === true,
        limit: 1000,
      }),
    );
  },
};

const show: Command = {
  name: 'show',
  summary: 'one incident: affected subjects, notifications and evidence, its clock',
  options: { ...DATA, ...ID },
  async run({ values }) {
    return printWithVerity(values, (v) => registerOf(v).get(str(values, 'id')));
  },
};

const notify: Command = {
  name: 'notify',
  summary:
    'record a notification sent to the authority or the subjects, with its evidence (its hash goes into the log)',
  options: {
    ...DATA,
    ...ID,
    to: { type: 'string', value: 'WHOM', required: true, help: 'authority (Art. 33) or subjects (Art. 34)' },
    reference: {
      type: 'string',
      value: 'REF',
      required: true,
      help: 'a case number, URL or message id (no personal data)',
    },
    evidence: { type: 'string', value: 'FILE', help: 'the notice as sent, or its receipt: its SHA-256 is recorded' },
    'evidence-hash': { type: 'string', value: 'H', help: 'or that hash: sha256: and 43 base64url characters' },
    at: { type: 'string', value: 'TIME', help: 'when it was sent (RFC 3339, default now)' },
    subjects: { type: 'string', value: 'N', help: 'how many subjects were notified' },
    'delay-reason': { type: 'string', value: 'TEXT', help: 'why the authority is notified after 72 hours' },
  },
  async run({ values }) {
    const where = 'incidents notify';
    const to = str(values, 'to');
    if (to !== 'authority' && to !== 'subjects') usage('--to must be authority or subjects', where);
    const file = opt(values, 'evidence');
    let evidenceHash = opt(values, 'evidence-hash');
    if (file !== undefined && evidenceHash !== undefined) usage('give --evidence or --evidence-hash, not both', where);
    if (file !== undefined)
      evidenceHash = `sha256:${toBase64Url(
        createHash('sha256')
          .update(await readInput(file, 64 * 1024 * 1024))
          .digest(),
      )}`;
    const at = timeOpt(values, 'at', where);
    const subjects = int(values, 'subjects', false);
    const delayReason = opt(values, 'delay-reason');
    return printWithVerity(values, (v) =>
      registerOf(v).notify(
        str(values, 'id'),
        {
          to,
          reference: str(values, 'reference'),
          ...(evidenceHash === undefined ? {} : { evidenceHash }),
          ...(at === undefined ? {} : { at }),
          ...(subjects === undefined ? {} : { subjects }),
          ...(delayReason === undefined ? {} : { delayReason }),
        },
        access,
      ),
    );
  },
};

const close: Command = {
  name: 'close',
  summary: 'close an incident with its resolution (and why the authority was not notified, if it was not)',
  options: {
    ...DATA,
    ...ID,
    resolution: { type: 'string', value: 'TEXT', required: true, help: 'how it was resolved' },
    'not-required': { type: 'string', value: 'TEXT', help: 'why notifying the authority was not required' },
  },
  async run({ values }) {
    const notRequired = opt(values, 'not-required');
    return printWithVerity(values, (v) =>
      registerOf(v).close(
        str(values, 'id'),
        { resolution: str(values, 'resolution'), ...(notRequired === undefined ? {} : { notRequired }) },
        access,
      ),
    );
  },
};

export const incidents: Group = {
  name: 'incidents',
  summary: 'the incident register: breaches, affected subjects, the 72-hour clock, notifications',
  commands: [open, listCmd, show, assess, notify, close],
};
