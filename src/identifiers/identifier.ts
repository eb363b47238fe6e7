import { InputError, quote } from '../errors/index.ts';

/**
 * The one check of every identifier a user gives Verity (subject ids, record types, purposes,
 * principal names, pseudonym domains, dataset names, ...), run at every boundary (HTTP, SDK, CLI)
 * and again in the core.
 *
 * Two identifiers that look or encode the same must be the same identifier, so an identifier is
 * well-formed Unicode (no lone surrogates: UTF-8 would turn `a\ud800` and `a\udfff` into the same
 * bytes as `a\ufffd`), in Normalization Form C (`é` has one spelling, not two), and holds no
 * control characters (C0, DEL, C1), no default-ignorable characters (zero-width spaces and joiners,
 * bidirectional controls, variation selectors, soft hyphens: invisible, so two ids that print the
 * same would differ), no line or paragraph separators, no noncharacters and no unassigned code
 * points (whose normalization a later Unicode version could change), and no white space at either
 * end. Distinct accepted identifiers therefore have distinct UTF-8 bytes.
 */

/**
 * The beginning of the subject ids of Verity's own records (a private dataset's are
 * `verity-dataset:NAME`): no API caller names such a subject, and no sign-in makes a player of one.
 */
export const RESERVED_SUBJECT_PREFIX = 'verity-';

/** Characters no identifier may hold (see above). */
const FORBIDDEN = /[\p{Cc}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Cn}\p{Zl}\p{Zp}\p{Cs}]/u;

/** Why `value` is not an acceptable identifier, or undefined when it is. */
export function identifierProblem(value: string): string | undefined {
  if (!value.isWellFormed()) return 'holds a lone surrogate (not well-formed Unicode)';
  if (value.normalize('NFC') !== value) return 'is not in Unicode Normalization Form C: normalize to NFC';
  const bad = FORBIDDEN.exec(value);
  if (bad !== null) {
    const cp = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return `holds U+${cp}, a control, zero-width, default-ignorable, separator or unassigned character`;
  }
  if (value.trim() !== value) return 'begins or ends with white space';
  return undefined;
}

/** What an identifier must look like besides being well-formed (see {@link checkIdentifier}). */
export interface IdentifierRule {
  /** Longest identifier in UTF-16 code units (default 256). */
  readonly maxLength?: number;
  /** A pattern the identifier must match as well (e.g. lowercase ASCII tokens). */
  readonly pattern?: RegExp;
  /** What the pattern asks for, said in the error, e.g. `1 to 64 lowercase letters`. */
  readonly hint?: string;
}

/**
 * Checks an identifier a user gave (see the module comment) and returns it. `what` names it in the
 * error (`subject id`, `record type`). Throws VERITY_E_INPUT_INVALID saying what to fix.
 */
export function checkIdentifier(value: unknown, what: string, rule: IdentifierRule = {}): string {
  const max = rule.maxLength ?? 256;
  const shape = rule.hint ?? `1 to ${max} characters`;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(value)} must be ${shape}`);
  const problem = identifierProblem(value);
  if (problem !== undefined)
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(value)} ${problem}; send another ${what}`);
  if (rule.pattern !== undefined && !rule.pattern.test(value))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} ${quote(value)} must be ${shape}`);
  return value;
}

/** True when `value` passes {@link checkIdentifier} with `rule`. */
export function isIdentifier(value: unknown, rule: IdentifierRule = {}): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= (rule.maxLength ?? 256) &&
    identifierProblem(value) === undefined &&
    (rule.pattern === undefined || rule.pattern.test(value))
  );
}
