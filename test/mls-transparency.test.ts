// Key transparency of end-to-end encrypted rooms (FGMV-46 7.2.1, D174, D175): each player's MLS
// signature keys are in the authenticated state map, served with state proofs under the signed
// checkpoint, and the SDK's MlsClient checks every member's key against them and the log key it
// pinned. Here the server lies, and the clients refuse: a KeyPackage with a substituted key handed
// out for a claim, a lookup answer whose entry or proof was altered, a row altered in the database,
// a Welcome whose tree shows a key the log never bound, and a forked log (the same log key, two
// histories) that shows one member a substituted key: a split view the members find by comparing
// the checkpoints they were shown. Real server on loopback, real ts-mls, SQLite.
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createCommit,
  createGroup,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  nobleCryptoProvider,
} from 'ts-mls';
import { toBase64Url } from '../src/encoding/index.ts';
import { isVerityError, type MlsError } from '../src/errors/index.ts';
import { SoftwareKeyStore } from '../src/keys/index.ts';
import { MlsDelivery } from '../src/mls/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { MemoryMlsStorage, MlsClient } from '../src/sdk/mls.ts';
import { KeyTransparency } from '../src/sdk/mls-keys.ts';
import { type buildServer, buildWitnessServer } from '../src/server/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { openVerity, type Verity } from '../src/verity/index.ts';
import { initWitnessDir, openWitnessDir } from '../src/witness/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';
import { TEST_SECRET, tempDir } from './helpers/env.ts';
import { mlsServer } from './helpers/mls-server.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;
const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
const text = new TextEncoder();

type Rewrite = (path: string, body: unknown) => unknown;

/** A fetch that lets a test rewrite the server's JSON answers: a lying server. */
function lyingFetch(rewrite: { current: Rewrite | undefined }): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const r = rewrite.current;
    if (r === undefined || !res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return res;
    const path = new URL(String(input)).pathname;
    const body = r(path, await res.json());
    return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
  };
}

function serverOf(core: Verity, witnesses?: Parameters<typeof buildServer>[0]['witnesses']) {
  return mlsServer(core, { ...(witnesses === undefined ? {} : { witnesses }) });
}

describe('mls key transparency (sqlite)', () => {
  /** A player's one signature key, as their proven entry holds it. */
  const signatureKeyOf = async (identity: string): Promise<Uint8Array> => {
    const [row] = await core.sql('SELECT body FROM t.objects WHERE kind = ? AND id = ?', ['mls.keys', identity]);
    const [key] = (JSON.parse(String(row?.['body'])) as { signatureKeys: string[] }).signatureKeys;
    return Buffer.from(key as string, 'base64url');
  };
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let url: string;
  const t: Record<string, string> = {};
  const alarms: MlsError[] = [];
  const rewrite: { current: Rewrite | undefined } = { current: undefined };
  let alice: MlsClient;
  let bob: MlsClient;
  let carol: MlsClient;
  let room: string;
  let impl: Awaited<ReturnType<typeof getCiphersuiteImpl>>;

  const post = async (token: string, path: string, payload: object) => {
    const r = await app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${token}` }, payload });
    return { status: r.statusCode, json: r.json() as Record<string, unknown> & { error?: { code: string } } };
  };
  const open = (who: string, at = url, f?: typeof fetch) =>
    MlsClient.open({
      url: at,
      token: t[who] as string,
      storage: new MemoryMlsStorage(),
      verifierKey: core.log.verifierKey,
      onAlarm: (a) => alarms.push(a),
      ...(f === undefined ? {} : { fetch: f }),
    });

  before(async () => {
    core = await makeCore('sqlite');
    app = serverOf(core);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    const tokens = new Tokens(core.store, core.log);
    t['platform'] = (
      await tokens.create({
        principal: 'platform',
        role: 'service',
        recordTypes: [],
        capabilities: ['session.open'],
        actor: 'operator:test',
      })
    ).token;
    for (const player of ['alice', 'bob', 'carol', 'mallory', 'dave']) {
      const r = await post(t['platform'] as string, '/v1/sessions', { player, purpose: 'authentication' });
      assert.equal(r.status, 201);
      t[player] = (r.json as { token: string }).token;
    }
    alice = await open('alice', url, lyingFetch(rewrite));
    [bob, carol] = await Promise.all([open('bob'), open('carol')]);
    await bob.publishKeyPackages(3);
    await carol.publishKeyPackages(8);
    impl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE), nobleCryptoProvider);
  });
  after(async () => {
    await app?.close();
    await core?.dispose();
  });

  it("serves each player's key entry with its state proof, or the proof that there is none", async () => {
    const r = await post(t['alice'] as string, '/v1/mls/keys/lookup', { identities: [bob.identity, 'nobody'] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const { checkpoint, entries } = r.json as unknown as {
      checkpoint: string;
      entries: { identity: string; object?: { body: string }; proof: string }[];
    };
    assert.match(checkpoint, /^verity\.test\/log\n/);
    const entry = JSON.parse(entries[0]?.object?.body as string) as { signatureKeys: string[]; keyPackages: string[] };
    assert.equal(entry.signatureKeys.length, 1, 'one signature key per client, in every KeyPackage it publishes');
    assert.equal(entry.keyPackages.length, 3);
    assert.equal(entries[1]?.object, undefined);
    assert.ok((entries[1]?.proof.length ?? 0) > 0);
    // A claim drops the reference from the entry in the same transaction.
    await post(t['carol'] as string, '/v1/mls/keypackages/claim', { identity: bob.identity });
    const again = await post(t['alice'] as string, '/v1/mls/keys/lookup', { identities: [bob.identity] });
    const e2 = (again.json as unknown as { entries: { object: { body: string } }[] }).entries[0];
    assert.equal((JSON.parse(e2?.object.body as string) as { keyPackages: string[] }).keyPackages.length, 2);
  });

  it("checks every member's key on add, on join and after commits, against the proven entries", async () => {
    room = await alice.createRoom();
    await alice.add(room, [{ identity: bob.identity }]);
    const [joined] = await bob.receive();
    assert.equal(joined?.type, 'joined', JSON.stringify(joined));
    await bob.verifyMembers(room);
    assert.equal(alarms.length, 0);
    assert.ok((await alice.checkpoint()) !== undefined);
    // Both were shown one log: their checkpoints are consistent.
    await alice.crossCheck((await bob.checkpoint()) as string);
    await bob.crossCheck((await alice.checkpoint()) as string);
  });

  it('refuses to add a player whose KeyPackage the server substituted with another key', async () => {
    const forged = await generateKeyPackage(
      { credentialType: 'basic', identity: text.encode(carol.identity) },
      defaultCapabilities(),
      defaultLifetime,
      [],
      impl,
    );
    rewrite.current = (path, body) =>
      path === '/v1/mls/keypackages/claim'
        ? {
            ...(body as object),
            keyPackage: toBase64Url(
              encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: forged.publicPackage }),
            ),
          }
        : body;
    try {
      await assert.rejects(alice.add(room, [{ identity: carol.identity }]), code('VERITY_E_MLS_KEY_UNPROVEN'));
    } finally {
      rewrite.current = undefined;
    }
    const alarm = alarms.at(-1);
    assert.equal(alarm?.code, 'VERITY_E_MLS_KEY_UNPROVEN');
    assert.equal(alarm?.details?.['identity'], carol.identity);
    assert.equal(alarm?.details?.['groupId'], room);
  });

  it('refuses a lookup answer whose entry, proof or identity was altered', async () => {
    const forged = toBase64Url((await impl.signature.keygen()).publicKey);
    const cases: [string, (e: { identity: string; object?: { body: string }; proof: string }) => object][] = [
      // The key substituted in the entry's body: the map does not hold that body.
      [
        'body',
        (e) => {
          const doc = JSON.parse(e.object?.body as string) as { signatureKeys: string[] };
          return { ...e, object: { ...e.object, body: JSON.stringify({ ...doc, signatureKeys: [forged] }) } };
        },
      ],
      // The entry left out, as if the player had none: the proof shows the map holds one.
      ['absent', (e) => ({ identity: e.identity, proof: e.proof })],
      // A proof of another key.
      [
        'proof',
        (e) => ({ ...e, proof: e.proof.slice(0, -8) + (e.proof.endsWith('AAAAAAA=') ? 'BBBBBBB=' : 'AAAAAAA=') }),
      ],
    ];
    for (const [name, alter] of cases) {
      const fresh = await open('alice', url, lyingFetch(rewrite));
      rewrite.current = (path, body) =>
        path === '/v1/mls/keys/lookup'
          ? {
              ...(body as object),
              entries: (body as { entries: Parameters<typeof alter>[0][] }).entries.map(alter),
            }
          : body;
      try {
        const r = await fresh.createRoom();
        await assert.rejects(fresh.add(r, [{ identity: carol.identity }]), code('VERITY_E_MLS_KEY_UNPROVEN'), name);
      } finally {
        rewrite.current = undefined;
      }
    }
  });

  it('refuses any lookup answer altered in its entry, proof or checkpoint (property)', async () => {
    const shown = [{ identity: carol.identity, signatureKey: await signatureKeyOf(carol.identity) }];
    const original = (await post(t['alice'] as string, '/v1/mls/keys/lookup', { identities: [carol.identity] }))
      .json as unknown as {
      checkpoint: string;
      entries: { identity: string; object: { body: string }; proof: string }[];
    };
    const serve =
      (answer: unknown): typeof fetch =>
      async (input, init) =>
        new URL(String(input)).pathname === '/v1/mls/keys/lookup'
          ? new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } })
          : fetch(input, init);
    const kt = (f: typeof fetch) =>
      new KeyTransparency({ url, token: t['alice'] as string, fetch: f }, { verifierKey: core.log.verifierKey });
    // The answer as served verifies.
    await kt(serve(original)).check(shown);
    const flip = (text: string, at: number, by: number) =>
      text.slice(0, at) + String.fromCharCode(((text.charCodeAt(at) - 32 + by) % 95) + 32) + text.slice(at + 1);
    const [entry] = original.entries;
    assert.ok(entry !== undefined);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('body', 'proof', 'checkpoint'),
        fc.nat(),
        fc.integer({ min: 1, max: 94 }),
        async (field, pos, by) => {
          let answer: unknown;
          if (field === 'body') {
            const body = flip(entry.object.body, pos % entry.object.body.length, by);
            answer = { ...original, entries: [{ ...entry, object: { ...entry.object, body } }] };
          } else if (field === 'proof') {
            const bytes = Buffer.from(entry.proof, 'base64');
            bytes[pos % bytes.length] = ((bytes[pos % bytes.length] as number) + by) % 256;
            answer = { ...original, entries: [{ ...entry, proof: bytes.toString('base64') }] };
          } else {
            // The checkpoint's text before its signature.
            const end = original.checkpoint.indexOf('\n\n');
            answer = { ...original, checkpoint: flip(original.checkpoint, pos % end, by) };
          }
          await assert.rejects(
            kt(serve(answer)).check(shown),
            (e) => isVerityError(e) && ['VERITY_E_MLS_KEY_UNPROVEN', 'VERITY_E_MLS_SPLIT_VIEW'].includes(e.code),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses to serve a key entry whose row was altered in the database', async () => {
    const [row] = await core.sql('SELECT body FROM t.objects WHERE kind = ? AND id = ?', ['mls.keys', carol.identity]);
    const body = String(row?.['body']);
    const doc = JSON.parse(body) as { signatureKeys: string[] };
    const forged = toBase64Url((await impl.signature.keygen()).publicKey);
    await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [
      JSON.stringify({ ...doc, signatureKeys: [forged] }),
      'mls.keys',
      carol.identity,
    ]);
    try {
      const r = await post(t['alice'] as string, '/v1/mls/keys/lookup', { identities: [carol.identity] });
      assert.equal(r.json.error?.code, 'VERITY_E_STATE_TAMPERED');
      const fresh = await open('alice');
      await assert.rejects(fresh.add(room, [{ identity: carol.identity }]), code('VERITY_E_STATE_TAMPERED'));
    } finally {
      await core.sql('UPDATE t.objects SET body = ? WHERE kind = ? AND id = ?', [body, 'mls.keys', carol.identity]);
    }
  });

  it('refuses to join a room whose tree shows a key the log never bound', async () => {
    // Mallory builds a group with a signature key she never bound to her identity, and adds Carol.
    const { identity } = (await post(t['mallory'] as string, '/v1/mls/identity', {})).json as { identity: string };
    const mine = await generateKeyPackage(
      { credentialType: 'basic', identity: text.encode(identity) },
      defaultCapabilities(),
      defaultLifetime,
      [],
      impl,
    );
    const groupId = crypto.getRandomValues(new Uint8Array(32));
    const state = await createGroup(groupId, mine.publicPackage, mine.privatePackage, [], impl);
    assert.equal((await post(t['mallory'] as string, '/v1/mls/rooms', { groupId: toBase64Url(groupId) })).status, 201);
    const claim = (await post(t['mallory'] as string, '/v1/mls/keypackages/claim', { identity: carol.identity }))
      .json as { keyPackage: string };
    const kp = decodeMlsMessage(Buffer.from(claim.keyPackage, 'base64url'), 0)?.[0];
    assert.ok(kp?.wireformat === 'mls_key_package');
    const res = await createCommit(
      { state, cipherSuite: impl },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: kp.keyPackage } }], ratchetTreeExtension: true },
    );
    const posted = await post(t['mallory'] as string, `/v1/mls/rooms/${toBase64Url(groupId)}/commits`, {
      epoch: 0,
      commit: toBase64Url(encodeMlsMessage(res.commit)),
      welcome: toBase64Url(
        encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: res.welcome as never }),
      ),
    });
    assert.equal(posted.status, 200, JSON.stringify(posted.json));
    const before = alarms.length;
    const [got] = await carol.receive();
    assert.equal(got?.type, 'refused');
    assert.equal(got?.type === 'refused' ? got.code : undefined, 'VERITY_E_MLS_KEY_UNPROVEN');
    assert.equal(alarms.length, before + 1);
    assert.equal(alarms.at(-1)?.details?.['identity'], identity);
    assert.throws(() => carol.members(toBase64Url(groupId)), code('VERITY_E_MLS_NOT_MEMBER'));
  });

  it('refuses a commit that adds a member whose key the log never bound, and keeps the old epoch', async () => {
    // Mallory binds her key this time, so Carol joins her room; then Mallory's commit adds a ghost.
    const { identity } = (await post(t['mallory'] as string, '/v1/mls/identity', {})).json as { identity: string };
    const mine = await generateKeyPackage(
      { credentialType: 'basic', identity: text.encode(identity) },
      defaultCapabilities(),
      defaultLifetime,
      [],
      impl,
    );
    const kpMessage = (kp: typeof mine.publicPackage) =>
      toBase64Url(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp }));
    assert.equal(
      (await post(t['mallory'] as string, '/v1/mls/keys', { keyPackage: kpMessage(mine.publicPackage) })).status,
      200,
    );
    const groupId = crypto.getRandomValues(new Uint8Array(32));
    const gid = toBase64Url(groupId);
    let state = await createGroup(groupId, mine.publicPackage, mine.privatePackage, [], impl);
    await post(t['mallory'] as string, '/v1/mls/rooms', { groupId: gid });
    const claim = (await post(t['mallory'] as string, '/v1/mls/keypackages/claim', { identity: carol.identity }))
      .json as { keyPackage: string };
    const kp = decodeMlsMessage(Buffer.from(claim.keyPackage, 'base64url'), 0)?.[0];
    assert.ok(kp?.wireformat === 'mls_key_package');
    const add = await createCommit(
      { state, cipherSuite: impl },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: kp.keyPackage } }], ratchetTreeExtension: true },
    );
    state = add.newState;
    await post(t['mallory'] as string, `/v1/mls/rooms/${gid}/commits`, {
      epoch: 0,
      commit: toBase64Url(encodeMlsMessage(add.commit)),
      welcome: toBase64Url(
        encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: add.welcome as never }),
      ),
    });
    const [joined] = await carol.receive();
    assert.equal(joined?.type, 'joined', JSON.stringify(joined));
    const ghost = await generateKeyPackage(
      { credentialType: 'basic', identity: text.encode('ghost') },
      defaultCapabilities(),
      defaultLifetime,
      [],
      impl,
    );
    const sneak = await createCommit(
      { state, cipherSuite: impl },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: ghost.publicPackage } }] },
    );
    assert.equal(
      (
        await post(t['mallory'] as string, `/v1/mls/rooms/${gid}/commits`, {
          epoch: 1,
          commit: toBase64Url(encodeMlsMessage(sneak.commit)),
        })
      ).status,
      200,
    );
    const [got] = await carol.receive();
    assert.equal(got?.type === 'refused' ? got.code : got?.type, 'VERITY_E_MLS_KEY_UNPROVEN');
    assert.equal(alarms.at(-1)?.details?.['identity'], 'ghost');
    // Carol did not move to the epoch that holds the ghost.
    assert.deepEqual(carol.members(gid), [identity, carol.identity]);
  });

  it('with witnesses: keys are proven under a checkpoint that extends the one they cosigned', async () => {
    const { dir, cleanup } = await tempDir('verity-mls-witness-');
    initWitnessDir(join(dir, 'w1'), 'witness.example/kt1');
    initWitnessDir(join(dir, 'w2'), 'witness.example/kt2');
    const witness = openWitnessDir(join(dir, 'w1'));
    const stranger = openWitnessDir(join(dir, 'w2'));
    witness.addLog(core.log.verifierKey);
    const wapp = buildWitnessServer({ witness });
    const wurl = await wapp.listen({ host: '127.0.0.1', port: 0 });
    const witnessed = serverOf(core, { witnesses: [{ url: wurl, key: witness.verifierKey }] });
    try {
      const at = await witnessed.listen({ host: '127.0.0.1', port: 0 });
      await bob.publishKeyPackages(1);
      // Wait until the witness cosigned a checkpoint.
      for (let i = 0; ; i++) {
        const note = await (await fetch(`${at}/checkpoint`)).text();
        if (note.includes('witness.example/kt1')) break;
        assert.ok(i < 200, 'the witness cosigned nothing');
        await new Promise((r) => setTimeout(r, 50));
      }
      const shown = [{ identity: carol.identity, signatureKey: await signatureKeyOf(carol.identity) }];
      const kt = new KeyTransparency(
        { url: at, token: t['alice'] as string, fetch },
        { verifierKey: core.log.verifierKey, witnesses: { keys: [witness.verifierKey], quorum: 1 } },
      );
      await kt.check(shown);
      // A client relying on a witness that never cosigned this log refuses it.
      const strict = new KeyTransparency(
        { url: at, token: t['alice'] as string, fetch },
        { verifierKey: core.log.verifierKey, witnesses: { keys: [stranger.verifierKey], quorum: 1 } },
      );
      await assert.rejects(strict.check(shown), code('VERITY_E_WITNESS_QUORUM'));
    } finally {
      await witnessed.close();
      await wapp.close();
      witness.close();
      stranger.close();
      await cleanup();
    }
  });

  it('finds a split view: a forked log shows one member a substituted key, and the members compare checkpoints', async () => {
    // Dave's client will be shown the fork for its key lookups and proofs, the rest from the real
    // service: a service that shows two members two logs. Alice adds him to a room first.
    const forked: { url: string | undefined } = { url: undefined };
    const daveFetch: typeof fetch = (input, init) => {
      const u = new URL(String(input));
      const toFork =
        forked.url !== undefined && (u.pathname === '/v1/mls/keys/lookup' || u.pathname.startsWith('/v1/log/proofs/'));
      return fetch(toFork ? `${forked.url}${u.pathname}${u.search}` : u, init);
    };
    const dave = await open('dave', url, daveFetch);
    await dave.publishKeyPackages(1);
    const shared = await alice.createRoom();
    await alice.add(shared, [{ identity: dave.identity }]);
    // The operator forks the log: a copy of the database and the key file, the same log key.
    await core.sql(`VACUUM INTO '${join(core.dir, 'fork.db')}'`);
    await copyFile(join(core.dir, 'keys.json'), join(core.dir, 'fork-keys.json'));
    const fork = await openVerity({
      store: await openSqliteStore(join(core.dir, 'fork.db')),
      keys: await SoftwareKeyStore.open(join(core.dir, 'fork-keys.json'), TEST_SECRET),
      origin: 'verity.test/log',
    });
    const forkApp = serverOf(fork);
    try {
      const forkUrl = await forkApp.listen({ host: '127.0.0.1', port: 0 });
      // The two histories diverge: the real log goes on...
      await bob.publishKeyPackages(1);
      // ...while on the fork the operator binds a key of their own to Bob's identity.
      const substitute = await generateKeyPackage(
        { credentialType: 'basic', identity: text.encode(bob.identity) },
        defaultCapabilities(),
        defaultLifetime,
        [],
        impl,
      );
      const forkDelivery = new MlsDelivery({ store: fork.store, log: fork.log, keys: fork.keys });
      await forkDelivery.registerKey(
        bob.identity,
        encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: substitute.publicPackage }),
      );
      // Dave, new to the service, only ever talks to the fork: its proofs hold for the substituted key.
      const shown = [{ identity: bob.identity, signatureKey: substitute.publicPackage.leafNode.signaturePublicKey }];
      const daveKt = new KeyTransparency(
        { url: forkUrl, token: t['carol'] as string, fetch },
        { verifierKey: core.log.verifierKey },
      );
      await daveKt.check(shown);
      // Alice, on the real log, refuses that key...
      const aliceKt = new KeyTransparency(
        { url, token: t['alice'] as string, fetch },
        { verifierKey: core.log.verifierKey, onAlarm: (a) => alarms.push(a) },
      );
      await assert.rejects(aliceKt.check(shown), code('VERITY_E_MLS_KEY_UNPROVEN'));
      // ...and once the two compare the checkpoints they were shown, the fork is plain.
      await alice.verifyMembers(room);
      const aliceView = (await aliceKt.trusted()) as string;
      const daveView = (await daveKt.trusted()) as string;
      assert.notEqual(aliceView, daveView);
      await assert.rejects(aliceKt.consistent(aliceView, daveView), code('VERITY_E_MLS_SPLIT_VIEW'));
      await assert.rejects(alice.crossCheck(daveView), code('VERITY_E_MLS_SPLIT_VIEW'));
      assert.equal(alarms.at(-1)?.code, 'VERITY_E_MLS_SPLIT_VIEW');
      // In the room: Dave joins under the fork's proofs; Alice, on the real log, adds Carol and
      // speaks. Her message carries her view of the log, signed; Dave's client finds it is not
      // one log with the one it was shown, and raises the alarm by itself.
      forked.url = forkUrl;
      const [joined] = await dave.receive();
      assert.equal(joined?.type, 'joined', JSON.stringify(joined));
      await alice.add(shared, [{ identity: carol.identity }]);
      await alice.send(shared, 'hello dave');
      const before = alarms.length;
      const got = await dave.receive();
      assert.deepEqual(
        got.map((r) => (r.type === 'refused' ? r.code : r.type)),
        ['commit', 'VERITY_E_MLS_SPLIT_VIEW'],
      );
      assert.equal(alarms.length, before + 1);
      assert.equal(alarms.at(-1)?.details?.['sender'], alice.identity);
      // On one log, the same exchange raises nothing: Bob reads Alice's view and his agree.
      const quiet = alarms.length;
      await alice.send(room, 'one log');
      const ok = await bob.receive();
      assert.deepEqual(
        ok.map((r) => (r.type === 'message' ? r.message.text : r.type)),
        ['one log'],
      );
      assert.equal(alarms.length, quiet);
      // A client that trusted the real log and is later shown the fork refuses it by itself.
      const switched = new KeyTransparency(
        { url: forkUrl, token: t['carol'] as string, fetch },
        { verifierKey: core.log.verifierKey, checkpoints: { load: () => aliceView, save: () => {} } },
      );
      await assert.rejects(switched.check(shown), code('VERITY_E_MLS_SPLIT_VIEW'));
    } finally {
      await forkApp.close();
      await fork.close();
    }
  });
});
