/**
 * The key store's secret from the environment, for the two entry points that open a key store:
 * the CLI (which re-exports this) and the key process, which reads it itself so that the HTTP
 * process that starts it never holds it.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fromBase64, fromHex, fromUtf8 } from '../encoding/index.ts';
import { InputError, KeyError, quote } from '../errors/index.ts';
import type { KeySecret } from '../keys/index.ts';

/** All of standard input, at most `limit` bytes. */
export async function readStdinBounded(limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    n += b.byteLength;
    if (n > limit) throw new InputError('VERITY_E_INPUT_TOO_LARGE', `standard input is larger than ${limit} bytes`);
    chunks.push(b);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** A file, or standard input for `-`, of at most `limit` bytes. */
export async function readFileBounded(path: string, limit: number): Promise<Uint8Array> {
  if (path === '-') return readStdinBounded(limit);
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (cause) {
    throw new InputError('VERITY_E_INPUT_INVALID', `cannot read file ${quote(path)}`, { cause });
  }
  if (b.byteLength > limit)
    throw new InputError('VERITY_E_INPUT_TOO_LARGE', `file ${quote(path)} is larger than ${limit} bytes`);
  return new Uint8Array(b);
}

/** A path as a user at this shell would type it: relative to the working directory when inside it. */
export function shellPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? resolve(path) : rel;
}

/**
 * The development passphrase file `npm start` makes (`.verity/dev-passphrase` beside the default
 * `.verity/data`), when one sits beside `dir`.
 */
export function devPassphraseFor(dir: string | undefined): string | undefined {
  if (dir === undefined || dir === '') return undefined;
  const f = join(dirname(resolve(dir)), 'dev-passphrase');
  return existsSync(f) ? f : undefined;
}

/**
 * The key store's secret from VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE. `dir`
 * (the data directory) lets the error for a missing secret name the development passphrase file
 * that `npm start` made for it.
 */
export async function secretFromEnv(dir?: string): Promise<KeySecret> {
  const env = process.env;
  // More than one: which opens this store would be a guess, and a wrong one fails as a wrong secret
  // (an exported VERITY_PASSPHRASE silently won over the VERITY_PASSPHRASE_FILE a command gave: D415).
  const given = ['VERITY_PASSPHRASE', 'VERITY_PASSPHRASE_FILE', 'VERITY_KEY_FILE'].filter(
    (name) => env[name] !== undefined && env[name] !== '',
  );
  if (given.length > 1)
    throw new KeyError(
      'VERITY_E_KEY_PASSPHRASE',
      `${given.join(' and ')} are ${given.length === 2 ? 'both' : 'all'} set: set only the one that opens this store (e.g. \`unset ${given[0]}\`)`,
    );
  if (env['VERITY_PASSPHRASE'] !== undefined && env['VERITY_PASSPHRASE'] !== '')
    return { passphrase: env['VERITY_PASSPHRASE'] };
  if (env['VERITY_PASSPHRASE_FILE']) {
    const text = fromUtf8(await readFileBounded(env['VERITY_PASSPHRASE_FILE'], 4096), 'passphrase file').replace(
      /\r?\n$/,
      '',
    );
    if (text === '') throw new KeyError('VERITY_E_KEY_PASSPHRASE', 'the file named by VERITY_PASSPHRASE_FILE is empty');
    return { passphrase: text };
  }
  if (env['VERITY_KEY_FILE']) {
    const raw = await readFileBounded(env['VERITY_KEY_FILE'], 4096);
    if (raw.byteLength === 32) return { masterKey: raw };
    const text = fromUtf8(raw, 'key file').trim();
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text) : fromBase64(text, 'key file');
    if (key.byteLength !== 32)
      throw new KeyError('VERITY_E_KEY_PASSPHRASE', 'the key file must hold 32 bytes (raw, hex or base64)');
    return { masterKey: key };
  }
  const dev = devPassphraseFor(dir ?? env['VERITY_DATA']);
  throw new KeyError(
    'VERITY_E_KEY_PASSPHRASE',
    `no key store secret: set VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE${
      dev === undefined
        ? ''
        : ` (\`npm start\` made this store with the development passphrase: prefix the command with VERITY_PASSPHRASE_FILE=${shellPath(dev)})`
    }`,
  );
}

/**
 * The PIN of an HSM key store, from VERITY_HSM_PIN or the file VERITY_HSM_PIN_FILE names (one
 * line); never from the command line, and never printed.
 */
export async function pinFromEnv(): Promise<{ pin: string }> {
  const env = process.env;
  if (env['VERITY_HSM_PIN'] !== undefined && env['VERITY_HSM_PIN'] !== '') return { pin: env['VERITY_HSM_PIN'] };
  if (env['VERITY_HSM_PIN_FILE']) {
    const pin = fromUtf8(await readFileBounded(env['VERITY_HSM_PIN_FILE'], 1024), 'PIN file').replace(/\r?\n$/, '');
    if (pin === '') throw new KeyError('VERITY_E_HSM_PIN', 'the file named by VERITY_HSM_PIN_FILE is empty');
    return { pin };
  }
  throw new KeyError('VERITY_E_HSM_PIN', 'this key store is in an HSM: set VERITY_HSM_PIN or VERITY_HSM_PIN_FILE');
}
