// What every recognizer shares: the entity types, a finding, how one is reported, and the
// characters already claimed by a surer finding.

/** The entity types Verity detects (the names of the labeled corpus). */
export const PII_TYPES = [
  'EMAIL',
  'PHONE',
  'CREDIT_CARD',
  'IBAN',
  'IP_ADDRESS',
  'URL',
  'CRYPTO_WALLET',
  'US_SSN',
  'DATE_OF_BIRTH',
  'PERSON',
  'LOCATION',
] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** One detected entity: UTF-16 offsets into the text, end exclusive; score from 0 to 1. */
export interface Finding {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/** How a recognizer reports a finding. */
export type Emit = (type: PiiType, start: number, end: number, score: number) => void;

/** Characters already covered by a structured finding (cards, IBANs, e-mails, ...): 1, else 0. */
export type Claimed = Uint8Array;

/** Whether no character of `[start, end)` is claimed yet. */
export function free(claimed: Claimed, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (claimed[i] !== 0) return false;
  return true;
}
