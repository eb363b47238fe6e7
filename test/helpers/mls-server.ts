// The HTTP server the MLS tests run their rooms through: records (for sessions and tokens), the
// delivery service and the abuse reports on one test core, with the default policies.
import { DEFAULT_POLICIES, PolicyEngine } from '../../src/access/index.ts';
import { MlsDelivery, MlsReports } from '../../src/mls/index.ts';
import { Sessions, Tokens } from '../../src/principals/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { Verity } from '../../src/verity/index.ts';

type ServerOptions = Parameters<typeof buildServer>[0];

/** A server with MLS rooms over `core`; `extra` adds or replaces options (witnesses, logging). */
export function mlsServer(core: Verity, extra: Partial<ServerOptions> = {}): ReturnType<typeof buildServer> {
  return buildServer({
    log: core.log,
    records: {
      vault: core.vault,
      tokens: new Tokens(core.store, core.log),
      sessions: new Sessions(core),
      policies: () => PolicyEngine.load(DEFAULT_POLICIES),
    },
    mls: {
      delivery: new MlsDelivery({ store: core.store, log: core.log, keys: core.keys }),
      reports: new MlsReports({ store: core.store, log: core.log, keys: core.keys }),
    },
    logging: { level: 'silent' },
    ...extra,
  });
}
