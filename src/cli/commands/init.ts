/** `verity init`: a new data directory. */

import { resolve } from 'node:path';
import { initDataDir } from '../../embedded/index.ts';
import { type Command, type Group, type OptionSpec, usage, type Values } from '../command.ts';
import { DATA, dataDir, opt, pinFromEnv, secretFromEnv, shellPath } from '../common.ts';
import { outJson } from '../io.ts';

/** Where a PKCS#11 token is, for `init` and `keys migrate`. */
export const HSM_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'hsm-module': {
    type: 'string',
    value: 'PATH',
    help: 'keep the keys in a PKCS#11 token: the module (or VERITY_HSM_MODULE), e.g. /usr/lib/softhsm/libsofthsm2.so',
  },
  'hsm-token': {
    type: 'string',
    value: 'LABEL',
    help: "the token's label (or VERITY_HSM_TOKEN); the PIN from VERITY_HSM_PIN or VERITY_HSM_PIN_FILE",
  },
  'hsm-namespace': {
    type: 'string',
    value: 'NAME',
    help: 'prefix of the key labels in the token (default verity-RANDOM)',
  },
};

/** The HSM options of `init`, from the command line or VERITY_HSM_MODULE and VERITY_HSM_TOKEN; undefined for a key file. */
export function hsmFrom(values: Values): { module: string; token: string; namespace?: string } | undefined {
  const module = opt(values, 'hsm-module') ?? (process.env['VERITY_HSM_MODULE'] || undefined);
  const token = opt(values, 'hsm-token') ?? (process.env['VERITY_HSM_TOKEN'] || undefined);
  const namespace = opt(values, 'hsm-namespace');
  if (module === undefined && token === undefined) {
    if (namespace !== undefined) usage('--hsm-namespace goes with --hsm-module and --hsm-token');
    return undefined;
  }
  if (module === undefined || token === undefined)
    usage('an HSM needs both --hsm-module PATH and --hsm-token LABEL (or VERITY_HSM_MODULE and VERITY_HSM_TOKEN)');
  if (token.length > 32) usage('--hsm-token: a token label has at most 32 characters');
  if (namespace !== undefined && !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(namespace))
    usage('--hsm-namespace: 1 to 32 lowercase letters, digits, dots, dashes and underscores');
  return { module: resolve(module), token, ...(namespace === undefined ? {} : { namespace }) };
}

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
    ...HSM_OPTIONS,
    'strict-types': { type: 'boolean', help: 'refuse records of a type with no registered schema' },
  },
  async run({ values }) {
    const dir = dataDir(values);
    const pg = opt(values, 'postgres');
    const origin = opt(values, 'origin');
    const keystore = opt(values, 'keystore');
    const hsm = hsmFrom(values);
    const config = await initDataDir(dir, {
      secret: hsm === undefined ? await secretFromEnv(dir) : await pinFromEnv(),
      ...(keystore === undefined ? {} : { keystore }),
      ...(hsm === undefined ? {} : { hsm }),
      ...(pg === undefined ? {} : { postgres: { connectionString: pg, schema: opt(values, 'pg-schema') ?? 'verity' } }),
      ...(origin === undefined ? {} : { origin }),
      unknownTypes: values['strict-types'] === true ? 'reject' : 'generic',
    });
    await outJson({
      data: dir,
      keystore:
        config.keystore.kind === 'software'
          ? shellPath(resolve(dir, config.keystore.file))
          : { kind: 'pkcs11', token: config.keystore.token, namespace: config.keystore.namespace },
      origin: config.origin,
      verifierKey: config.verifierKey,
      store: config.store.kind,
    });
    return 0;
  },
};

export const init: Group = { name: 'init', summary: 'a new data directory', commands: [command] };
