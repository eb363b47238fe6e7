// Facts about subjects that access policies read about a record's owner: minority and guardians.
import { InputError } from '../errors/index.ts';
import { type Access, auditEntry, checkPurpose, type VaultContext } from './context.ts';
import type { Keyring } from './keyring.ts';

/** Most guardians one subject may have (as the store allows). */
const MAX_GUARDIANS = 16;

/** Records and reads guardianship. */
export class SubjectFacts {
  readonly #ctx: VaultContext;
  readonly #keyring: Keyring;

  constructor(ctx: VaultContext, keyring: Keyring) {
    this.#ctx = ctx;
    this.#keyring = keyring;
  }

  /**
   * Records whether a subject is a minor and who their guardians are (other subjects). Replaces
   * what was recorded before; a subject who is not a minor and has no guardians has no facts kept.
   * Audited (the entry names the subject by pseudonym and counts the guardians; guardians are
   * stored only as subject references).
   */
  async setGuardianship(
    subject: string,
    facts: { readonly minor: boolean; readonly guardians: readonly string[] },
    access: Access,
  ): Promise<{ logIndex: number }> {
    checkPurpose(access.purpose);
    if (typeof facts?.minor !== 'boolean' || !Array.isArray(facts.guardians))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'guardianship needs `minor` (true or false) and `guardians` (a list)',
      );
    if (facts.guardians.length > MAX_GUARDIANS)
      throw new InputError('VERITY_E_INPUT_INVALID', `a subject has at most ${MAX_GUARDIANS} guardians`);
    const keyring = this.#keyring;
    const ref = await keyring.subjectRef(subject);
    const guardians = [...new Set(await Promise.all(facts.guardians.map((g) => keyring.subjectRef(g))))].sort();
    if (guardians.includes(ref))
      throw new InputError('VERITY_E_INPUT_INVALID', 'a subject cannot be their own guardian');
    const { clock } = this.#ctx;
    const logIndex = await keyring.write(ref, access, async (tx, batch, k) => {
      if (facts.minor || guardians.length > 0)
        await tx.putSubjectFacts({ subjectRef: ref, minor: facts.minor, guardians, updatedAt: clock.now() });
      else await tx.deleteSubjectFacts(ref);
      return batch.add(
        auditEntry(clock, access, 'subject.guardianship', 'subject:guardianship', {
          subject: k.pseudonym,
          details: { minor: facts.minor, guardians: guardians.length },
        }),
      );
    });
    return { logIndex };
  }

  /** What is recorded about a subject (by reference) for authorization: minority and guardians. */
  async subjectFacts(subjectRef: string): Promise<{ minor: boolean; guardians: readonly string[] }> {
    const f = await this.#ctx.store.reader.getSubjectFacts(subjectRef);
    return f === undefined ? { minor: false, guardians: [] } : { minor: f.minor, guardians: f.guardians };
  }
}
