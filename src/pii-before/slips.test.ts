// The slip matcher against a distance computed the textbook way: `oneSlip` is an optimal string
// alignment distance of at most one, and `typedCue` reads the last words of a text as a split would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { oneSlip, typedCue } from './slips.ts';

/** Optimal string alignment distance (Levenshtein with adjacent swaps), by dynamic programming. */
function osa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min(
        (up[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[a.length] as number[])[b.length] as number;
}

/** The last `words` words of three letters or more, split, and any cue of four or more one slip away. */
function typedCueBySplit(s: string, cues: readonly string[], words: number): boolean {
  const list = s
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length >= 3)
    .slice(-words);
  return list.some((w) => cues.some((c) => c.length >= 4 && osa(w.toLowerCase(), c) <= 1));
}

// Words from a small alphabet so that near misses are common, with an accented letter and a capital.
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'n', 'r', 'o', 'é', 'B'), minLength: 0, maxLength: 8 });

describe('cue words typed with a slip', () => {
  it('oneSlip is an optimal string alignment distance of at most one', () => {
    fc.assert(
      fc.property(word, word, (a, b) => oneSlip(a, b) === osa(a, b) <= 1),
      { numRuns: 20_000 },
    );
    // Each kind of slip, and two slips.
    assert.ok(oneSlip('numero', 'numero') && oneSlip('numro', 'numero') && oneSlip('numerro', 'numero'));
    assert.ok(oneSlip('nuemro', 'numero') && oneSlip('numaro', 'numero') && !oneSlip('nmuero1', 'numero'));
  });

  it('typedCue reads the last words of a text as splitting it would', () => {
    const text = fc
      .array(fc.oneof(word, fc.constantFrom(' ', ', ', '12', '\n', '-')), { maxLength: 12 })
      .map((p) => p.join(''));
    const cues = fc.array(word, { maxLength: 5 });
    fc.assert(
      fc.property(
        text,
        cues,
        fc.integer({ min: 1, max: 4 }),
        (s, c, n) => typedCue(s, c, n) === typedCueBySplit(s, c, n),
      ),
      { numRuns: 20_000 },
    );
  });
});
