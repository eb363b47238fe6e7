export type { DataConfig, InitOptions, OpenOptions } from './data-dir.ts';
export {
  DATA_FORMAT,
  openDataDir,
  openDataDirReadOnly,
  readDataConfig,
  readPolicies,
} from './data-dir.ts';
export { initDataDir } from './init.ts';
