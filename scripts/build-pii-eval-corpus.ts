// Builds Verity's independent PII evaluation corpus (docs/pii-corpus.md) from the hand-written
// lists and structures in scripts/pii-eval-source.ts, with a fixed seed, into
// test/fixtures/pii-eval/tune.jsonl and heldback.jsonl. The scanner is never consulted: labels come
// from the slots the builder fills. Run it only to change the corpus (the figures move with it):
//
//   sh scripts/node.sh scripts/build-pii-eval-corpus.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { LOOKALIKES, NAMES, PLACES, STRUCTURES } from './pii-eval-source.ts';

export const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'pii-eval');
const SEED = 0x5eed_2026;
const TOTAL = 2400;
/** Share of messages with no personal data (look-alikes only). */
const NEGATIVE_SHARE = 0.3;

/** mulberry32: a small seeded generator, so the corpus is the same on every machine. */
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

export interface Entity {
  type: string;
  start: number;
  end: number;
  value: string;
}
export interface Example {
  text: string;
  entities: Entity[];
  lang: string;
  register: string;
  structure: number;
}

/** Slots that carry personal data: a structure with one of them is a positive structure. */
const POSITIVE_SLOT = /\{(?:P[23]?|F[23]?|L|C2?|K|A|PH|E|CC|IB|IP|IP6P?|U|W|S|D)\}/;

/** A filled slot: text before the entity, the entity, text after (e.g. "the " Philippines). */
type Filled = { pre?: string; value: string; type?: string; post?: string };

export function buildCorpus(): { tune: Example[]; heldback: Example[] } {
  const r = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const digits = (n: number) => Array.from({ length: n }, () => int(0, 9)).join('');

  const nameLang = (lang: string) => (r() < 0.3 ? 'world' : lang in NAMES ? lang : 'en');
  const first = (lang: string) => pick((NAMES[nameLang(lang)] as { first: readonly string[] }).first);
  const last = (lang: string) => pick((NAMES[nameLang(lang)] as { last: readonly string[] }).last);
  const fullName = (lang: string): string => {
    const l = nameLang(lang);
    const n = NAMES[l] as { first: readonly string[]; last: readonly string[] };
    const f = pick(n.first);
    const x = r();
    if (l === 'es' && x < 0.4) return `${f} ${pick(n.last)} ${pick(n.last)}`;
    if (l === 'pt' && x < 0.3) return `${f} ${pick(n.last)} ${pick(n.last)}`;
    if (l === 'en' && x < 0.2) return `${f} ${String.fromCharCode(65 + int(0, 25))}. ${pick(n.last)}`;
    return `${f} ${pick(n.last)}`;
  };
  const places = (lang: string) => PLACES[lang] ?? (PLACES['en'] as (typeof PLACES)['en']);
  const country = (lang: string): Filled => {
    const k = pick(places(lang).countries);
    const m = /^(the |der )(.*)$/.exec(k);
    return m === null
      ? { value: k, type: 'LOCATION' }
      : { pre: m[1] as string, value: m[2] as string, type: 'LOCATION' };
  };
  const address = (lang: string): string => {
    const p = places(lang);
    const street = pick(p.streets);
    const city = pick(p.cities);
    const n = int(1, 240);
    switch (lang) {
      case 'de':
        return `${street} ${n}, ${int(10, 99)}${digits(3)} ${city}`;
      case 'fr':
        return `${n} ${street}, ${int(10, 95)}${digits(3)} ${city}`;
      case 'es':
        return r() < 0.5 ? `${street} ${n}, ${int(10, 52)}${digits(3)} ${city}` : `${street}, ${n}, ${city}`;
      case 'pt':
        return r() < 0.5 ? `${street}, ${n}, ${city}` : `${street} ${n}, ${digits(5)}-${digits(3)} ${city}`;
      default:
        return r() < 0.6 ? `${n} ${street}, ${city}` : `${n} ${street}, Apt ${int(1, 40)}, ${city}`;
    }
  };
  const phone = (lang: string): string => {
    const x = r();
    switch (lang) {
      case 'de':
        return pick([
          `0151 ${digits(8)}`,
          `+49 170 ${digits(7)}`,
          `0${int(30, 89)} ${digits(7)}`,
          `+49 (0)160 ${digits(7)}`,
        ]);
      case 'fr': {
        const g = () => digits(2);
        return x < 0.5 ? `06 ${g()} ${g()} ${g()} ${g()}` : `+33 ${pick(['6', '7'])} ${g()} ${g()} ${g()} ${g()}`;
      }
      case 'es':
        return x < 0.5
          ? `6${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`
          : `+34 6${digits(2)} ${digits(3)} ${digits(3)}`;
      case 'pt':
        return pick([
          `(${int(11, 99)}) 9${digits(4)}-${digits(4)}`,
          `+55 ${int(11, 99)} 9${digits(4)}-${digits(4)}`,
          `9${int(1, 6)}${digits(1)} ${digits(3)} ${digits(3)}`,
          `+351 9${int(1, 6)}${digits(1)} ${digits(3)} ${digits(3)}`,
        ]);
      default:
        return pick([
          `(${int(201, 989)}) ${int(200, 989)}-${digits(4)}`,
          `${int(201, 989)}-${int(200, 989)}-${digits(4)}`,
          `${int(201, 989)}.${int(200, 989)}.${digits(4)}`,
          `07${int(400, 999)} ${digits(6)}`,
          `+44 7${int(400, 999)} ${digits(6)}`,
          `+1 ${int(201, 989)} ${int(200, 989)} ${digits(4)}`,
          `+61 4${digits(2)} ${digits(3)} ${digits(3)}`,
          `+91 9${digits(4)} ${digits(5)}`,
        ]);
    }
  };
  const ascii = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase();
  const email = (lang: string): string => {
    const f = ascii(first(lang));
    const l = ascii(last(lang));
    const domain = pick([
      'mailbox.example',
      'post.example.de',
      'courriel.example.fr',
      'correo.example.es',
      'caixa.example.com.br',
      'fastmail.example',
      'inbox.example.co.uk',
    ]);
    return (
      pick([`${f}.${l}`, `${f}${int(1, 99)}`, `${f[0]}${l}`, `${l}_${f}`, `${f}-${l}${int(70, 99)}`]) + `@${domain}`
    );
  };
  const luhnComplete = (body: string): string => {
    for (let c = 0; c < 10; c++) {
      const s = body + c;
      let sum = 0;
      let dbl = false;
      for (let i = s.length - 1; i >= 0; i--) {
        let d = s.charCodeAt(i) - 48;
        if (dbl) {
          d *= 2;
          if (d > 9) d -= 9;
        }
        sum += d;
        dbl = !dbl;
      }
      if (sum % 10 === 0) return s;
    }
    throw new Error('unreachable');
  };
  const card = (): string => {
    const x = r();
    if (x < 0.2) {
      const n = luhnComplete(`3${pick(['4', '7'])}${digits(12)}`);
      return `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`;
    }
    const n = luhnComplete(
      pick(['4', `5${int(1, 5)}`, '6011'])
        .padEnd(15, '0')
        .slice(0, 1) + digits(14),
    );
    const grouped = (sep: string) => (n.match(/.{4}/g) as string[]).join(sep);
    return pick([n, grouped(' '), grouped('-')]);
  };
  const ibanOf = (cc: string, bban: string): string => {
    const moved = `${bban}${cc}00`;
    let rest = 0;
    for (const ch of moved) {
      const code = ch.charCodeAt(0);
      const v = code <= 57 ? code - 48 : code - 55;
      rest = v > 9 ? (rest * 100 + v) % 97 : (rest * 10 + v) % 97;
    }
    return `${cc}${String(98 - rest).padStart(2, '0')}${bban}`;
  };
  const iban = (lang: string): string => {
    const cc = pick(
      lang === 'de'
        ? ['DE', 'AT', 'CH']
        : lang === 'fr'
          ? ['FR', 'BE', 'LU']
          : lang === 'es'
            ? ['ES']
            : lang === 'pt'
              ? ['PT', 'BR']
              : ['GB', 'NL', 'IE', 'DE'],
    );
    const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(65 + int(0, 25))).join('');
    const bban: Record<string, () => string> = {
      DE: () => digits(18),
      AT: () => digits(16),
      CH: () => digits(17),
      FR: () => digits(23),
      BE: () => digits(12),
      LU: () => digits(16),
      ES: () => digits(20),
      PT: () => digits(21),
      BR: () => `${digits(23)}${pick(['P', 'C'])}${digits(1)}`,
      GB: () => `${letters(4)}${digits(14)}`,
      NL: () => `${letters(4)}${digits(10)}`,
      IE: () => `${letters(4)}${digits(14)}`,
    };
    const v = ibanOf(cc, (bban[cc] as () => string)());
    const x = r();
    const spaced = (v.match(/.{1,4}/g) as string[]).join(' ');
    if (x < 0.2) return v.toLowerCase();
    if (x < 0.3) return spaced.toLowerCase();
    return x < 0.65 ? spaced : v;
  };
  const ipv4 = () =>
    `${pick([23, 45, 62, 81, 91, 134, 151, 178, 185, 203, 212])}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const hex4 = () => int(1, 0xffff).toString(16);
  const ipv6Full = () => ['2001', 'db8', hex4(), hex4(), hex4(), hex4(), hex4(), hex4()].join(':');
  const ipv6 = () =>
    r() < 0.5 ? ipv6Full() : `${pick(['2a02', '2607', 'fe80', '2001'])}:${hex4()}:${hex4()}::${hex4()}`;
  const url = () =>
    `${pick(['https://', 'http://', 'https://www.'])}${pick(['twitch.example', 'my-portfolio.example', 'streamhub.example.net', 'artfolio.example.org', 'clipvault.example'])}/${pick(['', 'u/', 'c/', 'p/'])}${ascii(first('en'))}${int(1, 999)}`;
  const wallet = () => {
    const hex = Array.from({ length: 40 }, () => int(0, 15).toString(16)).join('');
    if (r() < 0.5) return `0x${hex}`;
    // EIP-55 mixed case (keccak of the lowercase hex decides each letter's case).
    const h = keccak_256(new TextEncoder().encode(hex));
    let out = '';
    for (let i = 0; i < 40; i++) {
      const nib = ((h[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
      out += nib >= 8 ? (hex[i] as string).toUpperCase() : (hex[i] as string);
    }
    return `0x${out}`;
  };
  const ssn = () => {
    const a = String(pick([int(1, 665), int(667, 899)])).padStart(3, '0');
    const g = String(int(1, 99)).padStart(2, '0');
    const s = String(int(1, 9999)).padStart(4, '0');
    return pick([`${a}-${g}-${s}`, `${a}-${g}-${s}`, `${a} ${g} ${s}`, `${a} ${g} ${s}`]);
  };
  const MONTHS: Record<string, readonly string[]> = {
    en: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
    de: [
      'Januar',
      'Februar',
      'März',
      'April',
      'Mai',
      'Juni',
      'Juli',
      'August',
      'September',
      'Oktober',
      'November',
      'Dezember',
    ],
    fr: [
      'janvier',
      'février',
      'mars',
      'avril',
      'mai',
      'juin',
      'juillet',
      'août',
      'septembre',
      'octobre',
      'novembre',
      'décembre',
    ],
    es: [
      'enero',
      'febrero',
      'marzo',
      'abril',
      'mayo',
      'junio',
      'julio',
      'agosto',
      'septiembre',
      'octubre',
      'noviembre',
      'diciembre',
    ],
    pt: [
      'janeiro',
      'fevereiro',
      'março',
      'abril',
      'maio',
      'junho',
      'julho',
      'agosto',
      'setembro',
      'outubro',
      'novembro',
      'dezembro',
    ],
  };
  const dob = (lang: string): string => {
    const y = int(1950, 2007);
    const m = int(1, 12);
    const d = int(1, 28);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const months = MONTHS[lang] ?? (MONTHS['en'] as readonly string[]);
    const mn = months[m - 1] as string;
    switch (lang) {
      case 'de':
        return pick([`${p2(d)}.${p2(m)}.${y}`, `${d}. ${mn} ${y}`, `${d}.${m}.${String(y).slice(2)}`]);
      case 'fr':
        return pick([`${p2(d)}/${p2(m)}/${y}`, `${p2(d)}.${p2(m)}.${y}`, `${d} ${mn} ${y}`]);
      case 'es':
        return pick([`${p2(d)}/${p2(m)}/${y}`, `${d} de ${mn} de ${y}`, `${d}-${m}-${y}`]);
      case 'pt':
        return pick([`${p2(d)}/${p2(m)}/${y}`, `${d} de ${mn} de ${y}`]);
      default:
        return pick([
          `${mn} ${d}, ${y}`,
          `${m}/${d}/${String(y).slice(2)}`,
          `${p2(d)}-${mn.slice(0, 3)}-${y}`,
          `${y}-${p2(m)}-${p2(d)}`,
          `${d} ${mn} ${y}`,
          `${p2(m)}/${p2(d)}/${y}`,
        ]);
    }
  };
  const orderNumber = () => {
    const n = luhnComplete(`${pick(['1', '2', '8', '9'])}${digits(int(11, 14))}`);
    return pick([`#${n}`, n, `#${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`]);
  };
  const otherDate = (lang: string) => {
    const y = int(2023, 2026);
    const m = int(1, 12);
    const d = int(1, 28);
    const months = MONTHS[lang] ?? (MONTHS['en'] as readonly string[]);
    return pick([
      `${d}/${m}/${y}`,
      `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
      `${d} ${months[m - 1]} ${y}`,
    ]);
  };

  const fill = (slot: string, lang: string, used: Set<string>): Filled => {
    const fresh = (make: () => string): string => {
      for (let i = 0; i < 20; i++) {
        const v = make();
        if (!used.has(v)) {
          used.add(v);
          return v;
        }
      }
      return make();
    };
    switch (slot) {
      case 'P':
      case 'P2':
      case 'P3':
        return { value: fresh(() => fullName(lang)), type: 'PERSON' };
      case 'F':
      case 'F2':
      case 'F3':
        return { value: fresh(() => first(lang)), type: 'PERSON' };
      case 'L':
        return { value: last(lang), type: 'PERSON' };
      case 'C':
      case 'C2':
        return { value: fresh(() => pick(places(lang).cities)), type: 'LOCATION' };
      case 'K':
        return country(lang);
      case 'A':
        return { value: address(lang), type: 'LOCATION' };
      case 'PH':
        return { value: phone(lang), type: 'PHONE' };
      case 'E':
        return { value: email(lang), type: 'EMAIL' };
      case 'CC':
        return { value: card(), type: 'CREDIT_CARD' };
      case 'IB':
        return { value: iban(lang), type: 'IBAN' };
      case 'IP':
        return { value: ipv4(), type: 'IP_ADDRESS' };
      case 'IP6':
        return { value: ipv6(), type: 'IP_ADDRESS' };
      case 'IP6P':
        return { value: ipv6Full(), type: 'IP_ADDRESS', post: `:${pick(['443', '8080', '25565', '9000'])}` };
      case 'U':
        return { value: url(), type: 'URL' };
      case 'W':
        return { value: wallet(), type: 'CRYPTO_WALLET' };
      case 'S':
        return { value: ssn(), type: 'US_SSN' };
      case 'D':
        return { value: dob(lang), type: 'DATE_OF_BIRTH' };
      case 'M':
        return { value: pick(LOOKALIKES.monthsAndVirtues) };
      case 'R':
        return { value: pick(LOOKALIKES.ranks) };
      case 'G':
        return { value: pick(LOOKALIKES.dungeons) };
      case 'PAIR':
        return { value: pick(LOOKALIKES.pairs) };
      case 'ITEM':
        return { value: pick(LOOKALIKES.items) };
      case 'ORD':
        return { value: orderNumber() };
      case 'ND':
        return { value: otherDate(lang) };
      case 'VER':
        return { value: `${int(1, 14)}.${int(0, 20)}.${int(0, 9)}` };
      case 'NUM':
        return { value: String(int(100, 999999)) };
      case 'NUM4':
        return { value: digits(4) };
      case 'HEX':
        return { value: Array.from({ length: int(7, 12) }, () => int(0, 15).toString(16)).join('') };
      case 'TM':
        return { value: `${int(10, 23)}:${pick(['00', '15', '30', '45'])}` };
      default:
        throw new Error(`unknown slot ${slot}`);
    }
  };

  /** A typo in one word of the structure's own text (never in a slot): a swap or a dropped letter. */
  const typo = (s: string): string => {
    const words = [...s.matchAll(/\b[a-z]{4,}\b/g)];
    if (words.length === 0) return s;
    const w = pick(words);
    const i = int(1, (w[0] as string).length - 2);
    const word = w[0] as string;
    const changed =
      r() < 0.5
        ? word.slice(0, i) + (word[i + 1] as string) + (word[i] as string) + word.slice(i + 2)
        : word.slice(0, i) + word.slice(i + 1);
    return s.slice(0, w.index) + changed + s.slice((w.index as number) + word.length);
  };

  const positives = STRUCTURES.map((s, i) => ({ s, i })).filter(({ s }) => POSITIVE_SLOT.test(s[2]));
  const positive = new Set(positives.map((x) => x.i));
  const negatives = STRUCTURES.map((s, i) => ({ s, i })).filter((x) => !positive.has(x.i));
  const all: Example[] = [];
  for (let n = 0; n < TOTAL; n++) {
    const { s, i } = r() < NEGATIVE_SHARE ? pick(negatives) : pick(positives);
    const [lang, register, structure] = s;
    const lower = register === 'chat' ? r() < 0.4 : register === 'profile' ? r() < 0.15 : false;
    const misspell = register !== 'support' && r() < 0.2;
    let text = '';
    const entities: Entity[] = [];
    const used = new Set<string>();
    const parts = structure.split(/\{([A-Z0-9]+)\}/);
    parts.forEach((part, k) => {
      if (k % 2 === 0) {
        text += misspell ? typo(part) : part;
        return;
      }
      const f = fill(part, lang, used);
      text += f.pre ?? '';
      const start = text.length;
      text += f.value;
      if (f.type !== undefined) entities.push({ type: f.type, start, end: text.length, value: f.value });
      text += f.post ?? '';
    });
    if (lower) {
      text = text.toLowerCase();
      for (const e of entities) e.value = e.value.toLowerCase();
    }
    all.push({ text, entities, lang, register, structure: i });
  }
  // The split is by structure (D104): a structure's messages all fall in one half, so no sentence
  // shape looked at while tuning is scored in the held-back half.
  const held = heldBackStructures();
  return { tune: all.filter((e) => !held.has(e.structure)), heldback: all.filter((e) => held.has(e.structure)) };
}

/**
 * The structures (indices into STRUCTURES) whose messages form the held-back half. Stratified so
 * both halves see every slot kind, language and register: structures are dealt rarest slot first,
 * each to the half that has so far fewer of its slots, language and register (ties by index).
 */
export function heldBackStructures(): Set<number> {
  const keysOf = (i: number): string[] => {
    const [lang, register, structure] = STRUCTURES[i] as (typeof STRUCTURES)[number];
    const slots = [...structure.matchAll(/\{([A-Z0-9]+?)\d?\}/g)].map((m) => `slot ${m[1]}`);
    return [...new Set(slots), `lang ${lang}`, `register ${register}`, POSITIVE_SLOT.test(structure) ? 'pii' : 'none'];
  };
  const total = new Map<string, number>();
  for (let i = 0; i < STRUCTURES.length; i++) for (const k of keysOf(i)) total.set(k, (total.get(k) ?? 0) + 1);
  const rarest = (i: number) => Math.min(...keysOf(i).map((k) => total.get(k) as number));
  const order = STRUCTURES.map((_, i) => i).sort((a, b) => rarest(a) - rarest(b) || a - b);
  const count = [new Map<string, number>(), new Map<string, number>()];
  const held = new Set<number>();
  for (const i of order) {
    const keys = keysOf(i);
    const load = (half: number) =>
      keys.reduce((sum, k) => sum + ((count[half] as Map<string, number>).get(k) ?? 0) / (total.get(k) as number), 0);
    const a = load(0);
    const b = load(1);
    const half = a < b ? 0 : b < a ? 1 : i % 2;
    if (half === 1) held.add(i);
    for (const k of keys)
      (count[half] as Map<string, number>).set(k, ((count[half] as Map<string, number>).get(k) ?? 0) + 1);
  }
  return held;
}

if (import.meta.main) {
  const { tune, heldback } = buildCorpus();
  const line = (e: Example) => JSON.stringify(e);
  writeFileSync(join(OUT, 'tune.jsonl'), `${tune.map(line).join('\n')}\n`);
  writeFileSync(join(OUT, 'heldback.jsonl'), `${heldback.map(line).join('\n')}\n`);
  const all = [...tune, ...heldback];
  process.stdout.write(
    `${all.length} messages, ${new Set(all.map((e) => e.structure)).size} structures, ${new Set(all.map((e) => e.lang)).size} languages, ${(all.filter((e) => e.entities.length === 0).length / all.length).toFixed(3)} without personal data\n`,
  );
}
