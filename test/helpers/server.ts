import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_POLICIES, PolicyEngine } from '../../src/access/index.ts';
import { Deid } from '../../src/deid/index.ts';
import { Passkeys } from '../../src/passkeys/index.ts';
import { Sessions, Tokens } from '../../src/principals/index.ts';
import { buildServer, type ServerOptions } from '../../src/server/index.ts';
import type { TestCore } from './core.ts';

/**
 * The HTTP interface over a test core, on loopback, with player sessions, and one service token for
 * `recordTypes` (and `capabilities`).
 */
export async function serveCore(
  core: TestCore,
  service: { principal: string; recordTypes: string[]; capabilities?: string[] },
  extra: Partial<ServerOptions> = {},
): Promise<{ app: ReturnType<typeof buildServer>; url: string; token: string }> {
  const app = buildServer({
    ...extra,
    log: core.log,
    records: {
      vault: core.vault,
      tokens: new Tokens(core.store, core.log),
      sessions: new Sessions(core),
      policies: () => PolicyEngine.load(DEFAULT_POLICIES),
    },
    deid: new Deid(core),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = (await new Tokens(core.store, core.log).create({ ...service, role: 'service', actor: 'operator:test' }))
    .token;
  return { app, url, token };
}

/** What `httpCall` answers: the status, headers, body text and the body as JSON (`{}` when not JSON). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** One JSON request to a server under test, with a bearer token when given. */
export async function httpCall(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<HttpAnswer> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  const json = (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : {}) as Record<string, unknown>;
  return { status: r.status, headers: r.headers, text, json };
}

/** The origin and RP id of the passkey servers tests start. */
export const PASSKEY_ORIGIN = 'https://play.example.com';

/**
 * The HTTP interface with passkeys (RP `play.example.com`), signed-in sessions reaching `profile`
 * records, the default policies, on loopback; and a platform service `game` granted `session.open`
 * for `profile`, which vouches for the first session a player registers a passkey in.
 */
export async function servePasskeys(
  core: TestCore,
  o: {
    scorer?: ConstructorParameters<typeof Sessions>[0]['scorer'];
    /** What a passkey enrolled in the service's session is worth (default here `full`: D432). */
    vouchedEnrollment?: 'limited' | 'full';
  } = {},
) {
  const sessions = new Sessions({
    keys: core.keys,
    store: core.store,
    log: core.log,
    signInRecordTypes: ['profile'],
    ...(o.scorer === undefined ? {} : { scorer: o.scorer }),
  });
  const passkeys = new Passkeys({
    store: core.store,
    log: core.log,
    keys: core.keys,
    sessions,
    // Its players enrol passkeys in sessions their platform opened, trusted to unless told (D432).
    config: {
      rpId: 'play.example.com',
      rpName: 'Verity test',
      origins: [PASSKEY_ORIGIN],
      vouchedEnrollment: o.vouchedEnrollment ?? 'full',
    },
  });
  const tokens = new Tokens(core.store, core.log);
  const app = buildServer({
    log: core.log,
    records: { vault: core.vault, tokens, sessions, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
    passkeys,
    rights: { rights: core.rights, retention: core.retention },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const service = await tokens.authenticate(
    (
      await tokens.create({
        principal: 'game',
        role: 'service',
        recordTypes: ['profile'],
        capabilities: ['session.open'],
        actor: 'operator:test',
      })
    ).token,
  );
  /** A session the service opens for `player` (to register a first passkey in). */
  const vouch = async (player: string) =>
    sessions.open(service, await core.vault.subjectRef(player), { actor: service.actor, purpose: 'authentication' });
  return { app, url, sessions, passkeys, tokens, service, vouch };
}

/** `bin/verity serve` started as a process, once it printed its address. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (standard output and error). */
  output(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `bin/verity serve ARGS` with `env` as its whole environment and waits for its address. */
export async function spawnServe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(join(import.meta.dirname, '..', '..', 'bin', 'verity'), ['serve', ...args], { env });
  let text = '';
  child.stderr?.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /serving (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${text}`)));
  });
  return {
    url,
    child,
    output: () => text,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
