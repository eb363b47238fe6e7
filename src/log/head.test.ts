// The start-up check: the head, its right edge, the newest entry and the state root, in time that
// does not grow with the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, makeCore, type TestCore } from '../../test/helpers/core.ts';
import type { Store } from '../store/index.ts';
import { verifyLogHead } from './index.ts';

const A = { actor: 'service:world', purpose: 'service-provision' };

/** A store that counts the log entries and state nodes read through it. */
function counting(store: Store): { store: Store; reads: () => number } {
  let n = 0;
  const reader = new Proxy(store.reader, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === 'getLogEntries')
        return (start: number, end: number) => {
          n += end - start;
          return v.call(target, start, end);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store: { ...store, reader }, reads: () => n };
}

for (const backend of BACKENDS) {
  describe(`the start-up check of the log head on ${backend}`, () => {
    let core: TestCore;
    before(async () => {
      core = await makeCore(backend);
    });
    after(() => core.dispose());

    it('reads a bounded number of entries however long the log', async () => {
      const counts: number[] = [];
      for (const n of [20, 400]) {
        await Promise.all(
          Array.from({ length: n }, (_, i) =>
            core.vault.put({ ...A, subject: `p${i % 7}`, type: 'note', data: { i } }),
          ),
        );
        const c = counting(core.store);
        const r = await verifyLogHead(core.log, c.store);
        assert.equal(r.size, (await core.log.head()).size);
        assert.ok(r.stateRoot !== undefined);
        counts.push(c.reads());
      }
      assert.ok((counts[1] as number) <= Math.max(130, (counts[0] as number) * 2), `entries read: ${counts}`);
    });

    it('refuses a changed checkpoint, right edge, newest entry or state root node', async () => {
      const head = await core.log.head();
      const cases: [string, unknown[], string][] = [
        ['UPDATE t.log_head SET checkpoint = ?', [head.checkpoint.replace(/\n\n/, '\nx\n\n')], 'VERITY_E_LOG_TAMPERED'],
        [
          'UPDATE t.log_head SET frontier = ?',
          [head.frontier.map((b, i) => (i === 0 ? b ^ 1 : b))],
          'VERITY_E_LOG_TAMPERED',
        ],
      ];
      for (const [sql, params, code] of cases) {
        const [row] = await core.sql('SELECT checkpoint, frontier FROM t.log_head');
        await core.sql(sql, params);
        await assert.rejects(verifyLogHead(core.log, core.store), { code });
        await core.sql('UPDATE t.log_head SET checkpoint = ?, frontier = ?', [row?.['checkpoint'], row?.['frontier']]);
      }
      const last = head.size - 1;
      const [entry] = await core.sql('SELECT data FROM t.log_entries WHERE idx = ?', [last]);
      await core.corruptEntry(last, new TextEncoder().encode('{"forged":true}'));
      await assert.rejects(verifyLogHead(core.log, core.store), { code: 'VERITY_E_LOG_TAMPERED' });
      await core.corruptEntry(last, entry?.['data'] as Uint8Array);
      const [root] = await core.sql('SELECT node FROM t.state_nodes WHERE pos = ?', [Uint8Array.of(0)]);
      const node = Uint8Array.from(root?.['node'] as Uint8Array);
      node[node.length - 1] = (node[node.length - 1] as number) ^ 1;
      await core.sql('UPDATE t.state_nodes SET node = ? WHERE pos = ?', [node, Uint8Array.of(0)]);
      await assert.rejects(verifyLogHead(core.log, core.store), { code: 'VERITY_E_STATE_TAMPERED' });
      await core.sql('UPDATE t.state_nodes SET node = ? WHERE pos = ?', [root?.['node'], Uint8Array.of(0)]);
      await verifyLogHead(core.log, core.store);
    });
  });
}
