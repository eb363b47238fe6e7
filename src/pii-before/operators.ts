import { toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError } from '../errors/index.ts';
import { hmacSha256 } from '../platform/index.ts';
import type { Finding, PiiType } from './findings.ts';

/** What to put in place of one finding. */
export type Replacer = (f: Finding, value: string) => string;

/** Replaces each finding's span (right to left, so offsets stay valid); other text is untouched. */
export function applyOperator(
  text: string,
  findings: readonly Finding[],
  replace: Replacer,
): { text: string; replaced: number } {
  const sorted = [...findings].sort((a, b) => b.start - a.start);
  let out = text;
  let last = Number.POSITIVE_INFINITY;
  for (const f of sorted) {
    if (
      !Number.isInteger(f.start) ||
      !Number.isInteger(f.end) ||
      f.start < 0 ||
      f.end > text.length ||
      f.start >= f.end ||
      f.end > last
    )
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'findings must be in-bounds, non-empty and non-overlapping spans of the text',
      );
    out = out.slice(0, f.start) + replace(f, text.slice(f.start, f.end)) + out.slice(f.end);
    last = f.start;
  }
  return { text: out, replaced: sorted.length };
}

/** `[TYPE]` in place of each finding. */
export function redact(text: string, findings: readonly Finding[]): { text: string; replaced: number } {
  return applyOperator(text, findings, (f) => `[${f.type}]`);
}

const KEEP_LAST: ReadonlySet<PiiType> = new Set(['CREDIT_CARD', 'PHONE', 'IBAN', 'US_SSN']);

/** Masks each finding with `char`, keeping the last `keepLast` characters of cards, phones, IBANs and SSNs. */
export function mask(
  text: string,
  findings: readonly Finding[],
  options: { keepLast?: number; char?: string } = {},
): { text: string; replaced: number } {
  const char = options.char ?? '*';
  const keep = options.keepLast ?? 4;
  if ([...char].length !== 1)
    throw new InputError('VERITY_E_INPUT_INVALID', 'the mask character must be one character');
  return applyOperator(text, findings, (f, v) => {
    const k = KEEP_LAST.has(f.type) ? Math.min(keep, v.length) : 0;
    // Separators (spaces, dashes) keep their places so the shape stays readable.
    return [...v].map((c, i) => (i >= v.length - k || /[ -]/.test(c) ? c : char)).join('');
  });
}

/** `<TYPE:…>` with 96 bits of HMAC-SHA-256(key, type + "\n" + value): equal values stay equal, nothing is recoverable. */
export function hashPii(
  text: string,
  findings: readonly Finding[],
  key: Uint8Array,
): { text: string; replaced: number } {
  if (!(key instanceof Uint8Array) || key.byteLength < 16)
    throw new InputError('VERITY_E_INPUT_INVALID', 'the hashing key must be at least 16 bytes');
  return applyOperator(
    text,
    findings,
    (f, v) => `<${f.type}:${toBase64Url(hmacSha256(key, utf8(`${f.type}\n${v}`)).subarray(0, 12))}>`,
  );
}

/** Replaces each finding by `fn(type, value)`, e.g. a keyed pseudonym. */
export function pseudonymizePii(
  text: string,
  findings: readonly Finding[],
  fn: (type: PiiType, value: string) => string,
): { text: string; replaced: number } {
  return applyOperator(text, findings, (f, v) => fn(f.type, v));
}
