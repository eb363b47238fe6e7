// Updates over a real TUF repository served by HTTP: the happy path, and each tampering case
// refused (expired, rolled-back and frozen timestamps, a rolled-back snapshot, mix-and-match,
// too few signatures, a target whose hash does not match), root key rotation followed, content
// that does not load refused, and the rollback of an applied update.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { Metadata, MetadataKind, type Root, TargetFile, type Targets } from '@tufjs/models';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { tempDir } from '../../test/helpers/env.ts';
import { PASS, type Rig, refused, signedShort, tufRig, utf8 } from '../../test/helpers/tuf.ts';
import { DEFAULT_POLICIES } from '../access/index.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { fixedClock } from '../clock/index.ts';
import { isVerityError } from '../errors/index.ts';
import { DEFAULT_PRIVACY_POLICY } from '../privacy/index.ts';
import { TufRepository, Updates } from './index.ts';

const LOCAL_POLICY = `${DEFAULT_POLICIES}\n// kept locally\n`;
const PROFILE = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };

/** A repository with the default policies, privacy policy and one schema; the data directory holds local policies. */
function rig(init: Parameters<typeof TufRepository.init>[1] = { passphrase: PASS }): Promise<Rig> {
  return tufRig(init, {
    targets: [
      { path: 'policies/verity.cedar', data: utf8(DEFAULT_POLICIES) },
      { path: 'policies/privacy-policy.json', data: utf8(JSON.stringify(DEFAULT_PRIVACY_POLICY)) },
      { path: 'schemas/profile.json', data: utf8(JSON.stringify(PROFILE)) },
    ],
    local: { 'policies/verity.cedar': LOCAL_POLICY },
  });
}

async function lastEntries(core: TestCore, n: number) {
  const { size } = await core.log.head();
  return (await core.log.entries(Math.max(0, size - n), size)).map((b) => {
    try {
      return decodeAuditEntry(b);
    } catch {
      return undefined;
    }
  });
}

async function policyText(core: TestCore): Promise<string> {
  return readFile(join(core.dir, 'policies', 'verity.cedar'), 'utf8');
}

const EXTRA_POLICY = `${DEFAULT_POLICIES}\n@id("extra-permit-none")\nforbid (principal, action, resource) when { false };\n`;

describe('updates over TUF', () => {
  let r: Rig;
  /** The set the first apply makes current: `sN`, N the snapshot version. */
  let first: string;
  before(async () => {
    r = await rig();
    first = `s${(await r.repo.current()).snapshot.signed.version}`;
  });
  after(() => r.close());
  afterEach(() => mock.timers.reset());

  it('applies a verified set: policies into DIR/policies, the schema registered, one log entry', async () => {
    const res = await r.updates.apply();
    assert.equal(res.applied, true);
    assert.equal(res.set, first);
    assert.equal(res.targets, 3);
    assert.equal(await policyText(r.core), DEFAULT_POLICIES);
    assert.ok(existsSync(join(r.core.dir, 'policies', 'privacy-policy.json')));
    const row = await r.core.store.reader.getSchema('profile');
    assert.deepEqual(JSON.parse(row?.schema ?? 'null'), PROFILE);
    const entries = await lastEntries(r.core, 3);
    const applied = entries.find((e) => e?.action === 'update.apply');
    assert.ok(applied);
    assert.equal(applied.resource, `update:${first}`);
    assert.equal(applied.details?.['targets'], 3);
    assert.equal(applied.details?.['from'], 'base');
    assert.ok(entries.some((e) => e?.action === 'schema.register'));
    // Nothing new: applying again changes nothing and logs nothing.
    const size = (await r.core.log.head()).size;
    assert.equal((await r.updates.apply()).reason, 'up to date');
    assert.equal((await r.core.log.head()).size, size);
  });

  it('refuses a rolled-back timestamp (an older version served again)', async () => {
    const older = await readFile(join(r.repo.metadataDir, 'timestamp.json'));
    await r.repo.publishTimestamp();
    assert.equal(`s${(await r.updates.check()).snapshot}`, first);
    await writeFile(join(r.repo.metadataDir, 'timestamp.json'), older);
    const size = (await r.core.log.head()).size;
    await refused(r.updates.apply(), /timestamp version \d+ is less than current version/);
    // The refusal is on record: one denied entry with the code, no text of the repository's.
    const [entry] = await lastEntries(r.core, 1);
    assert.equal(entry?.action, 'update.apply');
    assert.equal(entry?.outcome, 'denied');
    assert.equal(entry?.resource, 'update:refused');
    assert.deepEqual(entry?.details, { code: 'VERITY_E_UPDATE_REFUSED' });
    // The same refusal again (a timer asking every minute) is logged once.
    await refused(r.updates.apply(), /timestamp version \d+ is less than current version/);
    assert.equal((await r.core.log.head()).size, size + 1);
    await r.repo.publishTimestamp();
  });

  it('refuses an expired timestamp', async () => {
    // Signed by a repository whose clock says two days ago: valid for one day, so expired now.
    const stale = await TufRepository.open(r.repo.dir, {
      passphrase: PASS,
      clock: fixedClock(Date.now() - 2 * 86400_000),
    });
    await stale.publishTimestamp();
    await refused(r.updates.apply(), /expired/);
    await r.repo.publishTimestamp();
    assert.equal((await r.updates.apply()).reason, 'up to date');
  });

  it('refuses a frozen repository once the timestamp the client trusts has expired', async () => {
    // The mirror keeps serving what the client already has; two days later that is stale.
    await r.updates.check();
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 2 * 86400_000 });
    await refused(r.updates.apply(), /expired/);
    mock.timers.reset();
    assert.equal((await r.updates.apply()).reason, 'up to date');
  });

  it('refuses a rolled-back snapshot named by a new timestamp', async () => {
    const n = await r.repo.addTargets([{ path: 'policies/verity.cedar', data: utf8(EXTRA_POLICY) }]);
    const snap = (await r.updates.check()).snapshot;
    assert.ok(n > 0 && `s${snap - 1}` === first);
    await r.repo.publishTimestamp(snap - 1);
    await refused(r.updates.apply(), new RegExp(`snapshot version ${snap - 1} is less than current version ${snap}`));
    await r.repo.publishTimestamp(snap);
  });

  it('refuses mix-and-match: the targets of another snapshot served in place of this one', async () => {
    await r.repo.addTargets([{ path: 'schemas/inventory.json', data: utf8('{"type":"object"}') }]);
    const { snapshot } = await r.repo.current();
    const tv = snapshot.signed.meta['targets.json']?.version as number;
    const real = join(r.repo.metadataDir, `${tv}.targets.json`);
    const saved = await readFile(real);
    await copyFile(join(r.repo.metadataDir, `${tv - 1}.targets.json`), real);
    await refused(r.updates.apply(), /does not match snapshot version/);
    await writeFile(real, saved);
  });

  it('refuses a target whose hash does not match the signed targets', async () => {
    const { targets } = await r.repo.current();
    const t = targets.signed.targets['schemas/inventory.json'];
    assert.ok(t);
    const file = join(r.repo.targetsDir, 'schemas', `${t.hashes['sha256']}.inventory.json`);
    const good = await readFile(file);
    await writeFile(file, '{"type":"array"}');
    await refused(r.updates.apply(), /target schemas\/inventory\.json/);
    assert.equal((await r.updates.status()).current?.id, first);
    await writeFile(file, good);
  });

  it('applies the newer set, then rolls it back: the earlier policies return and both are logged', async () => {
    const res = await r.updates.apply();
    assert.equal(res.applied, true);
    assert.equal(await policyText(r.core), EXTRA_POLICY);
    assert.ok(await r.core.store.reader.getSchema('inventory'));
    const back = await r.updates.rollback();
    assert.equal(back.from, res.set);
    assert.equal(back.to, first);
    assert.equal(await policyText(r.core), DEFAULT_POLICIES);
    const [entry] = await r.core.log.entries(back.logIndex, back.logIndex + 1);
    const e = decodeAuditEntry(entry as Uint8Array);
    assert.equal(e.action, 'update.rollback');
    assert.equal(e.details?.['from'], res.set);
    // The rolled-back version is held back; a newer one applies.
    assert.equal((await r.updates.apply()).reason, 'held back after a rollback');
    await r.repo.resign();
    assert.equal((await r.updates.apply()).applied, true);
    assert.equal(await policyText(r.core), EXTRA_POLICY);
    // Back to what the data directory held before, then nothing more to roll back.
    await r.updates.rollback();
    assert.equal((await r.updates.rollback()).to, 'base');
    assert.equal(await policyText(r.core), LOCAL_POLICY);
    await assert.rejects(r.updates.rollback(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_NO_PREVIOUS'));
  });

  it('applies or rolls back one at a time: a live lock holder refuses, a dead one is taken over', async () => {
    const lock = join(r.core.dir, 'updates', 'lock');
    await writeFile(lock, String(process.pid));
    await assert.rejects(r.updates.rollback(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_BUSY'));
    await assert.rejects(r.updates.apply(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_BUSY'));
    // A process id far above Linux's pid_max: no such process.
    await writeFile(lock, '99999999');
    assert.equal((await r.updates.apply()).reason, 'held back after a rollback');
    assert.ok(!existsSync(lock));
  });

  it('refuses content that does not load, and applies nothing', async () => {
    const before = await r.updates.status();
    await r.repo.addTargets([{ path: 'policies/broken.cedar', data: utf8('permit (principal, action') }]);
    await assert.rejects(r.updates.apply(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_CONTENT_INVALID'));
    assert.deepEqual(await r.updates.status(), before);
    assert.ok(!existsSync(join(r.core.dir, 'policies', 'broken.cedar')));
    await r.repo.removeTargets(['policies/broken.cedar']);
    // A path the tooling refuses, signed by hand: the client refuses it too.
    const { targets } = await r.repo.current();
    const next = Metadata.fromJSON(MetadataKind.Targets, {
      signatures: [],
      signed: { ...(targets.signed.toJSON() as object), version: targets.signed.version + 1 },
    } as never) as Metadata<Targets>;
    next.signed.addTarget(new TargetFile({ path: 'bin/run.sh', length: 1, hashes: { sha256: '0'.repeat(64) } }));
    await r.repo.signRole(next, 'targets');
    await r.repo.publishSignedTargets(next);
    await assert.rejects(
      r.updates.apply(),
      (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_CONTENT_INVALID') && /bin\/run\.sh/.test(e.message),
    );
    await r.repo.removeTargets(['bin/run.sh']);
  });
});

describe('updates over TUF: keys', () => {
  it('follows a root key rotation, and refuses a new root its old keys did not sign', async () => {
    const r = await rig();
    try {
      await r.updates.apply();
      const oldKey = (await r.repo.root()).signed.roles['root']?.keyIDs[0] as string;
      const rot = await r.repo.rotateKeys('root', { remove: [oldKey], add: 1 });
      assert.deepEqual(rot.removed, [oldKey]);
      assert.equal(rot.rootVersion, 2);
      const res = await r.updates.apply();
      assert.equal(res.applied, true);
      const trusted = JSON.parse(await readFile(join(r.core.dir, 'updates', 'tuf', 'root.json'), 'utf8'));
      assert.equal(trusted.signed.version, 2);
      // A root v3 signed only by a key the trusted root does not know.
      const root = await r.repo.root();
      const next = Metadata.fromJSON(MetadataKind.Root, {
        ...root.toJSON(),
        signatures: [],
      } as never) as Metadata<Root>;
      (next.signed as { version: number }).version = 3;
      const attacker = await r.repo.newKey();
      (next.signed.roles['root'] as { keyIDs: string[] }).keyIDs = [attacker.keyID];
      next.signed.keys[attacker.keyID] = attacker;
      await r.repo.signRole(next, 'root', next.signed);
      await r.repo.write(next);
      await refused(r.updates.apply(), /root was signed by 0\/1 keys/);
    } finally {
      await r.close();
    }
  });

  it('refuses targets signed by fewer keys than the threshold', async () => {
    const r = await rig({ passphrase: PASS, keys: { targets: 2 }, thresholds: { targets: 2 } });
    try {
      await r.updates.apply();
      // One of the two targets keys signs alone (the other is away).
      const next = (await signedShort(r.repo, 'targets')) as Metadata<Targets>;
      assert.equal(Object.keys(next.signatures).length, 1);
      await r.repo.publishSignedTargets(next);
      await refused(r.updates.apply(), /targets was signed by 1\/2 keys/);
      // The tooling itself refuses to sign below the threshold.
      const [k1] = (await r.repo.root()).signed.roles['targets']?.keyIDs ?? [];
      await rm(join(r.repo.keysDir, `${k1}.pem`));
      await assert.rejects(r.repo.resign(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_REPOSITORY'));
    } finally {
      await r.close();
    }
  });

  it('refuses an untrusted or unsigned root, and a repository that is not there', async () => {
    const core = await makeCore('sqlite');
    try {
      await assert.rejects(
        Updates.trust(core.dir, {
          root: utf8('{"signed":{}}'),
          metadataUrl: 'http://127.0.0.1:9/m/',
          targetsUrl: 'http://127.0.0.1:9/t/',
        }),
        (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_REFUSED'),
      );
      const u = new Updates({ dir: core.dir, log: core.log, vault: core.vault, store: core.store });
      await assert.rejects(u.apply(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_NOT_CONFIGURED'));
      const { dir, cleanup } = await tempDir('verity-tuf-');
      try {
        const repo = await TufRepository.init(dir, { passphrase: PASS });
        await Updates.trust(core.dir, {
          root: new Uint8Array(await readFile(join(repo.metadataDir, '1.root.json'))),
          metadataUrl: 'http://127.0.0.1:9/metadata/',
          targetsUrl: 'http://127.0.0.1:9/targets/',
        });
        await assert.rejects(u.apply(), (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_UNREACHABLE'));
      } finally {
        await cleanup();
      }
    } finally {
      await core.dispose();
    }
  });
});
