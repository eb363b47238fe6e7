// The scanner's patterns whose look-behind was moved after their first character (so that the
// regular expression engine skips to the characters a match can begin with), or whose counted
// groups were written out as copies (D332), against the patterns as written before: the same
// matches and groups on any text made of the pieces numbers and IBANs are made of.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HANDED, handedLead } from './handed.ts';
import { cueStart, ORDER_CUE, orderCue, PHONE, PHONE_CUE } from './phones.ts';
import { CARD, cuedSsns, IBAN, IPV4, SSN, SSN_CUE_BEFORE, SSN_CUED, ssnValid, wellGrouped } from './recognizers.ts';

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
  '+1 (415) 555-2671',
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
    // With D388's bracketed area code after a country code (+1 (415) 555-2671).
    /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:(?:\(0\) ?)?\d{1,4}|\(\d{1,4}\)[ .-]?\d{2,5})|(?:\(\d{2,4}\)[ .-]?)?\d{2,5})(?:[ .-]?\d{2,8}){1,4}(?![\w])/g,
  ],
];

describe('patterns with the look-behind after the first character', () => {
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

/** IBANs' shapes (a country, check digits, groups of letters and digits) among other pieces. */
const ibanLike = fc
  .tuple(
    fc.constantFrom('DE', 'gb', 'Fr', 'x', ''),
    fc.constantFrom('89', '8', '82', '1a'),
    fc.array(fc.tuple(fc.constantFrom('', ' ', ' ', '  ', '-'), fc.stringMatching(/^[A-Za-z0-9]{1,5}$/)), {
      maxLength: 11,
    }),
  )
  .map(([country, check, groups]) => country + check + groups.map(([sep, g]) => sep + g).join(''));
const ibanText = fc.oneof(
  fc
    .array(fc.oneof(ibanLike, fc.constantFrom('DE', 'de', '89', '3704', 'a1B2', ' ', '-', '\n', 'é', '_')), {
      maxLength: 6,
    })
    .map((a) => a.join('')),
  fc.stringMatching(/^[A-Za-z0-9 _]{0,60}$/),
);
/** IPv4 addresses' shapes: parts of one to four digits, dots, and what may stand around them. */
const ipText = fc
  .array(fc.constantFrom('1', '12', '123', '255', '1234', '0', '.', '.', '..', ' ', 'a', '-', ':', '192.168.0.1'), {
    maxLength: 40,
  })
  .map((a) => a.join(''));

describe('patterns with their counted groups written out', () => {
  it('finds with IPV4 what the pattern with `{2}` finds', () => {
    const before = /\d(?<![\d.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\d.]*\d)/g;
    fc.assert(
      fc.property(ipText, (t) => {
        assert.deepEqual(groups(t, IPV4), groups(t, before));
      }),
      { numRuns: 5_000 },
    );
  });
  it('finds with IBAN what the pattern with `{3,8}` finds', () => {
    const before = /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{1,4}){3,8}\b/g;
    fc.assert(
      fc.property(ibanText, (t) => {
        assert.deepEqual(groups(t, IBAN), groups(t, before));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('the card pass', () => {
  it('judges the grouping of a number as the match, set and split it replaced did', () => {
    const before = (raw: string) => {
      const seps = raw.match(/[ -]/g);
      return !(seps !== null && (new Set(seps).size > 1 || raw.split(/[ -]/).some((g) => g.length < 3)));
    };
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9][0-9 -]{0,24}[0-9]$/), (raw) => {
        assert.equal(wellGrouped(raw), before(raw), raw);
      }),
      { numRuns: 20_000 },
    );
    assert.ok(wellGrouped('4111 1111 1111 1111') && !wellGrouped('4111 1111-1111 1111') && !wellGrouped('41 11111'));
  });
});

describe('the phone and order cues', () => {
  const pieces = [
    'call',
    'Call me',
    'no',
    'Handynummer',
    'número',
    'reach me',
    'an unter',
    'order',
    'Bestellung',
    'ref',
    'x',
    'ok',
    ' ',
    ' ',
    ': ',
    '#',
    '5',
    '12',
    '\n',
    'é',
    '-',
    'ſms',
    '😀',
  ];
  const lead = fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((a) => a.join('').slice(-32));
  it("answer from the lead's last line break (or digit) as on the whole lead", () => {
    fc.assert(
      fc.property(lead, (l) => {
        assert.equal(PHONE_CUE.test(l.slice(cueStart(l, 0, l.length, true))), PHONE_CUE.test(l), l);
        assert.equal(orderCue(`ab${l}`, 2, l.length + 2), ORDER_CUE.test(l), l);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('the hand-over cue', () => {
  it('is read by HANDED only where the text before the span ends as HANDED needs', () => {
    const pieces = [
      'forwarded',
      'passed this on',
      'Escalated',
      'ticket',
      'complaint',
      'mail',
      'von',
      'FROM',
      'to',
      'À',
      'a',
      'pelo',
      'de',
      'cc',
      'x',
      ' ',
      ' ',
      ':',
      ': ',
      '\n',
      'é',
      '5',
    ];
    const preps = ['from', 'to', 'by', 'von', 'an', 'à', 'par', 'por', 'a', 'para', 'de', 'pelo', 'pela', 'cc'];
    const cased = (w: string) => fc.constantFrom(w, w.toUpperCase(), w[0]?.toUpperCase() + w.slice(1));
    const phrase = fc
      .tuple(
        fc.constantFrom('forwarded', 'mail', 'Nachricht', 'x', '\n'),
        fc.constantFrom(...preps).chain(cased),
        fc.constantFrom(' ', ' :', ': ', ':'),
      )
      .map(([v, p, e]) => `${v} ${p}${e}`);
    const before = fc.oneof(
      phrase,
      fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(before, (b) => {
        const text = `${b}Anna`;
        const start = b.length;
        if (HANDED.test(text.slice(Math.max(0, start - 40), start))) assert.ok(handedLead(text, start), b);
      }),
      { numRuns: 20_000 },
    );
    assert.ok(handedLead('forwarded from Anna', 15) && handedLead('From: Anna', 6) && !handedLead('met Anna', 4));
  });

  it('finds in windows after each cue the SSNs a search of the whole text finds (D381)', () => {
    const pieces = [
      'ssn',
      'SSN ',
      'social',
      'social security number ',
      ' ',
      ': ',
      '\n',
      'x',
      '.',
      '-',
      '1',
      '12',
      '123',
      '45',
      '6789',
      '123456789',
      '078.05.1120',
      '900123456',
      '1234567890',
      'a'.repeat(40),
    ];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((a) => a.join(''));
    const whole = (t: string) =>
      [...t.matchAll(SSN_CUED)]
        .filter((m) => ssnValid(m) && SSN_CUE_BEFORE.test(t.slice(Math.max(0, m.index - 30), m.index)))
        .map((m) => [m.index, m.index + m[0].length]);
    fc.assert(
      fc.property(text, (t) => assert.deepEqual(cuedSsns(t), whole(t), t)),
      { numRuns: 30_000 },
    );
  });
});
