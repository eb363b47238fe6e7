import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { isVerityError } from '../errors/index.ts';
import { fileProblem, readInput } from './io.ts';

describe('the CLI reading files', () => {
  it('says why a file cannot be read: missing, or a folder', async () => {
    const tmp = await tempDir('verity-io-');
    try {
      const refused = (why: RegExp) => (e: unknown) =>
        isVerityError(e, 'VERITY_E_INPUT_INVALID') && why.test(e.message);
      await assert.rejects(readInput(join(tmp.dir, 'nope.json')), refused(/nope\.json`: it does not exist$/));
      await assert.rejects(readInput(tmp.dir), refused(/: it is a folder, not a file$/));
    } finally {
      await tmp.cleanup();
    }
  });

  it('names the usual failures to write', () => {
    assert.match(fileProblem({ code: 'ENOENT' }, true), /its folder does not exist/);
    assert.match(fileProblem({ code: 'EEXIST' }, true), /never overwritten/);
    assert.equal(fileProblem({ code: 'EACCES' }), 'permission denied');
    assert.equal(fileProblem({ code: 'EXDEV' }), 'the operating system said EXDEV');
    assert.equal(fileProblem(new Error('x')), 'the operating system refused');
  });
});
