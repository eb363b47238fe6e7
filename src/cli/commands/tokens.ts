/** `verity tokens ...`: API tokens of the principals that call the server. */

import { CAPABILITIES, Tokens } from '../../principals/index.ts';
import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, int, list, opt, printWithVerity, str, withVerity } from '../common.ts';
import { out, outJson } from '../io.ts';

const create: Command = {
  name: 'create',
  summary: 'make an API token; it is printed once, on stdout, and stored only as a hash',
  options: {
    ...DATA,
    principal: {
      type: 'string',
      value: 'NAME',
      identifier: true,
      required: true,
      help: 'who the token speaks for, e.g. world-eu',
    },
    role: { type: 'string', value: 'ROLE', required: true, help: 'service, operator or auditor' },
    'record-types': {
      type: 'string',
      value: 'T,...',
      help: 'the record types a service owns (without them the default policies permit it no record)',
    },
    capability: {
      type: 'string',
      value: 'C',
      multiple: true,
      help: `grant a capability, never implied by the role (repeatable): ${Object.entries(CAPABILITIES)
        .map(([c, roles]) => `${c} (${roles.join(', ')})`)
        .join(', ')}`,
    },
    'agreement-recipient': {
      type: 'string',
      value: '0xADDRESS',
      help: "with --capability records.under-agreement: the chain address (the recipient of data-sharing agreements) whose agreements with a player let the token read that player's records",
    },
    'ttl-days': { type: 'string', value: 'N', help: 'lifetime in days (default 90, at most 366)' },
  },
  async run({ values }) {
    const recipient = opt(values, 'agreement-recipient');
    const days = int(values, 'ttl-days', false);
    const types = opt(values, 'record-types');
    const capabilities = list(values, 'capability').flatMap((c) => c.split(',').filter((x) => x !== ''));
    const r = await withVerity(values, (v) =>
      new Tokens(v.store, v.log).create({
        principal: str(values, 'principal'),
        role: str(values, 'role'),
        ...(types === undefined ? {} : { recordTypes: types.split(',').filter((t) => t !== '') }),
        capabilities,
        ...(recipient === undefined ? {} : { agreementRecipient: recipient }),
        ...(days === undefined ? {} : { ttlMs: days * 24 * 3600 * 1000 }),
        actor: ACTOR,
      }),
    );
    process.stderr.write(
      `verity: token ${r.info.id} for ${r.info.role}:${r.info.principal}${r.info.capabilities.length > 0 ? ` with ${r.info.capabilities.join(', ')}` : ''}, expires ${r.info.expiresAt}${r.info.role === 'service' && r.info.recordTypes.length === 0 && r.info.agreementRecipient === undefined ? '; it owns no record types, so the default policies permit it nothing (add --record-types)' : ''}\n`,
    );
    await out(r.token);
    return 0;
  },
};

const listTokens: Command = {
  name: 'list',
  summary: 'the tokens (never their secrets)',
  options: { ...DATA },
  async run({ values }) {
    return printWithVerity(values, (v) => new Tokens(v.store, v.log).list());
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'end a token at once, on every node, and the player sessions it opened (exit 1 when there is no such token)',
  options: { ...DATA },
  args: ['TOKEN_ID'],
  async run({ values, positionals }) {
    const found = await withVerity(values, (v) => new Tokens(v.store, v.log).revoke(positionals[0] as string, ACTOR));
    await outJson({ revoked: found });
    return found ? 0 : 1;
  },
};

export const tokens: Group = { name: 'tokens', summary: 'API tokens', commands: [create, listTokens, revoke] };
