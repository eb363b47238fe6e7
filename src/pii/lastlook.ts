// The last look at a name or place from the rules or the tagger (D103): look-alikes dropped by
// class (labels, acronyms, game vocabulary, services, months and virtues, titles of two words) and
// people and places told apart by the words around them (D142, D143, D205-D208).

import { isDigitCode, letterAt, rangeHash, upperAt, wordBefore, wordEnd, wordHash, wordKeys } from './chars.ts';
import {
  ADVERBS,
  COMPASS,
  CONTRACTION,
  DAY_OWNERS,
  ELISION,
  FIRST_PERSON_VERBS,
  PET_AFTER,
  PETS,
  POSSESSED,
  REGION_CODES,
  ROLE_NOUNS,
  SPOKEN_FORMS,
  TEAM_AFTER,
  VERSUS_AFTER,
  VERSUS_BEFORE,
} from './chatwords.ts';
import { commonWordHashes, englishWordHashes, plainPlaceParts } from './dictionaries.ts';
import { gameCast, gameFirstHashes } from './gamecast.ts';
import {
  afterList,
  CAST_AFTER,
  GAME_LIST,
  GAME_NOUN_BEFORE,
  GAME_THING_NAMED,
  gameZone,
  HANDLE_BEFORE,
  HANDLE_LAST,
  listedAfterColon,
  loot,
  MAX_HASH,
  MAXED,
  NAMED_PLACE_THING,
  NAMED_THING,
  NAMING_WORDS,
  PLAYED,
  PLAYED_VERBS,
  PLAYING_BEFORE,
  REALMS,
  SERVER_OF,
  TRADED_VERBS,
} from './gamewords.ts';
import { GERMAN_DETERMINERS, germanLine, germanNoun, germanText } from './german.ts';
import { handedOver } from './handed.ts';
import { koreanFullName } from './korean.ts';
import { bare, CITY_PREFIX, LAST as FAMILY, FIRST as GIVEN, wordInfo } from './lexicon.ts';
import { CHAT_BEFORE, kinOf, labelled, NAME_IS, namedAlone, thankedTo } from './lonenames.ts';
import { plainPair, plainWord, titlePair } from './titles.ts';
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
  PLAIN_WORD,
  PRONOUN,
  RANK,
  SERVICE,
  VIRTUE,
  WEEKDAY,
  ZONE_END,
} from './wordclasses.ts';
import { FLAGS, FlagSlots, flagsTable, placePhrases, wordFlags } from './wordflags.ts';

const ROMAN = /^(?:i{1,3}|iv|v|vi{1,3}|ix|x)$/i;

/** Whether `word` is a Roman numeral up to ten; the pattern read only after its first letter. */
function roman(word: string): boolean {
  const c = word.charCodeAt(0) | 0x20;
  return (c === 105 || c === 118 || c === 120) && ROMAN.test(word);
}

/** Where a word in `text[from, to)` ends without its trailing dots and apostrophes (bare's end). */
function bareEnd(text: string, from: number, to: number): number {
  let e = to;
  while (e > from) {
    const c = text.charCodeAt(e - 1);
    if (c !== 46 && c !== 39 && c !== 0x2019) break;
    e--;
  }
  return e;
}

/**
 * Whether `text[from, to)` holds a dotted capital I, whose lower case is two code units: there a
 * word is hashed as its lower-cased string (`wordHash(bare(...))`), not by its code units.
 */
function dottedI(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 0x130) return true;
  return false;
}

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
  // (Within the span: a search of the rest of the text read up to all of it for every span.)
  let dash = false;
  for (let i = start; i < end && !dash; i++) dash = text.charCodeAt(i) === 45;
  if (dash && koreanFullName(text.slice(start, end))) return 'PERSON';
  let at = end;
  while (at < text.length && text.charCodeAt(at) === 32) at++;
  // A label's colon is followed by a space or the end (not a smiley's ":)"). A label opens a line
  // or follows a separator, not a lower-case word of running text (a question for Ludmila: ...,
  // opened by Wilhelmina Vance: ...).
  if (
    text.charCodeAt(at) === 58 &&
    at - end <= 1 &&
    (at + 1 >= text.length || /\s/.test(text.charAt(at + 1))) &&
    !/(?:^|[^\p{L}'’])\p{Ll}[\p{L}'’]* $/u.test(text.slice(Math.max(0, start - 24), start))
  )
    return undefined;
  // The last word (bounded by a space or a comma) and whether there is more than one.
  let ls = end - 1;
  while (ls > start && text.charCodeAt(ls - 1) !== 32 && text.charCodeAt(ls - 1) !== 44) ls--;
  const single = ls === start;
  const lastWord = text.slice(ls, end);
  // `wordHash(bare(lastWord))`, without the two strings where no dotted capital I is in it.
  const dotted = dottedI(text, ls, end);
  const lastHash = dotted ? wordHash(bare(lastWord)) : rangeHash(text, ls, bareEnd(text, ls, end));
  const lastFlags = flagsTable().get(lastHash);
  // The last look's own word classes, one lookup for all of them.
  const lastClass = classesOf(lastHash);
  // The first word (letters), its hash and flags: read by several looks below.
  const firstEnd = wordEnd(text, start, end);
  const firstHash = single && firstEnd === end && !dotted ? lastHash : rangeHash(text, start, firstEnd);
  // What the first word opens (a feast, a cup, a royal title, a game's name, a wish): one lookup.
  const firstWord = FIRST_WORDS.get(firstHash);
  // A payment service, a platform or a store (Venmo, PayPal, Discord, Steam) is no one and nowhere,
  // and an indefinite pronoun (anyone, Quelqu'un, alguém) is someone unnamed (D356).
  if (single && (lastClass & (SERVICE | PRONOUN)) !== 0) return undefined;
  // A company, a team or a department: by its last word (Riot Games, Tech Support), or a name
  // right after or before one of its words (Team Liquid, Dev Team).
  if ((lastClass & ORG) !== 0 || orgAround(text, start, end)) return undefined;
  // The name of a form's field (Geburtsdatum, Prénom, Sobrenome), alone or closing a span that no
  // given name opens (Preencha Nome): the field, not what it would hold (D348).
  if ((lastClass & FIELD) !== 0 && (single || (flagsTable().get(firstHash) & FLAGS.FIRST) === 0)) return undefined;
  // Whom a greeting or thanks goes to when it is no one (valeu galera, merci beaucoup).
  if (single && (lastClass & ADDRESSEE) !== 0) return undefined;
  if (gameZone(text, start, end, single, lastWord, lastFlags)) return undefined;
  if (single && lastHash === MAX_HASH && MAXED.test(text.slice(end, end + 8))) return undefined;
  if (!single && plainWord(lastFlags, lastClass) && plainPair(text, start, end)) return undefined;
  // A wish opening the span (Feliz Ano Novo, Frohes Neues, Joyeux Anniversaire) is a greeting (D403).
  if (!single && (firstWord & W_WISH) !== 0) return undefined;
  // An event's or a landmark's noun closing the span, unless a given name opens it (Laura Bridge).
  if ((lastClass & ZONE_END) !== 0) {
    const firstFlags = flagsTable().get(firstHash);
    if (single || (firstFlags & FLAGS.FIRST) === 0 || (firstFlags & (FLAGS.GAME | FLAGS.AMBIG)) !== 0) return undefined;
  }
  if (single && (lastClass & MONTH_ABBR) !== 0 && DAY_AFTER.test(text.slice(end, end + 8))) return undefined;
  // A phone number's label with its dot (Tel. 030 …, Tél. 06 …): no place.
  if (single && (lastClass & PHONE_LABEL) !== 0 && /^\. ?[+(\d]/.test(text.slice(end, end + 3))) return undefined;
  if ((lastFlags & FLAGS.GAME) !== 0 || roman(lastWord) || (lastClass & RANK) !== 0) {
    // A name's generation (Darryl Toy II) is no rank: a given name (not a rank's) opens the span.
    const firstFlags = flagsTable().get(firstHash);
    const given = !single && (firstFlags & FLAGS.FIRST) !== 0 && (firstFlags & FLAGS.GAME) === 0;
    if (!(given && type === 'PERSON' && roman(lastWord) && lastWord === lastWord.toUpperCase()))
      if (!single || type === 'PERSON' || (lastFlags & FLAGS.PLACE) === 0) return undefined;
  }
  // A weekday of the other four languages or a holiday closing a span of several words (jusqu'à
  // Samedi, Até Sexta, Frohe Ostern) is a day, no one and nowhere, unless a given name opens it
  // (Plácido Domingo, Marie Noël). Alone, a weekday is a name only after a strong cue (below).
  if (!single && ((lastClass & WEEKDAY) !== 0 || (lastClass & HOLIDAY) !== 0)) {
    const firstFlags = flagsTable().get(firstHash);
    if ((firstFlags & FLAGS.FIRST) === 0 || (firstFlags & FLAGS.COMMON) !== 0) return undefined;
  }
  // A feast or a cup opening a span (Carnaval de Valombre, Copa Ceniza) names the event (D414);
  // not a feast that is a given name too (Noel Gallagher).
  if (
    !single &&
    ((firstWord & W_EVENT) !== 0 ||
      ((classesOf(firstHash) & HOLIDAY) !== 0 && (flagsTable().get(firstHash) & FLAGS.FIRST) === 0))
  )
    return undefined;
  // A king's or a queen's title before no given name (la Reine des Cendres, el Rey Exánime, Rei
  // Caveira, Lord Varian) is a game's boss or ruler; before one, a person (King Charles); after an
  // article, whatever follows (la Reine Morgane, la Reina Esmeralda) (D414).
  if ((firstWord & W_ROYAL) !== 0 && (royalThing(text, firstEnd, end, single) || articleBefore(text, start)))
    return undefined;
  // The word before the span, and its flags.
  let b = start - 1;
  while (b >= 0 && (text.charCodeAt(b) === 32 || text.charCodeAt(b) === 44)) b--;
  // An abbreviation's dot (Mrs. Whitcombe).
  if (b > 0 && text.charCodeAt(b) === 46 && letterAt(text, b - 1)) b--;
  let a = b;
  while (a >= 0 && (letterAt(text, a) || text.charCodeAt(a) === 39 || text.charCodeAt(a) === 0x2019)) a--;
  // The word before by hash, for the last look's sets of words (the empty word's where there is none),
  // and its flags by the same hash (`wordFlags` of its slice, without the slice).
  const beforeHash = rangeHash(text, a + 1, b + 1);
  const before = b > a ? flagsTable().get(beforeHash) : 0;
  // A game or its cast (Valorant, Tracer and Sombra, Kaer Morhen): no one and nowhere (D414).
  if ((firstWord & W_GAME) !== 0 && gameCast(text, start, end, firstHash, (before & FLAGS.TITLE) !== 0))
    return undefined;
  // A boss's epithet after the name (Morgath le Dévoreur, Sir Galahad the Pure): a game's character (D414).
  if (
    type === 'PERSON' &&
    text.charCodeAt(end) === 32 &&
    EPITHET_FIRSTS.includes(text.charAt(end + 1)) &&
    upperAt(text, start)
  ) {
    const epithet = EPITHET.exec(text.slice(end, end + 24));
    if (epithet !== null && (wordFlags((epithet[1] as string).toLowerCase()) & FLAGS.FIRST) === 0) return undefined;
  }
  // A plural article opens a clan's or a team's name, never a person's (Los Halcones Negros: D414).
  if (type === 'PERSON' && PLURAL_ARTICLES.has(firstHash) && !single) return undefined;
  // A pet's name right after its kind (my dog Rex, minha gata Paçoca: D410, D414), and a count's
  // thing (47 Repels, 3 Pentakills: D414).
  if (b === start - 2 && (PETS.has(beforeHash) || (single && type === 'PERSON' && isDigitCode(text.charCodeAt(b)))))
    return undefined;
  // A list after a label of a game's things (main: Jett, Reyna; favorite maps: Ascent, Haven, Bind)
  // names characters and maps, no one and nowhere (D397).
  if (
    b >= 0 &&
    (text.charCodeAt(b) === 58 || listedAfterColon(text, start)) &&
    GAME_LIST.test(text.slice(Math.max(0, start - 48), start))
  )
    return undefined;
  // A player's handle after its label (my ign is Thornfist, gamertag: NightOwl) is no person (D399).
  // Read only after a colon, an equals sign or a label's last word.
  if (
    (HANDLE_LAST.has(beforeHash) || (b >= 0 && (text.charCodeAt(b) === 58 || text.charCodeAt(b) === 61))) &&
    HANDLE_BEFORE.test(text.slice(Math.max(0, start - 24), start))
  )
    return undefined;
  // What a player sells or buys (wts Crimson Lotus, anyone selling Obsidian Greatsword?) is an
  // item, no one and nowhere (D384); what a map or an arena is called (the new map Kyoto Gardens)
  // names the map, and whom one is playing (who is playing Atlas tonight) a character (D410).
  if (b === start - 2 && (TRADED_VERBS.has(beforeHash) || GAME_NOUN_BEFORE.has(beforeHash))) return undefined;
  if (b === start - 2 && type === 'PERSON' && single && PLAYING_BEFORE.has(beforeHash) && !text.startsWith(' up', end))
    return undefined;
  // A place next to "vs" is a team (Real Madrid vs Barcelona, Brazil vs Argentina: D410).
  if (
    type === 'LOCATION' &&
    ((text.charCodeAt(end) === 32 && VERSUS_AFTER.test(text.slice(end, end + 9))) ||
      (VERSUS_WORDS.has(beforeHash) && VERSUS_BEFORE.test(text.slice(Math.max(0, start - 9), start))))
  )
    return undefined;
  if (
    b === start - 2 &&
    NAMING_WORDS.has(beforeHash) &&
    GAME_THING_NAMED.test(text.slice(Math.max(0, start - 24), start))
  )
    return undefined;
  // A role of a platform or its support alone (Moderator note:, Admin here): no one named (D410).
  if (single && ROLE_NOUNS.has(lastHash)) return undefined;
  // A game server's region, its code and a point of the compass (EU West, NA East, OCE Central): no
  // place (D410).
  if (
    COMPASS.has(lastHash) &&
    (single ? REGION_CODES.has(beforeHash) && b === start - 2 : REGION_CODES.has(firstHash) && firstEnd === ls - 1)
  )
    return undefined;
  // A German noun, unless a title or a cue names someone (Frau Hartung) or a given name opens the
  // span (Petra Hartung): family names end so too.
  if (
    (before & (FLAGS.TITLE | FLAGS.STRONG | FLAGS.LABEL_P | FLAGS.P_BEFORE)) === 0 &&
    (single || (flagsTable().get(firstHash) & FLAGS.FIRST) === 0) &&
    germanNoun(lastWord)
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
  // And in a German line, one capitalized word that no list holds as a given name, with no word about
  // people around it (Treffpunkt, Rückruf, Hauptmann, Keller), is a noun: German capitalizes them
  // all (D414). A family name alone is no one there either; with a title or a cue it is (Herr Keller).
  if (
    single &&
    type === 'PERSON' &&
    upperAt(text, start) &&
    (lastFlags & FLAGS.FIRST) === 0 &&
    (before & PERSON_CUES) === 0 &&
    // German puts the verb before its subject (heute kommt Ngozi): a verb of what people do is a
    // cue there; "ist" and "war" are not (heute ist Wartung).
    ((before & FLAGS.P_AFTER) === 0 || COPULAS.has(beforeHash)) &&
    (afterFlags(text, end) & (FLAGS.P_AFTER | FLAGS.STRONG | FLAGS.CONJ)) === 0 &&
    germanLine(text, start) &&
    // Nor a given name of two (Sophie-Marie).
    (wordInfo(lastWord) & GIVEN) === 0
  )
    return undefined;
  // A common English word in lower case right after another, no word about people or places
  // between them (my bank statement says, replay shows normal play), is a word of the sentence,
  // though the tagger reads a name there (D414). After a cue (orla said wren, moving to reading) it
  // may be one.
  if (
    single &&
    margin > 0 &&
    !upperAt(text, start) &&
    b === start - 2 &&
    a >= 0 &&
    (lastFlags & FLAGS.FIRST) === 0 &&
    (before & CUE_FLAGS) === 0 &&
    !upperAt(text, a + 1) &&
    englishWordHashes().has(lastHash) &&
    englishWordHashes().has(beforeHash) &&
    !OPENERS.has(beforeHash) &&
    !CHAT_BEFORE.has(text.slice(a + 1, b + 1).toLowerCase())
  )
    return undefined;
  // A lone lower-case word among German's and Portuguese's commonest, no given name of the lists,
  // that the tagger took for a person with no strong cue before it, is a word of the sentence (y nada
  // de nada, pra matar a Rainha, o sistema diz: D414).
  if (
    single &&
    margin > 0 &&
    type === 'PERSON' &&
    !upperAt(text, start) &&
    (lastFlags & FLAGS.FIRST) === 0 &&
    (before & (FLAGS.TITLE | FLAGS.LABEL_P)) === 0 &&
    ((before & FLAGS.STRONG) === 0 || (lastFlags & FLAGS.LAST) === 0) &&
    commonWordHashes().has(lastHash)
  )
    return undefined;
  // A lower-case span opening with a French elision or a spoken form of Portuguese chat (tá alto)
  // is a phrase of the sentence (D410).
  if (!single && !upperAt(text, start)) {
    const fe = wordEnd(text, start, end);
    if (SPOKEN_FORMS.has(rangeHash(text, start, fe)) || (elidedAt(text, start) && ELISION.test(text.slice(start, fe))))
      return undefined;
  }
  if (single) {
    const w = lastWord;
    const f = lastFlags;
    const lower = w === w.toLowerCase();
    if (type === 'PERSON' && w.length > 1 && !lower && w === w.toUpperCase()) return undefined;
    // A pronoun or a verb with its contraction (she's, i'm, they're, don't) is no one (D326), nor
    // is a French elision (m'a, c'est, d'attendre), a spoken form of Portuguese chat (tá, tô, né) or
    // an adverb of chat (maybe), whatever cue stands around it (le ping tá ótimo: D410).
    if (
      lower &&
      (CONTRACTION.test(w) ||
        ELISION.test(w) ||
        SPOKEN_FORMS.has(lastHash) ||
        ADVERBS.has(lastHash) ||
        (FIRST_PERSON_VERBS.has(lastHash) && (f & FLAGS.FIRST) === 0))
    )
      return undefined;
    // Capitalized, such a verb opens a sentence (Necesito verificar, Aguardo retorno: D414); not a
    // given name (Will, Mira).
    if (!lower && FIRST_PERSON_VERBS.has(lastHash) && (f & FLAGS.FIRST) === 0 && sentenceStart(text, start))
      return undefined;
    // An English verb's past in lower case (my brother used my PC, owner verified via selfie) is
    // no one; names that end so are given names of the lists (fred, ahmed) (D414).
    if (
      lower &&
      w.length >= 5 &&
      (f & FLAGS.FIRST) === 0 &&
      w.charCodeAt(w.length - 1) === 100 &&
      w.charCodeAt(w.length - 2) === 101 &&
      englishWordHashes().has(lastHash)
    )
      return undefined;
    // A player's handle with a capital inside after the fourth letter (DaddyLongLegs, SunnyDayz),
    // no name of the lists (McDonald, DeShawn and MacKenzie have theirs earlier): no one (D414).
    if (!lower && innerCapital(w) && (f & (FLAGS.FIRST | FLAGS.LAST)) === 0) return undefined;
    // Capitalized, chat's adverb opening a sentence is no one either (Pretty sure, Finalmente: D414).
    if (!lower && ADVERBS.has(lastHash) && sentenceStart(text, start)) return undefined;
    // A character asked for with an indefinite article (precisamos de uma Jett e uma Sage, need an
    // Ana) is a pick, no one (D414).
    if (type === 'PERSON' && !lower && b === start - 2 && INDEFINITE.has(beforeHash)) return undefined;
    // A boss's epithet after the name (Morgath le Dévoreur, Ramiro el Maldito): a game's character (D414).
    // A lone lower-case letter is no one: the s of a possessive the tokenizer cut off a name
    // (Freya's brother joined gave "s" too, next to the cue "brother": D410).
    if (lower && w.length === 1) return undefined;
    // Capitalized too, a contraction of a pronoun or a verb is no one (Hi, I'm writing from: D410).
    if (!lower && (w.includes("'") || w.includes('’')) && CONTRACTION.test(w.toLowerCase())) return undefined;
    // One capitalized word no dictionary holds, opening a sentence (Milano. Competitive player), is
    // a word of the sentence, not a place the tagger is unsure of: the place lists hold the world's
    // towns (D410).
    if (type === 'LOCATION' && !lower && f === 0 && margin < SURE_PLACE && sentenceStart(text, start)) return undefined;
    // A given name that is no place, thanked or praised through "to" (congrats to pablo), is
    // someone, though "to" is a word of places too (D410).
    if (
      type === 'LOCATION' &&
      lower &&
      (f & (FLAGS.FIRST | FLAGS.PLACE)) === FLAGS.FIRST &&
      (thankedTo(text, a, beforeHash) || kinOf(text, a, beforeHash))
    )
      return 'PERSON';
    // A word for a person in lower case (a guy named Thaddeus) is the noun, not a name (D353), and
    // a name's particle alone is a word of the sentence (se van a Bogotá) (D364).
    if (lower && (lastClass & (PEOPLE_NOUN | NAME_PARTICLE)) !== 0) return undefined;
    // A lone lower-case name needs a word about people next to it (hey maria, orla said, ich bin
    // detlef, anna und jonas): chat is full of plain words and their typos that are someone's name.
    if (type === 'PERSON' && lower && !namedAlone(text, start, end, a, b, before, beforeHash, f, lastClass, margin))
      return undefined;
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
  // Not an ordinal's letters (1st, 3rd: st and rd are street words too), nor a rank's place (third
  // place Diego Herrera) (D414).
  if (type === 'PERSON' && (before & FLAGS.STREET) !== 0 && b === start - 2 && !ordinalBefore(text, a))
    return 'LOCATION';
  if (type === 'LOCATION') {
    // A lower-case span whose last word no dictionary knows as a place needs a word about places before it
    // (moved to cork): read as a place elsewhere it is a plain word (tel, works).
    const span = text.slice(start, end);
    // A common English word that the dictionaries hold only inside places' names, alone and in lower
    // case, is the word (now in store, at the beach) (D396).
    if (single && span === span.toLowerCase() && plainPlaceParts().has(bare(lastWord))) return undefined;
    // The other languages' nouns of places, in lower case, are the noun (estoy en casa, vou pra praia,
    // en el centro), not the towns some are the names of (D393).
    if (PLACE_NOUNS.has(lastHash) && span === span.toLowerCase()) return undefined;
    // A place of several words whose whole name the dictionaries hold (alguém de porto alegre) is one
    // anywhere (D391).
    if (span === span.toLowerCase() && (lastFlags & FLAGS.PLACE) === 0)
      if (
        (before & (FLAGS.L_BEFORE | FLAGS.LABEL_L)) === 0 &&
        !PLACE_AFTER.test(text.slice(end, end + 12)) &&
        (single || !placePhrases().all.has(span)) &&
        !(beforeHash === THE_HASH && (wordFlagsBefore(text, a) & FLAGS.L_BEFORE) !== 0)
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
      const fe = wordEnd(text, start, end);
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
  // "the city of Paris", "la ciudad de Valencia": a town, whatever else its name is (D404).
  if (
    type === 'PERSON' &&
    text.charCodeAt(start - 1) === 32 &&
    OF_WORDS.has(beforeHash) &&
    TOWN_OF.test(text.slice(Math.max(0, start - 24), start))
  )
    return 'LOCATION';
  if (type === 'LOCATION' && handedOver(text, start, end)) return 'PERSON';
  // Names given after a verb of naming, the first a given name (se llama Juan Carlos, er heißt Hans
  // Berlin): a person, though the names are a town's too (D415).
  if (
    type === 'LOCATION' &&
    !single &&
    (wordInfo(text.slice(start, firstEnd)) & (GIVEN | CITY_PREFIX)) === GIVEN &&
    NAME_IS.test(text.slice(Math.max(0, start - 24), start))
  )
    return 'PERSON';
  // A person's label before a given name and a name that is a town too (Destinatario: Álvaro
  // Navarro, chef de clan, Charles-Édouard de La Rochefoucauld) (D414).
  // And so is a given name that is no place and a family name after it, with no word about places
  // before them (und Dimitrios Papadopoulos, e Kenji Yamamoto Nakamura).
  if (
    type === 'LOCATION' &&
    !single &&
    ((((before & FLAGS.LABEL_P) !== 0 || (b >= 0 && text.charCodeAt(b) === 58 && labelled(text, start))) &&
      (wordInfo(text.slice(start, firstEnd)) & GIVEN) !== 0) ||
      ((before & (FLAGS.L_BEFORE | FLAGS.LABEL_L)) === 0 &&
        (flagsTable().get(firstHash) & (FLAGS.FIRST | FLAGS.PLACE)) === FLAGS.FIRST &&
        (wordInfo(lastWord) & FAMILY) !== 0))
  )
    return 'PERSON';
  // A span of an owner's name, its 's and a game's item or power (Orion's Belt quest: D410).
  if (!single && upperAt(text, ls) && POSSESSED.has(lastHash) && /['’]s $/.test(text.slice(ls - 3, ls)))
    return undefined;
  if (type === 'LOCATION' && loot(text, start, end)) return undefined;
  // "the Paris map", "Tokyo skin": a map or an item of a game named after a place.
  if (type === 'LOCATION' && NAMED_PLACE_THING.test(text.slice(end, end + 12))) return undefined;
  // The other languages' word order: a server "of" a place or a name (le serveur de Paris, o servidor
  // do Brasil) (D403).
  if (
    OF_WORDS.has(beforeHash) &&
    text.charCodeAt(b) !== 44 &&
    SERVER_OF.test(text.slice(Math.max(0, start - 20), start))
  )
    return undefined;
  if (type === 'PERSON') {
    // "the Jack Daniels", "the Paris Hilton": a thing named after someone, not the person.
    const lead = text.slice(Math.max(0, start - 40), start);
    // "the" in any case, the words between it and the name capitalized: no `i` flag, under which
    // \p{Lu} matches lower-case letters too (The refund for Oluwaseun Adebayo is a person).
    if (/the /i.test(lead) && /(?:^|[^\p{L}])[Tt][Hh][Ee] (?:\p{Lu}[\p{L}'’-]* )*$/u.test(lead)) return undefined;
    // "the Santa Claus event", "Harry Potter skin": a game thing named after someone; "Hello
    // Verity team": a team's or a crew's name; "Luna and Stella are my cats", "my dog Rex": a pet's
    // name (D410).
    // Each pattern opens with a space (PET_AFTER's and CAST_AFTER's with a verb of being after the
    // list), read first: most names are followed by none of them.
    const listEnd = afterList(text, end);
    const being = beingAt(text, listEnd);
    if (
      (text.charCodeAt(listEnd) === 32 && NAMED_THING.test(text.slice(listEnd, listEnd + 32))) ||
      (being && CAST_AFTER.test(text.slice(listEnd, listEnd + 40))) ||
      (text.charCodeAt(end) === 32 &&
        TEAM_FIRSTS.includes(text.charAt(end + 1)) &&
        TEAM_AFTER.test(text.slice(end, end + 12))) ||
      (being && PET_AFTER.test(text.slice(listEnd, listEnd + 24)))
    )
      return undefined;
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
      // A game's item or power named after its owner, capitalized (Diana's Bow, Hunter's Mark: D410).
      if (owner !== null && upperAt(owner[1] as string, 0) && POSSESSED.has(wordHash(owner[1] as string)))
        return undefined;
      // A feast named after its saint or its people (Valentine's day, St Patrick's Day: D410).
      if (owner !== null && (owner[1] as string).toLowerCase() === 'day' && DAY_OWNERS.has(lastHash)) return undefined;
    }
    if (text.startsWith(' of ', start - 4)) {
      const titled = /(?:^|[^\p{L}])(\p{Lu}\p{L}+) of $/u.exec(text.slice(Math.max(0, start - 24), start));
      // The realm or order of a game's world (Kingdom of Eldoria, Order of the Flame) too (D401).
      if (
        titled !== null &&
        ((wordFlags(titled[1] as string) & FLAGS.GAME) !== 0 ||
          REALMS.has(wordHash((titled[1] as string).toLowerCase())))
      )
        return undefined;
    }
    if (
      (before & FLAGS.CONJ) !== 0 ||
      /^ (?:and|und|et|y|e|&) (?!I(?:['’]|\s|$))\p{Lu}/u.test(text.slice(end, end + 6))
    )
      if (titlePair(text, start, end, text.slice(a + 1, b + 1), (before & FLAGS.CONJ) !== 0 ? a : -1)) return undefined;
  }
  return type;
}

/** Words that open a clause before its subject (ok so marigold said: D414). */
const OPENERS = wordKeys(
  'so then and but or if when while because cause cuz also well ok okay yeah yes no oh ah now maybe guess think know like',
);

/** Whether `word` has an upper-case letter after its fourth letter that follows a lower-case one. */
function innerCapital(word: string): boolean {
  for (let i = 4; i < word.length; i++)
    if (upperAt(word, i) && !upperAt(word, i - 1) && letterAt(word, i - 1)) return true;
  return false;
}

/** Articles of the five languages before a title (la Reine, el Rey, a Rainha, die Königin, the Queen). */
const TITLE_ARTICLES = wordKeys('la le el a o die der the');

/** Whether an article stands right before `start` (a space between). */
function articleBefore(text: string, start: number): boolean {
  if (start < 2 || text.charCodeAt(start - 1) !== 32) return false;
  const [s, e] = wordBefore(text, start - 1);
  return e > s && TITLE_ARTICLES.has(rangeHash(text, s, e));
}

/** Ordinals written out, before a rank's "place". */
const ORDINALS = wordKeys('first second third fourth fifth sixth last 1st 2nd 3rd 4th 5th');

/**
 * Whether the word that ends at `a + 1`'s left (its first letter at `a + 1`) is an ordinal's ending
 * glued to its digits (1st, 3rd), or follows an ordinal (third place).
 */
function ordinalBefore(text: string, a: number): boolean {
  if (a >= 0 && isDigitCode(text.charCodeAt(a))) return true;
  if (a < 1 || text.charCodeAt(a) !== 32) return false;
  // Back to the space before it, digits too (wordBefore reads letters only: 1st would be st).
  let s = a;
  while (s > 0 && text.charCodeAt(s - 1) !== 32) s--;
  return ORDINALS.has(rangeHash(text, s, a));
}

/** German's verbs of being, before a noun as often as before a name. */
const COPULAS = wordKeys('ist war sind waren wird wurde bleibt');

/** Flags of the words about people before a name (hey, Mrs, name, with, and). */
const PERSON_CUES = FLAGS.STRONG | FLAGS.P_BEFORE | FLAGS.TITLE | FLAGS.LABEL_P | FLAGS.CONJ;
/** Those and the words about places and a verb that follows a name (said, in, city): any cue at all. */
const CUE_FLAGS = PERSON_CUES | FLAGS.P_AFTER | FLAGS.LABEL_L | FLAGS.L_BEFORE;

/** The flags of the word right after `end` (over a comma), or 0. */
function afterFlags(text: string, end: number): number {
  let s = end;
  if (text.charCodeAt(s) === 44) s++;
  if (text.charCodeAt(s) !== 32) return 0;
  s++;
  const e = wordEnd(text, s, Math.min(text.length, s + 24));
  return e > s ? flagsTable().get(rangeHash(text, s, e)) : 0;
}

/** Plural articles of Spanish, French and Portuguese, as a span's first word. */
const PLURAL_ARTICLES = wordKeys('los las les os as');

/** Indefinite articles of the five languages (not "a", the article of Portuguese names: a Maria). */
const INDEFINITE = wordKeys('an uma um une un una ein eine einen');

/** The letters EPITHET's articles begin with: a name followed by none is not read further. */
const EPITHET_FIRSTS = 'letd';
/** An epithet after a name: an article, then a capitalized word no name list holds as a given name. */
const EPITHET = /^ (?:le|la|el|the|der|die) (\p{Lu}\p{Ll}+)(?![\p{L}])/u;

/** Words that open a tournament's or a cup's name (Copa Ceniza, Coupe des Ombres: D414). */
const EVENT_FIRSTS = 'copa cup pokal coupe taça taca torneo tournoi turnier torneio liga';
/**
 * Titles of kings, queens, lords and a game's bosses and captains in the five languages (D414):
 * before no given name, a character (Graf Morgrim, Seigneur Malthus, Endboss Malgorath).
 */
const ROYALS =
  'king queen prince princess lord roi reine princesse rey reina príncipe princesa rei rainha könig königin prinz prinzessin kaiser kaiserin emperor empress baron baronin baronne duke duchess duc duchesse duque duquesa herzog herzogin graf gräfin barão barao baronesa seigneur capitaine capitán capitan capitão capitao captain commander comandante kommandant sargento sergeant boss endboss raidboss';
/** Wishes of the five languages that open a holiday's or an occasion's greeting (D403). */
const WISHES = 'feliz felices frohe frohes joyeux joyeuse bonne bon buon happy merry';
const W_EVENT = 1;
const W_ROYAL = 2;
const W_WISH = 4;
const W_GAME = 8;
/** The first words' classes above, by word hash, in one table (a span's first word looked up once). */
const FIRST_WORDS = (() => {
  const m = new Map<number, number>();
  const add = (h: number, bit: number) => m.set(h, (m.get(h) ?? 0) | bit);
  for (const [words, bit] of [
    [EVENT_FIRSTS, W_EVENT],
    [ROYALS, W_ROYAL],
    [WISHES, W_WISH],
  ] as const)
    for (const w of words.split(' ')) add(wordHash(w), bit);
  for (const h of gameFirstHashes()) add(h, W_GAME);
  return new FlagSlots(m);
})();

/**
 * Whether a span opening with a royal title (its first word ends at `fe`) has no given name after
 * it: alone before "of" or a Romance "de" (la Reine des Cendres), or before words no given name
 * opens (el Rey Exánime).
 */
function royalThing(text: string, fe: number, end: number, single: boolean): boolean {
  if (single) return /^ (?:of|de|des|del|do|da|der|von) /.test(text.slice(end, end + 6));
  let s = fe;
  while (s < end && !letterAt(text, s)) s++;
  return s < end && (flagsTable().get(rangeHash(text, s, wordEnd(text, s, end))) & FLAGS.FIRST) === 0;
}

/** The words of "of" that TOWN_OF's and SERVER_OF's phrases end in, by hash: no phrase is read after others. */
const OF_WORDS = wordKeys('of de du des do da del di von in');

/** A town's or a region's word and "of" before its name, in the five languages (D404). */
const TOWN_OF =
  /(?:^|[^\p{L}])(?:city|town|village|county|province|state|ciudad|cidade|ville|provincia|província|estado|région|region) (?:of|de|do|da|del|di) $/iu;

const THE_HASH = wordHash('the');
/** VERSUS_BEFORE's words, by the hash of the word before a span: the pattern is read after one only. */
const VERSUS_WORDS = wordKeys('vs versus v gegen contra');
/** The letters TEAM_AFTER's words begin with. */
const TEAM_FIRSTS = 'tscd';

/** Whether an apostrophe stands second or third from `at` (ELISION's l', qu'): read before the pattern. */
function elidedAt(text: string, at: number): boolean {
  const c1 = text.charCodeAt(at + 1);
  const c2 = text.charCodeAt(at + 2);
  return c1 === 39 || c1 === 0x2019 || c2 === 39 || c2 === 0x2019;
}

/** Whether a verb of being follows `at`, after a comma or not (is, are, was, were). */
function beingAt(text: string, at: number): boolean {
  const i = text.charCodeAt(at) === 44 ? at + 1 : at;
  return (
    text.startsWith(' is ', i) ||
    text.startsWith(' are ', i) ||
    text.startsWith(' was ', i) ||
    text.startsWith(' were ', i)
  );
}
/** A tagger's margin at which a place no list holds may open a sentence (D410). */
const SURE_PLACE = 40;

/** Whether `start` opens the text or a sentence (after ". ", "! ", "? " or a line break). */
function sentenceStart(text: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0 && text.charCodeAt(i) === 32) i--;
  if (i < 0) return true;
  const c = text.charCodeAt(i);
  return c === 46 || c === 33 || c === 63 || c === 10;
}

/**
 * The flags of the word that ends before `a` (spaces skipped): the word before "the" in "from the
 * uk", whose place word lets a lower-case country no dictionary holds stand (D410).
 */
function wordFlagsBefore(text: string, a: number): number {
  const [s, e] = wordBefore(text, a);
  return e > s ? flagsTable().get(rangeHash(text, s, e)) : 0;
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

/** Nouns of places in German, French, Spanish and Portuguese that towns are named after (D393). */
const PLACE_NOUNS = wordKeys(
  'casa centro praia playa campo plaza praça praca ciudad cidade pueblo barrio bairro ville village mer montagne mar monte lago costa sierra valle vale heim',
);

/** Nouns that follow a place's name (cebu area, the leeds side). */
const PLACE_AFTER =
  /^,? (?:area|region|city|town|side|suburbs?|district|gegend|umgebung|raum|région|coin|zona|región|região|área|lado)(?![\p{L}])/iu;
