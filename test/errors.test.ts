// Every error code used in the code is in the one table, has an HTTP status, and is documented.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES, httpStatusOf } from '../src/codes/index.ts';
import { quote, VerityError } from '../src/errors/index.ts';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('error codes', () => {
  const used = new Set<string>();
  for (const f of sources(join(ROOT, 'src')))
    for (const m of readFileSync(f, 'utf8').matchAll(/VERITY_E_[A-Z0-9_]+/g)) used.add(m[0]);
  const docs = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

  it('every code used is in the table with an HTTP status', () => {
    for (const c of used) {
      assert.ok(Object.hasOwn(ERROR_CODES, c), `${c} is used but not in src/codes/codes.ts`);
      const s = httpStatusOf(c as keyof typeof ERROR_CODES);
      assert.ok(s >= 400 && s < 600);
    }
  });

  it('every code in the table is documented', () => {
    for (const c of Object.keys(ERROR_CODES))
      assert.ok(docs.includes(`\`${c}\``), `${c} is missing from docs/errors.md`);
  });

  it('a code is raised by one class: VERITY_E_KEY_PASSPHRASE only as KeyError', () => {
    // `new SomeError(` then the code as the first argument, possibly on the next line.
    const raised = new Map<string, Set<string>>();
    for (const f of sources(join(ROOT, 'src'))) {
      if (f.endsWith('.test.ts')) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/new ([A-Za-z]+Error)\(\s*'(VERITY_E_[A-Z0-9_]+)'/g)) {
        const classes = raised.get(m[2] as string) ?? new Set<string>();
        classes.add(m[1] as string);
        raised.set(m[2] as string, classes);
      }
    }
    assert.deepEqual([...(raised.get('VERITY_E_KEY_PASSPHRASE') ?? [])], ['KeyError']);
  });

  it('errors carry their code and serialize without stack or cause', () => {
    const e = new VerityError('VERITY_E_INPUT_INVALID', 'bad', { cause: new Error('secret detail') });
    assert.equal(e.name, 'VerityError');
    assert.deepEqual(JSON.parse(JSON.stringify(e)), { error: { code: 'VERITY_E_INPUT_INVALID', message: 'bad' } });
  });

  it('quotes user input on one line, truncated', () => {
    assert.equal(quote('a`b\nc'), '`a?b?c`');
    assert.ok(quote('x'.repeat(500)).length < 80);
  });
});
