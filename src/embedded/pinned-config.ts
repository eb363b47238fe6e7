// The settings of `verity.json` that decide what a data directory accepts, pinned in the
// authenticated state (D427). `unknownTypes` says whether records of a type with no registered
// schema are written (`generic`) or refused (`reject`, `verity init --strict-types`); whoever could
// write the data directory without the key store's secret turned a strict store lenient by
// editing the file. The state object `data-dir.config/current` holds it from `init` (an older
// data directory's is pinned at its first open, logged); an open whose file says otherwise is refused.

import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { systemClock } from '../clock/index.ts';
import { ConfigError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { nextObject, type Store } from '../store/index.ts';

/** The state object kind of the pinned settings. */
export const PINNED_CONFIG_KIND = 'data-dir.config';
const CURRENT = 'current';

/** The settings pinned. */
export interface PinnedConfig {
  readonly unknownTypes: 'generic' | 'reject';
}

interface PinnedDoc extends PinnedConfig {
  readonly pinnedAt: number;
  readonly logIndex: number;
}

/**
 * Checks `config`'s pinned settings against the state's; pins them, with a `config.pin` entry,
 * where the state holds none (`init`, or a data directory made before D427). A differing file is
 * VERITY_E_CONFIG_INVALID, naming the setting and the value in force.
 */
export async function checkPinnedConfig(
  v: { readonly store: Store; readonly log: TransparencyLog },
  config: PinnedConfig,
  o: { actor: string; file: string; clock?: Clock },
): Promise<void> {
  const row = await v.store.reader.getObject(PINNED_CONFIG_KIND, CURRENT);
  if (row !== undefined) {
    const doc = JSON.parse(row.body) as Partial<PinnedDoc>;
    if (doc.unknownTypes !== config.unknownTypes)
      throw new ConfigError(
        'VERITY_E_CONFIG_INVALID',
        `${quote(o.file)} says "unknownTypes": ${JSON.stringify(config.unknownTypes)}, but this data directory accepts ${JSON.stringify(doc.unknownTypes)} (pinned in the authenticated state, log entry ${doc.logIndex}): the file was changed; put ${JSON.stringify(doc.unknownTypes)} back (a data directory's rule for types with no schema is set when it is made, \`verity init --strict-types\`)`,
      );
    return;
  }
  const now = (o.clock ?? systemClock).now();
  await v.log.submit(async (tx, batch) => {
    const again = await tx.getObject(PINNED_CONFIG_KIND, CURRENT);
    if (again !== undefined) return;
    const logIndex = batch.add(
      encodeAuditEntry({
        actor: o.actor,
        action: 'config.pin',
        resource: 'config:data-dir',
        purpose: 'security',
        outcome: 'success',
        time: now,
        details: { unknownTypes: config.unknownTypes },
      }),
    );
    const doc: PinnedDoc = { unknownTypes: config.unknownTypes, pinnedAt: now, logIndex };
    await tx.putObject(nextObject(again, { kind: PINNED_CONFIG_KIND, id: CURRENT, doc, updatedAt: now }));
  });
}
