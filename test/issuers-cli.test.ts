// Trusted issuers managed from the command line on a data directory that a server in another
// process serves: `verity issuers add` is used by the server's next sign-in, `rotate` replaces the
// keys (a dropped key is refused at once), `remove` ends the sessions the issuer signed in.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initDataDir } from '../src/embedded/index.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { claimsAt, jwksOf, makeKey, signWithNode, type TestKey } from './helpers/idp.ts';
import { runVerity, startNode, stopNode } from './helpers/node.ts';

const ISS = 'https://id.example.org';

const verity = runVerity;

describe('verity issuers', () => {
  let dir: string;
  let data: string;
  let cleanup: () => Promise<void>;
  let url: string;
  let server: Awaited<ReturnType<typeof startNode>>['child'];
  const k1 = makeKey('EdDSA', 'k1');
  const k2 = makeKey('ES256', 'k2');

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    data = join(dir, 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
    ({ url, child: server } = await startNode(data));
  });
  after(async () => {
    await stopNode(server);
    await cleanup();
  });

  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const signIn = async (k: TestKey) => {
    const n = await post('/v1/signin/oidc/nonce', { issuer: 'corp' });
    assert.equal(n.status, 201, JSON.stringify(n.body));
    const idToken = signWithNode(
      k,
      claimsAt(Date.now(), { iss: ISS, aud: 'verity', sub: 'p-1', nonce: n.body['nonce'] as string }),
    );
    return post('/v1/signin/oidc', { issuer: 'corp', idToken });
  };
  const jwksFile = (name: string, ...keys: TestKey[]) => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(jwksOf(...keys)));
    return f;
  };

  it('add, rotate and remove are seen by the running server on its next request', async () => {
    const add = await verity([
      'issuers',
      'add',
      '--data',
      data,
      '--name',
      'corp',
      '--issuer',
      ISS,
      '--client-id',
      'verity',
      '--algorithms',
      'EdDSA,ES256',
      '--jwks',
      jwksFile('a.json', k1),
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(JSON.parse(add.stdout).namespace, 'corp');
    const s = await signIn(k1);
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.equal(s.body['player'], 'corp:p-1');
    const rotate = await verity([
      'issuers',
      'rotate',
      '--data',
      data,
      '--name',
      'corp',
      '--jwks',
      jwksFile('b.json', k2),
    ]);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.equal((await signIn(k1)).status, 401, 'the dropped key is refused');
    assert.equal((await signIn(k2)).status, 201);
    // The session still works until the issuer is removed; then the next request is refused.
    const revoke = async () =>
      (await post('/v1/sessions/revoke', { subject: 'corp:p-1' }, s.body['token'] as string)).status;
    assert.notEqual(await revoke(), 401);
    const remove = await verity(['issuers', 'remove', '--data', data, '--name', 'corp']);
    assert.equal(remove.code, 0, remove.stderr);
    assert.ok(JSON.parse(remove.stdout).revokedSessions >= 2);
    assert.equal(await revoke(), 401);
  });
});
