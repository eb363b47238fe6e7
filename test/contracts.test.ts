// Verity's contracts: the committed ABIs and bytecode (src/chain/artifacts.ts) are what the sources
// compile to, and the Solidity tests (contracts/test/*.t.sol, fuzzing included) pass. Both compile
// offline with the npm `solc` package (hardhat.config.ts); Hardhat caches the build between runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { NODE } from './helpers/env.ts';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);
const HARDHAT = join(ROOT, 'node_modules', 'hardhat', 'dist', 'src', 'cli.js');

describe('contracts', () => {
  it('pass their Solidity tests (access control, reentrancy, refused transfers, fuzzing)', async () => {
    const { stdout } = await run(NODE, [HARDHAT, 'test', 'solidity'], { cwd: ROOT, maxBuffer: 8 << 20 });
    const passing = /(\d+) passing/.exec(stdout);
    assert.ok(passing, stdout.slice(-2000));
    assert.ok(Number(passing[1]) >= 35, `only ${passing[1]} Solidity tests ran`);
    assert.doesNotMatch(stdout, /\d+ failing/);
    assert.match(stdout, /testFuzzOnlyMinterMints\(address\) \(runs: \d+\)/);
    assert.match(stdout, /invariantUnitsConserved\(\) \(runs: \d+\)/);
  });

  it('pass solhint with no finding (recommended rules, .solhint.json; the tests under contracts/test/.solhint.json)', async () => {
    const solhint = join(ROOT, 'node_modules', 'solhint', 'solhint.js');
    // --disc: no look-up of a newer solhint on the registry (the suite runs offline).
    for (const [config, files] of [
      ['.solhint.json', 'contracts/*.sol'],
      ['contracts/test/.solhint.json', 'contracts/test/*.sol'],
    ] as const) {
      const r = await run(NODE, [solhint, '--disc', '--max-warnings', '0', '-f', 'unix', '-c', config, files], {
        cwd: ROOT,
      }).catch((e: { stdout?: string; stderr?: string }) => assert.fail(`solhint ${files}:\n${e.stdout}${e.stderr}`));
      assert.doesNotMatch(r.stdout, /\[(Warning|Error)\//, r.stdout);
    }
  });

  it('match the committed src/chain/artifacts.ts', async () => {
    const script = join(ROOT, 'scripts', 'build-contracts.ts');
    // A non-zero exit (the file differs) rejects with the script's message.
    const { stderr } = await run(NODE, ['--disable-warning=ExperimentalWarning', script, '--check'], { cwd: ROOT });
    assert.match(stderr, /matches the compiled contracts/);
  });
});
