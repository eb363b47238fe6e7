// Witnesses over HTTP, in one process: the witness server's answers (C2SP tlog-witness status codes
// and media types), a Verity server sending its checkpoints to three witnesses (one down, then
// back), the SDK demanding k of n cosignatures, one request in flight per witness with the newest
// checkpoint winning and writes never waiting for witnesses, and refusals at start of a rolled-back
// or forked log.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utf8 } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import {
  parseCheckpoint,
  parseCosignerKey,
  parseVerifierKey,
  splitNote,
  verifyCosignedCheckpoint,
} from '../src/note/index.ts';
import { VerityClient } from '../src/sdk/index.ts';
import { buildWitnessServer } from '../src/server/index.ts';
import {
  formatAddCheckpoint,
  initWitnessDir,
  openWitnessDir,
  type WitnessedLog,
  Witnessing,
  type WitnessingOptions,
} from '../src/witness/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';
import { MemoryLog } from './helpers/memlog.ts';
import { serveCore } from './helpers/server.ts';

/** A witness in `dir`, following `logKeys`, served on loopback (`port` 0: any). */
async function startWitness(dir: string, name: string, logKeys: string[], port = 0) {
  const d = join(dir, name.replaceAll('/', '_'));
  try {
    initWitnessDir(d, name);
  } catch (e) {
    if (!isVerityError(e, 'VERITY_E_WITNESS_DIR')) throw e;
  }
  const witness = openWitnessDir(d);
  for (const k of logKeys) witness.addLog(k);
  const app = buildWitnessServer({ witness });
  const url = await app.listen({ host: '127.0.0.1', port });
  return {
    url,
    key: witness.verifierKey,
    witness,
    port: Number(new URL(url).port),
    async stop() {
      await app.close();
      witness.close();
    },
  };
}

/** Polls `f` until it returns something, for at most 20 s. */
async function eventually<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('witness server (HTTP)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let w: Awaited<ReturnType<typeof startWitness>>;
  const log = new MemoryLog('log.example/http').append(7);
  before(async () => {
    ({ dir, cleanup } = await tempDir('verity-witness-http-'));
    w = await startWitness(dir, 'witness.example/h1', [log.vkey]);
  });
  after(async () => {
    await w.stop();
    await cleanup();
  });

  const post = async (body: string | Uint8Array, headers: Record<string, string> = {}) => {
    const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body, headers });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('answers 200 with the cosignature, 409 with its size as text/x.tlog.size, whatever the media type', async () => {
    const ok = await post(formatAddCheckpoint({ oldSize: 0, proof: [], note: await log.note() }));
    assert.equal(ok.status, 200);
    const r = verifyCosignedCheckpoint((await log.note()) + ok.text, {
      log: parseVerifierKey(log.vkey),
      cosigners: [parseCosignerKey(w.key)],
      quorum: 1,
    });
    assert.equal(r.checkpoint.size, 7);
    log.append(2);
    const stale = await post(formatAddCheckpoint({ oldSize: 0, proof: [], note: await log.note() }), {
      'content-type': 'application/json',
    });
    assert.deepEqual([stale.status, stale.type, stale.text], [409, 'text/x.tlog.size', '7\n']);
    const next = await post(utf8(formatAddCheckpoint({ oldSize: 7, proof: log.proof(7), note: await log.note() })));
    assert.equal(next.status, 200);
  });

  it('answers 400, 403, 404, 413 and 422 in Verity error bodies', async () => {
    const other = new MemoryLog('log.example/unknown').append(1);
    const forged = new MemoryLog('log.example/http').append(12);
    const fork = log.fork(4).append(8);
    const cases: [string, number, string][] = [
      ['old 1\n', 400, 'VERITY_E_WITNESS_REQUEST_INVALID'],
      [formatAddCheckpoint({ oldSize: 0, proof: [], note: await other.note() }), 404, 'VERITY_E_WITNESS_LOG_UNKNOWN'],
      [
        formatAddCheckpoint({ oldSize: 9, proof: forged.proof(9), note: await forged.note() }),
        403,
        'VERITY_E_WITNESS_SIGNATURE_INVALID',
      ],
      [
        formatAddCheckpoint({ oldSize: 9, proof: fork.proof(9), note: await fork.note() }),
        422,
        'VERITY_E_WITNESS_PROOF_INVALID',
      ],
      [`old 0\n\n${'x'.repeat(70_000)}`, 413, 'VERITY_E_INPUT_TOO_LARGE'],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(body);
      assert.equal(r.status, status, r.text);
      assert.equal((JSON.parse(r.text) as { error: { code: string } }).error.code, code);
    }
    const get = await fetch(`${w.url}/add-checkpoint`);
    assert.equal(get.status, 404);
    assert.match(await get.text(), /VERITY_E_HTTP_ROUTE_NOT_FOUND.*POST \/add-checkpoint/);
    const about = await (await fetch(`${w.url}/`)).text();
    assert.match(about, new RegExp(`key ${w.key.replaceAll('+', '\\+')}`));
    assert.match(about, /log log\.example\/http 9/);
  });
});

describe('a Verity server with three witnesses, one of them down', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let core: TestCore;
  let app: Awaited<ReturnType<typeof serveCore>>['app'];
  let url: string;
  let token: string;
  let w1: Awaited<ReturnType<typeof startWitness>>;
  let w2: Awaited<ReturnType<typeof startWitness>>;
  let w3: Awaited<ReturnType<typeof startWitness>> | undefined;
  let w3key: string;
  let w3port: number;
  const events: string[] = [];

  before(async () => {
    ({ dir, cleanup } = await tempDir('verity-witnessed-'));
    core = await makeCore('sqlite');
    w1 = await startWitness(dir, 'witness.example/w1', [core.log.verifierKey]);
    w2 = await startWitness(dir, 'witness.example/w2', [core.log.verifierKey]);
    // The third is set up, then down: its port is free when the server starts.
    const down = await startWitness(dir, 'witness.example/w3', [core.log.verifierKey]);
    w3key = down.key;
    w3port = down.port;
    await down.stop();
    ({ app, url, token } = await serveCore(
      core,
      { principal: 'world-eu', recordTypes: ['profile'] },
      {
        witnesses: {
          witnesses: [
            { url: w1.url, key: w1.key },
            { url: w2.url, key: w2.key },
            { url: `http://127.0.0.1:${w3port}`, key: w3key },
          ],
          quorum: 2,
          backoffMs: 50,
          maxBackoffMs: 300,
          pollMs: 100,
          onEvent: (e) => events.push(`${e.type} ${e.witness}`),
        },
      },
    ));
  });
  after(async () => {
    await app.close();
    await w1.stop();
    await w2.stop();
    await w3?.stop();
    await core.dispose();
    await cleanup();
  });

  const keys = () => [w1.key, w2.key, w3key];
  const client = (quorum: number, waitMs = 5000) =>
    new VerityClient({
      url,
      token,
      verifierKey: core.log.verifierKey,
      origin: 'verity.test/log',
      witnesses: { keys: keys(), quorum, waitMs },
    });

  it('started with two cosignatures and says the third witness is down', async () => {
    assert.ok(events.includes('unavailable witness.example/w3'), events.join(', '));
    const note = await (await fetch(`${url}/checkpoint`)).text();
    const o = { log: core.log.verifier, cosigners: keys().map(parseCosignerKey), origin: 'verity.test/log' };
    assert.deepEqual(
      verifyCosignedCheckpoint(note, { ...o, quorum: 2 }).cosignatures.map((c) => c.name),
      ['witness.example/w1', 'witness.example/w2'],
    );
    assert.throws(
      () => verifyCosignedCheckpoint(note, { ...o, quorum: 3 }),
      (e) => isVerityError(e, 'VERITY_E_WITNESS_QUORUM'),
    );
    // The plain checkpoint endpoint keeps serving the log's latest checkpoint.
    const plain = await (await fetch(`${url}/v1/log/checkpoint`)).text();
    assert.equal(splitNote(plain).lines.length, 1);
  });

  it('the SDK demanding 2 of 3 reads verified records; 3 of 3 is refused while one is down', async () => {
    const c = client(2);
    const put = await c.putRecord({ subject: 'p1', type: 'profile', purpose: 'service-provision', data: { n: 1 } });
    const r = await c.getRecord(put.id, { purpose: 'service-provision' });
    assert.deepEqual(r.data, { n: 1 });
    assert.ok(r.checkpoint.size > put.logIndex);
    assert.equal((await c.checkpoint()).size >= r.checkpoint.size, true);
    // Proofs for the cosigned tree carry the cosigned checkpoint.
    const cp = await (await fetch(`${url}/checkpoint`)).text();
    const size = parseCheckpoint(splitNote(cp).text).size;
    const proof = (await (await fetch(`${url}/v1/log/proofs/inclusion?index=${put.logIndex}&size=${size}`)).json()) as {
      checkpoint: string;
    };
    assert.equal(proof.checkpoint, cp);
    await assert.rejects(client(3, 300).getRecord(put.id, { purpose: 'service-provision' }), (e) =>
      isVerityError(e, 'VERITY_E_WITNESS_QUORUM'),
    );
    await assert.rejects(client(3, 300).checkpoint(), (e) => isVerityError(e, 'VERITY_E_WITNESS_QUORUM'));
  });

  it('a witness that comes back is caught up in the background', async () => {
    w3 = await startWitness(dir, 'witness.example/w3', [core.log.verifierKey], w3port);
    const c = client(3);
    const put = await c.putRecord({ subject: 'p2', type: 'profile', purpose: 'service-provision', data: { n: 2 } });
    const r = await eventually(
      async () => c.getRecord(put.id, { purpose: 'service-provision' }).catch(() => undefined),
      'three cosignatures',
    );
    assert.deepEqual(r.data, { n: 2 });
    assert.ok((w3.witness.logs()[0]?.size ?? 0) > put.logIndex);
  });
});

describe('sending checkpoints: one request per witness in flight, the newest wins, writes never wait', () => {
  it('holds one request while the log moves on, then sends the newest head', async () => {
    const { dir, cleanup } = await tempDir('verity-witnessed-');
    const core = await makeCore('sqlite');
    const w = await startWitness(dir, 'witness.example/slow', [core.log.verifierKey]);
    let hold: PromiseWithResolvers<void> | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    const sent: number[] = [];
    const gated: typeof fetch = async (input, init) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sent.push(parseCheckpoint(splitNote(String(init?.body).split('\n\n').slice(1).join('\n\n')).text).size);
      try {
        await hold?.promise;
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const { app, url, token } = await serveCore(
      core,
      { principal: 'world-eu', recordTypes: ['profile'] },
      { witnesses: { witnesses: [{ url: w.url, key: w.key }], fetch: gated, pollMs: 60_000 } },
    );
    try {
      hold = Promise.withResolvers<void>();
      const c = new VerityClient({ url, token, verifierKey: core.log.verifierKey, origin: 'verity.test/log' });
      const before = sent.length;
      // Twenty writes while the witness's request hangs: each is acknowledged all the same.
      for (let i = 0; i < 20; i++)
        await c.putRecord({ subject: `p${i}`, type: 'profile', purpose: 'service-provision', data: { i } });
      assert.equal(sent.length, before + 1, 'one request in flight, none queued behind it');
      assert.equal(inFlight, 1);
      const head = await core.log.head();
      hold.resolve();
      await eventually(async () => ((w.witness.logs()[0]?.size ?? 0) === head.size ? true : undefined), 'the head');
      assert.equal(maxInFlight, 1);
      // After the held one, the next request carried the newest head, not the ones in between.
      assert.equal(sent[before + 1], head.size);
      assert.equal(sent.length, before + 2);
    } finally {
      hold?.resolve();
      await app.close();
      await w.stop();
      await core.dispose();
      await cleanup();
    }
  });
});

/** A log in memory as witnesses see it. */
function witnessed(log: MemoryLog): WitnessedLog {
  return {
    head: async () => ({ size: log.size, checkpoint: await log.note() }),
    consistencyProof: async (a, b) => ({ proof: log.proof(a, b) }),
    onHead: () => () => undefined,
  };
}

describe('start: a rolled-back or forked log is refused by its witnesses', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const log = new MemoryLog('log.example/start').append(10);
  let w: Awaited<ReturnType<typeof startWitness>>;
  const opts = (o: Partial<WitnessingOptions> = {}): WitnessingOptions => ({
    witnesses: [{ url: w.url, key: w.key }],
    ...o,
  });
  before(async () => {
    ({ dir, cleanup } = await tempDir('verity-witness-start-'));
    w = await startWitness(dir, 'witness.example/s1', [log.vkey]);
    const first = new Witnessing(witnessed(log), opts());
    assert.equal((await first.start()).cosigned.length, 1);
    first.close();
  });
  after(async () => {
    await w.stop();
    await cleanup();
  });

  const refusal = async (l: MemoryLog, code: string, re: RegExp) => {
    const s = new Witnessing(witnessed(l), opts());
    try {
      await assert.rejects(s.start(), (e) => isVerityError(e, code as never) && re.test(e.message));
    } finally {
      s.close();
    }
  };

  it('refuses a log with fewer entries than the witness cosigned (rolled back)', async () => {
    await refusal(log.fork(6, 'a'), 'VERITY_E_WITNESS_ROLLBACK', /witness.example\/s1.*size 10.*only 6 entries/);
  });

  it('refuses a log whose tree does not extend the cosigned one (forked), larger or of the same size', async () => {
    await refusal(log.fork(8, 'evil').append(6), 'VERITY_E_WITNESS_FORK', /witness.example\/s1.*from size 10/);
    await refusal(log.fork(8, 'evil').append(2), 'VERITY_E_WITNESS_FORK', /another root for tree size 10/);
    // The honest log still goes on.
    log.append(3);
    const s = new Witnessing(witnessed(log), opts());
    assert.deepEqual((await s.start()).unavailable, []);
    s.close();
    assert.equal(w.witness.logs()[0]?.size, 13);
  });

  it('says which witness is unreachable, refuses to start below the quorum, and a witness that does not follow the log', async () => {
    const s3 = await startWitness(dir, 'witness.example/s3', [log.vkey]);
    await s3.stop();
    const down = { url: s3.url, key: s3.key };
    const events: string[] = [];
    const ok = new Witnessing(
      witnessed(log),
      opts({ witnesses: [{ url: w.url, key: w.key }, down], onEvent: (e) => events.push(`${e.type} ${e.witness}`) }),
    );
    const report = await ok.start();
    ok.close();
    assert.equal(report.cosigned.length, 1);
    assert.equal(report.unavailable[0]?.witness, 'witness.example/s3');
    assert.match(
      report.unavailable[0]?.message ?? '',
      /witness `witness.example\/s3` at http:\/\/127.0.0.1:\d+ is unreachable/,
    );
    assert.ok(events.includes('unavailable witness.example/s3'));
    const strict = new Witnessing(witnessed(log), opts({ witnesses: [{ url: w.url, key: w.key }, down], quorum: 2 }));
    await assert.rejects(
      strict.start(),
      (e) => isVerityError(e, 'VERITY_E_WITNESS_QUORUM') && /only 1 of the 2 witnesses/.test(e.message),
    );
    strict.close();
    const stranger = await startWitness(dir, 'witness.example/s4', []);
    try {
      const s = new Witnessing(witnessed(log), opts({ witnesses: [{ url: stranger.url, key: stranger.key }] }));
      await assert.rejects(
        s.start(),
        (e) => isVerityError(e, 'VERITY_E_WITNESS_REFUSED') && /does not follow/.test(e.message),
      );
      s.close();
    } finally {
      await stranger.stop();
    }
  });
});
