// Contract wallets bound to players by ERC-1271 (D295), on the in-process chain: a wallet whose
// owner signed the EIP-4361 message is bound as `siwe-erc1271`; another key's signature, an address
// without code, a contract without the function and bindings that do not check contract wallets
// are refused. The wallet (test/fixtures/contracts/OwnedWallet.sol) is compiled here by the npm
// `solc` Verity builds its contracts with.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Abi, type Hex, hashMessage, type LocalAccount } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { isVerityError } from '../errors/index.ts';
import { AddressBindings } from './bindings.ts';
import { ChainClient } from './client.ts';
import { deployContracts } from './contracts.ts';
import { contractWalletCheck } from './erc1271.ts';

const SOURCE = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'contracts', 'OwnedWallet.sol');

function compileWallet(): { abi: unknown[]; bytecode: Hex } {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'OwnedWallet.sol': { content: readFileSync(SOURCE, 'utf8') } },
        settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  assert.deepEqual(errors, []);
  const c = out.contracts['OwnedWallet.sol']?.['OwnedWallet'];
  assert.ok(c !== undefined);
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}

const refused = (reason: string) => (e: unknown) =>
  isVerityError(e) && e.code === 'VERITY_E_CHAIN_BINDING_INVALID' && e.details?.reason === reason;

describe('chain: contract wallets bound by ERC-1271', () => {
  let chain: ChainClient;
  let core: TestCore;
  let wallet: Hex;
  let goods: Hex;
  let owner: LocalAccount;
  let stranger: LocalAccount;
  const domain = 'play.example.com';
  const A = 'A'.repeat(43);

  before(async () => {
    chain = await ChainClient.inProcess();
    [owner, stranger] = [chain.accounts[3] as LocalAccount, chain.accounts[4] as LocalAccount];
    const { abi, bytecode } = compileWallet();
    wallet = await chain.deploy(owner, abi as Abi, bytecode, [owner.address]);
    const [admin, anchorer, minter, licensor] = chain.accounts as [
      LocalAccount,
      LocalAccount,
      LocalAccount,
      LocalAccount,
    ];
    goods = (await deployContracts(chain, { admin, anchorer, minter, licensor })).goods;
    core = await makeCore('sqlite');
  });
  after(async () => {
    await core?.dispose();
    await chain?.close();
  });

  /** An EIP-4361 message for `address` over a fresh nonce of player A, signed (raw hash) by `key`. */
  const evidence = async (b: AddressBindings, address: Hex, key: LocalAccount) => {
    const { nonce } = await b.issueNonce(A, domain, 'player:session-1');
    const message = createSiweMessage({
      address,
      chainId: chain.chain.id,
      domain,
      nonce,
      uri: `https://${domain}/`,
      version: '1',
      issuedAt: new Date(),
    });
    const sign = key.sign;
    assert.ok(sign !== undefined);
    return { kind: 'siwe' as const, message, signature: await sign({ hash: hashMessage(message) }) };
  };

  it("binds a contract wallet on its owner's signature, and refuses every other", async () => {
    const b = new AddressBindings(core.store, core.log, chain.chain.id, {
      contractWallets: contractWalletCheck(chain),
    });
    // Another key's signature: the wallet does not accept it.
    await assert.rejects(
      b.bindAddress(A, wallet, await evidence(b, wallet, stranger), 'player:session-1'),
      refused('signature'),
    );
    // A signature longer than an account's, on an address without code.
    const long = await evidence(b, stranger.address, stranger);
    await assert.rejects(
      b.bindAddress(A, stranger.address, { ...long, signature: `${long.signature}00` }, 'player:session-1'),
      refused('signature'),
    );
    // A contract that is no wallet (no isValidSignature: the call reverts).
    await assert.rejects(
      b.bindAddress(A, goods, await evidence(b, goods, owner), 'player:session-1'),
      refused('signature'),
    );
    const bound = await b.bindAddress(A, wallet, await evidence(b, wallet, owner), 'player:session-1');
    assert.equal(bound.method, 'siwe-erc1271');
    assert.equal(bound.address, wallet.toLowerCase());
    assert.deepEqual(
      (await b.addressesOf(A)).map((x) => [x.address, x.method]),
      [[wallet.toLowerCase(), 'siwe-erc1271']],
    );
    // The log names the method, never the address or the player.
    const text = (await core.log.entries(0, (await core.log.head()).size))
      .map((x) => new TextDecoder().decode(x))
      .join();
    assert.ok(text.includes('siwe-erc1271'));
    for (const s of [wallet.slice(2).toLowerCase(), A]) assert.ok(!text.toLowerCase().includes(s.toLowerCase()));
  });

  it('refuses contract wallets where the bindings do not check them', async () => {
    const b = new AddressBindings(core.store, core.log, chain.chain.id);
    await assert.rejects(
      b.bindAddress(A, wallet, await evidence(b, wallet, owner), 'player:session-1'),
      (e) => refused('signature')(e) && /contract wallets are not accepted/.test((e as Error).message),
    );
  });
});
