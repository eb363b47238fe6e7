/** `verity subjects ...`: what concerns a player as a whole (operator actions on a data directory). */

import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, list, opt, str, withVerity } from '../common.ts';
import { outJson } from '../io.ts';

const shred: Command = {
  name: 'shred',
  summary: 'crypto-shred a subject: destroy their key, so every record of theirs is unreadable',
  options: {
    ...DATA,
    purpose: {
      type: 'string',
      value: 'P',
      identifier: true,
      required: true,
      help: 'the purpose, e.g. erasure-request',
    },
    subject: { type: 'string', value: 'ID', identifier: true, required: true, help: 'the player' },
    'no-rotate': { type: 'boolean', help: 'do not rotate the key-encryption key afterwards' },
  },
  async run({ values }) {
    const r = await withVerity(values, (v) =>
      v.vault.shredSubject(str(values, 'subject'), {
        actor: ACTOR,
        purpose: str(values, 'purpose'),
        rotate: values['no-rotate'] !== true,
      }),
    );
    await outJson(r);
    return 0;
  },
};

const guardianship: Command = {
  name: 'guardianship',
  summary: 'record a minor and their guardians (no --minor: not a minor); audited by pseudonym only',
  options: {
    ...DATA,
    subject: { type: 'string', value: 'ID', identifier: true, required: true, help: 'the player' },
    minor: { type: 'boolean', help: 'the player is a minor' },
    guardian: {
      type: 'string',
      value: 'ID',
      identifier: true,
      multiple: true,
      help: 'a guardian of the minor (repeatable)',
    },
    purpose: { type: 'string', value: 'P', identifier: true, help: 'the purpose (default guardianship)' },
  },
  async run({ values }) {
    const r = await withVerity(values, (v) =>
      v.vault.setGuardianship(
        str(values, 'subject'),
        { minor: values['minor'] === true, guardians: list(values, 'guardian') },
        { actor: ACTOR, purpose: opt(values, 'purpose') ?? 'guardianship' },
      ),
    );
    await outJson(r);
    return 0;
  },
};

export const subjects: Group = {
  name: 'subjects',
  summary: 'players as a whole: crypto-shredding and guardianship',
  commands: [shred, guardianship],
};
