import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VerityError } from '../errors/index.ts';
import {
  bytesEqual,
  canonicalJson,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  parseJson,
  readBounded,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './index.ts';

describe('byte encodings', () => {
  it('round-trip base64, base64url and hex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        assert.deepEqual(fromBase64(toBase64(b)), b);
        assert.deepEqual(fromBase64Url(toBase64Url(b)), b);
        assert.deepEqual(fromHex(toHex(b)), b);
      }),
    );
  });

  it('refuse non-canonical or foreign input instead of guessing', () => {
    for (const bad of ['QQ', 'QQ=', 'QR==', 'Q===', 'QQ==\n', ' QQ==', 'QQ-_', '****']) {
      assert.throws(() => fromBase64(bad), VerityError, bad);
    }
    for (const bad of ['QQ==', 'Q', 'QR', 'a+b']) assert.throws(() => fromBase64Url(bad), VerityError, bad);
    for (const bad of ['0', 'zz', '0x00']) assert.throws(() => fromHex(bad), VerityError, bad);
    assert.throws(() => fromUtf8(new Uint8Array([0xc3, 0x28])), VerityError);
  });

  it('compares in constant time and handles length mismatch', () => {
    assert.equal(bytesEqual(utf8('abc'), utf8('abc')), true);
    assert.equal(bytesEqual(utf8('abc'), utf8('abd')), false);
    assert.equal(bytesEqual(utf8('abc'), utf8('ab')), false);
  });
});

describe('bounded stream reads', () => {
  /** A stream of `chunks` that records whether it was cancelled (and can fail the cancel). */
  function source(chunks: Uint8Array[], failCancel = false) {
    const seen = { cancelled: false, pulled: 0 };
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          const next = chunks[seen.pulled++];
          if (next === undefined) c.close();
          else c.enqueue(next);
        },
        cancel() {
          seen.cancelled = true;
          if (failCancel) throw new Error('cancel failed');
        },
        // Pulled only when read: `pulled` counts the chunks the reader asked for.
      },
      { highWaterMark: 0 },
    );
    return { reader: stream.getReader(), seen };
  }
  const tooLarge = () => new RangeError('too large');

  it('joins the chunks of a stream up to the limit', async () => {
    const { reader } = source([utf8('ab'), utf8(''), utf8('cde')]);
    assert.deepEqual(await readBounded(reader, 5, tooLarge), utf8('abcde'));
    assert.deepEqual(await readBounded(source([]).reader, 0, tooLarge), new Uint8Array(0));
  });

  it('refuses a stream past the limit, cancelling it before reading the rest', async () => {
    const { reader, seen } = source([utf8('abc'), utf8('def'), utf8('ghi')]);
    await assert.rejects(readBounded(reader, 5, tooLarge), /too large/);
    assert.equal(seen.cancelled, true);
    assert.equal(seen.pulled, 2);
  });

  it('reports the limit even when cancelling fails', async () => {
    const { reader, seen } = source([utf8('abcdef')], true);
    await assert.rejects(readBounded(reader, 5, tooLarge), /too large/);
    assert.equal(seen.cancelled, true);
  });
});

describe('JSON at the boundary', () => {
  it('says an empty input is empty, not that its JSON ended early (D415)', () => {
    for (const text of ['', '  \n'])
      assert.throws(
        () => parseJson(text, { maxBytes: 100, maxDepth: 5 }, 'the evidence'),
        (e) =>
          e instanceof VerityError &&
          e.code === 'VERITY_E_INPUT_MALFORMED' &&
          e.message === 'the evidence is empty: there is no JSON in it',
      );
  });

  it('enforces size and depth limits before parsing', () => {
    assert.throws(
      () => parseJson('[1,2,3]', { maxBytes: 3, maxDepth: 5 }),
      (e) => e instanceof VerityError && e.code === 'VERITY_E_INPUT_TOO_LARGE',
    );
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    assert.throws(
      () => parseJson(deep, { maxBytes: 1000, maxDepth: 32 }),
      (e) => e instanceof VerityError && e.code === 'VERITY_E_INPUT_TOO_LARGE',
    );
    // Brackets inside strings do not count.
    assert.deepEqual(
      parseJson(JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' }), { maxBytes: 1000, maxDepth: 2 }),
      { s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' },
    );
  });

  it('refuses __proto__ keys and malformed text with typed errors', () => {
    assert.throws(
      () => parseJson('{"__proto__":{"x":1}}'),
      (e) => e instanceof VerityError && e.code === 'VERITY_E_INPUT_MALFORMED',
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseJson(s);
        } catch (e) {
          assert.ok(e instanceof VerityError);
        }
      }),
    );
  });

  it('canonicalizes per RFC 8785', () => {
    // RFC 8785 section 3.2.2 and appendix examples: sorted keys, ES number serialization, minimal escapes.
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'] }), '{"a":[true,null,"x"],"b":1}');
    assert.equal(
      // biome-ignore lint/correctness/noPrecisionLoss: RFC 8785 3.2.2.3 example: the literal must round to 333333333.3333333
      canonicalJson({ numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001] }),
      '{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
    );
    assert.equal(canonicalJson({ string: '€$\u000f\nA\'B"\\\\"/' }), '{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    assert.equal(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3 }), '{"\\r":2,"1":3,"€":1}');
    assert.throws(() => canonicalJson(Number.NaN));
  });

  it('refuses what it cannot canonicalize with a coded error that names an unpaired surrogate too', () => {
    for (const v of [{ s: 'ok\ud800' }, { 'k\ud83d': 1 }, { n: Number.POSITIVE_INFINITY }, { b: 10n }, () => 1])
      assert.throws(
        () => canonicalJson(v),
        (e) => e instanceof VerityError && e.code === 'VERITY_E_INPUT_INVALID' && /unpaired surrogate/.test(e.message),
      );
    // A surrogate pair is well-formed and canonicalizes.
    assert.equal(canonicalJson({ s: '\ud83d\ude00' }), '{"s":"\u{1F600}"}');
  });
});

describe('JSON __proto__ refusal', () => {
  it('refuses the key spelled out or escaped', () => {
    for (const t of [
      '{"__proto__":1}',
      '{"a":{"__proto__":{"x":1}}}',
      '{"\\u005f_proto__":1}',
      '{"__pr\\u006fto__":{}}',
    ]) {
      assert.throws(
        () => parseJson(t),
        (e) => e instanceof VerityError && e.code === 'VERITY_E_INPUT_MALFORMED',
        t,
      );
    }
    assert.deepEqual(parseJson('{"a":"\\u00e9","b":"__proto"}'), { a: 'é', b: '__proto' });
  });
});

describe('JSON duplicate keys', () => {
  const dup = (e: unknown) =>
    e instanceof VerityError && e.code === 'VERITY_E_INPUT_MALFORMED' && /twice/.test(e.message);

  /** A key spelled with every character as a \u escape: the same key to JSON, other bytes. */
  const escaped = (k: string) =>
    `"${[...k].map((c) => [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')).join('')}"`;

  it('refuses an object with a key twice, spelled out or escaped, at any depth', () => {
    for (const t of [
      '{"a":1,"a":1}',
      '{"a":1,"b":2,"a":3}',
      '{"x":{"a":1,"a":2}}',
      '[[[{"a":[{"b":0,"b":0}]}]]]',
      '{"a":1,"\\u0061":2}',
      '{"\\"":1,"\\u0022":2}',
      '{"":1,"":2}',
      '{"a" : 1 , "a" : 2}',
    ])
      assert.throws(() => parseJson(t), dup, t);
    // Equal keys in different objects, and keys that only look alike, are different keys.
    assert.deepEqual(parseJson('{"a":{"a":1},"b":[{"a":2},{"a":3}]}'), { a: { a: 1 }, b: [{ a: 2 }, { a: 3 }] });
    assert.deepEqual(parseJson('{"a":1,"A":2,"a ":3,"\\u00e9":4,"e\\u0301":5}'), {
      a: 1,
      A: 2,
      'a ': 3,
      é: 4,
      'e\u0301': 5,
    });
    assert.deepEqual(parseJson('{"s":"a:b","t":"{\\"a\\":1,\\"a\\":2}"}'), { s: 'a:b', t: '{"a":1,"a":2}' });
  });

  it('property: any JSON text with a key twice in some object is refused; JSON.stringify output never is', () => {
    const key = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__');
    // `__proto__` anywhere in the text is refused on purpose before keys are counted (prototype
    // pollution), with its own message, so values holding one are not what this property is about.
    const value = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__":'));
    // First the seed that once found an escaped duplicate hidden by JSON.parse decoding the escaped
    // key wrongly after a hundred earlier parses (it failed before the escaped-text scan), then the
    // seed whose value held a `__proto__` key (it failed before the filter above), then a random one.
    for (const seed of [-1231944825, -1649462884, undefined])
      fc.assert(
        fc.property(
          fc.uniqueArray(key, { minLength: 1, maxLength: 5 }),
          value,
          fc.nat(),
          fc.boolean(),
          fc.array(fc.constantFrom('array', 'object'), { maxLength: 6 }),
          (keys, value, pick, esc, wrappers) => {
            const k = keys[pick % keys.length] as string;
            const members = keys.map((x) => `${JSON.stringify(x)}:${JSON.stringify(value)}`);
            members.splice(pick % (members.length + 1), 0, `${esc ? escaped(k) : JSON.stringify(k)}:null`);
            let text = `{${members.join(',')}}`;
            for (const w of wrappers) text = w === 'array' ? `[1,${text},{"z":0}]` : `{"w":${text},"y":[]}`;
            assert.throws(() => parseJson(text), dup, text);
          },
        ),
        seed === undefined ? { numRuns: 500 } : { numRuns: 500, seed },
      );
    fc.assert(
      // `__proto__` as a key is refused on purpose (prototype pollution), so values with one are not
      // what this property is about; the generator produced one now and then (a flaky run).
      fc.property(
        fc.jsonValue({ maxDepth: 6 }).filter((v) => !JSON.stringify(v).includes('"__proto__":')),
        (v) => {
          const text = JSON.stringify(v);
          assert.deepEqual(parseJson(text), JSON.parse(text));
        },
      ),
    );
  });
});
