// German text and German's capitalized common nouns, for the last look (lastlook.ts): a noun by its
// ending (D325), a capitalized word after an article or a determiner (D368), and whether a text
// reads as German at all (D368, D371).

import { wordHash, wordKeys } from './chars.ts';
import { bare } from './lexicon.ts';
import { FLAGS, wordFlags } from './wordflags.ts';

/**
 * A German common noun by its ending (Wartung, Bestellung, Gelegenheit, Mannschaft, Wartungsarbeiten):
 * German writes every noun capitalized, and one no name list knows is no one (D325). Short words
 * (Jung, Hung) are left alone: family names end so too.
 */
const GERMAN_NOUN = /^\p{L}{3,}(?:ungen|ung|heiten|heit|keiten|keit|schaften|schaft|täten|tät|nisse|ungs\p{L}{3,})$/u;
export function germanNoun(word: string): boolean {
  if (word.length < 7 || !GERMAN_NOUN.test(word)) return false;
  return (wordFlags(bare(word)) & (FLAGS.FIRST | FLAGS.LAST | FLAGS.PLACE | FLAGS.PLACE_PART)) === 0;
}

/** German's commonest short words, which other languages' chat rarely writes as words. */
const GERMAN_WORDS = wordKeys(
  'und ich nicht ist das die der den dem mit mein meine meinem meinen sie wir ihr hat habe haben auf für ohne sehr bitte kann wird wurde noch auch aber oder wenn dass ein eine einen einem kommt gestern heute morgen nächste immer im war bin hab hast gerade echt nochmal leider ' +
    // More of the commonest, none a word of English, French, Spanish or Portuguese chat (D414).
    'sind bei uns nur keine kein zum zur vom nach aus über mal schon jetzt dann doch wie wer hier sich euch dich mich mir dir ihm ihn wieder gern gerne',
);
/** German's articles and determiners, and "ohne": a capitalized word right after one is a noun. */
export const GERMAN_DETERMINERS = wordKeys(
  'der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner mein meine meinen meinem deine deinen unsere unseren eure ohne jede jeden jeder',
);
let germanSeen: string | undefined;
let germanWas = false;

/** Whether `text` reads as German: two or more of its words are German's commonest (cached per text). */
export function germanText(text: string): boolean {
  if (text === germanSeen) return germanWas;
  germanSeen = text;
  germanWas = readsGerman(text);
  return germanWas;
}

/** Whether two of the lower-case words of `text` are German's commonest. */
function readsGerman(text: string): boolean {
  let hits = 0;
  for (const m of text.matchAll(/\p{Ll}+/gu)) if (GERMAN_WORDS.has(wordHash(m[0])) && ++hits >= 2) return true;
  return false;
}

/** The lines of the last text `germanLine` read, by where they start: whether each reads as German. */
let lineText: string | undefined;
const lineGerman = new Map<number, boolean>();

/**
 * Whether the line around `at` (back to a line break, at most 160 characters either way) reads as
 * German: two of its words are German's commonest. A line, not the text: a piece of a stream holds
 * many messages in many languages (D414). Each line is read once a text.
 */
export function germanLine(text: string, at: number): boolean {
  let from = at;
  while (from > 0 && at - from < 160 && text.charCodeAt(from - 1) !== 10) from--;
  if (text !== lineText) {
    lineText = text;
    lineGerman.clear();
  }
  const known = lineGerman.get(from);
  if (known !== undefined) return known;
  let to = at;
  while (to < text.length && to - at < 160 && text.charCodeAt(to) !== 10) to++;
  const german = readsGerman(text.slice(from, to));
  lineGerman.set(from, german);
  return german;
}
