import { allLocales } from '@faker-js/faker';

/** Name and place dictionaries, built once from the locale data of @faker-js/faker (77 locales). */
export interface Dictionaries {
  readonly firstNames: ReadonlySet<string>;
  readonly lastNames: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
  readonly suffixes: ReadonlySet<string>;
  /** Multi-word and single-word country, state and city names, lowercase. */
  readonly places: ReadonlySet<string>;
  /** Longest entry of `places`, in words. */
  readonly placeWords: number;
  readonly cityPrefixes: ReadonlySet<string>;
  /** City suffixes (`ville`, `haven`, `stad`, ...), lowercase, longest first. */
  readonly citySuffixes: readonly string[];
  readonly streetSuffixes: ReadonlySet<string>;
}

let built: Dictionaries | undefined;

type Tree = string | readonly Tree[] | { readonly [k: string]: Tree };

function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const x of node) strings(x, out);
  else if (node !== null && typeof node === 'object')
    for (const x of Object.values(node as Record<string, Tree>)) strings(x, out);
  return out;
}

// Common English words that are also given names or places in some locale: never names on their own.
// Words that are also given names or places in some locale but are far more often plain words in
// chat: never names or places on their own.
const STOP = new Set(
  'a i an and are as at be but by can do for from go gg have he her here his how if in is it its join just me my no not of on or our out see she so that the their them then there they this to up us was we what when where who will with you your lol brb ok yes guild season raid world server card email mail name real thanks hey live next player team game level boss'.split(
    ' ',
  ),
);

/** The dictionaries (built on first use, about 50 ms). */
export function dictionaries(): Dictionaries {
  if (built !== undefined) return built;
  const first = new Set<string>();
  const last = new Set<string>();
  const prefixes = new Set<string>();
  const suffixes = new Set<string>();
  const places = new Set<string>();
  const cityPrefixes = new Set<string>();
  const citySuffixes = new Set<string>();
  const streetSuffixes = new Set<string>();
  const lower = (s: string) => s.toLowerCase();
  for (const locale of Object.values(allLocales) as {
    person?: Record<string, unknown>;
    location?: Record<string, unknown>;
  }[]) {
    const p = locale.person ?? {};
    const l = locale.location ?? {};
    for (const s of strings(p['first_name'])) first.add(lower(s));
    for (const s of strings(p['middle_name'])) first.add(lower(s));
    for (const s of strings(p['last_name'])) last.add(lower(s));
    for (const s of strings(p['prefix'])) prefixes.add(lower(s));
    for (const s of strings(p['suffix'])) suffixes.add(lower(s));
    for (const key of ['country', 'state', 'city_name', 'county'])
      for (const s of strings(l[key])) places.add(lower(s));
    for (const s of strings(l['city_prefix'])) cityPrefixes.add(lower(s));
    for (const s of strings(l['city_suffix'])) if (s.length >= 2) citySuffixes.add(lower(s));
    for (const s of strings(l['street_suffix'])) streetSuffixes.add(lower(s));
  }
  for (const s of STOP) {
    first.delete(s);
    last.delete(s);
    places.delete(s);
  }
  let placeWords = 1;
  for (const p of places) placeWords = Math.max(placeWords, p.split(' ').length);
  built = {
    firstNames: first,
    lastNames: last,
    prefixes,
    suffixes,
    places,
    placeWords: Math.min(placeWords, 6),
    cityPrefixes,
    citySuffixes: [...citySuffixes].sort((a, b) => b.length - a.length),
    streetSuffixes,
  };
  return built;
}
