// Facts about subjects that access policies read about a record's owner: minority and guardians.
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJsonBytes, toBase64Url } from '../encoding/index.ts';
import { InputError, quote } from '../errors/index.ts';
import { type Access, auditEntry, checkPurpose, type VaultContext } from './context.ts';
import type { Keyring } from './keyring.ts';

/** Most guardians one subject may have (as the store allows). */
const MAX_GUARDIANS = 16;

/** What a guardianship record may cite as its grounds. */
export const GUARDIANSHIP_EVIDENCE = [
  'parental-consent',
  'court-order',
  'guardianship-document',
  'age-verification',
] as const;

/**
 * The evidence a guardianship record cites: its kind, and a reference to it in the citing service's
 * own records (a form or case number, never personal data). The log keeps only the kind and a hash.
 */
export interface GuardianshipEvidence {
  readonly kind: (typeof GUARDIANSHIP_EVIDENCE)[number];
  readonly reference: string;
}

const MAX_REFERENCE = 256;

/**
 * What the log keeps of guardianship evidence (D421): `sha256:` and the base64url SHA-256 of a
 * 16-byte salt followed by the RFC 8785 JSON of `{kind, reference}`. The salt goes back to the
 * service that cited the evidence, never into the log or the store: with the reference it shows an
 * auditor which evidence an entry cites, while nobody can confirm a guessed reference from the log.
 */
export function evidenceCommitment(salt: Uint8Array, e: GuardianshipEvidence): string {
  if (!(salt instanceof Uint8Array) || salt.byteLength !== 16) throw new RangeError('the salt has 16 bytes');
  const bytes = canonicalJsonBytes({ kind: e.kind, reference: e.reference });
  return `sha256:${toBase64Url(createHash('sha256').update(salt).update(bytes).digest())}`;
}

/** Checks evidence (untrusted input) and returns its salted commitment with the salt. */
export function evidenceHash(e: unknown): { commitment: string; salt: string } {
  const ev = e as Partial<GuardianshipEvidence> | null | undefined;
  if (
    typeof ev !== 'object' ||
    ev === null ||
    Object.keys(ev).some((k) => k !== 'kind' && k !== 'reference') ||
    !(GUARDIANSHIP_EVIDENCE as readonly unknown[]).includes(ev.kind) ||
    typeof ev.reference !== 'string' ||
    ev.reference.length === 0 ||
    ev.reference.length > MAX_REFERENCE ||
    /[\u0000-\u001f\u007f]/.test(ev.reference)
  )
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `guardianship needs \`evidence\`: {kind, reference} with kind one of ${GUARDIANSHIP_EVIDENCE.join(', ')} and a reference of 1 to ${MAX_REFERENCE} characters (kind given: ${quote(ev?.kind)})`,
    );
  const salt = new Uint8Array(randomBytes(16));
  return {
    commitment: evidenceCommitment(salt, { kind: ev.kind, reference: ev.reference } as GuardianshipEvidence),
    salt: toBase64Url(salt),
  };
}

/** Records and reads guardianship. */
export class SubjectFacts {
  readonly #ctx: VaultContext;
  readonly #keyring: Keyring;

  constructor(ctx: VaultContext, keyring: Keyring) {
    this.#ctx = ctx;
    this.#keyring = keyring;
  }

  /**
   * Records whether a subject is a minor and who their guardians are (other subjects), citing the
   * evidence for it. Replaces what was recorded before; a subject who is not a minor and has no
   * guardians has no facts kept. Audited: the entry names the subject by pseudonym, counts the
   * guardians (stored only as subject references), and keeps the evidence's kind and a salted
   * commitment to it (`evidenceCommitment`), never the reference itself; the salt is answered.
   */
  async setGuardianship(
    subject: string,
    facts: { readonly minor: boolean; readonly guardians: readonly string[] },
    evidence: GuardianshipEvidence,
    access: Access,
  ): Promise<{ logIndex: number; evidenceSalt: string }> {
    checkPurpose(access.purpose);
    const { commitment: evidenceDigest, salt } = evidenceHash(evidence);
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
    const logIndex = await keyring.write(
      ref,
      access,
      async (tx, batch, k) => {
        if (facts.minor || guardians.length > 0)
          await tx.putSubjectFacts({ subjectRef: k.ref, minor: facts.minor, guardians, updatedAt: clock.now() });
        else await tx.deleteSubjectFacts(k.ref);
        return batch.add(
          auditEntry(clock, access, 'subject.guardianship', 'subject:guardianship', {
            subject: k.pseudonym,
            details: {
              minor: facts.minor,
              guardians: guardians.length,
              evidenceKind: evidence.kind,
              evidence: evidenceDigest,
            },
          }),
        );
      },
      () => keyring.subjectRef(subject),
    );
    return { logIndex, evidenceSalt: salt };
  }

  /** What is recorded about a subject (by reference) for authorization: minority and guardians. */
  async subjectFacts(subjectRef: string): Promise<{ minor: boolean; guardians: readonly string[] }> {
    const f = await this.#ctx.store.reader.getSubjectFacts(subjectRef);
    return f === undefined ? { minor: false, guardians: [] } : { minor: f.minor, guardians: f.guardians };
  }
}
