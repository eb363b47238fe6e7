/**
 * Verity's view of a chain from `verity serve`/`start`: the `--chain` options, checked, and the
 * indexer and routes they start: the embedded chain of the data directory unless `--chain` names
 * another (D321), none with `--chain none`.
 */

import { join } from 'node:path';
import { ChainError, isVerityError } from '../errors/index.ts';
import type { ServerOptions } from '../server/index.ts';
import { usage, type Values } from './command.ts';
import { type Opened, opt } from './common.ts';

/** `--chain`, `--chain-contracts`, `--chain-confirmations`, checked. */
export interface ChainSettings {
  /** `embedded` (the default: journaled in the data directory), `in-process` (a development chain) or a JSON-RPC URL. */
  readonly url: string;
  /** No `--chain` was given: the embedded chain, left out when another server runs it. */
  readonly byDefault?: true;
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

/** Reads the chain options: the embedded chain without `--chain`, undefined with `--chain none`. */
export function chainFrom(values: Values): ChainSettings | undefined {
  const given = opt(values, 'chain');
  const url = given ?? 'embedded';
  const contracts = opt(values, 'chain-contracts');
  const depth = opt(values, 'chain-confirmations');
  const every = opt(values, 'chain-anchor-every');
  const siweDomain = opt(values, 'chain-siwe-domain');
  if (url === 'none') {
    if (contracts !== undefined || depth !== undefined || every !== undefined || siweDomain !== undefined)
      usage(
        '--chain-contracts, --chain-confirmations, --chain-anchor-every and --chain-siwe-domain need a chain: leave out --chain none',
      );
    return undefined;
  }
  if (siweDomain !== undefined && !/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(siweDomain))
    usage("--chain-siwe-domain takes a host name, with a port or not (what the players' wallets show)");
  const local = url === 'embedded' || url === 'in-process';
  if (!local && !/^https?:\/\//.test(url))
    usage('--chain takes `embedded` (the default), `in-process`, `none` or an http(s) JSON-RPC URL');
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
  if (!local && addresses === undefined) usage('--chain URL needs --chain-contracts anchor,agreements,goods');
  if (local && addresses !== undefined)
    usage(`--chain ${url} deploys its own contracts: leave --chain-contracts out (it takes them with --chain URL)`);
  let confirmations: number | undefined;
  if (depth !== undefined) {
    if (!/^[0-9]{1,4}$/.test(depth)) usage('--chain-confirmations takes a number of blocks, 0 to 1000');
    confirmations = Number(depth);
    if (confirmations > 1000) usage('--chain-confirmations takes a number of blocks, 0 to 1000');
  }
  return {
    url,
    ...(given === undefined ? { byDefault: true as const } : {}),
    ...(addresses === undefined ? {} : { contracts: addresses }),
    ...(confirmations === undefined ? {} : { confirmations }),
    ...(every === undefined ? {} : { anchorEveryMs: anchorEvery(every) }),
    ...(siweDomain === undefined ? {} : { siweDomain }),
  };
}

/** The embedded chain's journal, in the data directory (D321). */
export const EMBEDDED_JOURNAL = 'chain.journal';

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
 * node with backoff) and returns the routes' options.
 * - `embedded` (the default, D321): the data directory's own chain, an in-process EVM replayed from
 *   `chain.journal` at every start; the platform's account (below) holds every role, funded at
 *   genesis, and Verity's contracts are deployed on it at the first start. Refused when the blocks
 *   Verity indexed are not on the replayed chain.
 * - `in-process`: a development chain with its public accounts, lost when the process ends.
 * - a JSON-RPC URL: the platform's account is a secp256k1 key of the data directory's KeyStore
 *   (`PLATFORM_KEY`: the key file, the HSM, the key process; never a key on the command line,
 *   D297): it sends agreements, revocations, trades and anchors, and its address is printed so that
 *   the operator funds it and grants it the anchoring role of the deployed `CheckpointAnchor`.
 */
export async function startChain(
  v: Opened,
  s: ChainSettings,
  dir: string,
): Promise<{ routes: NonNullable<ServerOptions['chain']>; close(): Promise<void> }> {
  const c = await import('../chain/index.ts');
  let client: import('../chain/index.ts').ChainClient;
  let contracts: InstanceType<typeof c.VerityContracts>;
  let anchorer: import('viem').LocalAccount | undefined;
  let sender: import('viem').LocalAccount | undefined;
  // The in-process chain's minter and licensor roles are development accounts; on a JSON-RPC chain
  // the platform's account acts in those roles once the contracts' admin grants them (D301).
  let roles: { minter: import('viem').LocalAccount; licensor: import('viem').LocalAccount } | undefined;
  let embedded: import('../chain/index.ts').EmbeddedChain | undefined;
  if (s.url === 'embedded') {
    const platform = await platformAccount(v);
    embedded = await c.openEmbeddedChain({ file: join(dir, EMBEDDED_JOURNAL), funded: [platform.address] });
    try {
      client = await c.ChainClient.overProvider(embedded.provider, [platform]);
      let addresses = embedded.contracts;
      if (addresses === undefined) {
        addresses = await c.deployContracts(client, {
          admin: platform,
          anchorer: platform,
          minter: platform,
          licensor: platform,
        });
        embedded.recordContracts(addresses);
      }
      contracts = new c.VerityContracts(client, addresses);
    } catch (e) {
      embedded.close();
      throw e;
    }
    sender = platform;
    anchorer = platform;
    roles = { minter: platform, licensor: platform };
    process.stderr.write(
      `verity: embedded chain ${client.chain.id} (${embedded.replayed} transactions replayed from ${EMBEDDED_JOURNAL}), the platform's account is ${platform.address}\n`,
    );
  } else if (s.url === 'in-process') {
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
      `verity: in-process chain ${client.chain.id} (development only, lost when the server stops), contracts ${a.anchor},${a.agreements},${a.goods}${a.editions === undefined ? '' : `,${a.editions}`}\n`,
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
    confirmations: s.confirmations ?? (s.url === 'in-process' || s.url === 'embedded' ? 0 : 2),
  });
  if (embedded !== undefined) {
    // The embedded chain has no reorganizations: a cursor whose block is not on the replayed chain
    // means a journal that lost or changed blocks, and rewinding to it would erase what was indexed.
    const cursor = await indexer.cursor();
    const on =
      cursor?.blockHash == null
        ? true
        : await client.public
            .getBlock({ blockNumber: BigInt(cursor.blockNumber) })
            .then((b) => b.hash.toLowerCase() === cursor.blockHash)
            .catch(() => false);
    if (!on) {
      embedded.close();
      await client.close();
      throw new ChainError(
        'VERITY_E_CHAIN_JOURNAL',
        `the embedded chain's journal ${EMBEDDED_JOURNAL} does not hold block ${cursor?.blockNumber} that Verity indexed: restore the data directory (database and journal together) from a backup, or configure a chain with --chain`,
      );
    }
  }
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
      embedded?.close();
    },
  };
}
