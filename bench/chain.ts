// Smart contracts: gas per mint, transfer (with the licence check, and OpenZeppelin's plain ERC-721
// without it), rental, agreement and anchor, and the same for ERC-1155 goods beside OpenZeppelin's
// plain ERC-1155, in the same run; transactions per second on the
// in-process chain (Hardhat's EDR), on the embedded chain (the same with its journal, D321, and its
// replay at start) and on a `hardhat node` on loopback, one sender, one by one;
// the indexer's lag from a mined revocation to a proven agreement check that refuses (in process,
// confirmation depth 0, SQLite).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, type LocalAccount, toBytes } from 'viem';
import {
  type AgreementTerms,
  ChainClient,
  ChainIndexer,
  ChainState,
  deployContracts,
  deployPlainEditions,
  deployPlainGoods,
  devAccounts,
  Editions,
  itemId,
  openEmbeddedChain,
  PlainEditions,
  PlainGoods,
  VerityContracts,
} from '../src/chain/index.ts';
import { startLoopbackNode } from '../test/helpers/chain-node.ts';
import { benchVerity, type Figure } from './core.ts';

async function setUp(chain: ChainClient): Promise<VerityContracts> {
  const [admin, anchorer, minter, licensor] = chain.accounts as LocalAccount[];
  const v = new VerityContracts(
    chain,
    await deployContracts(chain, {
      admin: admin as LocalAccount,
      anchorer: anchorer as LocalAccount,
      minter: minter as LocalAccount,
      licensor: licensor as LocalAccount,
    }),
  );
  await v.defineLicence(licensor as LocalAccount, 1n, {
    commercialUse: false,
    modification: true,
    resale: true,
    uri: 'ar://cbe-personal',
  });
  return v;
}

/** Anchors `n` checkpoints one after another (roots never all zero, which the contract refuses); returns transactions per second. */
async function anchorRate(
  v: VerityContracts,
  n: number,
  origin: string,
  anchorer = v.chain.accounts[1] as LocalAccount,
): Promise<number> {
  const start = performance.now();
  for (let i = 1; i <= n; i++)
    await v.anchorCheckpoint(anchorer, {
      origin,
      size: i,
      rootHash: new Uint8Array(32).fill((i % 255) + 1),
      extensions: [],
    });
  return n / ((performance.now() - start) / 1000);
}

/**
 * Median milliseconds from a revocation's receipt to an indexed, proven agreement check that
 * refuses: one indexer pass (read the range, one log transaction) and the check with its proofs.
 */
async function indexerLagMs(v: VerityContracts, rounds: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-'));
  const core = await benchVerity(dir, 'chain-index');
  try {
    const ix = new ChainIndexer(core.store, core.log, v, { confirmations: 0, idleCommitMs: 0 });
    const state = new ChainState(core.store, core.log, v.chain.chain.id);
    await ix.sync();
    const [, , , , player, platform] = v.chain.accounts as LocalAccount[];
    const subject = player as LocalAccount;
    const recipient = platform as LocalAccount;
    const lags: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const now = (await v.chain.public.getBlock()).timestamp;
      const terms: AgreementTerms = {
        subject: subject.address,
        recipient: recipient.address,
        purposes: [itemId('lag')],
        categories: [itemId('gameplay')],
        expiry: now + 3600n,
        conditionsHash: keccak256(toBytes('conditions')),
        salt: keccak256(toBytes(`lag ${i}`)),
      };
      const typed = v.agreementTypedData(terms);
      const { id } = await v.createAgreement(
        recipient,
        terms,
        await subject.signTypedData(typed),
        await recipient.signTypedData(typed),
      );
      await ix.sync();
      await v.revokeAgreement(subject, id);
      const start = performance.now();
      await ix.sync();
      const d = await state.agreementPermits(
        { subject: subject.address, recipient: recipient.address, purpose: 'lag', category: 'gameplay' },
        { prove: true },
      );
      lags.push(performance.now() - start);
      if (d.allowed) throw new Error('the revoked agreement still permits');
    }
    lags.sort((x, y) => x - y);
    return lags[Math.floor(lags.length / 2)] as number;
  } finally {
    await core.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Gas of ERC-1155 goods: item creation, mint, transfers under a restrictive and an open licence, rental; the plain ERC-1155 beside. */
async function editionsGas(v: VerityContracts): Promise<Figure[]> {
  const chain = v.chain;
  const [, , minter, licensor, player, platform, creator, other] = chain.accounts as LocalAccount[];
  const a = (x: LocalAccount | undefined) => x as LocalAccount;
  const ed = Editions.of(v);
  // Personal: no commercial use (the commercial-account check runs), resale allowed. Open: everything allowed.
  await ed.defineLicence(a(licensor), 1n, { commercialUse: false, modification: true, resale: true, uri: 'ar://p' });
  await ed.defineLicence(a(licensor), 2n, { commercialUse: true, modification: true, resale: true, uri: 'ar://c' });
  const created = await ed.createEdition(a(minter), a(creator).address, 1n, 500, 1_000_000n);
  const open = await ed.createEdition(a(minter), a(creator).address, 2n, 500, 1_000_000n);
  const minted = await ed.mint(a(minter), a(player).address, created.tokenId, 10n);
  await ed.mint(a(minter), a(player).address, open.tokenId, 10n);
  const licensed = await ed.transfer(a(player), a(player).address, a(other).address, created.tokenId, 3n);
  const openTransfer = await ed.transfer(a(player), a(player).address, a(other).address, open.tokenId, 3n);
  const until = (await chain.public.getBlock()).timestamp + 3600n;
  const rented = await ed.rent(a(player), a(player).address, a(platform).address, created.tokenId, 2n, until);
  const plain = await deployPlainEditions(chain, a(minter));
  const plainMint = await chain.write(a(minter), {
    address: plain,
    abi: PlainEditions.abi,
    functionName: 'mint',
    args: [a(player).address, 1n, 10n],
  });
  const plainTransfer = await chain.write(a(player), {
    address: plain,
    abi: PlainEditions.abi,
    functionName: 'safeTransferFrom',
    args: [a(player).address, a(other).address, 1n, 3n, '0x'],
  });
  return [
    { name: 'chainGasCreateEdition', value: Number(created.receipt.gasUsed), unit: 'gas' },
    { name: 'chainGasMintEdition', value: Number(minted.gasUsed), unit: 'gas' },
    { name: 'chainGasMintPlainErc1155', value: Number(plainMint.gasUsed), unit: 'gas' },
    { name: 'chainGasTransferEditionLicensed', value: Number(licensed.gasUsed), unit: 'gas' },
    { name: 'chainGasTransferEditionOpen', value: Number(openTransfer.gasUsed), unit: 'gas' },
    { name: 'chainGasTransferPlainErc1155', value: Number(plainTransfer.gasUsed), unit: 'gas' },
    { name: 'chainGasRentEdition', value: Number(rented.receipt.gasUsed), unit: 'gas' },
  ];
}

/**
 * The embedded chain (D321): anchors per second with every block journaled and synced before its
 * answer, and transactions per second replayed from the journal at the next start.
 */
async function embeddedRates(n: number): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-embedded-'));
  try {
    const file = join(dir, 'chain.journal');
    const platform = devAccounts(1)[0] as LocalAccount;
    const open = async () => {
      const e = await openEmbeddedChain({ file, funded: [platform.address] });
      return { e, client: await ChainClient.overProvider(e.provider, [platform]) };
    };
    const first = await open();
    let rate: number;
    try {
      const roles = { admin: platform, anchorer: platform, minter: platform, licensor: platform };
      const addresses = await deployContracts(first.client, roles);
      first.e.recordContracts(addresses);
      rate = await anchorRate(new VerityContracts(first.client, addresses), n, 'verity.bench/embedded', platform);
    } finally {
      first.e.close();
      await first.client.close();
    }
    const start = performance.now();
    const again = await open();
    const replaySeconds = (performance.now() - start) / 1000;
    const replayed = again.e.replayed;
    again.e.close();
    await again.client.close();
    return [
      { name: 'chainEmbeddedAnchorsPerSec', value: rate, unit: 'tx/s' },
      { name: 'chainEmbeddedReplayTxPerSec', value: replayed / replaySeconds, unit: 'tx/s' },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchChain(quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  const chain = await ChainClient.inProcess();
  try {
    const v = await setUp(chain);
    const [, anchorer, minter, , player, platform, creator, other] = chain.accounts as LocalAccount[];
    const a = (x: LocalAccount | undefined) => x as LocalAccount;

    // Mints and transfers: VirtualGoods (licence check in _update) beside the plain ERC-721.
    const plain = await deployPlainGoods(chain, a(minter));
    const plainMint = () =>
      chain.write(a(minter), { address: plain, abi: PlainGoods.abi, functionName: 'mint', args: [a(player).address] });
    // Two tokens of each to the same holder, the second measured and then transferred, so that both
    // contracts pay the same storage costs (a balance from 1 to 2 at mint, from 2 to 1 at transfer).
    await plainMint();
    const plainMinted = await plainMint();
    const plainTransfer = await chain.write(a(player), {
      address: plain,
      abi: PlainGoods.abi,
      functionName: 'transferFrom',
      args: [a(player).address, a(other).address, 2n],
    });
    const m1 = await v.mint(a(minter), a(player).address, a(creator).address, 1n, 500);
    const m2 = await v.mint(a(minter), a(player).address, a(creator).address, 1n, 500);
    // With the creation's provenance manifest's digest (D300): one more storage slot and event.
    const m3 = await v.mint(
      a(minter),
      a(player).address,
      a(creator).address,
      1n,
      500,
      `sha256:${Buffer.alloc(32, 9).toString('base64url')}`,
    );
    const transfer = await v.transfer(a(player), a(player).address, a(other).address, m2.tokenId);
    const until = (await chain.public.getBlock()).timestamp + 3600n;
    const rent = await v.rent(a(player), m1.tokenId, a(platform).address, until);
    figures.push(
      { name: 'chainGasMintGood', value: Number(m2.receipt.gasUsed), unit: 'gas' },
      { name: 'chainGasMintGoodWithProvenance', value: Number(m3.receipt.gasUsed), unit: 'gas' },
      { name: 'chainGasMintPlainErc721', value: Number(plainMinted.gasUsed), unit: 'gas' },
      { name: 'chainGasTransferLicensed', value: Number(transfer.gasUsed), unit: 'gas' },
      { name: 'chainGasTransferPlainErc721', value: Number(plainTransfer.gasUsed), unit: 'gas' },
      { name: 'chainGasRental', value: Number(rent.gasUsed), unit: 'gas' },
    );

    // ERC-1155: VirtualEditions (licence checked in _update) beside the plain ERC-1155. Each mint
    // gives 10 units to a holder of none; each transfer moves 3 of them to an account holding none,
    // so that both contracts pay the same storage costs.
    figures.push(...(await editionsGas(v)));

    // An agreement (both EIP-712 signatures checked on chain, one purpose, two categories).
    const terms = {
      subject: a(player).address,
      recipient: a(platform).address,
      purposes: [itemId('analytics')],
      categories: [itemId('gameplay'), itemId('telemetry')],
      expiry: until,
      conditionsHash: keccak256(toBytes('conditions')),
      salt: keccak256(toBytes('bench')),
    };
    const typed = v.agreementTypedData(terms);
    const created = await v.createAgreement(
      a(platform),
      terms,
      await a(player).signTypedData(typed),
      await a(platform).signTypedData(typed),
    );
    figures.push({ name: 'chainGasAgreement', value: Number(created.receipt.gasUsed), unit: 'gas' });

    // Anchors: the first of a log, then a later one (the steady state).
    const first = await v.anchorCheckpoint(a(anchorer), {
      origin: 'verity.bench/gas',
      size: 1,
      rootHash: new Uint8Array(32).fill(1),
      extensions: [],
    });
    const next = await v.anchorCheckpoint(a(anchorer), {
      origin: 'verity.bench/gas',
      size: 2,
      rootHash: new Uint8Array(32).fill(2),
      extensions: [],
    });
    figures.push(
      { name: 'chainGasAnchorFirst', value: Number(first.gasUsed), unit: 'gas' },
      { name: 'chainGasAnchor', value: Number(next.gasUsed), unit: 'gas' },
    );
    figures.push({ name: 'chainIndexerLagMs', value: await indexerLagMs(v, quick ? 5 : 20), unit: 'ms' });
    figures.push({
      name: 'chainInProcessAnchorsPerSec',
      value: await anchorRate(v, quick ? 100 : 500, 'verity.bench/rate'),
      unit: 'tx/s',
    });
  } finally {
    await chain.close();
  }

  figures.push(...(await embeddedRates(quick ? 100 : 500)));
  // The journal's cost as a ratio of the same chain without it, measured in the same run.
  const rate = (name: string) => figures.find((f) => f.name === name)?.value ?? Number.NaN;
  figures.push({
    name: 'chainEmbeddedVsInProcess',
    value: rate('chainEmbeddedAnchorsPerSec') / rate('chainInProcessAnchorsPerSec'),
    unit: 'ratio',
  });

  const node = await startLoopbackNode();
  try {
    const remote = await ChainClient.connect(node.url, devAccounts(4), { pollingMs: 2 });
    const v = await setUp(remote);
    figures.push({
      name: 'chainLoopbackAnchorsPerSec',
      value: await anchorRate(v, quick ? 50 : 200, 'verity.bench/rate'),
      unit: 'tx/s',
    });
  } finally {
    await node.stop();
  }
  return figures;
}

if (import.meta.main) {
  for (const f of await benchChain(process.argv.includes('--quick')))
    process.stdout.write(
      `${f.name.padEnd(30)} ${Math.round(f.value).toLocaleString('en-US').padStart(10)} ${f.unit}\n`,
    );
}
