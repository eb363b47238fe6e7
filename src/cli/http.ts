import { join } from 'node:path';
import type { Attester } from '../attestation/index.ts';
/**
 * Serving HTTP from the CLI: the policies in force on the data directory (taken up when
 * `verity policy install` changes them), TLS material, CORS origins, and the listening socket.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_POLICIES } from '../access/index.ts';
import { Deid } from '../deid/index.ts';
import {
  defaultPrivacyPolicyText,
  missingDefaultPolicies,
  openPolicies,
  PRIVACY_POLICY_FILE,
} from '../embedded/index.ts';
import { ConfigError, isVerityError, quote } from '../errors/index.ts';
import { Governance } from '../governance/index.ts';
import { MlsDelivery, MlsReports } from '../mls/index.ts';
import { Issuers, Nonces, OidcSignIn } from '../oidc/index.ts';
import { type PasskeyConfig, Passkeys } from '../passkeys/index.ts';
import { Sessions, Tokens } from '../principals/index.ts';
import { RiskScorer } from '../risk/index.ts';
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
import type { ChainSettings } from './chain.ts';
import { usage, type Values } from './command.ts';
import { int, list, type Opened, opt } from './common.ts';
import { identityServices } from './identity.ts';
import { readInput } from './io.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

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
 * The chain `serve` indexes: the one configured, or the data directory's embedded chain (D321),
 * which serves one process on the embedded store; with PostgreSQL (several servers on one store)
 * a chain must be configured, so there is none without `--chain URL`.
 */
async function chainFor(v: Opened, dir: string, s: ChainSettings | undefined) {
  if (s === undefined) return undefined;
  if (s.url === 'embedded' && v.config.store.kind !== 'sqlite') {
    process.stderr.write(
      'verity: no chain: the embedded chain serves one process on the embedded store; with PostgreSQL configure one with --chain URL\n',
    );
    return undefined;
  }
  try {
    return await (await import('./chain.ts')).startChain(v, s, dir);
  } catch (e) {
    // Another server on this data directory runs its embedded chain: this one serves without a
    // chain (what needs one is refused, reads under agreements too) unless the chain was asked for.
    if (s.byDefault !== true || !isVerityError(e, 'VERITY_E_CHAIN_UNAVAILABLE') || e.details?.['reason'] !== 'busy')
      throw e;
    process.stderr.write(
      `verity: no chain: process ${e.details?.['pid']} serves this data directory's embedded chain (stop it and restart this server to have it here)\n`,
    );
    return undefined;
  }
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
    signInRecordTypes?: readonly string[];
    passkeys?: PasskeyConfig;
    /** The host[:port] of Verity's did:web (default: the address it listens on). */
    didHost?: string;
    /** Secure boot: the attester of the measured boot; the policies it measured are not reloaded. */
    attestation?: Attester;
    /** Verity's view of a chain (off when absent). */
    chain?: ChainSettings;
  },
): Promise<{ url: string; close(): Promise<void> }> {
  const policyDir = `${dir}/policies`;
  if (!existsSync(policyDir)) {
    // A data directory made before policies were files: give it the defaults, and say so.
    await mkdir(policyDir, { recursive: true, mode: 0o700 });
    await writeFile(`${policyDir}/verity.cedar`, DEFAULT_POLICIES, { mode: 0o600, flag: 'wx' });
    process.stderr.write(`verity: wrote the default policies to ${policyDir}/verity.cedar\n`);
  }
  const privacyFile = `${policyDir}/${PRIVACY_POLICY_FILE}`;
  if (!existsSync(privacyFile)) {
    await writeFile(privacyFile, defaultPrivacyPolicyText(), { mode: 0o600, flag: 'wx' });
    process.stderr.write(`verity: wrote the default privacy policy to ${privacyFile}\n`);
  }
  // What decides is what the state holds in force (D416); the files are where an operator edits,
  // put in force by `verity policy install`. An invalid privacy policy file stops the start (the
  // error names the file and the JSON pointer).
  const { engine, sets, privacy, notes, filesInForce } = await openPolicies(v, dir, {
    actor: 'operator:cli',
  });
  if (o.attestation !== undefined && !filesInForce)
    // Secure boot measured the files: they must be what decides, or the measurement says nothing.
    throw new ConfigError(
      'VERITY_E_POLICY_NOT_INSTALLED',
      `the policy files in ${policyDir} are not the policies in force, and secure boot measures the files: run \`verity policy install --data ${dir}\`, sign a new release and start again`,
    );
  for (const line of notes) process.stderr.write(`verity: ${line}\n`);
  const missingDefaults = missingDefaultPolicies(engine);
  if (missingDefaults.length > 0)
    process.stderr.write(
      `verity: the policies in force lack ${missingDefaults.length === 1 ? 'a default policy' : 'default policies'} of this release (${missingDefaults.join(', ')}): requests only ${missingDefaults.length === 1 ? 'it permits are' : 'they permit are'} refused; \`verity policy defaults --data ${dir}\` shows ${missingDefaults.length === 1 ? 'it' : 'them'} and writes ${missingDefaults.length === 1 ? 'it' : 'them'} beside your files for \`verity policy install\` (removed on purpose: nothing to do)\n`,
    );
  const undeclared = privacy.policy.undeclaredPurposesIn(engine.policyText);
  if (undeclared.length > 0)
    process.stderr.write(
      `verity: the Cedar policies name purposes the privacy policy does not declare (requests for them are refused): ${undeclared.join(', ')}\n`,
    );
  // A set installed by `verity policy install` (from another process or node) is taken up within
  // seconds; under secure boot only the measured set decides, until a restart.
  let refreshing = false;
  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      const set = await sets.inForce();
      if (set !== undefined && set.hash !== engine.policyHash) {
        if (o.attestation !== undefined)
          process.stderr.write(
            `verity: kept the policies secure boot measured; the set installed at log entry ${set.logIndex} decides after a restart on a release signed with it\n`,
          );
        else {
          engine.reload(set.text);
          process.stderr.write(
            `verity: policies reloaded (${engine.policyHash}, installed at log entry ${set.logIndex})\n`,
          );
        }
      }
      await privacy.refresh();
    } catch (e) {
      process.stderr.write(`verity: kept the policies in force: ${(e as Error).message}\n`);
    } finally {
      refreshing = false;
    }
  };
  const refresher = setInterval(() => void refresh(), 2_000);
  refresher.unref();
  // An edit of the files changes nothing by itself: say how to put it in force.
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(policyDir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      process.stderr.write(
        `verity: the files in ${policyDir} changed; they decide nothing until \`verity policy install --data ${dir}\` installs them\n`,
      );
    }, 100);
  });
  const sessions = new Sessions({
    keys: v.keys,
    store: v.store,
    log: v.log,
    signInRecordTypes: o.signInRecordTypes ?? [],
    // Every passkey and OpenID Connect sign-in is scored by the shipped model (docs/risk.md); the
    // score is signed into the session and read by the policies (step-up from 70, denial from 90).
    scorer: new RiskScorer(),
  });
  // Platform sign-in: JWK Sets are fetched with the platform's fetch (the one network call of it).
  const issuers = new Issuers({ store: v.store, log: v.log, sessions, fetch: (url, init) => fetch(url, init) });
  const passkeys =
    o.passkeys === undefined
      ? undefined
      : new Passkeys({ store: v.store, log: v.log, keys: v.keys, sessions, config: o.passkeys });
  // The server's own name: its did:web, and the domain players' EIP-4361 messages name (D415).
  const serverHost = o.didHost ?? `${o.host}:${o.port}`;
  const identity = identityServices(v, serverHost);
  // Community governance over the privacy policy in force; votes by passkey sign-ins, or by
  // membership credentials whose key binding names Verity's own did:web as the audience.
  const governance = new Governance({
    store: v.store,
    log: v.log,
    keys: v.keys,
    privacy,
    credentials: { verifier: identity.verifier, issued: identity.credentials, audience: identity.issuer },
  });
  // End-to-end encrypted rooms: Verity delivers what it cannot read and stamps franking commitments.
  const mls = {
    delivery: new MlsDelivery({ store: v.store, log: v.log, keys: v.keys }),
    reports: new MlsReports({ store: v.store, log: v.log, keys: v.keys }),
  };
  const chainSettings =
    o.chain === undefined ? undefined : { ...o.chain, siweDomain: o.chain.siweDomain ?? serverHost };
  const chain = await chainFor(v, dir, chainSettings);
  // Custodial wallets (D240, D298): with a chain and passkeys (a wallet signs only after its
  // player's passkey confirms the action); each new wallet bound to its player, its gas paid by the
  // platform's account within limits.
  const wallets =
    chain?.routes.contracts === undefined || passkeys === undefined
      ? undefined
      : new (await import('../wallets/index.ts')).CustodialWallets({
          store: v.store,
          log: v.log,
          keys: v.keys,
          passkeys,
          contracts: chain.routes.contracts,
          ...(chain.routes.bindings === undefined ? {} : { bindings: chain.routes.bindings }),
          ...(chainSettings?.siweDomain === undefined ? {} : { bindDomain: chainSettings.siweDomain }),
          ...(chain.routes.sender === undefined ? {} : { gas: { funder: chain.routes.sender } }),
        });
  const app = buildServer({
    log: v.log,
    mls,
    ...(chain === undefined ? {} : { chain: chain.routes }),
    ...(passkeys === undefined ? {} : { passkeys }),
    ...(wallets === undefined ? {} : { wallets }),
    governance,
    compliance: { store: v.store, keys: v.keys, privacy, rights: v.rights, retention: v.retention, governance },
    records: {
      vault: v.vault,
      tokens: new Tokens(v.store, v.log),
      sessions,
      policies: () => engine,
      privacy,
    },
    oidc: {
      issuers,
      signIn: new OidcSignIn({
        issuers,
        nonces: new Nonces({ log: v.log }),
        sessions,
        store: v.store,
        log: v.log,
        subjectRef: (p) => v.vault.subjectRef(p),
      }),
    },
    deid: new Deid({ keys: v.keys, store: v.store, log: v.log, vault: v.vault }),
    identity,
    reports: { store: v.store },
    // The Trust Center as `npm start`/`npm test` (or `npm run build:web`) built it.
    web: { dir: join(import.meta.dirname, '..', '..', 'dist', 'web') },
    rights: { rights: v.rights, retention: v.retention },
    ...(o.tls === undefined ? {} : { tls: o.tls }),
    corsOrigins: o.corsOrigins,
    ...(o.witnesses === undefined ? {} : { witnesses: o.witnesses }),
    ...(o.attestation === undefined ? {} : { attestation: o.attestation }),
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
    // Votes whose period is over are tallied and adopted changes enacted after their timelock (a
    // version another node enacted is taken up by the policies' refresh above).
    governance.tick().catch((e: unknown) => process.stderr.write(`verity: governance: ${(e as Error).message}\n`));
  }, 30_000);
  notifier.unref();
  // Queued MLS messages past their retention, unused claims and expired KeyPackages, hourly.
  const sweeper = setInterval(() => {
    mls.delivery.sweep().catch((e: unknown) => process.stderr.write(`verity: mls sweep: ${(e as Error).message}\n`));
  }, 3_600_000);
  sweeper.unref();
  const close = async () => {
    clearInterval(notifier);
    clearInterval(sweeper);
    clearInterval(refresher);
    watcher.close();
    clearTimeout(timer);
    await app.close();
    await chain?.close();
    // The failure counts not yet written go to the log before it closes.
    await passkeys?.close();
  };
  try {
    const url = await app.listen({ host: o.host, port: o.port });
    return { url, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw listenError(e, o.host, o.port);
  }
}
