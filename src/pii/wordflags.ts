// What the dictionaries and the cue-word classes say of a word, as bit flags by the word's hash:
// names, places, titles, street words, plain words of chat, and the context classes (greetings,
// speech verbs, place words, labels, conjunctions, game and month words in five languages; D103).

import { readFileSync } from 'node:fs';
import { VerityError } from '../errors/index.ts';
import { wordHash } from './chars.ts';
import { dictionaries, foldedSpellings, writtenDictionaries } from './dictionaries.ts';
import { exonyms } from './exonyms.ts';

// Dictionary flags of a word.
const FIRST = 1;
const LAST = 2;
const PLACE = 4;
const PLACE_PART = 8;
const TITLE = 16;
const STREET = 32;
const COMMON = 64;
/** Words after which a person's name often follows (greetings, thanks, titles, verbs of talking to). */
const P_BEFORE = 128;
/** Words that often follow a person's name (said, says, wants, joined, ...). */
const P_AFTER = 256;
/** Words after which a place often follows (prepositions of place, live, moved, born in). */
const L_BEFORE = 512;
/** Conjunctions that continue a list (and, und, et, y, e, &). */
const CONJ = 1024;
/** Field labels announcing a name (Name, Nom, Nombre, Nome, customer, client). */
const LABEL_P = 2048;
/** Field labels announcing a place (City, Ville, Stadt, Ciudad, Cidade, Location, Country). */
const LABEL_L = 4096;
/** Game vocabulary: ranks, tiers, zone and item nouns (no person nor place on their own). */
const GAME = 8192;
/** Months, days, seasons and virtue words that are also given names (May, August, Grace). */
const AMBIG = 16384;
/** Cues strong enough to make an unknown lower-case word next to them a candidate (hey, tell, said). */
const STRONG = 32768;

/**
 * Plain words of chat in the five languages the scanner reads (and chat slang): a word here is
 * seldom a name even where a dictionary lists it as one (will, mark, long, mai, son, ...).
 */
const COMMON_WORDS =
  'a about after again all also am an and any are around as ask at away back be because been before being best better big bit both but by can come could day did do does done down each even ever every few first for from game get go going good got great had has have he her here him his how i if im in into is it its just know last late let like little lol long look lot made make man many may me more most much must my need never new next nice night no not now of off ok old on once one only or other our out over own people play please pls put really right said same say see she should show since so some still such sure take than thank thanks that the their them then there these they thing think this those though time to today tomorrow too try two up us use very want was way we week well went were what when where which while who why will with work would yeah year yes yet you your gg wp lmao brb iban bic swift ip ping lag fps ms else era per real based baby peak spring summer winter fall idk tbh ngl afk irl btw u ur pls plz thx ty omg haha hey hi hello yo sup dude bro guys team guild raid boss loot server match round carry healer tank dps main patch update event season rank level clan party lobby stream chat discord voice call text number mail email card ' +
  'der die das und ist ich du er sie es wir ihr mit von zu den dem des ein eine einer nicht auf für aus bei nach noch nur auch schon wie was wer wo heute morgen abend bitte danke hallo mal jetzt sehr gut ja nein aber oder wenn dann kann bin bist sind war hat habe haben im am um an als so mich dich mir dir uns euch mein dein sein unser meine deine seine ihre unsere eure jemand niemand kommen spielen später immer ' +
  'le la les un une des et est je tu il elle nous vous ils elles avec pour dans sur pas plus mais ou donc ce cette mon ma mes ton ta tes son sa ses au aux du de en à qui que quoi oui non merci salut bonjour soir ce demain jour très bien tout tous fait faire suis es sont était ' +
  'el los las una unos y es yo tú él ella nosotros con por para en sin pero o que qué quien mi mis tu tus su sus del al lo le se sí hola gracias hoy mañana noche muy bien todo todos ya soy eres está están estoy alguien nadie ' +
  'o os um uma e é eu você ele ela nós com por para em no na nos nas mas ou que meu minha seu sua do da dos das ao oi obrigado hoje amanhã noite muito bem tudo sou está estou vai bora alguém ninguém';

/**
 * Context words of the five languages by what they announce: written by hand as classes, so that
 * the tagger learns "after a greeting" once rather than once per greeting.
 */
const CUE_CLASSES: readonly (readonly [number, string])[] = [
  [
    P_BEFORE,
    'am bin suis soy sou heiße heisse llamo chamo appelle mr mrs ms miss mx dr prof sir madam madame mme mlle monsieur herr frau señor señora sr sra srta don doña senhor senhora sra dona dear hi hey hello heya hiya yo hallo moin servus salut coucou bonjour bonsoir hola buenas oi olá ola ciao thanks thank thx ty cheers danke merci gracias obrigado obrigada valeu grazie ask tell call contact meet invite ping dm message email text told asked with by per cc attn congrats welcome love miss named called customer client cliente kunde kundin user player agent member mate friend buddy bro sis brother sister cousin wife husband boyfriend girlfriend son daughter mom dad mum uncle aunt coach captain boss colleague neighbour neighbor freund freundin bruder schwester ami amie frère sœur soeur cousin cousine amigo amiga hermano hermana primo prima irmão irmã mit avec con com para pour für an',
  ],
  [
    P_AFTER,
    'said says say told asked wants wanted joined left sent paid carried wrote writes replied called texted thinks thought is was will would has had just can could did does got gets plays played streams sagt sagte meinte schrieb hat ist will kommt dit a écrit veut est dice dijo escribió quiere está es diz disse escreveu quer está é ' +
      // What two people do (the verb after a pair: Anna und Jonas kommen, Léa et Hugo sont partis).
      'are were have went kommen sind haben waren gehen sont ont étaient vont viennent están fueron tienen são estão foram vão têm',
  ],
  [
    L_BEFORE,
    'in at from frm near to into around outside live lives living lived moved move moving born based located visiting visit trip flying fly flew drove driving aus nach bei wohne wohnt lebe lebt nahe à au aux en vers près habite vis vit né née desde hacia cerca vivo vive nací nacido nacida em no na do da perto moro mora nasci nascido nascida',
  ],
  [CONJ, 'and und et y e & or oder ou o plus'],
  [
    STRONG,
    'hi hey hello heya hiya yo hallo moin servus salut coucou bonjour hola oi olá ola ciao thanks thx ty cheers danke merci gracias obrigado obrigada valeu grazie tell ask ping dm invite congrats welcome mr mrs ms dr herr frau madame monsieur señor señora senhor senhora dear brother sister cousin wife husband boyfriend girlfriend bruder schwester frère sœur hermano hermana irmão irmã primo prima said says told asked wants sagt sagte dit dice dijo diz disse',
  ],
  [
    LABEL_P,
    'name names fullname vorname nachname nom prénom prenom nombre apellido apellidos nome sobrenome titular holder owner recipient beneficiary cardholder empfänger destinataire destinatario destinatário kontoinhaber kontoinhaberin inhaber inhaberin titulaire',
  ],
  [
    LABEL_L,
    'city town location country address addr wohnort ort stadt land adresse anschrift ville pays ciudad país pais dirección direccion localidad cidade endereço endereco morada región region state province provincia hometown residence',
  ],
  [
    GAME,
    'iron bronze silver gold platinum diamond emerald ruby sapphire master grandmaster challenger champion legend legendary mythic elite immortal radiant ascendant heroic epic rare tier rank division league elo mmr ii iii iv vi vii viii ix keep temple caverns cavern cave hollow citadel mines mine crypt sanctum dungeon fortress tower spire vault catacombs ruins depths peaks peak pass gate gates hold reach marsh mire woods grove halls hall throne arena raid realm sword staff shield blade bow axe dagger armor armour helm ring amulet potion scroll tome relic skin mount pet build loadout patch season event quest',
  ],
  [
    AMBIG,
    'january february march april may june july august september october november december januar februar märz mai juni juli oktober dezember janvier février mars avril juin juillet août septembre octobre novembre décembre enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre janeiro fevereiro março maio junho julho setembro outubro novembro dezembro monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter grace hope faith joy charity patience prudence honor honour glory destiny liberty justice harmony serenity trinity dawn sunny rich frank bill mark pride amber ruby jade crystal storm rain river sky star sunshine honey king',
  ],
];

let dictFlags: FlagTable | undefined;
let writtenFlags: FlagTable | undefined;

/**
 * Dictionary flags by word hash: one open-addressing table in an Int32Array, each slot the hash's
 * top 16 bits and the word's 16 flag bits (a compact table stays in cache). The slot index comes
 * from the hash's low bits, so a match checks over 30 bits of the hash. 0 marks an empty slot.
 */
/** Entries of the flag table's cache of recent words (a power of two). */
const RECENT = 4096;

/**
 * The table without a cache of its own, for small tables read once a span (the last look's word
 * classes): a FlagTable's cache of recent words is 32 KB, the size of the fastest cache, and beside
 * the other tables it cost more than it saved there (D414).
 */
export class FlagSlots {
  private readonly slots: Int32Array;
  private readonly mask: number;
  constructor(entries: ReadonlyMap<number, number>) {
    let size = 1024;
    while (size < entries.size * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const [h, f] of entries) {
      const tag = (h & 0xffff0000) | 0 || 0x10000;
      let i = (h ^ (h >>> 13)) & this.mask;
      while (this.slots[i] !== 0 && ((this.slots[i] as number) & ~0xffff) !== tag) i = (i + 1) & this.mask;
      this.slots[i] = tag | ((this.slots[i] as number) & 0xffff) | f;
    }
  }
  /** The flags of hash `h` (0 when it has none). */
  get(h: number): number {
    return this.probe(h);
  }
  protected probe(h: number): number {
    const tag = (h & 0xffff0000) | 0 || 0x10000;
    const slots = this.slots;
    let i = (h ^ (h >>> 13)) & this.mask;
    for (;;) {
      const v = slots[i] as number;
      if (v === 0) return 0;
      if ((v & ~0xffff) === tag) return v & 0xffff;
      i = (i + 1) & this.mask;
    }
  }
}

export class FlagTable extends FlagSlots {
  /**
   * The flags of recent words by hash, direct-mapped (32 KB in the fastest cache): the table itself
   * is over a megabyte, and the words of chat repeat (the, you, lol): most lookups end here instead
   * of in a cache miss. -1 marks an empty entry.
   */
  private readonly recentHash = new Int32Array(RECENT);
  private readonly recentFlags = new Int32Array(RECENT).fill(-1);
  override get(h: number): number {
    const r = (h ^ (h >>> 16)) & (RECENT - 1);
    const seen = this.recentFlags[r] as number;
    if (seen >= 0 && this.recentHash[r] === (h | 0)) return seen;
    const f = this.probe(h);
    this.recentHash[r] = h;
    this.recentFlags[r] = f;
    return f;
  }
}

const CITIES_FILE = new URL('./data/cities.jsonl', import.meta.url);
let cityList: readonly string[] | undefined;

/** The city names of data/cities.jsonl (scripts/build-pii-cities.ts), lower-case. */
export function cities(): readonly string[] {
  if (cityList !== undefined) return cityList;
  const lines = readFileSync(CITIES_FILE, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let header: { format?: unknown };
  let names: unknown[];
  try {
    header = JSON.parse(lines[0] ?? '{}') as { format?: unknown };
    names = JSON.parse(`[${lines.slice(1).join(',')}]`) as unknown[];
  } catch (e) {
    throw damagedCities('a line is not JSON', e);
  }
  if (header.format !== 'verity-pii-cities/1') throw damagedCities('another format');
  if (!names.every((n) => typeof n === 'string')) throw damagedCities('an entry is not a string');
  cityList = names as string[];
  return cityList;
}

function damagedCities(why: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_INTERNAL',
    `the PII city list src/pii/data/cities.jsonl is damaged (${why}); restore it from the repository or rebuild it with scripts/build-pii-cities.ts`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The dictionary flags of each known word, by its hash (built on first use). `written`: the
 * dictionaries as written, without their spellings without diacritics (data/foldings.jsonl), which
 * is what the tagger is trained on (scripts/train-pii-tagger.ts): those spellings carry the flags of
 * the names and places they spell, so the tagger reads munchen as it learnt to read münchen.
 */
export function flagsTable(written = false): FlagTable {
  if (written) {
    writtenFlags ??= buildFlags(true);
    return writtenFlags;
  }
  dictFlags ??= buildFlags(false);
  return dictFlags;
}

function buildFlags(written: boolean): FlagTable {
  const d = dictionaries();
  const names = written ? writtenDictionaries() : d;
  const m = new Map<number, number>();
  const add = (w: string, f: number) => {
    const h = wordHash(w);
    m.set(h, (m.get(h) ?? 0) | f);
  };
  for (const w of names.firstNames) for (const p of w.split(/[ -]/)) if (p.length > 1) add(p, FIRST);
  for (const w of names.lastNames) for (const p of w.split(/[ -]/)) if (p.length > 1) add(p, LAST);
  for (const w of names.places) {
    const parts = w.split(/[ -]/);
    if (parts.length === 1) add(w, PLACE);
    else for (const p of parts) if (p.length > 2) add(p, PLACE_PART);
  }
  // The world's larger cities (data/cities.jsonl, GeoNames): places the locale data lacks; and, but
  // for the tagger's training, as chat types them without diacritics.
  // With the towns' names of the five languages where they differ (Londres, Munique: D411), also
  // but for the tagger's training.
  for (const w of written ? cities() : [...cities(), ...foldedSpellings().cities, ...exonyms()]) {
    const parts = w.split(/[ -]/);
    if (parts.length === 1) add(w, PLACE);
    else for (const p of parts) if (p.length > 2) add(p, PLACE_PART);
  }
  for (const w of d.prefixes) add(w.replace(/\.$/, ''), TITLE);
  for (const w of d.streetSuffixes) add(w, STREET);
  for (const w of COMMON_WORDS.split(' ')) if (w !== '') add(w, COMMON);
  for (const [f, words] of CUE_CLASSES) for (const w of words.split(' ')) add(w, f);
  return new FlagTable(m);
}

/** The cue words of one class (a FLAGS bit), as written in CUE_CLASSES. */
export function cueWords(flag: number): readonly string[] {
  const out: string[] = [];
  for (const [f, words] of CUE_CLASSES) if (f === flag) out.push(...words.split(' '));
  return out;
}

/** The dictionary and cue flags of one word (FLAGS bits). */
export function wordFlags(word: string): number {
  return flagsTable().get(wordHash(word));
}

/** Internal: the flag bits, for the training script and the rules' last look. */
export const FLAGS = {
  FIRST,
  LAST,
  PLACE,
  PLACE_PART,
  TITLE,
  STREET,
  COMMON,
  STRONG,
  P_BEFORE,
  P_AFTER,
  L_BEFORE,
  CONJ,
  LABEL_P,
  LABEL_L,
  GAME,
  AMBIG,
} as const;

/** Multi-word places of the dictionaries, by the hash of their first word: their longest, in words. */
let phraseFirsts: Map<number, number> | undefined;
let phrases: Set<string> | undefined;

export function placePhrases(): { firsts: Map<number, number>; all: Set<string> } {
  if (phraseFirsts === undefined || phrases === undefined) {
    phraseFirsts = new Map();
    phrases = new Set();
    for (const list of [cities(), foldedSpellings().cities, dictionaries().places])
      for (const p of list) {
        const words = p.split(' ');
        if (words.length < 2 || words.length > 5 || !/^[\p{Ll}' ]+$/u.test(p)) continue;
        phrases.add(p);
        const h = wordHash(words[0] as string) | 0;
        phraseFirsts.set(h, Math.max(phraseFirsts.get(h) ?? 0, words.length));
      }
  }
  return { firsts: phraseFirsts, all: phrases };
}
