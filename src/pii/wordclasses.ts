// The last look's own classes of words (D325-D327, D330), by bit in one table by word hash: look-alikes
// of names and places in chat and support text that the tagger's flags leave out, so that its
// weights and what it finds stay as trained. Lists of words, read by lastlook.ts.
import { wordHash } from './chars.ts';
import { plainGivenNames } from './dictionaries.ts';
import { NAME_PARTICLE_WORDS } from './lexicon.ts';
import { FlagSlots } from './wordflags.ts';

/**
 * Payment services, platforms and stores named in chat and support text: capitalized like names
 * (Venmo, Revolut, Wise), never a person or a place on their own.
 */
const SERVICES_WORDS =
  'venmo paypal zelle revolut wise skrill payoneer neteller paysafecard klarna sofort bizum mbway pix cashapp stripe steam discord twitch youtube tiktok instagram facebook twitter reddit telegram whatsapp snapchat xbox playstation nintendo battlenet epic origin uplay gog itunes spotify netflix ' +
  // Card brands and game publishers (Amex, Blizzard pls: D414).
  'amex visa mastercard maestro blizzard riot valve ubisoft bethesda mojang capcom bungie activision rockstar sega konami hoyoverse mihoyo supercell nike adidas puma reebok gucci prada balenciaga';

/**
 * Game ranks in German, French, Spanish and Portuguese (the tagger's game words are English), and
 * the tier word some games close a character's or an item's name with (Nova Prime: D410).
 */
const RANKS_WORDS = 'platin diamant argent platine hierro plata oro platino diamante ferro prata ouro platina prime';

/**
 * Words said to a group after a greeting or thanks, or standing where a name would (Olá, aqui é a
 * Benedita): never a name alone (galera, beaucoup, everyone, aqui).
 */
const ADDRESSEES_WORDS =
  'voici voilà aqui aquí ici galera pessoal gente mesmo demais beaucoup vraiment infiniment mucho muchas muito vielmals everyone everybody everybody y’all yall alle leute jungs tous gars mecs todos todas amigos chicos chicas squad fam damen herren messieurs mesdames señores señoras senhores senhoras';

/**
 * Words of game titles and characters that some people are named after, judged like the tagger's
 * month and virtue words (alone, a name only after a strong cue; two joined by "and", a title):
 * virtues and powers (Mercy, Valor, Honor and Glory), elements (Frost and Flame), the classes
 * players pick (Hunter, Warlock). Here, not among the tagger's flags, so that its weights and what it
 * finds stay as trained (D325).
 */
const PLAIN_WORDS =
  'meta mercy valor valour courage bravery loyalty sacrifice vengeance redemption wisdom power victory fortune wrath fury chaos honor honour glory frost flame fire ice shadow light thunder void hunter warlock priest shaman monk knight assassin sorcerer warrior mage rogue paladin druid ranger necromancer bard healer';

/** A team game's lanes and map positions (push in mid, gank top): plain words, no place (D383). */
const LANE_WORDS = 'mid top bot jungle midlane toplane botlane';

/** Chat's spoken contractions (Gonna stream tonight): plain words, no one (D399). */
const SPOKEN_WORDS = 'gonna wanna gotta lemme gimme kinda sorta dunno';

/** Nouns of the other four languages that chat capitalizes and no one is named (14:12 Uhr, Team für Turnier, Nota do moderador), and English's price (Price check:) (D414). */
const NOUNS_WORDS =
  'uhr turnier nota price hauptmann leutnant feldwebel oberst sargento comandante tenente capitão capitao sargent teniente coronel';

/**
 * Question and function words of German, French, Spanish and Portuguese that open a sentence with a
 * capital (Wann kommt das Event?, Quand est-ce que ...): plain words, judged as PLAIN_WORDS (D368).
 */
const FUNCTION_WORDS =
  'wann warum wieso weshalb wer wie wo woher wohin was welche welcher welches dann denn doch noch schon auch aber oder quand pourquoi comment où qui quoi cuándo cuando porqué dónde donde quién quien cómo quando porque onde quem cadê';

/** Nouns closing the name of a game's event or landmark (Summer Festival, Ironforge Bridge, the Old Mill; D325). */
const ZONE_LAST_WORDS =
  'festival fest carnival tournament mill bridge tavern forge lighthouse windmill docks mago lair turm festung höhle gruft wastes wastelands barrens wilds expanse abyss rift outpost bastion stronghold ' +
  // A weapon's noun closing an item's name (Dragonbone Greatsword: D414).
  'greatsword longsword broadsword greataxe warhammer longbow crossbow castle chronicles saga remastered';

/** Virtues, hopes and graces of the other four languages that are given names too (D103's class). */
const VIRTUES_WORDS =
  'esperanza esperança paciencia paciência gracia graça caridad caridade fe fé gloria glória alegría alegria fidelidad felicidad felicidade dicha hoffnung glaube ehre geduld gnade freude espérance grâce gloire charité patience joie fidélité';

/**
 * Weekdays of German, French, Spanish and Portuguese, capitalized at a sentence's start or in
 * German (the English ones are month and day words of the tagger's AMBIG class).
 */
const WEEKDAYS_WORDS =
  'montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag lundi mardi mercredi jeudi vendredi samedi dimanche lunes martes miércoles miercoles jueves viernes sábado sabado domingo segunda terça terca quarta quinta sexta segunda-feira terça-feira terca-feira quarta-feira quinta-feira sexta-feira ' +
  // German abbreviations (Raidzeiten Mi + So: D414); not Mo (a name) nor Do (a particle).
  'di mi fr sa so';

/** Holidays named like towns (Natal, Navidad): a place only after a place cue. */
const HOLIDAYS_WORDS =
  'natal navidad noël noel pascua páscoa ostern easter christmas weihnachten pentecost ramadan eid diwali hanukkah hanukah kwanzaa halloween thanksgiving xmas nowruz carnaval carnival karneval fasching heiligabend silvester toussaint';

/** Labels of a phone number, abbreviated with a dot in the five languages (D325). */
const PHONE_LABELS_WORDS = 'tel tél fon mob handy telef tlf fax';

/**
 * Words of companies, teams and a company's departments (Riot Games, Tech Support, Team Liquid, Mod
 * Squad, el Soporte): a span they close, open or follow is no one (D327).
 */
const ORG_WORDS =
  'support service services team teams games studio studios entertainment interactive software labs squad crew clan clans guild gilde guilde clã clãs gremio hermandad irmandade staff mods moderators admins admin devs developers dev company inc ltd llc gmbh corp billing helpdesk kundendienst kundenservice kundensupport soporte atención equipo equipe équipe suporte atendimento serviço servicio safety ' +
  // Esports' and clans' names by their last word (Vortex Gaming, Crimson Owls, Northern Wolves: D414).
  'gaming esports wolves owls tigers lions eagles hawks falcons dragons titans warriors ravens bears sharks panthers foxes vipers';
/**
 * Words that name a kind of personal data, as a form or a support text asks for it in the five
 * languages (Nom, Prénom et Adresse; Geburtsdatum und Wohnort; Nome, Sobrenome e Endereço): the
 * field, never the person or the place it would hold (D348).
 */
const FIELD_WORDS =
  'name names fullname firstname lastname surname forename username nickname address addresses email e-mail phone telephone mobile birthday birthdate dob birthplace hometown postcode zipcode passport password vorname nachname familienname benutzername spitzname adresse anschrift wohnort geburtsort geburtsdatum geburtstag telefon telefonnummer handynummer mobilnummer rufnummer kundennummer postleitzahl staatsangehörigkeit passwort kontonummer nom prénom prenom surnom pseudo courriel téléphone naissance anniversaire identifiant nombre apellido apellidos dirección direccion correo teléfono telefono nacimiento cumpleaños usuario contraseña nome sobrenome apelido endereço endereco telefone telemóvel telemovel nascimento aniversário aniversario usuário senha';
/** Words for a person in lower case (a guy named Thaddeus): the noun, not the name that follows (D353). */
// With the words for a parent or a grandparent that chat uses alone (mi mamá dice: D410).
const PEOPLE_NOUN_WORDS =
  'guy guys girl girls dude dudes bro bros sis man woman kid boy player someone somebody mom mum dad mama mamá papa papá maman mère père mãe pai mutti vati grandma grandpa oma opa abuela abuelo avó avô vovó vovô ' +
  // Nationalities, written in lower case for the people (a filipino club: D414).
  'filipino filipina filipinos brazilian brazilians mexican mexicans german germans french spanish italian italians polish russian russians ukrainian chinese japanese korean koreans indian indians pakistani nigerian nigerians kenyan turkish greek dutch swedish norwegian danish finnish irish scottish welsh british american americans canadian canadians australian aussie argentinian argentine colombian chilean peruvian venezuelan cuban portuguese egyptian moroccan vietnamese thai indonesian malaysian iranian arab saudi';
/**
 * The indefinite pronouns of the five languages (anyone from lagos, Quelqu'un de Lille, alguém de
 * curitiba): someone unnamed, never a name or a place, in any case (D356); and English contractions
 * typed without their apostrophe (yo whats up, thats jamal), which are no one either (D371).
 */
const PRONOUN_WORDS =
  "anyone anybody everyone everybody someone somebody nobody noone no-one whoever jemand niemand irgendwer quelqu'un quelqu’un alguien nadie alguém ninguém whats thats hows wheres theres dont doesnt didnt cant wont isnt wasnt arent werent youre theyre shes hes whos heres lets ive";
/** A month's short name before a day (Jan 1st, Sep 30): a date, not Jan the person (D325). */
const MONTH_SHORT_WORDS = 'jan feb mar apr jun jul aug sep sept oct nov dec';
// The classes by bit, in one table by word hash (as the dictionary flags are, wordflags.ts): a
// span's last word is looked up once, not once per class (D325).
export const SERVICE = 1;
export const RANK = 2;
export const ADDRESSEE = 4;
export const PLAIN_WORD = 8;
export const ZONE_END = 16;
export const VIRTUE = 32;
export const WEEKDAY = 64;
export const HOLIDAY = 128;
export const PHONE_LABEL = 256;
export const MONTH_ABBR = 512;
export const ORG = 1024;
export const FIELD = 2048;
/** A given name that is a common English word (fine, chance, will): data/plain-names.jsonl (D350). */
export const PLAIN_NAME = 4096;
export const PEOPLE_NOUN = 8192;
export const PRONOUN = 16384;
export const NAME_PARTICLE = 32768;
// A FlagSlots, not a FlagTable: the table is small, and a FlagTable's own cache of recent words
// (32 KB) cost more than it saved beside the other tables (D414).
let classTable: FlagSlots | undefined;
export function classesOf(hash: number): number {
  if (classTable === undefined) {
    const m = new Map<number, number>();
    const lists: readonly (readonly [string, number])[] = [
      [SERVICES_WORDS, SERVICE],
      [RANKS_WORDS, RANK],
      [ADDRESSEES_WORDS, ADDRESSEE],
      [PLAIN_WORDS, PLAIN_WORD],
      [FUNCTION_WORDS, PLAIN_WORD],
      [LANE_WORDS, PLAIN_WORD],
      [SPOKEN_WORDS, PLAIN_WORD],
      [NOUNS_WORDS, PLAIN_WORD],
      [ZONE_LAST_WORDS, ZONE_END],
      [VIRTUES_WORDS, VIRTUE],
      [WEEKDAYS_WORDS, WEEKDAY],
      [HOLIDAYS_WORDS, HOLIDAY],
      [PHONE_LABELS_WORDS, PHONE_LABEL],
      [MONTH_SHORT_WORDS, MONTH_ABBR],
      [ORG_WORDS, ORG],
      [FIELD_WORDS, FIELD],
      [PEOPLE_NOUN_WORDS, PEOPLE_NOUN],
      [PRONOUN_WORDS, PRONOUN],
      [NAME_PARTICLE_WORDS, NAME_PARTICLE],
    ];
    for (const [words, bit] of lists)
      for (const w of words.split(' ')) {
        const h = wordHash(w);
        m.set(h, (m.get(h) ?? 0) | bit);
      }
    for (const w of plainGivenNames()) {
      const h = wordHash(w);
      m.set(h, (m.get(h) ?? 0) | PLAIN_NAME);
    }
    classTable = new FlagSlots(m);
  }
  return classTable.get(hash);
}
