/** `verity init`: a new data directory. */

import { resolve } from 'node:path';
import { initDataDir } from '../../embedded/index.ts';
import type { Command, Group } from '../command.ts';
import { DATA, dataDir, opt, secretFromEnv, shellPath } from '../common.ts';
import { outJson } from '../io.ts';

const command: Command = {
  name: '',
  summary: 'create a data directory: key store, signed log, default policies (SQLite, or PostgreSQL)',
  options: {
    ...DATA,
    postgres: { type: 'string', value: 'URL', help: 'keep the data in PostgreSQL at URL instead of SQLite' },
    'pg-schema': { type: 'string', value: 'NAME', help: 'the PostgreSQL schema (default verity)' },
    origin: { type: 'string', value: 'ORIGIN', help: "the log's origin line (default verity.local/RANDOM)" },
    keystore: {
      type: 'string',
      value: 'FILE',
      help: 'where the key file goes (default DIR.keys/keys.json; always outside DIR; back it up apart from DIR)',
    },
    'strict-types': { type: 'boolean', help: 'refuse records of a type with no registered schema' },
  },
  async run({ values }) {
    const dir = dataDir(values);
    const pg = opt(values, 'postgres');
    const origin = opt(values, 'origin');
    const keystore = opt(values, 'keystore');
    const config = await initDataDir(dir, {
      secret: await secretFromEnv(dir),
      ...(keystore === undefined ? {} : { keystore }),
      ...(pg === undefined ? {} : { postgres: { connectionString: pg, schema: opt(values, 'pg-schema') ?? 'verity' } }),
      ...(origin === undefined ? {} : { origin }),
      unknownTypes: values['strict-types'] === true ? 'reject' : 'generic',
    });
    await outJson({
      data: dir,
      keystore: shellPath(resolve(dir, config.keystore.file)),
      origin: config.origin,
      verifierKey: config.verifierKey,
      store: config.store.kind,
    });
    return 0;
  },
};

export const init: Group = { name: 'init', summary: 'a new data directory', commands: [command] };
