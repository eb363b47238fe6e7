import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PG_URL, pgSchema } from '../../test/helpers/env.ts';
import { isVerityError } from '../errors/index.ts';
import { openPostgresStore } from './index.ts';
import { storeConformanceSuite } from './store-suite.ts';

storeConformanceSuite('postgres', async () => {
  const { schema, drop } = pgSchema();
  return {
    store: await openPostgresStore({ connectionString: PG_URL, schema }),
    childArgs: ['postgres', PG_URL, schema],
    cleanup: drop,
  };
});

it('postgres reports an unreachable server without echoing the connection string', async () => {
  await assert.rejects(
    openPostgresStore({ connectionString: 'postgres://verity:hunter2@127.0.0.1:1/none', schema: 'x' }),
    (e) => {
      return (
        isVerityError(e, 'VERITY_E_STORE_UNAVAILABLE') &&
        e.message.includes('127.0.0.1:1') &&
        !e.message.includes('hunter2')
      );
    },
  );
  await assert.rejects(openPostgresStore({ connectionString: PG_URL, schema: 'Bad-Name; DROP' }), RangeError);
});
