import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromUtf8, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { checkIdentifier, identifierProblem, isIdentifier } from './index.ts';

const invalid = (what: RegExp) => (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID') && what.test(String(e));

/** Characters that collide, vanish or change under encoding or normalization. */
const TRICKY = [
  'a',
  'e',
  'A',
  '\u0301', // combining acute accent: e + U+0301 is é in NFD
  '\u00e9', // é
  '\u212b', // Angstrom sign: NFC turns it into Å
  '\u00c5', // Å
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\ufffd', // the replacement character UTF-8 puts in their place
  '\u200b', // zero-width space
  '\u200d', // zero-width joiner
  '\ufe0f', // variation selector
  '\u00ad', // soft hyphen
  '\u202e', // right-to-left override
  '\u0000',
  '\u0085', // C1 control
  '\u2028', // line separator
  '\ufffe', // noncharacter
  ' ',
  '\u00a0',
  '-',
];
const tricky = fc.array(fc.constantFrom(...TRICKY), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)) });

describe('identifiers', () => {
  it('refuse lone surrogates, so `victim\\ud800` and `victim\\udfff` cannot stand for `victim\\ufffd`', () => {
    assert.throws(() => checkIdentifier('victim\ud800', 'subject id'), invalid(/lone surrogate/));
    assert.throws(() => checkIdentifier('victim\udfff', 'subject id'), invalid(/lone surrogate/));
    assert.throws(() => checkIdentifier('\udfff\ud800', 'subject id'), invalid(/lone surrogate/));
    assert.equal(checkIdentifier('victim\ufffd', 'subject id'), 'victim\ufffd');
    assert.equal(checkIdentifier('player-\u{1f600}', 'subject id'), 'player-\u{1f600}');
  });

  it('refuse strings not in NFC, saying to normalize them', () => {
    assert.throws(() => checkIdentifier('jose\u0301', 'subject id'), invalid(/normalize to NFC/));
    assert.throws(() => checkIdentifier('\u212b', 'subject id'), invalid(/normalize to NFC/));
    assert.equal(checkIdentifier('jos\u00e9', 'subject id'), 'jos\u00e9');
  });

  it('refuse zero-width, default-ignorable, control and separator characters and outer white space', () => {
    for (const s of [
      'ad\u200ba',
      'ad\u200da',
      'ad\u00ada',
      'a\u202eb',
      'a\ufe0f',
      'a\u0000',
      'a\u007f',
      'a\u0085',
      'a\u2028b',
      'a\ufffe',
    ])
      assert.throws(() => checkIdentifier(s, 'subject id'), invalid(/holds U\+/), JSON.stringify(s));
    assert.throws(() => checkIdentifier(' ada', 'subject id'), invalid(/white space/));
    assert.throws(() => checkIdentifier('ada\u00a0', 'subject id'), invalid(/white space/));
    assert.equal(checkIdentifier('ada lovelace', 'subject id'), 'ada lovelace');
  });

  it('apply length limits and patterns after the Unicode rules', () => {
    assert.throws(() => checkIdentifier('', 'subject id'), invalid(/1 to 256 characters/));
    assert.throws(() => checkIdentifier('x'.repeat(257), 'subject id'), invalid(/1 to 256/));
    assert.throws(() => checkIdentifier(7, 'subject id'), invalid(/subject id/));
    const rule = { maxLength: 8, pattern: /^[a-z]+$/, hint: 'lowercase letters' };
    assert.throws(() => checkIdentifier('Abc', 'domain', rule), invalid(/lowercase letters/));
    assert.equal(checkIdentifier('abc', 'domain', rule), 'abc');
  });

  it('property: an accepted identifier is exactly what its UTF-8 bytes decode to, and NFC', () => {
    fc.assert(
      fc.property(fc.oneof(tricky, anyUnits, fc.string({ unit: 'binary' })), (s) => {
        if (!isIdentifier(s)) return;
        assert.equal(identifierProblem(s), undefined);
        assert.equal(fromUtf8(utf8(s)), s);
        assert.equal(s.normalize('NFC'), s);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: two distinct accepted identifiers never share UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.oneof(tricky, anyUnits), fc.oneof(tricky, anyUnits), (a, b) => {
        if (a === b || !isIdentifier(a) || !isIdentifier(b)) return;
        assert.notDeepEqual(utf8(a), utf8(b));
      }),
      { numRuns: 5000 },
    );
  });
});
