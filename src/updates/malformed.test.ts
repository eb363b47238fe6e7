// What the update code refuses before anything is signed or applied: target paths Verity does not
// apply, content that does not load, repository settings out of range, repository URLs that are
// not plain http(s), and damaged or altered local update state.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { PASS, tufRig, utf8 } from '../../test/helpers/tuf.ts';
import { isVerityError } from '../errors/index.ts';
import { checkSet, checkTargetPath, TufRepository, Updates } from './index.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;

describe('updates: malformed input', () => {
  it('refuses target paths that are not policies, schemas or the PII dictionaries', () => {
    for (const p of [
      '',
      'verity.cedar',
      '../policies/a.cedar',
      'policies/../a.cedar',
      'policies/A.cedar',
      'policies/sub/a.cedar',
      'policies/a.cedar.bak',
      'schemas/Profile.json',
      'schemas/1type.json',
      'pii/cities.jsonl',
      `policies/${'a'.repeat(200)}.cedar`,
    ])
      assert.throws(() => checkTargetPath(p), code('VERITY_E_UPDATE_REPOSITORY'), p);
    assert.equal(checkTargetPath('policies/verity.cedar'), 'cedar');
    assert.equal(checkTargetPath('schemas/avatar.profile.json'), 'schema');
  });

  it('refuses content that does not load, naming the target', () => {
    const bad: [string, string][] = [
      ['policies/a.cedar', 'permit (principal, action'],
      ['policies/a.cedar', 'permit (principal, action, resource) when { context.nothing == 1 };'],
      ['policies/privacy-policy.json', '{"version": 1}'],
      ['schemas/profile.json', '{"type": "objekt"}'],
      ['schemas/profile.json', '[1, 2'],
      ['pii/names-places.jsonl', '{"format":"something-else"}\n'],
    ];
    for (const [path, text] of bad)
      assert.throws(
        () => checkSet(new Map([[path, utf8(text)]])),
        (e: unknown) =>
          code('VERITY_E_UPDATE_CONTENT_INVALID')(e) && (e as Error).message.includes(path.split('/')[0] as string),
        `${path}: ${text}`,
      );
    const many = new Map(Array.from({ length: 257 }, (_, i) => [`schemas/t${i}.json`, utf8('{}')] as const));
    assert.throws(() => checkSet(many), code('VERITY_E_UPDATE_CONTENT_INVALID'));
  });

  it('refuses repository settings out of range and a second repository in one folder', async () => {
    const { dir, cleanup } = await tempDir('verity-tuf-');
    try {
      await assert.rejects(TufRepository.init(dir, { passphrase: 'short' }), code('VERITY_E_UPDATE_REPOSITORY'));
      await assert.rejects(
        TufRepository.init(dir, { passphrase: PASS, keys: { root: 2 }, thresholds: { root: 3 } }),
        RangeError,
      );
      await assert.rejects(TufRepository.init(dir, { passphrase: PASS, keys: { root: 0 } }), RangeError);
      await assert.rejects(TufRepository.init(dir, { passphrase: PASS, expiry: { timestamp: 0 } }), RangeError);
      await assert.rejects(TufRepository.open(dir, { passphrase: PASS }), code('VERITY_E_UPDATE_REPOSITORY'));
      const repo = await TufRepository.init(join(dir, 'r'), { passphrase: PASS });
      await assert.rejects(
        TufRepository.init(join(dir, 'r'), { passphrase: PASS }),
        code('VERITY_E_UPDATE_REPOSITORY'),
      );
      await assert.rejects(
        TufRepository.open(join(dir, 'r'), { passphrase: 'another passphrase' }).then((r) => r.resign()),
        code('VERITY_E_UPDATE_REPOSITORY'),
      );
      await assert.rejects(repo.removeTargets(['policies/none.cedar']), code('VERITY_E_UPDATE_REPOSITORY'));
      await assert.rejects(repo.rotateKeys('root', { remove: ['abc'] }), code('VERITY_E_UPDATE_REPOSITORY'));
      await assert.rejects(repo.rotateKeys('root', { threshold: 2 }), code('VERITY_E_UPDATE_REPOSITORY'));
    } finally {
      await cleanup();
    }
  });

  it('refuses repository URLs that are not plain http(s), and damaged or altered local state', async () => {
    const r = await tufRig(
      { passphrase: PASS },
      { targets: [{ path: 'schemas/profile.json', data: utf8('{"type":"object"}') }] },
    );
    try {
      const root = new Uint8Array(await readFile(join(r.repo.metadataDir, '1.root.json')));
      for (const url of [
        'ftp://example.org/m/',
        'https://user:pw@example.org/m/',
        'https://example.org/m/?x=1',
        'not a url',
      ])
        await assert.rejects(
          Updates.trust(r.core.dir, { root, metadataUrl: url, targetsUrl: url, replace: true }),
          code('VERITY_E_UPDATE_NOT_CONFIGURED'),
          url,
        );
      await assert.rejects(
        Updates.trust(r.core.dir, { root, metadataUrl: 'http://127.0.0.1:9/', targetsUrl: 'http://127.0.0.1:9/' }),
        code('VERITY_E_UPDATE_NOT_CONFIGURED'),
      );
      const applied = await r.updates.apply();
      // A set changed behind Verity's back is refused when it is read again.
      await writeFile(join(r.core.dir, 'updates', 'sets', applied.set as string, 'schemas', 'profile.json'), '{}');
      await assert.rejects(r.updates.status(), code('VERITY_E_UPDATE_NOT_CONFIGURED'));
      await writeFile(
        join(r.core.dir, 'updates', 'state.json'),
        '{"format":"verity-updates-state/1","current":"../x"}',
      );
      await assert.rejects(r.updates.apply(), code('VERITY_E_UPDATE_NOT_CONFIGURED'));
    } finally {
      await r.close();
    }
  });
});
