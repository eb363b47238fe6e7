/** The command table: every group of `verity`, in the order `verity help` lists them. */

import type { Group } from './command.ts';
import { anonymize } from './commands/anonymize.ts';
import { deid } from './commands/deid.ts';
import { dp } from './commands/dp.ts';
import { fpe } from './commands/fpe.ts';
import { init } from './commands/init.ts';
import { keys } from './commands/keys.ts';
import { log } from './commands/log.ts';
import { pii } from './commands/pii.ts';
import { policy } from './commands/policy.ts';
import { records } from './commands/records.ts';
import { retention, rights } from './commands/rights.ts';
import { serveGroup, startGroup } from './commands/serve.ts';
import { sessions } from './commands/sessions.ts';
import { subjects } from './commands/subjects.ts';
import { tokens } from './commands/tokens.ts';
import { types } from './commands/types.ts';
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
  policy,
  log,
  witness,
  deid,
  fpe,
  pii,
  anonymize,
  dp,
];

/** Printed under `verity help`. */
export const HELP_FOOTER = `Secrets come from the environment: VERITY_PASSPHRASE, VERITY_PASSPHRASE_FILE or VERITY_KEY_FILE
(32 random bytes, raw, hex or base64). --data may be given as VERITY_DATA.
Exit codes: 0 success; 1 the operation failed or a verification was invalid; 2 usage error or
malformed input. Errors are printed on stderr as {"error":{"code":"VERITY_E_...","message":...}}.`;
