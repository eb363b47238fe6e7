// A lone lower-case given name, and what makes it someone in chat: a word about people next to it,
// given as one's name, said to or of someone, introducing the speaker, followed by a clause about
// its person (D350, D352, D365, D371, D375, D382, D387, D390, D394). The last look (lastlook.ts)
// and the passes over lower-case words (names.ts) share these.

import { type KeySet, letterAt, rangeHash, wordBefore, wordHash, wordKeys } from './chars.ts';
import { germanText } from './german.ts';
import { typedCue } from './slips.ts';
import { PLAIN_NAME, PLAIN_WORD, VIRTUE } from './wordclasses.ts';
import { cueWords, FLAGS, wordFlags } from './wordflags.ts';

/** A name given as such ("my name is Hunter", "je m'appelle", "mi nombre es"): a strong cue (D325). */
export const NAME_IS =
  /(?:^|[^\p{L}])(?:(?:name|vorname|nom|prénom|prenom|nombre|nome)(?:'s| is| ist| est| es| é)|called|named|heiße|heisse|heißt|heisst|appelle|llamo|llama|chamo|chama-se|chama) $/iu;

/**
 * Whether a lone lower-case word is a name by being given as one: after "my name is", "je m'appelle",
 * "me llamo" (NAME_IS) and ending the message or a clause (my real name is kateryna, im from kyiv),
 * a word that is no common, game or ambiguous word, even one no dictionary holds (D375).
 */
export function givenAsName(text: string, start: number, end: number, flags: number): boolean {
  if (end - start < 3 || (flags & (FLAGS.COMMON | FLAGS.GAME | FLAGS.AMBIG)) !== 0) return false;
  // A word no dictionary holds as a given name: four letters or more, not shaped like an English
  // participle, adverb or abstract noun (my name is taken, ... is hidden).
  if ((flags & FLAGS.FIRST) === 0 && (end - start < 4 || PLAIN_ENDING.test(text.slice(start, end)))) return false;
  return MY_NAME_IS.test(text.slice(Math.max(0, start - 24), start)) && SELF_AFTER.test(text.slice(end, end + 12));
}

/** Giving one's own name, in the five languages. */
const MY_NAME_IS_PHRASES = [
  'my name is',
  'my real name is',
  'my full name is',
  'my first name is',
  "my name's",
  'mein name ist',
  'ich heiße',
  'ich heisse',
  "je m'appelle",
  'je m’appelle',
  'mon nom est',
  'me llamo',
  'mi nombre es',
  'me chamo',
  'meu nome é',
  'meu nome e',
];
const MY_NAME_IS = phrasesBefore(MY_NAME_IS_PHRASES, 'iu');
/** The last words of MY_NAME_IS's phrases, by hash: a lower-case word after none of them is not tried. */
export const NAMING_LAST: KeySet = wordKeys(MY_NAME_IS_PHRASES.map(lastWord));
/** Endings of English words that are rarely names. */
const PLAIN_ENDING = /(?:ed|en|ing|ly|ness|able|ible|ful|less|ous|tion|ment|ive|ish)$/;

/** The last word of a phrase. */
export function lastWord(phrase: string): string {
  return phrase.slice(phrase.lastIndexOf(' ') + 1);
}

/** A pattern of any of `phrases` ending the text before a word (a letter or the start before it). */
export function phrasesBefore(phrases: readonly string[], flags: string): RegExp {
  return new RegExp(`(?:^|[^\\p{L}])(?:${phrases.join('|')}) $`, flags);
}

/**
 * A tagger's margin at which a lone lower-case given name stands without a word about people next
 * to it (frag mal jonas ob er mitmacht: 71.7), where it is plainly a given name and no place (D390).
 * At 30 the tuning half's German "dane an alle" (danke) became someone.
 */
const SURE_ALONE = 40;

/** The family the cue words of wordflags.ts leave out (my grandma rosa, meine oma gerda, mi abuela carmen: D410). */
const FAMILY = new Set(
  [
    'grandma grandpa granny grandmother grandfather auntie nephew niece stepmom stepdad stepson stepdaughter',
    'fiance fiancé fiancee fiancée bf gf oma tante onkel sohn tochter mutter vater neffe nichte mamie papi',
    'mémé pépé oncle nièce neveu copine copain abuela abuelo abuelita abuelito tía tío sobrino sobrina novia',
    'novio esposa esposo avó avô vovó vovô tia tio sobrinho sobrinha namorada namorado marido',
  ]
    .join(' ')
    .split(' '),
);

/** Chat words said to someone, or whom something is done to, before a name (gg maria, pay me anna). */
export const CHAT_BEFORE = new Set([
  // Chat's words for a friend (mein kumpel ahmet, mon pote julien: D394).
  ...'gg ggs wp gl glhf hf me us pay paid oye ey ei eae opa kumpel pote mec colega parça parca mano compa'.split(' '),
  // Chat's exclamations before whom they are about (omg amira that was clutch: D410).
  ...'omg lol lmao wow yay ugh'.split(' '),
  // The other languages' laughs (mdr kevin il a rage quit, jaja pablo: D414).
  ...'mdr ptdr jaja jajaja kkk kkkk kkkkk haha hahaha xd'.split(' '),
  ...FAMILY,
  // Verbs of chat whose object is a player (kick anya, trust omar, carry lena: D410).
  ...'kick kicked ban banned report reported mute muted block blocked trust trusted carry carrying revive revived res rez heal healing unfriend friended owe owes owed'.split(
    ' ',
  ),
]);

/** How chat introduces oneself without a verb of naming (its maria, i'm kevin btw) (D350). */
const SELF_BEFORE: ReadonlySet<string> = new Set(['its', "it's", 'it’s', "i'm", 'i’m']);

/**
 * Whether `word` (lower case) introduces the speaker before a name: SELF_BEFORE's words, and "im"
 * (i'm without its apostrophe) outside German text, where it is "in dem" (im Ernst, im Moment)
 * before a noun some people are named after (D371).
 */
export function selfWord(word: string, text: string): boolean {
  return SELF_BEFORE.has(word) || (word === 'im' && !germanText(text));
}
/** A possessive, or a comma and a pronoun of a person, right after a name (svetlana's account; kwame, he left) (D352). */
export const CLAUSE_AFTER = /^(?:['’]s\b|, (?:he|she|hes|shes|he's|she's|er|sie|il|elle|él|ella|ele|ela)\b)/u;

/**
 * A given name of the dictionaries that is no plain, month, game or virtue word nor a common English
 * word (fine, will, mark): what D350's and D352's patterns may read as someone.
 */
export function plainlyGiven(flags: number, classes: number): boolean {
  return (
    (flags & FLAGS.FIRST) !== 0 &&
    (flags & (FLAGS.COMMON | FLAGS.AMBIG | FLAGS.GAME)) === 0 &&
    (classes & (PLAIN_NAME | PLAIN_WORD | VIRTUE)) === 0
  );
}

/**
 * Whether a lone lower-case given name is someone by what follows it: a possessive or a comma and a
 * pronoun of a person (D352). It must be plainly a given name, and no place (sofia, she is).
 */
function namedByClause(flags: number, classes: number, after: string): boolean {
  return plainlyGiven(flags, classes) && (flags & FLAGS.PLACE) === 0 && CLAUSE_AFTER.test(after);
}

/** Words said to someone right before their name in chat (sorry sven, i owe tobias, good luck amara). */
const ADDRESS_BEFORE = wordKeys(
  // And chat's greetings the cue words lack (ayy noor, heyy sam, sup ali: D402).
  'sorry soz sry owe owes luck cya bye byee gz grats seen ayy ayo aye heyy heyyy hii hiii sup wassup wsp ' +
    // And the verbs that give a third person's name (mi primo se llama juan, il s'appelle karim, er
    // heißt jonas, ele se chama joão, a guy called tom: D415).
    "llama llaman s'appelle s’appelle appelle chama chama-se chamam heißt heisst called named",
);
/** Thanks, love and wishes of chat, anywhere before a name that ends the message (D407). */
const WISHED =
  /(?:^|[^\p{L}])(?:thank|thanks|thx|ty|tysm|love|happy|bday|birthday|congrats|congratulations|good luck|welcome|miss|esp|especially|shoutout|shout out)(?![\p{L}])[^\n]*$/iu;

/** Whether nothing but marks, spaces and emoji follow `end` up to the message's end (a line break or the text's). */
function endsMessage(text: string, end: number): boolean {
  for (let i = end; i < text.length && i < end + 16; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return true;
    if ((c >= 48 && c <= 57) || letterAt(text, i)) return false;
  }
  return end + 16 >= text.length;
}

/** Chat's words that open a message before what it says of someone (tbh, lol, ngl: D402). */
const OPENERS = wordKeys('tbh lol lmao lmfao omg ok okay btw ngl imo honestly yeah yea nah bruh wait ugh welp');
/**
 * Deeds of chat right after a name that opens a message or a clause after a comma (dmitri fell off,
 * rahul carried us; no way, ingrid is from oslo: D387).
 */
const DEED_AFTER = wordKeys(
  'fell left died won lost quit got went carried sold bought stole killed pulled wiped tanked healed soloed afked dced ragequit crashed lagged disconnected owes is was has says said wants lives cant wont didnt doesnt isnt wasnt hasnt can will needs',
);
/** Asking where someone is (where is wei, wheres kasia). */
const WHERE_PHRASES = [
  'where is',
  "where's",
  'where’s',
  'wheres',
  'wo ist',
  'où est',
  'dónde está',
  'donde esta',
  'cadê',
  'cade',
];
const WHERE_BEFORE = phrasesBefore(WHERE_PHRASES, 'u');
/** Asking who someone is, the name then a question mark (who is carter?). */
const WHO_PHRASES = [
  'who is',
  "who's",
  'who’s',
  'whos',
  'wer ist',
  'qui est',
  'quién es',
  'quien es',
  'quem é',
  'quem e',
];
const WHO_BEFORE = phrasesBefore(WHO_PHRASES, 'u');
/** The last words of WHERE_PHRASES and WHO_PHRASES, by hash: no question is read after other words. */
const ASKED_LAST = wordKeys([...WHERE_PHRASES, ...WHO_PHRASES].map(lastWord));
/** Words of "you" in chat after the name of whom they speak to (lower case, as chat types them). */
const YOU_AFTER: ReadonlySet<string> = new Set(['u', 'ur', 'you', 'youre', 'r']);

/**
 * Whether a lone lower-case given name is someone by how chat speaks to or of them (D365): called at
 * the end of a message after a comma (good luck tomorrow, amara!), after a word said to someone (sorry
 * sven, i owe tobias, has anyone seen ingrid), asked after (where is wei, who is carter?), spoken to
 * (olivia ur so good, D371), opening a message, a clause or a message after chat's opener before a
 * deed (dmitri fell off the bridge; no way, ingrid is from oslo; tbh ana is: D387, D402), or ending a
 * message of thanks or wishes (thank u soo much ingrid: D407). It must be plainly a given name, and
 * no place.
 * `beforeHash` is the hash of the word before (commas skipped), signed or not.
 */
export function addressedOrActing(
  text: string,
  start: number,
  end: number,
  beforeHash: number,
  flags: number,
  classes: number,
): boolean {
  return (flags & FLAGS.PLACE) === 0 && spokenToOrOf(text, start, end, beforeHash) && plainlyGiven(flags, classes);
}

/** The words around a name in addressedOrActing: each test reads text only where its cheapest sign is. */
export function spokenToOrOf(text: string, start: number, end: number, beforeHash: number): boolean {
  if (
    text.charCodeAt(start - 2) === 44 &&
    text.charCodeAt(start - 1) === 32 &&
    /^ ?(?:[!?.]|$)/.test(text.slice(end, end + 2))
  )
    return true;
  if (ADDRESS_BEFORE.has(beforeHash)) return true;
  // Ending the message, with thanks or a wish before it in the message (thank u soo much ingrid,
  // love u guys, esp nadia; happy bday kai!!: D407).
  if (endsMessage(text, end) && WISHED.test(text.slice(Math.max(0, start - 32), start))) return true;
  if (ASKED_LAST.has(beforeHash)) {
    const lead = text.slice(Math.max(0, start - 14), start);
    if (WHERE_BEFORE.test(lead)) return true;
    if (WHO_BEFORE.test(lead) && /^ ?\?/.test(text.slice(end, end + 2))) return true;
  }
  const c = text.charCodeAt(end);
  if (c === 32 || c === 44) {
    // Spoken to: the name before "u", "ur" or "you" (olivia ur so good, harper u there?).
    const i = c === 44 ? end + 2 : end + 1;
    if (c === 32 || text.charCodeAt(end + 1) === 32) {
      let j = i;
      while (j < text.length && j - i < 6 && letterAt(text, j)) j++;
      if (j > i && j - i <= 5 && !letterAt(text, j) && YOU_AFTER.has(text.slice(i, j))) return true;
    }
    const p = text.charCodeAt(start - 2);
    // Or after chat's word opening the message (tbh ana is, lol kevin left: D402).
    const opening =
      start === 0 ||
      (text.charCodeAt(start - 1) === 32 && (p === 46 || p === 33 || p === 63 || p === 44)) ||
      (OPENERS.has(beforeHash) && text.lastIndexOf(' ', start - 2) < 0);
    if (c === 32 && opening) {
      const next = /^ (\p{Ll}+)/u.exec(text.slice(end, end + 16));
      if (next !== null && DEED_AFTER.has(wordHash(next[1] as string))) return true;
    }
  }
  return false;
}

/** What may follow a name after "its" or "i'm": the end of the message or a clause, or a word of chat about oneself. */
const SELF_AFTER = /^(?:\s*$|\s*[,.!?;:)]|\s+(?:here|again|btw|lol|haha|hehe|from|speaking|bye)\b)/u;

/**
 * Whether a lone lower-case given name follows "its" or "i'm" as a self-introduction: a given name
 * of the dictionaries that is no plain, month, game or virtue word nor a common English word (its
 * fine, i'm ok), ending the message or a clause (its maria, i'm kevin btw), not a word of a phrase
 * (its max level).
 */
function selfIntroduced(text: string, before: string, flags: number, classes: number, end: number): boolean {
  return (
    selfWord(before.toLowerCase(), text) && plainlyGiven(flags, classes) && SELF_AFTER.test(text.slice(end, end + 12))
  );
}

/** Whether a form's person label and its colon come right before `start` (name: anna). */
/** Whether a person's label and a colon stand right before `start` (Name: X, Destinatario: X). */
export function labelled(text: string, start: number): boolean {
  const m = /(\p{L}+) ?: ?$/u.exec(text.slice(Math.max(0, start - 16), start));
  return m !== null && (wordFlags((m[1] as string).toLowerCase()) & FLAGS.LABEL_P) !== 0;
}

let greetings: readonly string[] | undefined;
/** Words before a name (P_BEFORE and STRONG cues of four letters or more), to read typed with a slip. */
function greetingWords(): readonly string[] {
  greetings ??= [...cueWords(FLAGS.P_BEFORE), ...cueWords(FLAGS.STRONG)].filter((w) => w.length >= 4);
  return greetings;
}

/**
 * Whether a lone lower-case word is someone by the words around it: a word about people before it
 * or after it (hey maria, orla said, anna und jonas, mein kumpel ahmet), a label, a greeting typed
 * with a slip, the tagger's margin of D390, or the ways chat names someone alone (introduced, followed
 * by a clause, spoken to or of, given as one's name). `a` and `b` bound the word before (commas
 * skipped), `before` its flags and `beforeHash` its hash; `flags` and `classes` are the word's own.
 */
export function namedAlone(
  text: string,
  start: number,
  end: number,
  a: number,
  b: number,
  before: number,
  beforeHash: number,
  flags: number,
  classes: number,
  margin: number,
): boolean {
  const after = /^,? ?(\p{L}+)/u.exec(text.slice(end, end + 24));
  const af = after === null ? 0 : wordFlags((after[1] as string).toLowerCase());
  // A strong cue after the word counts only as one that follows a name (said, says), not one that
  // goes before the next (ping, ask, tell: "if zuzanna is online ping me" names no "online": D412).
  const afterCue =
    (af & FLAGS.STRONG) !== 0 && (af & FLAGS.P_BEFORE) !== 0 && (af & FLAGS.P_AFTER) === 0 ? af & ~FLAGS.STRONG : af;
  const people = FLAGS.P_BEFORE | FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.TITLE | FLAGS.LABEL_P | FLAGS.CONJ;
  // A verb that follows a name (is, are, was, says, wants) is a cue for the word after it only
  // when that word is plainly a given name (this is maria, it was kevin): "they are fine", "mom
  // says dinner" name no one (D382).
  const verbBefore =
    (before & FLAGS.P_AFTER) !== 0 && (before & (FLAGS.P_BEFORE | FLAGS.TITLE | FLAGS.LABEL_P | FLAGS.CONJ)) === 0;
  return !(
    ((before & people) === 0 || (verbBefore && !plainlyGiven(flags, classes))) &&
    !CHAT_BEFORE.has(text.slice(a + 1, b + 1).toLowerCase()) &&
    // A verb after it (is, was) alone is no cue for a given name that is a common English word (the
    // quest line is long: D406); said, says and "and" are.
    ((afterCue & (FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.CONJ)) === 0 ||
      ((classes & PLAIN_NAME) !== 0 && (afterCue & (FLAGS.STRONG | FLAGS.CONJ)) === 0)) &&
    ((af & (FLAGS.FIRST | FLAGS.LAST)) === 0 || (af & FLAGS.COMMON) !== 0) &&
    !labelled(text, start) &&
    (verbBefore || !typedCue(text.slice(a + 1, b + 1), greetingWords(), 1)) &&
    !(margin >= SURE_ALONE && (flags & FLAGS.PLACE) === 0 && plainlyGiven(flags, classes)) &&
    !selfIntroduced(text, text.slice(a + 1, b + 1), flags, classes, end) &&
    !namedByClause(flags, classes, text.slice(end, end + 8)) &&
    !addressedOrActing(text, start, end, beforeHash, flags, classes) &&
    !givenAsName(text, start, end, flags) &&
    !thankedTo(text, a, beforeHash)
  );
}

/** Words that thank or praise someone through "to" (congrats to dario, shoutout to kemi, props to ana). */
const THANKED = wordKeys('congrats congratulations grats gratz gz thanks thank thx ty shoutout shoutouts props kudos');
const TO_HASH = wordHash('to');

/**
 * Whether the word before a lone lower-case name is "to" after a word of thanks or praise
 * (congrats to dario, big thanks to ingrid, shoutout to kemi: D410). `a` is where the text before
 * "to" ends.
 */
export function thankedTo(text: string, a: number, beforeHash: number): boolean {
  if (beforeHash !== TO_HASH) return false;
  const [s, e] = wordBefore(text, a);
  return e > s && THANKED.has(rangeHash(text, s, e));
}

/** The word before a name's "of" that makes it someone's (el primo de lucía, la amiga de inès). */
const OF_KIN = wordKeys('de da do di du von');

/**
 * Whether the word before a lone lower-case name is "de" (da, do, von) after a word for a friend or
 * a relative: the name of whose cousin or friend is meant (el primo de lucía, o irmão da ana: D410).
 */
export function kinOf(text: string, a: number, beforeHash: number): boolean {
  if (!OF_KIN.has(beforeHash)) return false;
  const [s, e] = wordBefore(text, a);
  if (e <= s) return false;
  const w = text.slice(s, e).toLowerCase();
  return (
    FAMILY.has(w) ||
    ((wordFlags(w) & FLAGS.P_BEFORE) !== 0 && !/^(?:with|by|per|con|com|avec|mit|para|pour|für|an)$/.test(w))
  );
}
