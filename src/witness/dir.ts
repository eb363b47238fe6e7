// A witness's directory: `witness.json` (its name), `witness.key` (its Ed25519 private key,
// created 0600 and refused when others can read it) and `witness.db` (its state).

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock/index.ts';
import { fromBase64, parseJson, toBase64 } from '../encoding/index.ts';
import { quote, WitnessError } from '../errors/index.ts';
import { isValidKeyName, type NoteSigner } from '../note/index.ts';
import { WitnessState } from './state.ts';
import { Witness } from './witness.ts';

const CONFIG = 'witness.json';
const KEY = 'witness.key';
const STATE = 'witness.db';
/** PKCS #8 prefix of a raw 32-byte Ed25519 seed (RFC 8410). */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

function dirError(what: string, cause?: unknown): WitnessError {
  return new WitnessError('VERITY_E_WITNESS_DIR', what, cause === undefined ? undefined : { cause });
}

function signerOf(name: string, privateKey: KeyObject): NoteSigner {
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12));
  return { name, publicKey, sign: async (m) => new Uint8Array(sign(null, m, privateKey)) };
}

/**
 * Makes a witness directory: a new Ed25519 key (file mode 0600), the name, an empty state.
 * Refuses a directory that already holds a witness. Returns the cosigner verifier key.
 */
export function initWitnessDir(dir: string, name: string): string {
  if (!isValidKeyName(name) || name.length > 255)
    throw new WitnessError(
      'VERITY_E_WITNESS_KEY_INVALID',
      `witness name ${quote(name)} must be one word without spaces or \`+\` (e.g. witness.example.com/w1)`,
    );
  if (existsSync(join(dir, CONFIG)) || existsSync(join(dir, KEY)))
    throw dirError(`${quote(dir)} already holds a witness; choose another --dir`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
    writeFileSync(join(dir, KEY), `${toBase64(seed)}\n`, { mode: 0o600, flag: 'wx' });
    WitnessState.open(join(dir, STATE)).close();
    chmodSync(join(dir, STATE), 0o600);
    // Written last: a directory with witness.json is a complete witness.
    writeFileSync(join(dir, CONFIG), `${JSON.stringify({ version: 1, name }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return openWitnessDir(dir).verifierKey;
  } catch (cause) {
    if (cause instanceof WitnessError) throw cause;
    throw dirError(`cannot make the witness directory ${quote(dir)}: ${(cause as Error).message.slice(0, 120)}`, cause);
  }
}

function readSmall(path: string, what: string, dir: string): string {
  if (!existsSync(path))
    throw dirError(
      `no witness in ${quote(dir)} (${what} is missing): make one with \`verity witness init --dir DIR --name NAME\``,
    );
  const st = statSync(path);
  if (st.size > 4096) throw dirError(`${quote(path)} is too large to be a witness ${what}`);
  return readFileSync(path, 'utf8');
}

/** Opens the witness of a directory (its name, key and state). */
export function openWitnessDir(dir: string, o: { clock?: Clock } = {}): Witness {
  const config = parseJson(new TextEncoder().encode(readSmall(join(dir, CONFIG), 'configuration', dir)), {
    maxBytes: 4096,
    maxDepth: 2,
  }) as { version?: unknown; name?: unknown };
  if (config?.version !== 1 || typeof config.name !== 'string' || !isValidKeyName(config.name))
    throw dirError(`${quote(join(dir, CONFIG))} is not a witness configuration of this version`);
  const keyPath = join(dir, KEY);
  const text = readSmall(keyPath, 'key', dir);
  // Like ssh: a private key that others can read is refused, not used.
  if ((statSync(keyPath).mode & 0o077) !== 0)
    throw dirError(`the witness key ${quote(keyPath)} is readable by other users: run \`chmod 600 ${keyPath}\``);
  let privateKey: KeyObject;
  try {
    const seed = fromBase64(text.trim(), 'witness key');
    if (seed.byteLength !== 32) throw new RangeError('not 32 bytes');
    privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw dirError(`the witness key ${quote(keyPath)} is damaged (not a base64 Ed25519 seed); restore it`, cause);
  }
  // A witness that forgot what it cosigned could be walked back: never start from an empty state.
  if (!existsSync(join(dir, STATE)))
    throw dirError(`the witness state ${quote(join(dir, STATE))} is missing: restore it from a backup`);
  return new Witness({
    signer: signerOf(config.name, privateKey),
    state: WitnessState.open(join(dir, STATE)),
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  });
}
