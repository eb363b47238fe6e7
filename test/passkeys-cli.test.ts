// `verity serve` with passkeys: the relying party and its origins from the command line, checked
// before the data directory is opened; without them the passkey routes are not served. With a chain
// too, custodial wallets are served, each new one bound to its player (D298).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AddressBindings } from '../src/chain/index.ts';
import { initDataDir, openDataDir } from '../src/embedded/index.ts';
import { Tokens } from '../src/principals/index.ts';
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

  it('serves custodial wallets with a chain, each new wallet bound to its player', async () => {
    const v = await openDataDir(data, { secret: TEST_SECRET });
    let token: string;
    try {
      token = (
        await new Tokens(v.store, v.log).create({
          principal: 'game',
          role: 'service',
          recordTypes: [],
          capabilities: ['wallet.create'],
          actor: 'operator:test',
        })
      ).token;
    } finally {
      await v.close();
    }
    const node = await startNode(data, 0, [
      '--passkey-rp-id',
      'localhost',
      '--passkey-origin',
      'http://localhost:5173',
      '--chain',
      'in-process',
    ]);
    let address: string;
    try {
      const res = await fetch(`${node.url}/v1/wallets/custodial`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ player: 'player-7' }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      ({ address } = (await res.json()) as { address: string });
    } finally {
      await stopNode(node.child);
    }
    const again = await openDataDir(data, { secret: TEST_SECRET });
    try {
      const bindings = new AddressBindings(again.store, again.log, 31337);
      const bound = await bindings.addressesOf(await again.vault.subjectRef('player-7'));
      assert.deepEqual(
        bound.map((b) => b.address),
        [address.toLowerCase()],
      );
    } finally {
      await again.close();
    }
  });
});
