/** `verity subjects ...`: what concerns a player as a whole (operator actions on a data directory). */

import { GUARDIANSHIP_EVIDENCE, type GuardianshipEvidence } from '../../vault/index.ts';
import { gated } from '../authorize.ts';
import { type Command, type Group, usage } from '../command.ts';
import { ACTOR, DATA, list, opt, printWithVerity, str } from '../common.ts';
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
    return printWithVerity(values, (v) =>
      v.vault.shredSubject(str(values, 'subject'), {
        actor: ACTOR,
        purpose: str(values, 'purpose'),
        rotate: values['no-rotate'] !== true,
      }),
    );
  },
};

const guardianship: Command = {
  name: 'guardianship',
  summary:
    'record a minor and their guardians, citing the evidence (no --minor: not a minor); decided by the policies, which refuse operators by default',
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
    'evidence-kind': {
      type: 'string',
      value: 'KIND',
      required: true,
      help: `what the guardianship rests on: ${GUARDIANSHIP_EVIDENCE.join(', ')}`,
    },
    'evidence-ref': {
      type: 'string',
      value: 'REF',
      required: true,
      help: 'where that evidence is kept (a form or case number, never personal data); the log keeps its hash',
    },
    purpose: { type: 'string', value: 'P', identifier: true, help: 'the purpose (default guardianship)' },
  },
  details:
    'Decided by the policies in DIR/policies as the local operator (Verity::Operator::"local:cli") and logged, like the\n' +
    'local record commands. The default policies never let an operator record guardianship: a platform service\n' +
    'whose token was granted guardianship.set does, with PUT /v1/subjects/guardianship. Only a policy written for\n' +
    'the local operator (and the removal of `operators-never-set-guardianship`) opens this path.',
  async run({ values }) {
    const subject = str(values, 'subject');
    const purpose = opt(values, 'purpose') ?? 'guardianship';
    const kind = str(values, 'evidence-kind');
    if (!(GUARDIANSHIP_EVIDENCE as readonly string[]).includes(kind))
      usage(`--evidence-kind must be one of ${GUARDIANSHIP_EVIDENCE.join(', ')}`, 'subjects guardianship');
    const evidence = { kind: kind as GuardianshipEvidence['kind'], reference: str(values, 'evidence-ref') };
    const r = await gated(values, async (v, gate) =>
      gate.decided(
        'setGuardianship',
        { kind: 'subject', owner: await gate.owner(await v.vault.subjectRef(subject)) },
        'subject:guardianship',
        purpose,
        (policy) =>
          v.vault.setGuardianship(
            subject,
            { minor: values['minor'] === true, guardians: list(values, 'guardian') },
            evidence,
            { actor: ACTOR, purpose, policy },
          ),
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
