// The authenticated store: every row a read or an access decision uses is checked, at use, against
// the state map (src/smt) whose root the latest signed checkpoint commits to; every write of such a
// row changes the map in the same transaction. The parts: what the map holds for each row
// (state-facts.ts), trusted roots and checks (state-guard.ts), reads (state-reader.ts), writes
// (state-writer.ts). Private to src/store but for what index.ts exports.
import type { StateProof } from '../smt/index.ts';
import { storedFacts } from './state-facts.ts';
import { Guard } from './state-guard.ts';
import { VerifiedReader } from './state-reader.ts';
import { StateWriter } from './state-writer.ts';
import type { RowStore, Store, StoreWriter, WriteOptions } from './types.ts';

/**
 * Adds the state map to a backend: reads are checked, writes change the map in their transaction.
 * The log commits the map (StoreWriter.commitState) in every transaction that changes a protected
 * row; a transaction that changes one and does not is refused.
 */
export function authenticate(inner: RowStore, options: { baseline?: boolean } = {}): Store {
  const guard = new Guard();
  const reader = new VerifiedReader(inner.reader, guard, inner.dataVersion?.bind(inner));
  // @internal The baseline of `npm run bench` (the same writes without the map); never exported
  // from the store's index, so no deployment can turn the map off.
  guard.off = options.baseline === true;
  const store: Store = {
    kind: inner.kind,
    reader,
    migrate: () => inner.migrate(),
    anchor: (read) => guard.setAnchor(read),
    storedState: () => storedFacts(inner.reader),
    ...(inner.indexProblems === undefined
      ? {}
      : { indexProblems: (limit?: number) => inner.indexProblems?.(limit) ?? Promise.resolve([]) }),
    async write<T>(fn: (tx: StoreWriter) => Promise<T>, options?: WriteOptions): Promise<T> {
      let w: StateWriter | undefined;
      let result: T;
      try {
        result = await inner.write(async (tx) => {
          w = new StateWriter(tx, guard);
          const r = await fn(w);
          if (w.changed && !w.committed)
            throw new TypeError(
              'a write changed protected rows without committing the state map: write through the log',
            );
          return r;
        }, options);
      } catch (e) {
        await reader.afterWrite(undefined, undefined, undefined);
        throw e;
      }
      w?.update?.commit();
      if (w?.newHead !== undefined && w.update !== undefined) guard.committed(w.newHead, w.update.root);
      await reader.afterWrite(w?.committed === true ? w.changedKeys() : undefined, w?.baseHead, w?.newHead);
      return result;
    },
    close: () => inner.close(),
  };
  guards.set(store, guard);
  return store;
}

/** A proof of one key under a root, for answers that carry their own evidence. */
export async function proveState(
  store: Store,
  root: Uint8Array,
  key: Uint8Array,
): Promise<{ value: Uint8Array | undefined; proof: StateProof }> {
  const g = guards.get(store);
  if (g === undefined) throw new TypeError('not an authenticated store');
  return g.tree.prove(store.reader, root, key);
}

const guards = new WeakMap<Store, Guard>();
