export type { DataConfig, HsmConfig, InitOptions, OpenOptions, StoreSecret } from './data-dir.ts';
export {
  DATA_FORMAT,
  dataDirPrivacyPolicy,
  defaultPrivacyPolicyText,
  openDataDir,
  openDataDirReadOnly,
  openKeyStore,
  openPrivacy,
  PRIVACY_POLICY_FILE,
  readDataConfig,
  readPolicies,
  readPrivacyPolicy,
} from './data-dir.ts';
export { initDataDir } from './init.ts';
export type { MigrateOptions, MigrateResult } from './migrate.ts';
export { migrateKeyStore } from './migrate.ts';
export type { DefaultPolicyStanding, InstalledPolicies, OpenedPolicies } from './policies.ts';
export { installPolicies, missingDefaultPolicies, openPolicies, writeMissingDefaults } from './policies.ts';
