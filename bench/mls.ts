// End-to-end encrypted rooms (issue 16, FGMV-46 7.2.1): MLS on the code paths the SDK's MlsClient
// uses (ts-mls 1.6.4 with the noble provider, ciphersuite 1). In a room of N members (N = 500; 100
// with --quick): an add, an update and a remove commit and their processing by another member; a
// newcomer's join from a Welcome (with the ratchet tree in it); encrypting and decrypting one
// application message; the fan-out of one franked message to every member through the delivery
// service (SQLite, stamps for each recipient); the key transparency entries of every member proven
// by the service and checked as the SDK checks them on a join. With --mls-full, how add, update, process and join
// grow from 100 to 1,000 members. Printed beside raw Ed25519 signature and X25519 times of the same
// run (WebCrypto's, which the noble provider calls where the platform has them: an application
// message costs one signature, an update commit one HPKE encryption per node of its copath's
// resolutions), and the service's fan-out beside raw SQLite inserts.
//
// The room is made by one commit adding N-1 members, after which the members the bench drives
// (the creator and two others) update once: the other members' paths stay blank, so each update
// path is encrypted to more nodes than in a room where every member updated (an upper bound for
// commit times).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  type CiphersuiteImpl,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  joinGroup,
  type Proposal,
  processPrivateMessage,
} from 'ts-mls';
import { MlsDelivery } from '../src/mls/index.ts';
import { verifyCheckpoint } from '../src/note/index.ts';
import { frankingCommitment, MemoryMlsStorage } from '../src/sdk/mls.ts';
import { GroupStates } from '../src/sdk/mls-state.ts';
import {
  stateDigest,
  stateKey,
  stateProofFromBase64,
  stateRootFromExtensions,
  verifyStateProof,
} from '../src/smt/index.ts';
import { addProposals, basicKeyPackage, keyPackageMessage, type MlsKeys, mlsImpl } from '../test/helpers/mls.ts';
import { benchVerity, type Figure } from './core.ts';

const text = new TextEncoder();

export interface Member {
  readonly id: string;
  readonly kp: MlsKeys;
}

export async function member(id: string, impl: CiphersuiteImpl): Promise<Member> {
  return { id, kp: await basicKeyPackage(id, impl) };
}

/** Wall-clock and CPU time (this process's, user and system) of `f`, in ms: the machine may be shared. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
const time = async <T>(f: () => Promise<T>): Promise<[T, number, number]> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0, cpuMs(c0)];
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** A commit by `by` of `proposals`, processed by `others`; the times of the commit and of one processing. */
async function commitRound(
  impl: CiphersuiteImpl,
  by: ClientState,
  others: ClientState[],
  proposals: Proposal[],
): Promise<{
  by: ClientState;
  others: ClientState[];
  commitMs: number;
  processMs: number;
  commitCpuMs: number;
  processCpuMs: number;
  welcome?: unknown;
}> {
  const [res, commitMs, commitCpuMs] = await time(() =>
    createCommit({ state: by, cipherSuite: impl }, { extraProposals: proposals, ratchetTreeExtension: true }),
  );
  if (res.commit.wireformat !== 'mls_private_message') throw new Error('a commit is a PrivateMessage here');
  const pm = res.commit.privateMessage;
  let processMs = 0;
  let processCpuMs = 0;
  const next: ClientState[] = [];
  for (const [i, o] of others.entries()) {
    const [r, ms, cpu] = await time(() => processPrivateMessage(o, pm, emptyPskIndex, impl));
    if (i === 0) [processMs, processCpuMs] = [ms, cpu];
    next.push(r.newState);
  }
  return { by: res.newState, others: next, commitMs, processMs, commitCpuMs, processCpuMs, welcome: res.welcome };
}

/** Leaf indices 0..n-1 in bit-reversed order: each commit then fills the upper tree for the next. */
function fillOrder(n: number): number[] {
  let bits = 0;
  while (1 << bits < n) bits++;
  const out: number[] = [];
  for (let i = 0; i < 1 << bits; i++) {
    let r = 0;
    for (let k = 0; k < bits; k++) if (i & (1 << k)) r |= 1 << (bits - 1 - k);
    if (r < n) out.push(r);
  }
  return out;
}

/**
 * The room after every member committed an update once, as the driven members see it: `a` (leaf 0,
 * the creator) and `b` (leaf 1). Member i's commit is made by the state member i would hold, built
 * from a's (the epoch's secrets, tree and secret tree are the same for every member) with i's leaf
 * index, signature key and leaf private key: the commit is the one member i makes. Nobody processes
 * it: a's next state is the committer's new state with a's own private keys, those of the nodes the
 * commit replaced on a's direct path taken from the committer's (exactly what a decrypts when
 * processing it). Leaf 1 commits last and its new state is b. So n commits, no processing, and the
 * measured commits, processings and joins that follow check the whole tree built (a join verifies
 * every parent and tree hash).
 */
export async function everyoneUpdated(
  impl: CiphersuiteImpl,
  creatorState: ClientState,
  members: Member[],
): Promise<{ a: ClientState; b: ClientState }> {
  const update = (state: ClientState) =>
    createCommit({ state, cipherSuite: impl }, { extraProposals: [], ratchetTreeExtension: false });
  let a = (await update(creatorState)).newState;
  // Nodes on leaf 0's direct path: 1, 3, 7, ...
  const onCreatorsPath = (node: number) => node > 0 && ((node + 1) & node) === 0;
  const order = fillOrder(members.length).filter((i) => i !== 0 && i !== 1);
  if (members.length > 1) order.push(1);
  let b: ClientState | undefined;
  for (const i of order) {
    const m = members[i] as Member;
    const as: ClientState = {
      ...a,
      signaturePrivateKey: m.kp.privatePackage.signaturePrivateKey,
      privatePath: { leafIndex: i, privateKeys: { [2 * i]: m.kp.privatePackage.hpkePrivateKey } },
    };
    const next = (await update(as)).newState;
    const privateKeys = { ...a.privatePath.privateKeys };
    for (const [node, key] of Object.entries(next.privatePath.privateKeys))
      if (onCreatorsPath(Number(node))) privateKeys[Number(node)] = key;
    a = {
      ...next,
      signaturePrivateKey: a.signaturePrivateKey,
      privatePath: { leafIndex: 0, privateKeys },
    };
    if (i === 1) b = next;
  }
  if (b === undefined) throw new Error('a room of one member');
  for (let node = 1; node < 2 * members.length - 1; node += 2) {
    const p = a.ratchetTree[node];
    if (p?.nodeType !== 'parent' || p.parent.unmergedLeaves.length > 0) throw new Error(`node ${node} is not updated`);
  }
  return { a, b };
}

/** A room of `n` members whose driven members (creator, b, c) each updated once; the figures of one of each commit. */
async function room(n: number, impl: CiphersuiteImpl, delivery?: MlsDelivery) {
  const creator = await member('m0', impl);
  const rest: Member[] = [];
  for (let i = 1; i < n; i++) rest.push(await member(`m${i}`, impl));
  const groupId = crypto.getRandomValues(new Uint8Array(32));
  let a = await createGroup(groupId, creator.kp.publicPackage, creator.kp.privatePackage, [], impl);
  if (delivery !== undefined) {
    for (const m of rest) await delivery.publishKeyPackage(m.id, keyPackageMessage(m.kp.publicPackage));
    // The creator binds the key of its group's leaf, as the SDK does.
    await delivery.registerKey(creator.id, keyPackageMessage(creator.kp.publicPackage));
    await delivery.createRoom(creator.id, groupId);
    for (const m of rest) await delivery.claimKeyPackage(creator.id, m.id);
  }
  const [fill, fillMs] = await time(() =>
    createCommit(
      { state: a, cipherSuite: impl },
      {
        extraProposals: addProposals(rest.map((m) => m.kp)),
        ratchetTreeExtension: true,
      },
    ),
  );
  a = fill.newState;
  const welcome = fill.welcome;
  if (welcome === undefined) throw new Error('no Welcome');
  let fanOut: Uint8Array | undefined;
  if (delivery !== undefined) {
    await delivery.commit(creator.id, groupId, {
      commit: encodeMlsMessage(fill.commit),
      welcome: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome }),
    });
    // A franked message of the epoch the service's room is at, for the fan-out.
    const m = await franked(a, impl, 'fan-out');
    a = m.newState;
    fanOut = encodeMlsMessage({
      version: 'mls10',
      wireformat: 'mls_private_message',
      privateMessage: m.privateMessage,
    });
  }
  const join = (m: Member) => joinGroup(welcome, m.kp.publicPackage, m.kp.privatePackage, emptyPskIndex, impl);
  const [, firstJoinMs] = await time(() => join(rest[0] as Member));
  // Every member updates once (issue 16's room): see everyoneUpdated.
  const [filled, everyoneUpdatedMs] = await time(() => everyoneUpdated(impl, a, [creator, ...rest]));
  let s = filled;
  // Update: three rounds by the creator, the median.
  const updates: number[] = [];
  const processes: number[] = [];
  const updatesCpu: number[] = [];
  const processesCpu: number[] = [];
  for (let k = 0; k < 3; k++) {
    const r = await commitRound(impl, s.a, [s.b], []);
    s = { ...s, a: r.by, b: r.others[0] as ClientState };
    updates.push(r.commitMs);
    processes.push(r.processMs);
    updatesCpu.push(r.commitCpuMs);
    processesCpu.push(r.processCpuMs);
  }
  // Add a newcomer; they join from the Welcome.
  const newcomer = await member(`m${n}`, impl);
  const add = await commitRound(impl, s.a, [s.b], addProposals([newcomer.kp]));
  s = { ...s, a: add.by, b: add.others[0] as ClientState };
  const [joined, joinMs, joinCpuMs] = await time(() =>
    joinGroup(
      add.welcome as Parameters<typeof joinGroup>[0],
      newcomer.kp.publicPackage,
      newcomer.kp.privatePackage,
      emptyPskIndex,
      impl,
    ),
  );
  if (joined.groupContext.epoch !== s.a.groupContext.epoch) throw new Error('the newcomer joined another epoch');
  // Remove the newcomer.
  const leaf = s.a.ratchetTree.findIndex(
    (x) =>
      x?.nodeType === 'leaf' &&
      new TextDecoder().decode((x.leaf.credential as { identity: Uint8Array }).identity) === newcomer.id,
  );
  const remove = await commitRound(impl, s.a, [s.b], [{ proposalType: 'remove', remove: { removed: leaf / 2 } }]);
  s = { ...s, a: remove.by, b: remove.others[0] as ClientState };
  return {
    s,
    fanOut,
    groupId,
    creator: creator.id,
    fillMs,
    firstJoinMs,
    everyoneUpdatedMs,
    addMs: add.commitMs,
    addProcessMs: add.processMs,
    updateMs: median(updates),
    updateProcessMs: median(processes),
    removeMs: remove.commitMs,
    removeProcessMs: remove.processMs,
    joinMs,
    cpu: {
      addCommit: add.commitCpuMs,
      addProcess: add.processCpuMs,
      updateCommit: median(updatesCpu),
      updateProcess: median(processesCpu),
      removeCommit: remove.commitCpuMs,
      removeProcess: remove.processCpuMs,
      join: joinCpuMs,
    },
  };
}

/** One franked application message of `state` (as MlsClient.send makes it). */
async function franked(state: ClientState, impl: CiphersuiteImpl, body: string) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const b = text.encode(body);
  const content = new Uint8Array(33 + b.length);
  content[0] = 1;
  content.set(key, 1);
  content.set(b, 33);
  const aad = new Uint8Array(33);
  aad[0] = 1;
  aad.set(frankingCommitment(key, b), 1);
  return createApplicationMessage(state, content, impl, aad);
}

/**
 * Raw per-operation times, in this run, of the primitives ts-mls's noble provider calls where the
 * platform has them: WebCrypto Ed25519 (its signatures) and X25519 (through @hpke/core, its HPKE).
 */
async function rawCurves(ms: number): Promise<{ signMs: number; verifyMs: number; x25519Ms: number }> {
  const per = async (f: () => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await f();
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      await f();
      n++;
    }
    return (performance.now() - t0) / n;
  };
  const subtle = crypto.subtle;
  const ed = (await subtle.generateKey('Ed25519', false, [
    'sign',
    'verify',
  ])) as import('node:crypto').webcrypto.CryptoKeyPair;
  const msg = new Uint8Array(200).fill(3);
  const sig = await subtle.sign('Ed25519', ed.privateKey, msg);
  const a = (await subtle.generateKey('X25519', false, [
    'deriveBits',
  ])) as import('node:crypto').webcrypto.CryptoKeyPair;
  const b = (await subtle.generateKey('X25519', false, [
    'deriveBits',
  ])) as import('node:crypto').webcrypto.CryptoKeyPair;
  return {
    signMs: await per(() => subtle.sign('Ed25519', ed.privateKey, msg)),
    verifyMs: await per(() => subtle.verify('Ed25519', ed.publicKey, sig, msg)),
    x25519Ms: await per(() => subtle.deriveBits({ name: 'X25519', public: b.publicKey }, a.privateKey, 256)),
  };
}

/** SQLite inserts of 300-byte rows per second, one transaction of 500 (the fan-out's raw limit). */
function rawSqliteInsertsPerSec(dir: string): number {
  const db = new DatabaseSync(join(dir, 'raw.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)');
  const ins = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const v = new Uint8Array(300).fill(1);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300) {
    db.exec('BEGIN');
    for (let i = 0; i < 500; i++) ins.run(`k${n++}`, v);
    db.exec('COMMIT');
  }
  const perSec = n / ((performance.now() - t0) / 1000);
  db.close();
  return perSec;
}

export async function benchMls(quick: boolean, full: boolean): Promise<Figure[]> {
  const impl = await mlsImpl();
  const n = quick ? 100 : 500;
  const dir = await mkdtemp(join(tmpdir(), 'verity-bench-mls-'));
  const v = await benchVerity(dir, 'mls');
  const figures: Figure[] = [];
  try {
    const delivery = new MlsDelivery({ store: v.store, log: v.log, keys: v.keys });
    const r = await room(n, impl, delivery);
    // Encrypt and decrypt one message: 200 of each, per message.
    const count = quick ? 50 : 200;
    let a = r.s.a;
    let b = r.s.b;
    const pms = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const m = await franked(a, impl, `message ${i}`);
      a = m.newState;
      pms.push(m.privateMessage);
    }
    const encryptMs = (performance.now() - t0) / count;
    const encryptCpuMs = cpuMs(c0) / count;
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    for (const pm of pms) b = (await processPrivateMessage(b, pm, emptyPskIndex, impl)).newState;
    const decryptMs = (performance.now() - t1) / count;
    const decryptCpuMs = cpuMs(c1) / count;
    // The SDK client keeps each new state before it sends or after it receives (D294): the save
    // after one message, beside encoding the whole state as a save did before.
    const kept = await GroupStates.load(new MemoryMlsStorage());
    await kept.save('bench', b);
    const saves: number[] = [];
    for (let i = 0; i < 20; i++) {
      a = (await franked(a, impl, `saved ${i}`)).newState;
      const t = performance.now();
      await kept.save('bench', a);
      saves.push(performance.now() - t);
    }
    const t3 = performance.now();
    const wholeBytes = encodeGroupState(a).length;
    const wholeEncodeMs = performance.now() - t3;
    // Fan-out: the service's room holds the n members of the first commit; one franked message of
    // its epoch, posted `rounds` times (the service's work: a stamp and a queued row per member).
    const msg = r.fanOut as Uint8Array;
    const rounds = quick ? 3 : 10;
    let delivered = 0;
    const t2 = performance.now();
    for (let i = 0; i < rounds; i++) delivered += (await delivery.send(r.creator, r.groupId, msg)).delivered;
    const fanOutMs = (performance.now() - t2) / rounds;
    // Key transparency: the entries of every member proven under the checkpoint (the service's
    // work), then checked as the SDK checks them on a join (each proof to the state root, each
    // object's digest), best of three.
    const identities = Array.from({ length: n }, (_, i) => `m${i}`);
    let ktServeMs = Number.POSITIVE_INFINITY;
    let ktVerifyMs = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const [proofs, ms] = await time(() => delivery.keyProofs(identities));
      ktServeMs = Math.min(ktServeMs, ms);
      const t3 = performance.now();
      const root = stateRootFromExtensions(verifyCheckpoint(proofs.checkpoint, v.log.verifier).checkpoint.extensions);
      for (const e of proofs.entries) {
        const value = verifyStateProof(
          root as Uint8Array,
          stateKey('object.mls.keys', e.identity),
          stateProofFromBase64(e.proof),
        );
        const o = e.object;
        if (o === undefined || value === undefined) throw new Error('a member has no key entry');
        const d = stateDigest('object', ['mls.keys', o.id, o.owner, o.body, o.version, o.updatedAt]);
        if (Buffer.compare(Buffer.from(d), Buffer.from(value)) !== 0) throw new Error('a key entry does not verify');
      }
      ktVerifyMs = Math.min(ktVerifyMs, performance.now() - t3);
    }
    const raw = await rawCurves(300);
    const rawInserts = rawSqliteInsertsPerSec(dir);
    const deliveriesPerSec = delivered / ((fanOutMs * rounds) / 1000);
    figures.push(
      { name: 'mlsRoomMembers', value: n, unit: 'members' },
      { name: 'mlsAddCommitMs', value: r.addMs, unit: 'ms' },
      { name: 'mlsAddProcessMs', value: r.addProcessMs, unit: 'ms' },
      { name: 'mlsUpdateCommitMs', value: r.updateMs, unit: 'ms' },
      { name: 'mlsUpdateProcessMs', value: r.updateProcessMs, unit: 'ms' },
      { name: 'mlsRemoveCommitMs', value: r.removeMs, unit: 'ms' },
      { name: 'mlsRemoveProcessMs', value: r.removeProcessMs, unit: 'ms' },
      { name: 'mlsJoinMs', value: r.joinMs, unit: 'ms' },
      { name: 'mlsAddAllInOneCommitMs', value: r.fillMs, unit: 'ms' },
      { name: 'mlsEveryoneUpdatedMs', value: r.everyoneUpdatedMs, unit: 'ms' },
      { name: 'mlsEncryptMs', value: encryptMs, unit: 'ms' },
      { name: 'mlsDecryptMs', value: decryptMs, unit: 'ms' },
      { name: 'mlsClientSaveAfterMessageMs', value: median(saves), unit: 'ms' },
      { name: 'mlsWholeStateEncodeMs', value: wholeEncodeMs, unit: 'ms' },
      { name: 'mlsWholeStateBytes', value: wholeBytes, unit: 'bytes' },
      // The same operations in CPU time, comparable on a shared machine.
      ...Object.entries(r.cpu).map(([k, value]) => ({
        name: `mls${k[0]?.toUpperCase()}${k.slice(1)}CpuMs`,
        value,
        unit: 'ms',
      })),
      { name: 'mlsEncryptCpuMs', value: encryptCpuMs, unit: 'ms' },
      { name: 'mlsDecryptCpuMs', value: decryptCpuMs, unit: 'ms' },
      { name: 'mlsKeyProofsServeMs', value: ktServeMs, unit: 'ms' },
      { name: 'mlsKeyProofsVerifyMs', value: ktVerifyMs, unit: 'ms' },
      { name: 'mlsFanOutMs', value: fanOutMs, unit: 'ms' },
      { name: 'mlsFanOutsPerSec', value: 1000 / fanOutMs, unit: 'messages/s' },
      { name: 'mlsFanOutDeliveriesPerSec', value: deliveriesPerSec, unit: 'deliveries/s' },
      { name: 'rawEd25519SignMs', value: raw.signMs, unit: 'ms' },
      { name: 'rawEd25519VerifyMs', value: raw.verifyMs, unit: 'ms' },
      { name: 'rawX25519Ms', value: raw.x25519Ms, unit: 'ms' },
      { name: 'rawSqliteRowInsertsPerSec', value: rawInserts, unit: 'rows/s' },
      // An application message: one signature, one AEAD and a few hashes.
      { name: 'mlsEncryptVsEd25519Sign', value: encryptMs / raw.signMs, unit: 'ratio' },
      { name: 'mlsDecryptVsEd25519Verify', value: decryptMs / raw.verifyMs, unit: 'ratio' },
      // An update commit in X25519 operations' time (HPKE to each copath resolution, one DH each).
      { name: 'mlsUpdateCommitInX25519Ops', value: r.updateMs / raw.x25519Ms, unit: 'ops' },
      { name: 'mlsFanOutDeliveriesVsRawInserts', value: deliveriesPerSec / rawInserts, unit: 'ratio' },
    );
    if (full)
      for (const size of [100, 250, 500, 1000]) {
        const g = size === n ? r : await room(size, impl);
        figures.push(
          { name: `mlsGrowth${size}AddCommitMs`, value: g.addMs, unit: 'ms' },
          { name: `mlsGrowth${size}UpdateCommitMs`, value: g.updateMs, unit: 'ms' },
          { name: `mlsGrowth${size}UpdateProcessMs`, value: g.updateProcessMs, unit: 'ms' },
          { name: `mlsGrowth${size}JoinMs`, value: g.joinMs, unit: 'ms' },
          { name: `mlsGrowth${size}UpdateCommitCpuMs`, value: g.cpu.updateCommit, unit: 'ms' },
          { name: `mlsGrowth${size}JoinCpuMs`, value: g.cpu.join, unit: 'ms' },
        );
      }
  } finally {
    await v.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const full = process.argv.includes('--mls-full');
  for (const f of await benchMls(quick, full)) console.log(`${f.name.padEnd(34)} ${f.value.toFixed(3)} ${f.unit}`);
}
