// The software key store's file on disk: its header, the key derived from the passphrase or master
// key, the sealed material, the atomic and durable rewrite, and the lock file that serializes
// changes between processes. Private to src/keys.
import { hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fromBase64, parseJson, toBase64, utf8 } from '../encoding/index.ts';
import { bindAad, open, seal } from '../envelope/index.ts';
import { isVerityError, KeyError, quote } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import type { KekState } from './types.ts';

/** Where the key store's secret comes from (the CLI reads it from the environment). */
export type KeySecret = { readonly passphrase: string } | { readonly masterKey: Uint8Array };

/** scrypt parameters; stored in the key file so that it opens with the cost it was made with. */
export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Default scrypt cost: 2^15 * 8 * 128 bytes = 32 MiB of memory, about 0.1 s on a server core. */
export const DEFAULT_KDF: KdfParams = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

const FORMAT = 'verity-keystore/1';
const MAX_FILE = 1024 * 1024;
const LOCK_STALE_MS = 30_000;

export interface KekRecord {
  version: number;
  state: KekState;
  createdAt: number;
  key: string | null;
}

/** The sealed content of the key file. */
export interface Material {
  keks: KekRecord[];
  signing: Record<string, { privateKey: string; publicKey: string }>;
  mac: Record<string, string>;
  /** secp256k1 private keys (hex) of EVM accounts, by name; absent in key files made before them. */
  evm?: Record<string, string>;
}

/** The key file as stored: the header and the sealed material. */
export interface FileHeader {
  format: typeof FORMAT;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string } | { name: 'hkdf'; salt: string };
  sealed: string;
}

/** The key file's header without its sealed content: what the file key is derived with. */
export type KeyFileHeader = Omit<FileHeader, 'sealed'>;

/** A new header (fresh salt) for `secret`. */
export function newHeader(secret: KeySecret, kdf: KdfParams): KeyFileHeader {
  const salt = toBase64(randomBytes(16));
  return {
    format: FORMAT,
    kdf: 'passphrase' in secret ? { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt } : { name: 'hkdf', salt },
  };
}

function headerAad(h: KeyFileHeader): Uint8Array {
  return bindAad('verity/keystore/v1', [h.format, JSON.stringify(h.kdf)]);
}

/** The key that seals the file, from the secret and the header's KDF. */
export function deriveFileKey(secret: KeySecret, kdf: KeyFileHeader['kdf']): Uint8Array {
  const salt = fromBase64(kdf.salt, 'key file salt');
  if ('passphrase' in secret) {
    if (kdf.name !== 'scrypt')
      throw new KeyError(
        'VERITY_E_KEY_PASSPHRASE',
        'this key store is opened with a key file, not a passphrase; set VERITY_KEY_FILE',
      );
    if (typeof secret.passphrase !== 'string' || secret.passphrase.length === 0)
      throw new KeyError('VERITY_E_KEY_PASSPHRASE', 'the passphrase is empty');
    const { N, r, p } = kdf;
    if (
      ![N, r, p].every(Number.isSafeInteger) ||
      N < 2 ||
      N > 2 ** 22 ||
      (N & (N - 1)) !== 0 ||
      r < 1 ||
      r > 32 ||
      p < 1 ||
      p > 16
    ) {
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file has unusable scrypt parameters');
    }
    return new Uint8Array(
      scryptSync(secret.passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }),
    );
  }
  if (kdf.name !== 'hkdf')
    throw new KeyError(
      'VERITY_E_KEY_PASSPHRASE',
      'this key store is opened with a passphrase, not a key file; set VERITY_PASSPHRASE',
    );
  if (!(secret.masterKey instanceof Uint8Array) || secret.masterKey.byteLength !== 32)
    throw new RangeError('a master key has 32 bytes');
  return new Uint8Array(hkdfSync('sha256', secret.masterKey, salt, 'verity/keystore-file/v1', 32));
}

/** Reads and checks the key file at `path` (not yet opened). */
export async function readKeyFile(path: string): Promise<FileHeader> {
  let text: string;
  try {
    const st = await stat(path);
    if (st.size > MAX_FILE) throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file is too large');
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (isVerityError(cause)) throw cause;
    throw new KeyError('VERITY_E_KEY_NOT_FOUND', `cannot read key file ${quote(path)}; run \`verity init\` first`, {
      cause,
    });
  }
  let h: FileHeader;
  try {
    h = parseJson(text, { maxBytes: MAX_FILE, maxDepth: 4 }, 'key file') as unknown as FileHeader;
  } catch (cause) {
    throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file is not valid JSON; restore it from a safe copy', {
      cause,
    });
  }
  const kdfOk = h?.kdf?.name === 'scrypt' || h?.kdf?.name === 'hkdf';
  if (h?.format !== FORMAT || !kdfOk || typeof h.kdf.salt !== 'string' || typeof h.sealed !== 'string') {
    throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `the key file is not a ${FORMAT} file`);
  }
  return h;
}

/** Opens the sealed material; `firstOpen` says a failure is more likely a wrong secret than an edit. */
export function unsealMaterial(fileKey: Uint8Array, header: FileHeader, firstOpen: boolean): Material {
  const { sealed, ...h } = header;
  let plain: Uint8Array;
  try {
    plain = open(fileKey, fromBase64(sealed, 'sealed keys'), headerAad(h));
  } catch (cause) {
    // With a wrong secret and an intact file the two cases look the same; say both.
    throw new KeyError(
      firstOpen ? 'VERITY_E_KEY_PASSPHRASE' : 'VERITY_E_KEYSTORE_CORRUPT',
      firstOpen
        ? 'the passphrase or key file does not open the key store (or the key file was altered); check the secret'
        : 'the key file was altered; restore it from a safe copy',
      { cause },
    );
  }
  const m = JSON.parse(new TextDecoder().decode(plain)) as Material;
  plain.fill(0);
  if (!Array.isArray(m.keks) || typeof m.signing !== 'object' || typeof m.mac !== 'object')
    throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', 'the key file content is not valid');
  return m;
}

/**
 * Seals `material` and replaces the file at `path` atomically and durably (a synced temporary file,
 * renamed, then the directory synced). Returns the new file's modification time.
 */
export async function writeKeyFile(
  path: string,
  fileKey: Uint8Array,
  header: KeyFileHeader,
  material: Material,
  previous?: number,
): Promise<number> {
  const plain = utf8(JSON.stringify(material));
  const sealed = toBase64(seal(fileKey, plain, headerAad(header)));
  plain.fill(0);
  const text = `${JSON.stringify({ ...header, sealed } satisfies FileHeader, null, 2)}\n`;
  await writeFileAtomic(path, text);
  const now = await stat(path);
  // Other processes see a change by the file's modification time, and the kernel sets it from a
  // clock that moves in ticks of milliseconds: two writes within one tick (or a clock set back)
  // gave the same time, and a process that had read the first never read the second (a MAC key made
  // on one node reported missing on another, D355). Each write, under the lock, therefore ends
  // after the time of the file it replaces.
  if (previous === undefined || now.mtimeMs > previous) return now.mtimeMs;
  const after = Math.floor(previous) + 1;
  await utimes(path, now.atime, after / 1000);
  return (await stat(path)).mtimeMs;
}

/** The modification time of the key file (to see whether another process changed it). */
export async function keyFileTime(path: string): Promise<number> {
  return (await stat(path)).mtimeMs;
}

/**
 * Runs `fn` holding the key file's lock file (made exclusively beside it); a lock older than 30 s is
 * taken as left by a crashed process and removed.
 */
export async function withKeyFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dirname(path), `.${path.split('/').pop()}.lock`);
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(lock).catch(() => undefined);
      if (st !== undefined && Date.now() - st.mtimeMs > LOCK_STALE_MS) await rm(lock, { force: true });
      if (Date.now() > deadline)
        throw new KeyError('VERITY_E_KEY_IN_USE', `the key file is locked by another process (${quote(lock)}); retry`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
