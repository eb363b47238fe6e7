export type { DataConfig, InitOptions, OpenOptions } from './data-dir.ts';
export {
  DATA_FORMAT,
  initDataDir,
  openDataDir,
  openDataDirReadOnly,
  readDataConfig,
  readPolicies,
} from './data-dir.ts';
