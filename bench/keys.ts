// Key store operations per second: the software key store (in memory, Node's crypto) beside the
// PKCS#11 key store in SoftHSM2 (every call crosses into the module, which also does the
// cryptography in software, through OpenSSL), measured in the same run. A real HSM's rates are its
// own; these show what the PKCS#11 path costs. Skipped, with a note, without SoftHSM2.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { utf8 } from '../src/encoding/index.ts';
import { type KeyStore, Pkcs11KeyStore, SoftwareKeyStore } from '../src/keys/index.ts';
import { tempDir } from '../test/helpers/env.ts';
import { SOFTHSM_MODULE, softHsm, TEST_PIN } from '../test/helpers/softhsm.ts';
import { callsPerSec, type Figure } from './core.ts';
import { sealedWritesWith } from './keyproc.ts';

async function measure(name: string, ks: KeyStore, ms: number): Promise<Figure[]> {
  const ctx = utf8('verity/subject-key/v1\nbench-subject');
  const { key, wrapped } = await ks.generateDataKey(ctx);
  await ks.ensureSigningKey('log');
  await ks.ensureMacKey('subject-index');
  const msg = new Uint8Array(200).fill(7);
  return [
    { name: `${name}WrapPerSec`, value: await callsPerSec(ms, () => ks.wrapKey(key, ctx)), unit: 'wraps/s' },
    { name: `${name}UnwrapPerSec`, value: await callsPerSec(ms, () => ks.unwrapKey(wrapped, ctx)), unit: 'unwraps/s' },
    { name: `${name}SignPerSec`, value: await callsPerSec(ms, () => ks.sign('log', msg)), unit: 'signatures/s' },
    { name: `${name}MacPerSec`, value: await callsPerSec(ms, () => ks.mac('subject-index', msg)), unit: 'MACs/s' },
  ];
}

export async function benchKeys(quick: boolean): Promise<Figure[]> {
  const ms = quick ? 300 : 1500;
  const writes = quick ? 4000 : 20_000;
  const subjects = quick ? 2000 : 10_000;
  const { dir, cleanup } = await tempDir('verity-bench-keys-');
  const figures: Figure[] = [];
  try {
    const sw = await SoftwareKeyStore.create(join(dir, 'keys.json'), { masterKey: new Uint8Array(32).fill(1) });
    figures.push(...(await measure('softwareKeyStore', sw, ms)));
    // Sealed writes with the keys in the key file, then (below) the same writes with them in the token.
    const swWrites = await sealedWritesWith(sw, dir, 'software', writes, subjects);
    if (!existsSync(SOFTHSM_MODULE)) {
      process.stderr.write('bench: SoftHSM2 is not installed (apt-get install softhsm2): PKCS#11 figures skipped\n');
      return figures;
    }
    const hsm = await softHsm();
    try {
      await hsm.initToken('bench');
      const ks = await Pkcs11KeyStore.create({ module: hsm.module, tokenLabel: 'bench', pin: TEST_PIN });
      figures.push(...(await measure('softHsm2KeyStore', ks, ms)));
      const hsmWrites = await sealedWritesWith(ks, dir, 'softhsm2', writes, subjects);
      figures.push(
        { name: 'softHsm2SealedWritesPerSec', value: hsmWrites.existing, unit: 'writes/s' },
        { name: 'softwareKeysSealedWritesPerSec', value: swWrites.existing, unit: 'writes/s' },
        { name: 'softHsm2WritesVsSoftware', value: hsmWrites.existing / swWrites.existing, unit: 'ratio' },
        { name: 'softHsm2NewSubjectWritesVsSoftware', value: hsmWrites.fresh / swWrites.fresh, unit: 'ratio' },
      );
    } finally {
      await hsm.cleanup();
    }
  } finally {
    await cleanup();
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await benchKeys(process.argv.includes('--quick')))
    process.stdout.write(
      `${f.name.padEnd(28)} ${Math.round(f.value).toLocaleString('en-US').padStart(10)} ${f.unit}\n`,
    );
}
