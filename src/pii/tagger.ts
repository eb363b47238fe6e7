// The statistical part of the name and place finder (D100): an averaged-perceptron token tagger
// (O, PERSON, LOCATION) over hashed features of word identity, shape, case, suffix, neighbours,
// dictionary flags and the classes of the words around (greetings, speech verbs, place words,
// labels, conjunctions, game and month words in five languages; D103). Hand-written rather than a
// library because it must be cheap on chat text (one pass over the text's code units, integer
// feature hashes, 16-bit weights in a typed array, scored only on candidate tokens) and its
// weights must be a small data file rebuilt deterministically (scripts/train-pii-tagger.ts); the
// NLP packages on npm ship neither. The tokens are shared with the dictionary rules (names.ts).
import { readFileSync } from 'node:fs';
import { VerityError } from '../errors/index.ts';
import { dictionaries } from './dictionaries.ts';

/** Classes the tagger tells apart. */
export const TAGS = ['O', 'PERSON', 'LOCATION'] as const;
const NC = TAGS.length;
/** Feature table size (hashed features; collisions are rare enough at this size). */
export const FEATURE_BITS = 18;
const NF = 1 << FEATURE_BITS;
const MASK = NF - 1;

// Dictionary flags of a word.
const FIRST = 1;
const LAST = 2;
const PLACE = 4;
const PLACE_PART = 8;
const TITLE = 16;
const STREET = 32;
const COMMON = 64;
/** Words after which a person's name often follows (greetings, thanks, titles, verbs of talking to). */
const P_BEFORE = 128;
/** Words that often follow a person's name (said, says, wants, joined, ...). */
const P_AFTER = 256;
/** Words after which a place often follows (prepositions of place, live, moved, born in). */
const L_BEFORE = 512;
/** Conjunctions that continue a list (and, und, et, y, e, &). */
const CONJ = 1024;
/** Field labels announcing a name (Name, Nom, Nombre, Nome, customer, client). */
const LABEL_P = 2048;
/** Field labels announcing a place (City, Ville, Stadt, Ciudad, Cidade, Location, Country). */
const LABEL_L = 4096;
/** Game vocabulary: ranks, tiers, zone and item nouns (no person nor place on their own). */
const GAME = 8192;
/** Months, days, seasons and virtue words that are also given names (May, August, Grace). */
const AMBIG = 16384;
/** Cues strong enough to make an unknown lower-case word next to them a candidate (hey, tell, said). */
const STRONG = 32768;

/**
 * Plain words of chat in the five languages the scanner reads (and chat slang): a word here is
 * seldom a name even where a dictionary lists it as one (will, mark, long, mai, son, ...).
 */
const COMMON_WORDS =
  'a about after again all also am an and any are around as ask at away back be because been before being best better big bit both but by can come could day did do does done down each even ever every few first for from game get go going good got great had has have he her here him his how i if im in into is it its just know last late let like little lol long look lot made make man many may me more most much must my need never new next nice night no not now of off ok old on once one only or other our out over own people play please pls put really right said same say see she should show since so some still such sure take than thank thanks that the their them then there these they thing think this those though time to today tomorrow too try two up us use very want was way we week well went were what when where which while who why will with work would yeah year yes yet you your gg wp lmao brb iban bic swift ip ping lag fps ms else era per real based baby peak spring summer winter fall idk tbh ngl afk irl btw u ur pls plz thx ty omg haha hey hi hello yo sup dude bro guys team guild raid boss loot server match round carry healer tank dps main patch update event season rank level clan party lobby stream chat discord voice call text number mail email card ' +
  'der die das und ist ich du er sie es wir ihr mit von zu den dem des ein eine einer nicht auf für aus bei nach noch nur auch schon wie was wer wo heute morgen abend bitte danke hallo mal jetzt sehr gut ja nein aber oder wenn dann kann bin bist sind war hat habe haben im am um an als so mich dich mir dir uns euch mein dein sein unser kommen spielen später immer ' +
  'le la les un une des et est je tu il elle nous vous ils elles avec pour dans sur pas plus mais ou donc ce cette mon ma mes ton ta tes son sa ses au aux du de en à qui que quoi oui non merci salut bonjour soir ce demain jour très bien tout tous fait faire suis es sont était ' +
  'el los las una unos y es yo tú él ella nosotros con por para en sin pero o que qué quien mi mis tu tus su sus del al lo le se sí hola gracias hoy mañana noche muy bien todo todos ya soy eres está están estoy ' +
  'o os um uma e é eu você ele ela nós com por para em no na nos nas mas ou que meu minha seu sua do da dos das ao oi obrigado hoje amanhã noite muito bem tudo sou está estou vai bora';

/**
 * Context words of the five languages by what they announce: written by hand as classes, so that
 * the tagger learns "after a greeting" once rather than once per greeting.
 */
const CUE_CLASSES: readonly (readonly [number, string])[] = [
  [
    P_BEFORE,
    'am bin suis soy sou heiße heisse llamo chamo appelle mr mrs ms miss mx dr prof sir madam madame mme mlle monsieur herr frau señor señora sr sra srta don doña senhor senhora sra dona dear hi hey hello heya hiya yo hallo moin servus salut coucou bonjour bonsoir hola buenas oi olá ola ciao thanks thank thx ty cheers danke merci gracias obrigado obrigada valeu grazie ask tell call contact meet invite ping dm message email text told asked with by per cc attn congrats welcome love miss named called customer client cliente kunde kundin user player agent member mate friend buddy bro sis brother sister cousin wife husband boyfriend girlfriend son daughter mom dad mum uncle aunt coach captain boss colleague neighbour neighbor freund freundin bruder schwester ami amie frère sœur soeur cousin cousine amigo amiga hermano hermana primo prima irmão irmã mit avec con com para pour für an',
  ],
  [
    P_AFTER,
    'said says say told asked wants wanted joined left sent paid carried wrote writes replied called texted thinks thought is was will would has had just can could did does got gets plays played streams sagt sagte meinte schrieb hat ist will kommt dit a écrit veut est dice dijo escribió quiere está es diz disse escreveu quer está é ' +
      // What two people do (the verb after a pair: Anna und Jonas kommen, Léa et Hugo sont partis).
      'are were have went kommen sind haben waren gehen sont ont étaient vont viennent están fueron tienen são estão foram vão têm',
  ],
  [
    L_BEFORE,
    'in at from frm near to into around outside live lives living lived moved move moving born based located visiting visit trip flying fly flew drove driving aus nach bei wohne wohnt lebe lebt nahe à au aux en vers près habite vis vit né née desde hacia cerca vivo vive nací nacido nacida em no na do da perto moro mora nasci nascido nascida',
  ],
  [CONJ, 'and und et y e & or oder ou o plus'],
  [
    STRONG,
    'hi hey hello heya hiya yo hallo moin servus salut coucou bonjour hola oi olá ola ciao thanks thx ty cheers danke merci gracias obrigado obrigada valeu grazie tell ask ping dm invite congrats welcome mr mrs ms dr herr frau madame monsieur señor señora senhor senhora dear brother sister cousin wife husband boyfriend girlfriend bruder schwester frère sœur hermano hermana irmão irmã primo prima said says told asked wants sagt sagte dit dice dijo diz disse',
  ],
  [
    LABEL_P,
    'name names fullname vorname nachname nom prénom prenom nombre apellido apellidos nome sobrenome titular holder owner recipient beneficiary empfänger destinataire destinatario',
  ],
  [
    LABEL_L,
    'city town location country address addr wohnort ort stadt land adresse anschrift ville pays ciudad país pais dirección direccion localidad cidade endereço endereco morada región region state province provincia hometown residence',
  ],
  [
    GAME,
    'iron bronze silver gold platinum diamond emerald ruby sapphire master grandmaster challenger champion legend legendary mythic elite immortal radiant ascendant heroic epic rare tier rank division league elo mmr ii iii iv vi vii viii ix keep temple caverns cavern cave hollow citadel mines mine crypt sanctum dungeon fortress tower spire vault catacombs ruins depths peaks peak pass gate gates hold reach marsh mire woods grove halls hall throne arena raid realm sword staff shield blade bow axe dagger armor armour helm ring amulet potion scroll tome relic skin mount pet build loadout patch season event quest',
  ],
  [
    AMBIG,
    'january february march april may june july august september october november december januar februar märz mai juni juli oktober dezember janvier février mars avril juin juillet août septembre octobre novembre décembre enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre janeiro fevereiro março maio junho julho setembro outubro novembro dezembro monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter grace hope faith joy charity patience prudence honor honour glory destiny liberty justice harmony serenity trinity dawn sunny rich frank bill mark pride amber ruby jade crystal storm rain river sky star sunshine honey king',
  ],
];

let dictFlags: FlagTable | undefined;

/** FNV-1a over the lower-cased UTF-16 code units of `s` (the same hash the tokenizer computes). */
export function wordHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ lower(s.charCodeAt(i)), 0x01000193);
  return h >>> 0;
}

// Character classes and lower-casing, precomputed over the Latin, Greek, Cyrillic and other
// alphabetic blocks below U+3000 (chat in the five languages is Latin): one table read a character
// in the tokenizer's loop instead of a Unicode regular expression or a function call.
const TABLE_SIZE = 0x3000;
const LOWER = new Uint16Array(TABLE_SIZE);
/** Bit 1: a letter; bit 2: an upper-case letter; bit 4: glue (digits, an address's symbols). */
const CLASS = new Uint8Array(TABLE_SIZE);
const C_LETTER = 1;
const C_UPPER = 2;
const C_GLUE = 4;
for (let c = 0; c < TABLE_SIZE; c++) {
  const s = String.fromCharCode(c);
  const l = s.toLowerCase();
  LOWER[c] = l.length === 1 ? l.charCodeAt(0) : c;
  let k = /\p{L}/u.test(s) && !(c >= 0x2000 && c <= 0x2bff) ? C_LETTER : 0;
  if (k !== 0 && l !== s && l.length === 1) k |= C_UPPER;
  CLASS[c] = k;
}
for (const c of '0123456789@_/\\#$%&=+*<>~^`|') CLASS[c.charCodeAt(0)] = C_GLUE;
/** Lower-case code unit << 3 | class bits, one load a character. */
const INFO = new Uint32Array(TABLE_SIZE);
for (let c = 0; c < TABLE_SIZE; c++) INFO[c] = ((LOWER[c] as number) << 3) | (CLASS[c] as number);
/** Above the table, everything but CJK punctuation and surrogates (emoji) counts as a letter. */
function highLetter(c: number): boolean {
  return c >= 0x3040 && (c < 0xd800 || c > 0xdfff);
}
function lower(c: number): number {
  return c < TABLE_SIZE ? (LOWER[c] as number) : c;
}
function isLetter(c: number): boolean {
  return c < TABLE_SIZE ? ((CLASS[c] as number) & C_LETTER) !== 0 : highLetter(c);
}

/**
 * Dictionary flags by word hash: one open-addressing table in an Int32Array, each slot the hash's
 * top 16 bits and the word's 16 flag bits (a compact table stays in cache). The slot index comes
 * from the hash's low bits, so a match checks over 30 bits of the hash. 0 marks an empty slot.
 */
/** Entries of the flag table's cache of recent words (a power of two). */
const RECENT = 4096;

class FlagTable {
  private readonly slots: Int32Array;
  private readonly mask: number;
  constructor(entries: Map<number, number>) {
    let size = 1024;
    while (size < entries.size * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const [h, f] of entries) {
      const tag = (h & 0xffff0000) | 0 || 0x10000;
      let i = (h ^ (h >>> 13)) & this.mask;
      while (this.slots[i] !== 0 && ((this.slots[i] as number) & ~0xffff) !== tag) i = (i + 1) & this.mask;
      this.slots[i] = tag | ((this.slots[i] as number) & 0xffff) | f;
    }
  }
  /**
   * The flags of recent words by hash, direct-mapped (a few kilobytes in the fastest cache): the
   * table itself is over a megabyte, and the words of chat repeat (the, you, lol): most lookups
   * end here instead of in a cache miss. -1 marks an empty entry.
   */
  private readonly recentHash = new Int32Array(RECENT);
  private readonly recentFlags = new Int32Array(RECENT).fill(-1);
  get(h: number): number {
    const r = (h ^ (h >>> 16)) & (RECENT - 1);
    const seen = this.recentFlags[r] as number;
    if (seen >= 0 && this.recentHash[r] === (h | 0)) return seen;
    const tag = (h & 0xffff0000) | 0 || 0x10000;
    const slots = this.slots;
    let i = (h ^ (h >>> 13)) & this.mask;
    let f = 0;
    for (;;) {
      const v = slots[i] as number;
      if (v === 0) break;
      if ((v & ~0xffff) === tag) {
        f = v & 0xffff;
        break;
      }
      i = (i + 1) & this.mask;
    }
    this.recentHash[r] = h;
    this.recentFlags[r] = f;
    return f;
  }
}

const CITIES_FILE = new URL('./data/cities.jsonl', import.meta.url);
let cityList: readonly string[] | undefined;

/** The city names of data/cities.jsonl (scripts/build-pii-cities.ts), lower-case. */
export function cities(): readonly string[] {
  if (cityList !== undefined) return cityList;
  const lines = readFileSync(CITIES_FILE, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let header: { format?: unknown };
  let names: unknown[];
  try {
    header = JSON.parse(lines[0] ?? '{}') as { format?: unknown };
    names = JSON.parse(`[${lines.slice(1).join(',')}]`) as unknown[];
  } catch (e) {
    throw damagedCities('a line is not JSON', e);
  }
  if (header.format !== 'verity-pii-cities/1') throw damagedCities('another format');
  if (!names.every((n) => typeof n === 'string')) throw damagedCities('an entry is not a string');
  cityList = names as string[];
  return cityList;
}

function damagedCities(why: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_INTERNAL',
    `the PII city list src/pii/data/cities.jsonl is damaged (${why}); restore it from the repository or rebuild it with scripts/build-pii-cities.ts`,
    cause === undefined ? undefined : { cause },
  );
}

/** The dictionary flags of each known word, by its hash (built on first use). */
function flagsTable(): FlagTable {
  if (dictFlags !== undefined) return dictFlags;
  const d = dictionaries();
  const m = new Map<number, number>();
  const add = (w: string, f: number) => {
    const h = wordHash(w);
    m.set(h, (m.get(h) ?? 0) | f);
  };
  for (const w of d.firstNames) for (const p of w.split(/[ -]/)) if (p.length > 1) add(p, FIRST);
  for (const w of d.lastNames) for (const p of w.split(/[ -]/)) if (p.length > 1) add(p, LAST);
  for (const w of d.places) {
    const parts = w.split(/[ -]/);
    if (parts.length === 1) add(w, PLACE);
    else for (const p of parts) if (p.length > 2) add(p, PLACE_PART);
  }
  // The world's larger cities (data/cities.jsonl, GeoNames): places the locale data lacks.
  for (const w of cities()) {
    const parts = w.split(/[ -]/);
    if (parts.length === 1) add(w, PLACE);
    else for (const p of parts) if (p.length > 2) add(p, PLACE_PART);
  }
  for (const w of d.prefixes) add(w.replace(/\.$/, ''), TITLE);
  for (const w of d.streetSuffixes) add(w, STREET);
  for (const w of COMMON_WORDS.split(' ')) if (w !== '') add(w, COMMON);
  for (const [f, words] of CUE_CLASSES) for (const w of words.split(' ')) add(w, f);
  dictFlags = new FlagTable(m);
  return dictFlags;
}

/** The tokens of a text: word offsets, hashes and shapes, in typed arrays (reused across calls). */
export interface Tokens {
  n: number;
  start: Int32Array;
  end: Int32Array;
  hash: Int32Array;
  suffix: Int32Array;
  /** 0 lower, 1 Capitalized, 2 UPPER, 3 other (mixed, single letter). */
  shape: Uint8Array;
  flags: Uint16Array;
  /** 1 when the word has an apostrophe inside (l'Alpe, O'Brien). */
  apos: Uint8Array;
  /** The first mark after the word: 0 none or space, 1 comma, 2 sentence end, 3 colon, 4 bracket or dash, 5 other. */
  after: Uint8Array;
  /** What separates the word from the one before: 0 space, 1 comma, 2 sentence end or start, 3 other. */
  gap: Uint8Array;
}

function grow(t: Tokens, n: number): void {
  if (n <= t.start.length) return;
  const size = Math.max(n, t.start.length * 2);
  const g = <A extends Int32Array | Uint16Array | Uint8Array>(a: A, make: (n: number) => A): A => {
    const b = make(size);
    b.set(a);
    return b;
  };
  t.start = g(t.start, (k) => new Int32Array(k));
  t.end = g(t.end, (k) => new Int32Array(k));
  t.hash = g(t.hash, (k) => new Int32Array(k));
  t.suffix = g(t.suffix, (k) => new Int32Array(k));
  t.shape = g(t.shape, (k) => new Uint8Array(k));
  t.flags = g(t.flags, (k) => new Uint16Array(k));
  t.after = g(t.after, (k) => new Uint8Array(k));
  t.apos = g(t.apos, (k) => new Uint8Array(k));
  t.gap = g(t.gap, (k) => new Uint8Array(k));
}

const shared: Tokens = {
  n: 0,
  start: new Int32Array(1024),
  end: new Int32Array(1024),
  hash: new Int32Array(1024),
  suffix: new Int32Array(1024),
  shape: new Uint8Array(1024),
  flags: new Uint16Array(1024),
  after: new Uint8Array(1024),
  apos: new Uint8Array(1024),
  gap: new Uint8Array(1024),
};

/** Splits `text` into words (letters with inner apostrophes, hyphens and dots) in one pass. */
export function tokenize(text: string, t: Tokens = shared): Tokens {
  // At most one word per two characters (a letter and a separator), plus one.
  grow(t, (text.length >> 1) + 2);
  // The loop is a function of its own that touches no object property: a property write after a
  // long loop made V8 throw the optimized code away on every call.
  const units = codeUnits(text);
  t.n = words(
    units,
    text.length,
    flagsTable(),
    t.start,
    t.end,
    t.hash,
    t.suffix,
    t.shape,
    t.flags,
    t.after,
    t.apos,
    t.gap,
  );
  return t;
}

/**
 * The UTF-16 code units of `text` in a reused typed array, copied natively (Buffer's utf16le
 * writer): reading a typed array in the tokenizer's loop costs half of `charCodeAt` on the sliced
 * and two-byte strings chat arrives as. Big-endian machines copy with `charCodeAt`.
 */
let unitBuffer = Buffer.alloc(1 << 16);
let units16 = new Uint16Array(unitBuffer.buffer, unitBuffer.byteOffset, unitBuffer.length >> 1);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function codeUnits(text: string): Uint16Array {
  if (units16.length < text.length) {
    unitBuffer = Buffer.alloc(Math.max(text.length * 2, unitBuffer.length * 2));
    units16 = new Uint16Array(unitBuffer.buffer, unitBuffer.byteOffset, unitBuffer.length >> 1);
  }
  if (LITTLE_ENDIAN) unitBuffer.write(text, 0, 'utf16le');
  else for (let i = 0; i < text.length; i++) units16[i] = text.charCodeAt(i);
  return units16;
}

function words(
  text: Uint16Array,
  len: number,
  table: FlagTable,
  start: Int32Array,
  end: Int32Array,
  hash: Int32Array,
  suffix: Int32Array,
  shape: Uint8Array,
  flags: Uint16Array,
  after: Uint8Array,
  apos: Uint8Array,
  gaps: Uint8Array,
): number {
  const info = INFO;
  let n = 0;
  let i = 0;
  let gap = 2;
  let prevGlue = false;
  let open = false;
  while (i < len) {
    const c = text[i] as number;
    const x = c < TABLE_SIZE ? (info[c] as number) : highLetter(c) ? (c << 3) | C_LETTER : 0;
    if ((x & C_LETTER) === 0) {
      if (c !== 32) {
        if (open) {
          open = false;
          after[n - 1] =
            c === 44
              ? 1
              : c === 58
                ? 3
                : c === 46 || c === 33 || c === 63 || c === 10
                  ? 2
                  : c === 40 || c === 45 || c === 0x2014 || c === 0x2013 || c === 124
                    ? 4
                    : 5;
        }
        if (c === 44) gap = gap === 2 ? 2 : 1;
        else if (c === 46 || c === 33 || c === 63 || c === 10 || c === 58 || c === 124 || c === 59) gap = 2;
        else if (gap === 0) gap = 3;
      }
      prevGlue = (x & C_GLUE) !== 0;
      i++;
      continue;
    }
    const s = i;
    let h = 0x811c9dc5;
    let uppers = 0;
    let letters = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let quote = 0;
    let y = x;
    for (;;) {
      uppers += (y >> 1) & 1;
      letters++;
      const l = y >> 3;
      h = Math.imul(h ^ l, 0x01000193);
      s3 = s2;
      s2 = s1;
      s1 = l;
      i++;
      if (i >= len) break;
      const d = text[i] as number;
      y = d < TABLE_SIZE ? (info[d] as number) : highLetter(d) ? (d << 3) | C_LETTER : 0;
      if ((y & C_LETTER) !== 0) continue;
      if ((d === 39 || d === 0x2019 || d === 45) && i + 1 < len && isLetter(text[i + 1] as number)) {
        if (d !== 45) {
          // A possessive 's closes a capitalized word before it (Whitcombe's: the name is Whitcombe).
          const after = i + 2 < len ? (text[i + 2] as number) : 32;
          if ((x & C_UPPER) !== 0 && ((text[i + 1] as number) | 0x20) === 115 && !isLetter(after)) break;
          quote = 1;
        }
        h = Math.imul(h ^ d, 0x01000193);
        i++;
        const e = text[i] as number;
        y = e < TABLE_SIZE ? (info[e] as number) : (e << 3) | C_LETTER;
        continue;
      }
      break;
    }
    start[n] = s;
    end[n] = i;
    const hh = h >>> 0;
    hash[n] = hh;
    suffix[n] = (s3 << 20) ^ (s2 << 10) ^ s1;
    const next = i < len ? (text[i] as number) : 32;
    shape[n] =
      prevGlue || (next < 0x80 && ((info[next] as number) & C_GLUE) !== 0)
        ? 4
        : uppers === 0
          ? 0
          : (x & C_UPPER) !== 0 && letters > 1 && (uppers === 1 || uppers < letters - 1)
            ? 1
            : uppers === letters && letters > 1
              ? 2
              : 3;
    flags[n] = table.get(hh);
    after[n] = 0;
    apos[n] = quote;
    gaps[n] = gap;
    gap = 0;
    prevGlue = false;
    open = true;
    n++;
  }
  return n;
}

/**
 * Whether the tagger looks at token `k`: a capitalized word that is no plain word or acronym, a
 * dictionary name or place that is no plain chat word, or an unknown lower-case word right after
 * a cue (tell barnaby, moved to cork) or before one (orla said).
 */
export function candidate(t: Tokens, k: number): boolean {
  const f = t.flags[k] as number;
  const shape = t.shape[k] as number;
  if (shape === 4) return false;
  if ((f & COMMON) !== 0 && (f & (FIRST | LAST | PLACE)) === 0) return false;
  if (shape !== 0) return true;
  if ((f & COMMON) !== 0) return false;
  if ((f & (FIRST | LAST | PLACE | PLACE_PART)) !== 0) return true;
  if ((f & (GAME | AMBIG | P_BEFORE | P_AFTER | L_BEFORE | CONJ | LABEL_P | LABEL_L)) !== 0) return false;
  const pf = k > 0 && t.gap[k] !== 2 ? (t.flags[k - 1] as number) : 0;
  const nf = k + 1 < t.n && t.gap[k + 1] === 0 ? (t.flags[k + 1] as number) : 0;
  return ((pf | nf) & STRONG) !== 0 || (pf & (LABEL_P | LABEL_L)) !== 0;
}

function mix(template: number, value: number): number {
  let h = Math.imul(template ^ 0x9e3779b1, 0x85ebca6b) ^ value;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) & MASK;
}

/** Up to this many features per token. */
export const MAX_FEATURES = 40;

/** Dictionary bits that get a feature of their own (with the word's shape and gap). */
const OWN_BITS = FIRST | LAST | PLACE | PLACE_PART | TITLE | STREET | GAME | AMBIG;

/**
 * The feature indices of token `k` given the tags of the two tokens before it, written into
 * `out`; returns the count.
 */
export function features(t: Tokens, k: number, prevTag: number, prev2Tag: number, out: Int32Array): number {
  const n = t.n;
  const w = t.hash[k] as number;
  const shape = t.shape[k] as number;
  const flags = t.flags[k] as number;
  const gap = t.gap[k] as number;
  const after = t.after[k] as number;
  const pw = k > 0 ? (t.hash[k - 1] as number) : 1;
  const nw = k + 1 < n ? (t.hash[k + 1] as number) : 2;
  const pw2 = k > 1 ? (t.hash[k - 2] as number) : 3;
  const nw2 = k + 2 < n ? (t.hash[k + 2] as number) : 4;
  const pshape = k > 0 ? (t.shape[k - 1] as number) : 7;
  const nshape = k + 1 < n ? (t.shape[k + 1] as number) : 7;
  const pflags = k > 0 ? (t.flags[k - 1] as number) : 0;
  const nflags = k + 1 < n ? (t.flags[k + 1] as number) : 0;
  const p2flags = k > 1 ? (t.flags[k - 2] as number) : 0;
  const ngap = k + 1 < n ? (t.gap[k + 1] as number) : 2;
  const pgap = k > 0 ? (t.gap[k - 1] as number) : 2;
  const len = (t.end[k] as number) - (t.start[k] as number);
  const cues = P_BEFORE | P_AFTER | L_BEFORE | CONJ | LABEL_P | LABEL_L | STRONG;
  let c = 0;
  out[c++] = mix(0, 0);
  out[c++] = mix(1, w);
  out[c++] = mix(2, shape | (gap << 3) | (after << 6));
  out[c++] = mix(3, t.suffix[k] as number);
  out[c++] = mix(4, flags | (shape << 16));
  const own = flags & OWN_BITS;
  for (let b = 0; b < 15; b++) if ((own & (1 << b)) !== 0) out[c++] = mix(5, b | (shape << 4) | (gap << 8));
  out[c++] = mix(6, pw);
  out[c++] = mix(7, nw);
  out[c++] = mix(8, pw2);
  out[c++] = mix(9, nw2);
  out[c++] = mix(10, pflags | (pshape << 16) | (gap << 20));
  out[c++] = mix(11, nflags | (nshape << 16) | (ngap << 20));
  out[c++] = mix(12, prevTag);
  out[c++] = mix(13, prevTag | (shape << 4) | (gap << 8));
  out[c++] = mix(14, pw ^ Math.imul(shape + 1, 0x27d4eb2d));
  out[c++] = mix(15, nw ^ Math.imul(shape + 1, 0x27d4eb2d));
  out[c++] = mix(16, Math.min(len, 12) | (shape << 4));
  out[c++] = mix(17, (t.suffix[k] as number) & 0xfffff);
  out[c++] = mix(18, pw ^ Math.imul(pw2, 31));
  out[c++] = mix(19, nw ^ Math.imul(nw2, 31));
  out[c++] = mix(20, prevTag | ((pflags & 0xff) << 4) | ((flags & 0xff) << 12));
  // The context as classes: the cue before (one or two words back), the cue after, and a list
  // continued over a comma or a conjunction (the tag two words back).
  out[c++] = mix(21, (pflags & cues) | (shape << 16) | (gap << 20));
  out[c++] = mix(22, (p2flags & cues) | ((pflags & COMMON) << 10) | (shape << 18) | (pgap << 22));
  out[c++] = mix(23, (nflags & cues) | (shape << 16) | (after << 20));
  out[c++] = mix(24, prev2Tag | ((pflags & CONJ) !== 0 ? 4 : 0) | (gap << 3) | (shape << 6) | (prevTag << 10));
  out[c++] = mix(25, (flags & (FIRST | LAST | PLACE | PLACE_PART)) | ((pflags & cues) << 4) | (shape << 24));
  out[c++] = mix(26, (flags & (FIRST | LAST | PLACE | PLACE_PART)) | ((nflags & cues) << 4) | (shape << 24));
  out[c++] = mix(27, after | (ngap << 3) | (nshape << 6) | (shape << 9) | (gap << 12));
  return c;
}

/** A trained model: a weight per feature and class. */
export interface Model {
  /** Weights quantized to 16 bits (as shipped): a table half the size of floats stays in cache. */
  readonly weights: Int16Array;
  /** What a weight is multiplied by to give its value's unit. */
  readonly scale: number;
}

const MODEL_FILE = new URL('./data/tagger.jsonl', import.meta.url);
/** Format of the weights file (scripts/train-pii-tagger.ts writes it). */
export const MODEL_FORMAT = 'verity-pii-tagger/1';

/** Reads the weights file: the non-zero weights as base64 indices (Int32) and values (Int16, scaled). */
export function parseModel(text: string): Model {
  let j: { format?: unknown; featureBits?: unknown; scale?: unknown; index?: unknown; value?: unknown };
  try {
    j = JSON.parse(text) as typeof j;
  } catch (e) {
    throw damagedModel('not JSON', e);
  }
  if (j.format !== MODEL_FORMAT || j.featureBits !== FEATURE_BITS) throw damagedModel('another format');
  if (typeof j.scale !== 'number' || typeof j.index !== 'string' || typeof j.value !== 'string')
    throw damagedModel('fields missing');
  const index = new Int32Array(new Uint8Array(Buffer.from(j.index, 'base64')).buffer);
  const value = new Int16Array(new Uint8Array(Buffer.from(j.value, 'base64')).buffer);
  if (index.length !== value.length) throw damagedModel('index and value lengths differ');
  const weights = new Int16Array(NF * NC);
  for (let i = 0; i < index.length; i++) {
    const at = index[i] as number;
    if (at < 0 || at >= weights.length) throw damagedModel('an index out of range');
    weights[at] = value[i] as number;
  }
  return { weights, scale: j.scale };
}

function damagedModel(why: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_INTERNAL',
    `the PII tagger weights src/pii/data/tagger.jsonl are damaged (${why}); restore them from the repository or rebuild them with scripts/train-pii-tagger.ts`,
    cause === undefined ? undefined : { cause },
  );
}

/** Serializes weights (quantized to 16 bits, zeros left out) in the format `parseModel` reads. */
export function serializeModel(weights: Float32Array, meta: Record<string, unknown>): string {
  let max = 0;
  for (const w of weights) max = Math.max(max, Math.abs(w));
  const scale = max === 0 ? 1 : Math.floor(32767 / max);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    const q = Math.round((weights[i] as number) * scale);
    if (q !== 0) {
      idx.push(i);
      val.push(q);
    }
  }
  const b64 = (a: Int32Array | Int16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return `${JSON.stringify({ format: MODEL_FORMAT, featureBits: FEATURE_BITS, classes: TAGS, ...meta, scale, weights: idx.length, index: b64(Int32Array.from(idx)), value: b64(Int16Array.from(val)) })}\n`;
}

let loaded: Model | undefined;

/** The shipped model, loaded on first use. */
export function model(): Model {
  loaded ??= parseModel(readFileSync(MODEL_FILE, 'utf8'));
  return loaded;
}

const feats = new Int32Array(MAX_FEATURES);
const scores = new Float64Array(NC);

/** The class scores of token `k` (into `scores`), returns the best class. */
export function classify(
  m: Model,
  t: Tokens,
  k: number,
  prevTag: number,
  prev2Tag: number,
  out: Float64Array = scores,
): number {
  const c = features(t, k, prevTag, prev2Tag, feats);
  const w = m.weights;
  // Three classes (TAGS): integer sums, one scaling at the end.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < c; i++) {
    const base = (feats[i] as number) * 3;
    s0 += w[base] as number;
    s1 += w[base + 1] as number;
    s2 += w[base + 2] as number;
  }
  out[0] = s0 / m.scale;
  out[1] = s1 / m.scale;
  out[2] = s2 / m.scale;
  return s1 > s0 ? (s2 > s1 ? 2 : 1) : s2 > s0 ? 2 : 0;
}

/** Tags every token (0 for tokens that are not candidates), greedy left to right, into `tags`. */
export function tagTokens(m: Model, t: Tokens, tags: Uint8Array, margins?: Float64Array): void {
  let prev = 0;
  let prev2 = 0;
  for (let k = 0; k < t.n; k++) {
    if (!candidate(t, k)) {
      tags[k] = 0;
      prev2 = prev;
      prev = 0;
      continue;
    }
    const y = classify(m, t, k, prev, prev2);
    tags[k] = y;
    if (margins !== undefined) {
      let second = Number.NEGATIVE_INFINITY;
      for (let z = 0; z < NC; z++) if (z !== y) second = Math.max(second, scores[z] as number);
      margins[k] = (scores[y] as number) - second;
    }
    prev2 = prev;
    prev = y;
  }
}

/** A name or place the tagger found: offsets into the text, and its tokens' mean margin. */
export interface TaggedSpan {
  readonly type: 'PERSON' | 'LOCATION';
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/** Name particles joined into a name between two tagged words (Luis de Souza, van der Berg). */
const PARTICLE_HASHES = new Set(
  'de da do dos das del della di van von der den du le la y e bin al ten ter zu'.split(' ').map(wordHash),
);

/** Least margins for a span (measured on the tuning half of the evaluation corpus, D100). */
export const MIN_MARGIN = 12;
export const MIN_MARGIN_LOWER = 12;

let tagBuf = new Uint8Array(1024);
let marginBuf = new Float64Array(1024);

/**
 * Person names and places found by the tagger in `text`: spans of consecutive tokens with the same
 * tag (joined over spaces, an initial's dot and name particles), each with a score from its tokens'
 * mean margin.
 */
export function taggedSpans(text: string, t: Tokens = tokenize(text)): TaggedSpan[] {
  if (tagBuf.length < t.n) {
    tagBuf = new Uint8Array(t.start.length);
    marginBuf = new Float64Array(t.start.length);
  }
  const m = model();
  tagTokens(m, t, tagBuf, marginBuf);
  continueLists(t, tagBuf, marginBuf);
  const out: TaggedSpan[] = [];
  for (let k = 0; k < t.n; k++) {
    const y = tagBuf[k] as number;
    if (y === 0) continue;
    let end = k;
    let margin = marginBuf[k] as number;
    let total = margin;
    let words = 1;
    for (;;) {
      const next = end + 1;
      if (next < t.n && tagBuf[next] === y && joinable(text, t, end, next)) {
        end = next;
        margin = Math.min(margin, marginBuf[next] as number);
        total += marginBuf[next] as number;
        words++;
        continue;
      }
      // Over a middle initial the tagger left out (U., I., A.: letters that are words of chat too),
      // between two words tagged alike: Rowan U. Marchbanks.
      if (
        y === 1 &&
        next + 1 < t.n &&
        tagBuf[next] === 0 &&
        tagBuf[next + 1] === y &&
        initial(text, t, next) &&
        joinable(text, t, end, next) &&
        joinable(text, t, next, next + 1)
      ) {
        end = next + 1;
        margin = Math.min(margin, marginBuf[next + 1] as number);
        total += marginBuf[next + 1] as number;
        words++;
        continue;
      }
      // Over one particle: both sides tagged alike.
      if (
        next + 1 < t.n &&
        tagBuf[next] === 0 &&
        tagBuf[next + 1] === y &&
        PARTICLE_HASHES.has(t.hash[next] as number) &&
        t.gap[next] === 0 &&
        t.gap[next + 1] === 0
      ) {
        end = next + 1;
        margin = Math.min(margin, marginBuf[next + 1] as number);
        total += marginBuf[next + 1] as number;
        words++;
        continue;
      }
      break;
    }
    // A name of several words is as sure as its words on average (a surname the tagger is sure of
    // carries a given name it is not: Tariq Grabowska).
    if (words > 1) margin = total / words;
    // A lone all-caps word or letter (IBAN, V) is an acronym or a rank, and a lower-case word
    // needs a clear margin: chat is full of plain words some dictionary lists as a name.
    let caps = 0;
    let lowers = 0;
    for (let j = k; j <= end; j++)
      if (t.shape[j] === 0) lowers++;
      else if (t.shape[j] === 1 || (end > k && initial(text, t, j))) caps++;
    const odd = caps + lowers <= end - k || (caps > 0 && lowers > 0 && !PARTICLE_HASHES.has(t.hash[k + 1] as number));
    if (odd || margin < (caps === 0 ? MIN_MARGIN_LOWER : MIN_MARGIN)) {
      k = end;
      continue;
    }
    out.push({
      type: y === 1 ? 'PERSON' : 'LOCATION',
      start: t.start[k] as number,
      end: t.end[end] as number,
      score: margin,
    });
    k = end;
  }
  return out;
}

/**
 * Lists of names: a capitalized word joined by a comma or a conjunction to a person the tagger
 * found (Zebedee and Marigold, Anna, Peter) is a person too, with the other's margin. The greedy
 * pass reads left to right and so cannot see the name after the conjunction.
 */
function continueLists(t: Tokens, tags: Uint8Array, margins: Float64Array): void {
  const plain = COMMON | GAME | AMBIG | P_BEFORE | L_BEFORE | LABEL_P | LABEL_L | PLACE | CONJ | STRONG;
  for (let j = t.n - 1; j >= 0; j--) {
    if (tags[j] !== 1) continue;
    // Lower-case chat: "linnea and cormac carried": an unknown word after the conjunction, followed
    // by what people do.
    const k2 = j + 2;
    if (
      k2 < t.n &&
      tags[k2] === 0 &&
      t.shape[k2] === 0 &&
      ((t.flags[k2] as number) & plain) === 0 &&
      ((t.flags[j + 1] as number) & CONJ) !== 0 &&
      t.gap[j + 1] === 0 &&
      t.gap[k2] === 0 &&
      k2 + 1 < t.n &&
      t.gap[k2 + 1] === 0 &&
      ((t.flags[k2 + 1] as number) & (P_AFTER | STRONG)) !== 0
    ) {
      tags[k2] = 1;
      margins[k2] = margins[j] as number;
    }
    // Walk left over "A, B and" as long as the list goes on.
    // A pair in lower case is a list of people when what follows it is what people do.
    const doing = j + 1 < t.n && ((t.flags[j + 1] as number) & (P_AFTER | STRONG)) !== 0 && t.gap[j + 1] === 0;
    // A word the tagger already took for a person, with too small a margin, joins the list too.
    let r = j;
    while (r >= 2) {
      const k = r - 2;
      if (tags[k] === 2 || !(t.shape[k] === 1 || (t.shape[k] === 0 && doing))) break;
      const f = t.flags[k] as number;
      if ((f & (COMMON | GAME | AMBIG | P_BEFORE | L_BEFORE | LABEL_P | LABEL_L | PLACE)) !== 0) break;
      if (((t.flags[r - 1] as number) & CONJ) === 0 || t.shape[r - 1] !== 0 || t.gap[r] !== 0) break;
      margins[k] = tags[k] === 1 ? Math.max(margins[k] as number, margins[r] as number) : (margins[r] as number);
      tags[k] = 1;
      r = k;
    }
  }
}

/** An initial: one capital letter and a dot (the N. of Jasper N. Mayhew). */
function initial(text: string, t: Tokens, j: number): boolean {
  const e = t.end[j] as number;
  return e - (t.start[j] as number) === 1 && text.charCodeAt(e) === 46 && upperAt(text, e - 1);
}

/** Two adjacent tokens join when only a space, or an initial's dot and a space, lie between them. */
function joinable(text: string, t: Tokens, a: number, b: number): boolean {
  const from = t.end[a] as number;
  const to = t.start[b] as number;
  if (to - from === 1) return text.charCodeAt(from) === 32 || text.charCodeAt(from) === 45;
  return (
    to - from === 2 &&
    text.charCodeAt(from) === 46 &&
    text.charCodeAt(from + 1) === 32 &&
    (t.end[a] as number) - (t.start[a] as number) === 1
  );
}

/** Whether the character at `i` of `text` is a letter (the tokenizer's table). */
export function letterAt(text: string, i: number): boolean {
  return isLetter(text.charCodeAt(i));
}

/** Whether the character at `i` of `text` is an upper-case letter. */
export function upperAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < TABLE_SIZE) return ((CLASS[c] as number) & C_UPPER) !== 0;
  return UPPER.test(String.fromCodePoint(text.codePointAt(i) as number));
}
const UPPER = /^\p{Lu}/u;

/** The cue words of one class (a FLAGS bit), as written in CUE_CLASSES. */
export function cueWords(flag: number): readonly string[] {
  const out: string[] = [];
  for (const [f, words] of CUE_CLASSES) if (f === flag) out.push(...words.split(' '));
  return out;
}

/** The dictionary and cue flags of one word (FLAGS bits). */
export function wordFlags(word: string): number {
  return flagsTable().get(wordHash(word));
}

/** Internal: the flag bits, for the training script and the rules' last look. */
export const FLAGS = {
  FIRST,
  LAST,
  PLACE,
  PLACE_PART,
  TITLE,
  STREET,
  COMMON,
  STRONG,
  P_BEFORE,
  P_AFTER,
  L_BEFORE,
  CONJ,
  LABEL_P,
  LABEL_L,
  GAME,
  AMBIG,
} as const;
