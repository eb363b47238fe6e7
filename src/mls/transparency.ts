// Key transparency for end-to-end encrypted rooms (FGMV-46 7.2.1, D174): each player's MLS
// signature keys and unclaimed KeyPackage references are a `mls.keys` object in the authenticated
// state, so its value is in the state map whose root every signed checkpoint carries. A lookup
// answers each identity's entry with its state proof under the latest checkpoint (or the proof
// that the map holds none); the client (the SDK's MlsClient) checks the checkpoint against the
// log key it pinned, the proof against the checkpoint's state root, and that the keys members
// show in a room are in the proven entries.
import { LogError, StoreError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import { stateKey, stateProofToBase64, stateRootFromExtensions } from '../smt/index.ts';
import { proveState, type Store } from '../store/index.ts';

/** Key transparency: a player's signature keys and unclaimed KeyPackage references. */
export const KEYS_KIND = 'mls.keys';

/** Identities one lookup answers at most (a room's largest membership). */
export const MAX_KEY_LOOKUP = 1000;

/** One identity's key entry as the state map commits to it, with its proof. */
export interface ProvenKeyEntry {
  readonly identity: string;
  /** The `mls.keys` object, its body byte for byte; absent when the map holds none (the proof shows it). */
  readonly object?: {
    readonly id: string;
    readonly owner: string;
    readonly body: string;
    readonly version: number;
    readonly updatedAt: number;
  };
  /** Base64 of the compact state proof of `object.mls.keys` + identity. */
  readonly proof: string;
}

/** What a key lookup answers: every entry proven against one signed checkpoint. */
export interface KeyProofs {
  readonly checkpoint: string;
  readonly entries: readonly ProvenKeyEntry[];
}

/**
 * The key entries of `identities`, each with its state proof under the latest checkpoint (the map
 * keeps the nodes of its latest root only, so that is the root it proves against). Rows are read
 * between two looks at the log head; when a write came in between, it starts again.
 */
export async function proveKeys(store: Store, log: TransparencyLog, identities: readonly string[]): Promise<KeyProofs> {
  if (identities.length === 0 || identities.length > MAX_KEY_LOOKUP)
    throw new RangeError(`a key lookup names 1 to ${MAX_KEY_LOOKUP} identities`);
  const unique = [...new Set(identities)];
  for (let attempt = 0; attempt < 8; attempt++) {
    const head = await log.head();
    const root = stateRootFromExtensions(
      verifyCheckpoint(head.checkpoint, log.verifier, log.origin).checkpoint.extensions,
    );
    if (root === undefined)
      throw new LogError('VERITY_E_STATE_TAMPERED', 'the latest checkpoint commits to no state map');
    const entries: ProvenKeyEntry[] = [];
    for (const identity of unique) {
      const row = await store.reader.getObject(KEYS_KIND, identity);
      const p = await proveState(store, root, stateKey(`object.${KEYS_KIND}`, identity));
      entries.push({
        identity,
        ...(row === undefined
          ? {}
          : {
              object: {
                id: row.id,
                owner: row.owner,
                body: row.body,
                version: row.version,
                updatedAt: row.updatedAt,
              },
            }),
        proof: stateProofToBase64(p.proof),
      });
    }
    if ((await log.head()).size === head.size) return { checkpoint: head.checkpoint, entries };
  }
  throw new StoreError('VERITY_E_STORE_UNAVAILABLE', 'the log kept changing while keys were proven; retry');
}
