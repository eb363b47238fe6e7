// The structured recognizers (e-mail, URL, wallets, IBAN, cards, SSN, IP, dates of birth, phones):
// each a regular expression or two and a validator, from a library where one serves. Names and
// places are in names.ts.
import { isIPv4, isIPv6 } from 'node:net';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { countrySpecs } from 'ibantools';
import { isPossiblePhoneNumber, Metadata } from 'libphonenumber-js';
import { sha256 } from '../platform/index.ts';

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

const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
// The look-behind after the first digit (the same condition: no digit or dot before the address)
// lets the engine skip to digits: a third of the time of a look-behind first.
const IPV4 = /\d(?<![\d.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\d.]*\d)/g;
// Character classes on code units (a regular expression a character was a tenth of the e-mail
// and IP passes).
/** `[0-9A-Fa-f:]` */
function hexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}
/** `[A-Za-z0-9]` */
function alnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
}
/** `\w` (ASCII letters, digits, `_`) */
function wordCode(c: number): boolean {
  return alnumCode(c) || c === 95;
}
/** `[A-Za-z0-9._%+-]`, an address's local part */
function emailLocalCode(c: number): boolean {
  return alnumCode(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}
// As IPV4, the look-behind sits after the first digit (patterns.test.ts holds each such pattern to
// the one with the look-behind first).
export const CARD = /\d(?<![\w-]\d)(?:[ -]?\d){12,18}(?![\w-])/g;
// Upper or lower case (typed in chat); the checks run on the upper-cased text.
const IBAN = /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{1,4}){3,8}\b/g;
const ETH = /\b0x[0-9a-fA-F]{40}\b/g;
const BTC_BASE58 = /\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\b/g;
const BTC_BECH32 = /\bbc1[02-9ac-hj-np-z]{11,71}\b/gi;
// Dashes, or spaces (the spaced form only near an SSN cue: it looks like a phone number otherwise).
export const SSN = /(\d(?<![\d-]\d)\d{2})([- ])(\d{2})\2(\d{4})(?![\d-])/g;
export const PHONE =
  /(?:\+(?<![\w+]\+)\d{1,3}[ .-]?(?:\(0\) ?)?\d{1,4}|\((?<![\w+]\()\d{2,4}\)[ .-]?\d{2,5}|\d(?<![\w+]\d)\d{1,4})(?:[ .-]?\d{2,8}){1,4}(?![\w])/g;
const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
// Month names of the five languages the scanner reads (English, German, French, Spanish,
// Portuguese), for dates written out ("14. Mai 1968", "3 mars 1981", "5 de mayo de 1980").
const MONTHS_INTL =
  'januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro';
const DATE = new RegExp(
  `\\b(?:(?:${MONTHS})\\.? \\d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\\d{2}|\\d{1,2}(?:st|nd|rd|th|\\.)? (?:of |de )?(?:${MONTHS}|${MONTHS_INTL})\\.?,? (?:de )?(?:19|20)\\d{2}|\\d{1,2}-(?:${MONTHS})-(?:19|20)?\\d{2}|(?:19|20)\\d{2}-\\d{2}-\\d{2}|\\d{1,2}([/.-])\\d{1,2}\\1(?:19|20)\\d{2}|\\d{1,2}([/.])\\d{1,2}\\2\\d{2})\\b`,
  'gi',
);
const BIRTH_CUE =
  /(?<![\p{L}\d])(?:born|birth(?:day|date)?|b-?day|dob|d\.o\.b|date of birth|birthdate|geboren|geburtsdatum|geburtstag|geb|naissance|nacid[oa]|nac[ií]|nacimiento|cumpleaños|nasc(?:ido|ida|i)|nascimento|anivers[aá]rio|n[ée]e?)(?![\p{L}\d])[^\n]{0,24}$/iu;
// A cue after the date ("am 3. Mai 1970 geboren"): the German and Dutch word order.
const BIRTH_AFTER = /^[^\n.!?]{0,3}\b(?:geboren|born|geb\.)/i;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/**
 * Luhn checksum (ISO/IEC 7812) of the digits of `digits`, spaces and dashes between them skipped.
 * A dozen lines; no installed library offers it.
 */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    const c = digits.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the major card networks (a number that matches one scores higher). */
function knownIssuer(d: string): boolean {
  const two = Number(d.slice(0, 2));
  const four = Number(d.slice(0, 4));
  return (
    d[0] === '4' ||
    (two >= 51 && two <= 55) ||
    (four >= 2221 && four <= 2720) ||
    two === 34 ||
    two === 37 ||
    d.startsWith('6011') ||
    d.startsWith('65') ||
    (Number(d.slice(0, 3)) >= 644 && Number(d.slice(0, 3)) <= 649) ||
    two === 35 ||
    two === 36 ||
    two === 38 ||
    two === 30 ||
    two === 62
  );
}

const CARD_CUE =
  /\b(?:card|cc|visa|master ?card|amex|discover|karte|kreditkarte|carte|tarjeta|cart[aã]o|paid|pay|charged|debit|credit)\b[^\n]{0,16}$/iu;
const CARD_CUE_AFTER =
  /^[^\n\d]{0,12}\b(?:card|cc|visa|master ?card|amex|karte|kreditkarte|carte|tarjeta|cart[aã]o)\b/iu;
const ORDER_CUE =
  /\b(?:order|orders|invoice|ticket|ref|reference|tracking|bestellung|rechnung|auftrag|commande|facture|pedido|factura|fatura|nota)\b[^\n]{0,12}$/iu;

function cards(text: string, emit: Emit, claimed: Claimed): void {
  CARD.lastIndex = 0;
  for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
    const raw = m[0];
    // Digits inside an IBAN (or another finding already made) are not a card of their own.
    if (!free(claimed, m.index, m.index + raw.length)) continue;
    // (The pattern holds 13 to 19 digits; most fail Luhn, checked before anything is copied.)
    if (!luhnValid(raw)) continue;
    const digits = raw.replace(/[ -]/g, '');
    // Separators, when present, must be consistent (one kind) and group the number sensibly.
    const seps = raw.match(/[ -]/g);
    if (seps !== null && (new Set(seps).size > 1 || raw.split(/[ -]/).some((g) => g.length < 3))) continue;
    // One number in ten passes Luhn by chance: an order or invoice number (after `#` or an order
    // word) is not a card unless a card word says so; nor is one no card network issues without one.
    const before = text.slice(Math.max(0, m.index - 28), m.index);
    const end = m.index + raw.length;
    // A card word before the number, or right after it ("4000 ... (visa)", "... on my card"): read
    // only where it decides.
    const cardCue = () => CARD_CUE.test(before) || CARD_CUE_AFTER.test(text.slice(end, end + 20));
    if ((before.endsWith('#') || ORDER_CUE.test(before)) && !cardCue()) continue;
    const issuer = knownIssuer(digits);
    // Sixteen digits in four groups of four are written the way cards are, whoever issued them.
    const cardShaped = digits.length === 16 && /^\d{4}([ -])\d{4}\1\d{4}\1\d{4}$/.test(raw);
    if (!issuer && !cardShaped && !cardCue()) continue;
    emit('CREDIT_CARD', m.index, end, issuer ? 0.95 : 0.7);
  }
}

/**
 * ibantools' country specifications with each national account format compiled once: its
 * `isValidIBAN` builds a regular expression on every call and computes the checksum a second time
 * (it was a third of the IBAN pass on chat text). `ibanFormatValid` asks the same questions of the
 * same data (length, format, the country's own account check).
 */
const IBAN_SPECS = new Map(
  Object.entries(countrySpecs).flatMap(([country, spec]) =>
    spec.chars === undefined || spec.bban_regexp === undefined
      ? []
      : [[country, { chars: spec.chars, format: new RegExp(spec.bban_regexp), check: spec.bban_validation_func }]],
  ),
);
const IBAN_COUNTRIES = new Set(Object.keys(countrySpecs));

/**
 * ibantools' `isValidIBAN` for an IBAN whose ISO 7064 checksum is already known right: the
 * country's length and account format and check, and check digits from 02 to 98 (ibantools
 * computes the digits and compares them, so 00, 01 and 99 never pass). A property test holds the
 * two to the same answer.
 */
export function ibanFormatValid(iban: string): boolean {
  const spec = IBAN_SPECS.get(iban.slice(0, 2));
  if (spec === undefined || spec.chars !== iban.length) return false;
  const digits = iban.slice(2, 4);
  if (!/^[0-9]{2}$/.test(digits) || digits === '00' || digits === '01' || digits === '99') return false;
  const bban = iban.slice(4);
  if (!spec.format.test(bban)) return false;
  return spec.check === undefined || spec.check(bban.replace(/[\s.]+/g, ''));
}

/**
 * ISO 13616 check digits: the IBAN, rearranged and read as a number, is 1 modulo 97 (ISO 7064).
 * Hand-written because ibantools exports no checksum-only test (its `validateIBAN` reports a
 * checksum error whenever the country's account format fails too), and the scanner wants the two
 * apart: a right checksum in a wrong national format is still an IBAN, scored lower.
 */
export function ibanChecksumValid(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const c of moved) {
    const code = c.charCodeAt(0);
    const v = code <= 57 ? code - 48 : code - 55;
    rest = v > 9 ? (rest * 100 + v) % 97 : (rest * 10 + v) % 97;
  }
  return rest === 1;
}

function ibans(text: string, emit: Emit): void {
  IBAN.lastIndex = 0;
  for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
    // The match may run into a following word: try it whole, then one group shorter at a time.
    let raw = m[0];
    for (;;) {
      const compact = raw.replace(/ /g, '').toUpperCase();
      if (
        compact.length >= 15 &&
        compact.length <= 34 &&
        IBAN_COUNTRIES.has(compact.slice(0, 2)) &&
        ibanChecksumValid(compact)
      ) {
        // Checksum right: an IBAN; with the country's account format right too, a surer one.
        emit('IBAN', m.index, m.index + raw.length, ibanFormatValid(compact) ? 0.95 : 0.85);
        IBAN.lastIndex = m.index + raw.length;
        break;
      }
      const cut = raw.lastIndexOf(' ');
      if (cut < 6) break;
      raw = raw.slice(0, cut);
    }
  }
}

/** Words that name a version right before it (version, patch, build, v). */
const VERSION_CUE = /(?:\b(?:version|versión|versão|ver|patch|build|release|update|client|firmware|v)\.? ?|\bv)$/i;

function ipAddresses(text: string, emit: Emit): void {
  IPV4.lastIndex = 0;
  for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
    // node:net: four parts of 0 to 255, none with a leading zero.
    if (!isIPv4(m[0])) continue;
    // A version of four parts (version 10.2.3.4, patch v1.2.0.5) is no address.
    if (VERSION_CUE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    emit('IP_ADDRESS', m.index, m.index + m[0].length, 0.9);
  }
  // IPv6: from each run of hex digits and colons around a colon, validated by node:net.
  for (let c = text.indexOf(':'); c >= 0; ) {
    let start = c;
    while (start > 0 && hexOrColon(text.charCodeAt(start - 1))) start--;
    let end = c;
    while (end < text.length && hexOrColon(text.charCodeAt(end))) end++;
    c = text.indexOf(':', end);
    if (end - start < 6) continue;
    if ((start > 0 && wordCode(text.charCodeAt(start - 1))) || (end < text.length && wordCode(text.charCodeAt(end))))
      continue;
    let s = text.slice(start, end);
    // An address followed by a port without brackets (2001:db8:…:7334:443): nine groups, the
    // last a decimal port; the address is the first eight.
    if (!isIPv6(s)) {
      const port = /:(\d{1,5})$/.exec(s);
      if (port !== null && s.split(':').length === 9) {
        s = s.slice(0, port.index);
        end = start + s.length;
      }
    }
    // Clock times (19:30:05) are not addresses: demand a hex letter or at least four groups.
    if (isIPv6(s) && (/[a-f]/i.test(s) || s.split(':').length >= 4)) emit('IP_ADDRESS', start, end, 0.85);
  }
}

function urls(text: string, emit: Emit): void {
  URL.lastIndex = 0;
  for (let m = URL.exec(text); m !== null; m = URL.exec(text)) {
    const raw = m[0].replace(TRAILING, '');
    if (raw.length > 8) emit('URL', m.index, m.index + raw.length, 0.9);
  }
}

const EMAIL_DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}/;

/** E-mail addresses: found from each `@` outwards (a regex tried at every letter is ten times slower). */
function emails(text: string, emit: Emit): void {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && emailLocalCode(text.charCodeAt(start - 1))) start--;
    while (start < at && !alnumCode(text.charCodeAt(start))) start++;
    if (start === at) continue;
    const domain = EMAIL_DOMAIN.exec(text.slice(at + 1, at + 256));
    if (domain === null) continue;
    let end = at + 1 + domain[0].length;
    // The domain's last label ends at a word boundary.
    if (end < text.length && alnumCode(text.charCodeAt(end))) continue;
    while (text[end - 1] === '.') end--;
    emit('EMAIL', start, end, 0.95);
  }
}

/**
 * EIP-55: a mixed-case address must carry the checksum of its Keccak-256 hash (@noble/hashes).
 * The check itself is a few lines; the Ethereum libraries that have it (viem, ethers) are far too
 * large a dependency for it.
 */
function eip55Valid(addr: string): boolean {
  const hex = addr.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  const h = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const nibble = ((h[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    const c = hex[i] as string;
    if (/[a-f]/i.test(c) && nibble >= 8 !== (c === c.toUpperCase())) return false;
  }
  return true;
}

const base58check = createBase58check(sha256);

/**
 * Base58Check (Bitcoin P2PKH/P2SH): a version byte and a 20-byte hash under a 4-byte double-SHA-256
 * checksum, canonically encoded (one leading `1` per leading zero byte: a `1` too many or too few
 * is no address).
 */
export function base58CheckValid(s: string): boolean {
  try {
    return base58check.decode(s).length === 21;
  } catch {
    return false;
  }
}

/**
 * BIP 173 / BIP 350: the bech32 or bech32m checksum of an address. Case is folded first: BIP 173
 * calls a mixed-case address invalid, but one typed that way in chat is still someone's wallet.
 */
export function bech32Valid(s: string): boolean {
  const lower = s.toLowerCase();
  return bech32.decodeUnsafe(lower) !== undefined || bech32m.decodeUnsafe(lower) !== undefined;
}

function wallets(text: string, emit: Emit): void {
  ETH.lastIndex = 0;
  for (let m = ETH.exec(text); m !== null; m = ETH.exec(text))
    if (eip55Valid(m[0])) emit('CRYPTO_WALLET', m.index, m.index + m[0].length, 0.95);
  BTC_BASE58.lastIndex = 0;
  for (let m = BTC_BASE58.exec(text); m !== null; m = BTC_BASE58.exec(text))
    if (base58CheckValid(m[0])) emit('CRYPTO_WALLET', m.index, m.index + m[0].length, 0.9);
  BTC_BECH32.lastIndex = 0;
  for (let m = BTC_BECH32.exec(text); m !== null; m = BTC_BECH32.exec(text))
    if (bech32Valid(m[0])) emit('CRYPTO_WALLET', m.index, m.index + m[0].length, 0.9);
}

function ssns(text: string, emit: Emit): void {
  SSN.lastIndex = 0;
  for (let m = SSN.exec(text); m !== null; m = SSN.exec(text)) {
    const area = Number(m[1]);
    // SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000.
    if (area === 0 || area === 666 || area >= 900 || m[3] === '00' || m[4] === '0000') continue;
    const cue = /\b(?:ssn|social security|ss#|tin)\b/i.test(text.slice(Math.max(0, m.index - 30), m.index));
    if (m[2] === ' ' && !cue) continue;
    emit('US_SSN', m.index, m.index + m[0].length, cue ? 0.95 : 0.75);
  }
}

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

const PHONE_CUE =
  /\b(?:call|text|phone|tel|mobile|cell|whatsapp|zap|sms|ring|number|reach me|contact|anrufen|an unter|unter|handy|handynummer|nummer|telefon|rückruf|appelle|appelez|au|numéro|portable|llámame|llamar|al|número|móvil|celular|telefone|me liga|liga|no)\b[^\n\d]{0,14}$/iu;
/** Countries tried for a national number (no +country code) that is not a possible US number. */
const NATIONAL = ['GB', 'DE', 'FR', 'ES', 'BR', 'PT', 'IT', 'NL', 'AT', 'CH', 'BE', 'MX', 'AR', 'IN', 'AU'] as const;

function nationalPossible(raw: string): boolean {
  for (const c of NATIONAL) if (isPossiblePhoneNumber(raw, c)) return true;
  return false;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function phones(text: string, emit: Emit, claimed: Claimed): void {
  PHONE.lastIndex = 0;
  for (let m = PHONE.exec(text); m !== null; m = PHONE.exec(text)) {
    const raw = m[0];
    if (!free(claimed, m.index, m.index + raw.length)) continue;
    const international = raw.startsWith('+');
    // Most numbers in chat are too short or too long to be a phone number: counted before copied.
    let count = 0;
    for (let i = 0; i < raw.length; i++) if (isDigitCode(raw.charCodeAt(i))) count++;
    if (count < (international ? 8 : 9) || count > 15) continue;
    const digits = raw.replace(/\D/g, '');
    // The cue word before it is read only where it decides (international numbers score 0.9 anyway).
    const hasCue = () => {
      const lead = text.slice(Math.max(0, m.index - 32), m.index);
      return PHONE_CUE.test(lead) || typedCue(lead, PHONE_WORDS, 3);
    };
    // A number written the way phone numbers are written: +country code, (area code) or 3-3-4
    // groups; a national number with a trunk 0 (07812 275916, 06 12 34 56 78); Brazil's (61) 94471-8206.
    const shaped =
      international ||
      /^\(\d{3}\) ?\d{3}[ .-]\d{4}$/.test(raw) ||
      /^\d{3}[ .-]\d{3}[ .-]\d{4}$/.test(raw) ||
      /^0\d(?:[ .]\d\d){4}$/.test(raw) ||
      /^0\d{3,4} \d{6,8}$/.test(raw) ||
      /^\(\d{2}\) 9?\d{4}-\d{4}$/.test(raw);
    // A number named as an order's, an invoice's or a ticket's ("order number 79927398713") is no
    // phone number unless it is written as one.
    if (!shaped && ORDER_CUE.test(text.slice(Math.max(0, m.index - 32), m.index))) continue;
    let cue = international ? false : shaped ? undefined : hasCue();
    if (cue === false && !shaped) continue;
    // libphonenumber-js checks the country code and the length its numbering plan allows. (Whether
    // the range is assigned, `isValid`, costs three times as much and games invent numbers anyway.)
    // A national number is tried as a US number, then as one of the countries whose chat the
    // scanner reads.
    if (!phonePossible(raw, digits, international) && (international || !nationalPossible(raw))) continue;
    cue ??= hasCue();
    emit('PHONE', m.index, m.index + raw.length, cue || international ? 0.9 : 0.8);
  }
}

/** Birth and phone cue words, for cues typed with one slip (bron, bday as bady, númreo). */
const BIRTH_WORDS = [
  'born',
  'birthday',
  'bday',
  'birth',
  'birthdate',
  'geboren',
  'geburtstag',
  'geburtsdatum',
  'naissance',
  'nacido',
  'nacida',
  'nacimiento',
  'cumpleaños',
  'nascido',
  'nascida',
  'nascimento',
  'aniversário',
];
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

/**
 * Whether one of the last `words` words of `s` is one of `cues` typed with at most one slip (a
 * letter dropped, added, changed, or two swapped; Damerau-Levenshtein distance 1). Chat misspells
 * its cue words; a slip needs a word of three letters or more and a cue of four or more.
 */
export function typedCue(s: string, cues: readonly string[], words: number): boolean {
  // The last `words` words of three letters or more, read from the end without splitting.
  let end = s.length;
  for (let seen = 0; seen < words && end > 0; ) {
    while (end > 0 && !letterCode(s.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && letterCode(s.charCodeAt(start - 1))) start--;
    if (end - start >= 3) {
      seen++;
      const w = s.slice(start, end).toLowerCase();
      for (const c of cues) if (c.length >= 4 && Math.abs(c.length - w.length) <= 1 && oneSlip(w, c)) return true;
    }
    end = start;
  }
  return false;
}
const LETTER = /\p{L}/u;
/** `\p{L}` on one code unit (as `charAt` gives it): ASCII answered directly, the rest by the pattern. */
function letterCode(c: number): boolean {
  if (c < 128) return (c | 0x20) >= 97 && (c | 0x20) <= 122;
  return LETTER.test(String.fromCharCode(c));
}

/** Damerau-Levenshtein distance at most 1 (hand-written: a dozen lines, called on short words). */
function oneSlip(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

function dates(text: string, emit: Emit): void {
  DATE.lastIndex = 0;
  for (let m = DATE.exec(text); m !== null; m = DATE.exec(text)) {
    const end = m.index + m[0].length;
    const cue =
      BIRTH_CUE.test(text.slice(Math.max(0, m.index - 40), m.index)) ||
      BIRTH_AFTER.test(text.slice(end, end + 14)) ||
      typedCue(text.slice(Math.max(0, m.index - 28), m.index), BIRTH_WORDS, 4) ||
      typedCue(text.slice(end, end + 14), BIRTH_WORDS, 2);
    // A two-digit year (3/4/85) is a date of birth only with a cue; anything else without one is a
    // low-score candidate, dropped by the default threshold.
    emit('DATE_OF_BIRTH', m.index, end, cue ? 0.9 : 0.3);
  }
}

/** The structured recognizers, each a pass of one or a few regular expressions with a validator. */
export const STRUCTURED: readonly {
  readonly types: readonly PiiType[];
  readonly run: (t: string, e: Emit, claimed: Claimed) => void;
  readonly needs?: RegExp;
}[] = [
  { types: ['EMAIL'], run: emails, needs: /@/ },
  { types: ['URL'], run: urls, needs: /https?:\/\/|www\./i },
  { types: ['CRYPTO_WALLET'], run: wallets, needs: /0x|\b[13bB]/ },
  { types: ['IBAN'], run: ibans, needs: /[A-Za-z]{2}\d{2}/ },
  { types: ['CREDIT_CARD'], run: cards, needs: /\d{4}/ },
  { types: ['US_SSN'], run: ssns, needs: /\d{3}[- ]\d{2}[- ]/ },
  { types: ['IP_ADDRESS'], run: ipAddresses, needs: /\d\.\d|:/ },
  { types: ['DATE_OF_BIRTH'], run: dates, needs: /\d[/.-]?\d/ },
  { types: ['PHONE'], run: phones, needs: /\d\d/ },
];
