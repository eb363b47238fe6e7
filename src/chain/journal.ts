// The embedded chain (D321): the in-process EVM kept across restarts. EDR holds its chain in memory
// only, so every transaction it mines is appended to a journal file in the data directory (the
// raw signed transaction, the block time it was mined at, the block number and hash it made) and
// replayed into a fresh EDR chain with the same settings at the next start. The chain is
// deterministic given its settings and the same transactions at the same times, so the replayed
// blocks have the recorded hashes; a journal that does not replay to them (edited, truncated,
// reordered, or from another EDR) is refused at start. Hand-written: EDR keeps no state on disk and
// has no state dump to load (anvil's `anvil_dumpState` is anvil's; a dump would lose the blocks and
// events the indexer follows).
//
// The file: a header line {format, chainId, hardfork, genesisTime, funded}, then one line per
// change: {n, t, tx, h} for a transaction (block number, time, raw transaction, block hash after
// it) and {contracts} once Verity's contracts are deployed. Every request to the chain, reads too,
// goes through one queue, and a transaction's line is on disk (fsync) before its answer or any
// later read: nothing outside this process ever sees a block the journal does not hold, so a crash
// loses only blocks nobody saw. A torn last line (a crash while writing it) is dropped.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EIP1193Provider, Hex } from 'viem';
import { ChainError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { takePidLock } from '../proc/index.ts';
import type { ContractAddresses } from './contracts.ts';
import type { EdrProvider } from './edr.ts';

const FORMAT = 'verity-chain-journal/1';
/**
 * The embedded chain's id: not 31337 of the development chains (`--chain in-process`, loopback
 * nodes), so that an index of one is never read as the other's.
 */
export const EMBEDDED_CHAIN_ID = 0x766572; // "ver"
/** The longest line read back: a raw transaction (a contract deployment is the largest) with its fields. */
const MAX_LINE = 1 << 20;

interface Header {
  readonly format: typeof FORMAT;
  readonly chainId: number;
  readonly hardfork: string;
  readonly genesisTime: number;
  readonly funded: readonly Hex[];
}

interface TxLine {
  readonly n: number;
  readonly t: number;
  readonly tx: Hex;
  readonly h: Hex;
}

type Line = TxLine | { readonly contracts: ContractAddresses };

/** Methods the embedded chain refuses: it takes signed transactions and reads, nothing that changes it otherwise. */
const REFUSED = /^(evm_|hardhat_|anvil_|debug_|personal_|eth_sign|eth_sendTransaction$)/;

function journalError(file: string, why: string, cause?: unknown): ChainError {
  return new ChainError(
    'VERITY_E_CHAIN_JOURNAL',
    `the embedded chain's journal ${file} ${why}: restore it from the backup of this data directory taken with the database, or configure a chain with --chain`,
    cause === undefined ? undefined : { cause },
  );
}

const HEX = /^0x[0-9a-f]*$/;
const HASH = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

function parseHeader(file: string, text: string): Header {
  let h: Partial<Header>;
  try {
    h = JSON.parse(text) as Partial<Header>;
  } catch (e) {
    throw journalError(file, 'has no readable header', e);
  }
  if (
    h.format !== FORMAT ||
    !Number.isSafeInteger(h.chainId) ||
    typeof h.hardfork !== 'string' ||
    !/^[a-z0-9_]{1,32}$/i.test(h.hardfork) ||
    !Number.isSafeInteger(h.genesisTime) ||
    !Array.isArray(h.funded) ||
    !h.funded.every((a) => typeof a === 'string' && ADDRESS.test(a))
  )
    throw journalError(file, `has a header that is not ${FORMAT}`);
  return h as Header;
}

function parseLine(file: string, text: string, at: number): Line {
  let l: Record<string, unknown>;
  try {
    l = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw journalError(file, `has an unreadable line ${at}`, e);
  }
  if ('contracts' in l) {
    const c = l['contracts'] as Record<string, unknown> | null;
    if (
      typeof c === 'object' &&
      c !== null &&
      ['anchor', 'agreements', 'goods', 'editions'].every(
        (k) => (k === 'editions' && c[k] === undefined) || (typeof c[k] === 'string' && ADDRESS.test(c[k] as string)),
      )
    )
      return { contracts: c as unknown as ContractAddresses };
  } else if (
    Number.isSafeInteger(l['n']) &&
    Number.isSafeInteger(l['t']) &&
    typeof l['tx'] === 'string' &&
    HEX.test(l['tx']) &&
    typeof l['h'] === 'string' &&
    HASH.test(l['h'])
  )
    return l as unknown as TxLine;
  throw journalError(file, `has a line ${at} that is neither a transaction nor the contracts`);
}

/** The embedded chain's provider, where Verity's contracts are (once deployed), and its journal. */
export interface EmbeddedChain {
  readonly provider: EIP1193Provider;
  readonly chainId: number;
  /** Where Verity's contracts were deployed; undefined until `recordContracts`. */
  readonly contracts: ContractAddresses | undefined;
  /** Transactions replayed at open. */
  readonly replayed: number;
  /** Notes where Verity's contracts were deployed (once, after deploying them on this chain). */
  recordContracts(c: ContractAddresses): void;
  close(): void;
}

export interface EmbeddedChainOptions {
  /** The journal file (made with the chain when it does not exist). */
  readonly file: string;
  /** Addresses funded at genesis (the platform's account); used only when the journal is made. */
  readonly funded: readonly Hex[];
  /** Seconds since the epoch (default: the system clock). */
  readonly now?: () => number;
}

/**
 * Opens the embedded chain of a data directory: made with its journal on first use, replayed from
 * the journal after. VERITY_E_CHAIN_JOURNAL when the journal does not replay to the blocks it
 * recorded.
 */
export async function openEmbeddedChain(o: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const file = resolve(o.file);
  const release = lock(file);
  try {
    return await open(o, file, now, release);
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * One process at a time serves a journal (two would each append their own blocks): FILE.lock holds
 * the owner's process id; a lock whose process is gone is taken over.
 */
function lock(file: string): () => void {
  const l = takePidLock(`${file}.lock`, { ownIsStale: true });
  if ('busy' in l)
    throw new ChainError(
      'VERITY_E_CHAIN_UNAVAILABLE',
      `process ${l.busy} serves this data directory's embedded chain; stop it first, or start this server with --chain none or another chain`,
      { details: { reason: 'busy', pid: l.busy } },
    );
  return l.release;
}

async function open(
  o: EmbeddedChainOptions,
  file: string,
  now: () => number,
  release: () => void,
): Promise<EmbeddedChain> {
  const { edrChain, latestHardfork, RpcError } = await import('./edr.ts');
  let header: Header;
  let lines: Line[] = [];
  if (!existsSync(file)) {
    header = {
      format: FORMAT,
      chainId: EMBEDDED_CHAIN_ID,
      hardfork: await latestHardfork(),
      genesisTime: now(),
      funded: o.funded.map((a) => a.toLowerCase() as Hex),
    };
    // Written whole or not at all.
    await writeFileAtomic(file, `${JSON.stringify(header)}\n`);
  } else {
    const text = readFileSync(file, 'utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) throw journalError(file, 'has no header line');
    if (end !== text.length - 1) {
      // A torn last line: the process ended while writing it, before anyone saw its block.
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end + 1)));
      fsyncSync(fd);
      closeSync(fd);
    }
    const all = text.slice(0, end).split('\n');
    if (all.some((l) => l.length > MAX_LINE)) throw journalError(file, 'has a line longer than 1 MiB');
    header = parseHeader(file, all[0] as string);
    lines = all.slice(1).map((l, i) => parseLine(file, l, i + 2));
  }
  let raw: EdrProvider;
  try {
    raw = await edrChain([], {
      chainId: BigInt(header.chainId),
      hardfork: header.hardfork,
      genesisTime: BigInt(header.genesisTime),
      funded: header.funded as `0x${string}`[],
      sameTimestamps: true,
    });
  } catch (e) {
    if (e instanceof ChainError) throw e;
    throw journalError(file, `names a chain this EDR cannot make (hardfork ${header.hardfork})`, e);
  }
  const call = (method: string, params: unknown[] = []): Promise<unknown> =>
    (raw.request as (a: { method: string; params: unknown[] }) => Promise<unknown>)({ method, params });
  type Block = { number: Hex; hash: Hex; timestamp: Hex };
  const headOf = (b: Block): { n: number; h: Hex; t: number } => ({
    n: Number(b.number),
    h: b.hash.toLowerCase() as Hex,
    t: Number(b.timestamp),
  });
  const head = async () => headOf((await call('eth_getBlockByNumber', ['latest', false])) as Block);

  // Replay: each transaction at its recorded time, then the block it made must be the recorded one.
  let contracts: ContractAddresses | undefined;
  let replayed = 0;
  let at = await head();
  for (const l of lines) {
    if ('contracts' in l) {
      contracts = l.contracts;
      continue;
    }
    // The time, the transaction and the block it made in one batch: one trip to EDR's thread where
    // three took three (the replay waited on them, not on the work). A batch that failed as a whole
    // (a transaction that reverted, mined or not) is read back as single calls were: the head says
    // whether the transaction made its block, and if it did not, it is sent again on its own.
    const ts = `0x${l.t.toString(16)}`;
    const r = await raw.requestBatch([
      { method: 'evm_setNextBlockTimestamp', params: [ts] },
      { method: 'eth_sendRawTransaction', params: [l.tx] },
      { method: 'eth_getBlockByNumber', params: ['latest', false] },
    ]);
    const block = r?.[2] as Block | undefined;
    at = typeof block?.hash === 'string' ? headOf(block) : await head();
    if (at.n === l.n - 1) {
      await call('evm_setNextBlockTimestamp', [ts]).catch(() => {});
      await call('eth_sendRawTransaction', [l.tx]).catch(() => {});
      at = await head();
    }
    if (at.n !== l.n || at.h !== l.h)
      throw journalError(
        file,
        `does not replay to the block it recorded (block ${l.n}: ${at.n === l.n ? `hash ${at.h}, recorded ${l.h}` : `the chain is at block ${at.n}`})`,
      );
    replayed += 1;
  }

  let fd: number | undefined = openSync(file, 'a', 0o600);
  const append = (l: Line): void => {
    if (fd === undefined) throw journalError(file, 'is closed');
    writeSync(fd, `${JSON.stringify(l)}\n`);
    fsyncSync(fd);
  };
  // The head as this process last saw it: only `send` makes blocks, one at a time in the queue.
  let last = at;
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
  const send = async (tx: unknown): Promise<unknown> => {
    const t = Math.max(now(), last.t);
    await call('evm_setNextBlockTimestamp', [`0x${t.toString(16)}`]);
    let result: unknown;
    let failure: unknown;
    try {
      result = await call('eth_sendRawTransaction', [tx]);
    } catch (e) {
      failure = e;
    }
    const after = await head();
    // A transaction that made a block (mined, even if it reverted) is journaled before anyone hears of it.
    if (after.n !== last.n) {
      append({ n: after.n, t, tx: String(tx).toLowerCase() as Hex, h: after.h });
      last = after;
    }
    if (failure !== undefined) throw failure;
    return result;
  };
  const request = ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    if (REFUSED.test(method))
      return Promise.reject(
        new RpcError({
          code: 4200,
          message: `the embedded chain takes signed transactions and reads only, not ${method.slice(0, 64)}`,
        }),
      );
    const p = (params ?? []) as unknown[];
    if (method === 'eth_sendRawTransaction') return serial(() => send(p[0]));
    return serial(() => call(method, p));
  };
  return {
    provider: { request, on: () => {}, removeListener: () => {} } as unknown as EIP1193Provider,
    chainId: header.chainId,
    get contracts() {
      return contracts;
    },
    replayed,
    recordContracts(c: ContractAddresses): void {
      if (contracts !== undefined) throw new RangeError('the contracts are recorded already');
      const lower = (a: string): Hex => a.toLowerCase() as Hex;
      contracts = {
        anchor: lower(c.anchor),
        agreements: lower(c.agreements),
        goods: lower(c.goods),
        ...(c.editions === undefined ? {} : { editions: lower(c.editions) }),
      };
      append({ contracts });
    },
    close(): void {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      release();
    },
  };
}
