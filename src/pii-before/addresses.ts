// Street addresses as one place (D140): the street with its house number, a flat or suite, the
// postcode and the city ("221 avenue Jean Jaurès, 63828 Brest", "Rua Augusta, 236, Braga",
// "Lindenweg 12, 44135 Dortmund"). The tagger and the run rules see an address as pieces (a street,
// a city, a street name read as a family name); one span of the whole is what an address is.
// Street types by language are written here as classes; the pattern is tried only near a word of
// one of them.

import { KeySet, wordKeys } from './chars.ts';
import { type Claimed, type Emit, free } from './findings.ts';
import type { Tokens } from './tokens.ts';

/** Street types written before the street's name (English, French, Portuguese, Spanish, Italian). */
const TYPE_BEFORE =
  'rue avenue av boulevard bd impasse place chemin allée allee quai route cours passage rua avenida travessa largo praça praca alameda estrada rodovia calle avda paseo plaza camino carrera ronda travesía travesia via viale piazza corso';
/** Street types written after it (Station Road, Cedar Hollow Court). */
const TYPE_AFTER =
  'street st road rd avenue ave lane ln drive dr court ct way grove terrace place pl boulevard blvd close crescent row square sq parkway pkwy circle cir highway hwy alley mews';
/** German street names are one word ending in their type (Lindenweg, Hauptstraße, Marktplatz). */
const TYPE_SUFFIX = 'straße strasse str weg gasse platz allee ring damm ufer chaussee';
/** Flats, suites and floors (Apt 31, Suite 200, apto 12, Whg. 3). */
const UNITS = 'apt apartment suite ste unit flat fl floor apto ap bloco piso puerta esc étage bât whg';
/** Lower-case words inside a street's or a city's name (rue des Lilas, Rio de Janeiro). */
const PARTICLES =
  "de|da|do|das|dos|des|du|del|della|di|la|le|les|los|las|von|van|der|am|an|im|zum|zur|of|the|e|y|d'|l'";

/** Either case of the first letter: `[Rr]ua`. */
const eitherCase = (w: string) => `[${(w[0] as string).toUpperCase()}${w[0]}]${w.slice(1)}`;
const alternatives = (words: string) =>
  words
    .split(' ')
    .sort((a, b) => b.length - a.length)
    .map(eitherCase)
    .join('|');

const CAP = "\\p{Lu}[\\p{L}\\p{M}'’]*(?:-\\p{L}[\\p{L}\\p{M}'’]*)*";
const NAME_WORD = `(?:${CAP}|[IVXL]{1,5})`;
const NAME = `${NAME_WORD}(?: (?:(?:${PARTICLES}) )*${NAME_WORD}){0,3}`;
const NUMBER = '\\d{1,5}[A-Za-z]?(?:[-/]\\d{1,4})?';
const BEFORE = `(?:${alternatives(TYPE_BEFORE)})\\.?(?: (?:${PARTICLES})){0,2} ${NAME}`;
/** A direction after the street type (Main Street W, Elm Rd NE). */
const DIRECTION = '(?: (?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\\.?)?';
const AFTER = `${NAME} (?:${alternatives(TYPE_AFTER)})\\.?${DIRECTION}`;
const COMPOUND = `\\p{Lu}\\p{Ll}*(?:${TYPE_SUFFIX.split(' ').join('|')})\\.?`;
const UNIT = `(?:,? (?:${alternatives(UNITS)})\\.? ?[\\p{L}\\d-]{1,5})`;
const POSTCODE = '(?:\\d{5}(?:-\\d{3})?|\\d{4}(?:-\\d{3})?|\\d{2}-\\d{3})';
const CITY = `${CAP}(?: (?:(?:de|do|da|del|la|las|los|sur|am|upon|on|en) )?${CAP}){0,2}`;

/**
 * An address: a house number and a street (either order), a flat, then a postcode and a city. The
 * city is taken only after a comma or a postcode, and needs its house number: a street alone
 * ("Station Road") is left to the other rules.
 */
const ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${NUMBER},? (?:${BEFORE}|${AFTER})|(?:${BEFORE}|${COMPOUND}|${AFTER}),? ${NUMBER})${UNIT}?(?:,? ${POSTCODE} ${CITY}|, ${CITY})?(?![\\p{L}\\p{N}])`,
  'uy',
);

/** Words that make the pattern worth trying: the street types, as the tokenizer hashes them. */
const TYPE_HASHES = wordKeys(`${TYPE_BEFORE} ${TYPE_AFTER}`);
const SUFFIXES = TYPE_SUFFIX.split(' ');
/** The German types' last three letters as the tokenizer packs them (`Tokens.suffix`). */
const SUFFIX_CODES = new KeySet(
  SUFFIXES.map((w) => {
    const [a, b, c] = [...w.slice(-3)].map((ch) => ch.charCodeAt(0)) as [number, number, number];
    return (a << 20) ^ (b << 10) ^ c;
  }),
);

/** Whether token `k` is a street type or a German street name. */
function streetWord(text: string, t: Tokens, k: number): boolean {
  if (TYPE_HASHES.has(t.hash[k] as number)) return true;
  if (t.shape[k] !== 1 || !SUFFIX_CODES.has(t.suffix[k] as number)) return false;
  const end = t.end[k] as number;
  if (end - (t.start[k] as number) < 6) return false;
  const tail = text.slice(end - 8, end).toLowerCase();
  for (const s of SUFFIXES) if (tail.endsWith(s)) return true;
  return false;
}

/** Whether a digit is in `text` from `from` to `to`. */
function digitIn(text: string, from: number, to: number): boolean {
  const end = Math.min(to, text.length);
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** How far before a street word an address may begin (house number and street name). */
const REACH = 60;

/**
 * Street addresses, each reported as one place with the score of a sure finding (its characters
 * are claimed: the name rules do not judge its pieces again).
 */
export function addresses(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  let done = 0;
  for (let k = 0; k < t.n; k++) {
    if ((t.start[k] as number) < done || !streetWord(text, t, k)) continue;
    // Try the pattern where an address can begin: at a word or the house number before one, from
    // a little before the street word up to it.
    let j = k;
    const reach = Math.max(done, (t.start[k] as number) - REACH);
    while (j > 0 && (t.start[j - 1] as number) >= reach) j--;
    // No house number near: no address.
    if (!digitIn(text, t.start[j] as number, (t.end[k] as number) + 24)) continue;
    // A house number right after the street word (Lindenweg 12, Harbour Lane, 12) lets the address
    // begin at a capitalized word; a street type first (Rua, rue) takes its number further on.
    const numberAfter = digitIn(text, t.end[k] as number, (t.end[k] as number) + 4);
    for (; j <= k; j++) {
      const at = t.start[j] as number;
      let from = at;
      // A house number and a space before the word.
      if (at >= 2 && text.charCodeAt(at - 1) === 32) {
        let b = at - 2;
        while (b >= 0 && text.charCodeAt(b) >= 48 && text.charCodeAt(b) <= 57) b--;
        if (b < at - 2 && b + 1 >= done) from = b + 1;
      }
      // Without a number before it, an address begins with a street type, or with a capital when
      // the number follows the street word.
      if (from === at && !TYPE_HASHES.has(t.hash[j] as number) && !(numberAfter && t.shape[j] === 1)) continue;
      const end = matchAt(from) ?? (from === at ? undefined : matchAt(at));
      if (end === undefined) continue;
      const start = end.start;
      if (free(claimed, start, end.end)) emit('LOCATION', start, end.end, 0.95);
      done = end.end;
      break;
    }
  }

  function matchAt(at: number): { start: number; end: number } | undefined {
    ADDRESS.lastIndex = at;
    if (!ADDRESS.test(text)) return undefined;
    return { start: at, end: ADDRESS.lastIndex };
  }
}
