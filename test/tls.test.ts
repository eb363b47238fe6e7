// Transport: HTTPS with a configured certificate, mutual TLS with a client CA, and the
// self-signed development certificate of `verity serve --tls-self-signed`.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { tempDir } from './helpers/env.ts';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA, a server certificate for localhost and a client certificate, all made with openssl. */
function makePki(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=Test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  openssl(
    ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=Intruder', '-keyout', 'other.key', '-out', 'other.pem'],
    dir,
  );
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ['client', 'world-eu', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(['req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > ${name}.ext`], { cwd: dir });
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
  }
}

function get(url: string, o: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...o, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', () => {
  let core: TestCore;
  let dir: string;
  let cleanup: () => Promise<void>;
  const f = (n: string) => readFileSync(join(dir, n));
  before(async () => {
    core = await makeCore('sqlite');
    ({ dir, cleanup } = await tempDir());
    makePki(dir);
  });
  after(async () => {
    await core.dispose();
    await cleanup();
  });

  it('serves HTTPS with a configured certificate', async () => {
    const app = buildServer({ log: core.log, tls: { cert: f('server.pem'), key: f('server.key') } });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      assert.match(url, /^https:/);
      const r = await get(`${url}/v1/log/checkpoint`, { ca: f('ca.pem') });
      assert.equal(r.status, 200);
      assert.match(r.body, /^verity\.test\/log\n/);
      await assert.rejects(get(`${url}/healthz`, {}), 'an untrusted certificate is refused by the client');
    } finally {
      await app.close();
    }
  });

  it('requires a client certificate from the client CA with mutual TLS', async () => {
    const app = buildServer({
      log: core.log,
      tls: { cert: f('server.pem'), key: f('server.key'), clientCa: f('ca.pem') },
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const ok = await get(`${url}/healthz`, { ca: f('ca.pem'), cert: f('client.pem'), key: f('client.key') });
      assert.equal(ok.status, 200);
      await assert.rejects(get(`${url}/healthz`, { ca: f('ca.pem') }), 'no client certificate');
      await assert.rejects(
        get(`${url}/healthz`, { ca: f('ca.pem'), cert: f('other.pem'), key: f('other.key') }),
        'a certificate from another CA',
      );
    } finally {
      await app.close();
    }
  });

  it('verity serve --tls-self-signed makes and serves a development certificate', async () => {
    const data = join(dir, 'data');
    const bin = join(import.meta.dirname, '..', 'bin', 'verity');
    const env = { ...process.env, VERITY_PASSPHRASE: 'tls test passphrase' };
    execFileSync(bin, ['init', '--data', data], { env, stdio: 'ignore' });
    const child = spawn(bin, ['serve', '--data', data, '--port', '0', '--tls-self-signed'], { env });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          const m = /serving (https:\/\/\S+)/.exec(text);
          if (m) resolve(m[1] as string);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const r = await get(`${url.replace('127.0.0.1', 'localhost')}/healthz`, {
        ca: readFileSync(join(data, 'tls', 'dev-cert.pem')),
      });
      assert.equal(r.status, 200);
      // It serves end-to-end encrypted rooms too.
      const docs = await get(`${url.replace('127.0.0.1', 'localhost')}/openapi.json`, {
        ca: readFileSync(join(data, 'tls', 'dev-cert.pem')),
      });
      assert.ok(JSON.parse(docs.body).paths['/v1/mls/rooms/{groupId}/messages'] !== undefined);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  });
});
