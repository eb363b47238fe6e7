// Verity's index of the chain over JSON-RPC against a real node on loopback (`hardhat node`), reached
// through a relay on loopback that this test takes down and brings back: the node goes away (the
// pass fails typed, nothing half-applied, nothing logged) and comes back (the retrying pass goes on).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { keccak256, toBytes } from 'viem';
import {
  type AgreementTerms,
  ChainClient,
  ChainIndexer,
  ChainState,
  deployContracts,
  devAccounts,
  itemId,
  VerityContracts,
} from '../src/chain/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { type LoopbackNode, startLoopbackNode } from './helpers/chain-node.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

/** An HTTP relay on a fixed loopback port to `target`; `down()` refuses connections until `up()`. */
class Relay {
  #server: Server | undefined;
  port = 0;
  readonly #target: URL;
  constructor(target: string) {
    this.#target = new URL(target);
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const out = request(
        {
          host: this.#target.hostname,
          port: this.#target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }
  async down(): Promise<void> {
    const s = this.#server;
    if (s === undefined) return;
    this.#server = undefined;
    s.closeAllConnections();
    s.close();
    await once(s, 'close');
  }
}

describe('chain indexer over JSON-RPC: the node goes away and comes back', () => {
  let node: LoopbackNode;
  let relay: Relay;
  let chain: ChainClient;
  let core: TestCore;
  let v: VerityContracts;
  const accounts = devAccounts(6);
  const role = (i: number) => accounts[i] as (typeof accounts)[number];

  before(async () => {
    [node, core] = await Promise.all([startLoopbackNode(), makeCore('sqlite')]);
    relay = new Relay(node.url);
    await relay.up();
    chain = await ChainClient.connect(relay.url, accounts, { pollingMs: 5 });
    v = new VerityContracts(
      chain,
      await deployContracts(chain, { admin: role(0), anchorer: role(1), minter: role(2), licensor: role(3) }),
    );
  });
  after(async () => {
    await relay?.down();
    await chain?.close();
    await node?.stop();
    await core?.dispose();
  });

  async function agree(salt: string): Promise<`0x${string}`> {
    const now = (await chain.public.getBlock()).timestamp;
    const terms: AgreementTerms = {
      subject: role(4).address,
      recipient: role(5).address,
      purposes: [itemId('analytics')],
      categories: [itemId('gameplay')],
      expiry: now + 3600n,
      conditionsHash: keccak256(toBytes('conditions')),
      salt: keccak256(toBytes(salt)),
    };
    const typed = v.agreementTypedData(terms);
    return (
      await v.createAgreement(role(0), terms, await role(4).signTypedData(typed), await role(5).signTypedData(typed))
    ).id;
  }

  it('fails a pass typed while the node is away, with nothing applied, and goes on when it is back', async () => {
    const ix = new ChainIndexer(core.store, core.log, v, { confirmations: 0, retries: 0 });
    const state = new ChainState(core.store, core.log, chain.chain.id);
    const first = await agree('one');
    await ix.sync();
    assert.equal((await state.agreement(first)).value.id, first);
    const cursor = await ix.cursor();
    const second = await agree('two');

    await relay.down();
    const logSize = (await core.log.head()).size;
    await assert.rejects(ix.sync(), code('VERITY_E_CHAIN_UNAVAILABLE'));
    await assert.rejects(ix.syncWithRetry(), code('VERITY_E_CHAIN_UNAVAILABLE'));
    assert.deepEqual(await ix.cursor(), cursor, 'the cursor did not move');
    assert.equal((await core.log.head()).size, logSize, 'nothing was logged');
    await assert.rejects(state.agreement(second), code('VERITY_E_CHAIN_NOT_INDEXED'));

    // A pass that retries with backoff: the node comes back while it waits.
    const patient = new ChainIndexer(core.store, core.log, v, {
      confirmations: 0,
      retries: 20,
      backoffMs: 20,
      maxBackoffMs: 100,
    });
    const pass = patient.syncWithRetry();
    await new Promise((r) => setTimeout(r, 50));
    await relay.up();
    const r = await pass;
    assert.ok(r.applied >= 1);
    assert.equal((await state.agreement(second)).value.id, second);
    assert.equal(
      (
        await state.agreementPermits({
          subject: role(4).address,
          recipient: role(5).address,
          purpose: 'analytics',
          category: 'gameplay',
        })
      ).allowed,
      true,
    );
  });

  it('follows the chain in the background and keeps the last error while the node is away', async () => {
    const ix = new ChainIndexer(core.store, core.log, v, { confirmations: 0, retries: 0 });
    await relay.down();
    ix.start(10);
    // Wait until the loop has failed once: it keeps the typed error and goes on trying.
    while (ix.lastError === undefined) await new Promise((r) => setTimeout(r, 10));
    assert.ok(code('VERITY_E_CHAIN_UNAVAILABLE')(ix.lastError));
    await relay.up();
    const id = await agree('three');
    const state = new ChainState(core.store, core.log, chain.chain.id);
    for (;;) {
      try {
        await state.agreement(id);
        break;
      } catch (e) {
        if (!code('VERITY_E_CHAIN_NOT_INDEXED')(e)) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await ix.stop();
    assert.equal(ix.lastError, undefined);
  });
});
