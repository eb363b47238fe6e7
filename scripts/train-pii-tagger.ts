// Trains the PII scanner's name and place tagger (src/pii/tagger.ts, D100) and writes its weights
// to src/pii/data/tagger.jsonl. Deterministic (fixed seed, fixed order): the same code and
// dictionaries give the same file.
//
//   sh scripts/node.sh scripts/train-pii-tagger.ts
//
// Training data is generated here, from the sentence frames below (written for training only,
// apart from the evaluation corpus's structures in scripts/pii-eval-source.ts) filled with the
// scanner's own name and place dictionaries (src/pii/data/names-places.jsonl, from faker's MIT
// locale data), the world's larger cities (src/pii/data/cities.jsonl, GeoNames) and with look-alike
// words written here. No labeled corpus is read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writtenDictionaries } from '../src/pii/dictionaries.ts';
import { candidate, FEATURE_BITS, features, MAX_FEATURES, serializeModel, TAGS } from '../src/pii/tagger.ts';
import { type Tokens, tokenize } from '../src/pii/tokens.ts';
import { cities, flagsTable } from '../src/pii/wordflags.ts';

export const MODEL_PATH = join(import.meta.dirname, '..', 'src', 'pii', 'data', 'tagger.jsonl');
const SEED = 20261127;
const SENTENCES = 60000;
const EPOCHS = 6;
/** Share of entity tokens trained without their dictionary flags. */
const DROPOUT = 0.3;

/**
 * Frames: {P} a full name, {F} a given name, {L} a family name, {C} a place, {X} a look-alike
 * (capitalized, no personal data). Languages: English, German, French, Spanish, Portuguese.
 */
const FRAMES: readonly string[] = [
  // English chat: greetings, thanks, lists, speech verbs, people around the player.
  '{F} is online now',
  'hey {F} whats up',
  'hi {F}!',
  'hello {P}, welcome back',
  'yo {F} you coming?',
  'thx {F} for the help',
  'cheers {F}, that was clutch',
  'gg {F} and {F}',
  'gg {F}, {F} and {F}',
  'i played with {F}, {F} and {F} yesterday',
  '{F} and {F} are in voice',
  '{F}, {F} and {F} are queueing',
  'me and {F} are heading out',
  'me and {F} went to {C} last summer',
  '{P} and {P} won the finals',
  'talk to {P} about the event',
  'ask {F} about it',
  'tell {F} to log in',
  'ping {F} when ready',
  'dm {F} for the code',
  'please forward this to {P}',
  'the ticket was opened by {P}',
  'spoke with {P} today',
  'invite {F} to the party',
  'carried by {F} again',
  '{P} said the server is down',
  '{F} said {F} is late',
  '{F} says hi',
  '{F} wants to trade',
  '{F} just joined the guild',
  '{F} left the raid',
  'so {F} told me {F} quit',
  'i think {P} is the new officer',
  'apparently {F} got promoted',
  'did {F} leave already?',
  'where is {F}',
  'is {F} streaming tonight',
  "{P}'s stream starts at 8",
  "that was {F}'s idea",
  "{P}'s payment failed twice",
  'anyone seen {F} or {F} today',
  'my brother {F} plays too',
  'my cousin {F} moved to {C}',
  'my friend {P} from {C} joined',
  'her sister {F} lives near {C}',
  'our coach {P} is strict',
  'signed, {P}',
  'regards, {P}',
  'best, {F}',
  'love you {F}',
  'congrats {F}!!',
  'welcome {F} to the clan',
  // English support and profile text.
  'Mr {L} called again',
  'Mrs. {L} asked for a refund',
  'Dr {P} will review it',
  'Ms {P} reported a bug',
  'my name is {P}',
  'i am {F} from {C}',
  "i'm {P}, nice to meet you",
  'this is {P} from support',
  'Customer {P} disputes the charge',
  'Refund approved for {P} today',
  'Account holder {P} asked to close the account',
  'Escalated by {P} after two emails',
  'Player {P} was banned by mistake',
  'User {F} {L} cannot log in',
  'The order for {P} shipped from {C}',
  'According to {P}, the payment failed',
  'Please reach {P} at the number on file',
  'Assigned to {P} in billing',
  '{P} (player since 2019) asks for a refund',
  'Name: {P}',
  'Name: {P} | City: {C}',
  'Full name: {P}, country: {C}',
  'Holder: {P} / Location: {C}',
  'Location: {C}, {C}',
  'City: {C}',
  'Hometown: {C}',
  'Address: 12 Station Road, {C}',
  'Lives in {C}. Plays support.',
  'Based in {C}, streaming weekends',
  'From {C} originally, now in {C}',
  // Places.
  'she lives in {C}',
  'we moved to {C} in june',
  'moved from {C} to {C} last year',
  'flying from {C} to {C} tonight',
  'anyone near {C}?',
  'anyone else from {C}',
  'greetings from {C}',
  'the shop ships from {C}, {C}',
  'i grew up in {C} but live in {C} now',
  'it rains a lot in {C}',
  'back in {C} for the holidays',
  'she is visiting {C} next week',
  'he was born in {C}',
  'we met in {C} at the con',
  '{C} is so hot this week',
  'lag is bad from {C}',
  'servers in {C} are down',
  'road trip to {C} and {C}',
  'i live near {C}, close to {C}',
  'currently in {C} for work',
  '{C} area, hmu',
  'grew up around {C}',
  '{P} ({C})',
  '{P}, {C}',
  // German.
  'hallo {F}, wie gehts?',
  'danke {F}!',
  'moin {F}',
  '{F} und {F} spielen heute',
  '{F}, {F} und {F} sind online',
  'frag mal {F}',
  'sag {F} bescheid',
  '{F} sagt, der Server ist down',
  'ich komme aus {C}',
  'sie wohnt in {C}',
  'wir fahren nach {C}',
  'mein Bruder {F} spielt auch',
  'Herr {L} hat angerufen',
  'Frau {P} wartet auf Antwort',
  'Kunde {P} möchte eine Erstattung',
  'Name: {P}, Wohnort: {C}',
  'Stadt: {C}',
  'mit freundlichen Grüßen, {P}',
  'Ich heiße {F} und wohne in {C}',
  'ich bin {F} aus {C}',
  "{P}'s Konto wurde gesperrt",
  // French.
  'salut {F} ça va?',
  'merci {F}',
  'coucou {F}',
  '{F} et {F} arrivent',
  '{F}, {F} et {F} sont là',
  'demande à {F}',
  '{F} dit que le serveur est en panne',
  'je vis à {C}',
  'elle vient de {C}',
  'on part à {C} demain',
  'mon frère {F} joue aussi',
  'Madame {L} a écrit',
  'Monsieur {P} attend',
  'Le client {P} demande un remboursement',
  'Nom : {P}, Ville : {C}',
  'Ville : {C}',
  "je m'appelle {P}",
  'je suis {F}, de {C}',
  'cordialement, {P}',
  // Spanish.
  'hola {F}, qué tal?',
  'gracias {F}',
  '{F} y {F} están listos',
  '{F}, {F} y {F} ganaron',
  'pregúntale a {F}',
  '{F} dice que no puede',
  'vivo en {C}',
  'soy de {C}',
  'me mudé a {C}',
  'mi hermana {F} juega también',
  'el señor {P} escribió',
  'la señora {L} llamó',
  'El cliente {P} pide un reembolso',
  'Nombre: {P}, Ciudad: {C}',
  'me llamo {P}',
  'soy {F}, de {C}',
  'saludos, {P}',
  // Portuguese.
  'oi {F}, tudo bem?',
  'valeu {F}',
  'obrigado {F}',
  '{F} e {F} chegaram',
  '{F}, {F} e {F} estão on',
  'fala com {F}',
  '{F} disse que vem',
  'moro em {C}',
  'sou de {C}',
  'me mudei para {C}',
  'meu primo {F} joga também',
  'o senhor {P} ligou',
  'a senhora {L} pediu',
  'O cliente {P} pediu reembolso',
  'Nome: {P}, Cidade: {C}',
  'me chamo {P}',
  'sou o {F} de {C}',
  'abraços, {P}',
  // People anywhere in a sentence: after verbs and prepositions, opening it before what they did,
  // in lists closed by a time word; support and profile text of the five languages (D330).
  '{F} carried the whole team',
  '{F} stole my loot again',
  '{F} won three rounds in a row',
  '{P} has been banned twice',
  '{F} never answers in chat',
  '{F} is still at work',
  '{P} got the legendary drop',
  '{F} will host the next raid',
  "{F} can't join until friday",
  '{F} should be the shotcaller',
  '{F} healed us through the whole fight',
  '{P} left a review on the forum',
  'we beat {F} in the final',
  'i lost to {F} again',
  'nobody is better than {F}',
  'waiting for {F} to respawn',
  'blame {F} for that wipe',
  'huge thanks to {P} for organizing',
  'playing against {F} is no fun',
  'sitting next to {F} at the event',
  'grouped with {F} and {F} this morning',
  'running dungeons with {F} tonight',
  'built the base with {P}',
  'got a gift from {F}',
  'i owe {F} a favor',
  'vote for {F} as officer',
  'someone reported {F} for cheating',
  'the admins muted {P} yesterday',
  'we recruited {F} last week',
  'say happy birthday to {F}',
  '{F}, {F} and me are going tonight',
  '{F} and {F} left early today',
  'Requested by {P} on behalf of the guild',
  'Case 2231: {P} cannot access the account',
  'Issue raised by {P}: missing items',
  'Chargeback filed by {P} last month',
  'The account of {P} was restored',
  'We have credited {P} with 500 gems',
  'Please call {P} back before noon',
  'Note from {P}: the app crashes at login',
  'Player report against {P} reviewed',
  'On behalf of {P}, I request a deletion',
  'Der Spieler {P} meldet einen Fehler',
  'Ich habe mit {F} und {F} gespielt',
  '{F} hat gestern gewonnen',
  'gestern hat {F} uns getragen',
  'wir warten auf {F}',
  'Die Rückzahlung für {P} ist erledigt',
  'Bitte {P} zurückrufen',
  'Über mich: {F} aus {C}',
  'Le compte de {P} est bloqué',
  "j'ai croisé {F} et {F} ce matin",
  '{F} a tout raflé hier',
  'on attend {F} pour commencer',
  'Le remboursement pour {P} est validé',
  'La joueuse {P} demande de l’aide',
  'Profil : {F}, {C}, joue le soir',
  'salimos con {F} y {F} esta noche',
  '{F} nos llevó en la partida',
  'estamos esperando a {F}',
  'El reembolso de {P} ya está listo',
  'El jugador {P} perdió su cuenta',
  'Perfil: {F} de {C}, juego de noche',
  'saímos com {F} e {F} hoje',
  '{F} carregou o time ontem',
  'estamos esperando o {F}',
  'O reembolso de {P} foi aprovado',
  'A jogadora {P} perdeu a conta',
  'Perfil: {F} de {C}, jogo à noite',
  'Bio: {P} | {C} | tank main',
  // Look-alikes: capitalized words that are no name or place.
  '{X} is the best',
  'the {X} event starts soon',
  'we cleared {X} on hard mode',
  'reached {X} today',
  'finally hit {X} this season',
  'stuck in {X} again',
  'who has the {X}?',
  'in {X} the boss hits hard',
  'see you at {X}',
  'meet at {X} after reset',
  'loot from {X} is bad',
  '{X} and {X} are both good builds',
  'big {X} fan here',
  '{X} baby, {X} main',
  'Peak {X}. {X} fan.',
  'ich liebe {X}',
  'endlich {X} geschafft',
  'on joue à {X} ce soir',
  'enfin {X} cette saison',
  'vamos a {X} mañana',
  'por fin {X}',
  'bora fazer {X} hoje',
  'cheguei em {X}',
  'My {X} build is broken',
  'New patch for {X} today',
  'Thanks for the {X} tips',
  'Can someone explain {X}',
  'Is {X} worth it?',
  'Free {X} this weekend',
  'Pay by {X} or card',
  'Send the {X} please',
  'Status: {X}',
  'Subject: {X}',
  'Reference: {X}',
  'Betreff: {X}',
  'Objet : {X}',
  'Asunto: {X}',
  'Assunto: {X}',
  // Plain capitalized words opening support text (no names).
  'Refund issued after review',
  'Chargeback received from the bank',
  'Ticket closed by the system',
  'Delivery address updated',
  'Invoice attached below',
  'Rückerstattung wurde veranlasst',
  'Remboursement effectué hier',
  'Reembolso aprobado ayer',
  'Reembolso aprovado ontem',
];

/** Look-alikes written for training (game vocabulary, months and virtues, acronyms, titles). */
const RANKS =
  'Platinum Diamond Bronze Silver Gold Iron Master Grandmaster Challenger Champion Elite Legend Mythic Heroic Immortal Radiant Ascendant Onyx Obsidian Titanium'.split(
    ' ',
  );
const ZONE_A =
  'Drowned Burning Silent Forgotten Whispering Frozen Broken Hollow Crimson Ashen Gloom Thorn Raven Storm Ember Mist Grim Dusk Bone Iron'.split(
    ' ',
  );
const ZONE_B =
  'Sanctum Crypt Bastion Grotto Abyss Fortress Labyrinth Keep Temple Caverns Hollow Citadel Mines Depths Spire Ruins Vault Halls Reach Gate'.split(
    ' ',
  );
const ZONE_SUFFIX = 'vale reach moor fall spire gate mire holm wick crag'.split(' ');
const ITEMS = 'Sword Staff Shield Blade Bow Axe Dagger Helm Ring Amulet Tome Relic Crown Cloak Gauntlets'.split(' ');
const LOOKALIKES: readonly string[] = [
  ...RANKS.flatMap((r) => [r, `${r} II`, `${r} IV`, `${r} 3`, `${r} Tier`]),
  ...ZONE_A.flatMap((a) => ZONE_B.map((n) => `the ${a} ${n}`)),
  ...ZONE_A.flatMap((a) => ZONE_SUFFIX.map((x) => `${a}${x} ${ZONE_B[(a.length + x.length) % ZONE_B.length]}`)),
  ...ZONE_A.flatMap((a) => ITEMS.map((i) => `${a} ${i}`)),
  ...'January February March April May June July August September October November December Monday Tuesday Friday Sunday Christmas Easter Halloween Summer Winter Spring Autumn'.split(
    ' ',
  ),
  ...'Grace Hope Faith Joy Charity Honor Glory Destiny Liberty Justice Harmony Serenity Trinity Patience Dawn Sunny Pride Amber Storm'.split(
    ' ',
  ),
  ...'Discord Steam Twitch YouTube Reddit Minecraft Fortnite Valorant Overwatch PayPal Venmo Google Apple Amazon Netflix'.split(
    ' ',
  ),
  ...'IBAN SSN DOB PIN BIC SWIFT VAT GPS DLC XP HP MMR ELO NPC PvP PvE RMA SEPA'.split(' '),
  ...[
    'Bread and Butter',
    'Fire and Ice',
    'Cats and Dogs',
    'Light and Shadow',
    'Thunder and Lightning',
    'War and Peace',
    'Sun and Moon',
    'Rock and Roll',
    'Swords and Sorcery',
    'Knights and Castles',
  ],
  ...'Warrior Mage Rogue Paladin Druid Ranger Necromancer Bard Healer Tank Boss Dragon Phoenix Titan'.split(' '),
  ...'Pending Resolved Urgent Refund Chargeback Billing Shipping Delivery Invoice Complaint Rückerstattung Lieferung Remboursement Livraison Reembolso Envío Entrega Fatura'.split(
    ' ',
  ),
];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const title = (s: string) =>
  s
    .split(' ')
    .map((w) =>
      w.length > 3 || !/^(?:de|da|do|la|le|van|von|der|del|y|e)$/.test(w) ? w.charAt(0).toUpperCase() + w.slice(1) : w,
    )
    .join(' ');

interface Sentence {
  text: string;
  spans: { start: number; end: number; tag: number }[];
}

function generate(): Sentence[] {
  const r = rng(SEED);
  // Names and places as written, not their spellings without diacritics (data/foldings.jsonl):
  // those make the flags of what chat types, not more sentences to learn the words around names from.
  const d = writtenDictionaries();
  // Sorted so that the order (and so the model) depends only on the dictionaries' contents.
  const firsts = [...d.firstNames].filter((w) => /^[\p{L}'-]{2,}$/u.test(w)).sort();
  const lasts = [...d.lastNames].filter((w) => /^[\p{L}' -]{2,}$/u.test(w)).sort();
  const places = [...new Set([...d.places, ...cities()])]
    .filter((w) => /^[\p{L}' .-]{3,}$/u.test(w) && w.split(' ').length <= 3)
    .sort();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: Sentence[] = [];
  for (let n = 0; n < SENTENCES; n++) {
    const frame = pick(FRAMES);
    let text = '';
    const spans: Sentence['spans'] = [];
    for (const [k, part] of frame.split(/\{([A-Z])\}/).entries()) {
      if (k % 2 === 0) {
        // Plain words capitalized now and then (German nouns, headings, sentence starts): a
        // capital letter alone is no name.
        text += part.replace(/\p{Ll}[\p{L}']{2,}/gu, (w) => (r() < 0.12 ? w.charAt(0).toUpperCase() + w.slice(1) : w));
        continue;
      }
      let value: string;
      let tag = 0;
      if (part === 'P') {
        const x = r();
        value = `${title(pick(firsts))} ${x < 0.15 ? `${String.fromCharCode(65 + Math.floor(r() * 26))}. ` : ''}${title(pick(lasts))}${x > 0.85 ? ` ${title(pick(lasts))}` : ''}`;
        tag = 1;
      } else if (part === 'F') {
        value = title(pick(firsts));
        tag = 1;
      } else if (part === 'L') {
        value = title(pick(lasts));
        tag = 1;
      } else if (part === 'C') {
        value = title(pick(places));
        tag = 2;
      } else value = pick(LOOKALIKES);
      const start = text.length;
      text += value;
      if (tag !== 0) spans.push({ start, end: text.length, tag });
    }
    const x = r();
    if (x < 0.4) text = text.toLowerCase();
    else if (x < 0.7) text = text.charAt(0).toUpperCase() + text.slice(1);
    out.push({ text, spans });
  }
  return out;
}

/** Trains the averaged perceptron; returns the averaged weights. */
export function train(): Float32Array {
  const data = generate();
  const nc = TAGS.length;
  const size = (1 << FEATURE_BITS) * nc;
  const w = new Float32Array(size);
  const u = new Float64Array(size);
  const feats = new Int32Array(MAX_FEATURES);
  const r = rng(SEED + 1);
  let c = 1;
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    // Fisher-Yates with the seeded generator: the same order on every run.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const idx of order) {
      const s = data[idx] as Sentence;
      const t: Tokens = tokenize(s.text, undefined, flagsTable(true));
      // Dictionary dropout: a third of the names and places lose their dictionary flags, as names
      // the dictionaries lack would, so the model learns the words around a name too.
      for (let k = 0; k < t.n; k++) {
        const start = t.start[k] as number;
        if (s.spans.some((sp) => start >= sp.start && start < sp.end) && r() < DROPOUT) t.flags[k] = 0;
      }
      let prevGold = 0;
      let prev2Gold = 0;
      for (let k = 0; k < t.n; k++) {
        const start = t.start[k] as number;
        const gold = s.spans.find((sp) => start >= sp.start && start < sp.end)?.tag ?? 0;
        if (!candidate(t, k)) {
          prev2Gold = prevGold;
          prevGold = 0;
          continue;
        }
        const nf = features(t, k, prevGold, prev2Gold, feats);
        let best = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let y = 0; y < nc; y++) {
          let sc = 0;
          for (let i = 0; i < nf; i++) sc += w[(feats[i] as number) * nc + y] as number;
          if (sc > bestScore) {
            bestScore = sc;
            best = y;
          }
        }
        if (best !== gold) {
          for (let i = 0; i < nf; i++) {
            const base = (feats[i] as number) * nc;
            w[base + gold] = (w[base + gold] as number) + 1;
            u[base + gold] = (u[base + gold] as number) + c;
            w[base + best] = (w[base + best] as number) - 1;
            u[base + best] = (u[base + best] as number) - c;
          }
        }
        c++;
        prev2Gold = prevGold;
        prevGold = gold;
      }
    }
  }
  const avg = new Float32Array(size);
  for (let i = 0; i < size; i++) avg[i] = (w[i] as number) - (u[i] as number) / c;
  return avg;
}

if (import.meta.main) {
  const weights = train();
  writeFileSync(
    MODEL_PATH,
    serializeModel(weights, {
      trainedBy: 'scripts/train-pii-tagger.ts',
      seed: SEED,
      sentences: SENTENCES,
      epochs: EPOCHS,
      source:
        'frames in scripts/train-pii-tagger.ts filled from src/pii/data/names-places.jsonl (faker locale data, MIT) and src/pii/data/cities.jsonl (GeoNames, CC BY 4.0)',
      license:
        'MIT (dictionary words from @faker-js/faker); city names from GeoNames (CC BY 4.0); frames and weights Apache-2.0 as Verity',
    }),
  );
  process.stdout.write(`wrote ${MODEL_PATH}\n`);
}
