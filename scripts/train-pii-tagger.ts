// Trains the PII scanner's name and place tagger (src/pii/tagger.ts, D100) and writes its weights
// to src/pii/data/tagger.jsonl. Deterministic (fixed seed, fixed order): the same code and
// dictionaries give the same file.
//
//   sh scripts/node.sh scripts/train-pii-tagger.ts
//
// Training data is generated here, from the sentence frames below (written for training only,
// apart from the evaluation corpus's structures in scripts/pii-eval-source.ts) filled with the
// scanner's own name and place dictionaries (src/pii/data/names-places.jsonl, from faker's MIT
// locale data) and with look-alike words written here. No labeled corpus is read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dictionaries } from '../src/pii/dictionaries.ts';
import {
  candidate,
  FEATURE_BITS,
  features,
  MAX_FEATURES,
  serializeModel,
  TAGS,
  type Tokens,
  tokenize,
} from '../src/pii/tagger.ts';

export const MODEL_PATH = join(import.meta.dirname, '..', 'src', 'pii', 'data', 'tagger.jsonl');
const SEED = 20261127;
const SENTENCES = 36000;
const EPOCHS = 6;
/** Share of entity tokens trained without their dictionary flags. */
const DROPOUT = 0.3;

/**
 * Frames: {P} a full name, {F} a given name, {L} a family name, {C} a place, {X} a look-alike
 * (capitalized, no personal data). Languages: English, German, French, Spanish, Portuguese.
 */
const FRAMES: readonly string[] = [
  '{F} is online now',
  'hey {F} whats up',
  'hi {F}!',
  'hello {P}, welcome back',
  'yo {F} you coming?',
  'thx {F} for the help',
  'gg {F} and {F}',
  'i played with {F}, {F} and {F} yesterday',
  '{F} and {F} are in voice',
  '{P} and {P} won the finals',
  'talk to {P} about the event',
  'ask {F} about it',
  'please forward this to {P}',
  'the ticket was opened by {P}',
  'spoke with {P} today',
  'invite {F} to the party',
  '{P} said the server is down',
  "{P}'s stream starts at 8",
  "that was {F}'s idea",
  'signed, {P}',
  'regards, {P}',
  'best, {F}',
  'Mr {L} called again',
  'Mrs. {L} asked for a refund',
  'Dr {P} will review it',
  'my brother {F} plays too',
  'my name is {P}',
  'i am {F} from {C}',
  'this is {P} from support',
  'she lives in {C}',
  'we moved to {C} in june',
  'flying from {C} to {C} tonight',
  'anyone near {C}?',
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
  '{P} ({C})',
  '{P}, {C}',
  'hallo {F}, wie gehts?',
  'danke {F}!',
  '{F} und {F} spielen heute',
  'ich komme aus {C}',
  'sie wohnt in {C}',
  'wir fahren nach {C}',
  'Herr {L} hat angerufen',
  'Frau {P} wartet auf Antwort',
  'mit freundlichen Grüßen, {P}',
  'salut {F} ça va?',
  'merci {F}',
  '{F} et {F} arrivent',
  'je vis à {C}',
  'elle vient de {C}',
  'Madame {L} a écrit',
  'Monsieur {P} attend',
  'cordialement, {P}',
  'hola {F}, qué tal?',
  'gracias {F}',
  '{F} y {F} están listos',
  'vivo en {C}',
  'soy de {C}',
  'el señor {P} escribió',
  'la señora {L} llamó',
  'saludos, {P}',
  'oi {F}, tudo bem?',
  'valeu {F}',
  '{F} e {F} chegaram',
  'moro em {C}',
  'sou de {C}',
  'o senhor {P} ligou',
  'a senhora {L} pediu',
  'abraços, {P}',
  // Look-alikes: capitalized words that are no name or place.
  '{X} is the best',
  'the {X} event starts soon',
  'we cleared {X} on hard mode',
  'reached {X} today',
  'who has the {X}?',
  'in {X} the boss hits hard',
  'see you at {X}',
  '{X} and {X} are both good builds',
  'ich liebe {X}',
  'on joue à {X} ce soir',
  'vamos a {X} mañana',
  'bora fazer {X} hoje',
  'My {X} build is broken',
  'New patch for {X} today',
  'Thanks for the {X} tips',
  'Can someone explain {X}',
  'Is {X} worth it?',
  'Free {X} this weekend',
];

/** Look-alikes written for training (apart from the evaluation corpus's lists). */
const LOOKALIKES: readonly string[] = [
  ...'Platinum Diamond Bronze Silver Gold Iron Master Grandmaster Challenger Elite Legend Mythic Heroic'
    .split(' ')
    .flatMap((r) => [r, `${r} II`, `${r} IV`]),
  ...['Drowned', 'Burning', 'Silent', 'Forgotten', 'Obsidian', 'Whispering', 'Frozen', 'Broken'].flatMap((a) =>
    ['Sanctum', 'Crypt', 'Bastion', 'Grotto', 'Abyss', 'Fortress', 'Labyrinth'].map((n) => `the ${a} ${n}`),
  ),
  ...'January February March April May June July August September October November December Monday Tuesday Friday Sunday Christmas Easter Halloween'.split(
    ' ',
  ),
  ...'Grace Hope Faith Joy Charity Honor Glory Destiny Liberty Justice Harmony Serenity Trinity'.split(' '),
  ...'Discord Steam Twitch YouTube Reddit Minecraft Fortnite Valorant Overwatch PayPal Venmo Google Apple Amazon Netflix'.split(
    ' ',
  ),
  ...'IBAN SSN DOB PIN BIC SWIFT VAT GPS DLC XP HP MMR ELO NPC PvP PvE'.split(' '),
  ...[
    'Bread and Butter',
    'Fire and Ice',
    'Cats and Dogs',
    'Light and Shadow',
    'Thunder and Lightning',
    'War and Peace',
  ],
  ...'Warrior Mage Rogue Paladin Druid Ranger Necromancer Bard Healer Tank Boss Dragon Phoenix Titan'.split(' '),
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
  const d = dictionaries();
  // Sorted so that the order (and so the model) depends only on the dictionaries' contents.
  const firsts = [...d.firstNames].filter((w) => /^[\p{L}'-]{2,}$/u.test(w)).sort();
  const lasts = [...d.lastNames].filter((w) => /^[\p{L}' -]{2,}$/u.test(w)).sort();
  const places = [...d.places].filter((w) => /^[\p{L}' .-]{3,}$/u.test(w) && w.split(' ').length <= 3).sort();
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
      const t: Tokens = tokenize(s.text);
      // Dictionary dropout: a third of the names and places lose their dictionary flags, as names
      // the dictionaries lack would, so the model learns the words around a name too.
      for (let k = 0; k < t.n; k++) {
        const start = t.start[k] as number;
        if (s.spans.some((sp) => start >= sp.start && start < sp.end) && r() < DROPOUT) t.flags[k] = 0;
      }
      let prevGold = 0;
      for (let k = 0; k < t.n; k++) {
        const start = t.start[k] as number;
        const gold = s.spans.find((sp) => start >= sp.start && start < sp.end)?.tag ?? 0;
        if (!candidate(t, k)) {
          prevGold = 0;
          continue;
        }
        const nf = features(t, k, prevGold, feats);
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
        'frames in scripts/train-pii-tagger.ts filled from src/pii/data/names-places.jsonl (faker locale data, MIT)',
      license: 'MIT (dictionary words from @faker-js/faker); frames and weights Apache-2.0 as Verity',
    }),
  );
  process.stdout.write(`wrote ${MODEL_PATH}\n`);
}
