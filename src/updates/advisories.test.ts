// `verity doctor`'s matching: OSV ranges (introduced, fixed, last_affected), explicit versions,
// other ecosystems and withdrawn advisories; and the command itself on this checkout's lockfile
// with an advisory that matches an installed package and one that does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVerityError } from '../errors/index.ts';
import { type Installed, installedFromLock, matchAdvisories, parseAdvisories } from './index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'verity');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'osv');
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

const at = (name: string, version: string): Installed => ({ name, version, path: `node_modules/${name}` });
const adv = (events: object[], extra: object = {}) => ({
  id: 'TEST-1',
  affected: [{ package: { ecosystem: 'npm', name: 'pkg' }, ranges: [{ type: 'SEMVER', events }], ...extra }],
});

describe('OSV advisories', () => {
  it('reads introduced / fixed / last_affected ranges as the OSV schema evaluates them', () => {
    const fixed = [adv([{ introduced: '1.0.0' }, { fixed: '1.4.0' }, { introduced: '2.0.0' }, { fixed: '2.1.3' }])];
    const hit = (v: string) => matchAdvisories([at('pkg', v)], fixed).map((f) => f.fixed);
    assert.deepEqual(hit('0.9.9'), []);
    assert.deepEqual(hit('1.0.0'), ['1.4.0']);
    assert.deepEqual(hit('1.3.9'), ['1.4.0']);
    assert.deepEqual(hit('1.4.0'), []);
    assert.deepEqual(hit('2.1.2'), ['2.1.3']);
    assert.deepEqual(hit('2.1.3'), []);
    const last = [adv([{ introduced: '0' }, { last_affected: '3.2.1' }])];
    assert.equal(matchAdvisories([at('pkg', '3.2.1')], last)[0]?.fixed, undefined);
    assert.equal(matchAdvisories([at('pkg', '3.2.1')], last).length, 1);
    assert.equal(matchAdvisories([at('pkg', '3.2.2')], last).length, 0);
  });

  it('matches listed versions; skips other ecosystems, other names and withdrawn advisories', () => {
    const listed = { id: 'L', affected: [{ package: { ecosystem: 'npm', name: 'pkg' }, versions: ['1.2.3'] }] };
    assert.equal(matchAdvisories([at('pkg', '1.2.3')], [listed]).length, 1);
    assert.equal(matchAdvisories([at('pkg', '1.2.4')], [listed]).length, 0);
    assert.equal(matchAdvisories([at('other', '1.2.3')], [listed]).length, 0);
    const pypi = { id: 'P', affected: [{ package: { ecosystem: 'PyPI', name: 'pkg' }, versions: ['1.2.3'] }] };
    assert.equal(matchAdvisories([at('pkg', '1.2.3')], [pypi]).length, 0);
    assert.equal(matchAdvisories([at('pkg', '1.2.3')], [{ ...listed, withdrawn: '2026-01-01T00:00:00Z' }]).length, 0);
  });

  it('refuses an advisory file that is not a list of OSV records', () => {
    for (const bad of [{}, [{ summary: 'no id' }], [{ id: 'X', affected: {} }], 'text'])
      assert.throws(
        () => parseAdvisories(enc(bad)),
        (e: unknown) => isVerityError(e, 'VERITY_E_UPDATE_ADVISORIES_INVALID'),
      );
    assert.equal(parseAdvisories(enc({ vulns: [{ id: 'A' }] })).length, 1);
  });

  it('lists installed packages from a lockfile, nested ones by their own name, links left out', () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'app' },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/a/node_modules/@s/b': { version: '2.0.0' },
        'node_modules/c': { resolved: 'packages/c', link: true },
        'packages/c': { version: '0.1.0' },
      },
    };
    assert.deepEqual(
      installedFromLock(enc(lock)).map((i) => `${i.name}@${i.version}`),
      ['a@1.0.0', '@s/b@2.0.0'],
    );
  });

  it('`verity doctor` prints what to patch and exits 1 for an advisory that matches, 0 for one that does not', () => {
    const run = (file: string, json = false) =>
      spawnSync(BIN, ['doctor', '--advisories', join(FIXTURES, file), ...(json ? ['--json'] : [])], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const hit = run('matching.json');
    assert.equal(hit.status, 1, hit.stderr);
    assert.match(hit.stdout, /^patch semver 7\.8\.6 -> 7\.8\.7 {2}VERITY-TEST-2026-0001 {2}\(node_modules\/semver\)$/m);
    assert.match(hit.stdout, /1 advisories checked against \d+ installed packages: 1 to patch/);
    const miss = run('not-matching.json', true);
    assert.equal(miss.status, 0, miss.stderr);
    const report = JSON.parse(miss.stdout) as { advisories: number; findings: unknown[] };
    assert.equal(report.advisories, 2);
    assert.deepEqual(report.findings, []);
  });
});
