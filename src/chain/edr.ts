// The in-process EVM on Hardhat's EDR alone (D302): an EIP-1193 provider over `@nomicfoundation/edr`
// (a runtime dependency, its native package for the platform), so that `--chain in-process` needs
// neither Hardhat nor its tooling. Written here because EDR's own entry point is a provider factory
// with a configuration object and JSON-RPC strings in and out; Hardhat's wrapper of it is a
// development tool (D187). The chain is a development chain: chain id 31337, the public development
// accounts funded at genesis, every transaction mined at once, nothing kept after the process ends.
import type { EIP1193Provider, LocalAccount } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { ChainError } from '../errors/index.ts';
import { hexToBytes } from './viem.ts';

type Edr = typeof import('@nomicfoundation/edr');

/** The development accounts' balance at genesis: 10,000 of the chain's coin, as Hardhat funds them. */
const BALANCE = 10_000n * 10n ** 18n;
const BLOCK_GAS_LIMIT = 60_000_000n;
const CHAIN_ID = 31_337n;

let context: Promise<{ edr: Edr; context: InstanceType<Edr['EdrContext']> }> | undefined;

/** EDR's context, made once per process (EDR allows one) with the L1 provider factory registered. */
function edrContext(): Promise<{ edr: Edr; context: InstanceType<Edr['EdrContext']> }> {
  if (context === undefined) {
    const made = (async () => {
      const edr = await import('@nomicfoundation/edr');
      const ctx = new edr.EdrContext();
      await ctx.registerProviderFactory(edr.L1_CHAIN_TYPE, edr.l1ProviderFactory());
      return { edr, context: ctx };
    })();
    // A failed load is tried again by the next caller.
    made.catch(() => {
      if (context === made) context = undefined;
    });
    context = made;
  }
  return context;
}

/** An error as a JSON-RPC node answers it (viem reads `code`, `message` and a revert's `data`). */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(e: { code: number; message: string; data?: unknown }) {
    super(e.message);
    this.code = e.code;
    this.data = e.data;
  }
}

/** How a chain is made: everything its blocks depend on, so that the same settings and the same transactions make the same blocks (D321). */
export interface EdrSettings {
  /** Default 31337, as Hardhat's development network. */
  readonly chainId?: bigint;
  /** An L1 hardfork name EDR knows (default: the latest). */
  readonly hardfork?: string;
  /** The genesis block's time, seconds since the epoch (default: now). */
  readonly genesisTime?: bigint;
  /** Addresses funded at genesis whose keys the node does not hold (each with `BALANCE`). */
  readonly funded?: readonly `0x${string}`[];
  /** Blocks may share a timestamp (default false, as Hardhat's development network). */
  readonly sameTimestamps?: boolean;
}

/** The latest L1 hardfork this EDR knows, by name. */
export async function latestHardfork(): Promise<string> {
  const { edr } = await loadEdr();
  return edr.l1HardforkToString(edr.l1HardforkLatest());
}

async function loadEdr(): Promise<Awaited<ReturnType<typeof edrContext>>> {
  try {
    return await edrContext();
  } catch (cause) {
    throw new ChainError(
      'VERITY_E_CHAIN_UNAVAILABLE',
      'the in-process chain needs `@nomicfoundation/edr` and its native package for this platform: reinstall, or configure a chain url',
      { cause },
    );
  }
}

/** The in-process chain's provider, with JSON-RPC batches besides single requests. */
export interface EdrProvider extends EIP1193Provider {
  /**
   * Sends the calls as one JSON-RPC batch, answered in one trip to EDR's thread and run in order:
   * their results, or undefined when the batch failed as a whole (EDR answers a batch in which a
   * call fails with that call's error alone, and which of the calls ran is then unknown).
   */
  requestBatch(
    calls: readonly { readonly method: string; readonly params: readonly unknown[] }[],
  ): Promise<unknown[] | undefined>;
}

/**
 * A fresh chain in this process: the accounts funded at genesis (their keys owned by the node, as
 * `eth_accounts`), the addresses of `settings.funded` funded too, the latest L1 hardfork EDR knows
 * unless the settings name one.
 */
export async function edrChain(accounts: readonly LocalAccount[], settings: EdrSettings = {}): Promise<EdrProvider> {
  const { edr, context: ctx } = await loadEdr();
  const hardfork = settings.hardfork ?? edr.l1HardforkToString(edr.l1HardforkLatest());
  const chainId = settings.chainId ?? CHAIN_ID;
  const genesisState = [
    ...edr.l1GenesisState(edr.l1HardforkFromString(hardfork)),
    ...accounts.map((a) => ({ address: hexToBytes(a.address), balance: BALANCE })),
    ...(settings.funded ?? []).map((a) => ({ address: hexToBytes(a), balance: BALANCE })),
  ];
  const secretKeys = accounts.map((a) => {
    const key = (a as HDAccount).getHdKey?.().privateKey;
    if (key == null) throw new RangeError('the in-process chain takes HD development accounts');
    return `0x${Buffer.from(key).toString('hex')}`;
  });
  const provider = await ctx.createProvider(
    edr.L1_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: settings.sameTimestamps === true,
      allowUnlimitedContractSize: false,
      bailOnCallFailure: true,
      bailOnTransactionFailure: true,
      chainId,
      coinbase: hexToBytes('0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e'),
      defaultTransactionGasLimit: 16_777_216n,
      genesisState,
      hardfork,
      minGasPrice: 0n,
      mining: { autoMine: true, blockGasLimit: BLOCK_GAS_LIMIT, memPool: { order: edr.MineOrdering.Priority } },
      network: {
        genesisBlockGasLimit: BLOCK_GAS_LIMIT,
        ...(settings.genesisTime === undefined ? {} : { genesisBlockTime: settings.genesisTime }),
      },
      networkId: chainId,
      observability: {},
      ownedAccounts: secretKeys,
      precompileOverrides: [],
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => {} },
    { subscriptionCallback: () => {} },
    new edr.ContractDecoder(),
  );
  let id = 0;
  /** Sends JSON-RPC (one call or a batch) and reads the answer, which EDR gives as text or parsed. */
  const send = async (
    body: unknown,
  ): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> => {
    const r = await provider.handleRequest(
      JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)),
    );
    return typeof r.data === 'string' ? JSON.parse(r.data) : r.data;
  };
  const requestBatch = async (
    calls: readonly { readonly method: string; readonly params: readonly unknown[] }[],
  ): Promise<unknown[] | undefined> => {
    const answer = await send(calls.map((c) => ({ jsonrpc: '2.0', id: ++id, method: c.method, params: c.params })));
    return Array.isArray(answer.result) && answer.result.length === calls.length ? answer.result : undefined;
  };
  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const answer = await send({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] });
    if (answer.error !== undefined) {
      // A revert carries its return data (`data.data`): answered as nodes answer a revert, code 3
      // with the data, so that viem decodes the contract's custom error.
      const d = answer.error.data as { data?: unknown } | undefined;
      if (typeof d === 'object' && d !== null && typeof d.data === 'string')
        throw new RpcError({ code: 3, message: 'execution reverted', data: d.data });
      throw new RpcError(answer.error);
    }
    return answer.result;
  };
  return { request, requestBatch, on: () => {}, removeListener: () => {} } as unknown as EdrProvider;
}
