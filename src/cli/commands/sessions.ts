/** `verity sessions ...`: player sessions on a data directory (operator actions, audited). */

import { checkSessionId, Sessions } from '../../principals/index.ts';
import { type Command, type Group, usage, type Values } from '../command.ts';
import { ACTOR, DATA, int, type Opened, opt, printWithVerity, withVerity } from '../common.ts';
import { outJson } from '../io.ts';

const WHICH = {
  subject: { type: 'string', value: 'ID', help: "a player's sessions" },
  opener: { type: 'string', value: 'TOKEN_ID', help: 'the sessions one token opened' },
} as const;

function sessionsOf(v: Opened): Sessions {
  return new Sessions({ keys: v.keys, store: v.store, log: v.log });
}

/** `--subject` (as its subject reference) or `--opener`, at most one (`required`: exactly one). */
async function filterOf(
  values: Values,
  v: Opened,
  where: string,
): Promise<{ subjectRef: string } | { openerTokenId: string } | undefined> {
  const subject = opt(values, 'subject');
  const opener = opt(values, 'opener');
  if (subject !== undefined && opener !== undefined) usage('give --subject or --opener, not both', where);
  if (subject !== undefined) return { subjectRef: await v.vault.subjectRef(subject) };
  return opener === undefined ? undefined : { openerTokenId: opener };
}

const list: Command = {
  name: 'list',
  summary: 'the active sessions (not revoked, not expired): all, a player’s, or those one token opened',
  options: {
    ...DATA,
    ...WHICH,
    limit: { type: 'string', value: 'N', help: 'at most N sessions (default 100, at most 10000)' },
    after: { type: 'string', value: 'SESSION_ID', help: 'the sessions after this one (paging)' },
  },
  async run({ values }) {
    const limit = int(values, 'limit', false) ?? 100;
    const after = opt(values, 'after');
    return printWithVerity(values, async (v) =>
      sessionsOf(v).list((await filterOf(values, v, 'sessions list')) ?? {}, {
        limit,
        ...(after === undefined ? {} : { after }),
      }),
    );
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'end sessions at once, on every node: one (--id), a player’s (--subject) or one token’s (--opener)',
  options: { ...DATA, id: { type: 'string', value: 'SESSION_ID', help: 'one session' }, ...WHICH },
  details:
    'Audited as operator:cli, one session.revoke entry per session (`verity tokens revoke` also ends the\n' +
    'sessions the token opened). Exit 1 when --id names no session.',
  async run({ values }) {
    const id = opt(values, 'id');
    const r = await withVerity(values, async (v) => {
      const filter = await filterOf(values, v, 'sessions revoke');
      if ((id === undefined) === (filter === undefined))
        usage('give exactly one of --id, --subject or --opener', 'sessions revoke');
      const access = { actor: ACTOR, purpose: 'security' };
      if (id !== undefined) return (await sessionsOf(v).revoke(checkSessionId(id), access)) ? 1 : 0;
      return (await sessionsOf(v).revokeAll(filter as NonNullable<typeof filter>, access)).revoked.length;
    });
    await outJson({ revoked: r });
    return id !== undefined && r === 0 ? 1 : 0;
  },
};

export const sessions: Group = {
  name: 'sessions',
  summary: 'player sessions: list and revoke',
  commands: [list, revoke],
};
