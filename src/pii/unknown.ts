// Lower-case names no list holds, before what only people do (D412): "lol priyanka carried",
// "briony ashdown just got banned", "hiroshi and zebedee carried us". The tagger reads no lower-case
// word that is in no name list and next to no strong cue, and chat's names are mostly in no list.
// A word is read as a name here only where it is in none of the scanner's word lists, not a
// common English word (data/english-words.jsonl, SCOWL) nor one slip from one (chat's typos: baned,
// evryone), and stands where English chat puts a subject: opening a sentence or after an opener
// (lol, omg, so), right before an English verb of what people do (carried, joined, got banned, is
// online). English only: the verbs are English, and the word list is.
import { wordHash, wordKeys } from './chars.ts';
import { BARE_DEEDS_WORDS } from './chatwords.ts';
import { englishWordHashes } from './dictionaries.ts';
import { type Claimed, type Emit, free } from './findings.ts';
import type { Tokens } from './tokens.ts';
import { FLAGS } from './wordflags.ts';

/** What only people do, right after a name (the words the tokenizer hashes). */
const DEEDS = wordKeys(
  'carried carries joined left quit posted posts said says won lost died streamed streams texted replied rage ragequit logged leveled levelled hit reached owes owed',
);
/** Words between a name and its deed (lukas finally hit diamond, briony just got banned). */
const BETWEEN = wordKeys('just finally also never already literally really still always totally');
/** "got" and "is"/"was" before what befalls or describes a player (got banned, is online). */
const GOT = wordKeys('got gets');
const GOT_WHAT = wordKeys('banned kicked muted promoted demoted carried reported');
const IS = wordKeys('is was');
const IS_WHAT = wordKeys('online offline afk here back live streaming banned');
/** What opens a sentence before its subject in chat. */
const OPENERS = wordKeys(
  'lol lmao omg ugh so and but wait ok okay yeah yea tbh idk ngl btw guess bet if when unless cause because think thought believe heard hope',
);
/** A question's "did" before its subject, and the bare verbs of what people do after it (what did chioma post). */
const DID = wordHash('did') | 0;
const DID_DEEDS = wordKeys(BARE_DEEDS_WORDS);
/** What a question's "is" asks of a player after its subject (is bongani still in the clan). */
const IS_Q_WHAT = wordKeys('still online offline afk here around there on playing streaming banned');
const AND = wordHash('and') | 0;

/**
 * Whether token `k` is a lower-case word of letters that no list of the scanner or of English holds,
 * and, with `slips`, no typo of an English word either.
 */
function unknownWord(text: string, t: Tokens, k: number, slips: boolean): boolean {
  if (k < 0 || k >= t.n || t.shape[k] !== 0 || t.flags[k] !== 0 || t.apos[k] !== 0) return false;
  const s = t.start[k] as number;
  const e = t.end[k] as number;
  if (e - s < 4 || e - s > 14) return false;
  const word = text.slice(s, e);
  if (word.includes('-') || word.includes('.')) return false;
  // Chat's own words and spellings: its slang (kekw, tryhards), a word without a vowel (thnx, pplz)
  // or with a letter three times over (bruhhh): no one's name.
  if (SLANG.has(t.hash[k] as number) || !VOWEL.test(word) || /(\p{L})\1\1/u.test(word)) return false;
  const english = englishWordHashes();
  return !english.has((t.hash[k] as number) >>> 0) && !(slips && nearWord(word, english));
}

/** Game chat's words that no English list holds (D412). */
const SLANG = wordKeys(
  'kekw ggwp gege griefer griefers tryhard tryhards noob noobs newb newbs smurf smurfs bruh bruhh yeet poggers lmfao rofl omfg stfu afker afkers inting feeder feeders sweats jungler junglers streamer streamers homie homies yall opps randoms teamate teamates teammate teammates lobbys enemys frens thanx pplz peeps hackers cheaters campers bots mods admins devs',
);
const VOWEL = /[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ]/i;

/**
 * Whether token `k` is a name of the lists only and no English word (ngozi, dario; not hunter or
 * rose): the tagger reads it, but alone and in lower case the last look asks a word about people.
 */
function plainName(t: Tokens, k: number): boolean {
  return nameWord(t, k) && !englishWordHashes().has((t.hash[k] as number) >>> 0);
}

/** Whether token `k` is a lower-case word the name lists hold as a name only (okonkwo, niamh). */
function nameWord(t: Tokens, k: number): boolean {
  const f = t.flags[k] as number;
  return k < t.n && t.shape[k] === 0 && f !== 0 && (f & ~(FLAGS.FIRST | FLAGS.LAST)) === 0;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/**
 * Whether `word` is one slip (a letter dropped, added, changed, or two swapped) from a word of
 * `words`: chat's typos of plain words (baned, evryone, snaks) are no names. Hand-written: the
 * edits of one word are generated and looked up (a few hundred lookups, for the few words the rule
 * reads), where a library would compare the word with every word of the list.
 */
function nearWord(word: string, words: ReadonlySet<number>): boolean {
  const w = word.toLowerCase();
  const n = w.length;
  const seen = (x: string) => x.length >= 3 && words.has(wordHash(x));
  for (let i = 0; i < n; i++) if (seen(w.slice(0, i) + w.slice(i + 1))) return true;
  for (let i = 0; i + 1 < n; i++) if (seen(w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2))) return true;
  for (let i = 0; i <= n; i++)
    for (const c of LETTERS) {
      if (i < n && c !== w[i] && seen(w.slice(0, i) + c + w.slice(i + 1))) return true;
      if (seen(w.slice(0, i) + c + w.slice(i))) return true;
    }
  return false;
}

/** Whether a deed of people starts at token `d`. */
function deedAt(t: Tokens, d: number): boolean {
  if (d >= t.n || t.gap[d] !== 0) return false;
  const h = t.hash[d] as number;
  if (BETWEEN.has(h)) return d + 1 < t.n && t.gap[d + 1] === 0 && deedAt(t, d + 1);
  if (DEEDS.has(h)) return true;
  const next = d + 1 < t.n && t.gap[d + 1] === 0 ? (t.hash[d + 1] as number) : 0;
  return (GOT.has(h) && GOT_WHAT.has(next)) || (IS.has(h) && IS_WHAT.has(next));
}

/** Whether token `k` stands where English chat puts a subject: a sentence's start, or after an opener. */
function subjectAt(t: Tokens, k: number): boolean {
  return k === 0 || t.gap[k] === 2 || (t.gap[k] === 0 && OPENERS.has(t.hash[k - 1] as number));
}

/** The rule's pass: a name of one or two unknown words, or two joined by "and", before a deed. */
export function unknownBeforeDeed(text: string, t: Tokens, emit: Emit, claimed: Claimed): void {
  for (let k = 0; k < t.n; k++) {
    if (!subjectAt(t, k) || t.shape[k] !== 0) continue;
    const s = t.start[k] as number;
    // A given and a family name (briony ashdown just got banned, niamh okonkwo): two words in a row
    // that no English list holds, one of them perhaps a name of the lists; as a pair, a typo's
    // likeness to a word (briony, briny) does not count.
    if (
      t.gap[k + 1] === 0 &&
      deedAt(t, k + 2) &&
      ((unknownWord(text, t, k, false) && (unknownWord(text, t, k + 1, false) || nameWord(t, k + 1))) ||
        (nameWord(t, k) && unknownWord(text, t, k + 1, false)))
    ) {
      const e = t.end[k + 1] as number;
      if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
      k++;
      continue;
    }
    // "hiroshi and zebedee carried": two people. (What follows is read first: the word lists last.)
    if (
      t.hash[k + 1] === AND &&
      t.gap[k + 1] === 0 &&
      t.gap[k + 2] === 0 &&
      deedAt(t, k + 3) &&
      unknownWord(text, t, k, true) &&
      unknownWord(text, t, k + 2, true)
    ) {
      if (free(claimed, s, t.end[k] as number)) emit('PERSON', s, t.end[k] as number, 0.8);
      const s2 = t.start[k + 2] as number;
      if (free(claimed, s2, t.end[k + 2] as number)) emit('PERSON', s2, t.end[k + 2] as number, 0.8);
      k += 2;
      continue;
    }
    if (!deedAt(t, k + 1) || !(unknownWord(text, t, k, true) || plainName(t, k))) continue;
    const e = t.end[k] as number;
    if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
  }
  // Questions: "what did chioma post", "is bongani still in our clan?": the subject after "did" or
  // "is", before a bare verb of what people do or what is asked of a player.
  for (let k = 1; k + 1 < t.n; k++) {
    if (t.gap[k] !== 0 || t.gap[k + 1] !== 0 || t.shape[k] !== 0) continue;
    const before = t.hash[k - 1] as number;
    const after = t.hash[k + 1] as number;
    const asked = (before === DID && DID_DEEDS.has(after)) || (IS.has(before) && IS_Q_WHAT.has(after));
    if (!asked || !(unknownWord(text, t, k, true) || plainName(t, k))) continue;
    const s = t.start[k] as number;
    const e = t.end[k] as number;
    if (free(claimed, s, e)) emit('PERSON', s, e, 0.8);
  }
}
