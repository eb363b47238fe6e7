// The structured recognizers (e-mail, URL, wallets, IBAN, cards, SSN, IP, dates of birth, phones):
// each a regular expression or two and a validator, from a library where one serves. Phones are
// in phones.ts, wallets in wallets.ts; names and places in names.ts.
import { isIPv4, isIPv6 } from 'node:net';
import { countrySpecs } from 'ibantools';
import { type Claimed, type Emit, free, type PiiType } from './findings.ts';
import { orderCue, phones } from './phones.ts';
import { typedCue } from './slips.ts';
import { wallets } from './wallets.ts';

const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
// The look-behind after the first digit (the same condition: no digit or dot before the address)
// lets the engine skip to digits: a third of the time of a look-behind first.
// The least count of a counted group is written out as copies in IPV4, CARD and IBAN (`{2}`,
// `{12,18}` and `{3,8}` before): the engine then checks a match's first characters before it
// tries one, and their passes over chat take about a half, a third and six sevenths of the time
// (D332; patterns.test.ts holds each to the pattern as it was).
export const IPV4 = /\d(?<![\d.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.]*\d)/g;
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
export const CARD = new RegExp(`\\d(?<![\\w-]\\d)${'[ -]?\\d'.repeat(12)}(?:[ -]?\\d){0,6}(?![\\w-])`, 'g');
// Upper or lower case (typed in chat); the checks run on the upper-cased text.
export const IBAN = new RegExp(
  `\\b[A-Za-z]{2}\\d{2}${' ?[A-Za-z0-9]{1,4}'.repeat(3)}(?: ?[A-Za-z0-9]{1,4}){0,5}\\b`,
  'g',
);
// Dashes, or spaces (the spaced form only near an SSN cue: it looks like a phone number otherwise).
export const SSN = /(\d(?<![\d-]\d)\d{2})([- ])(\d{2})\2(\d{4})(?![\d-])/g;
const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
// Month names of the five languages the scanner reads (English, German, French, Spanish,
// Portuguese), for dates written out ("14. Mai 1968", "3 mars 1981", "5 de mayo de 1980").
const MONTHS_INTL =
  'januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro';
const DATE = new RegExp(
  `\\b(?:(?:${MONTHS})\\.? \\d{1,2}(?:st|nd|rd|th)?,? (?:(?:19|20)\\d{2}|['’]\\d{2})|\\d{1,2}(?:st|nd|rd|th|\\.)? (?:of |de )?(?:${MONTHS}|${MONTHS_INTL})\\.?,? (?:de )?(?:(?:19|20)\\d{2}|['’]?\\d{2})|\\d{1,2}-(?:${MONTHS})-(?:19|20)?\\d{2}|(?:19|20)\\d{2}([-./])\\d{1,2}\\1\\d{1,2}|\\d{1,2}([/.-])\\d{1,2}\\2(?:19|20)\\d{2}|\\d{1,2}([/.-])\\d{1,2}\\3\\d{2})\\b`,
  'gi',
);
// "b." right before the date, opening the text or after a separator, is "born" (b. 1992-07-30, D398).
const BIRTH_CUE =
  /(?<![\p{L}\d])(?:born|birth(?:day|date)?|b-?day|dob|d\.o\.b|date of birth|birthdate|geboren|geburtsdatum|geburtstag|geb|naissance|nacid[oa]|nac[ií]|naci[oó]|nasceu|nac(?=\.)|nacimiento|cumpleaños|cumple|nasc(?:ido|ida|i)|nascimento|anivers[aá]rio|n[ée]e?|(?<=^|[(,;|] ?)b(?=\. ?$))(?![\p{L}\d])[^\n]{0,24}$/iu;
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

/**
 * Whether a card number's separators, when it has any, are of one kind (spaces or dashes) and
 * group it sensibly (no group under three digits). One pass over the code units: the match, the
 * set and the split it replaces were about a sixth of the card pass on chat (D332).
 */
export function wellGrouped(raw: string): boolean {
  let sep = 0;
  let group = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 32 && c !== 45) {
      group++;
      continue;
    }
    if ((sep !== 0 && c !== sep) || group < 3) return false;
    sep = c;
    group = 0;
  }
  return sep === 0 || group >= 3;
}

function cards(text: string, emit: Emit, claimed: Claimed): void {
  CARD.lastIndex = 0;
  for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
    const raw = m[0];
    // Digits inside an IBAN (or another finding already made) are not a card of their own.
    if (!free(claimed, m.index, m.index + raw.length)) continue;
    // (The pattern holds 13 to 19 digits; most fail Luhn, checked before anything is copied.)
    if (!luhnValid(raw)) continue;
    if (!wellGrouped(raw)) continue;
    const digits = raw.replace(/[ -]/g, '');
    // One number in ten passes Luhn by chance: an order or invoice number (after `#` or an order
    // word) is not a card unless a card word says so; nor is one no card network issues without one.
    const from = Math.max(0, m.index - 28);
    const before = text.slice(from, m.index);
    const end = m.index + raw.length;
    // A card word before the number, or right after it ("4000 ... (visa)", "... on my card"): read
    // only where it decides.
    const cardCue = () => CARD_CUE.test(before) || CARD_CUE_AFTER.test(text.slice(end, end + 20));
    if ((before.endsWith('#') || orderCue(text, from, m.index)) && !cardCue()) continue;
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
  // Between the addresses with a scheme, those without one (their slashes are read only there).
  let from = 0;
  for (let m = URL.exec(text); m !== null; m = URL.exec(text)) {
    bareUrls(text, from, m.index, emit);
    from = m.index + m[0].length;
    const raw = m[0].replace(TRAILING, '');
    if (raw.length > 8) emit('URL', m.index, m.index + raw.length, 0.9);
  }
  bareUrls(text, from, text.length, emit);
}

/**
 * A host under a common top-level domain, written without a scheme or "www." (instagram.com,
 * linktr.ee, tiktok.com): with a path after it, a web address (D414). Not a file name (notes.txt).
 */
const BARE_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+(?:com|net|org|io|gg|tv|ee|me|co|app|dev|ly|be|fm|link|page|site|xyz|info|us|uk|ca|au|de|fr|es|pt|br|it|nl|pl|mx|ar|cl|eu)$/i;

/** `[A-Za-z0-9.-]`, a host's characters */
function hostCode(c: number): boolean {
  return alnumCode(c) || c === 46 || c === 45;
}

/** `\s<>"'\``, what ends a web address in text */
function urlEnd(c: number): boolean {
  return c <= 32 || c === 60 || c === 62 || c === 34 || c === 39 || c === 96;
}

/** Web addresses without a scheme from `from` to `to`: a host of BARE_HOST, a slash and a path (instagram.com/leyla.demir). */
function bareUrls(text: string, from: number, to: number, emit: Emit): void {
  for (let slash = text.indexOf('/', from); slash >= 0 && slash < to; slash = text.indexOf('/', slash + 1)) {
    // A top-level domain's letter before the slash (not a date's digit: 03/14), a path after it.
    const l = text.charCodeAt(slash - 1) | 0x20;
    if (l < 97 || l > 122 || urlEnd(text.charCodeAt(slash + 1))) continue;
    let s = slash;
    let dot = false;
    while (s > 0 && slash - s < 253 && hostCode(text.charCodeAt(s - 1))) {
      s--;
      dot ||= text.charCodeAt(s) === 46;
    }
    if (!dot) continue;
    // Inside a web address with a scheme (its host follows "//"), an e-mail address or a path.
    const prev = s > 0 ? text.charCodeAt(s - 1) : 32;
    if (prev === 47 || prev === 64 || prev === 58 || prev === 95) continue;
    const host = text.slice(s, slash);
    if (/^www\./i.test(host) || !BARE_HOST.test(host)) continue;
    let e = slash + 1;
    while (e < text.length && !urlEnd(text.charCodeAt(e))) e++;
    const raw = text.slice(s, e).replace(TRAILING, '');
    if (raw.length > host.length + 1) emit('URL', s, s + raw.length, 0.85);
    slash = e;
  }
}

const EMAIL_DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}/;

/** E-mail addresses: found from each `@` outwards (a regex tried at every letter is ten times slower). */
function emails(text: string, emit: Emit): void {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    // An apostrophe between two letters belongs to the local part too (j.o'neill@, D366).
    while (
      start > 0 &&
      at - start < 64 &&
      (emailLocalCode(text.charCodeAt(start - 1)) ||
        (text.charCodeAt(start - 1) === 39 &&
          start < at &&
          start > 1 &&
          alnumCode(text.charCodeAt(start - 2)) &&
          alnumCode(text.charCodeAt(start))))
    )
      start--;
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

function ssns(text: string, emit: Emit): void {
  SSN.lastIndex = 0;
  for (let m = SSN.exec(text); m !== null; m = SSN.exec(text)) {
    if (!ssnValid(m)) continue;
    const cue = /\b(?:ssn|social security|ss#|tin)\b/i.test(text.slice(Math.max(0, m.index - 30), m.index));
    if (m[2] === ' ' && !cue) continue;
    emit('US_SSN', m.index, m.index + m[0].length, cue ? 0.95 : 0.75);
  }
  // Written without separators or with dots (social 123456789, SSN 123.45.6789): an SSN only after
  // its cue, as nine digits are a phone or an order number as often (D381).
  for (const [at, end] of cuedSsns(text)) emit('US_SSN', at, end, 0.95);
}

/**
 * The SSNs that need their cue (SSN_CUED after SSN_CUE_BEFORE, valid by the SSA's rules), as
 * [start, end). Searched only in a window after each cue, not over the whole text: a match must
 * begin within SSN_CUE_BEFORE's reach of its cue, so 64 characters hold any that can count. A match
 * that ends within two characters of the window's end (its look-ahead blind there) is left to a
 * later cue's window.
 * patterns.test.ts holds it to the same search over the whole text.
 */
export function cuedSsns(text: string): [number, number][] {
  const out: [number, number][] = [];
  let done = 0;
  SSN_CUE_ANYWHERE.lastIndex = 0;
  for (let c = SSN_CUE_ANYWHERE.exec(text); c !== null; c = SSN_CUE_ANYWHERE.exec(text)) {
    const from = Math.max(c.index, done);
    const to = Math.min(text.length, c.index + 64);
    if (from >= to) continue;
    const window = text.slice(from, to);
    SSN_CUED.lastIndex = 0;
    for (let m = SSN_CUED.exec(window); m !== null; m = SSN_CUED.exec(window)) {
      const at = from + m.index;
      const end = at + m[0].length;
      // The look-behind cannot see before the window: a digit, dot or dash there joins the number.
      if (m.index === 0 && from > 0 && /[\d.-]/.test(text.charAt(from - 1))) continue;
      // Its look-ahead reads two characters (a dot and a digit): blind within two of the window's end.
      if (end + 2 > to && to < text.length) continue;
      done = end;
      if (ssnValid(m) && SSN_CUE_BEFORE.test(text.slice(Math.max(0, at - 30), at))) out.push([at, end]);
    }
  }
  return out;
}

/** The SSA's rules: no area 000, 666 or 900-999, no group 00, no serial 0000. */
export function ssnValid(m: RegExpExecArray): boolean {
  const area = Number(m[1]);
  return !(area === 0 || area === 666 || area >= 900 || m[3] === '00' || m[4] === '0000');
}

/** The SSN's forms that need its cue: nine digits in a row, or grouped 3-2-4 by dots. */
export const SSN_CUED = /(\d(?<![\d.-]\d)\d{2})(\.?)(\d{2})\2(\d{4})(?![\d.-]?\d)/g;
// Without SSN_CUE_BEFORE's word boundary: that test reads a slice of the text, whose start is a
// boundary the whole text may not have there (patterns.test.ts found one), so every place its cue's
// letters stand opens a window.
const SSN_CUE_ANYWHERE = /(?:ssn|social|ss#)/gi;
export const SSN_CUE_BEFORE = /\b(?:ssn|social security(?: number| no\.?| #)?|social|ss#)\b[^\n\d]{0,12}$/i;

/** Birth cue words, for cues typed with one slip (bron, bday as bady). */
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
  { types: ['URL'], run: urls, needs: /https?:\/\/|www\.|[A-Za-z]\/[^\s]/ },
  { types: ['CRYPTO_WALLET'], run: wallets, needs: /0x|\b[13bB]/ },
  { types: ['IBAN'], run: ibans, needs: /[A-Za-z]{2}\d{2}/ },
  { types: ['CREDIT_CARD'], run: cards, needs: /\d{4}/ },
  { types: ['US_SSN'], run: ssns, needs: /\d{3}[- .]?\d{2}[- .]?\d{4}/ },
  { types: ['IP_ADDRESS'], run: ipAddresses, needs: /\d\.\d|:/ },
  { types: ['DATE_OF_BIRTH'], run: dates, needs: /\d[/.-]?\d/ },
  { types: ['PHONE'], run: phones, needs: /\d\d/ },
];
