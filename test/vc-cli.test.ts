// `verity vc verify`: RFC 9901 examples on stdin, exit 0 with the claims or 1 with the reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE, NODE_FLAGS } from './helpers/env.ts';

const ROOT = join(import.meta.dirname, '..');
const V = join(ROOT, 'test', 'vectors', 'sd-jwt');
const KEY = join(V, 'rfc9901-a.5-issuer-key.json');

function run(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(NODE, [...NODE_FLAGS, join(ROOT, 'src', 'cli', 'main.ts'), 'vc', 'verify', ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    c.stdin.end(stdin);
  });
}

const kbArgs = ['--audience', 'https://verifier.example.org', '--nonce', '1234567890', '--now', '1748536900'];

describe('verity vc verify', () => {
  it('prints the processed payload of the RFC 9901 5.2 presentation and exits 0', async () => {
    const r = await run(
      ['--issuer-jwk', KEY, ...kbArgs],
      readFileSync(join(V, 'rfc9901-5.2-presentation-kb.txt'), 'utf8'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(readFileSync(join(V, 'rfc9901-5.2-processed.json'), 'utf8')));
  });

  it('verifies an SD-JWT without key binding when none is asked for', async () => {
    const r = await run(['--issuer-jwk', KEY], readFileSync(join(V, 'rfc9901-a.3-issued.txt'), 'utf8'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).vct, 'urn:eudi:pid:de:1');
  });

  it('exits 1 with the reason: wrong nonce, no key binding, garbage, a changed disclosure', async () => {
    const kb = readFileSync(join(V, 'rfc9901-5.2-presentation-kb.txt'), 'utf8');
    const issued = readFileSync(join(V, 'rfc9901-5.1-issued.txt'), 'utf8');
    const cases: [string[], string, string][] = [
      [
        ['--issuer-jwk', KEY, ...kbArgs.slice(0, 2), '--nonce', 'x', '--now', '1748536900'],
        kb,
        'VERITY_E_VC_KEY_BINDING_INVALID',
      ],
      [['--issuer-jwk', KEY, ...kbArgs], issued, 'VERITY_E_VC_KEY_BINDING_INVALID'],
      [['--issuer-jwk', KEY], 'not an sd-jwt', 'VERITY_E_VC_INVALID'],
      [['--issuer-jwk', KEY], issued.replace('~WyJ', '~WyK'), 'VERITY_E_VC_DISCLOSURE_INVALID'],
    ];
    for (const [args, input, code] of cases) {
      const r = await run(args, input);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stdout, '');
      assert.equal(JSON.parse(r.stderr).error.code, code);
    }
  });
});
