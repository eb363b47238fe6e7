// Subject ids and the other names a caller gives the vault: every id that is accepted has one
// spelling, so two distinct ids never reach the same subject reference (and the same records).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { isVerityError } from '../errors/index.ts';
import { isIdentifier } from '../identifiers/index.ts';

const A = { actor: 'operator:test', purpose: 'service-provision' };
const invalid = (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID');

describe('vault identifiers', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(() => core.dispose());

  it("refuses a subject id with a lone surrogate: it cannot read `victim\\ufffd`'s records", async () => {
    const { id } = await core.vault.put({ ...A, subject: 'victim\ufffd', type: 'profile', data: { secret: 1 } });
    for (const evil of ['victim\ud800', 'victim\udfff']) {
      await assert.rejects(core.vault.subjectRef(evil), invalid);
      await assert.rejects(core.vault.listBySubject(evil, A), invalid);
      await assert.rejects(core.vault.put({ ...A, subject: evil, type: 'profile', data: {} }), invalid);
      await assert.rejects(core.vault.shredSubject(evil, A), invalid);
    }
    const mine = await core.vault.listBySubject('victim\ufffd', A);
    assert.deepEqual(
      mine.map((m) => m.id),
      [id],
    );
  });

  it('refuses record data with an unpaired surrogate, and says so', async () => {
    await assert.rejects(
      core.vault.put({ ...A, subject: 'p-surrogate', type: 'profile', data: { bio: 'hi \ud800' } }),
      (e: unknown) => invalid(e) && /unpaired surrogate/.test(String(e)),
    );
  });

  it('refuses unnormalized and zero-width subject ids, and names in other fields', async () => {
    await assert.rejects(
      core.vault.put({ ...A, subject: 'jose\u0301', type: 'profile', data: {} }),
      (e: unknown) => invalid(e) && /normalize to NFC/.test(String(e)),
    );
    await assert.rejects(core.vault.put({ ...A, subject: 'ad\u200ba', type: 'profile', data: {} }), invalid);
    await assert.rejects(core.vault.put({ ...A, subject: 'ada', type: 'profile\u200b', data: {} }), invalid);
    await assert.rejects(
      core.vault.put({ ...A, purpose: 'service\u2010provision', subject: 'ada', type: 'p', data: {} }),
      invalid,
    );
    await assert.rejects(
      core.vault.setGuardianship(
        'kid',
        { minor: true, guardians: ['mum\ud800'] },
        { kind: 'parental-consent', reference: 'form-1' },
        { ...A, purpose: 'guardianship' },
      ),
      invalid,
    );
  });

  it('property: no two distinct accepted subject ids share a subject reference', async () => {
    const units = fc.constantFrom('a', 'e', '\u0301', '\u00e9', '\ud800', '\udfff', '\ufffd', '\u200b', ' ', '\u212b');
    const id = fc.array(units, { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
    const seen = new Map<string, string>();
    await fc.assert(
      fc.asyncProperty(id, async (s) => {
        if (!isIdentifier(s)) {
          await assert.rejects(core.vault.subjectRef(s), invalid);
          return;
        }
        const ref = await core.vault.subjectRef(s);
        const other = seen.get(ref);
        assert.ok(
          other === undefined || other === s,
          `${JSON.stringify(s)} and ${JSON.stringify(other)} share a reference`,
        );
        seen.set(ref, s);
      }),
      { numRuns: 3000 },
    );
    assert.ok(seen.size > 50, `only ${seen.size} accepted ids were tried`);
  });
});
