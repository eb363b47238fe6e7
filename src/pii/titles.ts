// Titles made of two capitalized words and a conjunction (Salt and Pepper, Honor and Glory, Dungeons
// and Dragons), for the last look (lastlook.ts): two people or one title, by the words around them
// (D325, D330).

import { letterAt, wordHash } from './chars.ts';
import { bare } from './lexicon.ts';
import { typedCue } from './slips.ts';
import { classesOf, PLAIN_WORD, VIRTUE, ZONE_END } from './wordclasses.ts';
import { cueWords, FLAGS, flagsTable, wordFlags } from './wordflags.ts';

/**
 * "Honor and Glory", "Frost and Flame": two words of the month, virtue, element or game classes
 * joined by a conjunction, with no strong cue before, make a title, not two people (D325).
 */
const PAIR = /^(\p{L}+) (?:and|und|et|y|e|&) \p{L}+$/u;
/** Whether a word (by its flags and classes) is of the month, virtue, element or game classes. */
export function plainWord(flags: number, classes: number): boolean {
  return (flags & (FLAGS.AMBIG | FLAGS.GAME)) !== 0 || (classes & (VIRTUE | PLAIN_WORD | ZONE_END)) !== 0;
}
export function plainPair(text: string, start: number, end: number): boolean {
  const m = PAIR.exec(text.slice(start, end));
  if (m === null) return false;
  const first = wordHash(bare(m[1] as string));
  if (!plainWord(flagsTable().get(first), classesOf(first))) return false;
  let b = start - 1;
  while (b >= 0 && (text.charCodeAt(b) === 32 || text.charCodeAt(b) === 44)) b--;
  let a = b;
  while (a >= 0 && letterAt(text, a)) a--;
  return (wordFlags(text.slice(a + 1, b + 1)) & (FLAGS.STRONG | FLAGS.TITLE | FLAGS.LABEL_P)) === 0;
}

/** Plain nouns of chat that follow a title (Dungeons and Dragons night, Salt and Pepper fan). */
const TITLE_NOUNS = new Set(
  'night nights game games time day week team server match round update stream chat lobby party fan fans mode map maps skin skins set sets collab crossover expansion dlc movie show series book run runs ost soundtrack abend nacht spiel soirée partie jeu noche partida juego noite jogo'.split(
    ' ',
  ),
);

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
export function titlePair(text: string, start: number, end: number, prev: string, prevEnd: number): boolean {
  const capitalAt = (i: number) => /\p{Lu}/u.test(text.charAt(i));
  let pairEnd = -1;
  // Where the pair's first side (its last word) begins.
  let firstStart = start;
  if (prevEnd >= 0 && prev !== '') {
    // Span is the second side: the word before the conjunction must be capitalized.
    let w = prevEnd;
    while (w >= 0 && text.charCodeAt(w) === 32) w--;
    let ws = w;
    while (ws > 0 && /\p{L}/u.test(text.charAt(ws - 1))) ws--;
    if (w < 0 || !capitalAt(ws)) return false;
    pairEnd = end;
    firstStart = ws;
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
  // A given name on one side after a word about people (with, com, con, mit, avec): a pair of
  // people (joguei com Thiago e Iara ontem), whatever follows.
  // Or no side a word of chat or games at all (jugué con Itziar y Fermín anoche).
  const unknown = (side: string | undefined) =>
    side
      ?.split(/[^\p{L}'’-]+/u)
      .every((w) => w === '' || (wordFlags(w) & (FLAGS.COMMON | FLAGS.GAME | FLAGS.AMBIG | FLAGS.PLACE)) === 0);
  const lastSide = (side: string | undefined) => side?.split(' ').pop();
  if (given(sides[0]) || given(sides[1]) || (unknown(lastSide(sides[0])) && unknown(sides[1]))) {
    let e = firstStart - 1;
    while (e >= 0 && text.charCodeAt(e) === 32) e--;
    let s = e;
    while (s > 0 && /\p{L}/u.test(text.charAt(s - 1))) s--;
    if (e > s && (wordFlags(text.slice(s, e + 1).toLowerCase()) & (FLAGS.P_BEFORE | FLAGS.STRONG)) !== 0) return false;
  }
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
