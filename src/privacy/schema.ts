// The JSON Schema of a privacy policy document (format `verity-privacy-policy/1`). It is the whole
// shape; what a schema cannot say (every name a term refers to exists, every prefix is declared)
// is checked after it by policy.ts. docs/examples/privacy-policy.schema.json is this object.

/** The format tag every document carries. */
export const POLICY_FORMAT = 'verity-privacy-policy/1';

const name = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' } as const;
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
/** A DPV term as a compact IRI (`dpv:Consent`, `eu-gdpr:A9-2-a`) whose prefix the document knows. */
const term = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' } as const;
/** An ISO 8601 duration of whole years, months, weeks or days (`P1M`, `P45D`, `P2Y`). */
const duration = { type: 'string', pattern: '^P(?=\\d)(\\d{1,4}Y)?(\\d{1,4}M)?(\\d{1,4}W)?(\\d{1,5}D)?$' } as const;
/** ISO 3166-1 alpha-2, or an ISO 3166-2 subdivision (`US-CA`). */
const region = { type: 'string', pattern: '^[A-Z]{2}(-[A-Z0-9]{1,3})?$' } as const;
const age = { type: 'integer', minimum: 0, maximum: 21 } as const;
const names = { type: 'array', maxItems: 256, uniqueItems: true, items: name } as const;
const map = (value: object, max = 256) =>
  ({
    type: 'object',
    maxProperties: max,
    propertyNames: name,
    additionalProperties: value,
  }) as const;

const legalBasis = {
  type: 'object',
  additionalProperties: false,
  required: ['dpv', 'article'],
  properties: {
    dpv: term,
    article: text(128),
    description: text(500),
    consent: {
      enum: ['opt-in', 'opt-out'],
      description:
        'opt-in: processing needs consent given and not withdrawn; opt-out: processing stands until the player opts out',
    },
  },
} as const;

const right = {
  type: 'object',
  additionalProperties: false,
  required: ['dpv', 'article'],
  properties: { dpv: term, article: text(128), description: text(500) },
} as const;

const regime = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'law', 'legalBases', 'rights', 'deadline', 'consentAge'],
  properties: {
    name: text(128),
    law: term,
    legalBases: map(legalBasis, 64),
    specialCategoryConditions: map(legalBasis, 64),
    rights: map(right, 64),
    deadline: {
      type: 'object',
      additionalProperties: false,
      required: ['respondWithin', 'extendableBy'],
      properties: { respondWithin: duration, extendableBy: { anyOf: [duration, { const: null }] } },
    },
    consentAge: {
      type: 'object',
      additionalProperties: false,
      required: ['digital', 'parentalBelow'],
      properties: {
        digital: age,
        parentalBelow: age,
        saleOptInBelow: age,
        byRegion: { type: 'object', maxProperties: 64, propertyNames: region, additionalProperties: age },
      },
    },
    honoursGpc: { type: 'boolean' },
  },
} as const;

const category = {
  type: 'object',
  additionalProperties: false,
  required: ['dpv', 'retention'],
  properties: {
    dpv: term,
    description: text(500),
    special: { type: 'boolean' },
    retention: duration,
  },
} as const;

const purpose = {
  type: 'object',
  additionalProperties: false,
  required: ['dpv', 'description', 'legalBasis'],
  properties: {
    dpv: term,
    description: text(500),
    legalBasis: map(name, 16),
    specialCategoryCondition: map(name, 16),
    categories: names,
    recipients: names,
    saleOrSharing: { enum: ['sale', 'sharing'] },
  },
} as const;

const recipient = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'dpv', 'country'],
  properties: { name: text(200), dpv: term, country: region, purposes: names },
} as const;

const transfer = {
  type: 'object',
  additionalProperties: false,
  required: ['recipient', 'to', 'mechanism'],
  properties: {
    recipient: name,
    from: names,
    to: region,
    mechanism: term,
    article: text(128),
  },
} as const;

/** The JSON Schema (draft 2020-12 keywords ajv understands) of a privacy policy document. */
export const POLICY_SCHEMA = {
  $id: 'https://verity.dev/schemas/privacy-policy-1.json',
  title: 'Verity privacy policy',
  type: 'object',
  additionalProperties: false,
  required: [
    'format',
    'version',
    'prefixes',
    'regimes',
    'regions',
    'defaultRegime',
    'categories',
    'purposes',
    'recipients',
    'transfers',
  ],
  properties: {
    $schema: { type: 'string', maxLength: 256 },
    format: { const: POLICY_FORMAT },
    version: {
      type: 'string',
      pattern: '^[0-9][0-9A-Za-z.+-]{0,63}$',
      description: 'a new version for every change, e.g. 2026-11-27.1',
    },
    title: text(200),
    controller: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: text(200), contact: text(200) },
    },
    prefixes: {
      type: 'object',
      maxProperties: 32,
      propertyNames: { pattern: '^[a-z][a-z0-9-]{0,31}$' },
      additionalProperties: { type: 'string', pattern: '^https://[\\x21-\\x7e]{1,200}[#/]$' },
    },
    regimes: map(regime, 16),
    regions: { type: 'object', maxProperties: 512, propertyNames: region, additionalProperties: name },
    defaultRegime: name,
    categories: map(category),
    purposes: map(purpose),
    recipients: map(recipient, 128),
    transfers: { type: 'array', maxItems: 128, items: transfer },
  },
} as const;
