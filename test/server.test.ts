// The HTTP interface: public transparency endpoints, typed errors, OpenAPI coverage, metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { Deid } from '../src/deid/index.ts';
import { fromBase64 } from '../src/encoding/index.ts';
import { checkProofCase, parseProofCase } from '../src/log/index.ts';
import { hashLeaf, tilePath } from '../src/merkle/index.ts';
import { parseVerifierKey, verifyCheckpoint } from '../src/note/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { buildServer } from '../src/server/index.ts';
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
    const partial = await app.inject(`/${tilePath(0, 1, size - 256)}`);
    assert.equal(partial.rawPayload.byteLength, (size - 256) * 32);
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
          const url = path.replace('/tile/{path}', '/tile/*').replace('{id}', ':id');
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
