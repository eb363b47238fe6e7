// Runs of capitalized words (a name, a place, a street address's pieces), found where the tagger's
// tokens say one can begin and judged by the dictionaries and the words around them.

import { isDigitCode, letterAt, rangeHash, upperAt, wordEnd, wordKeys } from './chars.ts';
import { dictionaries } from './dictionaries.ts';
import { type Claimed, type Emit, free } from './findings.ts';
import { bare, isSuffix, personScore, placeScore, TITLE } from './lexicon.ts';
import type { TaggedSpan } from './tagger.ts';
import type { Tokens } from './tokens.ts';
import { FLAGS, placePhrases, wordFlags } from './wordflags.ts';

// Words join over a space and up to two particles, or over a comma alone (Springfield, Illinois):
// a comma and a particle is a name and where it is from (Consuelo, de Rosario), two runs. The
// pronoun I after a comma or a particle (Rohan Mehta, I was charged; Fatima Benali and I cannot)
// goes on no run (D357, D389); after a space it is a name's suffix (Romaine Hoeger I).
const CAP_RUN =
  /(?<![\p{L}\p{M}\d_@./-])(?:\d{1,6} )?[\p{Lu}](?:[\p{L}\p{M}'’-]{0,3}\.|[\p{L}\p{M}'’-]*)(?:(?:(?:, | (?:(?:of|de|la|del|van|von|der|den|ten|ter|los|las|and|the|da|do|dos|das|du|di|le|upon|y|e) ){1,2})(?!I(?:['’]|\s+\p{Ll}|$))| )(?:\d{1,6} )?[\p{Lu}](?:[\p{L}\p{M}'’-]{0,3}\.|[\p{L}\p{M}'’-]*))*(?![\p{L}\p{M}\d_@])/gu;
/** Saying who one is, in the five languages (my name is, ich bin, je suis, soy, eu sou). */
const SELF_INTRO =
  /(?:name is|i'm|i am|name's|ich bin|ich heiße|ich heisse|mein name ist|je suis|je m'appelle|moi c'est|soy|me llamo|mi nombre es|eu sou|sou o|sou a|me chamo|meu nome é)\s*$/i;
const PERSON_BEFORE =
  /\b(?:name is|name's|names|i am|i'm|im|ich bin|ich heiße|ich heisse|je suis|je m'appelle|moi c'est|soy|me llamo|eu sou|me chamo|this is|it's|its|thanks|thank you|thx|ty|hey|hi|hello|yo|gg|dear|meet|with|by|ask|tell|cc|congrats|congratulations|congratz|gratz|grats|welcome|love|miss|call|dm|ping|add|invite|mr|mrs|ms|mme|mlle|madame|monsieur|herr|frau|(?:card|account )?holder|cardholder|kontoinhaber(?:in)?|inhaber(?:in)?|titulaire|titular|au nom de|em nome de|en nombre de|a nombre de|nombre completo|nome completo|full name)[,!:]?\s*$/i;
/** The dash a signature follows, after the message's last sentence or line (D410). */
const SIGNED = /(?:^|[.!?\n] ?)(?:—|–|--|-) ?$/;
export const PLACE_BEFORE =
  /\b(?:from|in|at|to|near|live in|living in|lives in|moved to|based in|visit(?:ing)?|see you in|born in|located in|going to|trip to|welcome to)\s*$/i;
// A verb of saying or doing after an adverb counts as the verb alone (Jordan really said: D410).
const PERSON_AFTER =
  /^\s*(?:(?:really|literally|also|never|always|actually|finally|apparently|totally|seriously|basically) (?:says|said|told|wants|joined|sent|texted|wrote)\b|from|here|says|said|joined|just|is|was|and i|has|will|wants|sent|,? add me|\(|!)/i;

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
  // A signature: a dash, then one to three capitalized words ending the message (— Wei Tan) (D410).
  if (
    words.length <= 3 &&
    !/^\d/.test(run) &&
    SIGNED.test(before) &&
    /^[\s.!]*$/.test(text.slice(end)) &&
    words.every((w) => (wordFlags(w.toLowerCase()) & FLAGS.COMMON) === 0)
  )
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

/** A contraction that opens a run before the speaker's name. */
const SELF_LEAD = /^(?:I['’]m|It['’]s|Its|Im|Name['’]s|Names|Soy|Sou) /;
/**
 * Words that open a run of capitals but are no part of the name after them: German's nouns of an
 * area and their "von" before a town (Nähe von Hannover, Raum Stuttgart: D403), and chat's
 * interjections and congratulations before a name (Ahh Rafael, Congratulations Piotr: D405).
 */
const LEAD_WORDS = wordKeys(
  'congratulations congratz gratz grats ah ahh ahhh oh ohh ohhh wow yay ugh omg lol lmao felicidades felicitaciones parabéns glückwunsch félicitations',
);
const AREA_WORDS = wordKeys('nähe naehe raum umgebung gegend großraum grossraum');
/**
 * Family words that dictionaries hold as given names too, opening a lower-case span before the
 * name they name as a title does (meine oma gerda, ma mamie josette), and chat's verbs on a player
 * (kick anya) (D410). Capitalized, they may be the name (Oma Botsford, Kick Jensen).
 */
const FAMILY_LEAD = wordKeys(
  'oma opa mama mom mum dad papa nana granny grandma grandpa tante onkel mamie papi mémé pépé tia tio tía tío vovó vovô kick ban report mute block trust carry',
);

/** Titles of address that open a span before a capitalized name (Mme Claire Fontaine: D414). */
const TITLE_LEAD = wordKeys(
  'mme mlle madame monsieur herr frau sr sra srta señor señora senhor senhora dona mr mrs ms dr',
);
/** A name's particle after a lower-case word that opens a span (em nome de Camila Tanaka: D414). */
const LEAD_PARTICLES = wordKeys('de da do dos das du del von van');

/** Whether a title of address opens the span before a capitalized name (Mme Claire Fontaine is a person). */
export function titledSpan(text: string, start: number, end: number): boolean {
  // Only a word opening with a title's letter (m, h, f, s, d) is looked up.
  const c = text.charCodeAt(start) | 0x20;
  if (c !== 109 && c !== 104 && c !== 102 && c !== 115 && c !== 100) return false;
  const w = wordEnd(text, start, end);
  const e = text.charCodeAt(w) === 46 ? w + 1 : w;
  return e < end - 1 && text.charCodeAt(e) === 32 && upperAt(text, e + 1) && TITLE_LEAD.has(rangeHash(text, start, w));
}

/** Where a span's name begins: after a lead word opening it (and an area's "von"), if more follows. */
export function afterLead(text: string, start: number, end: number): number {
  const e = wordEnd(text, start, end);
  if (e >= end - 1 || text.charCodeAt(e) !== 32) return start;
  const h = rangeHash(text, start, e);
  if (LEAD_WORDS.has(h) || (FAMILY_LEAD.has(h) && !upperAt(text, start))) return e + 1;
  // A lower-case word and a particle before a capitalized name are no part of it (nome de Camila).
  const d = text.charCodeAt(e + 1);
  if ((d === 100 || d === 118) && !upperAt(text, start)) {
    const p = wordEnd(text, e + 1, end);
    if (
      p + 1 < end &&
      text.charCodeAt(p) === 32 &&
      upperAt(text, p + 1) &&
      LEAD_PARTICLES.has(rangeHash(text, e + 1, p))
    )
      return p + 1;
  }
  if (!AREA_WORDS.has(h)) return start;
  return text.startsWith('von ', e + 1) && e + 5 < end ? e + 5 : e + 1;
}

/** What lies between two names of a list (Jorge, Ana y Lucas), or a person and a place (Hugo de Nantes). */
const LIST_GAP = /^(?:, | (?:and|y|e|und|et|&) |, (?:and|y|e|und|et|&) )$/;
const PERSON_FROM_PLACE = /^ (?:de|da|do|du|von) $/;

/**
 * Whether the tagger's spans from `next` cover the run [start, end) exactly, two or more, each sure,
 * joined as a list of people or as a person and then a place.
 */
function taggerSplit(text: string, tagged: readonly TaggedSpan[], next: number, start: number, end: number): boolean {
  const first = tagged[next];
  if (first === undefined || first.start !== start || first.end >= end || first.score < SURE_MARGIN) return false;
  let prev = first;
  for (let i = next + 1; i < tagged.length; i++) {
    const s = tagged[i] as TaggedSpan;
    if (s.score < SURE_MARGIN || s.start > end) return false;
    const gap = text.slice(prev.end, s.start);
    const joined =
      (prev.type === 'PERSON' && s.type === 'PERSON' && LIST_GAP.test(gap)) ||
      (prev.type === 'PERSON' && s.type === 'LOCATION' && PERSON_FROM_PLACE.test(gap));
    if (!joined) return false;
    if (s.end === end) return true;
    if (s.end > end) return false;
    prev = s;
  }
  return false;
}

/** Titles that open a person's name in a run (the dictionaries' prefixes hold more: Dame, Lord). */
const RUN_TITLE =
  /^(?:mr|mrs|ms|miss|mx|dr|prof|frau|herr|mme|mlle|madame|monsieur|sr|sra|srta|señor|señora|senhor|senhora)\.?$/i;

/** Whether a run is a title and one to three capitalized words that are no plain or game words. */
function titledPerson(run: string): boolean {
  const space = run.indexOf(' ');
  if (space < 2 || space > 9 || !RUN_TITLE.test(run.slice(0, space))) return false;
  const words = splitWords(run);
  if (words.length < 2 || words.length > 4) return false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (/\d/.test(w) || RUN_TITLE.test(w)) return false;
    if ((wordFlags(bare(w)) & (FLAGS.COMMON | FLAGS.GAME | FLAGS.AMBIG)) !== 0) return false;
  }
  return true;
}

/** Whether a run is a given name that is no place and then a town that is no given name. */
function givenAndTownName(run: string): boolean {
  const space = run.indexOf(' ');
  if (space < 0 || run.indexOf(' ', space + 1) >= 0 || run.includes(',')) return false;
  const first = wordFlags(run.slice(0, space).toLowerCase());
  const last = wordFlags(bare(run.slice(space + 1)));
  const plain = FLAGS.COMMON | FLAGS.GAME | FLAGS.AMBIG;
  return (
    (first & FLAGS.FIRST) !== 0 &&
    (first & (FLAGS.PLACE | FLAGS.PLACE_PART | plain)) === 0 &&
    (last & FLAGS.PLACE) !== 0 &&
    (last & (FLAGS.FIRST | plain)) === 0
  );
}

/** A name of one or two words, "de" and a place of one to three (Florencia de Buenos Aires). */
const SPEAKER_FROM =
  /^(\p{Lu}[\p{L}'’-]+(?: \p{Lu}[\p{L}'’-]+)?) (?:de|da|do|du|von|aus|from) (\p{Lu}[\p{L}-]+(?: \p{Lu}[\p{L}-]+){0,2})$/u;

/** A name of two or three words, a particle and one capitalized word (Mercedes Villanueva de Sevilla). */
const PERSON_THEN_TOWN = /^(\p{Lu}[\p{L}'’-]+(?: \p{Lu}[\p{L}'’-]+){1,2}) (de|da|do|von|aus) (\p{Lu}[\p{L}-]+)$/u;
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
      while (b >= 0 && b >= at - 8 && isDigitCode(text.charCodeAt(b))) b--;
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
export function capitalRuns(
  text: string,
  emit: Emit,
  claimed: Claimed,
  tagged: readonly TaggedSpan[],
  t: Tokens,
): void {
  const d = dictionaries();
  let next = 0;
  forEachCapitalRun(text, t, (start, end) => {
    next = judgeRun(text, text.slice(start, end), start, emit, claimed, tagged, next, d);
  });
}

/** Judges one run; returns the index of the first tagged span not before it. */
function judgeRun(
  text: string,
  found: string,
  at: number,
  emit: Emit,
  claimed: Claimed,
  tagged: readonly TaggedSpan[],
  from: number,
  d: ReturnType<typeof dictionaries>,
): number {
  let next = from;
  let run = found;
  let start = at;
  // "I'm Daniel Kowalczyk", "It's Rohan", "Name's Dominik", "Soy Florencia": the words opening the
  // run say who speaks, and are no part of the name (D371, D375).
  const c0 = run.charCodeAt(0);
  const self = c0 === 73 || c0 === 78 || c0 === 83 ? SELF_LEAD.exec(run) : null;
  if (self !== null && self[0].length < run.length) {
    start += self[0].length;
    run = run.slice(self[0].length);
  }
  // An area's noun before a town, or chat's interjection before a name (D403, D405).
  const lead = afterLead(text, start, start + run.length);
  if (lead > start) {
    run = run.slice(lead - start);
    start = lead;
  }
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
    // The tagger split the run into names it is sure of, a list of people (Jorge, Ana y Lucas) or a
    // person and where they are from (Thiago de Recife): its findings stand (D358, D362), as one
    // person (Pedro de Souza) would.
    if (taggerSplit(text, tagged, next, start, start + run.length)) return next;
    // A given name and a family name that is a town too (Rebecca Thornton, Tom Preston), where no
    // word of place comes before: a person, not a name and a place (D370).
    if (givenAndTownName(run) && !PLACE_BEFORE.test(text.slice(Math.max(0, start - 24), start))) {
      emit('PERSON', start, start + run.length, 0.8);
      return next;
    }
    // Saying who one is and where from (Soy Florencia de Buenos Aires, Je suis Hugo de Nantes): the
    // speaker's name, then a place the dictionaries know (D375).
    const speaker = SPEAKER_FROM.exec(run);
    const named =
      speaker !== null && (self !== null || SELF_INTRO.test(text.slice(Math.max(0, start - 24), start)))
        ? speaker
        : null;
    if (named !== null) {
      const name = named[1] as string;
      const place = named[2] as string;
      if (placeScore(splitWords(place), true) > 0 || placePhrases().all.has(place.toLowerCase())) {
        emit('PERSON', start, start + name.length, 0.85);
        emit('LOCATION', start + run.length - place.length, start + run.length, 0.85);
        return next;
      }
    }
    // A full name, a particle and a town that is no given name (Mercedes Villanueva de Sevilla, but
    // not Maria de Lourdes): a person and where they are from, not one person (D362).
    const from = PERSON_THEN_TOWN.exec(run);
    if (from !== null) {
      const left = from[1] as string;
      const town = from[3] as string;
      const flags = wordFlags(town.toLowerCase());
      const jl = judge(left, text, start, start + left.length);
      if ((flags & FLAGS.PLACE) !== 0 && (flags & FLAGS.FIRST) === 0 && jl?.type === 'PERSON') {
        emit('PERSON', start, start + left.length, jl.score);
        emit('LOCATION', start + run.length - town.length, start + run.length, 0.85);
        return next;
      }
    }
    // Towns named by a name and a suffix of a word or more (Enzo do Descoberto, Belotti a mare).
    const inner = run.indexOf(' ') < 0 ? -1 : run.search(/ (?:do|de|da|a|nell'|sul|sur|an|am|aan) /);
    if (inner > 0 && townTail(run, inner) === run.length - inner) {
      const placeCue = PLACE_BEFORE.test(text.slice(Math.max(0, start - 24), start));
      emit('LOCATION', start, start + run.length, placeCue ? 0.9 : 0.7);
      return next;
    }
    // Not after an owner's possessive (Saoirse's place is her home, not a town: D414).
    const tail = /['’]s$/.test(run) ? 0 : townTail(text, start + run.length);
    if (tail > 0 && /^[\p{Lu}]/u.test(run) && !/\d/.test(run)) {
      const placeCue = PLACE_BEFORE.test(text.slice(Math.max(0, start - 24), start));
      emit('LOCATION', start, start + run.length + tail, placeCue ? 0.9 : 0.7);
      return next;
    }
    const j = judge(run, text, start, start + run.length);
    // A title and the capitalized words after it are a person where the dictionaries know none of
    // the names (Ms. Adaeze Nwosu), even after a word of place (forward to Ms. ...) (D363).
    if (j === undefined ? titledPerson(run) : j.type === 'LOCATION' && titledPerson(run)) {
      emit('PERSON', start, start + run.length, 0.85);
      return next;
    }
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
