/**
 * Updates and patches (FGMV-46 7.3.5): a TUF repository of policies, record-type schemas and PII
 * data (`TufRepository`), the client that verifies, applies and rolls back its sets (`Updates`),
 * and the check of installed dependencies against OSV advisories (`verity doctor`).
 */
export type { Finding, Installed, OsvRecord } from './advisories.ts';
export { installedFromLock, MAX_ADVISORY_BYTES, matchAdvisories, parseAdvisories } from './advisories.ts';
export type { ApplyResult, UpdatesOptions } from './client.ts';
export { Updates } from './client.ts';
export { checkSet, checkTargetPath } from './content.ts';
export type { Expiry, InitOptions, RepositoryOptions, Role } from './repository.ts';
export { DEFAULT_EXPIRY, MAX_TARGET_BYTES, ROLES, TufRepository } from './repository.ts';
export type { Manifest, ManifestEntry, UpdatesConfig } from './tuf.ts';
