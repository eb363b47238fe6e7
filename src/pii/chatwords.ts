// Chat's words that the last look (lastlook.ts) reads around a span, as tables: contractions,
// elisions and spoken forms that are no one, chat's adverbs, a platform's roles, pets, feasts, teams
// and crews, game servers' regions, a game's items named after an owner, and "vs" (D326, D410).
import { wordKeys } from './chars.ts';

/** A game's items and powers, named after an owner before them (Diana's Bow, Hunter's Mark: D410). */
export const POSSESSED = wordKeys(
  'bow sword blade staff shield helm helmet ring amulet tome relic crown cloak gauntlets axe dagger hammer spear wand mark belt call wrath fury legacy curse blessing armor armour boots gloves heart tear eye fang claw edge',
);

/** "vs" and its kin after or before a team's name. */
export const VERSUS_AFTER = /^ (?:vs\.?|versus|v\.|gegen|contra) /i;

export const VERSUS_BEFORE = /(?:^|[^\p{L}])(?:vs\.?|versus|v\.|gegen|contra) $/iu;

/** The words for a pet before its name (my cat Luna, our dog Rex: D410). */
export const PETS = wordKeys(
  'cat cats dog dogs pet pets puppy kitten horse pony hamster rabbit bunny parrot bird dragon gato gata gatinho gatinha perro perra perrito perrita cachorro cachorra cadela chien chienne chat chatte chaton hund katze kater',
);

/** A pet's name by what follows it, after the rest of a list (gamewords.ts `afterList`): "is my cat", "and Stella are our dogs" (D410). */
export const PET_AFTER =
  /^,? (?:is|are|was|were) (?:my|our|his|her|their) (?:cats?|dogs?|pets?|pupp(?:y|ies)|kittens?|horses?|ponies|pony|hamsters?|rabbits?|bunn(?:y|ies)|parrots?|birds?)(?![\p{L}])/u;

/** Whose day a feast is (Valentine's day, St Patrick's Day, Mother's Day: D410). */
export const DAY_OWNERS = wordKeys('valentine valentin patrick mother father mothers fathers');

/** A team's, a crew's or a staff's word after a name, in lower case (Hello Verity team: D410). */
export const TEAM_AFTER = /^ (?:team|support|staff|crew|squad|devs|developers)(?![\p{L}])/u;

/** Roles of a platform, its staff and its support. */
export const ROLE_NOUNS = wordKeys(
  'moderator moderators mod mods admin admins administrator staff gm gms developer developers',
);

/** Points of the compass that name a game server's region after its code (EU West; D410). */
export const COMPASS = wordKeys('west east north south central northeast northwest southeast southwest');

/** The codes of game servers' regions before a point of the compass. */
export const REGION_CODES = wordKeys('eu na us sa oce latam lan las br kr jp asia sea me');

/** A French article, pronoun or conjunction elided before a word (l'autre, m'a, qu'il; D410). */
export const ELISION = /^(?:[cdjlmnst]|qu)['’]\p{L}+$/u;

/** English adverbs of chat some dictionaries hold as names, in lower case (maybe ping oskar: D410). */
export const ADVERBS = wordKeys(
  'maybe perhaps probably definitely actually literally basically honestly seriously pretty finally finalmente enfin endlich atentamente cordialement cordialmente',
);

/** Spoken forms of Portuguese chat (está, estou, não é, para, você, também, beleza; D410). */
export const SPOKEN_FORMS = wordKeys('tá tô tava tavam tamo né pra pro cê vc vcs tb tbm pq mto blz vlw flw');

/**
 * Verbs in the first person of the other four languages, which follow a name and "e", "y", "et"
 * or "und" as a list's next name would (Enzo Gabriel Oliveira e peço: D414).
 */
export const FIRST_PERSON_VERBS = wordKeys(
  'peço quero tenho sou estou vou posso preciso gostaria solicito pido quiero tengo soy estoy voy puedo necesito solicito quisiera demando veux voudrais suis vais peux dois ai souhaite habe bin will möchte kann muss brauche bitte aguardo espero agradeço agradezco ' +
    // and the imperatives that open chat's requests (manda o print, pasame tu whats).
    'manda passa pasame mira olha espera',
);

/** Pronouns and verbs of English chat before an apostrophe (she's, i'm, they're, can't; D326). */
export const CONTRACTION =
  /^(?:i|you|he|she|it|we|they|that|there|here|what|who|where|how|let|don|doesn|didn|can|couldn|won|wouldn|shouldn|isn|aren|wasn|weren|hasn|haven|ain|y)['’]\p{L}+$/u;

/** The bare verbs of what people do, after a question's subject (what did chioma post: D412). */
export const BARE_DEEDS_WORDS = 'post say leave join quit win carry get send text reply stream';
