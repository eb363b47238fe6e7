// Back-to-back comparison of two builds of ts-mls on one room (the measurements behind D260-D262):
// `MLS_AB_BEFORE=/path/to/other/ts-mls/dist/src/index.js sh scripts/node.sh bench/mls-ab.ts [members] [rounds]`.
// The room (every member updated once, as bench/mls.ts builds it) is made once with the installed
// ts-mls; then each operation runs on the same state with each build in turn (A B A B ...), and
// the medians of wall-clock and CPU time per operation are printed. Both builds must be the same
// ts-mls version (the states are plain data, shared by both). MLS_AB_OPS picks operations.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CiphersuiteImpl, ClientState } from 'ts-mls';
import * as installed from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { addProposals, MLS_SUITE } from '../test/helpers/mls.ts';
import { everyoneUpdated, type Member, member } from './mls.ts';

type Lib = typeof installed;
interface Variant {
  readonly lib: Lib;
  readonly impl: CiphersuiteImpl;
}
const variantOf = async (lib: Lib): Promise<Variant> => ({
  lib,
  impl: await lib.getCiphersuiteImpl(lib.getCiphersuiteFromName(MLS_SUITE), lib.nobleCryptoProvider),
});

const n = Number(process.argv[2] ?? 500);
const rounds = Number(process.argv[3] ?? 5);
const variants: Record<string, Variant> = {};
const before = process.env.MLS_AB_BEFORE;
if (before !== undefined) variants.before = await variantOf((await import(before)) as Lib);
variants.installed = await variantOf(installed);
const { impl } = variants.installed as Variant;

// MLS_AB_ROOM=file keeps the room's two states between runs (the room takes a minute at 500).
const roomFile = process.env.MLS_AB_ROOM;
async function buildRoom(): Promise<{ a: ClientState; b: ClientState }> {
  if (roomFile !== undefined && existsSync(roomFile)) {
    const bytes = new Uint8Array(readFileSync(roomFile));
    const [a, at] = decodeState(bytes, 0);
    return { a, b: decodeState(bytes, at)[0] };
  }
  const built = await freshRoom();
  if (roomFile !== undefined) {
    const a = installed.encodeGroupState(built.a);
    const b = installed.encodeGroupState(built.b);
    const out = new Uint8Array(8 + a.length + b.length);
    new DataView(out.buffer).setUint32(0, a.length);
    out.set(a, 4);
    new DataView(out.buffer).setUint32(4 + a.length, b.length);
    out.set(b, 8 + a.length);
    writeFileSync(roomFile, out);
  }
  return built;
}
function decodeState(bytes: Uint8Array, at: number): [ClientState, number] {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
  const d = installed.decodeGroupState(bytes.subarray(at + 4, at + 4 + len), 0);
  if (d === undefined) throw new Error(`${roomFile} does not hold a room`);
  return [{ ...d[0], clientConfig: defaultClientConfig }, at + 4 + len];
}

async function freshRoom(): Promise<{ a: ClientState; b: ClientState }> {
  const members: Member[] = [];
  for (let i = 0; i < n; i++) members.push(await member(`m${i}`, impl));
  let a = await installed.createGroup(
    crypto.getRandomValues(new Uint8Array(32)),
    (members[0] as Member).kp.publicPackage,
    (members[0] as Member).kp.privatePackage,
    [],
    impl,
  );
  a = (
    await installed.createCommit(
      { state: a, cipherSuite: impl },
      {
        extraProposals: members.slice(1).map((m) => ({ proposalType: 'add', add: { keyPackage: m.kp.publicPackage } })),
      },
    )
  ).newState;
  const t0 = performance.now();
  const built = await everyoneUpdated(impl, a, members);
  console.log(`room of ${n}, every member updated: ${(performance.now() - t0).toFixed(0)} ms`);
  return built;
}
const s = await buildRoom();
const newcomer = await member('newcomer', impl);

const pm = (r: Awaited<ReturnType<Lib['createCommit']>>) => {
  if (r.commit.wireformat !== 'mls_private_message') throw new Error('not a PrivateMessage');
  return r.commit.privateMessage;
};
const commit = (v: Variant, st: ClientState, extraProposals: installed.Proposal[]) =>
  v.lib.createCommit({ state: st, cipherSuite: v.impl }, { extraProposals, ratchetTreeExtension: true });
const addProposal: installed.Proposal = { proposalType: 'add', add: { keyPackage: newcomer.kp.publicPackage } };
const removeProposal: installed.Proposal = { proposalType: 'remove', remove: { removed: 7 } };
const v0 = variants.installed as Variant;
const upd = await commit(v0, s.a, []);
const add = await commit(v0, s.a, [addProposal]);
const rm = await commit(v0, s.a, [removeProposal]);
const app = await installed.createApplicationMessage(s.a, new Uint8Array(100), impl, new Uint8Array(33));
const welcome = add.welcome;
if (welcome === undefined) throw new Error('no Welcome');
const ops: Record<string, (v: Variant) => Promise<unknown>> = {
  updateCommit: (v) => commit(v, s.a, []),
  updateProcess: (v) => v.lib.processPrivateMessage(s.b, pm(upd), installed.emptyPskIndex, v.impl),
  addCommit: (v) => commit(v, s.a, [addProposal]),
  addProcess: (v) => v.lib.processPrivateMessage(s.b, pm(add), installed.emptyPskIndex, v.impl),
  removeCommit: (v) => commit(v, s.a, [removeProposal]),
  removeProcess: (v) => v.lib.processPrivateMessage(s.b, pm(rm), installed.emptyPskIndex, v.impl),
  join: (v) =>
    v.lib.joinGroup(welcome, newcomer.kp.publicPackage, newcomer.kp.privatePackage, installed.emptyPskIndex, v.impl),
  encrypt: (v) => v.lib.createApplicationMessage(s.a, new Uint8Array(100), v.impl, new Uint8Array(33)),
  decrypt: (v) => v.lib.processPrivateMessage(s.b, app.privateMessage, installed.emptyPskIndex, v.impl),
};
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1] as number;
const only = process.env.MLS_AB_OPS?.split(',');
for (const [name, op] of Object.entries(ops)) {
  if (only !== undefined && !only.includes(name)) continue;
  const reps = name === 'encrypt' || name === 'decrypt' ? 50 : 1;
  const wall: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++)
    for (const [key, v] of Object.entries(variants)) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (let k = 0; k < reps; k++) await op(v);
      wall[key]?.push((performance.now() - w0) / reps);
      const c = process.cpuUsage(c0);
      cpu[key]?.push((c.user + c.system) / 1000 / reps);
    }
  console.log(
    name.padEnd(14),
    Object.keys(variants)
      .map((k) => `${k} ${median(wall[k] as number[]).toFixed(2)} ms (cpu ${median(cpu[k] as number[]).toFixed(2)})`)
      .join('  |  '),
  );
}
