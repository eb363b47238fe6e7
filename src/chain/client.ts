// A chain client on viem: the in-process EVM (Hardhat's EDR, the embedded default) or any EVM
// JSON-RPC endpoint. Transactions are signed locally by the accounts given, their nonces assigned in
// order per sender, their gas estimated with a margin; reverts become typed ChainErrors.
import type {
  Abi,
  Chain,
  EIP1193Provider,
  Hex,
  LocalAccount,
  PublicClient,
  TransactionReceipt,
  Transport,
  WalletClient,
} from 'viem';
import { ChainError, type ErrorCode, quote } from '../errors/index.ts';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  HttpRequestError,
  http,
  InsufficientFundsError,
  mnemonicToAccount,
} from './viem.ts';

/**
 * The public mnemonic of development chains (Hardhat, anvil): its accounts are funded there. For the
 * in-process chain and tests only; a real chain gets the platform's own accounts.
 */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** The first `count` accounts of the development mnemonic (funded on the in-process chain and on loopback nodes). */
export function devAccounts(count = 10): LocalAccount[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > 20) throw new RangeError('count must be 1 to 20');
  return Array.from({ length: count }, (_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }));
}

export interface ChainClientOptions {
  /** How often a receipt is polled for, in milliseconds (default 250; a few ms on a local node). */
  readonly pollingMs?: number;
  /** The gas estimate is multiplied by this (default 1.2: some nodes estimate low). */
  readonly gasMultiplier?: number;
  /** How long a receipt is waited for, in milliseconds (default 60 000). */
  readonly receiptTimeoutMs?: number;
}

/** A contract call: the contract's address and ABI, a function and its arguments. */
export interface ContractCall {
  readonly address: Hex;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args?: readonly unknown[];
}

/** Contract errors and the Verity codes they become. */
const REVERT_CODES: Record<string, ErrorCode> = {
  AccessControlUnauthorizedAccount: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  NotAParty: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  NotOwnerNorApproved: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  ERC721InsufficientApproval: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  ERC721IncorrectOwner: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  ERC1155MissingApprovalForAll: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  RentalNotOver: 'VERITY_E_CHAIN_NOT_AUTHORIZED',
  LicenceForbidsResale: 'VERITY_E_CHAIN_LICENCE_REFUSED',
  LicenceForbidsCommercialUse: 'VERITY_E_CHAIN_LICENCE_REFUSED',
  TreeSizeNotIncreasing: 'VERITY_E_CHAIN_ANCHOR_STALE',
  InvalidSignature: 'VERITY_E_CHAIN_AGREEMENT_INVALID',
  InvalidParties: 'VERITY_E_CHAIN_AGREEMENT_INVALID',
  InvalidItems: 'VERITY_E_CHAIN_AGREEMENT_INVALID',
  AlreadyExpired: 'VERITY_E_CHAIN_AGREEMENT_INVALID',
  AgreementExists: 'VERITY_E_CHAIN_CONFLICT',
  AlreadyRevoked: 'VERITY_E_CHAIN_CONFLICT',
  LicenceExists: 'VERITY_E_CHAIN_CONFLICT',
};

/** Turns a viem failure into a ChainError: a decoded contract error, or an unreachable node. */
export function toChainError(e: unknown, what: string): ChainError {
  if (e instanceof ChainError) return e;
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? revert.reason ?? 'unknown';
      const code = REVERT_CODES[name] ?? 'VERITY_E_CHAIN_REVERTED';
      return new ChainError(code, `${what} refused by the contract: ${quote(name)}`, {
        cause: e,
        details: { error: name },
      });
    }
    // viem's own class where the node's message is the usual one; Hardhat and others say it in their words.
    if (
      e.walk((x) => x instanceof InsufficientFundsError) instanceof InsufficientFundsError ||
      /insufficient funds|(doesn't|does not) have enough funds/i.test(`${e.details} ${e.message}`)
    )
      return new ChainError(
        'VERITY_E_CHAIN_NO_FUNDS',
        `${what} failed: the sending account cannot pay for the gas; fund it on the chain, then retry`,
        { cause: e },
      );
    const http = e.walk((x) => x instanceof HttpRequestError);
    if (http instanceof HttpRequestError || /fetch failed/.test(e.message)) {
      // The node's address, so that the one to check is named (D415).
      const at = http instanceof HttpRequestError && typeof http.url === 'string' ? ` at ${quote(http.url)}` : '';
      return new ChainError(
        'VERITY_E_CHAIN_UNAVAILABLE',
        `${what} failed: the chain node${at} did not answer; check that it runs and its URL`,
        { cause: e },
      );
    }
  }
  return new ChainError('VERITY_E_CHAIN_REVERTED', `${what} failed: ${quote(String((e as Error)?.message ?? e))}`, {
    cause: e,
  });
}

interface SenderQueue {
  next: number | undefined;
  tail: Promise<unknown>;
}

/**
 * One chain, its accounts, and transactions sent in nonce order per sender.
 *
 * @example
 * const chain = await ChainClient.inProcess();
 * const [admin] = chain.accounts;
 * const receipt = await chain.write(admin, { address, abi, functionName: 'anchor', args });
 * await chain.close();
 */
export class ChainClient {
  readonly public: PublicClient<Transport, Chain>;
  readonly accounts: readonly LocalAccount[];
  readonly chain: Chain;
  readonly #transport: Transport;
  readonly #wallets = new Map<string, WalletClient<Transport, Chain, LocalAccount>>();
  readonly #queues = new Map<string, SenderQueue>();
  readonly #gasMultiplier: number;
  readonly #pollingMs: number;
  readonly #receiptTimeoutMs: number;
  readonly #onClose: () => Promise<void>;

  private constructor(
    transport: Transport,
    chain: Chain,
    accounts: readonly LocalAccount[],
    options: ChainClientOptions,
    onClose: () => Promise<void>,
  ) {
    this.#transport = transport;
    this.chain = chain;
    this.accounts = accounts;
    this.#gasMultiplier = options.gasMultiplier ?? 1.2;
    this.#pollingMs = options.pollingMs ?? 250;
    this.#receiptTimeoutMs = options.receiptTimeoutMs ?? 60_000;
    if (!(this.#gasMultiplier >= 1 && this.#gasMultiplier <= 3)) throw new RangeError('gasMultiplier must be 1 to 3');
    if (!(this.#pollingMs >= 1 && this.#pollingMs <= 60_000)) throw new RangeError('pollingMs must be 1 to 60000');
    this.#onClose = onClose;
    this.public = createPublicClient({ chain, transport, pollingInterval: this.#pollingMs }) as PublicClient<
      Transport,
      Chain
    >;
  }

  static async #make(
    transport: Transport,
    accounts: readonly LocalAccount[],
    options: ChainClientOptions,
    onClose: () => Promise<void>,
  ): Promise<ChainClient> {
    let id: number;
    try {
      id = await createPublicClient({ transport }).getChainId();
    } catch (e) {
      await onClose();
      throw toChainError(e, 'reading the chain id');
    }
    const chain = defineChain({
      id,
      name: `chain ${id}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [] } },
    });
    return new ChainClient(transport, chain, accounts, options, onClose);
  }

  /**
   * The in-process EVM (Hardhat's EDR): a fresh chain in this process, its development accounts
   * funded, every transaction mined at once, nothing kept after the process (the embedded default
   * that `verity serve` starts is this chain with a journal: `openEmbeddedChain`).
   */
  static async inProcess(options: ChainClientOptions & { accounts?: number } = {}): Promise<ChainClient> {
    // Loaded on first use only: a configured JSON-RPC chain never needs EDR's native module (D302).
    const { edrChain } = await import('./edr.ts');
    const accounts = devAccounts(options.accounts ?? 10);
    return ChainClient.overProvider(await edrChain(accounts), accounts, options);
  }

  /**
   * A chain behind an EIP-1193 provider in this process (the embedded chain, `openEmbeddedChain`),
   * with the accounts that will sign.
   */
  static async overProvider(
    provider: EIP1193Provider,
    accounts: readonly LocalAccount[],
    options: ChainClientOptions = {},
  ): Promise<ChainClient> {
    const transport = custom(provider, { retryCount: 0 });
    return ChainClient.#make(transport, accounts, { pollingMs: 1, ...options }, async () => {});
  }

  /** Any EVM JSON-RPC endpoint (`http://` or `https://`), with the accounts that will sign. */
  static async connect(
    url: string,
    accounts: readonly LocalAccount[],
    options: ChainClientOptions = {},
  ): Promise<ChainClient> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RangeError('the chain url is not a url');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new RangeError('the chain url must be http: or https:');
    const transport = http(url, { retryCount: 0, timeout: 30_000 });
    return ChainClient.#make(transport, accounts, options, async () => {});
  }

  #wallet(account: LocalAccount): WalletClient<Transport, Chain, LocalAccount> {
    let w = this.#wallets.get(account.address);
    // The account object itself, not only its address: a custodial wallet's account carries the
    // guard of one confirmed action, and the next action's account has its own (D322).
    if (w === undefined || w.account !== account) {
      w = createWalletClient({ account, chain: this.chain, transport: this.#transport });
      this.#wallets.set(account.address, w);
    }
    return w;
  }

  /**
   * Runs `send` with the sender's next nonce, one send at a time per sender (concurrent sends from
   * one account would otherwise race for the same nonce). The nonce is read from the chain's pending
   * state the first time and after a failed send, and counted locally otherwise.
   */
  async #inOrder<T>(sender: LocalAccount, send: (nonce: number) => Promise<T>): Promise<T> {
    const key = sender.address.toLowerCase();
    let q = this.#queues.get(key);
    if (!q) {
      q = { next: undefined, tail: Promise.resolve() };
      this.#queues.set(key, q);
    }
    const queue = q;
    const run = queue.tail.then(async () => {
      if (queue.next === undefined)
        queue.next = await this.public.getTransactionCount({ address: sender.address, blockTag: 'pending' });
      try {
        const result = await send(queue.next);
        queue.next += 1;
        return result;
      } catch (e) {
        queue.next = undefined;
        throw e;
      }
    });
    queue.tail = run.catch(() => {});
    return run;
  }

  /** Sends a contract transaction and waits for its receipt; a revert is a typed ChainError. */
  async write(sender: LocalAccount, call: ContractCall): Promise<TransactionReceipt> {
    const what = `${call.functionName}`;
    let hash: Hex;
    try {
      hash = await this.#inOrder(sender, async (nonce) => {
        // The estimate simulates the call: a revert surfaces here, decoded, and uses no nonce.
        const gas = await this.public.estimateContractGas({
          account: sender,
          address: call.address,
          abi: call.abi,
          functionName: call.functionName,
          args: call.args ?? [],
        });
        return this.#wallet(sender).writeContract({
          address: call.address,
          abi: call.abi,
          functionName: call.functionName,
          args: call.args ?? [],
          nonce,
          gas: (gas * BigInt(Math.round(this.#gasMultiplier * 100))) / 100n,
        } as never);
      });
    } catch (e) {
      throw toChainError(e, what);
    }
    return this.#receipt(hash, what);
  }

  /**
   * Pays `account` what it lacks to send `call` itself (D298): the call's gas as estimated from
   * `account`, with the client's margin, at the chain's current maximum fee, less its balance.
   * Returns the wei sent (0 when the balance covers it), after the transfer is mined; more than
   * `maxWei` is refused with VERITY_E_CHAIN_NO_FUNDS and nothing is sent.
   */
  async fundFor(funder: LocalAccount, account: Hex, call: ContractCall, maxWei: bigint): Promise<bigint> {
    const what = `paying the gas of ${call.functionName}`;
    let need: bigint;
    try {
      const gas = await this.public.estimateContractGas({
        account,
        address: call.address,
        abi: call.abi,
        functionName: call.functionName,
        args: call.args ?? [],
      } as never);
      const fees = await this.public.estimateFeesPerGas();
      const perGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
      need = ((gas * BigInt(Math.round(this.#gasMultiplier * 100))) / 100n) * perGas;
    } catch (e) {
      throw toChainError(e, what);
    }
    const balance = await this.public.getBalance({ address: account });
    if (balance >= need) return 0n;
    const missing = need - balance;
    if (missing > maxWei)
      throw new ChainError(
        'VERITY_E_CHAIN_NO_FUNDS',
        `${what} would take ${missing} wei, over the ${maxWei} wei the platform pays at once; raise the limit or fund the account`,
      );
    let hash: Hex;
    try {
      hash = await this.#inOrder(funder, (nonce) =>
        this.#wallet(funder).sendTransaction({ to: account, value: missing, nonce } as never),
      );
    } catch (e) {
      throw toChainError(e, what);
    }
    await this.#receipt(hash, what);
    return missing;
  }

  /** Deploys a contract and returns its address. */
  async deploy(sender: LocalAccount, abi: Abi, bytecode: Hex, args: readonly unknown[] = []): Promise<Hex> {
    let hash: Hex;
    try {
      hash = await this.#inOrder(sender, (nonce) =>
        this.#wallet(sender).deployContract({ abi, bytecode, args, nonce } as never),
      );
    } catch (e) {
      throw toChainError(e, 'deploying a contract');
    }
    const receipt = await this.#receipt(hash, 'deploying a contract');
    if (!receipt.contractAddress)
      throw new ChainError('VERITY_E_CHAIN_REVERTED', 'deploying a contract gave no contract address');
    return receipt.contractAddress;
  }

  /** Calls a view function. */
  async read<T>(call: ContractCall): Promise<T> {
    try {
      return (await this.public.readContract({
        address: call.address,
        abi: call.abi,
        functionName: call.functionName,
        args: call.args ?? [],
      })) as T;
    } catch (e) {
      throw toChainError(e, call.functionName);
    }
  }

  async #receipt(hash: Hex, what: string): Promise<TransactionReceipt> {
    let receipt: TransactionReceipt;
    try {
      receipt = await this.public.waitForTransactionReceipt({
        hash,
        pollingInterval: this.#pollingMs,
        timeout: this.#receiptTimeoutMs,
      });
    } catch (e) {
      throw toChainError(e, what);
    }
    if (receipt.status !== 'success')
      throw new ChainError('VERITY_E_CHAIN_REVERTED', `${what} reverted on chain in transaction ${hash}`, {
        details: { transaction: hash },
      });
    return receipt;
  }

  /** Checks that contract code exists at an address. */
  async requireCode(address: Hex, name: string): Promise<void> {
    let code: Hex | undefined;
    try {
      code = await this.public.getCode({ address });
    } catch (e) {
      throw toChainError(e, `reading the code of ${name}`);
    }
    if (!code || code === '0x')
      throw new ChainError(
        'VERITY_E_CHAIN_NOT_DEPLOYED',
        `no ${name} contract at ${address} on chain ${this.chain.id}`,
      );
  }

  /**
   * Forgets the nonces counted locally: the next send of each account reads its nonce from the
   * chain again. Needed after a reorganization dropped sent transactions.
   */
  resetNonces(): void {
    for (const q of this.#queues.values()) q.next = undefined;
  }

  /** Development chains only (in-process, Hardhat node, anvil): a snapshot of the chain state. */
  async snapshot(): Promise<Hex> {
    try {
      return (await this.public.request({ method: 'evm_snapshot' } as never)) as Hex;
    } catch (e) {
      throw toChainError(e, 'evm_snapshot');
    }
  }

  /**
   * Development chains only: goes back to a snapshot, the blocks after it dropped (a reorganization
   * as the chain's readers see it). The local nonces are reset.
   */
  async revertTo(snapshot: Hex): Promise<void> {
    let ok: unknown;
    try {
      ok = await this.public.request({ method: 'evm_revert', params: [snapshot] } as never);
    } catch (e) {
      throw toChainError(e, 'evm_revert');
    }
    this.resetNonces();
    if (ok !== true)
      throw new ChainError('VERITY_E_CHAIN_REVERTED', `the chain did not revert to snapshot ${quote(snapshot)}`);
  }

  /** Closes the connection (the in-process chain is discarded). */
  async close(): Promise<void> {
    await this.#onClose();
  }
}
