// The HTTP interface: public transparency endpoints, typed errors, OpenAPI coverage, metrics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { type ERROR_CODES, httpStatusOf } from '../src/codes/index.ts';
import { Deid } from '../src/deid/index.ts';
import { fromBase64 } from '../src/encoding/index.ts';
import { checkProofCase, parseProofCase } from '../src/log/index.ts';
import { hashLeaf, tilePath } from '../src/merkle/index.ts';
import { parseVerifierKey, verifyCheckpoint } from '../src/note/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { buildServer, type LogOptions } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const A = { actor: 'operator:test', purpose: 'service-provision' };

describe('HTTP server', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  before(async () => {
    core = await makeCore('sqlite');
    for (let i = 0; i < 300; i++) await core.vault.put({ ...A, subject: `p${i % 7}`, type: 'note', data: { i } });
    app = buildServer({ log: core.log });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  it('answers health and readiness', async () => {
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    const r = await app.inject('/readyz');
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().logSize, (await core.log.head()).size);
  });

  it('serves a checkpoint that verifies with the served key', async () => {
    const key = (await app.inject('/v1/log/key')).body.trim();
    const note = await app.inject('/v1/log/checkpoint');
    assert.match(note.headers['content-type'] as string, /^text\/plain/);
    const { checkpoint } = verifyCheckpoint(note.body, parseVerifierKey(key), 'verity.test/log');
    assert.equal(checkpoint.size, (await core.log.head()).size);
  });

  it('serves inclusion and consistency proofs that verify', async () => {
    const inc = await app.inject('/v1/log/proofs/inclusion?index=5');
    assert.equal(inc.statusCode, 200);
    assert.deepEqual(checkProofCase(parseProofCase(inc.json())), { valid: true });
    const con = await app.inject('/v1/log/proofs/consistency?from=3&to=200');
    assert.deepEqual(checkProofCase(parseProofCase(con.json())), { valid: true });
    const entries = await app.inject('/v1/log/entries?from=0&to=3');
    assert.equal(entries.json()[0].entry.action, 'log.init');
  });

  it('refuses bad queries with typed errors', async () => {
    const cases: [string, number, string][] = [
      ['/v1/log/proofs/inclusion?index=abc', 400, 'VERITY_E_INPUT_INVALID'],
      ['/v1/log/proofs/inclusion?index=1&evil=1', 400, 'VERITY_E_INPUT_INVALID'],
      ['/v1/log/proofs/inclusion', 400, 'VERITY_E_INPUT_INVALID'],
      ['/v1/log/proofs/inclusion?index=-1', 400, 'VERITY_E_INPUT_INVALID'],
      ['/v1/log/proofs/inclusion?index=99999999', 404, 'VERITY_E_LOG_RANGE'],
      ['/v1/log/entries?from=0&to=5000', 413, 'VERITY_E_INPUT_TOO_LARGE'],
      ['/tile/0/1', 400, 'VERITY_E_INPUT_MALFORMED'],
      ['/tile/../../etc/passwd', 404, 'VERITY_E_HTTP_ROUTE_NOT_FOUND'],
      ['/tile/0/..%2F..%2Fetc%2Fpasswd', 400, 'VERITY_E_INPUT_MALFORMED'],
      ['/tile/0/x000/001', 400, 'VERITY_E_INPUT_MALFORMED'],
      ['/tile/5/000', 404, 'VERITY_E_LOG_RANGE'],
      ['/v1/records/../../etc/passwd', 404, 'VERITY_E_HTTP_ROUTE_NOT_FOUND'],
      ["/v1/log/proofs/inclusion?index=1'%20OR%201=1", 400, 'VERITY_E_INPUT_INVALID'],
    ];
    for (const [url, status, code] of cases) {
      const r = await app.inject(url);
      assert.equal(r.statusCode, status, `${url}: ${r.body}`);
      assert.equal(r.json().error.code, code, url);
    }
    assert.equal((await app.inject('/readyz')).statusCode, 200, 'the server stays up');
  });

  it('serves C2SP tiles and entry bundles over HTTP', async () => {
    const full = await app.inject(`/${tilePath(0, 0)}`);
    assert.equal(full.statusCode, 200);
    assert.equal(full.rawPayload.byteLength, 256 * 32);
    assert.match(full.headers['cache-control'] as string, /immutable/);
    const [first] = await core.log.entries(0, 1);
    assert.deepEqual(new Uint8Array(full.rawPayload.subarray(0, 32)), hashLeaf(first as Uint8Array));
    const size = (await core.log.head()).size;
    // The right edge: a partial tile (the log's size is not a multiple of 256 here).
    assert.notEqual(size % 256, 0);
    const partial = await app.inject(`/${tilePath(0, Math.floor(size / 256), size % 256)}`);
    assert.equal(partial.rawPayload.byteLength, (size % 256) * 32);
    assert.equal(partial.headers['cache-control'], 'no-cache');
    const bundle = await app.inject('/tile/entries/000');
    assert.equal(bundle.statusCode, 200);
    assert.equal(
      (bundle.rawPayload[0] as number) * 256 + (bundle.rawPayload[1] as number),
      (first as Uint8Array).byteLength,
    );
  });

  it('describes every route in its OpenAPI document and nothing else', async () => {
    const full = buildServer({
      log: core.log,
      records: {
        vault: core.vault,
        tokens: new Tokens(core.store, core.log),
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
      },
      deid: new Deid(core),
    });
    await full.ready();
    try {
      const doc = (await full.inject('/openapi.json')).json() as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      };
      assert.equal(doc.openapi, '3.1.0');
      let documented = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const method of Object.keys(ops)) {
          documented++;
          const url = path.replace('/tile/{path}', '/tile/*').replace(/\{(\w+)\}/g, ':$1');
          assert.ok(
            full.hasRoute({ method: method.toUpperCase() as 'GET', url }),
            `${method} ${path} is documented but not served`,
          );
        }
      }
      const served = full
        .printRoutes({ commonPrefix: false })
        .split('\n')
        .map(
          (l) =>
            /\(([^)]*)\)/
              .exec(l)?.[1]
              ?.split(', ')
              .filter((m) => m !== 'HEAD').length ?? 0,
        )
        .reduce((a, b) => a + b, 0);
      assert.equal(served, documented, 'a served route is missing from /openapi.json');
      assert.match((await full.inject('/docs')).body, /POST \/v1\/records/);
    } finally {
      await full.close();
    }
  });

  it('exposes Prometheus metrics', async () => {
    const m = (await app.inject('/metrics')).body;
    assert.match(m, /verity_log_size \d+/);
    assert.match(m, /verity_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });

  it('serves real HTTP on loopback', async () => {
    const live = buildServer({ log: core.log });
    const url = await live.listen({ host: '127.0.0.1', port: 0 });
    try {
      const note = await (await fetch(`${url}/v1/log/checkpoint`)).text();
      const proof = (await (await fetch(`${url}/v1/log/proofs/inclusion?index=42`)).json()) as {
        treeSize: number;
        leafHash: string;
      };
      assert.deepEqual(checkProofCase(parseProofCase(proof)), { valid: true });
      const { checkpoint } = verifyCheckpoint(note, core.log.verifier);
      assert.ok(checkpoint.size >= proof.treeSize);
      const tile = new Uint8Array(await (await fetch(`${url}/${tilePath(0, 0)}`)).arrayBuffer());
      assert.deepEqual(tile.subarray(42 * 32, 43 * 32), fromBase64(proof.leafHash));
    } finally {
      await live.close();
    }
  });
});

/** Sends raw bytes to a listening server and returns the status and JSON body of its answer. */
async function raw(url: string, bytes: string): Promise<{ status: number; body: { error: { code: string } } }> {
  const { hostname, port } = new URL(url);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (c) => {
      text += c.toString('latin1');
    });
    socket.on('error', (e) => (text === '' ? reject(e) : resolve(text)));
    socket.on('close', () => resolve(text));
    socket.end(bytes);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  return { status, body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) };
}

describe('HTTP errors, Fastify and Node ones included, in Verity shape', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  let token: string;
  before(async () => {
    core = await makeCore('sqlite');
    const tokens = new Tokens(core.store, core.log);
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      bodyLimit: 64 * 1024,
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    token = (await tokens.create({ principal: 'w', role: 'service', recordTypes: ['note'], actor: 'operator:test' }))
      .token;
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });
  const documented = readFileSync(join(import.meta.dirname, '..', 'docs', 'errors.md'), 'utf8');
  const expectError = (r: { statusCode: number; body: string }, status: number, code: string, what: string) => {
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    assert.deepEqual(Object.keys(body), ['error'], what);
    assert.equal(body.error.code, code, what);
    assert.equal(typeof body.error.message, 'string', what);
    assert.equal(httpStatusOf(code as keyof typeof ERROR_CODES), status, `${what}: the table's status`);
    assert.ok(documented.includes(`\`${code}\``), `${code} is in docs/errors.md`);
  };
  const post = (payload: string, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: { authorization: `Bearer ${token}`, ...headers },
      payload,
    });

  it('answers Fastify refusals (404, 413, 415, malformed JSON, bad URL, long parameter) with a code', async () => {
    expectError(await app.inject('/no/such/route'), 404, 'VERITY_E_HTTP_ROUTE_NOT_FOUND', 'unknown route');
    expectError(
      await app.inject({ method: 'PATCH', url: '/v1/records' }),
      404,
      'VERITY_E_HTTP_ROUTE_NOT_FOUND',
      'unknown method (Fastify has no 405)',
    );
    expectError(
      await post(JSON.stringify({ x: 'a'.repeat(100 * 1024) }), { 'content-type': 'application/json' }),
      413,
      'VERITY_E_INPUT_TOO_LARGE',
      'body too large',
    );
    expectError(await post('hello', { 'content-type': 'text/plain' }), 415, 'VERITY_E_INPUT_MEDIA_TYPE', 'media type');
    expectError(
      await post('{"subject": ', { 'content-type': 'application/json' }),
      400,
      'VERITY_E_INPUT_MALFORMED',
      'malformed JSON',
    );
    expectError(
      await app.inject({
        url: `/v1/records/${'a'.repeat(5000)}?purpose=x`,
        headers: { authorization: `Bearer ${token}` },
      }),
      400,
      'VERITY_E_INPUT_INVALID',
      'a 5,000-character id',
    );
    expectError(await app.inject('/v1/records/%E0%A4%A?purpose=x'), 400, 'VERITY_E_INPUT_MALFORMED', 'bad URL');
    expectError(await app.inject('/v1/log/proofs/inclusion?index=abc'), 400, 'VERITY_E_INPUT_INVALID', 'invalid query');
  });

  it("answers Node's HTTP parser refusals (414, 431, not HTTP) in the same shape", async () => {
    const cases: [string, number, string][] = [
      [
        `GET /v1/log/entries?from=0&x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: h\r\n\r\n`,
        414,
        'VERITY_E_HTTP_URI_TOO_LONG',
      ],
      [
        `GET /healthz HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
        431,
        'VERITY_E_HTTP_HEADERS_TOO_LARGE',
      ],
      ['NOT HTTP AT ALL\r\n\r\n', 400, 'VERITY_E_INPUT_MALFORMED'],
    ];
    for (const [bytes, status, code] of cases) {
      const r = await raw(url, bytes);
      expectError({ statusCode: r.status, body: JSON.stringify(r.body) }, status, code, bytes.slice(0, 30));
    }
    // A request that does not arrive in time (Node's headers timeout), on a real connection.
    const { port } = new URL(url);
    const accepted = new Promise<Socket>((resolve) => app.server.once('connection', resolve));
    const client = connect(Number(port), '127.0.0.1');
    let text = '';
    client.on('data', (c) => {
      text += c.toString('latin1');
    });
    const closed = new Promise((resolve) => client.on('close', resolve));
    const timeout = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    app.server.emit('clientError', timeout, await accepted);
    await closed;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
    expectError(
      { statusCode: status, body: text.slice(text.indexOf('\r\n\r\n') + 4) },
      408,
      'VERITY_E_HTTP_TIMEOUT',
      'timeout',
    );
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'the server stays up');
  });
});

describe('server log', () => {
  let core: TestCore;
  let tokens: Tokens;
  let token: string;
  before(async () => {
    core = await makeCore('sqlite');
    tokens = new Tokens(core.store, core.log);
    token = (await tokens.create({ principal: 'w', role: 'service', recordTypes: ['note'], actor: 'operator:test' }))
      .token;
  });
  after(async () => {
    await core.dispose();
  });
  /** A server whose log lines are captured. */
  const logged = (logging: LogOptions = {}, log = core.log) => {
    const lines: string[] = [];
    const app = buildServer({
      log,
      records: { vault: core.vault, tokens, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
      logging: { ...logging, destination: { write: (l: string) => lines.push(l) } },
    });
    const json = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    return { app, lines, json };
  };
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  it('writes one line per request: method, route pattern, status, duration, principal kind; no token, subject or body', async () => {
    const { app, lines, json } = logged();
    try {
      const subject = 'subject-never-logged-7f3a';
      const secret = 'body-never-logged-9c2e';
      const w = await app.inject({
        method: 'POST',
        url: '/v1/records',
        headers: auth(token),
        payload: { subject, type: 'note', purpose: 'service-provision', data: { secret } },
      });
      assert.equal(w.statusCode, 201, w.body);
      const id = w.json().id as string;
      const r = await app.inject({ url: `/v1/records/${id}?purpose=service-provision`, headers: auth(token) });
      assert.equal(r.statusCode, 200);
      await app.inject({
        method: 'POST',
        url: '/v1/records/query',
        headers: auth(token),
        payload: { subject, purpose: 'service-provision' },
      });
      await app.inject('/healthz');
      const requests = json().filter((l) => l['msg'] === 'request');
      assert.equal(requests.length, 4, lines.join(''));
      const [put, get, , health] = requests;
      assert.deepEqual(
        [put?.['method'], put?.['route'], put?.['status'], put?.['principal']],
        ['POST', '/v1/records', 201, 'service'],
      );
      assert.deepEqual([get?.['route'], get?.['status']], ['/v1/records/:id', 200]);
      assert.equal(health?.['principal'], 'none');
      for (const l of requests) {
        assert.equal(typeof l['ms'], 'number');
        assert.equal(typeof l['reqId'], 'string');
        assert.equal(l['level'], 30);
      }
      const all = lines.join('');
      for (const never of [token, token.split('.').at(-1) as string, subject, secret, id, 'service-provision'])
        assert.ok(!all.includes(never), `the log holds ${never.slice(0, 12)}…`);
    } finally {
      await app.close();
    }
  });

  it('logs authentication failures with their reason, at most N a second, counting the rest', async () => {
    const { app, lines, json } = logged({ authFailuresPerSecond: 3 });
    try {
      const bogus = 'vt_AAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
      for (let i = 0; i < 10; i++) {
        const r = await app.inject({ url: '/v1/records/rec_AAAAAAAAAAAAAAAAAAAAAA?purpose=x', headers: auth(bogus) });
        assert.equal(r.statusCode, 401);
      }
      const first = json().filter((l) => l['msg'] === 'authentication failed');
      assert.equal(first.length, 3, lines.join(''));
      assert.equal(first[0]?.['route'], '/v1/records/:id');
      assert.match(String(first[0]?.['reason']), /bearer token/);
      assert.equal(first[0]?.['level'], 40);
      // The suppressed ones are counted once the second is over.
      await new Promise((r) => setTimeout(r, 1100));
      const summary = json().find((l) => l['msg'] === 'authentication failures suppressed');
      assert.equal(summary?.['suppressed'], 7, lines.join(''));
      assert.ok(!lines.join('').includes(bogus.slice(3)), 'the token is never logged');
      // Missing header: its own reason.
      await app.inject({ method: 'POST', url: '/v1/records', payload: {} });
      assert.match(String(json().at(-2)?.['reason']), /send `Authorization: Bearer TOKEN`/);
    } finally {
      await app.close();
    }
  });

  it('logs start, stop, and a 500 with its stack under the request id the answer names', async () => {
    // A log whose reads fail unexpectedly (only what /v1/log/entries and the metrics touch).
    const broken = {
      head: async () => core.log.head(),
      entries: async () => {
        throw new TypeError('disk on fire');
      },
    } as unknown as typeof core.log;
    const { app, json } = logged({}, broken);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const r = await app.inject('/v1/log/entries?from=0&to=1').finally(() => app.close());
    assert.equal(r.statusCode, 500);
    const body = r.json() as { error: { code: string; message: string; details: { requestId: string } } };
    assert.equal(body.error.code, 'VERITY_E_INTERNAL');
    const id = body.error.details.requestId;
    assert.ok(body.error.message.includes(`see the server log, request id ${id}`), body.error.message);
    const failure = json().find((l) => l['msg'] === 'request failed');
    assert.equal(failure?.['reqId'], id);
    assert.equal(failure?.['level'], 50);
    assert.match(String((failure?.['err'] as { stack?: string })?.stack), /TypeError: disk on fire\n\s+at /);
    assert.ok(!JSON.stringify(body).includes('disk on fire'), 'the answer keeps the cause to the log');
    const msgs = json().map((l) => String(l['msg']));
    assert.ok(
      msgs.some((m) => m.startsWith('Server listening at http://127.0.0.1:')),
      msgs.join('|'),
    );
    assert.equal(msgs.at(-1), 'server stopped');
  });

  it('takes a level and a human-readable format', async () => {
    const quiet = logged({ level: 'warn' });
    await quiet.app.inject('/healthz');
    await quiet.app.close();
    assert.deepEqual(quiet.lines, [], 'warn: no request lines');
    const pretty = logged({ format: 'pretty' });
    await pretty.app.inject('/healthz');
    await pretty.app.close();
    const line = pretty.lines.find((l) => l.includes('request')) ?? '';
    assert.throws(() => JSON.parse(line));
    assert.match(line, /INFO: request .*"route":"\/healthz"/);
  });

  it('loads the human-readable formatter only for a server that logs for people', () => {
    const hook = join(import.meta.dirname, 'fixtures', 'load-hook', 'record-loads.mjs');
    const logging = pathToFileURL(join(import.meta.dirname, '..', 'src', 'server', 'logging.ts')).href;
    const dir = mkdtempSync(join(tmpdir(), 'verity-loads-'));
    try {
      const loads = (format: string) => {
        const file = join(dir, format);
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            hook,
            '--input-type=module',
            '-e',
            `const { loggerConfig } = await import(${JSON.stringify(logging)}); loggerConfig({ format: ${JSON.stringify(format)}, destination: { write() {} } });`,
          ],
          { encoding: 'utf8', env: { ...process.env, VERITY_TEST_LOADS: file }, timeout: 60_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        return readFileSync(file, 'utf8').split('\n');
      };
      assert.ok(!loads('json').includes('pino-pretty'), 'a JSON log loads pino-pretty');
      assert.ok(loads('pretty').includes('pino-pretty'), 'the hook sees pino-pretty where it is used');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
