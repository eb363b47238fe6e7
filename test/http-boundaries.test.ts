// What the HTTP interface accepts at its edge: identifiers with one spelling only, the bearer scheme
// in any case (RFC 7235), numbers in query strings as strict decimals, and JSON bodies without
// duplicate keys. Each refusal is a coded 400; nothing is written.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { serveCore } from './helpers/server.ts';

describe('HTTP input at the edge', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let token: string;
  let url: string;
  before(async () => {
    core = await makeCore('sqlite');
    ({ app, token, url } = await serveCore(core, { principal: 'world-eu', recordTypes: ['profile'] }));
  });
  after(async () => {
    await app.close();
    await core.dispose();
  });

  const post = (url: string, payload: string, authorization = `Bearer ${token}`) =>
    app.inject({ method: 'POST', url, headers: { authorization, 'content-type': 'application/json' }, payload });
  const record = (subject: string) =>
    `{"subject":${JSON.stringify(subject)},"type":"profile","purpose":"service-provision","data":{"a":1}}`;
  const refused = (r: { statusCode: number; body: string }, code: string, message?: RegExp) => {
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(JSON.parse(r.body).error.code, code, r.body);
    if (message !== undefined) assert.match(JSON.parse(r.body).error.message, message);
  };

  /** A request written byte for byte (headers a client library would not send), and the raw answer. */
  const rawRequest = (text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(text));
      let answer = '';
      socket.on('data', (b: Buffer) => {
        answer += b.toString();
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  const statusAndError = (answer: string) => {
    const [head, body] = answer.split('\r\n\r\n') as [string, string];
    return { status: Number(head.split(' ')[1]), code: (JSON.parse(body) as { error: { code: string } }).error.code };
  };

  it('refuses, in its own error shape, a request without Host, with two Hosts or two Authorization headers (D415)', async () => {
    const get = (headers: string) =>
      rawRequest(
        `GET /v1/records/rec_AAAAAAAAAAAAAAAAAAAAAA?purpose=support HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`,
      );
    for (const headers of [
      '',
      'Host: a.example\r\nHost: b.example\r\n',
      `Host: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer tok_other\r\n`,
      'Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n',
    ])
      assert.deepEqual(statusAndError(await get(headers)), { status: 400, code: 'VERITY_E_INPUT_MALFORMED' }, headers);
    // One of each is answered as ever.
    assert.equal(
      statusAndError(await get(`Host: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n`)).code,
      'VERITY_E_ACCESS_DENIED',
    );
  });

  it('reads JSON bodies as UTF-8 only: another declared charset is a 415 (D415)', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=latin1' },
      payload: record('player-1'),
    });
    assert.equal(r.statusCode, 415, r.body);
    assert.equal(r.json().error.code, 'VERITY_E_INPUT_MEDIA_TYPE');
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=UTF-8' },
      payload: record('player-1'),
    });
    assert.equal(ok.statusCode, 201, ok.body);
  });

  it('refuses subject ids with lone surrogates, unnormalized or invisible characters', async () => {
    const before = (await core.log.head()).size;
    // JSON.stringify writes a lone surrogate as a \u escape: the server sees exactly that code unit.
    for (const bad of ['victim\ud800', 'victim\udfff', 'jose\u0301', 'ad\u200ba', 'a\u202eb', ' ada']) {
      refused(await post('/v1/records', record(bad)), 'VERITY_E_INPUT_INVALID', /identifier|NFC/);
      refused(
        await post('/v1/records/query', JSON.stringify({ subject: bad, purpose: 'service-provision' })),
        'VERITY_E_INPUT_INVALID',
      );
    }
    refused(await post('/v1/records', record('jose\u0301')), 'VERITY_E_INPUT_INVALID', /normalize to NFC/);
    assert.equal((await core.log.head()).size, before, 'nothing was logged or written');
    assert.equal((await post('/v1/records', record('victim\ufffd'))).statusCode, 201);
    assert.equal((await post('/v1/records', record('jos\u00e9'))).statusCode, 201);
  });

  it('names a property it does not accept (a typo of a field), and no more than a line of it', async () => {
    refused(
      await post('/v1/records/query', JSON.stringify({ subjet: 'player-1', purpose: 'service-provision' })),
      'VERITY_E_INPUT_INVALID',
      /required property .subject. \(it has `subjet`, which is not a property of this request; the accepted ones are in \/openapi\.json\)/,
    );
    const long = await post('/v1/records/query', JSON.stringify({ [`x\n${'y'.repeat(500)}`]: 1, purpose: 'p' }));
    refused(long, 'VERITY_E_INPUT_INVALID', /it has `x\?y{62}`/);
  });

  it('takes the bearer scheme in any case (RFC 7235), and nothing else', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const r = await post('/v1/records', record('player-1'), `${scheme} ${token}`);
      assert.equal(r.statusCode, 201, `${scheme}: ${r.body}`);
    }
    for (const h of [`Basic ${token}`, `Bearer`, `Bearer `, `Bearertoken ${token}`, token]) {
      const r = await post('/v1/records', record('player-1'), h);
      assert.equal(r.statusCode, 401, `${h}: ${r.body}`);
      assert.equal(r.json().error.code, 'VERITY_E_UNAUTHENTICATED');
    }
  });

  it('reads numbers in query strings as strict decimals only', async () => {
    while ((await core.log.head()).size <= 17) await post('/v1/records', record('player-3'));
    for (const bad of ['0x10', '1e1', '+1', '-0', '01', ' 1', '1 ', '1.0', '0b1', '', '٣', 'Infinity']) {
      const q = encodeURIComponent(bad);
      for (const url of [
        `/v1/log/proofs/inclusion?index=${q}`,
        `/v1/log/proofs/consistency?from=${q}`,
        `/v1/log/entries?from=${q}`,
      ]) {
        const r = await app.inject(url);
        refused(r, 'VERITY_E_INPUT_INVALID', /decimal/);
      }
    }
    const ok = await app.inject('/v1/log/proofs/inclusion?index=16');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().leafIndex, 16);
    assert.equal((await app.inject('/v1/log/entries?from=0&to=1')).statusCode, 200);
    const id = (await post('/v1/records', record('player-2'))).json().id as string;
    const authz = { authorization: `Bearer ${token}` };
    refused(
      await app.inject({ url: `/v1/records/${id}?purpose=service-provision&version=0x1`, headers: authz }),
      'VERITY_E_INPUT_INVALID',
      /decimal/,
    );
    const v1 = await app.inject({ url: `/v1/records/${id}?purpose=service-provision&version=1`, headers: authz });
    assert.equal(v1.statusCode, 200, v1.body);
  });

  it('refuses JSON bodies with a key twice, at any depth and however it is escaped', async () => {
    const before = (await core.log.head()).size;
    for (const body of [
      '{"subject":"a","subject":"b","type":"profile","purpose":"service-provision","data":{}}',
      '{"subject":"a","type":"profile","purpose":"service-provision","data":{"x":1,"x":2}}',
      '{"subject":"a","type":"profile","purpose":"service-provision","data":{"l":[{"y":{"z":1,"z":1}}]}}',
      '{"subject":"a","type":"profile","purpose":"service-provision","data":{"x":1,"\\u0078":2}}',
    ]) {
      refused(await post('/v1/records', body), 'VERITY_E_INPUT_MALFORMED', /twice/);
    }
    assert.equal((await core.log.head()).size, before);
    // The same key in sibling objects is two keys, not a duplicate.
    const ok = await post(
      '/v1/records',
      '{"subject":"a","type":"profile","purpose":"service-provision","data":{"p":{"x":1},"q":{"x":1}}}',
    );
    assert.equal(ok.statusCode, 201, ok.body);
  });
});
