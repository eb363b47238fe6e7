// The cast of the most played games and the games' own names, for the last look (D414): chat
// speaks of heroes, champions, agents, legends and bosses as it speaks of people ("stay behind
// Reinhardt", "Tracer and Sombra", "Arthas was right") and of games as of places ("zocke gern
// Valorant", "Mario Kart tourney"). Written by hand from the games' public rosters (characters a
// player picks or meets by name, and a few of their worlds' places); no list of them ships in a
// library. A name that people or places bear too (Viktor, Sage, Mercy, Phoenix) is no one only
// beside a name that is the cast's alone (Viktor and Sylas, Lucio and Kiriko).

import { isLetter, rangeHash, wordHash } from './chars.ts';
import { FIRST, TOWN, wordInfo } from './lexicon.ts';
import { FLAGS, FlagSlots, flagsTable } from './wordflags.ts';

/** Per game: its playable characters and named figures (lower case, apostrophes as written). */
const CAST_BY_GAME: Record<string, string> = {
  overwatch:
    'ana ashe baptiste bastion brigitte cassidy doomfist echo genji hanzo illari junkrat juno kiriko lifeweaver lucio lúcio mauga mei mercy moira orisa pharah ramattra reaper reinhardt roadhog sigma sojourn sombra symmetra torbjorn torbjörn tracer venture widowmaker winston zarya zenyatta hazard freja',
  league:
    "aatrox ahri akali akshan alistar amumu anivia annie aphelios ashe azir bard belveth bel'veth blitzcrank brand braum briar caitlyn camille cassiopeia chogath cho'gath corki darius diana draven ekko elise evelynn ezreal fiddlesticks fiora fizz galio gangplank garen gnar gragas graves gwen hecarim heimerdinger hwei illaoi irelia ivern janna jax jayce jhin jinx kaisa kai'sa kalista karthus kassadin katarina kayle kayn kennen khazix kha'zix kindred kled kogmaw kog'maw ksante k'sante leblanc leona lillia lissandra lucian lulu lux malphite malzahar maokai milio mordekaiser morgana naafiri nami nasus nautilus neeko nidalee nilah nocturne nunu olaf orianna ornn pantheon poppy pyke qiyana rakan rammus rell renata renekton rengar riven rumble ryze samira sejuani senna seraphine sett shaco shen shyvana singed sion sivir skarner smolder sona soraka swain sylas syndra taliyah talon taric teemo thresh tristana trundle tryndamere udyr urgot varus vayne veigar velkoz vel'koz vex viego viktor vladimir volibear warwick wukong xayah xerath yasuo yone yorick yuumi zac zed zeri ziggs zilean zoe zyra ambessa aurora",
  valorant:
    'astra breach brimstone chamber clove cypher deadlock fade gekko harbor iso jett kayo killjoy neon omen phoenix raze reyna sage skye sova tejo viper vyse waylay yoru',
  apex: 'bloodhound catalyst caustic conduit gibraltar lifeline loba mirage newcastle octane pathfinder rampart revenant seer valkyrie vantage wattson wraith',
  warcraft:
    "anduin arthas alexstrasza deathwing garrosh gul'dan guldan illidan jaina kael'thas kaelthas khadgar malfurion medivh ragnaros sargeras sylvanas thrall tyrande uther varian vol'jin voljin xalatath onyxia nefarian kel'thuzad kelthuzad rexxar saurfang baine greymane velen magni muradin zul'jin kil'jaeden archimonde azeroth orgrimmar stormwind ironforge",
  dota: 'pudge invoker juggernaut mirana rubick slark tinker techies kunkka tidehunter earthshaker meepo morphling riki windranger',
  genshin:
    'albedo alhaitham arlecchino baizhu beidou chevreuse chiori chongyun clorinde collei cyno dehya diluc diona faruzan fischl freminet furina ganyu gorou heizou hutao itto kaeya kazuha keqing kinich kirara klee kokomi lyney nahida navia neuvillette nilou ningguang qiqi raiden rosaria sayu sethos shenhe sucrose tartaglia thoma tighnari venti wriothesley xiangling xianyun xiao xingqiu xinyan yanfei yaoyao yelan yoimiya zhongli mualani xilonen citlali mavuika teyvat mondstadt liyue inazuma sumeru',
  nintendo:
    'mario luigi bowser yoshi wario waluigi rosalina zelda link ganon ganondorf kirby samus pikachu jigglypuff inkling hyrule sonic tails knuckles eggman',
  others:
    'geralt yennefer ciri jaskier rivia kaer morhen novigrad kratos atreus cortana aloy tifa aerith sephiroth noctis midgar chun-li zangief akuma kazuya heihachi kitana mileena herobrine jonesy toriel undyne mettaton ezio eivor bayek makarov',
  eldenring:
    'margit malenia radahn godrick rennala morgott mohg maliketh rykard ranni stormveil limgrave liurnia leyndell',
  baldursgate: "astarion karlach shadowheart lae'zel laezel wyll halsin minthara minsc jaheira baldur",
  hades: 'zagreus thanatos megaera nyx hypnos achilles elysium tartarus asphodel',
  warcraftplaces: 'dalaran karazhan silvermoon silbermond ventormenta tormenta orgrimmar undercity naxxramas ulduar',
  pubg: 'erangel miramar sanhok vikendi',
  fiction:
    'gandalf frodo bilbo aragorn legolas gollum sauron hermione dumbledore voldemort vader skywalker yoda sherlock kitsuragi shogun',
};

/** The games' names as chat writes them (lower case): games are no one and nowhere. */
const TITLES = new Set([
  'valorant',
  'overwatch',
  'fortnite',
  'minecraft',
  'roblox',
  'stardew',
  'stardew valley',
  'genshin',
  'genshin impact',
  'apex legends',
  'league of legends',
  'dota',
  'warzone',
  'elden ring',
  'skyrim',
  'mario kart',
  'animal crossing',
  'rocket league',
  'rainbow six',
  'hearthstone',
  'diablo',
  'world of warcraft',
  'final fantasy',
  'dark souls',
  'hollow knight',
  'terraria',
  'cyberpunk',
  'palworld',
  'tekken',
  'splatoon',
  'runescape',
  'tarkov',
  'valheim',
  'dead by daylight',
  'sea of thieves',
  'brawl stars',
  'clash royale',
  'clash of clans',
  'honkai',
  'honkai star rail',
  'zenless zone zero',
  'path of exile',
  'baldurs gate',
  "baldur's gate",
  'red dead redemption',
  'god of war',
  'the witcher',
  'street fighter',
  'smash bros',
  'super smash bros',
  'mortal kombat',
  'counter strike',
  'pubg',
  // Famous characters as chat names them whole (a name of the cast that people bear too,
  // Lara, Harry, Arthur, is read alone as someone).
  'sherlock holmes',
  'harry potter',
  'darth vader',
  'lara croft',
  'luke skywalker',
  'master chief',
  'arthur morgan',
  'john marston',
  'geralt of rivia',
  'kim kitsuragi',
  'raiden shogun',
  'solid snake',
  'nathan drake',
  'disco elysium',
  'star wars',
  'pokemon emerald',
  // Raids and zones chat names alone.
  'molten core',
  "summoner's rift",
  'icecrown citadel',
  'black temple',
  'kaer morhen',
]);

const CAST_WORDS = Object.values(CAST_BY_GAME).flatMap((names) => names.split(' '));
/** The cast by hash (a FlagSlots of one bit: more names than a KeySet holds). */
const CAST = new FlagSlots(new Map(CAST_WORDS.map((w) => [wordHash(w), 1])));
/** The letters opening each cast name (kai of kai'sa, chun of chun-li), as a span's first word hashes. */

/**
 * The hashes of the words a game's name or a cast name opens with (kai of kai'sa, chun of chun-li):
 * the last look reads `gameCast` only for a span opening with one (D414).
 */
export function gameFirstHashes(): number[] {
  return [...CAST_WORDS, ...TITLES].map((w) => wordHash(w.split(/[ '’-]/)[0] as string));
}

/** Where a word of letters and inner apostrophes or hyphens (Kai'Sa, Chun-Li) from `from` ends. */
function castWordEnd(text: string, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isLetter(c)) i++;
    else if ((c === 39 || c === 0x2019 || c === 45) && i + 1 < end && isLetter(text.charCodeAt(i + 1))) i++;
    else break;
  }
  return i;
}

/** Whether a given name or a place bears the word `text[s, e)` of hash `h` too (Viktor, Phoenix). */
function borne(text: string, s: number, e: number, h: number): boolean {
  return (
    (flagsTable().get(h) & (FLAGS.FIRST | FLAGS.PLACE)) !== 0 || (wordInfo(text.slice(s, e)) & (FIRST | TOWN)) !== 0
  );
}

/** Whether `text[s, e)` is a name of the cast that no person nor place bears (Sylas, Kiriko). */
function castAlone(text: string, s: number, e: number): boolean {
  const h = rangeHash(text, s, e);
  return CAST.get(h) !== 0 && !borne(text, s, e, h);
}

/** A list's joint after a name (", ", " and ", " & ", " or "), and before one. */
const JOINT_AFTER = /^(?:,? (?:and|und|et|y|e|&|or|oder|ou|o) |, | ?\/ ?)/;
const JOINT_BEFORE = /(?:,? (?:and|und|et|y|e|&|or|oder|ou|o) |, | ?\/ ?)$/;

/** Whether the name at `text[start, end)` stands in a list beside a name of the cast alone. */
function castBeside(text: string, start: number, end: number): boolean {
  const after = JOINT_AFTER.exec(text.slice(end, end + 6));
  if (after !== null) {
    const s = end + after[0].length;
    const e = castWordEnd(text, s, Math.min(text.length, s + 24));
    if (e > s && castAlone(text, s, e)) return true;
  }
  const before = JOINT_BEFORE.exec(text.slice(Math.max(0, start - 6), start));
  if (before !== null) {
    const e = start - before[0].length;
    let s = e;
    while (s > 0 && (isLetter(text.charCodeAt(s - 1)) || text.charCodeAt(s - 1) === 39)) s--;
    if (e > s && castAlone(text, s, e)) return true;
  }
  return false;
}

/**
 * Whether a name or a place the rules or the tagger found is a game (Mario Kart, Valorant) or its
 * cast (Tracer, Kaer Morhen; Viktor beside Sylas): D414. `firstHash` is the hash of the span's
 * first word (its letters), one of `gameFirstHashes`; `titled` when a title goes before the span
 * (Herr Reinhardt is a person).
 */
export function gameCast(text: string, start: number, end: number, firstHash: number, titled: boolean): boolean {
  // Most spans open with no word of a game's name nor of its cast: one lookup each.
  if (TITLES.has(text.slice(start, end).toLowerCase())) return true;
  if (titled) return false;
  let shared = false;
  let words = 0;
  for (let i = start; i < end; ) {
    const e = castWordEnd(text, i, end);
    if (e === i) {
      i++;
      continue;
    }
    const h = rangeHash(text, i, e);
    if (CAST.get(h) === 0) return false;
    if (borne(text, i, e, h)) shared = true;
    words++;
    i = e;
  }
  if (words === 0) return false;
  return !shared || (words === 1 && castBeside(text, start, end));
}
