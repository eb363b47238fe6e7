/** `verity keys ...`: the key store's key-encryption keys. */

import { migrateKeyStore } from '../../embedded/index.ts';
import { type Command, type Group, usage } from '../command.ts';
import { ACTOR, DATA, dataDir, opt, pinFromEnv, printWithVerity, secretFromEnv, storeSecretFor } from '../common.ts';
import { outJson } from '../io.ts';
import { HSM_OPTIONS, hsmFrom } from './init.ts';

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

const migrate: Command = {
  name: 'migrate',
  summary: 'move the keys to an HSM or back to a key file, re-wrapping every subject key (logged)',
  options: {
    ...DATA,
    to: { type: 'string', value: 'hsm|software', help: 'where the keys go' },
    ...HSM_OPTIONS,
    keystore: {
      type: 'string',
      value: 'FILE',
      help: 'with --to software: the key file that holds the named keys already (the one the data directory came from)',
    },
  },
  async run({ values }) {
    const dir = dataDir(values);
    const to = opt(values, 'to');
    if (to !== 'hsm' && to !== 'software') usage('--to hsm or --to software');
    const secret = await storeSecretFor(dir);
    let target: Parameters<typeof migrateKeyStore>[1]['to'];
    if (to === 'hsm') {
      const hsm = hsmFrom(values);
      if (hsm === undefined) usage('--to hsm needs --hsm-module PATH and --hsm-token LABEL');
      target = { kind: 'pkcs11', ...hsm, ...(await pinFromEnv()) };
    } else {
      const file = opt(values, 'keystore');
      if (file === undefined) usage('--to software needs --keystore FILE');
      target = { kind: 'software', file, secret: await secretFromEnv(dir) };
    }
    const r = await migrateKeyStore(dir, { secret, to: target, actor: ACTOR });
    await outJson({
      ...r,
      note:
        r.from === 'software'
          ? 'the old key file still holds every key: delete it and its backups once the data directory opens with the HSM'
          : "the token still holds the old store's objects: remove them once the data directory opens with the key file",
    });
    return 0;
  },
};

export const keys: Group = {
  name: 'keys',
  summary: 'key-encryption keys, and where the keys are kept',
  commands: [rotate, listKeys, migrate],
};
