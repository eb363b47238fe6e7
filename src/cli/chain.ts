/**
 * Verity's view of a chain from `verity serve`/`start`: the `--chain` options, checked, and the
 * indexer and routes they start (the chain libraries load only when `--chain` is given).
 */

import type { ServerOptions } from '../server/index.ts';
import { usage, type Values } from './command.ts';
import { type Opened, opt } from './common.ts';

/** `--chain`, `--chain-contracts`, `--chain-confirmations`, checked. */
export interface ChainSettings {
  readonly url: string;
  readonly contracts?: { anchor: `0x${string}`; agreements: `0x${string}`; goods: `0x${string}` };
  readonly confirmations?: number;
  readonly siweDomain?: string;
}

/** Reads the chain options; undefined without `--chain`. */
export function chainFrom(values: Values): ChainSettings | undefined {
  const url = opt(values, 'chain');
  const contracts = opt(values, 'chain-contracts');
  const depth = opt(values, 'chain-confirmations');
  const siweDomain = opt(values, 'chain-siwe-domain');
  if (url === undefined) {
    if (contracts !== undefined || depth !== undefined || siweDomain !== undefined)
      usage('--chain-contracts, --chain-confirmations and --chain-siwe-domain need --chain');
    return undefined;
  }
  if (siweDomain !== undefined && !/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(siweDomain))
    usage("--chain-siwe-domain takes a host name, with a port or not (what the players' wallets show)");
  if (url !== 'in-process' && !/^https?:\/\//.test(url)) usage('--chain takes `in-process` or an http(s) JSON-RPC URL');
  let addresses: ChainSettings['contracts'];
  if (contracts !== undefined) {
    const parts = contracts.split(',');
    if (parts.length !== 3 || !parts.every((a) => /^0x[0-9a-fA-F]{40}$/.test(a)))
      usage('--chain-contracts takes three 0x addresses separated by commas: anchor,agreements,goods');
    const [anchor, agreements, goods] = parts as [`0x${string}`, `0x${string}`, `0x${string}`];
    addresses = { anchor, agreements, goods };
  }
  if (url !== 'in-process' && addresses === undefined)
    usage('--chain URL needs --chain-contracts anchor,agreements,goods');
  if (url === 'in-process' && addresses !== undefined)
    usage('--chain in-process deploys its own contracts: leave --chain-contracts out');
  let confirmations: number | undefined;
  if (depth !== undefined) {
    if (!/^[0-9]{1,4}$/.test(depth)) usage('--chain-confirmations takes a number of blocks, 0 to 1000');
    confirmations = Number(depth);
    if (confirmations > 1000) usage('--chain-confirmations takes a number of blocks, 0 to 1000');
  }
  return {
    url,
    ...(addresses === undefined ? {} : { contracts: addresses }),
    ...(confirmations === undefined ? {} : { confirmations }),
    ...(siweDomain === undefined ? {} : { siweDomain }),
  };
}

/**
 * Connects to the chain, starts the indexer in the background (every 2 s, retrying an unavailable
 * node with backoff) and returns the routes' options. `in-process` deploys Verity's contracts on a
 * development chain with its public accounts, and anchors with one of them; a JSON-RPC chain is
 * read only here (anchoring on demand needs an anchoring key, not configurable yet: 503).
 */
export async function startChain(
  v: Opened,
  s: ChainSettings,
): Promise<{ routes: NonNullable<ServerOptions['chain']>; close(): Promise<void> }> {
  const c = await import('../chain/index.ts');
  let client: import('../chain/index.ts').ChainClient;
  let contracts: InstanceType<typeof c.VerityContracts>;
  let anchorer: import('viem').LocalAccount | undefined;
  let sender: import('viem').LocalAccount | undefined;
  if (s.url === 'in-process') {
    client = await c.ChainClient.inProcess();
    const [admin, anchor, minter, licensor] = client.accounts as import('viem').LocalAccount[];
    if (!admin || !anchor || !minter || !licensor) throw new TypeError('the in-process chain has too few accounts');
    contracts = new c.VerityContracts(
      client,
      await c.deployContracts(client, { admin, anchorer: anchor, minter, licensor }),
    );
    anchorer = anchor;
    // The platform's account on the development chain: it sends agreements, revocations and trades.
    sender = client.accounts[4];
    const a = contracts.addresses;
    process.stderr.write(
      `verity: in-process chain ${client.chain.id} (development only), contracts ${a.anchor},${a.agreements},${a.goods}\n`,
    );
  } else {
    client = await c.ChainClient.connect(s.url, []);
    contracts = await c.VerityContracts.attach(client, s.contracts as NonNullable<ChainSettings['contracts']>);
  }
  const indexer = new c.ChainIndexer(v.store, v.log, contracts, {
    confirmations: s.confirmations ?? (s.url === 'in-process' ? 0 : 2),
  });
  indexer.start(2000);
  return {
    routes: {
      state: new c.ChainState(v.store, v.log, client.chain.id),
      contracts,
      indexer,
      ...(anchorer === undefined ? {} : { anchorer }),
      ...(sender === undefined ? {} : { sender }),
      bindings: new c.AddressBindings(v.store, v.log, client.chain.id),
      ...(s.siweDomain === undefined ? {} : { siweDomain: s.siweDomain }),
    },
    async close() {
      await indexer.stop();
      await client.close();
    },
  };
}
