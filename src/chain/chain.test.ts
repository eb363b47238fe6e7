// Verity's contracts on the in-process EVM (Hardhat's EDR): one chain shared by the whole file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Hex, keccak256, type LocalAccount, toBytes } from 'viem';
import { runTrade } from '../../test/helpers/chain-trade.ts';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { isVerityError } from '../errors/index.ts';
import { parseCheckpoint, verifyCheckpoint } from '../note/index.ts';
import { type AgreementTerms, ChainClient, deployContracts, itemId, originHash, VerityContracts } from './index.ts';

const ZERO = '0x0000000000000000000000000000000000000000';
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

describe('chain: Verity contracts on the in-process EVM', () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let core: TestCore;
  const a = () => chain.accounts;
  // Roles: 0 admin, 1 anchorer, 2 minter, 3 licensor; 4 player (subject), 5 recipient, 6 creator, 7 other, 8 shop.
  before(async () => {
    chain = await ChainClient.inProcess();
    const [admin, anchorer, minter, licensor] = chain.accounts as [
      LocalAccount,
      LocalAccount,
      LocalAccount,
      LocalAccount,
    ];
    v = new VerityContracts(chain, await deployContracts(chain, { admin, anchorer, minter, licensor }));
    core = await makeCore('sqlite');
  });
  after(async () => {
    await chain.close();
    await core.dispose();
  });

  it('anchors a real checkpoint of Verity log and verifies it from the chain', async () => {
    await core.log.append([new TextEncoder().encode('first entry')]);
    const note = await core.log.checkpoint();
    const { checkpoint } = verifyCheckpoint(note, core.log.verifier, core.log.origin);
    assert.ok(checkpoint.size >= 1);
    const receipt = await v.anchorCheckpoint(a()[1]!, checkpoint);
    const anchored = await v.verifyAnchored(checkpoint);
    assert.equal(anchored.treeSize, checkpoint.size);
    assert.equal(anchored.blockNumber, receipt.blockNumber);
    assert.equal(anchored.originHash, originHash(core.log.origin));
    const block = await chain.public.getBlock({ blockNumber: receipt.blockNumber });
    assert.equal(BigInt(anchored.anchoredAt), block.timestamp);
    assert.deepEqual((await v.latestAnchor(core.log.origin))?.treeSize, checkpoint.size);

    // The same size again, or an older one, is refused: one root per tree size.
    await assert.rejects(v.anchorCheckpoint(a()[1]!, checkpoint), code('VERITY_E_CHAIN_ANCHOR_STALE'));
    // A forged checkpoint with the anchored size but another root is caught.
    const forged = { ...checkpoint, rootHash: new Uint8Array(32).fill(7) };
    await assert.rejects(v.verifyAnchored(forged), code('VERITY_E_CHAIN_ANCHOR_MISMATCH'));
    // A checkpoint never anchored.
    await core.log.append([new TextEncoder().encode('second entry')]);
    const next = parseCheckpoint(verifyCheckpoint(await core.log.checkpoint(), core.log.verifier).text);
    await assert.rejects(v.verifyAnchored(next), code('VERITY_E_CHAIN_NOT_ANCHORED'));
    await v.anchorCheckpoint(a()[1]!, next);
    assert.equal((await v.verifyAnchored(next)).treeSize, next.size);
    // The earlier one stays provable.
    assert.equal((await v.verifyAnchored(checkpoint)).treeSize, checkpoint.size);
  });

  it('only the anchoring account anchors', async () => {
    const cp = { origin: 'verity.test/other', size: 3, rootHash: new Uint8Array(32).fill(1), extensions: [] };
    await assert.rejects(v.anchorCheckpoint(a()[7]!, cp), code('VERITY_E_CHAIN_NOT_AUTHORIZED'));
    assert.equal(await v.latestAnchor(cp.origin), undefined);
  });

  async function signedTerms(salt: string, expiryIn = 3600n): Promise<{ terms: AgreementTerms; s: Hex; r: Hex }> {
    const [subject, recipient] = [a()[4]!, a()[5]!];
    const now = (await chain.public.getBlock()).timestamp;
    const terms: AgreementTerms = {
      subject: subject.address,
      recipient: recipient.address,
      purposes: [itemId('analytics')],
      categories: [itemId('gameplay'), itemId('telemetry')],
      expiry: now + expiryIn,
      conditionsHash: keccak256(toBytes('conditions v1')),
      salt: keccak256(toBytes(salt)),
    };
    const typed = v.agreementTypedData(terms);
    return { terms, s: await subject.signTypedData(typed), r: await recipient.signTypedData(typed) };
  }

  it('records an agreement both parties signed (EIP-712); a revocation by either party ends it', async () => {
    const { terms, s, r } = await signedTerms('one');
    // Anyone may submit it: here the platform's admin account.
    const { id } = await v.createAgreement(a()[0]!, terms, s, r);
    const state = await v.agreement(id);
    assert.equal(state?.active, true);
    assert.equal(state?.subject.toLowerCase(), terms.subject.toLowerCase());
    assert.equal(await v.permits(id, itemId('analytics'), itemId('gameplay')), true);
    assert.equal(await v.permits(id, itemId('marketing'), itemId('gameplay')), false);
    // The same signed text twice is one agreement.
    await assert.rejects(v.createAgreement(a()[0]!, terms, s, r), code('VERITY_E_CHAIN_CONFLICT'));
    // A third party cannot revoke; the recipient can; the next check sees it.
    await assert.rejects(v.revokeAgreement(a()[7]!, id), code('VERITY_E_CHAIN_NOT_AUTHORIZED'));
    await v.revokeAgreement(a()[5]!, id);
    assert.equal(await v.permits(id, itemId('analytics'), itemId('gameplay')), false);
    assert.equal((await v.agreement(id))?.active, false);
    assert.equal(await v.agreement(keccak256(toBytes('none'))), undefined);
  });

  it('refuses an agreement one party did not sign, or signed other terms of', async () => {
    const { terms, s, r } = await signedTerms('two');
    const forged = await a()[7]!.signTypedData(v.agreementTypedData(terms));
    await assert.rejects(v.createAgreement(a()[0]!, terms, forged, r), code('VERITY_E_CHAIN_AGREEMENT_INVALID'));
    await assert.rejects(v.createAgreement(a()[0]!, terms, s, forged), code('VERITY_E_CHAIN_AGREEMENT_INVALID'));
    const longer = { ...terms, expiry: terms.expiry + 86_400n };
    await assert.rejects(v.createAgreement(a()[0]!, longer, s, r), code('VERITY_E_CHAIN_AGREEMENT_INVALID'));
    assert.throws(() => v.agreementTypedData({ ...terms, purposes: [] }), RangeError);
  });

  it('an agreement expires with the chain time', async () => {
    const { terms, s, r } = await signedTerms('three', 60n);
    const { id } = await v.createAgreement(a()[0]!, terms, s, r);
    assert.equal((await v.agreement(id))?.active, true);
    await chain.public.request({ method: 'evm_increaseTime' as never, params: [120] as never });
    await chain.public.request({ method: 'evm_mine' as never });
    assert.equal((await v.agreement(id))?.active, false);
  });

  describe('virtual goods', () => {
    const NO_RESALE = 1n;
    const COMMERCIAL = 2n;
    before(async () => {
      const licensor = a()[3]!;
      await v.defineLicence(licensor, NO_RESALE, {
        commercialUse: false,
        modification: false,
        resale: false,
        uri: 'ar://cbe-personal-no-hate',
      });
      await v.defineLicence(licensor, COMMERCIAL, {
        commercialUse: true,
        modification: true,
        resale: true,
        uri: 'ar://cbe-commercial',
      });
      await v.setCommercial(licensor, a()[8]!.address, true);
    });

    it('mints with licence and royalty; a sale the licence forbids is refused', async () => {
      const [creator, player, other, shop] = [a()[6]!, a()[4]!, a()[7]!, a()[8]!];
      const { tokenId } = await v.mint(a()[2]!, creator.address, creator.address, NO_RESALE, 500);
      const { terms, creator: c } = await v.licenceOf(tokenId);
      assert.deepEqual(terms, {
        commercialUse: false,
        modification: false,
        resale: false,
        uri: 'ar://cbe-personal-no-hate',
      });
      assert.equal(c, creator.address);
      assert.deepEqual(await v.royaltyInfo(tokenId, 10_000n), { receiver: creator.address, amount: 500n });
      await v.transfer(creator, creator.address, player.address, tokenId);
      assert.equal(await v.ownerOf(tokenId), player.address);
      await assert.rejects(
        v.transfer(player, player.address, other.address, tokenId),
        (e) =>
          code('VERITY_E_CHAIN_LICENCE_REFUSED')(e) &&
          (e as { details: { error: string } }).details.error === 'LicenceForbidsResale',
      );
      await assert.rejects(v.rent(player, tokenId, shop.address, 2n ** 40n), code('VERITY_E_CHAIN_LICENCE_REFUSED'));
      await assert.rejects(
        v.transfer(other, player.address, other.address, tokenId),
        code('VERITY_E_CHAIN_NOT_AUTHORIZED'),
      );
      assert.equal(await v.ownerOf(tokenId), player.address);
    });

    it('rents a good (ERC-4907) and resells under a licence that allows it', async () => {
      const [creator, player, other, shop] = [a()[6]!, a()[4]!, a()[7]!, a()[8]!];
      const { tokenId } = await v.mint(a()[2]!, player.address, creator.address, COMMERCIAL, 250);
      const until = (await chain.public.getBlock()).timestamp + 3600n;
      await v.rent(player, tokenId, other.address, until);
      assert.equal(await v.userOf(tokenId), other.address);
      await v.transfer(player, player.address, shop.address, tokenId);
      assert.equal(await v.ownerOf(tokenId), shop.address);
      assert.equal(await v.userOf(tokenId), ZERO, 'the rental ends with the sale');
      await assert.rejects(
        v.mint(a()[7]!, other.address, creator.address, COMMERCIAL, 0),
        code('VERITY_E_CHAIN_NOT_AUTHORIZED'),
      );
    });

    it('assigns nonces in order to concurrent sends from one account', async () => {
      const creator = a()[6]!;
      const minted = await Promise.all(
        Array.from({ length: 12 }, () => v.mint(a()[2]!, a()[4]!.address, creator.address, COMMERCIAL, 0)),
      );
      const ids = minted.map((m) => m.tokenId).sort((x, y) => (x < y ? -1 : 1));
      assert.equal(new Set(ids).size, 12);
      const nonces = await Promise.all(
        minted.map(async (m) => (await chain.public.getTransaction({ hash: m.receipt.transactionHash })).nonce),
      );
      assert.deepEqual(
        [...nonces].sort((x, y) => x - y),
        Array.from({ length: 12 }, (_, i) => Math.min(...nonces) + i),
      );
    });
  });

  it('runs a trade of a licensed good under a data-sharing agreement, and anchors the log', async () => {
    await runTrade(v, core.log, 100n);
  });

  it('refuses malformed input before anything is sent', async () => {
    const before = await chain.public.getTransactionCount({ address: a()[2]!.address });
    const h = keccak256(toBytes('x'));
    await assert.rejects(async () => v.permits('0x1234' as Hex, h, h), RangeError);
    await assert.rejects(async () => v.revokeAgreement(a()[4]!, `${h}00` as Hex), RangeError);
    await assert.rejects(async () => v.mint(a()[2]!, a()[4]!.address, a()[6]!.address, 2n, 10_001), RangeError);
    await assert.rejects(async () => v.mint(a()[2]!, a()[4]!.address, a()[6]!.address, 2n, 1.5), RangeError);
    await assert.rejects(
      async () =>
        v.defineLicence(a()[3]!, 9n, { commercialUse: true, modification: true, resale: true, uri: 'x'.repeat(513) }),
      RangeError,
    );
    const cp = { origin: 'verity.test/bad', size: 0, rootHash: new Uint8Array(32), extensions: [] };
    await assert.rejects(async () => v.anchorCheckpoint(a()[1]!, cp), RangeError);
    await assert.rejects(
      async () => v.anchorCheckpoint(a()[1]!, { ...cp, size: 1, rootHash: new Uint8Array(31) }),
      RangeError,
    );
    assert.throws(() => itemId(''), RangeError);
    assert.throws(() => itemId('p'.repeat(129)), RangeError);
    await assert.rejects(ChainClient.connect('ws://127.0.0.1:1', []), RangeError);
    await assert.rejects(ChainClient.connect('not a url', []), RangeError);
    // A well-formed but unknown licence reaches the contract and is refused there, typed.
    await assert.rejects(
      v.mint(a()[2]!, a()[4]!.address, a()[6]!.address, 999n, 0),
      (e) =>
        code('VERITY_E_CHAIN_REVERTED')(e) && (e as { details: { error: string } }).details.error === 'LicenceUnknown',
    );
    assert.equal(await chain.public.getTransactionCount({ address: a()[2]!.address }), before, 'nothing was sent');
  });

  it('attach checks that the contracts are deployed', async () => {
    await VerityContracts.attach(chain, v.addresses);
    await assert.rejects(
      VerityContracts.attach(chain, { ...v.addresses, goods: a()[7]!.address }),
      code('VERITY_E_CHAIN_NOT_DEPLOYED'),
    );
  });
});
