// What the name and place dictionaries say of one word, and how much a run of words looks like a
// person's name or a place by them alone (the words around decide between the two in runs.ts).
import { dictionaries } from './dictionaries.ts';

export const TITLE = /^(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|lady|lord)\.?$/i;

export function bare(word: string): string {
  let end = word.length;
  while (end > 0) {
    const c = word.charCodeAt(end - 1);
    if (c !== 46 && c !== 39 && c !== 0x2019) break;
    end--;
  }
  return (end === word.length ? word : word.slice(0, end)).toLowerCase();
}

function isName(word: string, set: ReadonlySet<string>): boolean {
  const w = bare(word);
  if (w.length < 2) return false;
  if (set.has(w)) return true;
  // Written with its accents where the lists hold it without (Álvaro, Thaís, Inês: D414).
  if (!ASCII.test(w)) {
    const folded = w.normalize('NFD').replace(/\p{M}/gu, '');
    if (folded !== w && set.has(folded)) return true;
  }
  // Hyphenated: every part a name (Kihn-Huel).
  return w.includes('-') && w.split('-').every((p) => p.length >= 2 && set.has(p));
}

const ASCII = /^[\x00-\x7f]*$/;

export function isSuffix(word: string): boolean {
  const d = dictionaries();
  const w = word.toLowerCase();
  return d.suffixes.has(w) || d.suffixes.has(`${w}.`) || d.suffixes.has(w.replace(/\.$/, ''));
}

let suffixIndex: Map<string, string[]> | undefined;

/** The city suffixes that could end `word`, by its last two letters (a handful instead of all). */
function suffixesEnding(word: string): readonly string[] {
  if (suffixIndex === undefined) {
    suffixIndex = new Map();
    for (const s of dictionaries().citySuffixes) {
      const key = s.slice(-2);
      const list = suffixIndex.get(key) ?? [];
      list.push(s);
      suffixIndex.set(key, list);
    }
  }
  return suffixIndex.get(word.slice(-2)) ?? [];
}

/** Town prefixes that are directions or common words: no town on their own. */
const DIRECTIONS = new Set([
  'north',
  'east',
  'west',
  'south',
  'new',
  'lake',
  'port',
  'fort',
  'saint',
  'san',
  'santa',
  'st',
  'mount',
  'upper',
  'lower',
  'great',
  'little',
  'old',
]);
const INFIX = /^[\p{L}'’]+(?:-(?:under|over|le|upon|on|by|in|sur|en|am|an|bei)-[\p{L}'’-]+)+$/u;

/** A town name: a known place, or a personal name with a town suffix (Botsfordfield, Hicklestad). */
function townWord(word: string): boolean {
  const d = dictionaries();
  const w = bare(word);
  if (d.places.has(w)) return true;
  // A town prefix on its own (Dutch Aalst, Wommels), but not a direction (North, New, Lake).
  if (w.length >= 4 && d.cityPrefixes.has(w) && !DIRECTIONS.has(w)) return true;
  // Name-infix-name towns (Tillman-le-Carter, Braun-upon-Denesik).
  if (INFIX.test(w)) return true;
  for (const part of w.split('-')) {
    for (const suffix of suffixesEnding(part)) {
      if (part.length >= suffix.length + 2 && part.endsWith(suffix)) {
        const stem = part.slice(0, -suffix.length);
        // A town prefix and a town suffix in one word (Swedish Ekhult, Västköping, Haås).
        if (d.cityPrefixes.has(stem)) return true;
        if (part.length <= suffix.length + 2) continue;
        for (const s of [stem, stem.slice(0, -1), `${stem}e`])
          if (s.length >= 3 && (d.firstNames.has(s) || d.lastNames.has(s))) return true;
      }
    }
  }
  return false;
}

// What the dictionaries say of one word, as bit flags; cached per distinct word (words recur, the
// lookups and suffix checks need not).
export const FIRST = 1;
export const LAST = 2;
export const TOWN = 4;
export const CITY_PREFIX = 8;
const STREET_SUFFIX = 16;
const SUFFIX = 32;
const PREFIX = 64;
const WORD_CACHE_MAX = 200_000;
const wordCache = new Map<string, number>();

export function wordInfo(word: string): number {
  let f = wordCache.get(word);
  if (f !== undefined) return f;
  const d = dictionaries();
  const lower = word.toLowerCase();
  f = 0;
  if (isName(word, d.firstNames)) f |= FIRST;
  if (isName(word, d.lastNames)) f |= LAST;
  if (townWord(word)) f |= TOWN;
  if (d.cityPrefixes.has(lower)) f |= CITY_PREFIX;
  if (d.streetSuffixes.has(bare(word))) f |= STREET_SUFFIX;
  if (isSuffix(word)) f |= SUFFIX;
  if (d.prefixes.has(lower) || TITLE.test(word)) f |= PREFIX;
  if (wordCache.size >= WORD_CACHE_MAX) wordCache.clear();
  wordCache.set(word, f);
  return f;
}

/**
 * Lower-case particles inside names (van der, de, da, bin): part of a name, not a name by itself.
 * The tagger joins a name over one (tagger.ts), and the last look reads one alone as a word of the
 * sentence (se van a Bogotá, D364).
 */
export const NAME_PARTICLE_WORDS = 'van von der den de del della di da do dos das du le la ten ter zu bin al';

/**
 * NAME_PARTICLE_WORDS and the words that join names in a run of several (de los, y, e), which a
 * name's score leaves out.
 */
const PARTICLES = new Set([...NAME_PARTICLE_WORDS.split(' '), 'los', 'las', 'y', 'e']);

/** How much `words` look like a person's name (0: not at all). */
export function personScore(all: readonly string[], cue: boolean): number {
  const words = all.length > 2 ? all.filter((w, idx) => idx === 0 || !PARTICLES.has(w)) : all;
  let i = 0;
  const titled = words.length > 1 && (wordInfo(words[0] as string) & PREFIX) !== 0;
  if (titled) i = 1;
  let end = words.length;
  while (end - 1 > i && (wordInfo(words[end - 1] as string) & SUFFIX) !== 0) end--;
  const n = end - i;
  if (n <= 0 || n > 4) return 0;
  const given = (wordInfo(words[i] as string) & FIRST) !== 0;
  let familyOk = true;
  let allNames = given || (wordInfo(words[i] as string) & LAST) !== 0;
  for (let j = i + 1; j < end; j++) {
    const ok = (wordInfo(words[j] as string) & (FIRST | LAST)) !== 0;
    familyOk &&= ok;
    allNames &&= ok;
  }
  if (given && familyOk) return n > 1 || cue || titled ? 0.9 : 0.6;
  if (allNames) return cue || titled ? 0.8 : n > 1 ? 0.6 : 0;
  // A known given name and capitalized family names the dictionaries lack, where a name is expected.
  if (given && n <= 3 && (cue || titled)) return 0.75;
  return 0;
}

/** How much `words` look like a place (0: not at all). */
export function placeScore(words: readonly string[], cue: boolean): number {
  const d = dictionaries();
  const first = words[0] as string;
  if (/^\d{1,6}$/.test(first)) {
    for (let j = 1; j < words.length; j++) if ((wordInfo(words[j] as string) & STREET_SUFFIX) !== 0) return 0.9;
    return 0;
  }
  if (words.length > 1) {
    const phrase = words.join(' ').replace(/,/g, '').replace(/\.$/, '').toLowerCase();
    if (d.places.has(phrase)) return cue ? 0.95 : 0.8;
  }
  const hasPrefix = words.length > 1 && (wordInfo(first) & CITY_PREFIX) !== 0;
  const restLength = hasPrefix ? words.length - 1 : words.length;
  if (restLength === 0 || restLength > 3) return 0;
  const lastInfo = wordInfo(words[words.length - 1] as string);
  if ((lastInfo & TOWN) !== 0) return cue ? 0.9 : 0.75;
  if (hasPrefix && restLength === 1 && (lastInfo & (FIRST | LAST)) !== 0) return cue ? 0.85 : 0.6;
  return 0;
}
