import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { counted } from '../../test/helpers/counted.ts';
import { utf8 } from '../encoding/index.ts';
import { Guard } from './state-guard.ts';
import type { RowReader } from './types.ts';

describe('the trusted root of reads', () => {
  let core: TestCore;
  let heads: number;
  let reader: RowReader;
  before(async () => {
    core = await makeCore('sqlite');
    await core.log.append([utf8('an entry')]);
    heads = 0;
    // The store's reader, counting the heads read through it.
    reader = counted(core.store.reader, 'getLogHead', () => heads++);
  });
  after(() => core.dispose());

  it('reads the head once for all the reads that find no recent one, and each fresh check reads its own', async () => {
    const guard = new Guard();
    const head = await core.log.head();
    const shared = await Promise.all(Array.from({ length: 100 }, () => guard.trusted(reader, false)));
    assert.equal(heads, 1);
    for (const t of shared) assert.equal(t?.checkpoint, head.checkpoint);
    // A fresh check follows a mismatch: it must see a head read after it, never one under way.
    const fresh = await Promise.all(Array.from({ length: 3 }, () => guard.trusted(reader, true)));
    assert.equal(heads, 4);
    for (const t of fresh) assert.equal(t?.checkpoint, head.checkpoint);
  });
});
