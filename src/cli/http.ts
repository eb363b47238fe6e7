/**
 * Serving HTTP from the CLI: the policies of the data directory (reloaded when their files
 * change), TLS material, CORS origins, and the listening socket.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_POLICIES, PolicyEngine } from '../access/index.ts';
import { Deid } from '../deid/index.ts';
import { readPolicies } from '../embedded/index.ts';
import { ConfigError, quote } from '../errors/index.ts';
import { Sessions, Tokens } from '../principals/index.ts';
import {
  buildServer,
  checkCorsOrigins,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  type ServerOptions,
} from '../server/index.ts';
import { parseWitnessEndpoint, type WitnessingOptions } from '../witness/index.ts';
import { type OptionSpec, usage, type Values } from './command.ts';
import { int, list, type Opened, opt } from './common.ts';
import { readInput } from './io.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The options `serve` and `start` share. */
export const HTTP_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  host: { type: 'string', value: 'H', help: 'the address to listen on (default 127.0.0.1; others need TLS)' },
  port: { type: 'string', value: 'P', help: 'the port (default 8080; 0 picks a free one)' },
  'tls-cert': { type: 'string', value: 'F', help: 'serve HTTPS with this certificate (PEM), with --tls-key' },
  'tls-key': { type: 'string', value: 'F', help: 'the private key of --tls-cert (PEM)' },
  'tls-self-signed': { type: 'boolean', help: 'a development certificate for localhost, kept in DIR/tls/' },
  'tls-client-ca': { type: 'string', value: 'F', help: 'mutual TLS: clients must present a certificate from this CA' },
  'cors-origin': {
    type: 'string',
    value: 'URL',
    multiple: true,
    help: 'a web origin whose pages may call the API from browsers (repeatable)',
  },
  // Server logs (JSON lines on standard output by default): resolved once by `logSettings`.
  'log-level': { type: 'string', value: 'LEVEL', help: 'log level (or VERITY_LOG_LEVEL): fatal ... trace, silent' },
  'log-format': { type: 'string', value: 'FMT', help: 'log format (or VERITY_LOG_FORMAT): json or pretty' },
};

/** The witness options of `serve` and `start`. */
export const WITNESS_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  witness: {
    type: 'string',
    value: 'URL=KEY',
    multiple: true,
    help: 'a witness (URL prefix and its `verity witness key`) to send checkpoints to (repeatable)',
  },
  'witness-quorum': {
    type: 'string',
    value: 'K',
    help: 'start only when K witnesses cosign the current checkpoint; serve checkpoints K cosigned (default 0)',
  },
};

/**
 * The witnesses from `--witness URL=KEY` and `--witness-quorum K`. What they answer while the
 * server starts goes to `say` (afterwards, to the server log only: call `started()`).
 */
export function witnessesFrom(
  values: Values,
  say: (line: string) => void,
): { options: WitnessingOptions; started(): void } | undefined {
  const witnesses = list(values, 'witness').map(parseWitnessEndpoint);
  const quorum = int(values, 'witness-quorum', false) ?? 0;
  if (witnesses.length === 0) {
    if (quorum > 0) usage('--witness-quorum needs --witness URL=KEY');
    return undefined;
  }
  if (quorum > witnesses.length)
    usage(`--witness-quorum ${quorum} is more than the ${witnesses.length} witnesses given`);
  let starting = true;
  const options: WitnessingOptions = {
    witnesses,
    quorum,
    onEvent(e) {
      if (!starting) return;
      if (e.type === 'cosigned') say(`witness ${e.witness} cosigned the checkpoint of size ${e.size}`);
      else if (e.type === 'unavailable') say(`${e.error.message}; retrying it in the background`);
    },
  };
  return {
    options,
    started: () => {
      starting = false;
    },
  };
}

/** Log level and format from `--log-level`/`--log-format`, else VERITY_LOG_LEVEL/VERITY_LOG_FORMAT. */
export interface LogSettings {
  readonly level: LogLevel | undefined;
  readonly format: LogFormat | undefined;
}

/** Resolves and checks the log settings once, at start. */
export function logSettings(values: Values): LogSettings {
  const level = opt(values, 'log-level') ?? (process.env['VERITY_LOG_LEVEL'] || undefined);
  const format = opt(values, 'log-format') ?? (process.env['VERITY_LOG_FORMAT'] || undefined);
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level))
    usage(`--log-level (or VERITY_LOG_LEVEL) is one of ${LOG_LEVELS.join(', ')}, not ${quote(level)}`);
  if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format))
    usage(`--log-format (or VERITY_LOG_FORMAT) is json or pretty, not ${quote(format)}`);
  return { level: level as LogLevel | undefined, format: format as LogFormat | undefined };
}

/** Host and port, refusing plain HTTP anywhere but loopback. */
export function hostPort(values: Values, defaultPort = 8080): { host: string; port: number } {
  const host = opt(values, 'host') ?? '127.0.0.1';
  const port = int(values, 'port', false) ?? defaultPort;
  if (port > 65535) usage('--port must be at most 65535');
  const tls = opt(values, 'tls-cert') !== undefined || values['tls-self-signed'] === true;
  if (!LOOPBACK.has(host) && !tls) {
    throw new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `plain HTTP is only served on loopback; serve ${JSON.stringify(host).slice(0, 40)} with --tls-cert/--tls-key (or --tls-self-signed for development)`,
    );
  }
  return { host, port };
}

/** Web origins allowed to call from browsers (`--cors-origin`), checked before anything opens. */
export function corsFrom(values: Values): string[] {
  return checkCorsOrigins(list(values, 'cors-origin'));
}

/**
 * TLS material from the options: a configured certificate and key (PEM files), or a self-signed
 * development certificate for localhost kept in DATA/tls/ (made once with the system's openssl).
 */
export async function tlsFrom(values: Values, dir: string): Promise<ServerOptions['tls'] | undefined> {
  const certFile = opt(values, 'tls-cert');
  const keyFile = opt(values, 'tls-key');
  const caFile = opt(values, 'tls-client-ca');
  if ((certFile === undefined) !== (keyFile === undefined)) usage('--tls-cert and --tls-key go together');
  const ca = caFile === undefined ? {} : { clientCa: Buffer.from(await readInput(caFile, 1024 * 1024)) };
  if (certFile !== undefined && keyFile !== undefined) {
    return {
      cert: Buffer.from(await readInput(certFile, 1024 * 1024)),
      key: Buffer.from(await readInput(keyFile, 1024 * 1024)),
      ...ca,
    };
  }
  if (values['tls-self-signed'] !== true) {
    if (caFile !== undefined)
      usage('--tls-client-ca needs a server certificate (--tls-cert/--tls-key or --tls-self-signed)');
    return undefined;
  }
  const tlsDir = `${dir}/tls`;
  const cert = `${tlsDir}/dev-cert.pem`;
  const key = `${tlsDir}/dev-key.pem`;
  if (!existsSync(cert)) {
    await mkdir(tlsDir, { recursive: true, mode: 0o700 });
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new ConfigError(
        'VERITY_E_CONFIG_INVALID',
        `could not make a development certificate with openssl (${(r.stderr ?? String(r.error ?? '')).trim().slice(0, 120)}); pass --tls-cert and --tls-key`,
      );
    await chmod(key, 0o600);
    process.stderr.write(
      `verity: made a self-signed development certificate in ${tlsDir}; clients must trust ${cert}\n`,
    );
  }
  return { cert: await readFile(cert), key: await readFile(key), ...ca };
}

/** Why a socket could not be opened, as a typed error that says what to do. */
export function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE')
    return new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `port ${port} on ${host} is already in use (another Verity, or another program): stop it, or pass --port N for another port (--port 0 picks a free one)`,
      { cause: e },
    );
  if (code === 'EACCES')
    return new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `port ${port} on ${host} needs privileges this process does not have: pass --port N with N above 1023`,
      { cause: e },
    );
  if (code === 'EADDRNOTAVAIL')
    return new ConfigError(
      'VERITY_E_CONFIG_INVALID',
      `${quote(host)} is not an address of this machine: pass --host with one of its addresses`,
      { cause: e },
    );
  return e;
}

/**
 * Starts the HTTP interface on an open data directory. On failure (a busy port) everything it
 * opened is closed again, so the command exits with its error instead of hanging.
 */
export async function listen(
  v: Opened,
  dir: string,
  o: {
    host: string;
    port: number;
    tls?: ServerOptions['tls'];
    corsOrigins: readonly string[];
    logs: LogSettings;
    witnesses?: WitnessingOptions;
  },
): Promise<{ url: string; close(): Promise<void> }> {
  const policyDir = `${dir}/policies`;
  if (!existsSync(policyDir)) {
    // A data directory made before policies were files: give it the defaults, and say so.
    await mkdir(policyDir, { recursive: true, mode: 0o700 });
    await writeFile(`${policyDir}/verity.cedar`, DEFAULT_POLICIES, { mode: 0o600, flag: 'wx' });
    process.stderr.write(`verity: wrote the default policies to ${policyDir}/verity.cedar\n`);
  }
  const engine = PolicyEngine.load(await readPolicies(policyDir));
  // Policies are files: a change is picked up at once; an invalid set is refused and the last good one stays.
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(policyDir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      readPolicies(policyDir)
        .then((text) => {
          engine.reload(text);
          process.stderr.write(`verity: policies reloaded (${engine.policyHash})\n`);
        })
        .catch((e: unknown) => process.stderr.write(`verity: kept the last good policies: ${(e as Error).message}\n`));
    }, 100);
  });
  const app = buildServer({
    log: v.log,
    records: {
      vault: v.vault,
      tokens: new Tokens(v.store, v.log),
      sessions: new Sessions({ keys: v.keys, store: v.store, log: v.log }),
      policies: () => engine,
    },
    deid: new Deid({ keys: v.keys, store: v.store, log: v.log, vault: v.vault }),
    rights: { rights: v.rights, retention: v.retention },
    ...(o.tls === undefined ? {} : { tls: o.tls }),
    corsOrigins: o.corsOrigins,
    ...(o.witnesses === undefined ? {} : { witnesses: o.witnesses }),
    logging: {
      ...(o.logs.level === undefined ? {} : { level: o.logs.level }),
      ...(o.logs.format === undefined ? {} : { format: o.logs.format }),
    },
  });
  // Processors' notifications go out in the background, retried with growing delays.
  const notifier = setInterval(() => {
    v.rights.processors
      .deliver()
      .catch((e: unknown) => process.stderr.write(`verity: processor notifications: ${(e as Error).message}\n`));
  }, 30_000);
  notifier.unref();
  const close = async () => {
    clearInterval(notifier);
    watcher.close();
    clearTimeout(timer);
    await app.close();
  };
  try {
    const url = await app.listen({ host: o.host, port: o.port });
    return { url, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw listenError(e, o.host, o.port);
  }
}
