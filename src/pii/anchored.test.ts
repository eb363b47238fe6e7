// The scanner's anchored searches (a pattern tried only where a match can begin) against the
// patterns they stand for, scanned over the whole text: the same matches on any text made of the
// pieces dates, numbers and words are made of.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CARD, DATE, dateMatches, PHONE, SSN } from './recognizers.ts';

/** Pieces of dates, numbers and the words and marks around them. */
const PIECES = [
  '1',
  '2',
  '9',
  '0',
  '3',
  '19',
  '20',
  '1990',
  '2024',
  '85',
  '12',
  '05',
  '31',
  ' ',
  ' ',
  '.',
  '/',
  '-',
  ',',
  '\n',
  'a',
  'x',
  '_',
  'é',
  'ja',
  'jan',
  'January',
  'Sept',
  'sep',
  'Dec.',
  'may',
  'mai',
  'mars',
  'März',
  'dezember',
  'de ',
  'of ',
  'st',
  'th',
  'born ',
  'nd',
  'Oct',
  'junio',
  'août',
  'D',
  'S',
  // Whole dates of every form DATE has.
  'September 5, 1990',
  'sept. 21st 1984',
  '5 de mayo de 1980',
  '14. Mai 1968',
  '3 mars 1981',
  '3-Mar-85',
  '1990-05-12',
  '12/05/1990',
  '3.4.85',
  'Dec. 12th, 2001',
  '1st of August 1979',
  '21 septiembre 2003',
];
const texts = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join('')),
  fc.string({ maxLength: 80 }),
);
const spans = (t: string, pattern: RegExp) => [...t.matchAll(pattern)].map((m) => [m.index, m.index + m[0].length]);
const groups = (t: string, pattern: RegExp) => [...t.matchAll(pattern)].map((m) => [m.index, ...m]);

/** Pieces of card, phone and social security numbers. */
const NUMBER_PIECES = [
  '1',
  '4',
  '0',
  '7',
  '55',
  '123',
  '4111',
  '0000',
  ' ',
  ' ',
  '-',
  '.',
  '+',
  '+4',
  '(',
  ')',
  '(0)',
  'a',
  '_',
  'é',
  '\n',
  '#',
  // Whole numbers of every form the patterns have.
  '+44 20 7946 0958',
  '(555) 123-4567',
  '(11) 94471-8206',
  '+49 (0) 30 123456',
  '4111 1111 1111 1111',
  '4111-1111-1111-1111',
  '078-05-1120',
  '078 05 1120',
  '06 12 34 56 78',
  '555.123.4567',
];
const numbers = fc.oneof(
  fc.array(fc.constantFrom(...NUMBER_PIECES), { maxLength: 60 }).map((a) => a.join('')),
  fc.stringMatching(/^[0-9 ()+.\-a_]{0,60}$/),
);

/** The patterns as they were written with the look-behind first. */
const LOOK_BEHIND_FIRST: [string, RegExp, RegExp][] = [
  ['CARD', CARD, /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g],
  ['SSN', SSN, /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g],
  [
    'PHONE',
    PHONE,
    /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(0\) ?)?\d{1,4}|(?:\(\d{2,4}\)[ .-]?)?\d{2,5})(?:[ .-]?\d{2,8}){1,4}(?![\w])/g,
  ],
];

describe('anchored searches', () => {
  it('finds the dates a search of the whole text with DATE finds', () => {
    fc.assert(
      fc.property(texts, (t) => {
        const found: number[][] = [];
        dateMatches(t, (s, e) => found.push([s, e]));
        assert.deepEqual(found, spans(t, DATE));
      }),
      { numRuns: 20_000 },
    );
  });

  for (const [name, pattern, first] of LOOK_BEHIND_FIRST)
    it(`finds with ${name} what the pattern with its look-behind first finds, groups too`, () => {
      fc.assert(
        fc.property(numbers, (t) => {
          assert.deepEqual(groups(t, pattern), groups(t, first));
        }),
        { numRuns: 5_000 },
      );
    });
});
