// The platform paying a custodial wallet's gas (D298, D320) on a `hardhat node` on loopback, as on
// any JSON-RPC chain: a wallet holding no coin is paid what its transfer's gas lacks, no more than
// the limit per top-up (over it: VERITY_E_CHAIN_NO_FUNDS before anything is sent), and then sends
// the transfer itself; a wallet that already holds enough is paid nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ChainClient, deployContracts, devAccounts, VerityContracts } from '../src/chain/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { type LoopbackNode, startLoopbackNode } from './helpers/chain-node.ts';

describe('gas of a custodial wallet on a JSON-RPC chain', () => {
  let node: LoopbackNode;
  let chain: ChainClient;
  before(async () => {
    node = await startLoopbackNode();
    chain = await ChainClient.connect(node.url, devAccounts(6), { pollingMs: 2 });
  });
  after(async () => {
    await node?.stop();
  });

  it('tops up exactly what is missing, within the limit, and the wallet sends its own transfer', async () => {
    const [admin, anchorer, minter, licensor, platform, buyer] = chain.accounts as LocalAccount[];
    const roles = { admin, anchorer, minter, licensor } as Record<string, LocalAccount>;
    const v = new VerityContracts(chain, await deployContracts(chain, roles as never));
    await v.defineLicence(licensor as LocalAccount, 1n, {
      commercialUse: false,
      modification: true,
      resale: true,
      uri: 'ar://cbe',
    });
    const wallet = privateKeyToAccount(generatePrivateKey());
    const { tokenId } = await v.mint(minter as LocalAccount, wallet.address, licensor?.address as never, 1n, 500);
    const call = v.transferCall(wallet.address, buyer?.address as never, tokenId);
    assert.equal(await chain.public.getBalance({ address: wallet.address }), 0n);

    // Over the limit per top-up: refused, nothing sent.
    await assert.rejects(
      chain.fundFor(platform as LocalAccount, wallet.address, call, 1n),
      (e) => isVerityError(e) && e.code === 'VERITY_E_CHAIN_NO_FUNDS',
    );
    assert.equal(await chain.public.getBalance({ address: wallet.address }), 0n);

    const paid = await chain.fundFor(platform as LocalAccount, wallet.address, call, 10n ** 16n);
    assert.ok(paid > 0n && paid <= 10n ** 16n);
    assert.equal(await chain.public.getBalance({ address: wallet.address }), paid, 'paid exactly what was missing');
    // Enough now: a second ask pays nothing.
    assert.equal(await chain.fundFor(platform as LocalAccount, wallet.address, call, 10n ** 16n), 0n);

    const receipt = await chain.write(wallet, call);
    assert.equal(receipt.status, 'success');
    assert.equal(await v.ownerOf(tokenId), buyer?.address);
  });
});
