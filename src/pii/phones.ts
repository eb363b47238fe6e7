// Phone numbers: a pattern of digit groups, the shapes numbers are written in, cue words, and
// libphonenumber-js's numbering plans.

import { isDigitCode } from './chars.ts';
import { type Claimed, type Emit, free } from './findings.ts';
import { isPossiblePhoneNumber, Metadata } from './libphonenumber.ts';
import { typedCue } from './slips.ts';

// A country code may come before a bracketed area code (+1 (415) 555-2671: D388).
export const PHONE =
  /(?:\+(?<![\w+]\+)\d{1,3}[ .-]?(?:(?:\(0\) ?)?\d{1,4}|\(\d{1,4}\)[ .-]?\d{2,5})|\((?<![\w+]\()\d{2,4}\)[ .-]?\d{2,5}|\d(?<![\w+]\d)\d{1,4})(?:[ .-]?\d{2,8}){1,4}(?![\w])/g;
/** Words that name an order's, an invoice's or a ticket's number before it (cards use it too). */
export const ORDER_CUE =
  /\b(?:order|orders|invoice|ticket|ref|reference|tracking|bestellung|rechnung|auftrag|commande|facture|pedido|factura|fatura|nota)\b[^\n]{0,12}$/iu;

// libphonenumber-js's metadata, asked directly for the common case (see phonePossible).
const PHONE_META = new Metadata() as unknown as {
  hasCallingCode(code: string): boolean;
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  selectNumberingPlan(country: string): void;
  numberingPlan: { possibleLengths(): number[] };
};
const possibleLengths = new Map<string, readonly number[] | null>();

/** The possible national lengths of a calling code's only country (null: several countries share it). */
function lengthsOf(callingCode: string): readonly number[] | null {
  let l = possibleLengths.get(callingCode);
  if (l === undefined) {
    const countries = PHONE_META.getCountryCodesForCallingCode(callingCode) ?? [];
    if (countries.length === 1 || callingCode === '1') {
      PHONE_META.selectNumberingPlan(callingCode === '1' ? 'US' : (countries[0] as string));
      l = PHONE_META.numberingPlan.possibleLengths();
    } else if (countries.length > 1) {
      // A calling code shared by several countries (+44: GB, GG, IM, JE): the lengths every one of
      // them allows, whichever the library picks for the number (the property test agrees).
      let common: number[] | undefined;
      for (const c of countries) {
        PHONE_META.selectNumberingPlan(c);
        const own = PHONE_META.numberingPlan.possibleLengths();
        common = common === undefined ? [...own] : common.filter((n) => own.includes(n));
      }
      l = common ?? null;
    } else l = null;
    possibleLengths.set(callingCode, l);
  }
  return l;
}

/**
 * Whether libphonenumber-js deems `raw` a possible number (international, or national in the US).
 * A number whose national part has a length the library's metadata lists for its calling code is
 * possible without further parsing; everything else (national prefixes, shared calling codes, odd
 * lengths) goes to `isPossiblePhoneNumber` itself. A property test holds the two to the same answer;
 * the shortcut saves most of the library's cost on chat text.
 */
export function phonePossible(raw: string, digits: string, international: boolean): boolean {
  if (international) {
    for (let n = 1; n <= 3 && n < digits.length; n++) {
      const cc = digits.slice(0, n);
      if (!PHONE_META.hasCallingCode(cc)) continue;
      const lengths = lengthsOf(cc);
      if (lengths?.includes(digits.length - n) === true) return true;
      break;
    }
  } else if (!digits.startsWith('011')) {
    // (011 is the US international call prefix: the library reads what follows as a foreign number.)
    const national = digits.length === 11 && digits[0] === '1' ? digits.slice(1) : digits;
    if (lengthsOf('1')?.includes(national.length) === true && digits.length <= 11) return true;
  }
  return isPossiblePhoneNumber(raw, international ? undefined : 'US');
}

// "call (someone) at" before the number, the someone up to 24 characters long (call Frau Schneider
// at 030 12345678: D400).
export const PHONE_CUE =
  /\b(?:call|text|phone|ph|mob|tel|mobile|cell|whatsapp|zap|sms|ring|number|reach me|contact|contacto|contato|ruf|ruf an|ruf mich an|anrufen|an unter|unter|handy|handynummer|nummer|telefon|rückruf|appelle|appelez|au|numéro|portable|llámame|llamar|al|número|móvil|movil|celular|cel|telefone|telemóvel|telemovel|fone|whats|wpp|me liga|liga|no|(?:call|text|ring|reach|contact|dial)\b[^\n\d]{0,24} (?:at|on))\b[^\n\d]{0,14}$/iu;
/** Countries tried for a national number (no +country code) that is not a possible US number. */
const NATIONAL = ['GB', 'DE', 'FR', 'ES', 'BR', 'PT', 'IT', 'NL', 'AT', 'CH', 'BE', 'MX', 'AR', 'IN', 'AU'] as const;

function nationalPossible(raw: string): boolean {
  for (const c of NATIONAL) if (isPossiblePhoneNumber(raw, c)) return true;
  return false;
}

/**
 * Where a cue pattern anchored at the end of a lead (a cue word, then characters that are no line
 * break, nor a digit where `digits`) needs to start reading the lead `text[from, to)`: at its last
 * line break (or digit), kept so that the word boundary after it reads as before. No cue word holds
 * one, nor may the characters after it: the pattern then tries a few positions instead of 32.
 */
export function cueStart(text: string, from: number, to: number, digits: boolean): number {
  for (let i = to - 1; i >= from; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || (digits && isDigitCode(c))) return i;
  }
  return from;
}

/** Whether an order's, an invoice's or a ticket's word (ORDER_CUE) ends the lead `text[from, to)`. */
export function orderCue(text: string, from: number, to: number): boolean {
  return ORDER_CUE.test(text.slice(cueStart(text, from, to, false), to));
}

/**
 * Where a North American number begins: the trunk prefix 1 and its separator before a 3-3-4 number
 * (1-800-555-0199, 1 415 555 0132) belong to it (D367), where nothing of a word or a number comes
 * before the 1.
 */
function withTrunkOne(text: string, start: number, raw: string): number {
  if (start < 2 || text.charCodeAt(start - 2) !== 49) return start;
  const sep = text.charCodeAt(start - 1);
  if (sep !== 45 && sep !== 32 && sep !== 46) return start;
  if (start >= 3 && /[\p{L}\d+_.-]/u.test(text.charAt(start - 3))) return start;
  return /^\d{3}[ .-]\d{3}[ .-]\d{4}$/.test(raw) ? start - 2 : start;
}

/** A local number without its area code: three digits, a dash, a dot or a space, four digits. */
const LOCAL_NUMBER = /^\d{3}[-. ]\d{4}$/;

/** Whether a word about phones (or one typed with a slip) comes right before `at`. */
function phoneCue(text: string, at: number): boolean {
  const from = Math.max(0, at - 32);
  return (
    PHONE_CUE.test(text.slice(cueStart(text, from, at, true), at)) || typedCue(text.slice(from, at), PHONE_WORDS, 3)
  );
}

/** `[A-Z]` */
function upperAscii(c: number): boolean {
  return c >= 65 && c <= 90;
}

export function phones(text: string, emit: Emit, claimed: Claimed): void {
  PHONE.lastIndex = 0;
  for (let m = PHONE.exec(text); m !== null; m = PHONE.exec(text)) {
    const raw = m[0];
    if (!free(claimed, m.index, m.index + raw.length)) continue;
    // A number after a code's letters and a dash (case RG-771-340-2219, ORD-555-0199) is the code's (D414).
    if (m.index >= 2 && text.charCodeAt(m.index - 1) === 45 && upperAscii(text.charCodeAt(m.index - 2))) continue;
    const international = raw.startsWith('+');
    // Most numbers in chat are too short or too long to be a phone number: counted before copied.
    let count = 0;
    for (let i = 0; i < raw.length; i++) if (isDigitCode(raw.charCodeAt(i))) count++;
    if (count < (international ? 8 : 9) || count > 15) {
      // A local number of seven digits (555-0199) is one only after a word about phones (call me
      // at, text me on, my number is: D410); a count or a code of seven digits is not.
      if (count === 7 && LOCAL_NUMBER.test(raw) && phoneCue(text, m.index))
        emit('PHONE', m.index, m.index + raw.length, 0.8);
      continue;
    }
    const digits = raw.replace(/\D/g, '');
    // The cue word before it is read only where it decides (international numbers score 0.9 anyway).
    const hasCue = () => phoneCue(text, m.index);
    // A number written the way phone numbers are written: +country code, (area code) or 3-3-4
    // groups; a national number with a trunk 0 (07812 275916, 06 12 34 56 78); Brazil's (61) 94471-8206
    // and Australia's (02) 5550 1234.
    const shaped =
      international ||
      /^\(\d{3}\) ?\d{3}[ .-]\d{4}$/.test(raw) ||
      /^\d{3}[ .-]\d{3}[ .-]\d{4}$/.test(raw) ||
      /^0\d(?:[ .]\d\d){4}$/.test(raw) ||
      /^0\d{3,4} \d{6,8}$/.test(raw) ||
      /^\(\d{2}\) 9?\d{4}-\d{4}$/.test(raw) ||
      // Australia's area code in brackets ((02) 5550 1234: D414).
      /^\(0\d\) \d{4} \d{4}$/.test(raw);
    // A number named as an order's, an invoice's or a ticket's ("order number 79927398713") is no
    // phone number unless it is written as one.
    if (!shaped && orderCue(text, Math.max(0, m.index - 32), m.index)) continue;
    let cue = international ? false : shaped ? undefined : hasCue();
    if (cue === false && !shaped) continue;
    // libphonenumber-js checks the country code and the length its numbering plan allows. (Whether
    // the range is assigned, `isValid`, costs three times as much and games invent numbers anyway.)
    // A national number is tried as a US number, then as one of the countries whose chat the
    // scanner reads.
    if (!phonePossible(raw, digits, international) && (international || !nationalPossible(raw))) continue;
    cue ??= hasCue();
    emit('PHONE', withTrunkOne(text, m.index, raw), m.index + raw.length, cue || international ? 0.9 : 0.8);
  }
}

/** Phone cue words, for cues typed with one slip (númreo, numbr). */
const PHONE_WORDS = [
  'number',
  'phone',
  'mobile',
  'handy',
  'handynummer',
  'nummer',
  'telefon',
  'numéro',
  'portable',
  'número',
  'móvil',
  'celular',
  'telefone',
  'whatsapp',
];
