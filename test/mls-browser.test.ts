// The SDK's MLS client in a real browser (Debian's Chromium, driven by playwright-core) with its
// state in IndexedDB (`IndexedDbMlsStorage`, D176): the page's player creates a room, adds a player
// (a Node.js client) and sends; the page reloads, the client restores its room from IndexedDB and
// sends again, and both messages arrive. What IndexedDB holds is then read raw: the wrapping keys
// are CryptoKeys that cannot be exported, and no stored byte string contains the signature private
// key, the group state, the group id or the identity in the clear; a value moved to another entry
// does not decrypt.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Tokens } from '../src/principals/index.ts';
import { MemoryMlsStorage, MlsClient } from '../src/sdk/mls.ts';
import { bundleForBrowser, CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, HAVE_CHROMIUM } from './helpers/browser.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { mlsServer } from './helpers/mls-server.ts';

type Mls = typeof import('../src/sdk/mls.ts');

/** The MLS entry of the SDK as a browser script defining `globalThis.VerityMls`. */
function bundleMls(): Promise<string> {
  return bundleForBrowser(join(import.meta.dirname, '..', 'src', 'sdk', 'mls.ts'), 'VerityMls');
}

it('finds the browser the MLS browser test needs', () => {
  assert.ok(HAVE_CHROMIUM, CHROMIUM_MISSING);
});

describe('MLS client in a browser, its state in IndexedDB', { skip: HAVE_CHROMIUM ? false : CHROMIUM_MISSING }, () => {
  let core: TestCore;
  let app: ReturnType<typeof mlsServer>;
  let url: string;
  let browser: Browser;
  let page: Page;
  let bundle: string;
  let bob: MlsClient;
  const t: Record<string, string> = {};

  const load = async () => {
    await page.goto(`${url}/v1/log/key`);
    await page.addScriptTag({ content: bundle });
  };

  before(async () => {
    core = await makeCore('sqlite');
    app = mlsServer(core);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    const platform = (
      await new Tokens(core.store, core.log).create({
        principal: 'platform',
        role: 'service',
        recordTypes: [],
        capabilities: ['session.open'],
        actor: 'operator:test',
      })
    ).token;
    for (const player of ['alice', 'bob']) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: `Bearer ${platform}` },
        payload: { player, purpose: 'authentication' },
      });
      t[player] = (r.json() as { token: string }).token;
    }
    bob = await MlsClient.open({
      url,
      token: t['bob'] as string,
      storage: new MemoryMlsStorage(),
      verifierKey: core.log.verifierKey,
    });
    await bob.publishKeyPackages(1);
    bundle = await bundleMls();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await load();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await core?.dispose();
  });

  it('bundles without any Node.js module', () => {
    assert.doesNotMatch(bundle, /require\("node:|from "node:|node:crypto|node:buffer/);
  });

  it('stores, reloads the page, restores, and holds no key material in the clear', async () => {
    const args = { token: t['alice'] as string, verifierKey: core.log.verifierKey, bob: bob.identity };
    const first = await page.evaluate(async ({ token, verifierKey, bob }) => {
      const { IndexedDbMlsStorage, MlsClient } = (globalThis as unknown as { VerityMls: Mls }).VerityMls;
      const origin = (globalThis as unknown as { location: { origin: string } }).location.origin;
      const storage = await IndexedDbMlsStorage.open();
      const alice = await MlsClient.open({ url: origin, token, storage, verifierKey });
      const room = await alice.createRoom();
      await alice.add(room, [{ identity: bob }]);
      await alice.send(room, 'before the reload');
      return { room, identity: alice.identity };
    }, args);
    await page.reload();
    await load();
    const second = await page.evaluate(
      async ({ token, verifierKey, room }) => {
        const { IndexedDbMlsStorage, MlsClient } = (globalThis as unknown as { VerityMls: Mls }).VerityMls;
        const origin = (globalThis as unknown as { location: { origin: string } }).location.origin;
        const storage = await IndexedDbMlsStorage.open();
        const alice = await MlsClient.open({ url: origin, token, storage, verifierKey });
        const members = alice.members(room);
        await alice.send(room, 'after the reload');
        // What the storage decrypts (to search the raw database for).
        const signature = JSON.parse(new TextDecoder().decode(await storage.get('mls/signature'))) as {
          signKey: string;
        };
        const group = (await storage.get(`mls/state/${room}`)) as Uint8Array;
        const index = (await storage.get('mls/groups')) as Uint8Array;
        // The raw database.
        const idb = (globalThis as unknown as { indexedDB: { open(n: string): unknown } }).indexedDB;
        const db = await new Promise<{
          transaction(s: string): {
            objectStore(s: string): {
              getAll(): { onsuccess: () => void; result: unknown[] };
              getAllKeys(): { onsuccess: () => void; result: string[] };
            };
          };
        }>((resolve) => {
          const r = idb.open('verity-mls') as { onsuccess: () => void; result: never };
          r.onsuccess = () => resolve(r.result);
        });
        const all = <T>(store: string, keys: boolean) =>
          new Promise<T[]>((resolve) => {
            const os = db.transaction(store).objectStore(store);
            const r = keys ? os.getAllKeys() : os.getAll();
            r.onsuccess = () => resolve(r.result as T[]);
          });
        const wrapKeys = await all<{ extractable: boolean; type: string; algorithm: { name: string } }>('keys', false);
        let exported = false;
        for (const k of wrapKeys)
          try {
            await crypto.subtle.exportKey('raw', k as never);
            exported = true;
          } catch {
            // not extractable, as it must be
          }
        const values = (await all<Uint8Array>('data', false)).map((v) => Array.from(v));
        const names = await all<string>('data', true);
        // A value moved to another entry does not decrypt.
        let moved = 'decrypted';
        const groupRow = names[values.findIndex((v) => v.length === group.length + 28)];
        const indexRow = names[values.findIndex((v) => v.length === index.length + 28)];
        if (groupRow !== undefined && indexRow !== undefined) {
          const raw = await new Promise<unknown>((resolve) => {
            const r = db.transaction('data').objectStore('data') as unknown as {
              get(k: string): { onsuccess: () => void; result: unknown };
            };
            const g = r.get(groupRow);
            g.onsuccess = () => resolve(g.result);
          });
          await new Promise<void>((resolve) => {
            const w = (
              db as unknown as {
                transaction(
                  s: string,
                  m: string,
                ): { objectStore(s: string): { put(v: unknown, k: string): void }; oncomplete: () => void };
              }
            ).transaction('data', 'readwrite');
            w.objectStore('data').put(raw, indexRow);
            w.oncomplete = () => resolve();
          });
          try {
            await storage.get('mls/groups');
          } catch (e) {
            moved = (e as { code?: string }).code ?? 'error';
          }
        }
        return {
          members,
          wrapKeys: wrapKeys.map((k) => ({ extractable: k.extractable, type: k.type, name: k.algorithm.name })),
          exported,
          values,
          names,
          signKey: signature.signKey,
          group: Array.from(group),
          moved,
        };
      },
      { ...args, room: first.room },
    );
    assert.deepEqual(second.members, [first.identity, bob.identity]);
    // Both messages arrive, in order: the restored client went on from where it was.
    const got = await bob.receive();
    assert.deepEqual(
      got.flatMap((r) => (r.type === 'message' ? [r.message.text] : [r.type])),
      ['joined', 'before the reload', 'after the reload'],
    );
    // The wrapping keys: CryptoKeys the page cannot export.
    assert.deepEqual(second.wrapKeys.map((k) => k.name).sort(), ['AES-GCM', 'HMAC']);
    assert.ok(second.wrapKeys.every((k) => k.extractable === false && k.type === 'secret'));
    assert.equal(second.exported, false);
    // Nothing readable: not the signature private key, not a window of the group state, not the
    // group id or identity, in any value or entry name.
    const haystacks = second.values.map((v) => Buffer.from(v));
    const signKey = Buffer.from(second.signKey, 'base64url');
    assert.ok(signKey.length >= 32);
    const group = Buffer.from(second.group);
    assert.ok(group.length > 200);
    const needles = [
      signKey,
      signKey.subarray(signKey.length - 32),
      Buffer.from(second.signKey),
      group.subarray(0, 32),
      group.subarray(group.length >> 1, (group.length >> 1) + 32),
      Buffer.from(first.room),
      Buffer.from(Buffer.from(first.room, 'base64url')),
      Buffer.from(first.identity),
    ];
    assert.ok(haystacks.length >= 3);
    for (const h of haystacks)
      for (const n of needles) assert.equal(h.indexOf(n), -1, 'a stored value holds a secret in the clear');
    for (const name of second.names) {
      assert.match(name, /^[0-9a-f]{64}$/, 'entry names are HMACs');
      assert.ok(!name.includes(first.room));
    }
    assert.equal(second.moved, 'VERITY_E_MLS_MESSAGE_INVALID');
  });
});
