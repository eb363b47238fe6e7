// Builds src/pii/data/names-places.jsonl, the name and place dictionaries of the PII scanner, from
// the locale data of @faker-js/faker (MIT), and copies faker's licence beside it. Run it once after
// changing faker's version or the fields taken below:
//
//   sh scripts/node.sh scripts/build-pii-dictionaries.ts
//
// faker is read here only (and by tests): the scanner loads the data file, never faker. The format
// is JSON Lines, one entry a line, so that a new faker version shows as a readable diff; it keeps
// entries byte for byte (some carry a meaningful leading space, " do norte", or are not NFC).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allLocales } from '@faker-js/faker';

const FAKER = join(import.meta.dirname, '..', 'node_modules', '@faker-js', 'faker');
const DATA = join(import.meta.dirname, '..', 'src', 'pii', 'data');

/** The data file's name, beside which the licence and README sit. */
export const DATA_FILE = join(DATA, 'names-places.jsonl');
/** faker's licence, copied verbatim (MIT asks that its notice go with substantial portions). */
export const LICENSE_FILE = join(DATA, 'faker-LICENSE.txt');

/** The format the runtime loader (src/pii/dictionaries.ts) reads; bump it on any change of layout. */
export const FORMAT = 'verity-pii-dictionaries/1';

type Tree = string | readonly Tree[] | { readonly [k: string]: Tree };

/** Every string under a node of faker's locale tree (arrays of strings, or objects of them). */
function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const x of node) strings(x, out);
  else if (node !== null && typeof node === 'object')
    for (const x of Object.values(node as Record<string, Tree>)) strings(x, out);
  return out;
}

/** Which faker fields make which dictionary (lowercased, deduplicated, in first-seen order). */
export function extract(): Record<string, string[]> {
  const fields = {
    firstNames: new Set<string>(),
    lastNames: new Set<string>(),
    prefixes: new Set<string>(),
    suffixes: new Set<string>(),
    places: new Set<string>(),
    cityPrefixes: new Set<string>(),
    citySuffixes: new Set<string>(),
    streetSuffixes: new Set<string>(),
  };
  const lower = (s: string) => s.toLowerCase();
  for (const locale of Object.values(allLocales) as {
    person?: Record<string, unknown>;
    location?: Record<string, unknown>;
  }[]) {
    const p = locale.person ?? {};
    const l = locale.location ?? {};
    for (const s of strings(p['first_name'])) fields.firstNames.add(lower(s));
    for (const s of strings(p['middle_name'])) fields.firstNames.add(lower(s));
    for (const s of strings(p['last_name'])) fields.lastNames.add(lower(s));
    for (const s of strings(p['prefix'])) fields.prefixes.add(lower(s));
    for (const s of strings(p['suffix'])) fields.suffixes.add(lower(s));
    for (const key of ['country', 'state', 'city_name', 'county'])
      for (const s of strings(l[key])) fields.places.add(lower(s));
    for (const s of strings(l['city_prefix'])) fields.cityPrefixes.add(lower(s));
    // One-letter suffixes (a stray `s`) would make a town of every name that ends with them.
    for (const s of strings(l['city_suffix'])) if (s.length >= 2) fields.citySuffixes.add(lower(s));
    for (const s of strings(l['street_suffix'])) fields.streetSuffixes.add(lower(s));
  }
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [...v]]));
}

/**
 * The data file's text: a header line (format, source, version, licence), then for each dictionary
 * a line `{"field":NAME,"count":N}` and its N entries, one JSON string a line.
 */
export function buildDictionaryFile(): string {
  const pkg = JSON.parse(readFileSync(join(FAKER, 'package.json'), 'utf8')) as { version: string; license: string };
  const header = {
    format: FORMAT,
    source: '@faker-js/faker',
    version: pkg.version,
    license: pkg.license,
    licenseFile: 'faker-LICENSE.txt',
    locales: Object.keys(allLocales).length,
    builtBy: 'scripts/build-pii-dictionaries.ts',
  };
  const lines = [JSON.stringify(header)];
  for (const [field, values] of Object.entries(extract())) {
    lines.push(JSON.stringify({ field, count: values.length }));
    for (const v of values) lines.push(JSON.stringify(v));
  }
  return `${lines.join('\n')}\n`;
}

/** faker's licence text, as the installed package ships it. */
export function fakerLicense(): string {
  return readFileSync(join(FAKER, 'LICENSE'), 'utf8');
}

if (import.meta.main) {
  const text = buildDictionaryFile();
  writeFileSync(DATA_FILE, text);
  writeFileSync(LICENSE_FILE, fakerLicense());
  console.log(`wrote ${DATA_FILE} (${Buffer.byteLength(text)} bytes) and ${LICENSE_FILE}`);
}
