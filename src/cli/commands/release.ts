/**
 * `verity release ...`: secure boot's signing side (FGMV-46 7.3.3). `keygen` makes the release
 * root key; `sign` writes the signed manifest of every file a server loads and prints the
 * measurement a verifier pins as its reference value (RFC 9334: the reference value provider).
 */

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as signBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BootFailure,
  collectRelease,
  DEFAULT_MANIFEST,
  manifestText,
  measure,
  parseRootKey,
} from '../../boot/index.ts';
import { ConfigError, InputError, quote } from '../../errors/index.ts';
import { formatVerifierKey, isValidKeyName, type NoteSigner, signNote } from '../../note/index.ts';
import type { Command, Group, OptionSpec } from '../command.ts';
import { opt, str } from '../common.ts';
import { fileProblem, outJson } from '../io.ts';

/** The release this code belongs to (bin/, src/, node_modules/ ...). */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** `verity start` and `verity serve`: secure boot's options (read by src/boot/bootstrap.ts before the CLI loads). */
export const RELEASE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'release-root': {
    type: 'string',
    value: 'FILE',
    help: 'secure boot: the pinned release root key (or VERITY_RELEASE_ROOT); refuse to start unless every file matches the signed manifest',
  },
  'release-manifest': {
    type: 'string',
    value: 'FILE',
    help: `secure boot: the signed release manifest (or VERITY_RELEASE_MANIFEST; default ${DEFAULT_MANIFEST} in the release)`,
  },
};

const NAME: Readonly<Record<string, OptionSpec>> = {
  name: { type: 'string', value: 'NAME', help: 'the root key name in the signed note (default verity-release)' },
};

function keyName(values: Parameters<Command['run']>[0]['values']): string {
  const name = opt(values, 'name') ?? 'verity-release';
  if (!isValidKeyName(name) || name.length > 128)
    throw new InputError('VERITY_E_INPUT_INVALID', `key name ${quote(name)} must be short, with no space or +`);
  return name;
}

/**
 * Writes `file`, answering a failure with a coded error that says why. `wx`: the file must not exist
 * yet (a key is never overwritten).
 */
async function writeSaying(file: string, text: string, mode: number, flag: 'w' | 'wx'): Promise<void> {
  try {
    await writeFile(file, text, { mode, flag });
  } catch (cause) {
    throw new InputError('VERITY_E_INPUT_INVALID', `cannot write ${quote(file)}: ${fileProblem(cause, true)}`, {
      cause,
    });
  }
}

const keygen: Command = {
  name: 'keygen',
  summary: 'make a release root key: the private key in FILE (mode 0600), its verifier key in FILE.pub',
  options: {
    out: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'where the private key goes (PKCS #8 PEM, never overwritten)',
    },
    ...NAME,
  },
  details:
    'Keep the private key offline, where releases are built. Install FILE.pub on each server outside the\nrelease (e.g. /etc/verity/release-root.pub, owned by root) and start with --release-root FILE.pub.',
  async run({ values }) {
    const file = str(values, 'out');
    const name = keyName(values);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
    const vkey = formatVerifierKey(name, raw);
    await writeSaying(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600, 'wx');
    await writeSaying(`${file}.pub`, `${vkey}\n`, 0o644, 'wx');
    await outJson({ key: file, rootKey: vkey, pub: `${file}.pub` });
    return 0;
  },
};

const sign: Command = {
  name: 'sign',
  summary: 'sign the manifest of every file a server loads; print the measurement clients pin',
  options: {
    key: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'the release root private key (`verity release keygen`)',
    },
    ...NAME,
    data: { type: 'string', value: 'DIR', help: "also pin this data directory's policies and configuration" },
    out: {
      type: 'string',
      value: 'FILE',
      help: `where the signed manifest goes (default ${DEFAULT_MANIFEST} in the release)`,
    },
    version: { type: 'string', value: 'V', help: "the release's version (default package.json's)" },
  },
  details:
    'Covers bin/, scripts/, src/, dist/ (when built), package.json, package-lock.json and every production\ndependency in node_modules; with --data, DIR/policies/ and DIR/verity.json. Run it after the last\nchange (npm ci --omit=dev, a build, a policy edit): a server started with --release-root refuses any\nother file.',
  async run({ values }) {
    const name = keyName(values);
    const keyFile = str(values, 'key');
    const refused = (why: string, cause: unknown) =>
      new ConfigError('VERITY_E_BOOT_ROOT_INVALID', `cannot read the private key ${quote(keyFile)}: ${why}`, { cause });
    let pem: Buffer;
    try {
      pem = readFileSync(keyFile);
    } catch (cause) {
      throw refused(fileProblem(cause), cause);
    }
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey(pem);
    } catch (cause) {
      throw refused('it is not a PEM private key (`verity release keygen` makes one)', cause);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new ConfigError('VERITY_E_BOOT_ROOT_INVALID', 'the release root key must be an Ed25519 key');
    const raw = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12));
    const signer: NoteSigner = {
      name,
      publicKey: raw,
      sign: async (msg) => new Uint8Array(signBytes(null, msg, privateKey)),
    };
    const version =
      opt(values, 'version') ??
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const data = opt(values, 'data');
    let text: string;
    let manifest: ReturnType<typeof collectRelease>;
    try {
      manifest = collectRelease({ root: ROOT, version, data: data === undefined ? undefined : resolve(data) });
      text = manifestText(manifest);
    } catch (e) {
      if (e instanceof BootFailure) throw new ConfigError(e.code, e.message);
      throw e;
    }
    const file = opt(values, 'out') ?? join(ROOT, DEFAULT_MANIFEST);
    await writeSaying(file, await signNote(text, [signer]), 0o644, 'w');
    const m = measure(text, manifest);
    await outJson({
      manifest: file,
      version,
      files: manifest.files.length,
      rootKey: parseRootKey(formatVerifierKey(name, raw)).text,
      measurement: m.value,
      events: m.events,
    });
    return 0;
  },
};

export const release: Group = { name: 'release', summary: 'secure boot: sign a release', commands: [keygen, sign] };
