/** `verity serve` and `verity start`: the HTTP API on a data directory. */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Attester } from '../../attestation/index.ts';
import { bootMeasurement } from '../../boot/index.ts';
import type { StoreSecret } from '../../embedded/index.ts';
import { initDataDir, openDataDir } from '../../embedded/index.ts';
import { verifyLogHead } from '../../log/index.ts';
import { chainFrom } from '../chain.ts';
import { type Command, type Group, type OptionSpec, usage, type Values } from '../command.ts';
import { DATA, dataDir, int, list, namedHsmModule, type Opened, opt, shellPath, storeSecretFor } from '../common.ts';
import type { listen } from '../http.ts';
import { HTTP_OPTIONS, WITNESS_OPTIONS } from '../http-options.ts';
import { out, waitForSignal } from '../io.ts';
import { RELEASE_OPTIONS } from './release.ts';

/**
 * Checks the options, opens the data directory, verifies its log and listens; closes the
 * directory again when anything fails, so the command exits with its error.
 */
async function open(
  values: Values,
  create: boolean,
): Promise<{
  v: Opened;
  dir: string;
  size: number;
  server: Awaited<ReturnType<typeof listen>>;
  attester: Attester | undefined;
}> {
  // Loaded here, not at the top: the server and its libraries are most of the CLI's start time,
  // and every other command (and every help text) goes without them.
  const { corsFrom, hostPort, listen, logSettings, tlsFrom, witnessesFrom } = await import('../http.ts');
  const { passkeysFrom } = await import('../passkey-options.ts');
  const chain = chainFrom(values);
  const { host, port } = hostPort(values);
  const corsOrigins = corsFrom(values);
  const logs = logSettings(values);
  const witnesses = witnessesFrom(values, (line) => process.stderr.write(`verity: ${line}\n`));
  const signInRecordTypes = list(values, 'signin-record-types').flatMap((t) => t.split(','));
  if (!signInRecordTypes.every((t) => /^[a-z][a-z0-9_.-]{0,63}$/.test(t)))
    usage('--signin-record-types takes record types separated by commas, e.g. profile,inventory');
  const passkeys = await passkeysFrom(values);
  const dir = dataDir(values);
  const keyProcess = values['in-process-keys'] !== true;
  const creating = create && !existsSync(join(dir, 'verity.json'));
  // With a key process this process reads the secret only to create a store; the key process
  // reads it from its own environment.
  const secret = keyProcess && !creating ? undefined : await storeSecretFor(dir);
  if (creating && secret !== undefined) {
    await initDataDir(dir, { secret });
    process.stderr.write(`verity: created a new embedded store in ${dir}\n`);
  }
  const tls = await tlsFrom(values, dir);
  const v = await openDataDir(
    dir,
    keyProcess
      ? {
          ...namedHsmModule(),
          keyProcess: {
            onEvent: (e) =>
              process.stderr.write(
                e.type === 'down'
                  ? `verity: the key process stopped (${e.reason}); writes fail until it is back, restarting it\n`
                  : 'verity: the key process is back\n',
              ),
          },
        }
      : { secret: secret as StoreSecret, ...namedHsmModule() },
  );
  try {
    // Constant time: the head, its right edge, the newest entry and the state root. Each row is
    // checked against the state map at use; `verity log verify` recomputes everything.
    const report = await verifyLogHead(v.log, v.store);
    // Secure boot (src/boot/bootstrap.ts) checked every file before this code loaded: the measured
    // boot goes into the log as one entry, and /v1/attestation signs evidence of it.
    const measurement = bootMeasurement();
    const attester =
      measurement === undefined
        ? undefined
        : await (await import('../../attestation/index.ts')).Attester.start({
            log: v.log,
            keys: v.keys,
            measurement,
            runtime: `node ${process.version} ${process.platform}-${process.arch}`,
          });
    const server = await listen(v, dir, {
      ...(attester === undefined ? {} : { attestation: attester }),
      host,
      port,
      ...(tls === undefined ? {} : { tls }),
      corsOrigins,
      logs,
      signInRecordTypes,
      ...(passkeys === undefined ? {} : { passkeys }),
      ...(witnesses === undefined ? {} : { witnesses: witnesses.options }),
      ...(opt(values, 'did-host') === undefined ? {} : { didHost: opt(values, 'did-host') as string }),
      ...(chain === undefined ? {} : { chain }),
    });
    witnesses?.started();
    return { v, dir, size: report.size, server, attester };
  } catch (e) {
    await v.close();
    throw e;
  }
}

/** `--in-process-keys`, of `verity serve` and `verity start`. */
const KEY_PROCESS_OPTION: Readonly<Record<string, OptionSpec>> = {
  'in-process-keys': {
    type: 'boolean',
    help: 'open the key store in the server process instead of a separate key process (the default keeps the secret, the KEKs and the log key out of the process that parses HTTP)',
  },
};

/** What secure boot measured, when it ran: the measurement clients pin, and the attestation key. */
function secureBootLines(attester: Attester | undefined): string[] {
  const m = bootMeasurement();
  if (attester === undefined || m === undefined) return [];
  return [
    `secure boot:  release ${m.version} verified against its signed manifest; measurement ${m.value} (log entry ${attester.bootEntry})`,
    `attestation:  ${attester.attestationKey} (GET /v1/attestation?nonce=...)`,
  ];
}

/** Where this checkout's `bin/verity` is, as a path the user can type from where they are. */
function binPath(): string {
  return shellPath(join(dirname(dirname(dirname(import.meta.dirname))), 'bin', 'verity'));
}

/**
 * A command that works as printed from the current directory: the secret's file named in a
 * variable (a passphrase given in VERITY_PASSPHRASE is already in the user's environment, or not
 * ours to print), this checkout's `bin/verity`, and the data directory.
 */
export function tryHint(dir: string): string {
  const env = process.env;
  const secret =
    env['VERITY_PASSPHRASE'] !== undefined && env['VERITY_PASSPHRASE'] !== ''
      ? ''
      : env['VERITY_PASSPHRASE_FILE']
        ? `VERITY_PASSPHRASE_FILE=${shellPath(env['VERITY_PASSPHRASE_FILE'])} `
        : env['VERITY_KEY_FILE']
          ? `VERITY_KEY_FILE=${shellPath(env['VERITY_KEY_FILE'])} `
          : '';
  return `try: echo '{"name":"Ada"}' | ${secret}${binPath()} records put --data ${shellPath(dir)} --subject player-1 --type profile --purpose service-provision`;
}

const serve: Command = {
  name: '',
  summary: 'serve the HTTP API of a data directory (plain HTTP on loopback only; HTTPS with a certificate)',
  options: { ...DATA, ...HTTP_OPTIONS, ...WITNESS_OPTIONS, ...KEY_PROCESS_OPTION, ...RELEASE_OPTIONS },
  async run({ values }) {
    const { v, size, server, attester } = await open(values, false);
    await out(
      [
        `Verity is serving ${server.url}`,
        `log key:  ${v.config.verifierKey}`,
        `log size: ${size} entries, verified`,
        ...secureBootLines(attester),
      ].join('\n'),
    );
    await waitForSignal();
    await server.close();
    await v.close();
    return 0;
  },
};

const start: Command = {
  name: '',
  summary: 'open (or create) an embedded store, verify it, serve HTTP and enforce retention until Ctrl+C',
  options: {
    ...DATA,
    'sweep-interval': { type: 'string', value: 'S', help: 'seconds between retention sweeps (default 60)' },
    'update-interval': {
      type: 'string',
      value: 'S',
      help: 'apply verified updates from the trusted repository at start and every S seconds (`verity updates trust`)',
    },
    ...HTTP_OPTIONS,
    ...WITNESS_OPTIONS,
    ...KEY_PROCESS_OPTION,
    ...RELEASE_OPTIONS,
  },
  async run({ values }) {
    const interval = (int(values, 'sweep-interval', false) ?? 60) * 1000;
    const updateEvery = int(values, 'update-interval', false);
    if (updateEvery !== undefined && updateEvery < 60) usage('--update-interval takes 60 seconds or more', 'start');
    const { v, dir, size, server, attester } = await open(values, true);
    await out(
      [
        `Verity is running on the embedded store in ${dir}`,
        `serving:      ${server.url} (API description at ${server.url}/docs)`,
        `log origin:   ${v.config.origin}`,
        `log key:      ${v.config.verifierKey}`,
        `log size:     ${size} entries; head, right edge and state root verified (\`verity log verify\` checks every entry)`,
        ...secureBootLines(attester),
        'checkpoint:',
        (await v.log.checkpoint()).trimEnd(),
        '',
        tryHint(dir),
        'press Ctrl+C to stop',
      ].join('\n'),
    );
    const sweep = async () => {
      try {
        // Restricted records are held back; each erasure is audited, the run summed up in the log.
        const r = await v.retention.run();
        if (r.erased > 0) process.stderr.write(`verity: retention erased ${r.erased} record(s)\n`);
      } catch (e) {
        process.stderr.write(`verity: retention sweep failed: ${(e as Error).message}\n`);
      }
    };
    await sweep();
    const timer = setInterval(() => void sweep(), interval);
    const updates = await startUpdates(updateEvery, v, dir);
    await waitForSignal();
    clearInterval(timer);
    if (updates !== undefined) clearInterval(updates);
    await server.close();
    await v.close();
    return 0;
  },
};

/**
 * With `--update-interval S`: `verity updates apply` at start and every S seconds (D156). A refused
 * or unreachable update is reported and changes nothing; an applied one reaches the server through
 * DIR/policies (reloaded on change) and the store's schemas.
 */
async function startUpdates(seconds: number | undefined, v: Opened, dir: string): Promise<NodeJS.Timeout | undefined> {
  if (seconds === undefined) return undefined;
  // Loaded only with --update-interval: its TUF libraries would otherwise load with every command.
  const { Updates } = await import('../../updates/index.ts');
  const updates = new Updates({ dir, log: v.log, vault: v.vault, store: v.store, actor: 'operator:updates' });
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const r = await updates.apply();
      if (r.applied)
        process.stderr.write(`verity: applied update ${r.set} (${r.targets} target(s), log entry ${r.logIndex})\n`);
    } catch (e) {
      process.stderr.write(`verity: update not applied: ${(e as Error).message}\n`);
    } finally {
      running = false;
    }
  };
  void run();
  return setInterval(() => void run(), seconds * 1000);
}

export const serveGroup: Group = { name: 'serve', summary: 'the HTTP API', commands: [serve] };
export const startGroup: Group = { name: 'start', summary: 'the embedded store, served', commands: [start] };
