// The default privacy policy `verity init` writes to DIR/policies/privacy-policy.json: every
// purpose Verity's default Cedar policies and commands name, each mapped to the W3C Data Privacy
// Vocabulary (DPV 2), under three regimes side by side. docs/examples/privacy-policy.json is this
// document (a test keeps them equal). Ages and deadlines as the laws state them (GDPR Art. 8 and
// 12(3); CCPA Cal. Civ. Code 1798.120(c) and 1798.130(a)(2); LGPD Art. 14 and 19), member-state
// ages of digital consent as national laws set them under GDPR Art. 8(1): check them against
// current law before relying on them. The two laws DPV has no term for yet are named under
// Verity's own prefix (verity:US-CA-CCPA, verity:BR-LGPD).
import { POLICY_FORMAT } from './schema.ts';

const gdprAges = {
  AT: 14,
  BE: 13,
  BG: 14,
  CY: 14,
  CZ: 15,
  DE: 16,
  DK: 13,
  EE: 13,
  ES: 14,
  FI: 13,
  FR: 15,
  GR: 15,
  HR: 16,
  HU: 16,
  IE: 16,
  IT: 14,
  LT: 14,
  LU: 16,
  LV: 13,
  MT: 13,
  NL: 16,
  PL: 16,
  PT: 13,
  RO: 16,
  SE: 13,
  SI: 15,
  SK: 16,
};
const EEA = [...Object.keys(gdprAges), 'IS', 'LI', 'NO'];

const basis = (gdpr: string, ccpa: string, lgpd: string) => ({ gdpr, ccpa, lgpd });
const CONTRACT = basis('contract', 'business-purpose', 'contract');
const LEGAL = basis('legal-obligation', 'legal-obligation', 'legal-obligation');
const INTEREST = basis('legitimate-interest', 'business-purpose', 'legitimate-interest');
const CONSENT = basis('consent', 'consent', 'consent');
const SALE = basis('consent', 'opt-out', 'consent');

/** The default privacy policy document (JSON-compatible). */
export const DEFAULT_PRIVACY_POLICY = {
  format: POLICY_FORMAT,
  version: '1.0.0',
  title: 'Verity default privacy policy',
  prefixes: {
    dpv: 'https://w3id.org/dpv#',
    pd: 'https://w3id.org/dpv/pd#',
    'eu-gdpr': 'https://w3id.org/dpv/legal/eu/gdpr#',
    verity: 'https://verity.dev/terms#',
  },
  regimes: {
    gdpr: {
      name: 'EU General Data Protection Regulation (Regulation (EU) 2016/679)',
      law: 'eu-gdpr:GDPR',
      legalBases: {
        consent: { dpv: 'eu-gdpr:A6-1-a', article: 'Art. 6(1)(a)', consent: 'opt-in' },
        contract: { dpv: 'eu-gdpr:A6-1-b', article: 'Art. 6(1)(b)' },
        'legal-obligation': { dpv: 'eu-gdpr:A6-1-c', article: 'Art. 6(1)(c)' },
        'legitimate-interest': { dpv: 'eu-gdpr:A6-1-f', article: 'Art. 6(1)(f)' },
      },
      specialCategoryConditions: {
        'explicit-consent': { dpv: 'eu-gdpr:A9-2-a', article: 'Art. 9(2)(a)', consent: 'opt-in' },
        'legal-claims': { dpv: 'eu-gdpr:A9-2-f', article: 'Art. 9(2)(f)' },
      },
      rights: {
        access: { dpv: 'eu-gdpr:A15', article: 'Art. 15' },
        rectification: { dpv: 'eu-gdpr:A16', article: 'Art. 16' },
        erasure: { dpv: 'eu-gdpr:A17', article: 'Art. 17' },
        restriction: { dpv: 'eu-gdpr:A18', article: 'Art. 18' },
        portability: { dpv: 'eu-gdpr:A20', article: 'Art. 20' },
        object: { dpv: 'eu-gdpr:A21', article: 'Art. 21' },
        'withdraw-consent': { dpv: 'eu-gdpr:A7-3', article: 'Art. 7(3)' },
      },
      deadline: { respondWithin: 'P1M', extendableBy: 'P2M' },
      consentAge: { digital: 16, parentalBelow: 16, byRegion: gdprAges },
    },
    ccpa: {
      name: 'California Consumer Privacy Act as amended by the CPRA (Cal. Civ. Code 1798.100 ff.)',
      law: 'verity:US-CA-CCPA',
      legalBases: {
        'business-purpose': { dpv: 'dpv:LegitimateInterest', article: '1798.140(e)' },
        'legal-obligation': { dpv: 'dpv:LegalObligation', article: '1798.145(a)' },
        consent: { dpv: 'dpv:Consent', article: '1798.140(h)', consent: 'opt-in' },
        'opt-out': {
          dpv: 'dpv:Consent',
          article: '1798.120',
          consent: 'opt-out',
          description: 'sale and sharing stand until the consumer opts out (a Global Privacy Control signal counts)',
        },
      },
      rights: {
        know: { dpv: 'dpv:DataSubjectRight', article: '1798.110' },
        delete: { dpv: 'dpv:DataSubjectRight', article: '1798.105' },
        correct: { dpv: 'dpv:DataSubjectRight', article: '1798.106' },
        'opt-out-of-sale-and-sharing': { dpv: 'dpv:DataSubjectRight', article: '1798.120' },
        'limit-sensitive': { dpv: 'dpv:DataSubjectRight', article: '1798.121' },
        'non-discrimination': { dpv: 'dpv:DataSubjectRight', article: '1798.125' },
      },
      deadline: { respondWithin: 'P45D', extendableBy: 'P45D' },
      consentAge: { digital: 13, parentalBelow: 13, saleOptInBelow: 16 },
      honoursGpc: true,
    },
    lgpd: {
      name: 'Lei Geral de Proteção de Dados Pessoais (Lei 13.709/2018)',
      law: 'verity:BR-LGPD',
      legalBases: {
        consent: { dpv: 'dpv:Consent', article: 'Art. 7, I', consent: 'opt-in' },
        'legal-obligation': { dpv: 'dpv:LegalObligation', article: 'Art. 7, II' },
        contract: { dpv: 'dpv:Contract', article: 'Art. 7, V' },
        'legitimate-interest': { dpv: 'dpv:LegitimateInterest', article: 'Art. 7, IX' },
      },
      specialCategoryConditions: {
        'explicit-consent': { dpv: 'dpv:ExplicitlyExpressedConsent', article: 'Art. 11, I', consent: 'opt-in' },
      },
      rights: {
        confirmation: { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, I' },
        access: { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, II' },
        correction: { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, III' },
        'anonymisation-blocking-deletion': { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, IV' },
        portability: { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, V' },
        deletion: { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, VI' },
        'information-on-sharing': { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, VII' },
        'withdraw-consent': { dpv: 'dpv:DataSubjectRight', article: 'Art. 18, IX' },
      },
      deadline: { respondWithin: 'P15D', extendableBy: null },
      consentAge: { digital: 18, parentalBelow: 12 },
    },
  },
  regions: {
    ...Object.fromEntries(EEA.map((r) => [r, 'gdpr'])),
    'US-CA': 'ccpa',
    BR: 'lgpd',
  },
  defaultRegime: 'gdpr',
  categories: {
    unclassified: { dpv: 'dpv:PersonalData', description: 'personal data not classified further', retention: 'P2Y' },
    profile: { dpv: 'pd:Preference', description: 'avatar, profile and preferences', retention: 'P2Y' },
    identity: { dpv: 'pd:Identifying', description: 'names, identifiers, identity documents', retention: 'P5Y' },
    contact: { dpv: 'pd:Contact', description: 'e-mail, phone, address', retention: 'P2Y' },
    communication: { dpv: 'pd:Communication', description: 'chat and messages', retention: 'P1Y' },
    location: { dpv: 'pd:Location', description: 'real-world location', retention: 'P6M' },
    behavioural: { dpv: 'pd:Behavioral', description: 'play and interaction telemetry', retention: 'P1Y' },
    financial: { dpv: 'pd:Financial', description: 'purchases and payment data', retention: 'P10Y' },
    health: { dpv: 'pd:Health', description: 'health data (GDPR Art. 9)', special: true, retention: 'P1Y' },
    biometric: {
      dpv: 'pd:Biometric',
      description: 'biometric data for identification (GDPR Art. 9)',
      special: true,
      retention: 'P1Y',
    },
  },
  purposes: {
    'service-provision': {
      dpv: 'dpv:ServiceProvision',
      description: 'running the world the player plays in',
      legalBasis: CONTRACT,
    },
    'user-request': {
      dpv: 'dpv:RequestedServiceProvision',
      description: 'what the player asked for themselves',
      legalBasis: CONTRACT,
    },
    support: {
      dpv: 'dpv:CustomerCare',
      description: 'helping the player when they ask for support',
      legalBasis: CONTRACT,
    },
    'legal-obligation': { dpv: 'dpv:LegalCompliance', description: 'meeting a legal obligation', legalBasis: LEGAL },
    authentication: {
      dpv: 'dpv:IdentityAuthentication',
      description: 'signing players in through a platform service',
      legalBasis: CONTRACT,
    },
    'sign-in': {
      dpv: 'dpv:IdentityAuthentication',
      description: "a player's own sign-in (passkey, OpenID Connect)",
      legalBasis: CONTRACT,
    },
    'sign-out': { dpv: 'dpv:IdentityAuthentication', description: 'ending a sign-in', legalBasis: CONTRACT },
    identity: {
      dpv: 'dpv:IdentityVerification',
      description: 'issuing and revoking verifiable credentials about a player (over 18, verified creator, membership)',
      legalBasis: CONTRACT,
    },
    session: { dpv: 'dpv:IdentityAuthentication', description: 'managing player sessions', legalBasis: CONTRACT },
    guardianship: {
      dpv: 'dpv:LegalCompliance',
      description: 'recording minors and their guardians (GDPR Art. 8)',
      legalBasis: LEGAL,
    },
    security: {
      dpv: 'dpv:EnforceSecurity',
      description: 'keeping sessions, tokens and keys secure',
      legalBasis: INTEREST,
    },
    'key-management': {
      dpv: 'dpv:EnforceSecurity',
      description: 'creating, rotating and destroying keys',
      legalBasis: INTEREST,
    },
    'fraud-prevention': {
      dpv: 'dpv:FraudPreventionAndDetection',
      description: 'preventing fraud and abuse',
      legalBasis: INTEREST,
    },
    audit: { dpv: 'dpv:LegalCompliance', description: 'checking the log from outside', legalBasis: LEGAL },
    accountability: {
      dpv: 'dpv:LegalCompliance',
      description: 'keeping a verifiable record of processing (GDPR Art. 5(2))',
      legalBasis: LEGAL,
    },
    administration: {
      dpv: 'dpv:OrganisationGovernance',
      description: 'operating Verity (tokens, record types)',
      legalBasis: INTEREST,
    },
    retention: {
      dpv: 'dpv:LegalCompliance',
      description: 'erasing what is past its retention period',
      legalBasis: LEGAL,
    },
    'erasure-request': {
      dpv: 'dpv:RightsFulfilment',
      description: "carrying out a player's request to erase",
      legalBasis: LEGAL,
    },
    'breach-notification': {
      dpv: 'dpv:IncidentReportingCommunication',
      description:
        'recording personal data breaches and notifying the supervisory authority and the players affected (GDPR Art. 33 and 34)',
      legalBasis: LEGAL,
    },
    analytics: {
      dpv: 'dpv:ServiceOptimisation',
      description: 'de-identified analytics to improve the world',
      legalBasis: INTEREST,
    },
    research: { dpv: 'dpv:ResearchAndDevelopment', description: 'research on de-identified data', legalBasis: CONSENT },
    personalisation: {
      dpv: 'dpv:ServicePersonalisation',
      description: "personalising the world to the player's play, with their consent",
      legalBasis: CONSENT,
      categories: ['profile', 'behavioural'],
    },
    marketing: {
      dpv: 'dpv:Marketing',
      description: 'marketing to the player, with their consent',
      legalBasis: CONSENT,
    },
    'data-sale': {
      dpv: 'dpv:SellDataToThirdParties',
      description: 'selling personal data (CCPA "sale")',
      legalBasis: SALE,
      saleOrSharing: 'sale',
    },
    'targeted-advertising': {
      dpv: 'dpv:PersonalisedAdvertising',
      description: 'cross-context behavioural advertising (CCPA "sharing")',
      legalBasis: SALE,
      saleOrSharing: 'sharing',
      recipients: ['ad-partners'],
    },
  },
  recipients: {
    'world-services': {
      name: 'the world and platform services that hold Verity tokens',
      dpv: 'dpv:DataProcessor',
      country: 'IE',
      purposes: ['service-provision', 'user-request', 'personalisation'],
    },
    hosting: { name: 'the hosting provider of the Verity servers', dpv: 'dpv:DataProcessor', country: 'US' },
    'ad-partners': {
      name: 'advertising partners',
      dpv: 'dpv:ThirdParty',
      country: 'US',
      purposes: ['targeted-advertising'],
    },
  },
  transfers: [
    {
      recipient: 'hosting',
      from: ['gdpr', 'lgpd'],
      to: 'US',
      mechanism: 'dpv:StandardContractualClauses',
      article: 'GDPR Art. 46(2)(c); LGPD Art. 33, II, b',
    },
  ],
} as const;
