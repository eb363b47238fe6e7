// Layout version 4: the nodes of the state map, the authenticated dictionary of every row a read or
// an access decision uses, whose root each signed checkpoint commits to (src/smt, state.ts).
import type { Migration } from './context.ts';

export const stateMap: Migration = {
  name: '0004_state_map',
  async up({ db, run, types: t }) {
    // One row per 16-slot node: pos = nibble depth and the key prefix; node = its slots (smt/node.ts).
    await run(
      db.schema
        .createTable('state_nodes')
        .addColumn('pos', t.bytes, (c) => c.primaryKey())
        .addColumn('node', t.bytes, (c) => c.notNull())
        .$call(t.table),
    );
  },
};
