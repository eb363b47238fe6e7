// The operators' history of retention runs and key rotations over HTTP, on SQLite and PostgreSQL:
// refused without `trust.read` (and without a token), each real run and rotation listed newest
// first as a proven entry the SDK verifies against the signed checkpoint, paging with `before`,
// bounds on `limit` and `kind` refused, and a tampered entry flagged by the verifier.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { fromBase64, toBase64 } from '../src/encoding/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { inspectProvenEntries } from '../src/sdk/index.ts';
import { buildServer } from '../src/server/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

type App = ReturnType<typeof buildServer>;

for (const backend of BACKENDS)
  describe(`operations history over HTTP (${backend})`, () => {
    const clock = fixedClock(Date.parse('2026-06-01T00:00:00Z'));
    let core: TestCore;
    let app: App;
    const tok: Record<string, string> = {};

    const call = (method: string, url: string, token: string | undefined, payload?: unknown) =>
      app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });

    before(async () => {
      core = await makeCore(backend, { clock });
      const engine = PolicyEngine.load(DEFAULT_POLICIES);
      const tokens = new Tokens(core.store, core.log, clock);
      app = buildServer({
        log: core.log,
        records: { vault: core.vault, tokens, policies: () => engine, clock },
        rights: { rights: core.rights, retention: core.retention },
        reports: { store: core.store },
      });
      const make = async (name: string, role: 'operator' | 'auditor' | 'service', capabilities: string[]) => {
        tok[name] = (
          await tokens.create({
            principal: name,
            role,
            recordTypes: role === 'service' ? ['profile'] : [],
            capabilities,
            actor: 'operator:test',
          })
        ).token;
      };
      await make('ops', 'operator', ['trust.read', 'retention.run', 'key.rotate']);
      await make('runner', 'operator', ['retention.run']);
      await make('world', 'service', []);
    });
    after(async () => {
      await app.close();
      await core.dispose();
    });

    const history = async (query: string, token: string | undefined = tok['ops']) =>
      call('GET', `/v1/trust/operations/history?${query}`, token);

    it('is refused without a token and without `trust.read`', async () => {
      assert.equal((await call('GET', '/v1/trust/operations/history?kind=retention', undefined)).statusCode, 401);
      for (const who of ['runner', 'world']) {
        const r = await history('kind=retention', tok[who]);
        assert.equal(r.statusCode, 403, r.body);
        assert.equal(r.json().error.code, 'VERITY_E_ACCESS_DENIED');
      }
    });

    it('lists nothing before any run, and refuses bad input', async () => {
      const r = await history('kind=retention');
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().entries, []);
      assert.equal(r.json().next, null);
      for (const q of ['kind=audit', '', 'kind=retention&limit=0', 'kind=retention&limit=101', 'kind=rotation&x=1'])
        assert.equal((await history(q)).statusCode, 400, q);
    });

    it('lists real retention runs and rotations as proven entries, newest first, paged', async () => {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const put = await call('POST', '/v1/records', tok['world'], {
          subject: `player-${i}`,
          type: 'profile',
          purpose: 'service-provision',
          data: { name: `P${i}` },
          retainUntil: new Date(clock.now() - 1000).toISOString(),
        });
        assert.equal(put.statusCode, 201, put.body);
        clock.set(clock.now() + 2000);
        const run = await call('POST', '/v1/retention/run', tok['ops'], {});
        assert.equal(run.statusCode, 200, run.body);
        assert.equal(run.json().erased, 1);
        runs.push(run.json().logIndex as number);
      }
      const rot = await call('POST', '/v1/keys/rotate', tok['ops'], { purpose: 'security' });
      assert.equal(rot.statusCode, 200, rot.body);
      const verifierKey = core.log.verifierKey;

      const first = (await history('kind=retention&limit=2')).json();
      assert.deepEqual(
        first.entries.map((e: { index: number }) => e.index),
        [runs[2], runs[1]],
      );
      assert.equal(first.next, runs[1]);
      const checked = inspectProvenEntries(first, { verifierKey });
      assert.equal(checked.failed, 0);
      for (const r of checked.results) {
        assert.ok(r.ok);
        assert.equal(r.entry.action, 'retention.run');
        assert.equal(r.entry.details?.['erased'], 1);
      }
      const second = (await history(`kind=retention&limit=2&before=${first.next}`)).json();
      assert.deepEqual(
        second.entries.map((e: { index: number }) => e.index),
        [runs[0]],
      );
      assert.equal(second.next, null);

      const rotations = (await history('kind=rotation')).json();
      assert.equal(rotations.entries.length, 1);
      const r = inspectProvenEntries(rotations, { verifierKey }).results[0];
      assert.ok(r?.ok);
      assert.equal(r.entry.action, 'key.rotate');
      assert.equal(r.entry.resource, `kek:${rot.json().kekVersion}`);

      // One changed byte of an entry: that entry, and only it, fails.
      const bytes = fromBase64(first.entries[1].entry, 'entry');
      bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 1;
      first.entries[1].entry = toBase64(bytes);
      const bad = inspectProvenEntries(first, { verifierKey });
      assert.equal(bad.failed, 1);
      assert.equal(bad.results[0]?.ok, true);
      assert.equal(bad.results[1]?.ok, false);
      // A checkpoint not signed by the pinned key proves nothing: refused as a whole.
      assert.throws(() => inspectProvenEntries({ ...first, checkpoint: 'x' }, { verifierKey }));
    });
  });
