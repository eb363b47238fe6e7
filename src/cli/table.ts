/** The command table: every group of `verity`, in the order `verity help` lists them. */

import type { Group } from './command.ts';

/**
 * A command group by name, and how to load it: a command loads only its own group's module and
 * the libraries that one needs (`verity help` loads them all). The names are checked against the
 * groups' own in `src/cli/command.test.ts`.
 */
export interface GroupEntry {
  readonly name: string;
  load(): Promise<Group>;
}

export const GROUPS: readonly GroupEntry[] = [
  { name: 'init', load: async () => (await import('./commands/init.ts')).init },
  { name: 'start', load: async () => (await import('./commands/serve.ts')).startGroup },
  { name: 'serve', load: async () => (await import('./commands/serve.ts')).serveGroup },
  { name: 'records', load: async () => (await import('./commands/records.ts')).records },
  { name: 'subjects', load: async () => (await import('./commands/subjects.ts')).subjects },
  { name: 'rights', load: async () => (await import('./commands/rights.ts')).rights },
  { name: 'retention', load: async () => (await import('./commands/rights.ts')).retention },
  { name: 'keys', load: async () => (await import('./commands/keys.ts')).keys },
  { name: 'types', load: async () => (await import('./commands/types.ts')).types },
  { name: 'tokens', load: async () => (await import('./commands/tokens.ts')).tokens },
  { name: 'sessions', load: async () => (await import('./commands/sessions.ts')).sessions },
  { name: 'issuers', load: async () => (await import('./commands/issuers.ts')).issuers },
  { name: 'policy', load: async () => (await import('./commands/policy.ts')).policy },
  { name: 'privacy-policy', load: async () => (await import('./commands/privacy-policy.ts')).privacyPolicy },
  { name: 'consent', load: async () => (await import('./commands/consent.ts')).consent },
  { name: 'log', load: async () => (await import('./commands/log.ts')).log },
  { name: 'witness', load: async () => (await import('./commands/witness.ts')).witness },
  { name: 'release', load: async () => (await import('./commands/release.ts')).release },
  { name: 'report', load: async () => (await import('./commands/report.ts')).report },
  { name: 'incidents', load: async () => (await import('./commands/incidents.ts')).incidents },
  { name: 'mls', load: async () => (await import('./commands/mls.ts')).mls },
  { name: 'chain', load: async () => (await import('./commands/chain.ts')).chain },
  { name: 'compliance', load: async () => (await import('./commands/governance.ts')).compliance },
  { name: 'governance', load: async () => (await import('./commands/governance.ts')).governance },
  { name: 'deid', load: async () => (await import('./commands/deid.ts')).deid },
  { name: 'fpe', load: async () => (await import('./commands/fpe.ts')).fpe },
  { name: 'pii', load: async () => (await import('./commands/pii.ts')).pii },
  { name: 'anonymize', load: async () => (await import('./commands/anonymize.ts')).anonymize },
  { name: 'dp', load: async () => (await import('./commands/dp.ts')).dp },
  { name: 'risk', load: async () => (await import('./commands/risk.ts')).risk },
  { name: 'did', load: async () => (await import('./commands/did.ts')).did },
  { name: 'vc', load: async () => (await import('./commands/vc.ts')).vc },
  { name: 'updates', load: async () => (await import('./commands/updates.ts')).updates },
  { name: 'doctor', load: async () => (await import('./commands/doctor.ts')).doctorGroup },
];

/** Printed under `verity help`. */
export const HELP_FOOTER = `Secrets come from the environment: VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE
(32 random bytes, raw, hex or base64); for keys in an HSM, the PIN from VERITY_HSM_PIN or
VERITY_HSM_PIN_FILE. --data may be given as VERITY_DATA.
Exit codes: 0 success; 1 the operation failed or a verification was invalid; 2 usage error or
malformed input. Errors are printed on stderr as {"error":{"code":"VERITY_E_...","message":...}}.`;
