// The SDK against a real Verity server on loopback: it verifies everything it reads and catches a
// forked or rolled-back log, a forged checkpoint and a tampered answer client-side.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVerityError } from '../src/errors/index.ts';
import { formatCheckpoint, signNote } from '../src/note/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { type buildServer, OPENAPI } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { serveCore } from './helpers/server.ts';

describe('SDK', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  let token: string;
  before(async () => {
    core = await makeCore('sqlite');
    ({ app, url, token } = await serveCore(core, { principal: 'world-eu', recordTypes: ['profile'] }));
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  const client = (f?: typeof fetch) =>
    new VerityClient({
      url,
      token,
      verifierKey: core.log.verifierKey,
      origin: 'verity.test/log',
      ...(f === undefined ? {} : { fetch: f }),
    });

  it('writes and reads verified records and advances its trusted checkpoint with consistency proofs', async () => {
    const c = client();
    const first = await c.checkpoint();
    const w = await c.putRecord({
      subject: 'p1',
      type: 'profile',
      purpose: 'service-provision',
      data: { name: 'Ada' },
    });
    const r = await c.getRecord(w.id, { purpose: 'service-provision' });
    assert.deepEqual(r.data, { name: 'Ada' });
    assert.ok(r.checkpoint.size > first.size);
    assert.equal((await c.trusted())?.size, r.checkpoint.size);
    await c.putRecord({ subject: 'p1', type: 'profile', purpose: 'service-provision', data: { name: 'Bo' } });
    assert.ok((await c.checkpoint()).size > r.checkpoint.size);
  });

  it('refuses a rolled-back log', async () => {
    const old = await core.log.checkpoint();
    const stale: typeof fetch = async (input, init) =>
      String(input).endsWith('/v1/log/checkpoint') ? new Response(old) : fetch(input, init);
    const c2 = client(stale);
    // c2 first trusts the fresh checkpoint via a real read, then sees the stale one.
    const w = await c2.putRecord({ subject: 'p2', type: 'profile', purpose: 'service-provision', data: { x: 1 } });
    await c2.getRecord(w.id, { purpose: 'service-provision' });
    await assert.rejects(c2.checkpoint(), (e) => isVerityError(e, 'VERITY_E_LOG_ROLLBACK'));
  });

  it('refuses a forked log: a signed checkpoint the trusted tree is not a prefix of', async () => {
    const c = client();
    const trusted = await c.checkpoint();
    const forged = await signNote(
      formatCheckpoint({ origin: 'verity.test/log', size: trusted.size + 5, rootHash: new Uint8Array(32).fill(9) }),
      [
        {
          name: 'verity.test/log',
          publicKey: core.log.verifier.publicKey,
          sign: (m) => core.keys.sign('log-checkpoint', m),
        },
      ],
    );
    await core.log.append([1, 2, 3, 4, 5].map((i) => new TextEncoder().encode(`fork-${i}`)));
    const forking: typeof fetch = async (input, init) =>
      String(input).endsWith('/v1/log/checkpoint') ? new Response(forged) : fetch(input, init);
    const store = { note: '' };
    const c3 = new VerityClient({
      url,
      token,
      verifierKey: core.log.verifierKey,
      origin: 'verity.test/log',
      fetch: forking,
      checkpoints: {
        load: () => store.note,
        save: (n) => {
          store.note = n;
        },
      },
    });
    store.note = await (await fetch(`${url}/v1/log/checkpoint`)).text();
    await assert.rejects(
      c3.checkpoint(),
      (e) => isVerityError(e) && ['VERITY_E_LOG_FORK', 'VERITY_E_LOG_PROOF_INVALID'].includes(e.code),
    );
  });

  it('refuses forged checkpoints and tampered answers', async () => {
    const w = await client().putRecord({
      subject: 'p3',
      type: 'profile',
      purpose: 'service-provision',
      data: { secret: 1 },
    });
    const other = await makeCore('sqlite');
    try {
      const wrongKey = new VerityClient({ url, token, verifierKey: other.log.verifierKey, origin: 'verity.test/log' });
      await assert.rejects(wrongKey.checkpoint(), (e) => isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'));
    } finally {
      await other.dispose();
    }
    const rewrite =
      (
        f: (body: { data: unknown; meta: Record<string, unknown>; proof: Record<string, unknown> }) => void,
      ): typeof fetch =>
      async (input, init) => {
        const res = await fetch(input, init);
        if (!String(input).includes('/v1/records/rec_')) return res;
        const body = (await res.json()) as {
          data: unknown;
          meta: Record<string, unknown>;
          proof: Record<string, unknown>;
        };
        f(body);
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      };
    const cases: [
      string,
      (b: { data: unknown; meta: Record<string, unknown>; proof: Record<string, unknown> }) => void,
    ][] = [
      [
        'content commitment',
        (b) => {
          b.meta['contentHash'] = `sha256:${'A'.repeat(43)}`;
        },
      ],
      [
        'entry',
        (b) => {
          b.proof['entry'] = Buffer.from('{"v":1}').toString('base64');
        },
      ],
      [
        'leaf index',
        (b) => {
          b.proof['leafIndex'] = (b.proof['leafIndex'] as number) - 1;
        },
      ],
      [
        'proof hash',
        (b) => {
          const p = b.proof['proof'] as string[];
          p[0] = Buffer.alloc(32, 1).toString('base64');
        },
      ],
      [
        'record id',
        (b) => {
          b.meta['id'] = 'rec_AAAAAAAAAAAAAAAAAAAAAA';
        },
      ],
    ];
    for (const [name, f] of cases) {
      await assert.rejects(
        client(rewrite(f)).getRecord(w.id, { purpose: 'service-provision' }),
        (e) => isVerityError(e),
        name,
      );
    }
  });

  it('refuses a record whose data was altered after the write it was proven by', async () => {
    const w = await client().putRecord({
      subject: 'p9',
      type: 'profile',
      purpose: 'service-provision',
      data: { n: 1 },
    });
    const altering: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes(`/v1/records/${w.id}?`)) return res;
      const body = (await res.json()) as { data: { n: number } };
      body.data.n = 2;
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    await assert.rejects(client(altering).getRecord(w.id, { purpose: 'service-provision' }), (e) =>
      isVerityError(e, 'VERITY_E_LOG_TAMPERED'),
    );
    assert.deepEqual((await client().getRecord(w.id, { purpose: 'service-provision' })).data, { n: 1 });
  });

  it('uses only endpoints the OpenAPI document describes', () => {
    for (const p of [
      '/v1/log/checkpoint',
      '/v1/log/proofs/consistency',
      '/v1/records',
      '/v1/records/{id}',
      '/v1/records/{id}/history',
      '/v1/records/query',
      '/v1/subjects/guardianship',
    ]) {
      assert.ok(Object.hasOwn(OPENAPI.paths, p), p);
    }
  });
});
