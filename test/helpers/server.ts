import { DEFAULT_POLICIES, PolicyEngine } from '../../src/access/index.ts';
import { Deid } from '../../src/deid/index.ts';
import { Sessions, Tokens } from '../../src/principals/index.ts';
import { buildServer, type ServerOptions } from '../../src/server/index.ts';
import type { TestCore } from './core.ts';

/**
 * The HTTP interface over a test core, on loopback, with player sessions, and one service token for
 * `recordTypes` (and `capabilities`).
 */
export async function serveCore(
  core: TestCore,
  service: { principal: string; recordTypes: string[]; capabilities?: string[] },
  extra: Partial<ServerOptions> = {},
): Promise<{ app: ReturnType<typeof buildServer>; url: string; token: string }> {
  const app = buildServer({
    ...extra,
    log: core.log,
    records: {
      vault: core.vault,
      tokens: new Tokens(core.store, core.log),
      sessions: new Sessions(core),
      policies: () => PolicyEngine.load(DEFAULT_POLICIES),
    },
    deid: new Deid(core),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = (await new Tokens(core.store, core.log).create({ ...service, role: 'service', actor: 'operator:test' }))
    .token;
  return { app, url, token };
}
