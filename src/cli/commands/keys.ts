/** `verity keys ...`: the key store's key-encryption keys. */

import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, printWithVerity } from '../common.ts';

const rotate: Command = {
  name: 'rotate',
  summary: 'make a new key-encryption key and rewrap every subject key under it',
  options: { ...DATA, 'destroy-retired': { type: 'boolean', help: 'destroy the retired keys once nothing uses them' } },
  async run({ values }) {
    return printWithVerity(values, (v) =>
      v.vault.rotateKeys({ actor: ACTOR, purpose: 'security', destroyRetired: values['destroy-retired'] === true }),
    );
  },
};

const listKeys: Command = {
  name: 'list',
  summary: 'the key-encryption keys, with how many subject keys each wraps',
  options: { ...DATA },
  async run({ values }) {
    return printWithVerity(values, async (v) => {
      const counts = await v.store.reader.countSubjectKeysByKek();
      return (await v.keys.listKeks()).map((k) => ({
        ...k,
        createdAt: new Date(k.createdAt).toISOString(),
        subjectKeys: counts.get(k.version) ?? 0,
      }));
    });
  },
};

export const keys: Group = { name: 'keys', summary: 'key-encryption keys', commands: [rotate, listKeys] };
