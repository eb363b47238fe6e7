/** The command table: every group of `verity`, in the order `verity help` lists them. */

import type { Group } from './command.ts';
import { anonymize } from './commands/anonymize.ts';
import { chain } from './commands/chain.ts';
import { consent } from './commands/consent.ts';
import { deid } from './commands/deid.ts';
import { did } from './commands/did.ts';
import { doctorGroup } from './commands/doctor.ts';
import { dp } from './commands/dp.ts';
import { fpe } from './commands/fpe.ts';
import { compliance, governance } from './commands/governance.ts';
import { incidents } from './commands/incidents.ts';
import { init } from './commands/init.ts';
import { issuers } from './commands/issuers.ts';
import { keys } from './commands/keys.ts';
import { log } from './commands/log.ts';
import { mls } from './commands/mls.ts';
import { pii } from './commands/pii.ts';
import { policy } from './commands/policy.ts';
import { privacyPolicy } from './commands/privacy-policy.ts';
import { records } from './commands/records.ts';
import { release } from './commands/release.ts';
import { report } from './commands/report.ts';
import { retention, rights } from './commands/rights.ts';
import { risk } from './commands/risk.ts';
import { serveGroup, startGroup } from './commands/serve.ts';
import { sessions } from './commands/sessions.ts';
import { subjects } from './commands/subjects.ts';
import { tokens } from './commands/tokens.ts';
import { types } from './commands/types.ts';
import { updates } from './commands/updates.ts';
import { vc } from './commands/vc.ts';
import { witness } from './commands/witness.ts';

export const GROUPS: readonly Group[] = [
  init,
  startGroup,
  serveGroup,
  records,
  subjects,
  rights,
  retention,
  keys,
  types,
  tokens,
  sessions,
  issuers,
  policy,
  privacyPolicy,
  consent,
  log,
  witness,
  release,
  report,
  incidents,
  mls,
  chain,
  compliance,
  governance,
  deid,
  fpe,
  pii,
  anonymize,
  dp,
  risk,
  did,
  vc,
  updates,
  doctorGroup,
];

/** Printed under `verity help`. */
export const HELP_FOOTER = `Secrets come from the environment: VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE
(32 random bytes, raw, hex or base64); for keys in an HSM, the PIN from VERITY_HSM_PIN or
VERITY_HSM_PIN_FILE. --data may be given as VERITY_DATA.
Exit codes: 0 success; 1 the operation failed or a verification was invalid; 2 usage error or
malformed input. Errors are printed on stderr as {"error":{"code":"VERITY_E_...","message":...}}.`;
