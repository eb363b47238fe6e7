import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { type CliRun, verityCli as runCli } from './cli.ts';
import { tempDir } from './env.ts';

const run = promisify(execFile);

/** Where Debian (and most distributions) install SoftHSM2's PKCS#11 module. */
export const SOFTHSM_MODULE =
  [
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib64/pkcs11/libsofthsm2.so',
  ].find((p) => existsSync(p)) ?? '/usr/lib/softhsm/libsofthsm2.so';

export const TEST_PIN = '1234-test-pin';

export interface SoftHsm {
  readonly dir: string;
  readonly module: string;
  /** Initializes a new token in a free slot; its user PIN is `pin`. */
  initToken(label: string, pin?: string): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A SoftHSM2 of its own for one test file: a temporary token directory and configuration, named by
 * SOFTHSM2_CONF for this process and the softhsm2-util it runs (never the system's token directory).
 * SoftHSM2 reads the configuration when the module initializes, which Verity does when the first
 * key store on it opens; so one test file has one SoftHSM2.
 */
export async function softHsm(): Promise<SoftHsm> {
  const { dir, cleanup } = await tempDir('verity-softhsm-');
  const tokens = join(dir, 'tokens');
  await mkdir(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  return {
    dir,
    module: SOFTHSM_MODULE,
    async initToken(label, pin = TEST_PIN) {
      await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], {
        env: { ...process.env, SOFTHSM2_CONF: conf },
      });
    },
    cleanup,
  };
}

type P11 = typeof import('pkcs11js');

/**
 * Runs `fn` in a session of its own on the token, logged in as the user, through the PKCS#11
 * module directly: for tests that look at what a key store left in the token. Call it while no
 * key store is open on the module (PKCS#11 initializes once per process).
 */
export function withToken<T>(
  module: string,
  label: string,
  pin: string,
  fn: (mod: InstanceType<P11['PKCS11']>, session: Buffer, p11: P11) => T,
): T {
  const p11 = createRequire(import.meta.url)('pkcs11js') as P11;
  const mod = new p11.PKCS11();
  mod.load(module);
  mod.C_Initialize();
  try {
    const slot = mod.C_GetSlotList(true).find((s) => mod.C_GetTokenInfo(s).label.trimEnd() === label);
    if (slot === undefined) throw new Error(`no token ${label}`);
    const session = mod.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
    mod.C_Login(session, p11.CKU_USER, pin);
    try {
      return fn(mod, session, p11);
    } finally {
      mod.C_CloseSession(session);
    }
  } finally {
    mod.C_Finalize();
    mod.close();
  }
}

/** Labels of the token objects of class `cls` (CKO_*). */
export function labels(mod: InstanceType<P11['PKCS11']>, session: Buffer, p11: P11, cls: number): string[] {
  mod.C_FindObjectsInit(session, [{ type: p11.CKA_CLASS, value: cls }]);
  const hs = mod.C_FindObjects(session, 10_000);
  mod.C_FindObjectsFinal(session);
  return hs.map((h) => String(mod.C_GetAttributeValue(session, h, [{ type: p11.CKA_LABEL }])[0]?.value ?? '')).sort();
}

export type { CliRun } from './cli.ts';
export { ok } from './cli.ts';

/**
 * bin/verity with no VERITY_ variable but those in `env` (SOFTHSM2_CONF is kept); fails the test
 * if the PIN appears in anything it prints.
 */
export function verityCli(args: string[], env: Record<string, string>, input = ''): CliRun {
  const r = runCli(args, { input, env, clean: true, timeout: 120_000 });
  assert.ok(!r.stdout.includes(TEST_PIN) && !r.stderr.includes(TEST_PIN), 'the PIN was printed');
  return r;
}

/** The error code and message of a failed command. */
export const errorOf = (r: CliRun) =>
  JSON.parse(r.stderr.trim().split('\n').pop() as string).error as { code: string; message: string };

/**
 * For a test file of CLI runs: a SoftHSM2 with token `token`, a temporary folder and a file in it
 * holding the PIN, made before the tests and removed after.
 */
export function hsmFixture(token: string): { hsm: SoftHsm; dir: string; pinFile: string } {
  const f = {} as { hsm: SoftHsm; dir: string; pinFile: string; cleanup: () => Promise<void> };
  before(async () => {
    f.hsm = await softHsm();
    await f.hsm.initToken(token);
    const t = await tempDir();
    f.dir = t.dir;
    f.cleanup = t.cleanup;
    f.pinFile = join(f.dir, 'pin');
    await writeFile(f.pinFile, `${TEST_PIN}\n`, { mode: 0o600 });
  });
  after(async () => {
    await f.cleanup?.();
    await f.hsm?.cleanup();
  });
  return f;
}
