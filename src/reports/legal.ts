// The legal basis of each purpose of processing, as an access report shows it, and what a privacy
// label declares beyond what the stored records show. Both come through small interfaces so that
// the privacy policy (purposes mapped to legal bases per regime, consent records) can supply them;
// the defaults below describe the purposes Verity's default policies name today.

import type { LegalBasisKind } from '../audit/index.ts';

export type { LegalBasisKind };

/** The legal basis of a purpose: its kind, and the W3C DPV term naming it (GDPR extension). */
export interface LegalBasis {
  readonly basis: LegalBasisKind;
  /** A W3C Data Privacy Vocabulary term, e.g. `eu-gdpr:A6-1-b` (contract); '' when unknown. */
  readonly term: string;
}

/**
 * Where an access report takes the legal basis of a purpose from. Wire the privacy policy in here;
 * `defaultLegalBases` covers the purposes of the default policies.
 */
export interface LegalBasisSource {
  /** The basis of `purpose`, or undefined when the source does not know the purpose. */
  basisOf(purpose: string): LegalBasis | undefined;
}

// DPV's GDPR extension names each Art. 6(1) point: https://w3id.org/dpv/legal/eu/gdpr
const TERMS: Readonly<Record<Exclude<LegalBasisKind, 'unknown'>, string>> = {
  consent: 'eu-gdpr:A6-1-a',
  contract: 'eu-gdpr:A6-1-b',
  'legal-obligation': 'eu-gdpr:A6-1-c',
  'vital-interests': 'eu-gdpr:A6-1-d',
  'public-task': 'eu-gdpr:A6-1-e',
  'legitimate-interests': 'eu-gdpr:A6-1-f',
};

/** The purposes Verity and its default policies use, and the basis each rests on by default. */
export const DEFAULT_PURPOSE_BASES: Readonly<Record<string, Exclude<LegalBasisKind, 'unknown'>>> = Object.freeze({
  // Running the game or world the player signed up for, at their request, and helping them.
  'service-provision': 'contract',
  'user-request': 'contract',
  support: 'contract',
  authentication: 'contract',
  // What the law requires: answering rights requests, erasure, retention limits, guardianship of
  // minors (Art. 8), the audit trail itself (Art. 5(2), 30, 33).
  'legal-obligation': 'legal-obligation',
  guardianship: 'legal-obligation',
  'erasure-request': 'legal-obligation',
  retention: 'legal-obligation',
  accountability: 'legal-obligation',
  audit: 'legal-obligation',
  'breach-notification': 'legal-obligation',
  // Legitimate interests (Recitals 47 and 49): fraud, security, running the system.
  'fraud-prevention': 'legitimate-interests',
  security: 'legitimate-interests',
  administration: 'legitimate-interests',
  analytics: 'legitimate-interests',
  // Only with the player's consent.
  research: 'consent',
  marketing: 'consent',
  personalization: 'consent',
});

/** A legal basis source over a table of purpose → basis kind (default: `DEFAULT_PURPOSE_BASES`). */
export function defaultLegalBases(
  table: Readonly<Record<string, Exclude<LegalBasisKind, 'unknown'>>> = DEFAULT_PURPOSE_BASES,
): LegalBasisSource {
  return {
    basisOf(purpose) {
      const kind = Object.hasOwn(table, purpose) ? table[purpose] : undefined;
      return kind === undefined ? undefined : { basis: kind, term: TERMS[kind] };
    },
  };
}

/** The basis to show for a purpose: the source's, or `unknown` (an unmapped purpose is itself a finding). */
export function legalBasisOf(source: LegalBasisSource, purpose: string): LegalBasis {
  return source.basisOf(purpose) ?? { basis: 'unknown', term: '' };
}

/** What a privacy policy declares about a record type beyond what its stored records show. */
export interface DeclaredLabel {
  /** Purposes the type is processed for (beyond those it was collected for). */
  readonly purposes?: readonly string[];
  /** The retention rule in words, e.g. `deleted 30 days after the account closes`. */
  readonly retention?: string;
  /** Recipients outside the services holding tokens for the type (processors, authorities). */
  readonly recipients?: readonly string[];
  /** Data categories (W3C DPV personal data categories), when the records do not say. */
  readonly categories?: readonly string[];
}

/** Where a privacy label takes the declared part from (the privacy policy, once wired). */
export interface LabelPolicy {
  declared(type: string): DeclaredLabel | undefined;
}

/** A label policy that declares nothing: labels then show only what the stored records show. */
export const NO_DECLARATIONS: LabelPolicy = Object.freeze({ declared: () => undefined });
