// Token Status List (draft-ietf-oauth-status-list): its examples and test vectors decode to the
// statuses they list; Verity's own encoding round-trips. Vectors: test/vectors/status-list/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { StatusList } from '../src/vc/index.ts';

interface Vector {
  section: string;
  bits: 1 | 2 | 4 | 8;
  lst: string;
  bytes?: string;
  statuses: Record<string, number>;
}
const VECTORS = JSON.parse(
  readFileSync(join(import.meta.dirname, 'vectors', 'status-list', 'vectors.json'), 'utf8'),
) as Vector[];

describe('draft-ietf-oauth-status-list vectors', () => {
  for (const v of VECTORS)
    it(`${v.section}: ${v.bits} bits`, async () => {
      const list = await StatusList.decode({ bits: v.bits, lst: v.lst });
      if (v.bytes !== undefined) assert.equal(toHex(list.bytes), v.bytes);
      for (const [i, s] of Object.entries(v.statuses)) assert.equal(list.get(Number(i)), s, `status[${i}]`);
      // Every other index is 0 in the appendix vectors: spot-check a few.
      if (v.bytes === undefined)
        for (const i of [1, 2, 1000, 1994]) if (!(String(i) in v.statuses)) assert.equal(list.get(i), 0);
    });

  it('round-trips any statuses at any width', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2, 4, 8),
        fc.array(fc.nat(255), { minLength: 1, maxLength: 200 }),
        async (bits, vals) => {
          const b = bits as 1 | 2 | 4 | 8;
          const list = new StatusList(b, vals.length);
          for (const [i, x] of vals.entries()) list.set(i, x % (1 << b));
          const back = await StatusList.decode(await list.encode());
          for (const [i, x] of vals.entries()) assert.equal(back.get(i), x % (1 << b));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('refuses a list that is not ZLIB, an index out of range, a zip bomb', async () => {
    await assert.rejects(StatusList.decode({ bits: 1, lst: 'AAAA' }), (e: unknown) =>
      isVerityError(e, 'VERITY_E_VC_INVALID'),
    );
    const list = await StatusList.decode({ bits: 1, lst: 'eNrbuRgAAhcBXQ' });
    assert.throws(
      () => list.get(16),
      (e: unknown) => isVerityError(e, 'VERITY_E_VC_INVALID'),
    );
    const bomb = await new StatusList(8, 1 << 20).encode();
    const big = new StatusList(1, new Uint8Array(9 * 1024 * 1024));
    await assert.rejects(StatusList.decode(await big.encode()), (e: unknown) =>
      isVerityError(e, 'VERITY_E_VC_INVALID'),
    );
    assert.ok((await StatusList.decode(bomb)).size === 1 << 20);
  });
});
