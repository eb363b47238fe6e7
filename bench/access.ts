// Authorization decisions per second and their latency (Cedar, in process).
import {
  type Action,
  DEFAULT_POLICIES,
  PolicyEngine,
  type PrincipalRef,
  type ResourceRef,
} from '../src/access/index.ts';
import type { Figure } from './core.ts';

type Request = readonly [PrincipalRef, Action, ResourceRef];

/**
 * A stream like a world's traffic: services writing their record types for many players, players
 * reading their own records, guardians reading a minor's, and strangers refused. Record ids are
 * all distinct; 2,000 players and 20,000 subjects.
 */
function stream(n: number, prefix = ''): Request[] {
  const record = (id: string, owner: string, type: string, minor = false): ResourceRef => ({
    kind: 'record',
    id,
    owner: { id: owner, minor, guardians: minor ? [`parent-${owner}`] : [] },
    type,
    category: 'profile',
    sensitivity: 'confidential',
  });
  const world: PrincipalRef = { kind: 'service', id: `${prefix}world-eu`, recordTypes: ['position', 'inventory'] };
  // Players are sessions: they reach the record types of the service that opened them.
  const session = (id: string): PrincipalRef => ({
    kind: 'player',
    id,
    recordTypes: ['avatar.profile', 'chat.message'],
  });
  const out: Request[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}rec-${i}`;
    switch (i % 4) {
      case 0:
        out.push([
          world,
          'write',
          record(id, `${prefix}subject-${(i * 7) % 20000}`, i % 8 === 0 ? 'position' : 'inventory'),
        ]);
        break;
      case 1: {
        const player = `${prefix}player-${i % 2000}`;
        out.push([session(player), 'read', record(id, player, 'avatar.profile')]);
        break;
      }
      case 2: {
        const kid = `${prefix}kid-${i % 300}`;
        out.push([session(`parent-${kid}`), 'read', record(id, kid, 'chat.message', true)]);
        break;
      }
      default:
        out.push([session(`${prefix}mallory`), 'read', record(id, `${prefix}player-${i % 2000}`, 'avatar.profile')]);
    }
  }
  return out;
}

export function benchAccess(quick: boolean): Figure[] {
  const n = quick ? 10_000 : 50_000;
  const requests = stream(n);
  const warm = stream(2000, 'warm-');
  // Cedar with the whole policy set and every input of every request (no plans, no cache).
  const whole = measure(PolicyEngine.load(DEFAULT_POLICIES, { reference: true }), warm, requests);
  // Every decision evaluated by Cedar, with the policies and inputs that can matter (no cache).
  const planned = measure(PolicyEngine.load(DEFAULT_POLICIES, { cacheSize: 0 }), warm, requests);
  // The engine as the server runs it: plans and the decision cache, on a fresh engine.
  const engine = measure(PolicyEngine.load(DEFAULT_POLICIES), warm, requests);
  return [
    { name: 'authzDecisionsPerSec', value: engine.perSec, unit: 'decisions/s' },
    { name: 'authzP50Micros', value: engine.p50, unit: 'µs' },
    { name: 'authzP99Micros', value: engine.p99, unit: 'µs' },
    { name: 'authzEvaluatedP99Micros', value: planned.p99, unit: 'µs' },
    { name: 'authzWholeSetP99Micros', value: whole.p99, unit: 'µs' },
    { name: 'authzWholeSetPerSec', value: whole.perSec, unit: 'decisions/s' },
    { name: 'authzSpeedupVsWholeSet', value: engine.perSec / whole.perSec, unit: 'ratio' },
  ];
}

function measure(
  engine: PolicyEngine,
  warm: readonly Request[],
  requests: readonly Request[],
): { perSec: number; p50: number; p99: number } {
  const n = requests.length;
  // Warm the code paths on other principals and subjects, so the measured stream meets a cold cache.
  for (const [p, a, r] of warm) engine.authorize(p, a, r, { purpose: 'service-provision', time: 1 });
  const times = new Float64Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const [p, a, r] = requests[i] as Request;
    const t = performance.now();
    engine.authorize(p, a, r, { purpose: 'service-provision', time: Date.now() });
    times[i] = performance.now() - t;
  }
  const elapsed = (performance.now() - start) / 1000;
  times.sort();
  const pct = (q: number) => (times[Math.min(n - 1, Math.floor(q * n))] as number) * 1000;
  return { perSec: n / elapsed, p50: pct(0.5), p99: pct(0.99) };
}
