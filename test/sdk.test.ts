// The SDK against a real Verity server on loopback: it verifies everything it reads and catches a
// forked or rolled-back log, a forged checkpoint and a tampered answer client-side.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { isVerityError } from '../src/errors/index.ts';
import { formatCheckpoint, signNote } from '../src/note/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import type { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { serveCore } from './helpers/server.ts';

describe('SDK', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  let token: string;
  before(async () => {
    core = await makeCore('sqlite');
    ({ app, url, token } = await serveCore(core, {
      principal: 'world-eu',
      recordTypes: ['profile'],
      capabilities: ['session.open', 'guardianship.set', 'deid.reidentify'],
    }));
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  /** The OpenAPI document as the server serves it. */
  const openapi = async () =>
    (await (await fetch(`${url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };

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

  it('proves consistency between any two tree sizes up to the signed checkpoint, and refuses a forged proof', async () => {
    const c = client();
    await c.putRecord({ subject: 'p9', type: 'profile', purpose: 'service-provision', data: { n: 1 } });
    const n = (await c.checkpoint()).size;
    const r = await c.proveConsistency(1, n - 1);
    assert.deepEqual(r.root1, await core.log.rootAt(1));
    assert.deepEqual(r.root2, await core.log.rootAt(n - 1));
    assert.deepEqual((await c.proveConsistency(0, n)).root2, (await core.log.head()).rootHash);
    await assert.rejects(c.proveConsistency(2, 1), (e) => isVerityError(e, 'VERITY_E_LOG_RANGE'));
    await assert.rejects(c.proveConsistency(0, n + 1_000), (e) => isVerityError(e, 'VERITY_E_LOG_RANGE'));
    // A server that names another root for the upper size is caught by the proof to the checkpoint.
    const forged: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('/v1/log/proofs/consistency')) return res;
      const body = (await res.json()) as { root1: string };
      body.root1 = `${body.root1[0] === 'A' ? 'B' : 'A'}${body.root1.slice(1)}`;
      return Response.json(body);
    };
    await assert.rejects(client(forged).proveConsistency(1, n - 1), (e) =>
      isVerityError(e, 'VERITY_E_LOG_PROOF_INVALID'),
    );
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

  it('refuses identifiers with lone surrogates or outside NFC before anything is sent', async () => {
    const sent: string[] = [];
    const c = client((input, init) => {
      sent.push(String(input));
      return fetch(input, init);
    });
    const invalid = (m: RegExp) => (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID') && m.test(String(e));
    for (const subject of ['victim\ud800', 'victim\udfff'])
      await assert.rejects(
        c.putRecord({ subject, type: 'profile', purpose: 'service-provision', data: {} }),
        invalid(/lone surrogate/),
      );
    await assert.rejects(c.query('jose\u0301', 'service-provision'), invalid(/normalize to NFC/));
    await assert.rejects(c.query('ad\u200ba', 'service-provision'), invalid(/U\+200B/));
    await assert.rejects(
      c.setGuardianship(
        'kid',
        { minor: true, guardians: ['mum\ud800'] },
        { kind: 'parental-consent', reference: 'f-1' },
      ),
      invalid(/guardian id/),
    );
    await assert.rejects(c.history('rec_AAAAAAAAAAAAAAAAAAAAAA', 'service\u200b'), invalid(/purpose/));
    assert.deepEqual(sent, []);
    await c.putRecord({ subject: 'victim\ufffd', type: 'profile', purpose: 'service-provision', data: {} });
    assert.equal(sent.length, 1);
  });

  it('checks that a read is the current version, and that a refusal proves the absence or erasure it claims', async () => {
    const c = client();
    const w1 = await c.putRecord({ subject: 'p-state', type: 'profile', purpose: 'service-provision', data: { v: 1 } });
    await c.putRecord({ id: w1.id, subject: 'p-state', type: 'profile', purpose: 'service-provision', data: { v: 2 } });
    const r = await c.getRecord(w1.id, { purpose: 'service-provision' });
    assert.equal(r.state, 'current');
    assert.equal((await c.getRecord(w1.id, { purpose: 'service-provision', version: 1 })).state, 'version');
    // A server passing off version 1 as the current one: its state proof shows it superseded.
    const stale: typeof fetch = async (input, init) => {
      if (!String(input).includes(`/v1/records/${w1.id}?`) || String(input).includes('version='))
        return fetch(input, init);
      return fetch(`${String(input)}&version=1`, init);
    };
    await assert.rejects(client(stale).getRecord(w1.id, { purpose: 'service-provision' }), (e) =>
      isVerityError(e, 'VERITY_E_STATE_PROOF_INVALID'),
    );
    // A state proof altered on the way.
    const altered: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes(`/v1/records/${w1.id}?`)) return res;
      const body = (await res.json()) as { proof: { state: { proof: string; record: { meta: string } } } };
      body.proof.state.record.meta = body.proof.state.record.meta.replace('confidential', 'public');
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    await assert.rejects(client(altered).getRecord(w1.id, { purpose: 'service-provision' }), (e) =>
      isVerityError(e, 'VERITY_E_STATE_PROOF_INVALID'),
    );
    // An erased record: the refusal carries the proof of its erased row, and is refused without it.
    // (An unknown id is decided as an absent record first, so a service learns nothing of it: 403.)
    const gone = await c.putRecord({
      subject: 'p-state',
      type: 'profile',
      purpose: 'service-provision',
      data: { v: 3 },
    });
    await core.vault.erase(gone.id, { actor: 'operator:test', purpose: 'erasure-request' });
    await assert.rejects(c.getRecord(gone.id, { purpose: 'service-provision' }), (e) => {
      return isVerityError(e, 'VERITY_E_RECORD_ERASED') && e.details?.['proven'] === 'erased';
    });
    const stripped: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.ok || !String(input).includes('/v1/records/rec_')) return res;
      const body = (await res.json()) as { error: { details?: unknown } };
      delete body.error.details;
      return new Response(JSON.stringify(body), {
        status: res.status,
        headers: { 'content-type': 'application/json' },
      });
    };
    await assert.rejects(client(stripped).getRecord(gone.id, { purpose: 'service-provision' }), (e) =>
      isVerityError(e, 'VERITY_E_STATE_PROOF_INVALID'),
    );
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

  it("gets answers that match the OpenAPI document's response schemas", async () => {
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    const seen: { method: string; path: string; status: number; body: unknown }[] = [];
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.headers.get('content-type')?.startsWith('application/json') === true) {
        const u = new URL(String(input));
        seen.push({
          method: init?.method ?? 'GET',
          path: u.pathname,
          status: res.status,
          body: await res.clone().json(),
        });
      }
      return res;
    };
    const c = client(recording);
    const w = await c.putRecord({ subject: 'p10', type: 'profile', purpose: 'service-provision', data: { n: 1 } });
    await c.putRecord({ subject: 'p10', type: 'profile', purpose: 'service-provision', data: { n: 2 }, id: w.id });
    await c.getRecord(w.id, { purpose: 'service-provision' });
    await c.putRecord({ subject: 'p11', type: 'profile', purpose: 'service-provision', data: {} });
    await c.checkpoint(); // newer than the trusted one: a consistency proof is fetched
    await c.history(w.id, 'service-provision');
    await c.query('p10', 'service-provision');
    await c.erase(w.id, 'service-provision').catch(() => undefined); // a service may not erase: 403
    const ps = await c.pseudonymize('analytics', ['p10', 'p11', 'p10']);
    assert.equal(ps.pseudonyms[0], ps.pseudonyms[2]);
    const t = await c.tokenize('p10', 'ada@example.com', 'email');
    assert.equal((await c.detokenize(t.token, 'fraud-prevention')).value, 'ada@example.com');
    const enc = await c.fpeEncrypt('cards', ['4111111111111111'], { radix: 10, tweak: '0a0b' });
    assert.deepEqual(
      (await c.fpeDecrypt('cards', enc.values, { radix: 10, tweak: '0a0b', purpose: 'legal-obligation' })).values,
      ['4111111111111111'],
    );
    const pii = await c.scanPii(['mail ada@example.com', 'gg wp'], { operator: 'redact' });
    assert.deepEqual(pii.results[0]?.text, 'mail [EMAIL]');
    const an = await c.anonymize({
      columns: ['age', 'illness'],
      rows: [
        ['31', 'flu'],
        ['32', 'cold'],
        ['33', 'flu'],
        ['38', 'cold'],
      ],
      quasiIdentifiers: ['age'],
      sensitive: 'illness',
      hierarchies: {
        age: [
          ['31', '30-34', '*'],
          ['32', '30-34', '*'],
          ['33', '30-34', '*'],
          ['38', '35-39', '*'],
        ],
      },
      k: 2,
      l: 2,
    });
    assert.ok((an.report['k'] as number) >= 2);
    await c.createDataset('levels', [1, 2, 3, 4, 5, 6, 7, 8], { epsilon: 1, delta: 0 });
    const dq = await c.queryDataset('levels', { query: 'count', epsilon: 0.5 });
    assert.equal(dq.remainingEpsilon, 0.5);
    await c.setGuardianship(
      'kid-9',
      { minor: true, guardians: ['mum-9'] },
      { kind: 'parental-consent', reference: 'f-1' },
    );
    const s1 = await c.openSession('mum-9', { ttlSeconds: 60 });
    await c.openSession('mum-9');
    assert.deepEqual(await c.revokeSession(s1.id), { revoked: 1 });
    assert.deepEqual(await c.revokeSessions({ subject: 'mum-9' }), { revoked: 1 });
    const ops = new Set<string>();
    const OPENAPI = await openapi();
    for (const s of seen) {
      const paths = Object.entries(OPENAPI.paths);
      const entry =
        paths.find(([template]) => template === s.path) ??
        paths.find(([template]) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(s.path));
      assert.ok(entry !== undefined, `${s.path} is not in the OpenAPI document`);
      const op = (
        entry[1] as Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
      )[s.method.toLowerCase()];
      const schema = op?.responses[String(s.status)]?.content?.['application/json']?.schema;
      assert.ok(schema !== undefined, `${s.method} ${entry[0]} ${s.status} has no JSON schema in the document`);
      // Resolve the document's component references inside one schema.
      const root = JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'));
      const defs = JSON.parse(
        JSON.stringify(OPENAPI.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'),
      );
      const validate = ajv.compile({ ...root, $defs: defs });
      assert.ok(validate(s.body), `${s.method} ${entry[0]} ${s.status}: ${ajv.errorsText(validate.errors)}`);
      ops.add(`${s.method} ${entry[0]} ${s.status}`);
    }
    for (const want of [
      'POST /v1/records 201',
      'GET /v1/records/{id} 200',
      'GET /v1/log/proofs/consistency 200',
      'GET /v1/records/{id}/history 200',
      'POST /v1/records/query 200',
      'DELETE /v1/records/{id} 403',
      'POST /v1/deid/pseudonyms 200',
      'POST /v1/deid/tokens 201',
      'POST /v1/deid/tokens/detokenize 200',
      'POST /v1/deid/fpe/encrypt 200',
      'POST /v1/deid/fpe/decrypt 200',
      'POST /v1/deid/pii/scan 200',
      'POST /v1/deid/anonymize 200',
      'POST /v1/deid/datasets 201',
      'POST /v1/deid/datasets/query 200',
      'PUT /v1/subjects/guardianship 200',
      'POST /v1/sessions 201',
      'DELETE /v1/sessions/{id} 200',
      'POST /v1/sessions/revoke 200',
    ])
      assert.ok(ops.has(want), `${want} was not exercised: ${[...ops].join(', ')}`);
  });

  it('uses only endpoints the OpenAPI document describes', async () => {
    const OPENAPI = await openapi();
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
