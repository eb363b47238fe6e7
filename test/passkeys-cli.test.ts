// `verity serve` with passkeys: the relying party and its origins from the command line, checked
// before the data directory is opened; without them the passkey routes are not served.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initDataDir } from '../src/embedded/index.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { startNode, stopNode } from './helpers/node.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'verity');

describe('verity serve with passkeys', () => {
  let data: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    data = join(t.dir, 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
  });
  after(() => cleanup());

  it('refuses passkey options that cannot work, saying what to fix', () => {
    const run = (...args: string[]) =>
      spawnSync(BIN, ['serve', '--data', data, '--port', '0', ...args], {
        env: { ...process.env, VERITY_PASSPHRASE: TEST_SECRET.passphrase },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const cases: [string[], RegExp][] = [
      [['--passkey-origin', 'https://play.example.com'], /--passkey-rp-id/],
      [['--passkey-rp-id', 'play.example.com'], /--passkey-origin/],
      [['--passkey-rp-id', 'play.example.com', '--passkey-origin', 'https://evil.example.org'], /not within/],
      [['--passkey-rp-id', 'play.example.com', '--passkey-origin', 'http://play.example.com'], /must be exactly https/],
      [
        [
          '--passkey-rp-id',
          'play.example.com',
          '--passkey-origin',
          'https://play.example.com',
          '--passkey-hardware-for',
          'signin',
        ],
        /--passkey-mds-blob/,
      ],
      [
        [
          '--passkey-rp-id',
          'play.example.com',
          '--passkey-origin',
          'https://play.example.com',
          '--passkey-mds-blob',
          'x',
        ],
        /go together/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('serves passkey sign-in for the configured relying party, and nothing of it without one', async () => {
    const plain = await startNode(data);
    try {
      const res = await fetch(`${plain.url}/v1/signin/passkey/options`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 404);
    } finally {
      await stopNode(plain.child);
    }
    const node = await startNode(data, 0, [
      '--passkey-rp-id',
      'localhost',
      '--passkey-origin',
      'http://localhost:5173',
      '--signin-record-types',
      'profile',
    ]);
    try {
      const res = await fetch(`${node.url}/v1/signin/passkey/options`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 200);
      const options = (await res.json()) as { rpId: string; challenge: string; userVerification: string };
      assert.equal(options.rpId, 'localhost');
      assert.equal(options.userVerification, 'required');
      assert.ok(options.challenge.length >= 32);
    } finally {
      await stopNode(node.child);
    }
  });
});
