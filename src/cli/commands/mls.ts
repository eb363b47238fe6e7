/**
 * `verity mls ...`: the moderation queue of end-to-end encrypted rooms on a data directory (the
 * operator's path; over HTTP, moderators use `GET /v1/mls/reports` with a token granted
 * `mls.moderate`). Reports hold only what the reporter revealed, PII-redacted (D172); reading the
 * queue and acting on a report are logged, never their text.
 */

import { encodeAuditEntry } from '../../audit/index.ts';
import { systemClock } from '../../clock/index.ts';
import type { MlsReports, ModerationAction } from '../../mls/index.ts';
import { type Command, type Group, usage } from '../command.ts';
import { ACTOR, DATA, int, type Opened, opt, printWithVerity, str } from '../common.ts';

/** The purpose of moderation entries, as the HTTP routes log them. */
const PURPOSE = 'communication';

/**
 * The moderation actions, for the help text; checked against the library's list when a command
 * runs (and by test/mls-cli.test.ts). The MLS library and the PII scanner load only with a command.
 */
const ACTIONS = 'dismiss, warn, mute, suspend, escalate';

async function reportsOf(v: Opened): Promise<MlsReports> {
  const { MlsReports } = await import('../../mls/index.ts');
  return new MlsReports({ store: v.store, log: v.log, keys: v.keys });
}

const reports: Command = {
  name: 'reports',
  summary: 'list verified abuse reports of the moderation queue, their text PII-redacted (the read is logged)',
  options: {
    ...DATA,
    status: { type: 'string', value: 'S', help: 'open (default) or closed' },
    limit: { type: 'string', value: 'N', help: 'at most N reports, 1 to 500 (default 50)' },
    after: { type: 'string', value: 'ID', help: 'the page after report ID (rep_...)' },
  },
  async run({ values }) {
    const status = opt(values, 'status') ?? 'open';
    if (status !== 'open' && status !== 'closed') usage('--status is open or closed', 'mls reports');
    const limit = int(values, 'limit', false);
    const after = opt(values, 'after');
    if (after !== undefined && !/^rep_[A-Za-z0-9_-]{22}$/.test(after))
      usage('--after takes a report id (rep_ and 22 characters)', 'mls reports');
    return printWithVerity(values, async (v) => {
      const list = await (await reportsOf(v)).list({
        status,
        ...(limit === undefined ? {} : { limit }),
        ...(after === undefined ? {} : { after }),
      });
      // As over HTTP: who read the queue is on record, with how many reports, never their text.
      await v.log.submit((_tx, batch) =>
        batch.add(
          encodeAuditEntry({
            actor: ACTOR,
            action: 'mls.moderate',
            resource: 'mls:reports',
            purpose: PURPOSE,
            outcome: 'success',
            time: systemClock.now(),
            details: { read: list.length, status },
          }),
        ),
      );
      return { reports: list };
    });
  },
};

const act: Command = {
  name: 'act',
  summary: 'act on a report (dismiss, warn, mute, suspend, escalate): recorded in it, closes it, logged',
  options: {
    ...DATA,
    id: { type: 'string', value: 'ID', required: true, help: 'the report (rep_...)' },
    action: { type: 'string', value: 'A', required: true, help: `one of ${ACTIONS}` },
  },
  async run({ values }) {
    const action = str(values, 'action');
    const { MODERATION_ACTIONS } = await import('../../mls/index.ts');
    if (!(MODERATION_ACTIONS as readonly string[]).includes(action))
      usage(`--action is one of ${MODERATION_ACTIONS.join(', ')}`, 'mls act');
    return printWithVerity(values, async (v) =>
      (await reportsOf(v)).act(ACTOR, str(values, 'id'), action as ModerationAction),
    );
  },
};

export const mls: Group = {
  name: 'mls',
  summary: 'end-to-end encrypted rooms: the moderation queue of abuse reports',
  commands: [reports, act],
};
