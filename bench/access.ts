// Authorization decisions per second and their latency (Cedar, in process).
import { DEFAULT_POLICIES, PolicyEngine, type PrincipalRef, type ResourceRef } from '../src/access/index.ts';
import type { Figure } from './core.ts';

export function benchAccess(quick: boolean): Figure[] {
  const engine = PolicyEngine.load(DEFAULT_POLICIES);
  const record = (owner: string, type: string): ResourceRef => ({
    kind: 'record',
    id: `r-${owner}`,
    owner: { id: owner, minor: false, guardians: [] },
    type,
    category: 'profile',
    sensitivity: 'confidential',
  });
  const cases: [PrincipalRef, 'read' | 'write', ResourceRef][] = [
    [{ kind: 'player', id: 'alice' }, 'read', record('alice', 'avatar.profile')],
    [{ kind: 'player', id: 'mallory' }, 'read', record('alice', 'avatar.profile')],
    [{ kind: 'service', id: 'world-eu', recordTypes: ['position', 'inventory'] }, 'write', record('bob', 'position')],
    [
      { kind: 'player', id: 'parent' },
      'read',
      {
        kind: 'record',
        id: 'r-kid',
        owner: { id: 'kid', minor: true, guardians: ['parent'] },
        type: 'chat.message',
        category: 'communication',
        sensitivity: 'confidential',
      },
    ],
  ];
  const n = quick ? 10_000 : 50_000;
  const times = new Float64Array(n);
  for (let i = 0; i < 2000; i++) {
    const c = cases[i % cases.length] as (typeof cases)[number];
    engine.authorize(c[0], c[1], c[2], { purpose: 'service-provision', time: Date.now() });
  }
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const c = cases[i % cases.length] as (typeof cases)[number];
    const t = performance.now();
    engine.authorize(c[0], c[1], c[2], { purpose: 'service-provision', time: Date.now() });
    times[i] = performance.now() - t;
  }
  const elapsed = (performance.now() - start) / 1000;
  times.sort();
  const pct = (p: number) => (times[Math.min(n - 1, Math.floor(p * n))] as number) * 1000;
  return [
    { name: 'authzDecisionsPerSec', value: n / elapsed, unit: 'decisions/s' },
    { name: 'authzP50Micros', value: pct(0.5), unit: 'µs' },
    { name: 'authzP99Micros', value: pct(0.99), unit: 'µs' },
  ];
}
