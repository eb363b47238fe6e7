// Person names and places: runs of capitalized words, judged by the name and place dictionaries
// (dictionaries.ts) and by the words around them.
import { addresses } from './addresses.ts';
import { dictionaries } from './dictionaries.ts';
import { type Claimed, type Emit, free, typedCue } from './recognizers.ts';
import {
  cueWords,
  FLAGS,
  letterAt,
  type TaggedSpan,
  type Tokens,
  taggedSpans,
  tokenize,
  upperAt,
  wordFlags,
} from './tagger.ts';

const CAP_RUN =
  /(?<![\p{L}\p{M}\d_@./-])(?:\d{1,6} )?[\p{Lu}][\p{L}\p{M}'’-]*\.?(?:,? (?:(?:of|de|la|del|van|von|der|den|ten|ter|los|las|and|the|da|do|dos|das|du|di|le|upon|y|e) ){0,2}(?:\d{1,6} )?[\p{Lu}][\p{L}\p{M}'’-]*\.?)*(?![\p{L}\p{M}\d_@])/gu;
/** Saying who one is, in the five languages (my name is, ich bin, je suis, soy, eu sou). */
const SELF_INTRO =
  /(?:name is|i'm|i am|name's|ich bin|ich heiße|ich heisse|mein name ist|je suis|je m'appelle|moi c'est|soy|me llamo|mi nombre es|eu sou|sou o|sou a|me chamo|meu nome é)\s*$/i;
const PERSON_BEFORE =
  /\b(?:name is|name's|names|i am|i'm|im|ich bin|ich heiße|ich heisse|je suis|je m'appelle|moi c'est|soy|me llamo|eu sou|me chamo|this is|it's|its|thanks|thank you|thx|ty|hey|hi|hello|yo|gg|dear|meet|with|by|ask|tell|cc|congrats|welcome|love|miss|call|dm|ping|add|invite|mr|mrs|ms)[,!:]?\s*$/i;
const PLACE_BEFORE =
  /\b(?:from|in|at|to|near|live in|living in|lives in|moved to|based in|visit(?:ing)?|see you in|born in|located in|going to|trip to|welcome to)\s*$/i;
const PERSON_AFTER = /^\s*(?:from|here|says|said|joined|just|is|was|and i|has|will|wants|sent|,? add me|\(|!)/i;
const TITLE = /^(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|lady|lord)\.?$/i;

function bare(word: string): string {
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
  // Hyphenated: every part a name (Kihn-Huel).
  return w.includes('-') && w.split('-').every((p) => p.length >= 2 && set.has(p));
}

function isSuffix(word: string): boolean {
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
const FIRST = 1;
const LAST = 2;
const TOWN = 4;
const CITY_PREFIX = 8;
const STREET_SUFFIX = 16;
const SUFFIX = 32;
const PREFIX = 64;
const WORD_CACHE_MAX = 200_000;
const wordCache = new Map<string, number>();

function wordInfo(word: string): number {
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

/** Lowercase name particles (van der, de los, da): part of a name, not names themselves. */
const PARTICLES = new Set([
  'van',
  'von',
  'der',
  'den',
  'de',
  'del',
  'della',
  'di',
  'da',
  'do',
  'dos',
  'das',
  'du',
  'le',
  'la',
  'los',
  'las',
  'ten',
  'ter',
  'y',
  'e',
  'zu',
  'bin',
  'al',
]);

/** How much `words` look like a person's name (0: not at all). */
function personScore(all: readonly string[], cue: boolean): number {
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
function placeScore(words: readonly string[], cue: boolean): number {
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

interface Judged {
  readonly type: 'PERSON' | 'LOCATION';
  readonly score: number;
}

/** The words of a run, without the commas between them. */
function splitWords(run: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i <= run.length; i++) {
    const c = i === run.length ? 32 : run.charCodeAt(i);
    if (c === 32 || c === 44) {
      if (i > from) out.push(run.slice(from, i));
      from = i + 1;
    }
  }
  return out;
}

function judge(run: string, text: string, start: number, end: number): Judged | undefined {
  const words = splitWords(run);
  if (words.length === 0) return undefined;
  // Dictionary scores first; the words around (read only when needed) decide between the two.
  const person0 = personScore(words, false);
  const place0 = placeScore(words, false);
  const before = text.slice(Math.max(0, start - 24), start);
  const placeCue = PLACE_BEFORE.test(before);
  let personCue = false;
  if (!placeCue && (person0 > 0 || place0 === 0))
    personCue = PERSON_BEFORE.test(before) || PERSON_AFTER.test(text.slice(end, end + 16));
  let person = personCue ? personScore(words, true) : person0;
  let place = placeCue ? placeScore(words, true) : place0;
  // One capitalized word opening a sentence, with no cue around it, is most often a plain word
  // (Hope you win, May I join): not reported.
  if (
    words.length === 1 &&
    !personCue &&
    !placeCue &&
    /(?:^|[.!?]\s*)$/.test(text.slice(Math.max(0, start - 3), start))
  ) {
    person = Math.min(person, 0.45);
    place = Math.min(place, 0.45);
  }
  // Saying who one is names a person, even one named like a town (Ich bin Salem, 31).
  if (!placeCue && words.length <= 3 && !/^\d/.test(run) && SELF_INTRO.test(before))
    return { type: 'PERSON', score: Math.max(person, 0.8) };
  // The words around decide between a person and a place with the same name (Savannah, Henderson).
  if (place > 0 && placeCue) return { type: 'LOCATION', score: place };
  if (person > 0 && (personCue || person >= place))
    return { type: 'PERSON', score: personCue ? Math.max(person, 0.85) : person };
  if (place > 0) return { type: 'LOCATION', score: place };
  // Unknown words where a name or a place is expected.
  if (personCue && SELF_INTRO.test(before) && words.length <= 3 && !/^\d/.test(run))
    return { type: 'PERSON', score: 0.55 };
  if (placeCue && /live in|living in|moved to|based in|born in|from/i.test(before) && words.length <= 4)
    return { type: 'LOCATION', score: 0.55 };
  return undefined;
}

// The town suffixes written as separate words, and their first words (built on first use).
let multiwordSuffixes: Set<string> | undefined;
let suffixFirstWords: Set<string> | undefined;

/**
 * The length of a lowercase town suffix of one to three words right after `at` (" do Norte",
 * " a mare", " nell'emilia"), or 0.
 */
const TRAILING_MARKS = '.,!?;:';

function townTail(text: string, at: number): number {
  if (text.charCodeAt(at) !== 32) return 0;
  if (multiwordSuffixes === undefined || suffixFirstWords === undefined) {
    multiwordSuffixes = new Set();
    suffixFirstWords = new Set();
    for (const suffix of dictionaries().citySuffixes) {
      const t = suffix.trim();
      // Only suffixes written as separate words: words of letters.
      if (t.length >= 3 && /^[\p{L}'’ ]+$/u.test(t) && (suffix.startsWith(' ') || t.includes(' ') || t.length >= 4)) {
        multiwordSuffixes.add(t);
        suffixFirstWords.add(t.split(' ')[0] as string);
      }
    }
  }
  // Quick refusal: the next word must begin some suffix.
  const firstEnd = text.indexOf(' ', at + 1);
  let e = firstEnd < 0 ? text.length : firstEnd;
  while (e > at + 1 && TRAILING_MARKS.includes(text.charAt(e - 1))) e--;
  // Suffixes begin with a word of letters (do, a, sul).
  if (e === at + 1 || !letterAt(text, at + 1)) return 0;
  const first = text.slice(at + 1, e).toLowerCase();
  if (!suffixFirstWords.has(first)) return 0;
  let end = at;
  let best = 0;
  for (let words = 0; words < 3; words++) {
    const next = text.indexOf(' ', end + 1);
    const stop = next < 0 ? text.length : next;
    const candidate = text.slice(at + 1, stop).replace(/[.,!?;:]+$/, '');
    if (!/^[\p{L}'’ ]+$/u.test(candidate)) break;
    if (multiwordSuffixes.has(candidate.toLowerCase())) best = candidate.length + 1;
    if (next < 0) break;
    end = next;
  }
  return best;
}

/** Person names and places: runs of capitalized words judged by dictionaries and nearby words. */
export function namesAndPlaces(text: string, emit: Emit, claimed: Claimed): void {
  const checked: Emit = (type, start, end, score) => {
    const t = lastLook(text, type, start, end);
    if (t !== undefined) emit(t, start, end, score);
  };
  const tokens = tokenize(text);
  // Street addresses first, as one place each: the rules and the tagger see their pieces.
  addresses(text, tokens, emit, claimed);
  const spans = taggedSpans(text, tokens);
  capitalRuns(text, checked, claimed, spans, tokens);
  // The tagger's findings beside the rules': where both find one, the better-scored wins.
  for (const s of spans) {
    if (!free(claimed, s.start, s.end)) continue;
    checked(s.type, s.start, s.end, Math.min(0.85, 0.5 + s.score / TAGGER_SCALE));
  }
  typedGreeting(text, tokens, checked, claimed);
  meAnd(text, tokens, checked, claimed);
}

/** The speaker in the five languages, as one side of a pair (me and X, ich und X, moi et X). */
const SPEAKER = new Set('me i ich moi yo eu'.split(' '));

/**
 * "me and X are ...": the other side of a pair with the speaker, followed by what people do, is a
 * person whatever the dictionaries say of X (D208). A plain, game, month or place word is not.
 */
function meAnd(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  for (let k = 1; k + 2 < t.n; k++) {
    if (((t.flags[k] as number) & FLAGS.CONJ) === 0 || t.gap[k] !== 0 || t.gap[k + 1] !== 0 || t.gap[k + 2] !== 0)
      continue;
    if (!SPEAKER.has(text.slice(t.start[k - 1] as number, t.end[k - 1] as number).toLowerCase())) continue;
    const f = t.flags[k + 1] as number;
    const plain = FLAGS.COMMON | FLAGS.GAME | FLAGS.AMBIG | FLAGS.PLACE | FLAGS.CONJ | FLAGS.P_BEFORE | FLAGS.L_BEFORE;
    if ((f & plain) !== 0 || t.shape[k + 1] === 2 || t.shape[k + 1] === 3) continue;
    if (((t.flags[k + 2] as number) & FLAGS.P_AFTER) === 0) continue;
    const s = t.start[k + 1] as number;
    const e = t.end[k + 1] as number;
    if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
  }
}

/** Greetings, thanks and "tell" that open a message before a name. */
const GREETINGS =
  'hello hola hallo hiya heya salut coucou bonjour bonsoir olá thanks thank cheers danke merci gracias obrigado obrigada valeu grazie tell ping invite congrats welcome'.split(
    ' ',
  );

/**
 * Whether `typed` is `word` with one letter dropped or two neighbours swapped (tll, hoal, thnaks):
 * the slips of fast typing. A changed or added letter is not taken: it makes other words (sold, hell).
 */
function droppedOrSwapped(typed: string, word: string): boolean {
  if (typed.length === word.length - 1) {
    for (let i = 0; i < word.length; i++) if (word.slice(0, i) + word.slice(i + 1) === typed) return true;
    return false;
  }
  if (typed.length !== word.length || typed === word) return false;
  let i = 0;
  while (typed[i] === word[i]) i++;
  return typed[i] === word[i + 1] && typed[i + 1] === word[i] && typed.slice(i + 2) === word.slice(i + 2);
}

/**
 * A message opened by a greeting or "tell" typed with a slip (hoal, tll, thnaks), then a name the
 * dictionaries know: the tagger reads the cue by its spelling and misses the name after it (D207).
 */
function typedGreeting(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  if (t.n < 2 || (t.start[0] as number) > 2) return;
  const e0 = t.end[0] as number;
  const len = e0 - (t.start[0] as number);
  if (len < 3 || len > 7 || ((t.flags[0] as number) & ~FLAGS.PLACE_PART) !== 0 || t.gap[1] !== 0) return;
  // The name: capitalized, or a word the dictionaries know as a name; no plain or game word.
  const f1 = t.flags[1] as number;
  if ((f1 & ~(FLAGS.FIRST | FLAGS.LAST | FLAGS.PLACE_PART)) !== 0) return;
  if (t.shape[1] !== 1 && (f1 & (FLAGS.FIRST | FLAGS.LAST | FLAGS.PLACE_PART)) === 0) return;
  const typed = text.slice(t.start[0] as number, e0).toLowerCase();
  if (!GREETINGS.some((g) => droppedOrSwapped(typed, g))) return;
  const s1 = t.start[1] as number;
  const e1 = t.end[1] as number;
  if (free(claimed, s1, e1)) emit('PERSON', s1, e1, 0.8);
}

const ROMAN = /^(?:i{1,3}|iv|v|vi{1,3}|ix|x)$/i;

/**
 * The last look at a name or place from the rules or the tagger (D103), by class of look-alike:
 * returns the type to report, or undefined to drop it. A word before a colon is a form's label
 * (Ville :, Born:); a lone all-caps word is an acronym (IBAN, SSN), no person; game vocabulary
 * (a rank with or without its division, a zone or item noun closing the span) is no person nor
 * place; a month, season or virtue word alone is a name only right after a strong cue (hey Grace);
 * a lone lower-case family name needs a strong cue too (chat is full of words some family is
 * named after); a name right after a street word is part of an address.
 */
function lastLook(text: string, type: 'PERSON' | 'LOCATION' | string, start: number, end: number) {
  if (type !== 'PERSON' && type !== 'LOCATION') return type as 'PERSON';
  let at = end;
  while (at < text.length && text.charCodeAt(at) === 32) at++;
  // A label's colon is followed by a space or the end (not a smiley's ":)").
  if (text.charCodeAt(at) === 58 && at - end <= 1 && (at + 1 >= text.length || /\s/.test(text.charAt(at + 1))))
    return undefined;
  // The last word (bounded by a space or a comma) and whether there is more than one.
  let ls = end - 1;
  while (ls > start && text.charCodeAt(ls - 1) !== 32 && text.charCodeAt(ls - 1) !== 44) ls--;
  const single = ls === start;
  const lastWord = text.slice(ls, end);
  const lastBare = bare(lastWord);
  const lastFlags = wordFlags(lastBare);
  // A payment service, a platform or a store (Venmo, PayPal, Discord, Steam) is no one and nowhere.
  if (single && SERVICES.has(lastBare)) return undefined;
  // Whom a greeting or thanks goes to when it is no one (valeu galera, merci beaucoup).
  if (single && ADDRESSEES.has(lastBare)) return undefined;
  if (gameZone(text, start, end, single, lastWord)) return undefined;
  if ((lastFlags & FLAGS.GAME) !== 0 || ROMAN.test(lastWord) || RANKS.has(lastBare)) {
    // A name's generation (Darryl Toy II) is no rank: a given name (not a rank's) opens the span.
    let fe = start;
    while (fe < end && letterAt(text, fe)) fe++;
    const firstFlags = wordFlags(text.slice(start, fe));
    const given = !single && (firstFlags & FLAGS.FIRST) !== 0 && (firstFlags & FLAGS.GAME) === 0;
    if (!(given && type === 'PERSON' && ROMAN.test(lastWord) && lastWord === lastWord.toUpperCase()))
      if (!single || type === 'PERSON' || (lastFlags & FLAGS.PLACE) === 0) return undefined;
  }
  // The word before the span, and its flags.
  let b = start - 1;
  while (b >= 0 && (text.charCodeAt(b) === 32 || text.charCodeAt(b) === 44)) b--;
  // An abbreviation's dot (Mrs. Whitcombe).
  if (b > 0 && text.charCodeAt(b) === 46 && letterAt(text, b - 1)) b--;
  let a = b;
  while (a >= 0 && (letterAt(text, a) || text.charCodeAt(a) === 39 || text.charCodeAt(a) === 0x2019)) a--;
  const before = b > a ? wordFlags(text.slice(a + 1, b + 1)) : 0;
  if (single) {
    const w = lastWord;
    const f = lastFlags;
    const lower = w === w.toLowerCase();
    if (type === 'PERSON' && w.length > 1 && !lower && w === w.toUpperCase()) return undefined;
    // A lone lower-case name needs a word about people next to it (hey maria, orla said, ich bin
    // detlef, anna und jonas): chat is full of plain words and their typos that are someone's name.
    if (type === 'PERSON' && lower) {
      const after = /^,? ?(\p{L}+)/u.exec(text.slice(end, end + 24));
      const af = after === null ? 0 : wordFlags((after[1] as string).toLowerCase());
      const people = FLAGS.P_BEFORE | FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.TITLE | FLAGS.LABEL_P | FLAGS.CONJ;
      if (
        (before & people) === 0 &&
        !CHAT_BEFORE.has(text.slice(a + 1, b + 1).toLowerCase()) &&
        (af & (FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.CONJ)) === 0 &&
        ((af & (FLAGS.FIRST | FLAGS.LAST)) === 0 || (af & FLAGS.COMMON) !== 0) &&
        !labelled(text, start) &&
        !typedCue(text.slice(a + 1, b + 1), greetingWords(), 1)
      )
        return undefined;
    }
    // A holiday that is also a town (feliz Natal) is a place only after a word about places.
    if (type === 'LOCATION' && HOLIDAYS.has(lastBare) && (before & (FLAGS.L_BEFORE | FLAGS.LABEL_L)) === 0)
      return undefined;
    if (
      (f & FLAGS.AMBIG) !== 0 ||
      VIRTUES.has(lastBare) ||
      (type === 'PERSON' && lower && (f & FLAGS.FIRST) === 0 && (f & FLAGS.LAST) !== 0)
    ) {
      // A strong cue before (hey, Mrs, Name:), or after (said, says; from and a capitalized place).
      const follow = /^,? (\p{L}+)(?: (\p{Lu}))?/u.exec(text.slice(end, end + 40));
      const strong =
        (before & (FLAGS.STRONG | FLAGS.TITLE | FLAGS.LABEL_P)) !== 0 ||
        (follow !== null &&
          ((wordFlags(follow[1] as string) & FLAGS.STRONG) !== 0 ||
            ((follow[1] as string).toLowerCase() === 'from' && follow[2] !== undefined)));
      if (!strong) return undefined;
    }
  }
  if (type === 'PERSON' && (before & FLAGS.STREET) !== 0) return 'LOCATION';
  if (type === 'LOCATION') {
    // A lower-case span whose last word no dictionary knows as a place needs a word about places before it
    // (moved to cork): read as a place elsewhere it is a plain word (tel, works).
    const span = text.slice(start, end);
    if (span === span.toLowerCase() && (lastFlags & FLAGS.PLACE) === 0)
      if ((before & (FLAGS.L_BEFORE | FLAGS.LABEL_L)) === 0 && !PLACE_AFTER.test(text.slice(end, end + 12)))
        return undefined;
    // Right after a word about people (contact, customer, cliente) and not ending in a known
    // place: a person whose given name is also a town (Contact Tariq Grabowska at ...).
    if (
      !single &&
      (before & FLAGS.P_BEFORE) !== 0 &&
      (before & FLAGS.L_BEFORE) === 0 &&
      (lastFlags & FLAGS.PLACE) === 0
    )
      return 'PERSON';
    // A given name and a family name no place list knows (from Jordan Price): a person.
    if (!single && (lastFlags & (FLAGS.LAST | FLAGS.PLACE | FLAGS.PLACE_PART)) === FLAGS.LAST) {
      let fe = start;
      while (fe < end && letterAt(text, fe)) fe++;
      const first = text.slice(start, fe);
      // A town's prefix opening it (North, Lake) keeps it a place.
      if (
        fe < end &&
        text.charCodeAt(fe) === 32 &&
        (wordFlags(bare(first)) & FLAGS.FIRST) !== 0 &&
        (wordInfo(first) & CITY_PREFIX) === 0
      )
        return 'PERSON';
    }
  }
  if (type === 'LOCATION' && handedOver(text, start, end)) return 'PERSON';
  if (type === 'LOCATION' && loot(text, start, end)) return undefined;
  // "the Paris map", "Tokyo skin": a map or an item of a game named after a place.
  if (type === 'LOCATION' && NAMED_PLACE_THING.test(text.slice(end, end + 12))) return undefined;
  if (type === 'PERSON') {
    // "the Jack Daniels", "the Paris Hilton": a thing named after someone, not the person.
    const lead = text.slice(Math.max(0, start - 40), start);
    if (/the /i.test(lead) && /(?:^|[^\p{L}])the (?:\p{Lu}[\p{L}'’-]* )*$/iu.test(lead)) return undefined;
    // "the Santa Claus event", "Harry Potter skin": a game thing named after someone.
    if (NAMED_THING.test(text.slice(end, end + 16))) return undefined;
    if ((before & FLAGS.CONJ) !== 0 || /^ (?:and|und|et|y|e|&) \p{Lu}/u.test(text.slice(end, end + 6)))
      if (titlePair(text, start, end, text.slice(a + 1, b + 1), (before & FLAGS.CONJ) !== 0 ? a : -1)) return undefined;
  }
  return type;
}

/**
 * Payment services, platforms and stores named in chat and support text: capitalized like names
 * (Venmo, Revolut, Wise), never a person or a place on their own.
 */
const SERVICES = new Set(
  'venmo paypal zelle revolut wise skrill payoneer neteller paysafecard klarna sofort bizum mbway pix cashapp stripe steam discord twitch youtube tiktok instagram facebook twitter reddit telegram whatsapp snapchat xbox playstation nintendo battlenet epic origin uplay gog itunes spotify netflix'.split(
    ' ',
  ),
);

/** Game ranks in German, French, Spanish and Portuguese (the tagger's game words are English). */
const RANKS = new Set(
  'platin diamant argent platine hierro plata oro platino diamante ferro prata ouro platina'.split(' '),
);

/** Words said to a group after a greeting or thanks, never a name (galera, beaucoup, everyone). */
const ADDRESSEES = new Set(
  'galera pessoal gente mesmo demais beaucoup vraiment infiniment mucho muchas muito vielmals everyone everybody everybody y’all yall alle leute jungs tous gars mecs todos todas amigos chicos chicas squad fam'.split(
    ' ',
  ),
);

/** Virtues, hopes and graces of the other four languages that are given names too (D103's class). */
const VIRTUES = new Set(
  'esperanza esperança paciencia paciência gracia graça caridad caridade fe fé gloria glória alegría alegria fidelidad felicidad felicidade dicha hoffnung glaube ehre geduld gnade freude espérance grâce gloire charité patience joie fidélité'.split(
    ' ',
  ),
);

/** Holidays named like towns (Natal, Navidad): a place only after a place cue. */
const HOLIDAYS = new Set(
  'natal navidad noël noel pascua páscoa ostern easter christmas weihnachten pentecost'.split(' '),
);

/** Zone nouns that open a dungeon's name in French, Spanish, Portuguese (la Cripta Oscura). */
const ZONE_FIRST = new Set(
  'templo cripta caverna cueva mazmorra masmorra ruinas ruínas fortaleza torre bosque floresta minas forteresse donjon caverne crypte grotte temple tour ruines forêt mines'.split(
    ' ',
  ),
);
/** German zone nouns that close a compound (Schattentempel, Nebelhöhle). */
const ZONE_COMPOUND = /(?:tempel|höhle|gruft|festung|verlies|katakomben|ruinen|minen)$/;

/**
 * Whether a span names a game's zone by its noun: a Romance zone noun opening a span of several
 * words (la Cripta Oscura, o Templo Perdido), or one German compound ending in one (Schattentempel).
 */
function gameZone(text: string, start: number, end: number, single: boolean, lastWord: string): boolean {
  if (single) {
    const w = lastWord.toLowerCase();
    const m = ZONE_COMPOUND.exec(w);
    return m !== null && m.index >= 3 && (wordFlags(bare(w)) & FLAGS.PLACE) === 0;
  }
  let fe = start;
  while (fe < end && letterAt(text, fe)) fe++;
  return ZONE_FIRST.has(text.slice(start, fe).toLowerCase());
}

/** Teams of a company in five languages: someone "in billing" is a person there, no place. */
const DEPARTMENT =
  /^ (?:in|from|at|of|im|in der|aus der|de|du|au|en|em|no|na|do|da|del) (?:the |der |la |le |el |o |a )?(?:billing|payments?|support|sales|accounts?|accounting|finance|shipping|logistics|legal|compliance|security|marketing|hr|engineering|returns|refunds|fraud|risk|operations|ops|onboarding|customer service|customer care|helpdesk|help desk|buchhaltung|vertrieb|kundendienst|kundenservice|versand|rechtsabteilung|zahlungen|facturation|comptabilité|paiements|service client|expédition|juridique|facturación|pagos|soporte|ventas|contabilidad|envíos|atención al cliente|cobrança|faturamento|pagamentos|suporte|vendas|financeiro|expedição|atendimento)(?![\p{L}])/iu;
/** Work handed from or to someone: "forwarded from X", "passed this to X", "escalated to X". */
const HANDED =
  /(?:^|[^\p{L}])(?:forwarded|passed (?:this|it)(?: on)?|escalated(?: this| it)?|handed (?:this|it)(?: over)?|transferred (?:this|it|you)|reassigned(?: this| it)?|weitergeleitet|übergeben|transféré|transmis|renvoyé|reenviado|remitido|transferido|encaminhado|repassado) (?:from|to|by|von|an|à|par|por|a|para|de|pelo|pela) $/iu;

/**
 * Whether a place is a person by what is said around it (D142): the words after put it in a
 * company's team (X in billing), or work is handed to or from it (forwarded from X) and the span
 * is not a place every word of which the dictionaries know.
 */
function handedOver(text: string, start: number, end: number): boolean {
  if (DEPARTMENT.test(text.slice(end, end + 32))) return true;
  if (!HANDED.test(text.slice(Math.max(0, start - 40), start))) return false;
  return text
    .slice(start, end)
    .split(/[ ,]+/)
    .some((w) => w !== '' && (wordFlags(bare(w)) & FLAGS.PLACE) === 0);
}

/** What game items do and what players do to them (the X drops, looted the X). */
const ITEM_AFTER = /^ (?:drops|dropped|dropping|spawns|procs|stacks|droppt|dropa|dropou|dropea|dropeó)(?![\p{L}])/iu;
const ITEM_BEFORE =
  /(?:^|[^\p{L}])(?:dropped|looted|farmed|crafted|equipped|rolled|upgraded|enchanted|traded|gedroppt|gelootet|looté|dropeé|dropei) the $/iu;

/** ITEM_BEFORE's verbs, to read typed with a slip. */
const ITEM_VERBS =
  'dropped looted farmed crafted equipped upgraded enchanted traded gedroppt gelootet looté dropeé dropei'.split(' ');

/**
 * Whether a place after "the" is a game item named after one (D143): the Sierra Nevada drops from
 * the boss, looted the Kilimanjaro. Places with "the" (the Netherlands) are not what drops.
 */
function loot(text: string, start: number, end: number): boolean {
  const lead = text.slice(Math.max(0, start - 24), start);
  if (!/(?:^|[^\p{L}])the $/iu.test(lead)) return false;
  if (ITEM_AFTER.test(text.slice(end, end + 12)) || ITEM_BEFORE.test(lead)) return true;
  // The verb typed with a slip (dopped the X, lootd the X).
  return typedCue(lead.slice(0, -4), ITEM_VERBS, 1);
}

/** Things of a game named after someone, right after the name (a skin, a boss, a map, an event). */
const NAMED_THING =
  /^ (?:skins?|boss|bosses|map|mode|event|build|set|mount|pet|quest|collab|emote|outfit|costume|cosplay|bundle|deck|movie|film|song|album)(?![\p{L}])/iu;

/** Nouns that follow a place's name (cebu area, the leeds side). */
const PLACE_AFTER =
  /^,? (?:area|region|city|town|side|suburbs?|district|gegend|umgebung|raum|région|coin|zona|región|região|área|lado)(?![\p{L}])/iu;

const NAMED_PLACE_THING = /^ (?:maps?|skins?|mount|pet|emote|outfit|costume)(?![\p{L}])/iu;

/** Plain nouns of chat that follow a title (Dungeons and Dragons night, Salt and Pepper fan). */
const TITLE_NOUNS = new Set(
  'night nights game games time day week team server match round update stream chat lobby party fan fans mode map maps skin skins set sets collab crossover expansion dlc movie show series book run runs ost soundtrack abend nacht spiel soirée partie jeu noche partida juego noite jogo'.split(
    ' ',
  ),
);

/** Chat words said to someone, or whom something is done to, before a name (gg maria, pay me anna). */
const CHAT_BEFORE = new Set('gg ggs wp gl glhf hf me us pay paid'.split(' '));

/** Whether a form's person label and its colon come right before `start` (name: anna). */
function labelled(text: string, start: number): boolean {
  const m = /(\p{L}+) ?: ?$/u.exec(text.slice(Math.max(0, start - 16), start));
  return m !== null && (wordFlags((m[1] as string).toLowerCase()) & FLAGS.LABEL_P) !== 0;
}

let greetings: readonly string[] | undefined;
/** Words before a name (P_BEFORE and STRONG cues of four letters or more), to read typed with a slip. */
function greetingWords(): readonly string[] {
  greetings ??= [...cueWords(FLAGS.P_BEFORE), ...cueWords(FLAGS.STRONG)].filter((w) => w.length >= 4);
  return greetings;
}

/** What people do after their names (P_AFTER cue words of four letters or more), built on first use. */
let doingWords: readonly string[] | undefined;

/** Object pronouns of the five languages (us, me, them, uns, nous, nos, nós). */
const OBJECTS = new Set('us me him her them uns mich dich ihn sie nous moi lui les nos me los las nós eles'.split(' '));

/**
 * Whether the span is one side of a title made of two capitalized words and a conjunction
 * ("Salt and Pepper fan", "Dungeons and Dragons fan"): the pair is followed by a plain lower-case
 * word that is no verb of what people do. `prevEnd` is where the word before the conjunction ends
 * when the span follows a conjunction (else -1).
 */
function titlePair(text: string, start: number, end: number, prev: string, prevEnd: number): boolean {
  const capitalAt = (i: number) => /\p{Lu}/u.test(text.charAt(i));
  let pairEnd = -1;
  if (prevEnd >= 0 && prev !== '') {
    // Span is the second side: the word before the conjunction must be capitalized.
    let w = prevEnd;
    while (w >= 0 && text.charCodeAt(w) === 32) w--;
    let ws = w;
    while (ws > 0 && /\p{L}/u.test(text.charAt(ws - 1))) ws--;
    if (w < 0 || !capitalAt(ws)) return false;
    pairEnd = end;
  } else {
    const m = /^ (?:and|und|et|y|e|&) (\p{Lu}[\p{L}'’-]*)/u.exec(text.slice(end, end + 40));
    if (m === null) return false;
    pairEnd = end + m[0].length;
  }
  // Given names on both sides make it a pair of people (Marigold and Eamon); one given name is not
  // enough, titles are made of plain words some people are named after (Rock and Stone fan).
  const pair = text.slice(prevEnd >= 0 ? Math.max(0, prevEnd - 30) : start, pairEnd);
  const sides = pair.split(/ (?:and|und|et|y|e|&) /u);
  const given = (side: string | undefined) =>
    side !== undefined && side.split(/[^\p{L}'’-]+/u).some((w) => w !== '' && (wordFlags(w) & FLAGS.FIRST) !== 0);
  if (sides.length === 2 && given(sides[0]) && given(sides[1])) return false;
  const next = /^ (\p{Ll}[\p{L}'’-]*)(?: (\p{L}+))?/u.exec(text.slice(pairEnd, pairEnd + 40));
  if (next === null) return false;
  // A word done to someone after it is a verb, misspelt or not (carrid us, trug uns): people.
  if (next[2] !== undefined && OBJECTS.has(next[2].toLowerCase())) return false;
  const f = wordFlags(next[1] as string);
  // What people do, typed with one slip (kommn, carred): a pair of people.
  if ((f & FLAGS.COMMON) === 0) {
    doingWords ??= cueWords(FLAGS.P_AFTER).filter((w) => w.length >= 4);
    if (typedCue(next[1] as string, doingWords, 1)) return false;
  }
  // What a title names (a game, its patch or event, a night of it, a fan of it) before plain words.
  if ((f & FLAGS.GAME) !== 0 || TITLE_NOUNS.has((next[1] as string).toLowerCase())) return true;
  return (f & (FLAGS.COMMON | FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.L_BEFORE | FLAGS.CONJ)) === 0;
}

/** Tagger margins are mapped to scores from 0.5 (a margin of 0) to 0.85. */
const TAGGER_SCALE = 40;

/** A tagger span this sure, over exactly a run's words, spares the rules judging the run. */
const SURE_MARGIN = 12;

const ASTRAL_UPPER = /(?=\p{Lu})[\u{10000}-\u{10FFFF}]/u;

/** The pattern of a run of capitalized words (exported for the test that holds the two scans together). */
export { CAP_RUN };

/** CAP_RUN tried at one position only (the tokens say where a run can begin). */
const CAP_RUN_AT = new RegExp(CAP_RUN.source, 'uy');

/**
 * The runs of capitalized words (CAP_RUN's matches, as [start, text]). Where a run can begin comes
 * from the tagger's tokens (a word with a capital first letter, the house number before one, a
 * capital after an elided article), and CAP_RUN is tried there only: the same runs as a scan of
 * the whole text with it (a property test holds the two together), for a fraction of the time.
 */
export function capitalRunMatches(text: string, t: Tokens): [number, string][] {
  const out: [number, string][] = [];
  forEachCapitalRun(text, t, (start, end) => out.push([start, text.slice(start, end)]));
  return out;
}

/** Calls `visit` with the start and end of each run of capitalized words, in text order. */
function forEachCapitalRun(text: string, t: Tokens, visit: (start: number, end: number) => void): void {
  // Capitals outside the basic plane (styled nicknames: 𝐀𝐧𝐧𝐚) are surrogate pairs the tokenizer
  // does not read as letters: such a text is scanned whole.
  if (ASTRAL_UPPER.test(text)) {
    for (const m of text.matchAll(CAP_RUN)) visit(m.index, m.index + m[0].length);
    return;
  }
  let done = 0;
  // `test` on the sticky pattern, its end read from lastIndex: no match object per run.
  const tryAt = (at: number, first: boolean) => {
    let from = -1;
    // A house number of up to six digits and a space before the word may open the run.
    if (first && at >= 2 && text.charCodeAt(at - 1) === 32) {
      let b = at - 2;
      while (b >= 0 && b >= at - 8 && isDigit(text.charCodeAt(b))) b--;
      if (b < at - 2 && b >= done - 1) {
        CAP_RUN_AT.lastIndex = b + 1;
        if (CAP_RUN_AT.test(text)) from = b + 1;
      }
    }
    if (from < 0) {
      CAP_RUN_AT.lastIndex = at;
      if (!CAP_RUN_AT.test(text)) return;
      from = at;
    }
    done = CAP_RUN_AT.lastIndex;
    visit(from, done);
  };
  for (let k = 0; k < t.n; k++) {
    const start = t.start[k] as number;
    const end = t.end[k] as number;
    if (end <= done) continue;
    if (start >= done && upperAt(text, start)) tryAt(start, true);
    // A capital after an apostrophe inside a word (l'Alpe, dell'Emilia) may open a run too.
    if (t.apos[k] === 0) continue;
    for (let j = Math.max(start + 1, done - 1); j < end - 1; j++) {
      const c = text.charCodeAt(j);
      if ((c === 39 || c === 0x2019) && j + 1 >= done && upperAt(text, j + 1)) tryAt(j + 1, false);
    }
  }
}

/** The runs of capitalized words, judged. */
function capitalRuns(text: string, emit: Emit, claimed: Claimed, tagged: readonly TaggedSpan[], t: Tokens): void {
  const d = dictionaries();
  let next = 0;
  forEachCapitalRun(text, t, (start, end) => {
    next = judgeRun(text, text.slice(start, end), start, emit, claimed, tagged, next, d);
  });
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Judges one run; returns the index of the first tagged span not before it. */
function judgeRun(
  text: string,
  found: string,
  start: number,
  emit: Emit,
  claimed: Claimed,
  tagged: readonly TaggedSpan[],
  from: number,
  d: ReturnType<typeof dictionaries>,
): number {
  let next = from;
  let run = found;
  {
    if (!free(claimed, start, start + run.length)) return next;
    // Keep the final dot of an abbreviation (Jr., Sr.), drop a full stop.
    if (run.endsWith('.')) {
      const lastWord = run.slice(run.lastIndexOf(' ') + 1);
      if (!isSuffix(lastWord) && !d.prefixes.has(lastWord.toLowerCase()) && !TITLE.test(lastWord))
        run = run.slice(0, -1);
    }
    // The tagger found exactly this run, and is sure: its finding stands, the rules need not judge
    // it (unless a town's suffix follows: Belotti a mare).
    while (next < tagged.length && (tagged[next] as TaggedSpan).end <= start) next++;
    const sure = tagged[next];
    if (
      sure !== undefined &&
      sure.start === start &&
      sure.end === start + run.length &&
      sure.score >= SURE_MARGIN &&
      townTail(text, start + run.length) === 0
    )
      return next;
    // Towns named by a name and a suffix of a word or more (Enzo do Descoberto, Belotti a mare).
    const inner = run.indexOf(' ') < 0 ? -1 : run.search(/ (?:do|de|da|a|nell'|sul|sur|an|am|aan) /);
    if (inner > 0 && townTail(run, inner) === run.length - inner) {
      const placeCue = PLACE_BEFORE.test(text.slice(Math.max(0, start - 24), start));
      emit('LOCATION', start, start + run.length, placeCue ? 0.9 : 0.7);
      return next;
    }
    const tail = townTail(text, start + run.length);
    if (tail > 0 && /^[\p{Lu}]/u.test(run) && !/\d/.test(run)) {
      const placeCue = PLACE_BEFORE.test(text.slice(Math.max(0, start - 24), start));
      emit('LOCATION', start, start + run.length + tail, placeCue ? 0.9 : 0.7);
      return next;
    }
    const j = judge(run, text, start, start + run.length);
    if (j !== undefined) {
      emit(j.type, start, start + run.length, j.score);
      return next;
    }
    // "Name, Place" or "Street, Town": judge each side of a comma.
    const comma = run.indexOf(', ');
    if (comma > 0) {
      const left = run.slice(0, comma);
      const right = run.slice(comma + 2);
      const jl = judge(left, text, start, start + left.length);
      if (jl !== undefined) emit(jl.type, start, start + left.length, jl.score);
      const jr = judge(right, text, start + comma + 2, start + run.length);
      if (jr !== undefined) emit(jr.type, start + comma + 2, start + run.length, jr.score);
    }
  }
  return next;
}
