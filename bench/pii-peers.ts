// The peer PII detectors the benchmark runs on the same labeled text as Verity (development
// dependencies, used here only), each with its types mapped to Verity's (docs/pii-corpus.md).
// A peer is scored on the types it has: labels of other types are left out of its figures.
import { redact as arcjetRedact } from '@arcjet/redact';
import nlp from 'compromise';
import { OpenRedaction } from 'openredaction';
import redactPii from 'redact-pii';
import type { Finding, PiiType } from '../src/pii/index.ts';

export interface Peer {
  readonly name: string;
  readonly types: readonly PiiType[];
  readonly scan: (text: string) => Promise<Finding[]>;
}

// Marker characters from the Private Use Area: never in the corpus, so a redacted text splits
// back into the original's pieces and the spans between them.
const OPEN = '\uE000';
const CLOSE = '\uE001';

/** Spans of a redacted text whose replacements are OPEN type CLOSE markers, found in the original. */
function spansFromRedacted(original: string, redacted: string): Finding[] {
  const out: Finding[] = [];
  const parts = redacted.split(OPEN);
  let at = 0;
  const head = parts[0] as string;
  if (!original.startsWith(head)) return out;
  at = head.length;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    const close = part.indexOf(CLOSE);
    if (close < 0) return out;
    const type = part.slice(0, close) as PiiType;
    const rest = part.slice(close + 1);
    // The entity ends where the literal text after it starts again (at least one character on).
    const nextMarker = rest.length === 0 && i + 1 < parts.length;
    const end = rest.length === 0 ? (nextMarker ? -1 : original.length) : original.indexOf(rest.slice(0, 12), at + 1);
    if (end < 0) return out;
    out.push({ type, start: at, end, score: 1 });
    at = end + rest.length;
    if (original.slice(end, at) !== rest) return out;
  }
  return out;
}

// redact-pii writes a fixed placeholder per rule (its per-rule `replaceWith` is not applied in
// 3.4.0): each placeholder is turned into a marker of the mapped type.
const REDACT_PII_TYPES: Record<string, PiiType> = {
  CREDIT_CARD_NUMBER: 'CREDIT_CARD',
  EMAIL_ADDRESS: 'EMAIL',
  IP_ADDRESS: 'IP_ADDRESS',
  PERSON_NAME: 'PERSON',
  PHONE_NUMBER: 'PHONE',
  STREET_ADDRESS: 'LOCATION',
  US_SOCIAL_SECURITY_NUMBER: 'US_SSN',
  URL: 'URL',
};
const REDACT_PII_PLACEHOLDER = new RegExp(`\\b(?:${Object.keys(REDACT_PII_TYPES).join('|')})\\b`, 'g');
const redactor = new redactPii.SyncRedactor({
  // Rules with no counterpart in Verity's types: off, so they neither help nor hurt.
  builtInRedactors: Object.fromEntries(
    ['credentials', 'password', 'username', 'zipcode', 'digits'].map((k) => [k, { enabled: false }]),
  ),
});

const ARCJET_TYPES: Record<string, PiiType> = {
  email: 'EMAIL',
  'phone-number': 'PHONE',
  'ip-address': 'IP_ADDRESS',
  'credit-card-number': 'CREDIT_CARD',
};

const OPENREDACTION_TYPES: Record<string, PiiType> = {
  EMAIL: 'EMAIL',
  PHONE: 'PHONE',
  PHONE_US: 'PHONE',
  PHONE_UK: 'PHONE',
  PHONE_INTERNATIONAL: 'PHONE',
  UK_MOBILE: 'PHONE',
  CREDIT_CARD: 'CREDIT_CARD',
  IBAN: 'IBAN',
  IPV4: 'IP_ADDRESS',
  IPV6: 'IP_ADDRESS',
  IP_ADDRESS: 'IP_ADDRESS',
  URL: 'URL',
  SSN: 'US_SSN',
  NAME: 'PERSON',
  DATE_OF_BIRTH: 'DATE_OF_BIRTH',
  DOB: 'DATE_OF_BIRTH',
  ADDRESS: 'LOCATION',
  ADDRESS_STREET: 'LOCATION',
  ETHEREUM_ADDRESS: 'CRYPTO_WALLET',
  BITCOIN_ADDRESS: 'CRYPTO_WALLET',
  CRYPTO_WALLET: 'CRYPTO_WALLET',
};
const openRedaction = new OpenRedaction({ redactionMode: 'placeholder' });

export const PEERS: readonly Peer[] = [
  {
    name: 'redactPii',
    types: [...new Set(Object.values(REDACT_PII_TYPES))],
    scan: async (text) =>
      spansFromRedacted(
        text,
        redactor.redact(text).replace(REDACT_PII_PLACEHOLDER, (m) => `${OPEN}${REDACT_PII_TYPES[m]}${CLOSE}`),
      ),
  },
  {
    name: 'arcjetRedact',
    types: [...new Set(Object.values(ARCJET_TYPES))],
    scan: async (text) => {
      const [redacted] = await arcjetRedact(text, {
        replace: (entity) => {
          const t = ARCJET_TYPES[entity];
          return t === undefined ? undefined : `${OPEN}${t}${CLOSE}`;
        },
      });
      return spansFromRedacted(text, redacted);
    },
  },
  {
    name: 'compromise',
    types: ['PERSON', 'LOCATION', 'EMAIL', 'PHONE', 'URL'],
    scan: async (text) => {
      const doc = nlp(text);
      const out: Finding[] = [];
      const take = (type: PiiType, offsets: unknown) => {
        for (const m of offsets as { offset: { start: number; length: number } }[])
          out.push({ type, start: m.offset.start, end: m.offset.start + m.offset.length, score: 1 });
      };
      take('PERSON', doc.people().out('offset'));
      take('LOCATION', doc.places().out('offset'));
      take('EMAIL', doc.emails().out('offset'));
      take('PHONE', doc.phoneNumbers().out('offset'));
      take('URL', doc.urls().out('offset'));
      return out;
    },
  },
  {
    name: 'openredaction',
    types: [...new Set(Object.values(OPENREDACTION_TYPES))],
    scan: async (text) => {
      const r = (await openRedaction.detect(text)) as {
        detections: { type: string; position: [number, number] }[];
      };
      return r.detections.flatMap((d) => {
        const t = OPENREDACTION_TYPES[d.type];
        return t === undefined ? [] : [{ type: t, start: d.position[0], end: d.position[1], score: 1 }];
      });
    },
  },
];
