// The MLS working group's interoperability test vectors (RFC 9420), through the code paths the
// SDK's MlsClient uses: the same ts-mls functions, with the noble crypto provider
// (`nobleCryptoProvider`, as src/sdk/mls.ts builds its ciphersuite). Source: mlswg/mls-implementations,
// test-vectors/ at cfd45028 (see test/vectors/mls/README.md). Each vector is checked for every
// ciphersuite the noble provider implements; the mandatory ciphersuite 1, which Verity uses, must
// be among them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type CiphersuiteImpl,
  decodeMlsMessage,
  encodeMlsMessage,
  getCiphersuiteImpl,
  joinGroup,
  makePskIndex,
  nobleCryptoProvider,
  processPrivateMessage,
  processPublicMessage,
} from 'ts-mls';
import { decodeAuthenticatedContent } from 'ts-mls/authenticatedContent.js';
import { type CiphersuiteId, getCiphersuiteFromId } from 'ts-mls/crypto/ciphersuite.js';
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { decodeGroupContext } from 'ts-mls/groupContext.js';
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { initializeEpoch, mlsExporter } from 'ts-mls/keySchedule.js';
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js';
import { createConfirmedHash, createInterimHash } from 'ts-mls/transcriptHash.js';
import {
  directPath,
  leafToNodeIndex,
  left,
  parent,
  right,
  root,
  sibling,
  toLeafIndex,
  toNodeIndex,
} from 'ts-mls/treemath.js';
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js';

const DIR = join(import.meta.dirname, 'vectors', 'mls');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as T;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The noble provider's implementation of a ciphersuite, or undefined when it has none. */
const impls = new Map<number, Promise<CiphersuiteImpl | undefined>>();
function suite(id: number): Promise<CiphersuiteImpl | undefined> {
  let p = impls.get(id);
  if (p === undefined) {
    p = (async () => {
      try {
        return await getCiphersuiteImpl(getCiphersuiteFromId(id as CiphersuiteId), nobleCryptoProvider);
      } catch {
        return undefined;
      }
    })();
    impls.set(id, p);
  }
  return p;
}

/** Runs `check` for each vector whose ciphersuite the provider implements; returns the suites run. */
const covered = new Set<number>();
async function each<V extends { cipher_suite: number }>(
  vectors: readonly V[],
  check: (v: V, cs: CiphersuiteImpl) => Promise<void>,
): Promise<Set<number>> {
  const ran = new Set<number>();
  for (const v of vectors) {
    const cs = await suite(v.cipher_suite);
    if (cs === undefined) continue;
    await check(v, cs);
    ran.add(v.cipher_suite);
    covered.add(v.cipher_suite);
  }
  assert.ok(ran.has(1), 'the mandatory ciphersuite 1 was checked');
  return ran;
}

describe('RFC 9420 test vectors (mls-implementations) through ts-mls and the noble provider', () => {
  // The noble provider implements ciphersuites 1, 2, 5 and 7 of the vectors' 1 to 7.
  after(() => assert.deepEqual([...covered].sort(), [1, 2, 5, 7]));
  it('tree-math: root, left, right, parent and sibling of every node', () => {
    type V = {
      n_leaves: number;
      n_nodes: number;
      root: number;
      left: (number | null)[];
      right: (number | null)[];
      parent: (number | null)[];
      sibling: (number | null)[];
    };
    const vectors = load<V[]>('tree-math');
    assert.ok(vectors.length >= 10);
    for (const v of vectors) {
      assert.equal(root(v.n_leaves), v.root, `root of ${v.n_leaves} leaves`);
      for (let i = 0; i < v.n_nodes; i++) {
        const x = toNodeIndex(i);
        const isLeaf = i % 2 === 0;
        if (v.left[i] !== null) assert.equal(left(x), v.left[i], `left(${i})`);
        else assert.ok(isLeaf);
        if (v.right[i] !== null) assert.equal(right(x), v.right[i], `right(${i})`);
        if (v.parent[i] !== null) assert.equal(parent(x, v.n_leaves), v.parent[i], `parent(${i}) of ${v.n_leaves}`);
        else assert.equal(i, v.root);
        if (v.sibling[i] !== null) assert.equal(sibling(x, v.n_leaves), v.sibling[i], `sibling(${i}) of ${v.n_leaves}`);
      }
      // The direct path of leaf 0 ends at the root.
      if (v.n_leaves > 1) assert.equal(directPath(leafToNodeIndex(toLeafIndex(0)), v.n_leaves).at(-1), v.root);
    }
  });

  it('crypto-basics: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel, EncryptWithLabel', async () => {
    type V = {
      cipher_suite: number;
      ref_hash: { label: string; value: string; out: string };
      expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
      derive_secret: { secret: string; label: string; out: string };
      derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
      sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
      encrypt_with_label: {
        priv: string;
        pub: string;
        label: string;
        context: string;
        plaintext: string;
        kem_output: string;
        ciphertext: string;
      };
    };
    await each(load<V[]>('crypto-basics'), async (v, cs) => {
      const r = v.ref_hash;
      assert.equal(toHex(await refhash(r.label, hex(r.value), cs.hash)), r.out);
      const e = v.expand_with_label;
      assert.equal(toHex(await expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length, cs.kdf)), e.out);
      const d = v.derive_secret;
      assert.equal(toHex(await deriveSecret(hex(d.secret), d.label, cs.kdf)), d.out);
      const t = v.derive_tree_secret;
      assert.equal(toHex(await deriveTreeSecret(hex(t.secret), t.label, t.generation, t.length, cs.kdf)), t.out);
      const s = v.sign_with_label;
      assert.ok(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), hex(s.signature), cs.signature));
      // A signature we make verifies too (Ed25519 is deterministic: it is the vector's).
      const ours = await signWithLabel(hex(s.priv), s.label, hex(s.content), cs.signature);
      assert.ok(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), ours, cs.signature));
      if (v.cipher_suite === 1) assert.equal(toHex(ours), s.signature);
      const flipped = hex(s.content);
      flipped[0] = (flipped[0] as number) ^ 1;
      assert.equal(await verifyWithLabel(hex(s.pub), s.label, flipped, hex(s.signature), cs.signature), false);
      const x = v.encrypt_with_label;
      const priv = await cs.hpke.importPrivateKey(hex(x.priv));
      const pt = await decryptWithLabel(priv, x.label, hex(x.context), hex(x.kem_output), hex(x.ciphertext), cs.hpke);
      assert.equal(toHex(pt), x.plaintext);
      const sealed = await encryptWithLabel(
        await cs.hpke.importPublicKey(hex(x.pub)),
        x.label,
        hex(x.context),
        hex(x.plaintext),
        cs.hpke,
      );
      const opened = await decryptWithLabel(priv, x.label, hex(x.context), sealed.enc, sealed.ct, cs.hpke);
      assert.equal(toHex(opened), x.plaintext);
    });
  });

  it('key-schedule: every epoch secret from the init, commit and PSK secrets and the group context', async () => {
    type Epoch = {
      group_context: string;
      commit_secret: string;
      psk_secret: string;
      joiner_secret: string;
      welcome_secret: string;
      init_secret: string;
      sender_data_secret: string;
      encryption_secret: string;
      exporter_secret: string;
      epoch_authenticator: string;
      external_secret: string;
      confirmation_key: string;
      membership_key: string;
      resumption_psk: string;
      tree_hash: string;
      confirmed_transcript_hash: string;
      exporter: { label: string; context: string; length: number; secret: string };
    };
    type V = { cipher_suite: number; initial_init_secret: string; epochs: Epoch[] };
    await each(load<V[]>('key-schedule'), async (v, cs) => {
      let init = hex(v.initial_init_secret);
      for (const [n, e] of v.epochs.entries()) {
        const decoded = decodeGroupContext(hex(e.group_context), 0);
        assert.ok(decoded !== undefined);
        const ctx = decoded[0];
        assert.equal(BigInt(ctx.epoch), BigInt(n));
        assert.equal(toHex(ctx.treeHash), e.tree_hash);
        assert.equal(toHex(ctx.confirmedTranscriptHash), e.confirmed_transcript_hash);
        const s = await initializeEpoch(init, hex(e.commit_secret), ctx, hex(e.psk_secret), cs.kdf);
        const k = s.keySchedule;
        assert.equal(toHex(s.joinerSecret), e.joiner_secret, `joiner secret, epoch ${n}`);
        assert.equal(toHex(s.welcomeSecret), e.welcome_secret);
        assert.equal(toHex(s.encryptionSecret), e.encryption_secret);
        assert.equal(toHex(k.senderDataSecret), e.sender_data_secret);
        assert.equal(toHex(k.exporterSecret), e.exporter_secret);
        assert.equal(toHex(k.epochAuthenticator), e.epoch_authenticator);
        assert.equal(toHex(k.externalSecret), e.external_secret);
        assert.equal(toHex(k.confirmationKey), e.confirmation_key);
        assert.equal(toHex(k.membershipKey), e.membership_key);
        assert.equal(toHex(k.resumptionPsk), e.resumption_psk);
        assert.equal(toHex(k.initSecret), e.init_secret);
        // ts-mls takes an exporter label as text (UTF-8): the vectors' labels are random bytes,
        // checked only when they are UTF-8 (the exporter secret itself is checked above).
        const x = e.exporter;
        let label: string | undefined;
        try {
          label = new TextDecoder('utf-8', { fatal: true }).decode(hex(x.label));
        } catch {
          label = undefined;
        }
        if (label !== undefined)
          assert.equal(toHex(await mlsExporter(k.exporterSecret, label, hex(x.context), x.length, cs)), x.secret);
        init = k.initSecret;
      }
    });
  });

  it('secret-tree: sender data keys and each leaf’s handshake and application keys and nonces by generation', async () => {
    type Leaf = {
      generation: number;
      handshake_key: string;
      handshake_nonce: string;
      application_key: string;
      application_nonce: string;
    };
    type V = {
      cipher_suite: number;
      encryption_secret: string;
      sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string };
      leaves: Leaf[][];
    };
    const config = { retainKeysForGenerations: 10, retainKeysForEpochs: 4, maximumForwardRatchetSteps: 1 << 20 };
    await each(load<V[]>('secret-tree'), async (v, cs) => {
      // RFC 9420 6.3.2: the sender data key and nonce from the first bytes of the ciphertext.
      const sample = hex(v.sender_data.ciphertext).subarray(0, cs.kdf.size);
      const secret = hex(v.sender_data.sender_data_secret);
      const sd = v.sender_data;
      assert.equal(toHex(await expandWithLabel(secret, 'key', sample, sd.key.length / 2, cs.kdf)), sd.key);
      assert.equal(toHex(await expandWithLabel(secret, 'nonce', sample, sd.nonce.length / 2, cs.kdf)), sd.nonce);
      const tree = await createSecretTree(v.leaves.length, hex(v.encryption_secret), cs.kdf);
      for (const [leaf, gens] of v.leaves.entries()) {
        const node = tree[leaf * 2];
        assert.ok(node !== undefined);
        for (const g of gens) {
          for (const [kind, key, nonce] of [
            ['handshake', g.handshake_key, g.handshake_nonce],
            ['application', g.application_key, g.application_nonce],
          ] as const) {
            const [at] = await ratchetUntil(node[kind], g.generation, config, cs.kdf);
            const s = at.generation === g.generation ? at.secret : at.unusedGenerations[g.generation];
            assert.ok(s !== undefined, `generation ${g.generation} reached`);
            assert.equal(toHex(await deriveKey(s, g.generation, cs)), key, `${kind} key, leaf ${leaf}`);
            assert.equal(toHex(await deriveNonce(s, g.generation, cs)), nonce, `${kind} nonce, leaf ${leaf}`);
          }
        }
      }
    });
  });

  it('transcript-hashes: confirmed and interim transcript hashes of a commit', async () => {
    type V = {
      cipher_suite: number;
      confirmation_key: string;
      authenticated_content: string;
      interim_transcript_hash_before: string;
      confirmed_transcript_hash_after: string;
      interim_transcript_hash_after: string;
    };
    await each(load<V[]>('transcript-hashes'), async (v, cs) => {
      const decoded = decodeAuthenticatedContent(hex(v.authenticated_content), 0);
      assert.ok(decoded !== undefined);
      const ac = decoded[0];
      assert.equal(ac.content.contentType, 'commit');
      const auth = ac.auth as { signature: Uint8Array; confirmationTag: Uint8Array };
      const confirmed = await createConfirmedHash(
        hex(v.interim_transcript_hash_before),
        { wireformat: ac.wireformat, content: ac.content as never, signature: auth.signature },
        cs.hash,
      );
      assert.equal(toHex(confirmed), v.confirmed_transcript_hash_after);
      // The confirmation tag is the MAC of the confirmed hash under the confirmation key.
      assert.ok(await cs.hash.verifyMac(hex(v.confirmation_key), auth.confirmationTag, confirmed));
      assert.equal(
        toHex(await createInterimHash(confirmed, auth.confirmationTag, cs.hash)),
        v.interim_transcript_hash_after,
      );
    });
  });

  it('welcome: a newcomer decrypts the group secrets and the group info, whose signature and confirmation tag verify', async () => {
    type V = { cipher_suite: number; init_priv: string; signer_pub: string; key_package: string; welcome: string };
    await each(load<V[]>('welcome'), async (v, cs) => {
      const kp = decodeMlsMessage(hex(v.key_package), 0)?.[0];
      const w = decodeMlsMessage(hex(v.welcome), 0)?.[0];
      assert.ok(kp?.wireformat === 'mls_key_package' && w?.wireformat === 'mls_welcome');
      const ref = await makeKeyPackageRef(kp.keyPackage, cs.hash);
      const secrets = await decryptGroupSecrets(
        await cs.hpke.importPrivateKey(hex(v.init_priv)),
        ref,
        w.welcome,
        cs.hpke,
      );
      assert.ok(secrets !== undefined, 'the group secrets decrypt');
      const psk = new Uint8Array(cs.kdf.size);
      const info = await decryptGroupInfo(w.welcome, secrets.joinerSecret, psk, cs);
      assert.ok(info !== undefined, 'the group info decrypts');
      assert.ok(await verifyGroupInfoSignature(info, hex(v.signer_pub), cs.signature));
      assert.ok(await verifyGroupInfoConfirmationTag(info, secrets.joinerSecret, psk, cs));
      // Another newcomer's key decrypts nothing.
      const other = await cs.hpke.deriveKeyPair(crypto.getRandomValues(new Uint8Array(32)));
      let refused: boolean;
      try {
        refused = (await decryptGroupSecrets(other.privateKey, ref, w.welcome, cs.hpke)) === undefined;
      } catch (e) {
        refused = !(e instanceof TypeError);
      }
      assert.ok(refused);
    });
  });

  type Passive = {
    cipher_suite: number;
    external_psks: { psk_id: string; psk: string }[];
    key_package: string;
    signature_priv: string;
    encryption_priv: string;
    init_priv: string;
    welcome: string;
    ratchet_tree: string | null;
    initial_epoch_authenticator: string;
    epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[];
  };

  /** A passive client of the vector `v`: joined from its Welcome as MlsClient joins (joinGroup). */
  async function passiveJoin(v: Passive, cs: CiphersuiteImpl) {
    const kp = decodeMlsMessage(hex(v.key_package), 0)?.[0];
    const w = decodeMlsMessage(hex(v.welcome), 0)?.[0];
    assert.ok(kp?.wireformat === 'mls_key_package' && w?.wireformat === 'mls_welcome');
    const psks = new Map(v.external_psks.map((p) => [p.psk_id, hex(p.psk)]));
    const pskIndex = {
      findPsk: (id: { psktype: string; pskId?: Uint8Array }) =>
        id.psktype === 'external' && id.pskId !== undefined ? psks.get(toHex(id.pskId)) : undefined,
    } as Parameters<typeof joinGroup>[3];
    const tree = v.ratchet_tree === null ? undefined : decodeRatchetTree(hex(v.ratchet_tree), 0)?.[0];
    const keys = {
      initPrivateKey: hex(v.init_priv),
      hpkePrivateKey: hex(v.encryption_priv),
      signaturePrivateKey: hex(v.signature_priv),
    };
    const state = await joinGroup(w.welcome, kp.keyPackage, keys, pskIndex, cs, tree);
    assert.equal(toHex(state.keySchedule.epochAuthenticator), v.initial_epoch_authenticator);
    return { state, pskIndex };
  }

  it('passive-client-welcome: a passive client joins from the Welcome with MlsClient’s joinGroup, to the same epoch authenticator', async () => {
    const vectors = load<Passive[]>('passive-client-welcome');
    assert.ok(vectors.some((v) => v.ratchet_tree === null) && vectors.some((v) => v.external_psks.length > 0));
    await each(vectors, async (v, cs) => {
      await passiveJoin(v, cs);
    });
  });

  for (const [name, least] of [
    ['passive-client-handling-commit', 13],
    ['passive-client-random', 40],
  ] as const)
    it(`${name}: proposals and commits processed as MlsClient processes them, epoch by epoch`, async () => {
      const vectors = load<Passive[]>(name);
      let epochs = 0;
      await each(vectors, async (v, cs) => {
        let { state } = await passiveJoin(v, cs);
        const external = Object.fromEntries(
          v.external_psks.map((p) => [Buffer.from(p.psk_id, 'hex').toString('base64'), hex(p.psk)]),
        );
        for (const [n, e] of v.epochs.entries()) {
          for (const bytes of [...e.proposals, e.commit]) {
            // External PSKs, and resumption PSKs of this group's epochs (ts-mls's index of both).
            const pskIndex = makePskIndex(state, external);
            const m = decodeMlsMessage(hex(bytes), 0)?.[0];
            assert.ok(m !== undefined);
            if (m.wireformat === 'mls_public_message')
              state = (await processPublicMessage(state, m.publicMessage, pskIndex, cs)).newState;
            else if (m.wireformat === 'mls_private_message')
              state = (await processPrivateMessage(state, m.privateMessage, pskIndex, cs)).newState;
            else assert.fail(`epoch ${n}: a ${m.wireformat}`);
          }
          assert.equal(toHex(state.keySchedule.epochAuthenticator), e.epoch_authenticator, `epoch ${n}`);
          epochs++;
        }
      });
      assert.ok(epochs >= least);
    });

  it('messages: every MLSMessage decodes and encodes back to the same bytes', () => {
    type V = Record<string, string>;
    const vectors = load<V[]>('messages');
    const kinds = [
      'mls_welcome',
      'mls_group_info',
      'mls_key_package',
      'public_message_application',
      'public_message_proposal',
      'public_message_commit',
      'private_message',
    ];
    let n = 0;
    for (const v of vectors)
      for (const k of kinds) {
        const bytes = hex(v[k] as string);
        const decoded = decodeMlsMessage(bytes, 0);
        assert.ok(decoded !== undefined, `${k} decodes`);
        assert.equal(decoded[1], bytes.length, `${k} is one whole message`);
        assert.equal(toHex(encodeMlsMessage(decoded[0])), v[k], `${k} encodes back`);
        n++;
      }
    assert.equal(n, vectors.length * kinds.length);
  });
});
