// A token refers to its creation's signed provenance manifest (D300), on the in-process chain: an
// ERC-721 good and an ERC-1155 item minted with the manifest's digest carry it on chain
// (`provenanceOf`) and in Verity's indexed state with its proof; the holder checks the manifest and
// the file against it, and an altered file, another creator's manifest or an altered manifest do
// not match.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import type { Hex, LocalAccount } from 'viem';
import {
  type ChainClient,
  ChainIndexer,
  ChainState,
  Editions,
  provenanceBytes32,
  provenanceDigestOf,
  type VerityContracts,
  verifyChainProofs,
} from '../src/chain/index.ts';
import { didKeyFromJwk } from '../src/did/index.ts';
import { utf8 } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import {
  contentOf,
  PROVENANCE_FORMAT,
  type ProvenanceManifest,
  provenanceDigest,
  signProvenance,
  verifyProvenance,
} from '../src/provenance/index.ts';
import { deployedChain } from './helpers/chain-trade.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const FILE = utf8('glTF binary of a dragon helmet, version 3');

async function creator() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const did = didKeyFromJwk(await exportJWK(publicKey));
  return {
    did,
    kid: `${did}#${did.slice('did:key:'.length)}`,
    key: await exportJWK(privateKey),
    alg: 'EdDSA' as const,
  };
}

const manifestOf = (did: string, file: Uint8Array): ProvenanceManifest => ({
  format: PROVENANCE_FORMAT,
  content: contentOf(file, 'model/gltf-binary'),
  name: 'Dragon helmet',
  creator: did,
  created: '2026-11-28T01:00:00Z',
  tools: [{ name: 'Blender', version: '4.2' }],
  parents: [],
  licence: { uri: 'ar://cbe-personal', commercialUse: false, modification: true, resale: true },
});

describe('tokens refer to their provenance manifests', () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let core: TestCore;
  const acct = (i: number) => chain.accounts[i] as LocalAccount;

  before(async () => {
    [{ chain, v }, core] = await Promise.all([deployedChain(), makeCore('sqlite')]);
    await v.defineLicence(acct(3), 1n, { commercialUse: false, modification: true, resale: true, uri: 'ar://cbe' });
    await Editions.of(v).defineLicence(acct(3), 1n, {
      commercialUse: false,
      modification: true,
      resale: true,
      uri: 'ar://cbe',
    });
  });
  after(async () => {
    await chain?.close();
    await core?.dispose();
  });

  it('carries the digest on chain and in the indexed state; the holder checks the manifest against it', async () => {
    const alice = await creator();
    const jws = await signProvenance(manifestOf(alice.did, FILE), alice);
    const digest = provenanceDigest(jws);
    assert.equal(provenanceDigestOf(provenanceBytes32(digest)), digest);
    const { tokenId } = await v.mint(acct(2), acct(6).address, acct(6).address, 1n, 500, digest);
    const { tokenId: item } = await Editions.of(v).createEdition(acct(2), acct(6).address, 1n, 500, 10n, digest);
    const onChain = await chain.read<Hex>({
      address: v.addresses.goods,
      abi: (await import('../src/chain/index.ts')).VirtualGoods.abi,
      functionName: 'provenanceOf',
      args: [tokenId],
    });
    assert.equal(onChain, provenanceBytes32(digest));

    await new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 }).sync();
    const state = new ChainState(core.store, core.log, chain.chain.id);
    const good = await state.good(tokenId.toString());
    verifyChainProofs(good.evidence, core.log.verifier, core.log.origin);
    const edition = await state.edition(item.toString());
    for (const referred of [good.value.provenance, edition.value.provenance]) {
      assert.ok(typeof referred === 'string');
      // The holder's check: the manifest the token refers to, then the file against the manifest.
      assert.equal(provenanceDigestOf(referred), provenanceDigest(jws));
      const checked = await verifyProvenance(jws, FILE);
      assert.equal(checked.manifest.creator, alice.did);
      // An altered file is caught by the manifest; another manifest (another creator claiming the
      // same file, or any change to it) is caught by the token.
      await assert.rejects(verifyProvenance(jws, utf8('another file')), (e) => isVerityError(e));
      const mallory = await creator();
      const forged = await signProvenance(manifestOf(mallory.did, FILE), mallory);
      assert.notEqual(provenanceDigestOf(referred), provenanceDigest(forged));
      const altered = `${jws.slice(0, -2)}${jws.at(-2) === 'A' ? 'B' : 'A'}${jws.slice(-1)}`;
      assert.notEqual(altered, jws);
      assert.notEqual(provenanceDigestOf(referred), provenanceDigest(altered));
    }
    // A good minted without a manifest refers to none.
    const { tokenId: plain } = await v.mint(acct(2), acct(6).address, acct(6).address, 1n, 0);
    await new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 }).sync();
    assert.equal((await state.good(plain.toString())).value.provenance ?? null, null);
    assert.throws(
      () => provenanceBytes32('sha256:short'),
      (e) => isVerityError(e) && e.code === 'VERITY_E_INPUT_INVALID',
    );
  });
});
