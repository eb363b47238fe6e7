export type { DataConfig, InitOptions, OpenOptions } from './data-dir.ts';
export {
  DATA_FORMAT,
  dataDirPrivacyPolicy,
  defaultPrivacyPolicyText,
  openDataDir,
  openDataDirReadOnly,
  openPrivacy,
  PRIVACY_POLICY_FILE,
  readDataConfig,
  readPolicies,
  readPrivacyPolicy,
} from './data-dir.ts';
export { initDataDir } from './init.ts';
