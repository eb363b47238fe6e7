/** `verity rights ...` and `verity retention ...`: data-subject requests and retention on a data directory. */

import { systemClock } from '../../clock/index.ts';
import { fromUtf8, parseJson } from '../../encoding/index.ts';
import { Retention, tableRules } from '../../retention/index.ts';
import { REASON_KINDS, RIGHT_TYPES, type RightType, readLimits } from '../../rights/index.ts';
import { type Command, type Group, usage } from '../command.ts';
import { ACTOR, DATA, list, opt, printWithVerity, str, withVerity } from '../common.ts';
import { outJson, readInput } from '../io.ts';

const ID = { type: 'string', value: 'ID', required: true, help: 'the request id (rr_...)' } as const;

const request: Command = {
  name: 'request',
  summary: 'file a data-subject request; prints it as JSON with its legal deadline and the regime it comes from',
  options: {
    ...DATA,
    subject: { type: 'string', value: 'S', identifier: true, required: true, help: 'the player' },
    type: { type: 'string', value: 'T', required: true, help: `the right: ${RIGHT_TYPES.join('|')}` },
    regime: { type: 'string', value: 'R', help: 'gdpr (default), ccpa or lgpd' },
    'evidence-kind': {
      type: 'string',
      value: 'K',
      help: 'how the operator verified the requester: account-login, document-check, knowledge-check, in-person (default), authorized-agent',
    },
    'evidence-ref': { type: 'string', value: 'REF', help: 'where that evidence is kept (the log keeps its hash)' },
    purpose: {
      type: 'string',
      value: 'P',
      multiple: true,
      identifier: true,
      help: 'objection: a purpose objected to (repeatable)',
    },
  },
  details: 'Filed as the local operator (operator:cli), the identity check recorded as an operator verification.',
  async run({ values }) {
    const type = str(values, 'type');
    if (!(RIGHT_TYPES as readonly string[]).includes(type))
      usage(`--type must be one of ${RIGHT_TYPES.join(', ')}`, 'rights request');
    const purposes = list(values, 'purpose');
    const ref = opt(values, 'evidence-ref');
    return printWithVerity(values, async (v) =>
      v.rights.file({
        type: type as RightType,
        subjectRef: await v.vault.subjectRef(str(values, 'subject')),
        identity: {
          method: 'operator',
          evidenceKind: opt(values, 'evidence-kind') ?? 'in-person',
          ...(ref === undefined ? {} : { evidenceRef: ref }),
        },
        actor: ACTOR,
        ...(opt(values, 'regime') === undefined ? {} : { regime: opt(values, 'regime') as string }),
        ...(purposes.length === 0 ? {} : { scope: { purposes } }),
      }),
    );
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'list data-subject requests (--overdue: open ones past their deadline)',
  options: {
    ...DATA,
    overdue: { type: 'boolean', help: 'only the open requests past their deadline' },
    subject: { type: 'string', value: 'S', identifier: true, help: 'only the requests of this player' },
  },
  async run({ values }) {
    return printWithVerity(values, async (v) => {
      if (values['overdue'] === true) return v.rights.requests.overdue();
      const s = opt(values, 'subject');
      return v.rights.requests.list({
        limit: 1000,
        ...(s === undefined ? {} : { subjectRef: await v.vault.subjectRef(s) }),
      });
    });
  },
};

const show: Command = {
  name: 'show',
  summary: 'one request: status, deadline, extensions, identity check, evidence, processor notifications',
  options: { ...DATA, id: ID },
  async run({ values }) {
    return printWithVerity(values, async (v) => {
      const req = await v.rights.requests.get(str(values, 'id'));
      return { ...req, notifications: await v.rights.processors.notificationsOf(req.id) };
    });
  },
};

const REASON = {
  reason: { type: 'string', value: 'R', required: true, help: `why: ${REASON_KINDS.join(', ')}` },
  note: { type: 'string', value: 'TEXT', help: 'a note kept with the request (the log keeps its hash)' },
} as const;

/** `extend` and `refuse`: a step on one request, for a logged reason. */
function forReason(name: 'extend' | 'refuse', summary: string): Command {
  return {
    name,
    summary,
    options: { ...DATA, id: ID, ...REASON },
    async run({ values }) {
      return printWithVerity(values, (v) =>
        v.rights.requests[name](str(values, 'id'), { reason: str(values, 'reason'), note: opt(values, 'note') }, ACTOR),
      );
    },
  };
}

const extend = forReason('extend', 'extend the deadline as the regime allows, for a logged reason');
const refuse = forReason('refuse', 'refuse a request, for a logged reason');

const complete: Command = {
  name: 'complete',
  summary:
    'carry a request out and complete it (access: export and summary; portability: a signed bundle; erasure: tombstone proofs; ...)',
  options: {
    ...DATA,
    id: ID,
    mode: { type: 'string', value: 'M', help: 'erasure: shred (default) or records' },
    corrections: {
      type: 'string',
      value: 'FILE',
      help: 'rectification: a JSON file [{"id": "rec_...", "data": {...}}] (- for stdin)',
    },
    record: {
      type: 'string',
      value: 'ID',
      multiple: true,
      help: "restriction: a record restricted; erasure: a record erased, the key kept (default: the request's scope, else all)",
    },
  },
  async run({ values }) {
    const mode = opt(values, 'mode');
    if (mode !== undefined && mode !== 'shred' && mode !== 'records')
      usage('--mode is shred or records', 'rights complete');
    const file = opt(values, 'corrections');
    const corrections =
      file === undefined
        ? undefined
        : (parseJson(
            fromUtf8(await readInput(file, 8 * 1024 * 1024), 'corrections'),
            { maxBytes: 8 * 1024 * 1024, maxDepth: 40 },
            'corrections',
          ) as never);
    const records = list(values, 'record');
    return printWithVerity(values, (v) =>
      v.rights.execute(
        str(values, 'id'),
        {
          ...(mode === undefined ? {} : { mode: mode as 'shred' | 'records' }),
          ...(corrections === undefined ? {} : { corrections }),
          ...(records.length === 0 ? {} : { records }),
        },
        { actor: ACTOR },
      ),
    );
  },
};

const lift: Command = {
  name: 'lift',
  summary:
    'lift a restriction of records and/or withdraw an objection to purposes, for a reason; prints the lift as JSON',
  options: {
    ...DATA,
    subject: { type: 'string', value: 'S', identifier: true, required: true, help: 'the player' },
    record: { type: 'string', value: 'ID', multiple: true, help: 'a restricted record to release (repeatable)' },
    purpose: {
      type: 'string',
      value: 'P',
      multiple: true,
      identifier: true,
      help: 'a purpose whose objection is withdrawn (repeatable)',
    },
    reason: {
      type: 'string',
      value: 'TEXT',
      required: true,
      help: 'why (kept in the state; the log keeps a salted hash)',
    },
    'informed-at': {
      type: 'string',
      value: 'TIME',
      help: 'when the subject was told the restriction would be lifted (ISO 8601; needed with --record, GDPR Art. 18(3))',
    },
  },
  details:
    'Lifted as the local operator (operator:cli), the controller: lifting a restriction needs --informed-at. The requests it ends name it; processors are notified.',
  async run({ values }) {
    const records = list(values, 'record');
    const purposes = list(values, 'purpose');
    if (records.length === 0 && purposes.length === 0) usage('give --record or --purpose', 'rights lift');
    const informedAt = opt(values, 'informed-at');
    const r = await withVerity(values, async (v) =>
      v.rights.lift(
        {
          subjectRef: await v.vault.subjectRef(str(values, 'subject')),
          by: 'controller',
          reason: str(values, 'reason'),
          ...(records.length === 0 ? {} : { records }),
          ...(purposes.length === 0 ? {} : { purposes }),
          ...(informedAt === undefined ? {} : { informedAt }),
        },
        ACTOR,
      ),
    );
    await outJson(r);
    return 0;
  },
};

const notify: Command = {
  name: 'notify',
  summary: 'deliver the processors\u2019 pending notifications now (the server does it every 30 s)',
  options: { ...DATA },
  async run({ values }) {
    return printWithVerity(values, (v) => v.rights.processors.deliver());
  },
};

export const rights: Group = {
  name: 'rights',
  summary: 'data-subject requests: access, portability, rectification, erasure, restriction, objection',
  commands: [request, listCmd, show, extend, refuse, complete, lift, notify],
};

const run: Command = {
  name: 'run',
  summary: 'erase or anonymize what has run out (--dry-run: only report what would happen)',
  options: {
    ...DATA,
    'dry-run': { type: 'boolean', help: 'report only; change nothing' },
    rules: {
      type: 'string',
      value: 'FILE',
      help: 'retention rules {types: {TYPE: {afterDays, action, keep?}}, categories: {...}} (default: records\u2019 own deadlines)',
    },
  },
  async run({ values }) {
    const file = opt(values, 'rules');
    const rules =
      file === undefined
        ? undefined
        : tableRules(
            parseJson(
              fromUtf8(await readInput(file, 1024 * 1024), 'rules'),
              { maxBytes: 1024 * 1024, maxDepth: 8 },
              'rules',
            ),
            file.slice(0, 100),
          );
    const r = await withVerity(values, (v) =>
      (rules === undefined
        ? v.retention
        : new Retention({
            store: v.store,
            vault: v.vault,
            log: v.log,
            clock: systemClock,
            rules,
            // Records restricted at their subject's request are held back, as in every run.
            held: async (ref, id) => (await readLimits(v.store, ref)).restricted.includes(id),
          })
      ).run({ dryRun: values['dry-run'] === true }),
    );
    await outJson(r);
    return 0;
  },
};

export const retention: Group = {
  name: 'retention',
  summary: 'retention: erase or anonymize records whose time has run out',
  commands: [run],
};
