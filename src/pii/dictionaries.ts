// The name and place dictionaries of the PII scanner, loaded from data/names-places.jsonl: the
// locale data of @faker-js/faker (77 locales, MIT; version, licence and the script that builds
// the file are in data/README.md and the file's first line). Built once by
// scripts/build-pii-dictionaries.ts; faker itself is never loaded at run time.
import { readFileSync } from 'node:fs';
import { VerityError } from '../errors/index.ts';
import { wordHash } from './chars.ts';

/** Name and place dictionaries, lowercase. */
export interface Dictionaries {
  readonly firstNames: ReadonlySet<string>;
  readonly lastNames: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
  readonly suffixes: ReadonlySet<string>;
  /** Multi-word and single-word country, state and city names, lowercase. */
  readonly places: ReadonlySet<string>;
  readonly cityPrefixes: ReadonlySet<string>;
  /** City suffixes (`ville`, `haven`, `stad`, ...), lowercase, longest first. */
  readonly citySuffixes: readonly string[];
  readonly streetSuffixes: ReadonlySet<string>;
}

/** The data file and the layout this loader reads (scripts/build-pii-dictionaries.ts writes both). */
const DATA_FILE = new URL('./data/names-places.jsonl', import.meta.url);
const FORMAT = 'verity-pii-dictionaries/1';
/**
 * The names and places as chat types them without diacritics (gdansk, muenchen, francois), and the
 * layout of their file: scripts/build-pii-foldings.ts writes it from the two dictionary files.
 */
const FOLDINGS_FILE = new URL('./data/foldings.jsonl', import.meta.url);
export const FOLDINGS_FORMAT = 'verity-pii-foldings/1';
const FOLDING_FIELDS = ['firstNames', 'lastNames', 'places', 'cities'] as const;
/**
 * Given names that are common English words (fine, chance, will), and common English words found
 * only inside places' names (store, beach): scripts/build-pii-plain-names.ts.
 */
const PLAIN_NAMES_FILE = new URL('./data/plain-names.jsonl', import.meta.url);
export const PLAIN_NAMES_FORMAT = 'verity-pii-plain-names/2';
/** Common English words in lower case (SCOWL's levels 10 to 50): scripts/build-pii-english-words.ts. */
const ENGLISH_WORDS_FILE = new URL('./data/english-words.jsonl', import.meta.url);
export const ENGLISH_WORDS_FORMAT = 'verity-pii-english-words/1';
const COMMON_WORDS_FILE = new URL('./data/common-words.jsonl', import.meta.url);
export const COMMON_WORDS_FORMAT = 'verity-pii-common-words/1';
const FIELDS = [
  'firstNames',
  'lastNames',
  'prefixes',
  'suffixes',
  'places',
  'cityPrefixes',
  'citySuffixes',
  'streetSuffixes',
] as const;

// Words that are also given names or places in some locale but are far more often plain words in
// chat: never names or places on their own.
const STOP = new Set(
  'a i an and are as at be but by can do for from go gg have he her here his how if in is it its join just me my no not of on or our out see she so that the their them then there they this to up us was we what when where who will with you your lol brb ok yes guild season raid world server card email mail name real thanks hey live next player team game level boss'.split(
    ' ',
  ),
);

function damaged(why: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_INTERNAL',
    `the PII dictionaries file src/pii/data/names-places.jsonl is damaged (${why}); restore it from the repository or rebuild it with scripts/build-pii-dictionaries.ts`,
    cause === undefined ? undefined : { cause },
  );
}

function damagedFile(file: string, script: string, why: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_INTERNAL',
    `the PII data file src/pii/data/${file} is damaged (${why}); restore it from the repository or rebuild it with scripts/${script}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses the data file: a header line, then for each dictionary a line `{"field","count"}` and
 * `count` lines of one JSON string each. Counts and the format are checked, so a truncated or
 * hand-edited file fails loudly instead of scanning with words missing.
 */
export function parseDictionaryFile(text: string): Record<(typeof FIELDS)[number], string[]> {
  return parseFields(text, FORMAT, FIELDS, damaged);
}

/** Parses the spellings file (the same layout as the dictionaries file, with its own fields). */
export function parseFoldingsFile(text: string): Record<(typeof FOLDING_FIELDS)[number], string[]> {
  return parseFields(text, FOLDINGS_FORMAT, FOLDING_FIELDS, (why, cause) =>
    damagedFile('foldings.jsonl', 'build-pii-foldings.ts', why, cause),
  );
}

function parseFields<F extends string>(
  text: string,
  format: string,
  fields: readonly F[],
  fail: (why: string, cause?: unknown) => VerityError,
): Record<F, string[]> {
  try {
    return parseLines(text.split('\n'), format, fields, fail);
  } catch (e) {
    throw e instanceof SyntaxError ? fail('a line is not JSON', e) : e;
  }
}

function parseLines<F extends string>(
  lines: string[],
  format: string,
  fields: readonly F[],
  fail: (why: string, cause?: unknown) => VerityError,
): Record<F, string[]> {
  if (lines.at(-1) === '') lines.pop();
  const header = JSON.parse(lines[0] ?? '{}') as { format?: unknown };
  if (header.format !== format) throw fail(`format ${JSON.stringify(header.format)}, expected ${format}`);
  const out: Partial<Record<string, string[]>> = {};
  let i = 1;
  while (i < lines.length) {
    const head = JSON.parse(lines[i] as string) as { field?: unknown; count?: unknown };
    const { field, count } = head;
    if (typeof field !== 'string' || typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
      throw fail(`line ${i + 1} is not a field header`);
    // One JSON.parse for the whole field: its lines, joined, are one JSON array.
    const values = JSON.parse(`[${lines.slice(i + 1, i + 1 + count).join(',')}]`) as unknown[];
    if (values.length !== count || !values.every((v) => typeof v === 'string'))
      throw fail(`field ${field} does not hold ${count} strings`);
    out[field] = values as string[];
    i += 1 + count;
  }
  for (const f of fields) if (out[f] === undefined) throw fail(`field ${f} is missing`);
  return out as Record<F, string[]>;
}

/** Parses the file of given names and place parts that are common English words. */
export function parsePlainNamesFile(text: string): { givenNames: string[]; placeParts: string[] } {
  return parseFields(text, PLAIN_NAMES_FORMAT, ['givenNames', 'placeParts'] as const, (why, cause) =>
    damagedFile('plain-names.jsonl', 'build-pii-plain-names.ts', why, cause),
  );
}

let plainWords: { givenNames: ReadonlySet<string>; placeParts: ReadonlySet<string> } | undefined;

function plainNamesFile(): { givenNames: ReadonlySet<string>; placeParts: ReadonlySet<string> } {
  if (plainWords === undefined) {
    const f = parsePlainNamesFile(readFileSync(PLAIN_NAMES_FILE, 'utf8'));
    plainWords = { givenNames: new Set(f.givenNames), placeParts: new Set(f.placeParts) };
  }
  return plainWords;
}

/** Parses a file of words (a header, then the field `words`): `name` built by `script`. */
function parseWordsFile(text: string, format: string, name: string, script: string): string[] {
  return parseFields(text, format, ['words'] as const, (why, cause) => damagedFile(name, script, why, cause)).words;
}

/** Parses the file of common English words. */
export function parseEnglishWordsFile(text: string): string[] {
  return parseWordsFile(text, ENGLISH_WORDS_FORMAT, 'english-words.jsonl', 'build-pii-english-words.ts');
}

/** Parses the file of German's and Portuguese's commonest words. */
export function parseCommonWordsFile(text: string): string[] {
  return parseWordsFile(text, COMMON_WORDS_FORMAT, 'common-words.jsonl', 'build-pii-common-words.ts');
}

let englishHashes: ReadonlySet<number> | undefined;
/** The `wordHash`es of the common English words (read on first use: about 60,000 words, 15 ms). */
export function englishWordHashes(): ReadonlySet<number> {
  englishHashes ??= new Set(parseEnglishWordsFile(readFileSync(ENGLISH_WORDS_FILE, 'utf8')).map(wordHash));
  return englishHashes;
}

let commonHashes: ReadonlySet<number> | undefined;
/** The `wordHash`es of German's and Portuguese's commonest words (read on first use: 10,000 words). */
export function commonWordHashes(): ReadonlySet<number> {
  commonHashes ??= new Set(parseCommonWordsFile(readFileSync(COMMON_WORDS_FILE, 'utf8')).map(wordHash));
  return commonHashes;
}

/** The given names of the dictionaries that are common English words (fine, chance, will, mark). */
export function plainGivenNames(): ReadonlySet<string> {
  return plainNamesFile().givenNames;
}

/** Common English words that the dictionaries hold only inside places' names (store, beach, north). */
export function plainPlaceParts(): ReadonlySet<string> {
  return plainNamesFile().placeParts;
}

let folded: Record<(typeof FOLDING_FIELDS)[number], string[]> | undefined;

/** The spellings without diacritics of each dictionary's entries and of the world's larger cities. */
export function foldedSpellings(): Record<(typeof FOLDING_FIELDS)[number], readonly string[]> {
  folded ??= parseFoldingsFile(readFileSync(FOLDINGS_FILE, 'utf8'));
  return folded;
}

let built: Dictionaries | undefined;
let written: Pick<Dictionaries, 'firstNames' | 'lastNames' | 'places'> | undefined;

/**
 * The given names, family names and places as the dictionaries write them, without the spellings of
 * data/foldings.jsonl: what the tagger is trained on (scripts/train-pii-tagger.ts, wordflags.ts).
 * A spelling is in that file only where its own dictionary does not hold it as written, so taking
 * the spellings out of a dictionary leaves it as written.
 */
export function writtenDictionaries(): Pick<Dictionaries, 'firstNames' | 'lastNames' | 'places'> {
  if (written !== undefined) return written;
  const d = dictionaries();
  const fold = foldedSpellings();
  const without = (words: ReadonlySet<string>, spellings: readonly string[]) => {
    const set = new Set(words);
    for (const w of spellings) set.delete(w);
    return set;
  };
  written = {
    firstNames: without(d.firstNames, fold.firstNames),
    lastNames: without(d.lastNames, fold.lastNames),
    places: without(d.places, fold.places),
  };
  return written;
}

/** The dictionaries, loaded on first use (50 to 90 ms of CPU, a quarter of what building them from faker took). */
export function dictionaries(): Dictionaries {
  if (built !== undefined) return built;
  const data = parseDictionaryFile(readFileSync(DATA_FILE, 'utf8'));
  const fold = foldedSpellings();
  const words = (list: readonly string[], spellings: readonly string[]) => {
    const set = new Set(list);
    for (const w of spellings) set.add(w);
    for (const s of STOP) set.delete(s);
    return set;
  };
  built = {
    firstNames: words(data.firstNames, fold.firstNames),
    lastNames: words(data.lastNames, fold.lastNames),
    prefixes: new Set(data.prefixes),
    suffixes: new Set(data.suffixes),
    places: words(data.places, fold.places),
    cityPrefixes: new Set(data.cityPrefixes),
    citySuffixes: [...data.citySuffixes].sort((a, b) => b.length - a.length),
    streetSuffixes: new Set(data.streetSuffixes),
  };
  return built;
}
