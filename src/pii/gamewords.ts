// A game's words around a name or place, for the last look (lastlook.ts): zones named by their
// nouns (D325, D349), items looted or traded (D143, D384), the characters a player mains (D360), a
// player's handle (D399) and lists after a label of a game's things (D397); and what a game names
// after people and places (the Santa Claus event, the Paris map, Sydney servers: D143, D378).

import { upperAt, wordBefore, wordEnd, wordHash, wordKeys } from './chars.ts';
import { typedCue } from './slips.ts';
import { FLAGS } from './wordflags.ts';

/**
 * Nouns that open a game's zone, item or creature in French, Spanish, Portuguese (la Cripta Oscura,
 * el Castillo Sombrío, la Espada Flamejante, le Chevalier Noir, del Dragón Rojo; D325).
 */
const ZONE_FIRST = new Set(
  'templo cripta caverna cueva mazmorra masmorra ruinas ruínas fortaleza torre bosque floresta minas forteresse donjon caverne crypte grotte temple tour ruines forêt mines castillo castelo château chateau porte puerta espada épée epee dragón dragon dragão dragao chevalier caballero cavaleiro mago reino royaume templos criptas cavernas cuevas mazmorras masmorras fortalezas torres bosques florestas cavernes cryptes grottes grutas gruta temples tours forêts posada taverna taverne auberge'.split(
    ' ',
  ),
);
/** A capitalized word, and a Romance "of" after it, right before a span: its first group is the word. */
const ZONE_LEAD = /(?:^|[^\p{L}])(\p{Lu}\p{Ll}+) (?:(?:de|del|do|da|dos|das|du|des) )?(?:l['’])?$/u;
/** Articles that may open such a span (El Castillo Sombrío at a sentence's start). */
const ARTICLES = new Set('el la los las le les o a os as'.split(' '));
/** German zone nouns that close a compound (Schattentempel, Nebelhöhle). */
const ZONE_COMPOUND = /(?:tempel|höhle|gruft|festung|verlies|katakomben|ruinen|minen)$/;

/**
 * Whether a span names a game's zone by its noun: a Romance zone noun opening a span of several
 * words (la Cripta Oscura, o Templo Perdido), or one German compound ending in one (Schattentempel).
 * `lastFlags` are the flags of the span's last word, as the last look has them.
 */
export function gameZone(
  text: string,
  start: number,
  end: number,
  single: boolean,
  lastWord: string,
  lastFlags: number,
): boolean {
  if (single) {
    if ((lastFlags & FLAGS.PLACE) !== 0) return false;
    // A compound's noun has five letters or more after three (Nebelhöhle).
    if (lastWord.length >= 8) {
      const m = ZONE_COMPOUND.exec(lastWord.toLowerCase());
      if (m !== null && m.index >= 3) return true;
    }
    // The adjective or complement of a zone's capitalized noun (la Torre del Norte, a Floresta
    // Sombria, el Reino Olvidado, le Donjon de l'Aube), the span being only its last word, unless
    // that is a known place (la Torre de Madrid, la Porte de Versailles) (D349). The noun and its
    // "de" end in a space; the pattern is read only where a capital opens the word before or the
    // one before that.
    let p = start - 1;
    const gap = text.charCodeAt(p);
    if (gap === 39 || gap === 0x2019) p -= 2;
    else if (gap !== 32) return false;
    const [s1, e1] = wordBefore(text, p);
    if (e1 <= s1 || (!upperAt(text, s1) && !upperAt(text, wordBefore(text, s1 - 1)[0]))) return false;
    const lead = ZONE_LEAD.exec(text.slice(Math.max(0, start - 24), start));
    return lead !== null && ZONE_FIRST.has((lead[1] as string).toLowerCase());
  }
  const fe = wordEnd(text, start, end);
  const first = text.slice(start, fe).toLowerCase();
  if (ZONE_FIRST.has(first)) return true;
  if (!ARTICLES.has(first) || text.charCodeAt(fe) !== 32) return false;
  const se = wordEnd(text, fe + 1, end);
  return se > fe + 1 && ZONE_FIRST.has(text.slice(fe + 1, se).toLowerCase());
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
export function loot(text: string, start: number, end: number): boolean {
  const lead = text.slice(Math.max(0, start - 24), start);
  if (!/(?:^|[^\p{L}])the $/iu.test(lead)) return false;
  if (ITEM_AFTER.test(text.slice(end, end + 12)) || ITEM_BEFORE.test(lead)) return true;
  // The verb typed with a slip (dopped the X, lootd the X).
  return typedCue(lead.slice(0, -4), ITEM_VERBS, 1);
}

/**
 * Things of a game named after someone, right after the name (a skin, a boss, a map, an event; a
 * raid, a dungeon, an expansion, a nerf: D406).
 */
export const NAMED_THING =
  /^ (?:skins?|boss|bosses|map|mode|event|build|set|mount|pet|quest|questline|collab|emote|outfit|costume|cosplay|bundle|deck|movie|film|song|album|servers?|realms?|shards?|raid|dungeon|expansion|dlc|nerf|buff|achievements?|title|badge|trophy|drops (?:are|were|suck)|drop rates?|loot table|ult|ultimate|abilit(?:y|ies)|kit|passive|rework|lore|arrows|main|mains(?= (?:only|are|be|get|always|never)(?![\p{L}])|[,.!?]|$)|stocks?|shares|voice ?lines?|res|rez|ults?|comp|combo|in the (?:new |next |latest |last )?(?:expansion|patch|update|season|trailer|dlc|campaign|cinematic|story)|the (?:[\p{Ll}]+ )?(?:bot|npc|vendor|merchant|innkeeper|butler|quest ?giver))(?![\p{L}])/iu;

/**
 * What a game's character or boss is called in a sentence about it (Captain Ironbeard is the worst
 * boss, Zarok was the final villain: D410): the role after "is the" and an adjective or two; or how
 * the game's balance treats it (Ember Queen is overtuned, Valkyrie is so op).
 */
export const CAST_AFTER =
  /^ (?:is|was|are|were) (?:(?:the|a|an) (?:[\p{Ll}-]+ ){0,2}(?:boss|bosses|villains?|npcs?|characters?|heroe?s?|champions?|agents?|raid boss|final boss)|(?:so |too |way |kinda |really |still )?(?:overtuned|overpowered|underpowered|overrated|underrated|op|broken|busted|nerfed|buffed|bugged))(?![\p{L}])/u;

/** Where a list that goes on from a name ends: over ", Y", " and Y", " & Y" (Rey and Finn skins). */
export function afterList(text: string, end: number): number {
  // The pattern opens with a comma, " and " or " & ": most names are followed by neither.
  const c = text.charCodeAt(end);
  if (c !== 44 && !(c === 32 && (text.startsWith(' and ', end) || text.startsWith(' & ', end)))) return end;
  const m = LIST_AFTER.exec(text.slice(end, end + 48));
  return m === null ? end : end + (m[0] as string).length;
}
const LIST_AFTER = /^(?:(?:,|,? and|,? &) \p{Lu}[\p{L}'’-]*)+/u;

/** A player's usual characters before a name, and the list it goes on with (i main Jett and Reyna). */
export const PLAYED =
  /(?:^|[^\p{L}])(?:(?:[Ii]|[Uu]|[Yy]ou|[Ww]e|[Tt]hey|[Hh]e|[Ss]he|[Ww]ho|to|and) [Mm]ains?|[Mm]aining|[Mm]ained|[Oo][Tt][Pp]|[Oo][Tt][Pp]ing|[Oo]ne-trick(?:s|ing)?)(?: as)? (?:\p{Lu}[\p{L}'’-]*(?:,| and| &| or)? )*$/u;

/** The label of a player's handle in a game or on a platform, before the handle (D399). */
export const HANDLE_BEFORE =
  /(?:^|[^\p{L}])(?:ign|gamertag|user ?name|handle|nickname|battle ?tag|psn|xbl|riot id|char(?:acter)? name|toon(?: name)?)(?::| is|:? ?=) ?$/iu;
/** HANDLE_BEFORE's words that end its label before the handle: the pattern is read only after one. */
export const HANDLE_LAST = wordKeys('is ign gamertag username name handle nickname battletag tag psn xbl id toon');

/** A label of a game's things and the list after it (mains: Jett, Reyna; fav maps: Ascent, Haven). */
export const GAME_LIST =
  /(?:^|[^\p{L}])(?:mains?|maps?|agents?|heroes|hero|champs?|champions?|characters?|chars?|skins?|items?|servers?|realms?|class(?:es)?|roles?|decks?|pets?|mounts?): (?:\p{Lu}[\p{L}'’-]*(?:,| and| &| or)? )*$/iu;

/** Whether the span is in a list after a colon: commas (and a conjunction) back to it, capitals between. */
export function listedAfterColon(text: string, start: number): boolean {
  for (let i = start - 1; i >= 0 && start - i < 48; i--) {
    const c = text.charCodeAt(i);
    if (c === 58) return true;
    if (c === 46 || c === 33 || c === 63 || c === 10 || c === 59) return false;
  }
  return false;
}

/** PLAYED's verbs by hash (one-trick's last word): the word before the first name of its list. */
export const PLAYED_VERBS = wordKeys('main mains maining mained otp otping trick tricks tricking');

/** Verbs of trading chat before the item traded (D384). */
export const TRADED_VERBS = wordKeys('wts wtb wtt selling sell buying buy trading trade');

/** A game server's word and "of" before a region, as the other languages write it (le serveur de Paris: D403). */
export const SERVER_OF =
  /(?:^|[^\p{L}])(?:serveurs?|servidor(?:es)?|servers?|realms?|shards?) (?:de|du|des|do|da|von|of|in) $/iu;

// A game server's region named after a place (Sydney servers, the Frankfurt realm) (D378), and a
// raid, a dungeon, an expansion, a bundle or an arena named after one (the Phoenix raid: D406).
export const NAMED_PLACE_THING =
  /^ (?:maps?|skins?|mount|pet|emote|outfit|costume|servers?|realms?|shards?|raid|dungeon|expansion|dlc|bundle|pack|arena|quests?|questline|mode|stage|campaign|achievements?|title|badge|trophy)(?![\p{L}])/iu;

/**
 * Nouns of a game's places and of playing before a name: the map or arena it names (the new map
 * Kyoto Gardens), the character played (who is playing Atlas) (D410).
 */
export const GAME_NOUN_BEFORE = wordKeys('map maps arena');

/** Words that name what comes after them (a hero called Valkyrie): read only after one of these. */
export const NAMING_WORDS = wordKeys('called named');
/**
 * A game's thing, or a guild or a team, named before its name (a new hero called Valkyrie, a
 * guild named Ashfall): what is named is no one (D410). Not a town (a town called Springfield).
 */
export const GAME_THING_NAMED =
  /(?:^|[^\p{L}])(?:heroe?s?|characters?|champ(?:ion)?s?|agents?|legends?|boss|bosses|npcs?|pets?|mounts?|skins?|maps?|items?|weapons?|swords?|class(?:es)?|modes?|guilds?|clans?|teams?|servers?|raids?|dungeons?|quests?|zones?|bots?|ships?|horses?|dogs?|cats?|dragons?) (?:called|named) $/iu;
export const PLAYING_BEFORE = wordKeys(
  'play plays playing played picked pick picking instalocked instalock nerf nerfed buff buffed counter counters',
);

/** What "max" comes before in a game (Max level reached, max damage): no one named Max (D406). */
export const MAXED = /^ (?:level|lvl|lv|damage|dmg|hp|mana|stats?|rank|speed|out)(?![\p{L}])/iu;
export const MAX_HASH = wordHash('max');

/** Words that open the name of a game world's realm or order before "of" (Kingdom of Eldoria: D401). */
export const REALMS = wordKeys(
  'kingdom kingdoms empire realm realms land lands isle isles order house clan lord lords knights brotherhood legion guardians tavern inn shrine shrines sanctuary',
);
