// Self-custody in a real browser: Debian's Chromium runs the SDK's `@verity/sdk/wallet` against an
// EIP-1193 provider injected into the page, backed by a real local key (a viem local account in this
// process answering the page's requests). The address proof (SIWE) and the agreement signature it
// produces are checked with viem here, and the agreement is accepted by Verity's contract on the
// in-process chain.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type Hex, keccak256, numberToHex, toBytes, verifyMessage, verifyTypedData } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { generateSiweNonce, parseSiweMessage, verifySiweMessage } from 'viem/siwe';
import {
  type AgreementTerms,
  type ChainClient,
  deployContracts,
  itemId,
  type VerityContracts,
} from '../src/chain/index.ts';
import { bundleForBrowser, CHROMIUM_MISSING, HAVE_CHROMIUM, launchChromium } from './helpers/browser.ts';
import { deployedChain, marketplaceTerms } from './helpers/chain-trade.ts';
import { tempDir } from './helpers/env.ts';

it('finds the browser the self-custody test needs', () => {
  assert.ok(HAVE_CHROMIUM, CHROMIUM_MISSING);
});

describe('self-custody wallet in a browser', { skip: HAVE_CHROMIUM ? false : CHROMIUM_MISSING }, () => {
  let chain: ChainClient;
  let v: VerityContracts;
  let context: BrowserContext;
  let page: Page;
  let cleanup: () => Promise<void>;
  const player = privateKeyToAccount(generatePrivateKey());
  // What the wallet is asked, in order (the page's calls reach it only through EIP-1193).
  const asked: string[] = [];
  /** When set, the wallet signs with this key instead of its address's (a broken or hostile wallet). */
  let signWith: ReturnType<typeof privateKeyToAccount> | undefined;

  before(async () => {
    ({ chain, v } = await deployedChain());
    const t = await tempDir();
    cleanup = t.cleanup;
    ({ context, page } = await launchChromium(t.dir));
    // The provider's requests are answered by the local key in this process: a real signer, no mock of Verity.
    await page.exposeFunction('__walletRequest', async ({ method, params }: { method: string; params?: unknown[] }) => {
      asked.push(method);
      const signer = signWith ?? player;
      switch (method) {
        case 'eth_requestAccounts':
        case 'eth_accounts':
          return [player.address];
        case 'eth_chainId':
          return numberToHex(chain.chain.id);
        case 'personal_sign':
          return signer.signMessage({ message: { raw: (params as [Hex])[0] } });
        case 'eth_signTypedData_v4': {
          const [from, json] = params as [string, string];
          assert.equal(from.toLowerCase(), player.address.toLowerCase());
          return signer.signTypedData(JSON.parse(json));
        }
        default:
          throw new Error(`unsupported method ${method}`);
      }
    });
    await page.addInitScript(() => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's injected provider (EIP-1193)
      const g = globalThis as any;
      g.ethereum = { request: (args: unknown) => g.__walletRequest(args) };
    });
    await page.goto('about:blank');
    await page.addScriptTag({
      content: await bundleForBrowser(join(import.meta.dirname, '..', 'src', 'sdk', 'wallet.ts'), 'VerityWallet'),
    });
  });
  after(async () => {
    await context?.close();
    await cleanup?.();
    await chain?.close();
  });

  it('connects, proves its address with SIWE, and signs agreement terms the contract accepts', async () => {
    const nonce = generateSiweNonce();
    const platform = chain.accounts[5] as (typeof chain.accounts)[number];
    const now = (await chain.public.getBlock()).timestamp;
    const terms = marketplaceTerms(player.address, platform.address, now, 'self-custody');
    const typed = v.agreementTypedData(terms);
    // Typed data travels to the page as JSON (bigints as decimal strings, as EIP-712 JSON allows).
    const typedJson = JSON.parse(JSON.stringify(typed, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
    const out = await page.evaluate(
      async ({ nonce, chainId, typedJson }) => {
        // biome-ignore lint/suspicious/noExplicitAny: the bundle's global
        const { SelfCustodyWallet } = (globalThis as any).VerityWallet;
        // biome-ignore lint/suspicious/noExplicitAny: the injected provider
        const wallet = await SelfCustodyWallet.connect((globalThis as any).ethereum);
        const proof = await wallet.proveAddress({
          domain: 'play.example.com',
          uri: 'https://play.example.com/login',
          nonce,
          chainId,
          statement: 'Link this wallet to my Verity player account',
        });
        return { address: wallet.address, proof, signature: await wallet.signAgreement(typedJson) };
      },
      { nonce, chainId: chain.chain.id, typedJson },
    );
    assert.equal(out.address, player.address);
    assert.deepEqual(asked.slice(0, 4), [
      'eth_requestAccounts',
      'eth_chainId',
      'personal_sign',
      'eth_signTypedData_v4',
    ]);
    // The SIWE proof, checked as the binding will check it: domain, nonce, address, signature.
    const parsed = parseSiweMessage(out.proof.message);
    assert.equal(parsed.address, player.address);
    assert.equal(parsed.nonce, nonce);
    assert.equal(parsed.chainId, chain.chain.id);
    assert.ok(
      await verifySiweMessage(chain.public, {
        message: out.proof.message,
        signature: out.proof.signature,
        domain: 'play.example.com',
        nonce,
      }),
    );
    assert.ok(
      !(await verifySiweMessage(chain.public, {
        message: out.proof.message,
        signature: out.proof.signature,
        domain: 'evil.example',
        nonce,
      })),
    );
    assert.ok(
      await verifyMessage({ address: player.address, message: out.proof.message, signature: out.proof.signature }),
    );
    // The terms' signature, checked with viem and then by the contract.
    assert.ok(await verifyTypedData({ address: player.address, ...typed, signature: out.signature }));
    const { id } = await v.createAgreement(platform, terms, out.signature, await platform.signTypedData(typed));
    assert.equal(await v.permits(id, itemId('marketplace'), itemId('inventory')), true);
  });

  it('refuses in the page a wallet that signs with another key than its address', async () => {
    signWith = privateKeyToAccount(generatePrivateKey());
    try {
      const code = await page.evaluate(async (chainId) => {
        // biome-ignore lint/suspicious/noExplicitAny: the bundle's global
        const { SelfCustodyWallet } = (globalThis as any).VerityWallet;
        // biome-ignore lint/suspicious/noExplicitAny: the injected provider
        const wallet = await SelfCustodyWallet.connect((globalThis as any).ethereum);
        try {
          await wallet.proveAddress({
            domain: 'play.example.com',
            uri: 'https://play.example.com/',
            nonce: 'abcdefgh12345678',
            chainId,
          });
          return 'signed';
        } catch (e) {
          return (e as { code?: string }).code;
        }
      }, chain.chain.id);
      assert.equal(code, 'VERITY_E_WALLET_SIGNATURE');
    } finally {
      signWith = undefined;
    }
  });
});
