// Person names and places: street addresses (addresses.ts), the tagger's spans (tagger.ts) and
// runs of capitalized words judged by the name and place dictionaries (runs.ts), each given a last
// look (lastlook.ts); and patterns of chat the three miss (a greeting typed with a slip, a pair with
// the speaker, a new name before a deed, "its maria", "svetlana's", a region after a place).
import { addresses } from './addresses.ts';
import { wordHash, wordKeys } from './chars.ts';
import { type Claimed, type Emit, free } from './findings.ts';
import { koreanFullName } from './korean.ts';
import { lastLook } from './lastlook.ts';
import { CLAUSE_AFTER, givenAsName, NAMING_LAST, plainlyGiven, selfWord, spokenToOrOf } from './lonenames.ts';
import { afterLead, capitalRuns, titledSpan } from './runs.ts';
import { taggedSpans } from './tagger.ts';
import { type Tokens, tokenize } from './tokens.ts';
import { unknownBeforeDeed } from './unknown.ts';
import { classesOf, PRONOUN } from './wordclasses.ts';
import { FLAGS, placePhrases, wordFlags } from './wordflags.ts';

/** Person names and places: runs of capitalized words judged by dictionaries and nearby words. */
export function namesAndPlaces(text: string, emit: Emit, claimed: Claimed): void {
  const placeEnds: number[] = [];
  // The last look at each finding; the tagger's own carry its margin (D390), the rules' none.
  const look = (type: string, start: number, end: number, score: number, margin: number) => {
    const t = lastLook(text, type, start, end, margin);
    if (t === 'LOCATION') placeEnds.push(end);
    if (t !== undefined) emit(t, start, end, score);
  };
  const checked: Emit = (type, start, end, score) => look(type, start, end, score, 0);
  const tokens = tokenize(text);
  // Street addresses first, as one place each: the rules and the tagger see their pieces.
  addresses(text, tokens, emit, claimed);
  townAndState(tokens, emit, claimed);
  const spans = taggedSpans(text, tokens);
  capitalRuns(text, checked, claimed, spans, tokens);
  // The tagger's findings beside the rules': where both find one, the better-scored wins.
  for (const s of spans) {
    if (!free(claimed, s.start, s.end)) continue;
    // Chat's interjection opening the span (Ahh Rafael) is no part of the name (D405); a title of
    // address (Mme Claire Fontaine) makes the rest a person's name (D414).
    const titled = titledSpan(text, s.start, s.end);
    const from = titled ? s.start : afterLead(text, s.start, s.end);
    look(titled ? 'PERSON' : s.type, from, s.end, Math.min(0.85, 0.5 + s.score / TAGGER_SCALE), s.score);
  }
  typedGreeting(text, tokens, checked, claimed);
  meAnd(text, tokens, checked, claimed);
  pairBeforeDeed(text, tokens, checked, claimed);
  selfIntroduction(text, tokens, checked, claimed);
  nameBeforeClause(text, tokens, checked, claimed);
  koreanNames(text, tokens, checked, claimed);
  lowerCaseWords(text, tokens, checked, claimed);
  // Its own test of a word no list holds stands in for the last look's (D412).
  unknownBeforeDeed(text, tokens, emit, claimed);
  regionAfterPlace(tokens, placeEnds, checked, claimed);
}

/**
 * The US states' and territories' postal codes (USPS), as tokens hash them; not OK, HI and OH,
 * which chat shouts after a name far more often than it writes Tulsa OK.
 */
const US_STATES = wordKeys(
  'al ak az ar ca co ct de dc fl ga id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd or pa ri sc sd tn tx ut vt va wa wv wi wy pr gu vi',
);

/**
 * A town and its US state's postal code after it, with or without a comma (Austin TX, Denver, CO,
 * San Antonio TX): one place (D410). The rules read "Denver CO" as a given name and a family name,
 * and the tagger is unsure of the code; a ZIP code after it makes it an address (scan.ts, D372).
 * Run before the rules and the tagger, which then leave the claimed span alone.
 */
function townAndState(t: Tokens, emit: Emit, claimed: Claimed): void {
  for (let k = 1; k < t.n; k++) {
    if (t.shape[k] !== 2 || (t.end[k] as number) - (t.start[k] as number) !== 2) continue;
    if (!US_STATES.has(t.hash[k] as number) || (t.gap[k] !== 0 && t.gap[k] !== 1)) continue;
    const town = FLAGS.PLACE | FLAGS.PLACE_PART;
    let j = k - 1;
    if (t.shape[j] !== 1 || ((t.flags[j] as number) & town) === 0) continue;
    // Over the town's other words (San Antonio, Salt Lake City): capitalized, in place names too.
    while (j > 0 && k - j < 3 && t.gap[j] === 0 && t.shape[j - 1] === 1 && ((t.flags[j - 1] as number) & town) !== 0)
      j--;
    const start = t.start[j] as number;
    const end = t.end[k] as number;
    if (free(claimed, start, end)) emit('LOCATION', start, end, 0.9);
  }
}

/** selfWord's words by hash (its, it's, i'm, im): the words before a name that selfIntroduction reads. */
const SELF_KEYS = wordKeys(['its', "it's", 'it’s', "i'm", 'i’m', 'im']);

/** Flags of a word that D350's and D352's patterns never propose as a lone given name. */
const NOT_A_LONE_NAME = FLAGS.COMMON | FLAGS.GAME | FLAGS.AMBIG | FLAGS.PLACE;

/**
 * "its maria", "i'm kevin btw": a given name the dictionaries know, after "its" or "i'm" and
 * ending the message or a clause, is the speaker (D350). The tagger, which learnt names after verbs
 * of naming (soy, bin, am), leaves it; "its" and "im" are too common to be cues themselves, so the
 * name must be a given name and no plain, month, game or place word, and end there (not "its max
 * level"). The last look checks the same (lastlook.ts).
 */
function selfIntroduction(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  for (let k = 1; k < t.n; k++) {
    const f = t.flags[k] as number;
    if ((f & FLAGS.FIRST) === 0 || (f & NOT_A_LONE_NAME) !== 0 || t.gap[k] !== 0 || (t.shape[k] as number) > 1)
      continue;
    // The word before by its hash first: a slice and a copy in lower case only where it may be one.
    if (!SELF_KEYS.has(t.hash[k - 1] as number)) continue;
    if (!selfWord(text.slice(t.start[k - 1] as number, t.end[k - 1] as number).toLowerCase(), text)) continue;
    // The last look reads the rest: a common English word (its fine), what follows (its max level).
    const s = t.start[k] as number;
    const e = t.end[k] as number;
    if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
  }
}

/**
 * "svetlana's account", "kwame, he left": a given name the dictionaries know, before a possessive or
 * a comma and a pronoun of a person, is someone (D352). The tagger proposes lone lower-case names
 * only next to the words it learnt (greetings, verbs of naming); the last look holds these to the
 * same test (namedByClause, lastlook.ts): no plain, month, game, place or virtue word, nor a common
 * English word.
 */
function nameBeforeClause(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  for (let k = 0; k < t.n; k++) {
    if ((t.shape[k] as number) > 1) continue;
    const s = t.start[k] as number;
    let e = t.end[k] as number;
    let f = t.flags[k] as number;
    if (t.apos[k] === 1) {
      // The possessive is inside the word (svetlana's): the name is the word without it.
      const c = text.charCodeAt(e - 2);
      if ((c !== 39 && c !== 0x2019) || (text.charCodeAt(e - 1) | 32) !== 115) continue;
      e -= 2;
      f = wordFlags(text.slice(s, e).toLowerCase());
    } else if (t.after[k] !== 1) continue;
    if ((f & FLAGS.FIRST) === 0 || (f & NOT_A_LONE_NAME) !== 0) continue;
    if (!CLAUSE_AFTER.test(text.slice(e, e + 8))) continue;
    if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
  }
}

/**
 * The passes over lower-case words, in one loop over the tokens (a loop of its own over every token
 * cost about a percent of a scan each):
 * - "sorry sven", "good luck tomorrow, amara!", "where is wei", "dmitri fell off the bridge": a lone
 *   lower-case given name that chat speaks to or of (D365). The tagger proposes lone lower-case
 *   names only next to the words it learnt; the last look holds these to the same test
 *   (addressedOrActing).
 * - "my real name is kateryna, im from kyiv": a lower-case word given as one's name (D375,
 *   givenAsName).
 * - "heading to new orleans", "i live in los angeles", "vivo en las palmas de gran canaria": a place
 *   of several words typed in lower case after a word of place, the dictionaries' whole name (D361).
 *   The tagger takes the first word (new, los, las) for a plain word and finds the rest alone, or
 *   nothing.
 * - "vamos a madrid", "in der nähe von stuttgart": a town in lower case after "a" or "von" and a
 *   verb of going or "nähe" (D395); "anyone from the netherlands?": a place written with its
 *   article after a word of place (D408). The tagger reads neither in lower case.
 * The word before each is read by the hash the tokenizer made of it.
 */
function lowerCaseWords(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  const { firsts, all } = placePhrases();
  for (let k = 0; k < t.n; k++) {
    if (t.shape[k] !== 0) continue;
    const f = t.flags[k] as number;
    const s = t.start[k] as number;
    const e = t.end[k] as number;
    // The token's hash, signed as the tokens keep it: a small integer, no boxed number.
    const before = k > 0 ? (t.hash[k - 1] as number) : 0;
    // addressedOrActing, its words around first (cheap, and most often false), its word classes last.
    if (
      (f & FLAGS.FIRST) !== 0 &&
      (f & NOT_A_LONE_NAME) === 0 &&
      spokenToOrOf(text, s, e, before) &&
      plainlyGiven(f, classesOf(t.hash[k] as number)) &&
      free(claimed, s, e)
    )
      emit('PERSON', s, e, 0.8);
    if (k === 0 || t.gap[k] !== 0) continue;
    // The word before is a naming verb's last (is, name's, ist, llamo, m'appelle, ...).
    if (k >= 2 && t.after[k] !== 5 && NAMING_LAST.has(before) && givenAsName(text, s, e, f) && free(claimed, s, e))
      emit('PERSON', s, e, 0.8);
    // "vamos a madrid", "in der nähe von stuttgart": a town in lower case after "a" or "von" with a
    // verb of going or "nähe" before them (D395); "a" and "von" alone are no word of place.
    if (
      k >= 2 &&
      (f & (FLAGS.PLACE | FLAGS.COMMON | FLAGS.AMBIG | FLAGS.GAME)) === FLAGS.PLACE &&
      TOWARD.has(before) &&
      t.gap[k - 1] === 0 &&
      (GOING.has(t.hash[k - 2] as number) ||
        // From one town to the other (me mudé de valencia a sevilla: D414).
        (k >= 4 && t.hash[k - 3] === DE && t.gap[k - 2] === 0 && GOING.has(t.hash[k - 4] as number)) ||
        // Someone from a town (alguien de sevilla, quelqu'un de lille: D414).
        (t.hash[k - 1] === DE && (classesOf(t.hash[k - 2] as number) & PRONOUN) !== 0)) &&
      free(claimed, s, e)
    )
      emit('LOCATION', s, e, 0.8);
    // "anyone from the netherlands?": a country written with its article, in lower case after a word
    // of place (D408).
    if (
      k >= 2 &&
      t.hash[k - 1] === THE &&
      THE_PLACES.has(t.hash[k] as number) &&
      t.gap[k - 1] === 0 &&
      ((t.flags[k - 2] as number) & FLAGS.L_BEFORE) !== 0 &&
      free(claimed, s, e)
    )
      emit('LOCATION', s, e, 0.85);
    // The first word of a place's name of several words is a part of a place (new, los, kuala), or
    // too short for the dictionaries to mark it so (ho of ho chi minh city).
    if (((t.flags[k - 1] as number) & FLAGS.L_BEFORE) === 0) continue;
    if ((f & FLAGS.PLACE_PART) === 0 && e - s > 2) continue;
    const most = firsts.get(t.hash[k] as number);
    if (most === undefined) continue;
    for (let len = Math.min(most, t.n - k); len >= 2; len--) {
      const last = k + len - 1;
      let plain = true;
      for (let j = k + 1; j <= last; j++) if (t.shape[j] !== 0 || t.gap[j] !== 0) plain = false;
      if (!plain) continue;
      const pe = t.end[last] as number;
      if (!all.has(text.slice(s, pe))) continue;
      // The rest may be a place already (delhi of new delhi): the longer finding wins it.
      if (free(claimed, s, e)) emit('LOCATION', s, pe, 0.85);
      k = last;
      break;
    }
  }
}

/** Countries and places written with "the" (the Netherlands, the Bahamas, the Hague: D408). */
const THE_PLACES = wordKeys(
  // With the countries chat abbreviates after "the" (im in the uk: D410).
  'netherlands philippines bahamas gambia hague congo maldives seychelles bronx emirates balkans caribbean ukraine uk usa us uae',
);
/** "the", as the tokens hash it (signed). */
const THE = wordHash('the') | 0;
/**
 * The words before a town that "a" (Spanish, Portuguese) or "von" (German) leads to (D395), and
 * the "de" a move starts from (me mudé de valencia: D414).
 */
const TOWARD = wordKeys('a von de');
/** "de", as the tokens hash it (signed). */
const DE = wordHash('de') | 0;
/** Verbs of going, coming back, moving and travelling before "a", and the German "Nähe" before "von". */
const GOING = wordKeys(
  'vamos voy vas va van fui fue fuimos fueron viajo viajé viaje viajamos llegué llegue llego llegamos vuelvo volví volvi volvemos mudé mude mudamos vou vai vão vao fomos foi cheguei chego volto voltei viajei mudei nähe naehe',
);

/**
 * A Korean family name and a given name of two syllables joined by a hyphen, in either order (Park
 * Seo-yeon, Ji-hoon Park): a person (D354). The tagger does not know the given names' shape, and
 * reads Park as a place.
 */
function koreanNames(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  // From each hyphen (few in chat) to the word holding it, then that word and either neighbour.
  let k = 0;
  for (let h = text.indexOf('-'); h >= 0 && k < t.n; h = text.indexOf('-', h + 1)) {
    while (k < t.n && (t.end[k] as number) <= h) k++;
    if (k >= t.n || (t.start[k] as number) > h) continue;
    // The word with its neighbour before, then with the one after (no pair of arrays a hyphen).
    for (let a = k - 1; a <= k; a++) {
      const b = a + 1;
      if (a < 0 || b >= t.n || t.gap[b] !== 0) continue;
      const s = t.start[a] as number;
      const e = t.end[b] as number;
      if (e - s <= 40 && koreanFullName(text.slice(s, e)) && free(claimed, s, e)) emit('PERSON', s, e, 0.8);
    }
  }
}

/**
 * A place, a comma and one capitalized word the lists know as a place (Springfield, Illinois;
 * Wollongong, Ireland): the second is a place too, a region or a country (D330). The tagger,
 * unsure of it after a comma, reports the first alone.
 */
function regionAfterPlace(t: Tokens, placeEnds: number[], emit: Emit, claimed: Claimed): void {
  // From each place to its word by binary search over the words' ends (sorted): a long text holds
  // thousands of places among a hundred thousand words, and a lookup per word (a set's) was 5% of
  // a scan of chat; a search through a list per word made the scan quadratic (D330).
  // A region found here is a place too, and the loop goes on from it to the word after.
  placeEnds.sort((a, b) => a - b);
  const seen = new Set<number>();
  for (let i = 0; i < placeEnds.length; i++) {
    const end = placeEnds[i] as number;
    if (seen.has(end)) continue;
    seen.add(end);
    const k = wordEndingAt(t, end);
    if (k < 0 || k + 1 >= t.n) continue;
    const j = k + 1;
    if (t.gap[j] !== 1 || t.shape[j] !== 1 || ((t.flags[j] as number) & FLAGS.PLACE) === 0) continue;
    if (j + 1 < t.n && t.shape[j + 1] === 1 && t.gap[j + 1] === 0) continue;
    const s = t.start[j] as number;
    const e = t.end[j] as number;
    if (free(claimed, s, e)) emit('LOCATION', s, e, 0.8);
  }
}

/** The index of the word that ends at `end`, or -1. */
function wordEndingAt(t: Tokens, end: number): number {
  let lo = 0;
  let hi = t.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const e = t.end[mid] as number;
    if (e === end) return mid;
    if (e < end) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
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

/** Tagger margins are mapped to scores from 0.5 (a margin of 0) to 0.85. */
const TAGGER_SCALE = 40;

/** What only people do, said right after their name (D327): said, joined, wrote, in five languages. */
const DEEDS = new Set(
  'said says told asked joined wrote writes replied texted called sent paid carried wants wanted thinks thought streams streamed sagt sagte meinte schrieb fragte dit écrit veut disait dice dijo escribió quiere preguntó diz disse escreveu quer perguntou'.split(
    ' ',
  ),
);

/**
 * A given and a family name no list knows, opening a sentence, right before what only people do
 * (Eluned Pryce joined the guild): a person (D327). Both words capitalized and neither a plain,
 * game, month, place or cue word; the tagger is not sure of names it has never seen there.
 */
function pairBeforeDeed(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  const plain =
    FLAGS.COMMON |
    FLAGS.GAME |
    FLAGS.AMBIG |
    FLAGS.PLACE |
    FLAGS.PLACE_PART |
    FLAGS.TITLE |
    FLAGS.STREET |
    FLAGS.P_BEFORE |
    FLAGS.P_AFTER |
    FLAGS.L_BEFORE |
    FLAGS.CONJ |
    FLAGS.LABEL_P |
    FLAGS.LABEL_L |
    FLAGS.STRONG;
  for (let k = 0; k + 2 < t.n; k++) {
    if (t.gap[k] !== 2 || t.gap[k + 1] !== 0 || t.gap[k + 2] !== 0) continue;
    if (t.shape[k] !== 1 || t.shape[k + 1] !== 1 || t.shape[k + 2] !== 0) continue;
    if ((((t.flags[k] as number) | (t.flags[k + 1] as number)) & plain) !== 0) continue;
    const s2 = t.start[k + 2] as number;
    if (!DEEDS.has(text.slice(s2, t.end[k + 2] as number))) continue;
    const s = t.start[k] as number;
    const e = t.end[k + 1] as number;
    if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
  }
}
