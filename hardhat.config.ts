// Hardhat 3 builds Verity's contracts (contracts/) and runs their Solidity tests (contracts/test/*.t.sol)
// offline: the compiler is the npm `solc` package's soljson.js, never a download (D180).
import { createRequire } from 'node:module';
import { defineConfig } from 'hardhat/config';

const require = createRequire(import.meta.url);

/** The one compiler configuration; src/chain/artifacts.ts is generated from its output. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  // No metadata hash in the bytecode: the same sources give the same bytes on every machine.
  metadata: { bytecodeHash: 'none' },
} as const;

export default defineConfig({
  solidity: {
    version: '0.8.28',
    path: require.resolve('solc/soljson.js'),
    settings: SOLC_SETTINGS,
  },
  // Invariant tests (contracts/test/*.t.sol, `invariant*`): fewer and shorter runs than the
  // default 256 x 500 calls, so the suite stays quick; fuzz tests keep their 256 runs.
  test: { solidity: { invariant: { runs: 64, depth: 64 } } },
  paths: {
    sources: 'contracts',
    tests: { solidity: 'contracts/test' },
    cache: 'node_modules/.cache/hardhat',
    artifacts: 'node_modules/.cache/hardhat-artifacts',
  },
});
