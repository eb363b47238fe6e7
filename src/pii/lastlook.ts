// The last look at a name or place from the rules or the tagger (D103): look-alikes dropped by
// class (labels, acronyms, game vocabulary, services, months and virtues, titles of two words) and
// people and places told apart by the words around them (D142, D143, D205-D208).

import { type KeySet, letterAt, rangeHash, upperAt, wordHash, wordKeys } from './chars.ts';
import { plainPlaceParts } from './dictionaries.ts';
import { koreanFullName } from './korean.ts';
import { bare, CITY_PREFIX, wordInfo } from './lexicon.ts';
import { typedCue } from './slips.ts';
import {
  ADDRESSEE,
  classesOf,
  FIELD,
  HOLIDAY,
  MONTH_ABBR,
  NAME_PARTICLE,
  ORG,
  PEOPLE_NOUN,
  PHONE_LABEL,
  PLAIN_NAME,
  PLAIN_WORD,
  PRONOUN,
  RANK,
  SERVICE,
  VIRTUE,
  WEEKDAY,
  ZONE_END,
} from './wordclasses.ts';
import { cueWords, FLAGS, flagsTable, placePhrases, wordFlags } from './wordflags.ts';

const ROMAN = /^(?:i{1,3}|iv|v|vi{1,3}|ix|x)$/i;

/**
 * The last look at a name or place from the rules or the tagger (D103), by class of look-alike:
 * returns the type to report, or undefined to drop it. A word before a colon is a form's label
 * (Ville :, Born:); a lone all-caps word is an acronym (IBAN, SSN), no person; game vocabulary
 * (a rank with or without its division, a zone or item noun closing the span) is no person nor
 * place; a month, season or virtue word alone is a name only right after a strong cue (hey Grace);
 * a lone lower-case family name needs a strong cue too (chat is full of words some family is
 * named after); a name right after a street word is part of an address. `margin` is the tagger's
 * for its spans (0 for the rules').
 */
export function lastLook(text: string, type: 'PERSON' | 'LOCATION' | string, start: number, end: number, margin = 0) {
  if (type !== 'PERSON' && type !== 'LOCATION') return type as 'PERSON';
  // A Korean family name and given name (Ji-hoon Park) is a person, whatever else Park is (D354):
  // looked at only where the span holds a hyphen, not for every name and place.
  const dash = text.indexOf('-', start);
  if (dash >= 0 && dash < end && koreanFullName(text.slice(start, end))) return 'PERSON';
  let at = end;
  while (at < text.length && text.charCodeAt(at) === 32) at++;
  // A label's colon is followed by a space or the end (not a smiley's ":)"). A label opens a line
  // or follows a separator, not a lower-case word of running text (a question for Ludmila: ...,
  // opened by Wilhelmina Vance: ...).
  if (
    text.charCodeAt(at) === 58 &&
    at - end <= 1 &&
    (at + 1 >= text.length || /\s/.test(text.charAt(at + 1))) &&
    !/\p{Ll}[\p{L}'’]* $/u.test(text.slice(Math.max(0, start - 24), start))
  )
    return undefined;
  // The last word (bounded by a space or a comma) and whether there is more than one.
  let ls = end - 1;
  while (ls > start && text.charCodeAt(ls - 1) !== 32 && text.charCodeAt(ls - 1) !== 44) ls--;
  const single = ls === start;
  const lastWord = text.slice(ls, end);
  const lastBare = bare(lastWord);
  const lastHash = wordHash(lastBare);
  const lastFlags = flagsTable().get(lastHash);
  // The last look's own word classes, one lookup for all of them.
  const lastClass = classesOf(lastHash);
  // A payment service, a platform or a store (Venmo, PayPal, Discord, Steam) is no one and nowhere,
  // and an indefinite pronoun (anyone, Quelqu'un, alguém) is someone unnamed (D356).
  if (single && (lastClass & (SERVICE | PRONOUN)) !== 0) return undefined;
  // A company, a team or a department: by its last word (Riot Games, Tech Support), or a name
  // right after or before one of its words (Team Liquid, Dev Team).
  if ((lastClass & ORG) !== 0 || orgAround(text, start, end)) return undefined;
  // The name of a form's field (Geburtsdatum, Prénom, Sobrenome), alone or closing a span that no
  // given name opens (Preencha Nome): the field, not what it would hold (D348).
  if ((lastClass & FIELD) !== 0 && (single || (firstWordFlags(text, start, end) & FLAGS.FIRST) === 0)) return undefined;
  // Whom a greeting or thanks goes to when it is no one (valeu galera, merci beaucoup).
  if (single && (lastClass & ADDRESSEE) !== 0) return undefined;
  if (gameZone(text, start, end, single, lastWord)) return undefined;
  if (!single && plainWord(lastFlags, lastClass) && plainPair(text, start, end)) return undefined;
  // An event's or a landmark's noun closing the span, unless a given name opens it (Laura Bridge).
  if ((lastClass & ZONE_END) !== 0) {
    const firstFlags = firstWordFlags(text, start, end);
    if (single || (firstFlags & FLAGS.FIRST) === 0 || (firstFlags & (FLAGS.GAME | FLAGS.AMBIG)) !== 0) return undefined;
  }
  if (single && (lastClass & MONTH_ABBR) !== 0 && DAY_AFTER.test(text.slice(end, end + 8))) return undefined;
  // A phone number's label with its dot (Tel. 030 …, Tél. 06 …): no place.
  if (single && (lastClass & PHONE_LABEL) !== 0 && /^\. ?[+(\d]/.test(text.slice(end, end + 3))) return undefined;
  if ((lastFlags & FLAGS.GAME) !== 0 || ROMAN.test(lastWord) || (lastClass & RANK) !== 0) {
    // A name's generation (Darryl Toy II) is no rank: a given name (not a rank's) opens the span.
    const firstFlags = firstWordFlags(text, start, end);
    const given = !single && (firstFlags & FLAGS.FIRST) !== 0 && (firstFlags & FLAGS.GAME) === 0;
    if (!(given && type === 'PERSON' && ROMAN.test(lastWord) && lastWord === lastWord.toUpperCase()))
      if (!single || type === 'PERSON' || (lastFlags & FLAGS.PLACE) === 0) return undefined;
  }
  // A weekday of the other four languages or a holiday closing a span of several words (jusqu'à
  // Samedi, Até Sexta, Frohe Ostern) is a day, no one and nowhere, unless a given name opens it
  // (Plácido Domingo, Marie Noël). Alone, a weekday is a name only after a strong cue (below).
  if (!single && ((lastClass & WEEKDAY) !== 0 || (lastClass & HOLIDAY) !== 0)) {
    const firstFlags = firstWordFlags(text, start, end);
    if ((firstFlags & FLAGS.FIRST) === 0 || (firstFlags & FLAGS.COMMON) !== 0) return undefined;
  }
  // The word before the span, and its flags.
  let b = start - 1;
  while (b >= 0 && (text.charCodeAt(b) === 32 || text.charCodeAt(b) === 44)) b--;
  // An abbreviation's dot (Mrs. Whitcombe).
  if (b > 0 && text.charCodeAt(b) === 46 && letterAt(text, b - 1)) b--;
  let a = b;
  while (a >= 0 && (letterAt(text, a) || text.charCodeAt(a) === 39 || text.charCodeAt(a) === 0x2019)) a--;
  const before = b > a ? wordFlags(text.slice(a + 1, b + 1)) : 0;
  // The word before by hash, for the last look's sets of words (the empty word's where there is none).
  const beforeHash = rangeHash(text, a + 1, b + 1);
  // A list after a label of a game's things (main: Jett, Reyna; favorite maps: Ascent, Haven, Bind)
  // names characters and maps, no one and nowhere (D397).
  if (
    b >= 0 &&
    (text.charCodeAt(b) === 58 || listedAfterColon(text, start)) &&
    GAME_LIST.test(text.slice(Math.max(0, start - 48), start))
  )
    return undefined;
  // A player's handle after its label (my ign is Thornfist, gamertag: NightOwl) is no person (D399).
  if (HANDLE_BEFORE.test(text.slice(Math.max(0, start - 24), start))) return undefined;
  // What a player sells or buys (wts Crimson Lotus, anyone selling Obsidian Greatsword?) is an
  // item, no one and nowhere (D384).
  if (TRADED_VERBS.has(beforeHash) && b === start - 2) return undefined;
  // A German noun, unless a title or a cue names someone (Frau Hartung) or a given name opens the
  // span (Petra Hartung): family names end so too.
  if (
    germanNoun(lastWord) &&
    (before & (FLAGS.TITLE | FLAGS.STRONG | FLAGS.LABEL_P | FLAGS.P_BEFORE)) === 0 &&
    (single || (firstWordFlags(text, start, end) & FLAGS.FIRST) === 0)
  )
    return undefined;
  // In a German sentence, one capitalized word that no name list knows after an article or a
  // determiner (die Gilde, ohne Erlaubnis, keine Ahnung) is one of German's capitalized nouns, not
  // someone (D368).
  if (
    single &&
    type === 'PERSON' &&
    (lastFlags & (FLAGS.FIRST | FLAGS.LAST)) === 0 &&
    GERMAN_DETERMINERS.has(beforeHash) &&
    b === start - 2 &&
    germanText(text)
  )
    return undefined;
  if (single) {
    const w = lastWord;
    const f = lastFlags;
    const lower = w === w.toLowerCase();
    if (type === 'PERSON' && w.length > 1 && !lower && w === w.toUpperCase()) return undefined;
    // A pronoun or a verb with its contraction (she's, i'm, they're, don't) is no one (D326).
    if (lower && CONTRACTION.test(w)) return undefined;
    // A word for a person in lower case (a guy named Thaddeus) is the noun, not a name (D353), and
    // a name's particle alone is a word of the sentence (se van a Bogotá) (D364).
    if (lower && (lastClass & (PEOPLE_NOUN | NAME_PARTICLE)) !== 0) return undefined;
    // A lone lower-case name needs a word about people next to it (hey maria, orla said, ich bin
    // detlef, anna und jonas): chat is full of plain words and their typos that are someone's name.
    if (type === 'PERSON' && lower) {
      const after = /^,? ?(\p{L}+)/u.exec(text.slice(end, end + 24));
      const af = after === null ? 0 : wordFlags((after[1] as string).toLowerCase());
      const people = FLAGS.P_BEFORE | FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.TITLE | FLAGS.LABEL_P | FLAGS.CONJ;
      // A verb that follows a name (is, are, was, says, wants) is a cue for the word after it only
      // when that word is plainly a given name (this is maria, it was kevin): "they are fine", "mom
      // says dinner" name no one (D382).
      const verbBefore =
        (before & FLAGS.P_AFTER) !== 0 && (before & (FLAGS.P_BEFORE | FLAGS.TITLE | FLAGS.LABEL_P | FLAGS.CONJ)) === 0;
      if (
        ((before & people) === 0 || (verbBefore && !plainlyGiven(f, lastClass))) &&
        !CHAT_BEFORE.has(text.slice(a + 1, b + 1).toLowerCase()) &&
        (af & (FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.CONJ)) === 0 &&
        ((af & (FLAGS.FIRST | FLAGS.LAST)) === 0 || (af & FLAGS.COMMON) !== 0) &&
        !labelled(text, start) &&
        (verbBefore || !typedCue(text.slice(a + 1, b + 1), greetingWords(), 1)) &&
        !(margin >= SURE_ALONE && (f & FLAGS.PLACE) === 0 && plainlyGiven(f, lastClass)) &&
        !selfIntroduced(text, text.slice(a + 1, b + 1), f, lastClass, end) &&
        !namedByClause(f, lastClass, text.slice(end, end + 8)) &&
        !addressedOrActing(text, start, end, beforeHash, f, lastClass) &&
        !givenAsName(text, start, end, f)
      )
        return undefined;
    }
    // A holiday that is also a town (feliz Natal) is a place only after a word about places.
    if (type === 'LOCATION' && (lastClass & HOLIDAY) !== 0 && (before & (FLAGS.L_BEFORE | FLAGS.LABEL_L)) === 0)
      return undefined;
    if (
      (f & FLAGS.AMBIG) !== 0 ||
      (lastClass & VIRTUE) !== 0 ||
      (lastClass & PLAIN_WORD) !== 0 ||
      (lastClass & WEEKDAY) !== 0 ||
      (type === 'PERSON' && (lastClass & HOLIDAY) !== 0) ||
      (type === 'PERSON' && lower && (f & FLAGS.FIRST) === 0 && (f & FLAGS.LAST) !== 0)
    ) {
      // A strong cue before (hey, Mrs, Name:), or after (said, says; from and a capitalized place).
      const follow = /^,? (\p{L}+)(?: (\p{Lu}))?/u.exec(text.slice(end, end + 40));
      const strong =
        (before & (FLAGS.STRONG | FLAGS.TITLE | FLAGS.LABEL_P)) !== 0 ||
        NAME_IS.test(text.slice(Math.max(0, start - 24), start)) ||
        (follow !== null &&
          ((wordFlags(follow[1] as string) & FLAGS.STRONG) !== 0 ||
            ((follow[1] as string).toLowerCase() === 'from' && follow[2] !== undefined)));
      if (!strong) return undefined;
    }
  }
  // A name right after a street's word is the street's (Rua Augusta); not after a comma (no way, ingrid: D386).
  if (type === 'PERSON' && (before & FLAGS.STREET) !== 0 && b === start - 2) return 'LOCATION';
  if (type === 'LOCATION') {
    // A lower-case span whose last word no dictionary knows as a place needs a word about places before it
    // (moved to cork): read as a place elsewhere it is a plain word (tel, works).
    const span = text.slice(start, end);
    // A common English word that the dictionaries hold only inside places' names, alone and in lower
    // case, is the word (now in store, at the beach) (D396).
    if (single && span === span.toLowerCase() && plainPlaceParts().has(lastBare.toLowerCase())) return undefined;
    // The other languages' nouns of places, in lower case, are the noun (estoy en casa, vou pra praia,
    // en el centro), not the towns some are the names of (D393).
    if (PLACE_NOUNS.has(lastHash) && span === span.toLowerCase()) return undefined;
    // A place of several words whose whole name the dictionaries hold (alguém de porto alegre) is one
    // anywhere (D391).
    if (span === span.toLowerCase() && (lastFlags & FLAGS.PLACE) === 0)
      if (
        (before & (FLAGS.L_BEFORE | FLAGS.LABEL_L)) === 0 &&
        !PLACE_AFTER.test(text.slice(end, end + 12)) &&
        (single || !placePhrases().all.has(span))
      )
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
    // "the" in any case, the words between it and the name capitalized: no `i` flag, under which
    // \p{Lu} matches lower-case letters too (The refund for Oluwaseun Adebayo is a person).
    if (/the /i.test(lead) && /(?:^|[^\p{L}])[Tt][Hh][Ee] (?:\p{Lu}[\p{L}'’-]* )*$/u.test(lead)) return undefined;
    // "the Santa Claus event", "Harry Potter skin": a game thing named after someone.
    if (NAMED_THING.test(text.slice(end, end + 16))) return undefined;
    // "I main Jett and Reyna", "maining Mercy": the characters a player plays most (D360).
    const listed = (before & FLAGS.CONJ) !== 0 || text.charCodeAt(start - 2) === 44;
    if ((listed || PLAYED_VERBS.has(beforeHash)) && PLAYED.test(lead)) return undefined;
    // A zone of someone or something (Dragon's Lair) and the second half of a game item's title
    // (Blade of Eternity): no one.
    const apostrophe = text.charCodeAt(end);
    if (apostrophe === 39 || apostrophe === 0x2019) {
      const owner = /^['’]s (\p{L}+)/u.exec(text.slice(end, end + 24));
      if (owner !== null && (classesOf(wordHash((owner[1] as string).toLowerCase())) & ZONE_END) !== 0)
        return undefined;
    }
    if (text.startsWith(' of ', start - 4)) {
      const titled = /(?:^|[^\p{L}])(\p{Lu}\p{L}+) of $/u.exec(text.slice(Math.max(0, start - 24), start));
      if (titled !== null && (wordFlags(titled[1] as string) & FLAGS.GAME) !== 0) return undefined;
    }
    if (
      (before & FLAGS.CONJ) !== 0 ||
      /^ (?:and|und|et|y|e|&) (?!I(?:['’]|\s|$))\p{Lu}/u.test(text.slice(end, end + 6))
    )
      if (titlePair(text, start, end, text.slice(a + 1, b + 1), (before & FLAGS.CONJ) !== 0 ? a : -1)) return undefined;
  }
  return type;
}

/** The flags of a span's first word (its letters from `start`). */
function firstWordFlags(text: string, start: number, end: number): number {
  let fe = start;
  while (fe < end && letterAt(text, fe)) fe++;
  return wordFlags(text.slice(start, fe));
}

/**
 * Nouns that open a game's zone, item or creature in French, Spanish, Portuguese (la Cripta Oscura,
 * el Castillo Sombrío, la Espada Flamejante, le Chevalier Noir, del Dragón Rojo; D325).
 */
const ZONE_FIRST = new Set(
  'templo cripta caverna cueva mazmorra masmorra ruinas ruínas fortaleza torre bosque floresta minas forteresse donjon caverne crypte grotte temple tour ruines forêt mines castillo castelo château chateau porte puerta espada épée epee dragón dragon dragão dragao chevalier caballero cavaleiro mago reino royaume'.split(
    ' ',
  ),
);
/** A capitalized word, and a Romance "of" after it, right before a span: its first group is the word. */
const ZONE_LEAD = /(?:^|[^\p{L}])(\p{Lu}\p{Ll}+) (?:(?:de|del|do|da|dos|das|du|des) )?$/u;
/** Articles that may open such a span (El Castillo Sombrío at a sentence's start). */
const ARTICLES = new Set('el la los las le les o a os as'.split(' '));
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
    if (m !== null && m.index >= 3 && (wordFlags(bare(w)) & FLAGS.PLACE) === 0) return true;
    // The adjective or complement of a zone's capitalized noun (la Torre del Norte, a Floresta
    // Sombria, el Reino Olvidado), the span being only its last word, unless that is a known place
    // (la Torre de Madrid, la Porte de Versailles) (D349).
    if ((wordFlags(bare(w)) & FLAGS.PLACE) !== 0) return false;
    const lead = ZONE_LEAD.exec(text.slice(Math.max(0, start - 24), start));
    return lead !== null && ZONE_FIRST.has((lead[1] as string).toLowerCase());
  }
  let fe = start;
  while (fe < end && letterAt(text, fe)) fe++;
  const first = text.slice(start, fe).toLowerCase();
  if (ZONE_FIRST.has(first)) return true;
  if (!ARTICLES.has(first) || text.charCodeAt(fe) !== 32) return false;
  let se = fe + 1;
  while (se < end && letterAt(text, se)) se++;
  return se > fe + 1 && ZONE_FIRST.has(text.slice(fe + 1, se).toLowerCase());
}

/**
 * A German common noun by its ending (Wartung, Bestellung, Gelegenheit, Mannschaft, Wartungsarbeiten):
 * German writes every noun capitalized, and one no name list knows is no one (D325). Short words
 * (Jung, Hung) are left alone: family names end so too.
 */
const GERMAN_NOUN = /^\p{L}{3,}(?:ungen|ung|heiten|heit|keiten|keit|schaften|schaft|täten|tät|nisse|ungs\p{L}{3,})$/u;
function germanNoun(word: string): boolean {
  if (word.length < 7 || !GERMAN_NOUN.test(word)) return false;
  return (wordFlags(bare(word)) & (FLAGS.FIRST | FLAGS.LAST | FLAGS.PLACE | FLAGS.PLACE_PART)) === 0;
}

/** German's commonest short words, which other languages' chat rarely writes as words. */
const GERMAN_WORDS = wordKeys(
  'und ich nicht ist das die der den dem mit mein meine meinem meinen sie wir ihr hat habe haben auf für ohne sehr bitte kann wird wurde noch auch aber oder wenn dass ein eine einen einem kommt gestern heute morgen nächste immer im war bin hab hast gerade echt nochmal leider',
);
/** German's articles and determiners, and "ohne": a capitalized word right after one is a noun. */
const GERMAN_DETERMINERS = wordKeys(
  'der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner mein meine meinen meinem deine deinen unsere unseren eure ohne jede jeden jeder',
);
let germanSeen: string | undefined;
let germanWas = false;

/** Whether `text` reads as German: two or more of its words are German's commonest (cached per text). */
function germanText(text: string): boolean {
  if (text === germanSeen) return germanWas;
  let hits = 0;
  for (const m of text.matchAll(/\p{Ll}+/gu)) if (GERMAN_WORDS.has(wordHash(m[0])) && ++hits >= 2) break;
  germanSeen = text;
  germanWas = hits >= 2;
  return germanWas;
}

/**
 * "Honor and Glory", "Frost and Flame": two words of the month, virtue, element or game classes
 * joined by a conjunction, with no strong cue before, make a title, not two people (D325).
 */
const PAIR = /^(\p{L}+) (?:and|und|et|y|e|&) \p{L}+$/u;
/** Whether a word (by its flags and classes) is of the month, virtue, element or game classes. */
function plainWord(flags: number, classes: number): boolean {
  return (flags & (FLAGS.AMBIG | FLAGS.GAME)) !== 0 || (classes & (VIRTUE | PLAIN_WORD | ZONE_END)) !== 0;
}
function plainPair(text: string, start: number, end: number): boolean {
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

/** A name given as such ("my name is Hunter", "je m'appelle", "mi nombre es"): a strong cue (D325). */
const NAME_IS =
  /(?:^|[^\p{L}])(?:(?:name|vorname|nom|prénom|prenom|nombre|nome)(?:'s| is| ist| est| es| é)|called|named|heiße|heisse|appelle|llamo|chamo) $/iu;

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

/** Pronouns and verbs of English chat before an apostrophe (she's, i'm, they're, can't; D326). */
const CONTRACTION =
  /^(?:i|you|he|she|it|we|they|that|there|here|what|who|where|how|let|don|doesn|didn|can|couldn|won|wouldn|shouldn|isn|aren|wasn|weren|hasn|haven|ain|y)['’]\p{L}+$/u;

/** The last word of a phrase. */
function lastWord(phrase: string): string {
  return phrase.slice(phrase.lastIndexOf(' ') + 1);
}

/** A pattern of any of `phrases` ending the text before a word (a letter or the start before it). */
function phrasesBefore(phrases: readonly string[], flags: string): RegExp {
  return new RegExp(`(?:^|[^\\p{L}])(?:${phrases.join('|')}) $`, flags);
}

/** Articles that open a team's or a guild's name. */
const NAME_ARTICLES = wordKeys('the os as los las les la le el die der das');

/** Whether a capitalized word of a company or a team stands right before or after the span (D327), or opens it. */
function orgAround(text: string, start: number, end: number): boolean {
  // Letters only, so no trailing dot or apostrophe to strip; no slice made for the common case.
  const org = (from: number, to: number) =>
    to - from > 1 && upperAt(text, from) && (classesOf(rangeHash(text, from, to)) & ORG) !== 0;
  if (start > 1 && text.charCodeAt(start - 1) === 32) {
    let a = start - 1;
    while (a > 0 && letterAt(text, a - 1)) a--;
    if (org(a, start - 1)) return true;
    // Over the name's article (clã Os Guerreiros, the clan The Wolves, Gilde Die Raben).
    if (a > 1 && text.charCodeAt(a - 1) === 32 && NAME_ARTICLES.has(rangeHash(text, a, start - 1))) {
      let o = a - 1;
      while (o > 0 && letterAt(text, o - 1)) o--;
      if (o < a - 1 && (classesOf(rangeHash(text, o, a - 1)) & ORG) !== 0) return true;
    }
  }
  if (text.charCodeAt(end) === 32) {
    let b = end + 1;
    while (b < text.length && letterAt(text, b)) b++;
    if (org(end + 1, b)) return true;
  }
  // Or the span's own first word, before more words (Gilde Schwarze Rose, Clan Wolfsblut) (D368).
  const space = text.indexOf(' ', start);
  return space > start && space < end && org(start, space);
}

const DAY_AFTER = /^\.? \d{1,2}(?:st|nd|rd|th)?(?![\d:./-])/;

/** Teams of a company in five languages: someone "in billing" is a person there, no place. */
const DEPARTMENT =
  /^ (?:in|from|at|of|im|in der|aus der|de|du|au|en|em|no|na|do|da|del) (?:the |der |la |le |el |o |a )?(?:billing|payments?|support|sales|accounts?|accounting|finance|shipping|logistics|legal|compliance|security|marketing|hr|engineering|returns|refunds|fraud|risk|operations|ops|onboarding|customer service|customer care|helpdesk|help desk|buchhaltung|vertrieb|kundendienst|kundenservice|versand|rechtsabteilung|zahlungen|facturation|comptabilité|paiements|service client|expédition|juridique|facturación|pagos|soporte|ventas|contabilidad|envíos|atención al cliente|cobrança|faturamento|pagamentos|suporte|vendas|financeiro|expedição|atendimento)(?![\p{L}])/iu;
/** The words HANDED's first form ends in (before the span's space): from, to, by and their kin. */
const HANDED_LAST_WORDS = ['from', 'to', 'by', 'von', 'an', 'à', 'par', 'por', 'a', 'para', 'de', 'pelo', 'pela'];
const HANDED_LAST = new Set(HANDED_LAST_WORDS);
/**
 * Work handed from or to someone: "forwarded from X", "passed this to X", "escalated to X"; and
 * things given, sold or said to someone (sent it to X, selling to X, say hi to X: D385).
 */
export const HANDED = new RegExp(
  `(?:^|[^\\p{L}])(?:forwarded|passed (?:this|it)(?: on)?|sen[dt](?: (?:it|this|that|them|one))?|g[ai]ve (?:it|this|that|them)|pass (?:it|this)|(?:say|said|says) hi|talk(?:ed|ing)?|sell(?:ing)?|sold(?: it| this| them)?|len[dt](?: it| this)?|show(?:ed)? (?:it|this|them)|escalated(?: this| it)?|handed (?:this|it)(?: over)?|transferred (?:this|it|you)|reassigned(?: this| it)?|weitergeleitet|übergeben|transféré|transmis|renvoyé|reenviado|remitido|transferido|encaminhado|repassado|ticket|message|e-?mail|mail|note|request|complaint|appeal|reply|dm|invite|report|nachricht|anfrage|beschwerde|demande|réclamation|mensaje|solicitud|mensagem|pedido) (?:${HANDED_LAST_WORDS.join('|')}) $|(?:^|\\n)(?:from|to|cc|von|an|de|para|à) ?: ?$`,
  'iu',
);

/**
 * What the text before `start` must end in for HANDED to match there: a colon (and a space), or one
 * of HANDED_LAST's words and a space. Read first, without a slice or a pattern: most spans are
 * preceded by neither, and HANDED tries each of 40 positions before it fails.
 */
export function handedLead(text: string, start: number): boolean {
  const last = start > 0 ? text.charCodeAt(start - 1) : -1;
  if (last === 58 || (last === 32 && start > 1 && text.charCodeAt(start - 2) === 58)) return true;
  if (last !== 32) return false;
  let s = start - 1;
  while (s > 0 && start - s <= 5 && text.charCodeAt(s - 1) !== 32) s--;
  return HANDED_LAST.has(text.slice(s, start - 1).toLowerCase());
}

/**
 * Whether a place is a person by what is said around it (D142): the words after put it in a
 * company's team (X in billing), or work or a message is handed to or from it (forwarded from X, a
 * complaint from X, a mail's From: X) and the span does not end in a place the dictionaries know.
 */
function handedOver(text: string, start: number, end: number): boolean {
  if (DEPARTMENT.test(text.slice(end, end + 32))) return true;
  if (!handedLead(text, start) || !HANDED.test(text.slice(Math.max(0, start - 40), start))) return false;
  // A place ends in its town's or country's name (New York, Rio de Janeiro): such a span stays one.
  const words = text
    .slice(start, end)
    .split(/[ ,]+/)
    .filter((w) => w !== '');
  return (wordFlags(bare(words.at(-1) ?? '')) & FLAGS.PLACE) === 0;
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
  /^ (?:skins?|boss|bosses|map|mode|event|build|set|mount|pet|quest|collab|emote|outfit|costume|cosplay|bundle|deck|movie|film|song|album|servers?|realms?|shards?)(?![\p{L}])/iu;

/** A player's usual characters before a name, and the list it goes on with (i main Jett and Reyna). */
const PLAYED =
  /(?:^|[^\p{L}])(?:(?:[Ii]|[Uu]|[Yy]ou|[Ww]e|[Tt]hey|[Hh]e|[Ss]he|[Ww]ho|to|and) [Mm]ains?|[Mm]aining|[Mm]ained|[Oo][Tt][Pp]|[Oo][Tt][Pp]ing|[Oo]ne-trick(?:s|ing)?)(?: as)? (?:\p{Lu}[\p{L}'’-]*(?:,| and| &| or)? )*$/u;

/** The label of a player's handle in a game or on a platform, before the handle (D399). */
const HANDLE_BEFORE =
  /(?:^|[^\p{L}])(?:ign|gamertag|user ?name|handle|nickname|battle ?tag|psn|xbl|riot id)(?::| is|:? ?=) ?$/iu;

/** A label of a game's things and the list after it (mains: Jett, Reyna; fav maps: Ascent, Haven). */
const GAME_LIST =
  /(?:^|[^\p{L}])(?:mains?|maps?|agents?|heroes|hero|champs?|champions?|characters?|chars?|skins?|items?|servers?|realms?|class(?:es)?|roles?|decks?|pets?|mounts?): (?:\p{Lu}[\p{L}'’-]*(?:,| and| &| or)? )*$/iu;

/** Whether the span is in a list after a colon: commas (and a conjunction) back to it, capitals between. */
function listedAfterColon(text: string, start: number): boolean {
  for (let i = start - 1; i >= 0 && start - i < 48; i--) {
    const c = text.charCodeAt(i);
    if (c === 58) return true;
    if (c === 46 || c === 33 || c === 63 || c === 10 || c === 59) return false;
  }
  return false;
}

/** PLAYED's verbs by hash (one-trick's last word): the word before the first name of its list. */
const PLAYED_VERBS = wordKeys('main mains maining mained otp otping trick tricks tricking');

/**
 * A tagger's margin at which a lone lower-case given name stands without a word about people next
 * to it (frag mal jonas ob er mitmacht: 71.7), where it is plainly a given name and no place (D390).
 * At 30 the tuning half's German "dane an alle" (danke) became someone.
 */
const SURE_ALONE = 40;

/** Nouns of places in German, French, Spanish and Portuguese that towns are named after (D393). */
const PLACE_NOUNS = wordKeys(
  'casa centro praia playa campo plaza praça praca ciudad cidade pueblo barrio bairro ville village mer montagne mar monte lago costa sierra valle vale heim',
);

/** Verbs of trading chat before the item traded (D384). */
const TRADED_VERBS = wordKeys('wts wtb wtt selling sell buying buy trading trade');

/** Nouns that follow a place's name (cebu area, the leeds side). */
const PLACE_AFTER =
  /^,? (?:area|region|city|town|side|suburbs?|district|gegend|umgebung|raum|région|coin|zona|región|região|área|lado)(?![\p{L}])/iu;

// A game server's region named after a place (Sydney servers, the Frankfurt realm) (D378).
const NAMED_PLACE_THING = /^ (?:maps?|skins?|mount|pet|emote|outfit|costume|servers?|realms?|shards?)(?![\p{L}])/iu;

/** Plain nouns of chat that follow a title (Dungeons and Dragons night, Salt and Pepper fan). */
const TITLE_NOUNS = new Set(
  'night nights game games time day week team server match round update stream chat lobby party fan fans mode map maps skin skins set sets collab crossover expansion dlc movie show series book run runs ost soundtrack abend nacht spiel soirée partie jeu noche partida juego noite jogo'.split(
    ' ',
  ),
);

/** Chat words said to someone, or whom something is done to, before a name (gg maria, pay me anna). */
const CHAT_BEFORE = new Set(
  // Chat's words for a friend (mein kumpel ahmet, mon pote julien: D394).
  'gg ggs wp gl glhf hf me us pay paid oye ey ei eae opa kumpel pote mec colega parça parca mano compa'.split(' '),
);

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
const ADDRESS_BEFORE = wordKeys('sorry soz sry owe owes luck cya bye byee gz grats seen');
/**
 * Deeds of chat right after a name that opens a message or a clause after a comma (dmitri fell off,
 * rahul carried us; no way, ingrid is from oslo: D387).
 */
const DEED_AFTER = wordKeys(
  'fell left died won lost quit got went carried sold bought stole killed pulled wiped tanked healed soloed afked dced ragequit crashed lagged disconnected owes is was has says said wants lives',
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
 * (olivia ur so good, D371), or opening a message or a clause before a deed (dmitri fell off the
 * bridge; no way, ingrid is from oslo: D387). It must be plainly a given name, and no place.
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
    const opening =
      start === 0 || (text.charCodeAt(start - 1) === 32 && (p === 46 || p === 33 || p === 63 || p === 44));
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
