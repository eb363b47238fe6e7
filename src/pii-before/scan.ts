import { InputError } from '../errors/index.ts';
import { type Finding, PII_TYPES, type PiiType } from './findings.ts';
import { namesAndPlaces } from './names.ts';
import { STRUCTURED } from './recognizers.ts';

/** Longest text one `scan` call takes (UTF-16 code units). */
export const MAX_SCAN_CHARS = 1024 * 1024;

export interface ScanOptions {
  /** Only these types (default: all). */
  readonly types?: readonly PiiType[];
  /** Findings scored below this are dropped (default 0.5). */
  readonly minScore?: number;
}

/**
 * Finds personal data in free text (FGMV-46 7.1.3): e-mail addresses, phone numbers (validated by
 * libphonenumber-js), payment cards (Luhn), IBANs (ISO 13616 checksum), IP addresses, URLs,
 * crypto-wallet addresses (EIP-55, Base58Check, bech32), US SSNs (SSA ranges), dates of birth
 * (a date near a birth cue) and person names and places (dictionaries of 77 locales plus nearby
 * words). Findings are sorted by start and never overlap: where two overlap, the higher score
 * wins, then the longer span.
 */
export function scan(text: string, options: ScanOptions = {}): Finding[] {
  if (typeof text !== 'string') throw new InputError('VERITY_E_INPUT_INVALID', 'the text to scan must be a string');
  if (text.length > MAX_SCAN_CHARS)
    throw new InputError(
      'VERITY_E_INPUT_TOO_LARGE',
      `scan at most ${MAX_SCAN_CHARS} characters at a time; split the text`,
    );
  const minScore = options.minScore ?? 0.5;
  const wanted = options.types === undefined ? undefined : new Set<string>(options.types);
  if (wanted !== undefined)
    for (const t of wanted)
      if (!(PII_TYPES as readonly string[]).includes(t))
        throw new InputError(
          'VERITY_E_INPUT_INVALID',
          `unknown PII type ${JSON.stringify(t)}; use ${PII_TYPES.join(', ')}`,
        );
  const found: Finding[] = [];
  // Characters claimed by a structured finding: phone numbers and names are not looked for there.
  const claimed = new Uint8Array(text.length);
  const emit = (type: PiiType, start: number, end: number, score: number) => {
    if (end <= start) return;
    // A loop, not `claimed.fill`: the builtin's call costs more than the dozen bytes it writes, and
    // a scan claims a span for every second finding (4% of a scan of chat).
    if (score >= 0.8 && type !== 'PHONE') for (let i = start; i < end; i++) claimed[i] = 1;
    if (score >= minScore && (wanted === undefined || wanted.has(type))) found.push({ type, start, end, score });
  };
  for (const r of STRUCTURED) {
    if (wanted !== undefined && !r.types.some((t) => wanted.has(t))) continue;
    if (r.needs !== undefined && !r.needs.test(text)) continue;
    r.run(text, emit, claimed);
  }
  if (wanted === undefined || wanted.has('PERSON') || wanted.has('LOCATION')) namesAndPlaces(text, emit, claimed);
  return joinAddresses(resolve(found, text.length), text);
}

/** A US state and ZIP code, a Canadian province and postal code, or a British postcode. */
const POSTAL_TAIL =
  /^(?:,? [A-Z]{2},? \d{5}(?:-\d{4})?|,? [A-Z]{2},? [A-Z]\d[A-Z] ?\d[A-Z]\d|,? [A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})(?![\p{L}\d])/u;

/** What may lie between a street address and its town: commas, a flat, a postcode, "in" (D205). */
const ADDRESS_GAP =
  /^[ ,]*(?:(?:\d{1,6}(?:-\d{3,4})?|\d{1,3}[º°ª]?(?: ?[A-Za-z])?|[A-Z]{1,2}\d{1,2}[A-Z]? ?\d[A-Z]{2}|in|im|en|em|à)[ ,]+)*$/;

/**
 * A street address and the town right after it as one place (Kastanienallee 3 in 10435 Berlin,
 * Calle de Alcalá 45, 3º B, 28014 Madrid): the address patterns may stop before a flat or a town
 * written in lower case, and the town is then found alone, a second finding for one address.
 */
function joinAddresses(found: Finding[], text: string): Finding[] {
  // A street address's state or province and postcode after its town (Springfield, OR 97403;
  // Toronto, ON M5H 2N2; London NW1 6XE) belong to it (D372).
  for (let i = 0; i < found.length; i++) {
    const f = found[i] as Finding;
    if (f.type !== 'LOCATION') continue;
    // Only where a comma or a space and a capital follow (most places end otherwise).
    const c = text.charCodeAt(f.end);
    if (c !== 44 && c !== 32) continue;
    const u = text.charCodeAt(c === 44 ? f.end + 2 : f.end + 1);
    if (u < 65 || u > 90) continue;
    const tail = POSTAL_TAIL.exec(text.slice(f.end, f.end + 24));
    if (tail === null || !/\d/.test(text.slice(f.start, f.end))) continue;
    const next = found[i + 1];
    if (next !== undefined && next.start < f.end + tail[0].length) continue;
    found[i] = { ...f, end: f.end + tail[0].length };
  }
  for (let i = found.length - 2; i >= 0; i--) {
    const a = found[i] as Finding;
    const b = found[i + 1] as Finding;
    if (a.type !== 'LOCATION' || b.type !== 'LOCATION' || b.start - a.end > 24) continue;
    if (!/\d/.test(text.slice(a.start, a.end))) continue;
    if (!ADDRESS_GAP.test(text.slice(a.end, b.start))) continue;
    found.splice(i, 2, { type: 'LOCATION', start: a.start, end: b.end, score: Math.max(a.score, b.score) });
  }
  return found;
}

/**
 * Non-overlapping findings in text order: where findings overlap, the best (score, then length)
 * of each overlapping cluster is kept, then the next best that overlaps none kept, and so on.
 */
function resolve(found: Finding[], _length: number): Finding[] {
  if (found.length < 2) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  // A cluster is a run of the sorted findings, [from, to): no array is made for the common cluster
  // of one finding (the benchmark's chat has a finding every 40 characters).
  const flush = (from: number, to: number) => {
    if (to - from === 1) out.push(found[from] as Finding);
    else if (to - from > 1) {
      const kept: Finding[] = [];
      const byQuality = found
        .slice(from, to)
        .sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
      for (const f of byQuality) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
      out.push(...kept.sort((a, b) => a.start - b.start));
    }
  };
  let from = 0;
  let clusterEnd = -1;
  for (let i = 0; i < found.length; i++) {
    const f = found[i] as Finding;
    if (f.start >= clusterEnd) {
      flush(from, i);
      from = i;
      clusterEnd = f.end;
    } else clusterEnd = Math.max(clusterEnd, f.end);
  }
  flush(from, found.length);
  return out;
}
