import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { TransparencyLog } from '../log/index.ts';
import { Retention, type RetentionRules } from '../retention/index.ts';
import { type AccessReportLink, limitsGuard, type RegimePolicy, Rights, readLimits } from '../rights/index.ts';
import type { Store } from '../store/index.ts';
import { Vault, type VaultOptions } from '../vault/index.ts';

/** Name of the KeyStore signing key that signs the log's checkpoints. */
export const LOG_SIGNING_KEY = 'log-checkpoint';

export interface VerityOptions {
  readonly store: Store;
  readonly keys: KeyStore;
  /** The log's checkpoint origin (unique per deployment). */
  readonly origin: string;
  readonly clock?: Clock;
  readonly unknownTypes?: VaultOptions['unknownTypes'];
  readonly maxBatch?: number;
  /** The regime of each subject and its deadlines (default: GDPR for everyone). */
  readonly regimes?: RegimePolicy;
  /** Retention per record type and category (default: each record's own deadline). */
  readonly retention?: RetentionRules;
  /** Where a subject's access report is (linked from the answer to an access request). */
  readonly accessReports?: AccessReportLink;
}

/** A running Verity core: storage, keys, the transparency log and the vault over them. */
export interface Verity {
  readonly store: Store;
  readonly keys: KeyStore;
  readonly log: TransparencyLog;
  readonly vault: Vault;
  /** Data-subject requests, processors, restriction and objection. */
  readonly rights: Rights;
  /** Retention runs. */
  readonly retention: Retention;
  /** Waits for pending writes, then closes the log, the store and the key store. */
  close(): Promise<void>;
}

/**
 * Wires the core together over the given store and key store (dependency injection: the caller
 * chooses SQLite or PostgreSQL, software keys or an HSM, a real or a fake clock).
 */
export async function openVerity(options: VerityOptions): Promise<Verity> {
  const { store, keys } = options;
  const clock = options.clock ?? systemClock;
  await store.migrate();
  const log = await TransparencyLog.open(store, keys, {
    origin: options.origin,
    signingKey: LOG_SIGNING_KEY,
    clock,
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
  });
  const head = await log.head();
  if (head.size === 0) {
    // The first entry records the log's creation, so even an empty Verity has a verifiable history.
    await log.submit(async (tx, batch) => {
      if ((await tx.getLogHead())?.size !== 0 || batch.nextIndex !== 0) return;
      batch.add(
        encodeAuditEntry({
          actor: 'system:verity',
          action: 'log.init',
          resource: 'log:0',
          purpose: 'accountability',
          outcome: 'success',
          time: clock.now(),
        }),
      );
    });
  }
  const vault = await Vault.open(store, keys, log, {
    clock,
    // Restriction and objection bind every read and write, whatever interface it comes through.
    guard: limitsGuard(store, log, clock),
    ...(options.unknownTypes === undefined ? {} : { unknownTypes: options.unknownTypes }),
  });
  const rights = new Rights({
    store,
    log,
    keys,
    vault,
    clock,
    ...(options.regimes === undefined ? {} : { regimes: options.regimes }),
    ...(options.accessReports === undefined ? {} : { accessReports: options.accessReports }),
  });
  const retention = new Retention({
    store,
    vault,
    log,
    clock,
    held: async (ref, id) => (await readLimits(store, ref)).restricted.includes(id),
    ...(options.retention === undefined ? {} : { rules: options.retention }),
  });
  let closed = false;
  return {
    store,
    keys,
    log,
    vault,
    rights,
    retention,
    async close() {
      if (closed) return;
      closed = true;
      await log.close();
      await store.close();
      await keys.close();
    },
  };
}
