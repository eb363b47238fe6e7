import type { Clock } from '../clock/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Sessions } from '../principals/index.ts';
import type { Store } from '../store/index.ts';

/** What every part of `Passkeys` works over: the store, the log, the key store, sessions, the clock. */
export interface PasskeyContext {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly keys: KeyStore;
  readonly sessions: Sessions;
  readonly clock: Clock;
}
