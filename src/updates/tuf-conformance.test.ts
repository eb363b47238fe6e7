// Cases of the TUF conformance suite (github.com/theupdateframework/tuf-conformance, MIT), its
// Python runner translated to TypeScript over Verity's client: each test names the original it
// follows. The repository is made with Verity's own tooling (@tufjs/models) and served over HTTP;
// `check()` is the suite's `refresh`, and `trustedVersions` its `trusted_roles`.
import assert from 'node:assert/strict';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import type { Metadata, Snapshot } from '@tufjs/models';
import { PASS, refused, signedShort, trustedVersions, tufRig, utf8 } from '../../test/helpers/tuf.ts';
import { fixedClock } from '../clock/index.ts';
import { isVerityError } from '../errors/index.ts';
import { TufRepository, Updates } from './index.ts';

const DAY = 86400_000;

/** Runs `fn` on a fresh rig (an empty repository: every role at version 1) and closes it. */
async function withRig(
  fn: (r: Awaited<ReturnType<typeof tufRig>>) => Promise<void>,
  init: Parameters<typeof tufRig>[0] = { passphrase: PASS },
): Promise<void> {
  const r = await tufRig(init);
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

const ALL_ONE = { root: 1, timestamp: 1, snapshot: 1, targets: 1 };

describe('TUF conformance cases', () => {
  afterEach(() => mock.timers.reset());

  it('test_basic.py::test_basic_refresh_trusted_data', () =>
    withRig(async (r) => {
      await r.updates.check();
      assert.deepEqual(await trustedVersions(r.core), ALL_ONE);
    }));

  it('test_basic.py::test_unsigned_initial_root', async () => {
    await withRig(async (r) => {
      const root = JSON.parse(await readFile(join(r.repo.metadataDir, '1.root.json'), 'utf8'));
      root.signatures[0].sig = '00'.repeat(64);
      await assert.rejects(
        Updates.trust(r.core.dir, {
          root: utf8(JSON.stringify(root)),
          metadataUrl: 'http://127.0.0.1:9/m/',
          targetsUrl: 'http://127.0.0.1:9/t/',
          replace: true,
        }),
        (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_REFUSED'),
      );
    });
  });

  it('test_basic.py::test_url_and_metadata_version_mismatch (root)', () =>
    withRig(async (r) => {
      // 2.root.json holds version 1.
      await copyFile(join(r.repo.metadataDir, '1.root.json'), join(r.repo.metadataDir, '2.root.json'));
      await refused(r.updates.check(), /Expected version 2, got 1/);
      assert.deepEqual(await trustedVersions(r.core), { root: 1 });
    }));

  it('test_basic.py::test_timestamp_404', () =>
    withRig(async (r) => {
      await rm(join(r.repo.metadataDir, 'timestamp.json'));
      await assert.rejects(r.updates.check(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_UNREACHABLE'));
    }));

  it('test_rollback.py::test_new_timestamp_version_rollback', () =>
    withRig(async (r) => {
      const v1 = await readFile(join(r.repo.metadataDir, 'timestamp.json'));
      await r.repo.publishTimestamp();
      await r.updates.check();
      assert.equal((await trustedVersions(r.core))['timestamp'], 2);
      await writeFile(join(r.repo.metadataDir, 'timestamp.json'), v1);
      await refused(r.updates.check(), /timestamp version 1 is less than current version 2/);
      assert.equal((await trustedVersions(r.core))['timestamp'], 2);
    }));

  it('test_rollback.py::test_snapshot_rollback (basic)', () =>
    withRig(async (r) => {
      await r.repo.resign(); // targets 2, snapshot 2, timestamp 2
      await r.updates.check();
      await r.repo.publishTimestamp(1); // timestamp 3 names snapshot 1
      await refused(r.updates.check(), /snapshot version 1 is less than current version 2/);
      const t = await trustedVersions(r.core);
      assert.equal(t['timestamp'], 2);
      assert.equal(t['snapshot'], 2);
    }));

  it('test_rollback.py::test_targets_rollback (basic)', () =>
    withRig(async (r) => {
      const v1 = (await r.repo.current()).targets;
      await r.repo.resign(); // targets 2, snapshot 2, timestamp 2
      await r.updates.check();
      await r.repo.publishSignedTargets(v1); // targets 1 again, snapshot 3, timestamp 3
      await refused(r.updates.check(), /version 1 of targets\.json is less than current version 2/);
      const t = await trustedVersions(r.core);
      assert.equal(t['snapshot'], 2);
      assert.equal(t['targets'], 2);
    }));

  it('test_basic.py::test_snapshot_404', () =>
    withRig(async (r) => {
      await r.updates.check();
      await r.repo.publishTimestamp(2); // names a snapshot 2 that is not published
      await assert.rejects(r.updates.check(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_UNREACHABLE'));
      assert.deepEqual(await trustedVersions(r.core), { ...ALL_ONE, timestamp: 2 });
    }));

  it('test_expiration.py::test_timestamp_expired', () =>
    withRig(async (r) => {
      await r.updates.check();
      const past = await TufRepository.open(r.repo.dir, { passphrase: PASS, clock: fixedClock(Date.now() - 5 * DAY) });
      await past.publishTimestamp();
      await refused(r.updates.check(), /expired/);
      assert.deepEqual(await trustedVersions(r.core), ALL_ONE);
    }));

  it('test_expiration.py::test_snapshot_expired', () =>
    withRig(async (r) => {
      await r.updates.check();
      // Snapshot valid 7 days from 10 days ago; the timestamp (30 days) is still valid.
      const past = await TufRepository.open(r.repo.dir, {
        passphrase: PASS,
        clock: fixedClock(Date.now() - 10 * DAY),
        expiry: { timestamp: 30 * 86400 },
      });
      await past.resign();
      await refused(r.updates.check(), /snapshot\.json is expired/);
      assert.deepEqual(await trustedVersions(r.core), { ...ALL_ONE, timestamp: 2 });
    }));

  it('test_expiration.py::test_expired_local_timestamp', () =>
    withRig(async (r) => {
      // Timestamp v2 expires in 7 days; the client takes it on day 0.
      const week = await TufRepository.open(r.repo.dir, { passphrase: PASS, expiry: { timestamp: 7 * 86400 } });
      await week.publishTimestamp();
      await r.updates.check();
      // New targets, snapshot and a timestamp that expires in 21 days; the client refreshes on day 18.
      const later = await TufRepository.open(r.repo.dir, {
        passphrase: PASS,
        expiry: { timestamp: 21 * 86400, snapshot: 30 * 86400 },
      });
      await later.resign();
      mock.timers.enable({ apis: ['Date'], now: Date.now() + 18 * DAY });
      await r.updates.check();
      assert.deepEqual(await trustedVersions(r.core), { root: 1, timestamp: 3, snapshot: 2, targets: 2 });
    }));

  it('test_keys.py::test_snapshot_does_not_meet_threshold', () =>
    withRig(
      async (r) => {
        await r.updates.check();
        // Snapshot v2 signed by two of its three keys (threshold 3).
        const next = (await signedShort(r.repo, 'snapshot')) as Metadata<Snapshot>;
        await r.repo.write(next);
        await r.repo.publishTimestamp(2);
        await refused(r.updates.check(), /snapshot was signed by 2\/3 keys/);
        assert.equal((await trustedVersions(r.core))['snapshot'], 1);
      },
      { passphrase: PASS, keys: { snapshot: 3 }, thresholds: { snapshot: 3 } },
    ));

  // test_updater_key_rotations.py::test_root_rotation, three of its cases, each step a new root.
  const rotations: Record<
    string,
    { init: Parameters<typeof tufRig>[0]; steps: Parameters<TufRepository['rotateKeys']>[1][] }
  > = {
    '1-of-1-key-rotation': { init: { passphrase: PASS }, steps: [{ remove: ['first'], add: 1 }] },
    '1-of-3-threshold-increase-to-2-of-3': {
      init: { passphrase: PASS, keys: { root: 3 }, thresholds: { root: 1 } },
      steps: [{ threshold: 2 }],
    },
    '3-of-5-one-key-rotated': {
      init: { passphrase: PASS, keys: { root: 5 }, thresholds: { root: 3 } },
      steps: [{ remove: ['first'], add: 1 }, {}],
    },
  };
  for (const [name, c] of Object.entries(rotations))
    it(`test_updater_key_rotations.py::test_root_rotation[${name}]`, () =>
      withRig(async (r) => {
        await r.updates.check();
        for (const step of c.steps) {
          const first = (await r.repo.root()).signed.roles['root']?.keyIDs[0] as string;
          await r.repo.rotateKeys('root', { ...step, ...(step.remove === undefined ? {} : { remove: [first] }) });
        }
        await r.updates.check();
        assert.equal((await trustedVersions(r.core))['root'], 1 + c.steps.length);
      }, c.init));

  // test_updater_key_rotations.py::test_non_root_rotations: each non-root role's keys replaced
  // (a new root names them), then a 2-of-3 threshold for each; the client follows every step.
  it('test_updater_key_rotations.py::test_non_root_rotations', () =>
    withRig(async (r) => {
      await r.updates.check();
      for (const role of ['timestamp', 'snapshot', 'targets'] as const) {
        const [old] = (await r.repo.root()).signed.roles[role]?.keyIDs ?? [];
        await r.repo.rotateKeys(role, { remove: [old as string], add: 1 });
        await r.updates.check();
        await r.repo.rotateKeys(role, { add: 2, threshold: 2 });
        await r.updates.check();
      }
      const root = await r.repo.root();
      assert.equal((await trustedVersions(r.core))['root'], root.signed.version);
      for (const role of ['timestamp', 'snapshot', 'targets']) assert.equal(root.signed.roles[role]?.threshold, 2);
    }));

  it('test_file_download.py::test_repository_substitutes_target_file', () =>
    withRig(async (r) => {
      await r.repo.addTargets([
        { path: 'schemas/one.json', data: utf8('{"type":"object"}') },
        { path: 'schemas/two.json', data: utf8('{"type":"string"}') },
      ]);
      const res = await r.updates.apply();
      assert.equal(res.applied, true);
      // Both artifacts replaced by malicious data at the same names.
      const { targets } = await r.repo.current();
      for (const [path, t] of Object.entries(targets.signed.targets)) {
        const name = path.split('/')[1] as string;
        await writeFile(join(r.repo.targetsDir, 'schemas', `${t.hashes['sha256']}.${name}`), 'malicious data');
      }
      await r.repo.publishTimestamp();
      // The cached, verified files still apply; a fresh client refuses the substitutes.
      assert.equal((await r.updates.apply()).reason, 'up to date');
      // Without the cache, the next set downloads them again and is refused.
      await rm(join(r.core.dir, 'updates', 'cache'), { recursive: true, force: true });
      await r.repo.resign();
      await refused(r.updates.apply(), /target schemas\/one\.json/);
    }));
});
