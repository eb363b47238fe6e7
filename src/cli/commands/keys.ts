/** `verity keys ...`: the key store's key-encryption keys. */

import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, withVerity } from '../common.ts';
import { outJson } from '../io.ts';

const rotate: Command = {
  name: 'rotate',
  summary: 'make a new key-encryption key and rewrap every subject key under it',
  options: { ...DATA, 'destroy-retired': { type: 'boolean', help: 'destroy the retired keys once nothing uses them' } },
  async run({ values }) {
    await outJson(
      await withVerity(values, (v) =>
        v.vault.rotateKeys({ actor: ACTOR, purpose: 'security', destroyRetired: values['destroy-retired'] === true }),
      ),
    );
    return 0;
  },
};

const listKeys: Command = {
  name: 'list',
  summary: 'the key-encryption keys, with how many subject keys each wraps',
  options: { ...DATA },
  async run({ values }) {
    await outJson(
      await withVerity(values, async (v) => {
        const counts = await v.store.reader.countSubjectKeysByKek();
        return (await v.keys.listKeks()).map((k) => ({
          ...k,
          createdAt: new Date(k.createdAt).toISOString(),
          subjectKeys: counts.get(k.version) ?? 0,
        }));
      }),
    );
    return 0;
  },
};

export const keys: Group = { name: 'keys', summary: 'key-encryption keys', commands: [rotate, listKeys] };
