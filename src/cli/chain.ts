/**
 * Verity's view of a chain from `verity serve`/`start`: the `--chain` options, checked, and the
 * indexer and routes they start (the chain libraries load only when `--chain` is given).
 */

import { isVerityError } from '../errors/index.ts';
import type { ServerOptions } from '../server/index.ts';
import { usage, type Values } from './command.ts';
import { type Opened, opt } from './common.ts';

/** `--chain`, `--chain-contracts`, `--chain-confirmations`, checked. */
export interface ChainSettings {
  readonly url: string;
  readonly contracts?: {
    anchor: `0x${string}`;
    agreements: `0x${string}`;
    goods: `0x${string}`;
    editions?: `0x${string}`;
  };
  readonly confirmations?: number;
  readonly siweDomain?: string;
  /** `--chain-anchor-every`: anchor the log's latest checkpoint at this interval (ms). */
  readonly anchorEveryMs?: number;
}

/** Longest `--chain-anchor-every`: a week. */
const MAX_ANCHOR_EVERY_MS = 7 * 24 * 3_600_000;

/** `30s`, `10m`, `1h`: a whole number of seconds, minutes or hours, 1 s to a week (no library: three units). */
function anchorEvery(v: string): number {
  const m = /^([1-9][0-9]{0,5})(s|m|h)$/.exec(v);
  const ms = m === null ? Number.NaN : Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
  if (!(ms >= 1000 && ms <= MAX_ANCHOR_EVERY_MS))
    usage('--chain-anchor-every takes a duration such as 30s, 10m or 1h (1 second to a week)');
  return ms;
}

/** Reads the chain options; undefined without `--chain`. */
export function chainFrom(values: Values): ChainSettings | undefined {
  const url = opt(values, 'chain');
  const contracts = opt(values, 'chain-contracts');
  const depth = opt(values, 'chain-confirmations');
  const every = opt(values, 'chain-anchor-every');
  const siweDomain = opt(values, 'chain-siwe-domain');
  if (url === undefined) {
    if (contracts !== undefined || depth !== undefined || every !== undefined || siweDomain !== undefined)
      usage('--chain-contracts, --chain-confirmations, --chain-anchor-every and --chain-siwe-domain need --chain');
    return undefined;
  }
  if (siweDomain !== undefined && !/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(siweDomain))
    usage("--chain-siwe-domain takes a host name, with a port or not (what the players' wallets show)");
  if (url !== 'in-process' && !/^https?:\/\//.test(url)) usage('--chain takes `in-process` or an http(s) JSON-RPC URL');
  let addresses: ChainSettings['contracts'];
  if (contracts !== undefined) {
    const parts = contracts.split(',');
    if ((parts.length !== 3 && parts.length !== 4) || !parts.every((a) => /^0x[0-9a-fA-F]{40}$/.test(a)))
      usage(
        '--chain-contracts takes three or four 0x addresses separated by commas: anchor,agreements,goods[,editions]',
      );
    const [anchor, agreements, goods, editions] = parts as [
      `0x${string}`,
      `0x${string}`,
      `0x${string}`,
      `0x${string}`?,
    ];
    addresses = { anchor, agreements, goods, ...(editions === undefined ? {} : { editions }) };
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
    ...(every === undefined ? {} : { anchorEveryMs: anchorEvery(every) }),
    ...(siweDomain === undefined ? {} : { siweDomain }),
  };
}

/** The KeyStore name of the platform's own chain key. */
export const PLATFORM_KEY = 'chain-platform';

/** The platform's chain account: its key made in the KeyStore on first use, signing there. */
export async function platformAccount(v: Pick<Opened, 'keys'>): Promise<import('viem').LocalAccount> {
  const w = await import('../wallets/index.ts');
  const { publicKey } = w.evmAccountOf(await v.keys.ensureEvmKey(PLATFORM_KEY));
  return w.keyStoreAccount(v.keys, PLATFORM_KEY, publicKey);
}

/**
 * Connects to the chain, starts the indexer in the background (every 2 s, retrying an unavailable
 * node with backoff) and returns the routes' options. `in-process` deploys Verity's contracts on a
 * development chain with its public accounts, and anchors with one of them. On a JSON-RPC chain the
 * platform's account is a secp256k1 key of the data directory's KeyStore (`PLATFORM_KEY`: the key
 * file, the HSM, the key process; never a key on the command line, D297): it sends agreements,
 * revocations, trades and anchors, and its address is printed so that the operator funds it and
 * grants it the anchoring role of the deployed `CheckpointAnchor`.
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
  // The in-process chain's minter and licensor roles are development accounts; on a JSON-RPC chain
  // the platform's account acts in those roles once the contracts' admin grants them (D301).
  let roles: { minter: import('viem').LocalAccount; licensor: import('viem').LocalAccount } | undefined;
  if (s.url === 'in-process') {
    client = await c.ChainClient.inProcess();
    const [admin, anchor, minter, licensor] = client.accounts as import('viem').LocalAccount[];
    if (!admin || !anchor || !minter || !licensor) throw new TypeError('the in-process chain has too few accounts');
    contracts = new c.VerityContracts(
      client,
      await c.deployContracts(client, { admin, anchorer: anchor, minter, licensor }),
    );
    anchorer = anchor;
    roles = { minter, licensor };
    // The platform's account on the development chain: it sends agreements, revocations and trades.
    sender = client.accounts[4];
    const a = contracts.addresses;
    process.stderr.write(
      `verity: in-process chain ${client.chain.id} (development only), contracts ${a.anchor},${a.agreements},${a.goods}${a.editions === undefined ? '' : `,${a.editions}`}\n`,
    );
  } else {
    client = await c.ChainClient.connect(s.url, []);
    contracts = await c.VerityContracts.attach(client, s.contracts as NonNullable<ChainSettings['contracts']>);
    const platform = await platformAccount(v);
    sender = platform;
    anchorer = platform;
    const balance = await client.public.getBalance({ address: platform.address });
    process.stderr.write(
      `verity: chain ${client.chain.id}, the platform's account is ${platform.address}${
        balance === 0n ? ' (no funds yet: fund it to send, and grant it the anchoring role to anchor)' : ''
      }\n`,
    );
  }
  const indexer = new c.ChainIndexer(v.store, v.log, contracts, {
    confirmations: s.confirmations ?? (s.url === 'in-process' ? 0 : 2),
  });
  indexer.start(2000);
  // Anchoring on a schedule (D253): failures are reported here and retried at the next interval.
  const schedule =
    s.anchorEveryMs === undefined || anchorer === undefined
      ? undefined
      : new c.AnchorSchedule(contracts, anchorer, v.log, {
          onError: (e) =>
            process.stderr.write(
              `verity: anchoring failed, retrying in ${s.anchorEveryMs} ms: ${JSON.stringify(
                isVerityError(e) ? e.toJSON() : { error: { code: 'VERITY_E_INTERNAL', message: String(e) } },
              )}\n`,
            ),
        });
  schedule?.start(s.anchorEveryMs as number);
  return {
    routes: {
      state: new c.ChainState(v.store, v.log, client.chain.id),
      contracts,
      indexer,
      ...(anchorer === undefined ? {} : { anchorer }),
      ...(sender === undefined ? {} : { sender }),
      ...(roles ?? {}),
      bindings: new c.AddressBindings(v.store, v.log, client.chain.id, {
        contractWallets: c.contractWalletCheck(client),
      }),
      ...(s.siweDomain === undefined ? {} : { siweDomain: s.siweDomain }),
    },
    async close() {
      await schedule?.stop();
      await indexer.stop();
      await client.close();
    },
  };
}
