// Authorization decisions per second and their latency (Cedar, in process).
import { DEFAULT_POLICIES, PolicyEngine, type PrincipalRef, type ResourceRef } from '../src/access/index.ts';
import type { Figure } from './core.ts';

export function benchAccess(quick: boolean): Figure[] {
  // Uncached: every decision evaluated by Cedar (the cost of a first-seen request).
  const uncached = measure(PolicyEngine.load(DEFAULT_POLICIES, { cacheSize: 0 }), quick);
  // Cached: the same requests again (the decision cache's steady state for repeated requests).
  const cached = measure(PolicyEngine.load(DEFAULT_POLICIES), quick);
  return [
    { name: 'authzDecisionsPerSec', value: uncached.perSec, unit: 'decisions/s' },
    { name: 'authzP50Micros', value: uncached.p50, unit: 'µs' },
    { name: 'authzP99Micros', value: uncached.p99, unit: 'µs' },
    { name: 'authzCachedP99Micros', value: cached.p99, unit: 'µs' },
  ];
}

function measure(engine: PolicyEngine, quick: boolean): { perSec: number; p50: number; p99: number } {
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
  return { perSec: n / elapsed, p50: pct(0.5), p99: pct(0.99) };
}
