// RFC 9901 (SD-JWT) examples: they verify, and altered ones do not.
// Vectors: test/vectors/sd-jwt/ (transcribed from RFC 9901 sections 5.1, 5.2, A.1 to A.5).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JWK } from 'jose';
import { isVerityError } from '../src/errors/index.ts';
import { verifySdJwt } from '../src/vc/index.ts';

const DIR = join(import.meta.dirname, 'vectors', 'sd-jwt');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8').trim();
const KEY = JSON.parse(read('rfc9901-a.5-issuer-key.json')) as JWK;
// The examples' Key Binding JWTs were made at iat 1748536865; verify as of a minute later.
const NOW = 1748536865 + 60;
const KB = { audience: 'https://verifier.example.org', nonce: '1234567890' };

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isVerityError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Replaces the part at `i` of a `~`-separated presentation. */
function withPart(s: string, i: number, f: (p: string) => string): string {
  const parts = s.split('~');
  parts[i] = f(parts[i] as string);
  return parts.join('~');
}

/** Changes one character of base64url text to another that decodes to other bytes. */
function flip(s: string, at: number): string {
  const c = s[at] as string;
  return `${s.slice(0, at)}${c === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
}

describe('RFC 9901 examples verify', () => {
  it('5.1: the issued SD-JWT with all disclosures', async () => {
    const v = await verifySdJwt(read('rfc9901-5.1-issued.txt'), { issuerKey: KEY, now: NOW });
    assert.equal(v.claims['given_name'], 'John');
    assert.equal(v.claims['email'], 'johndoe@example.com');
    assert.equal(v.claims['phone_number_verified'], true);
    assert.deepEqual(v.claims['nationalities'], ['US', 'DE']);
    assert.equal(v.claims['_sd'], undefined);
    assert.equal(v.claims['_sd_alg'], undefined);
    assert.equal(v.disclosures.length, 10);
  });

  it('5.2: the SD-JWT+KB gives the processed payload of the RFC', async () => {
    const v = await verifySdJwt(read('rfc9901-5.2-presentation-kb.txt'), { issuerKey: KEY, now: NOW, keyBinding: KB });
    assert.deepEqual(v.claims, JSON.parse(read('rfc9901-5.2-processed.json')));
    assert.equal(v.keyBinding?.['nonce'], '1234567890');
  });

  it('A.1: structured disclosures with decoys', async () => {
    const v = await verifySdJwt(read('rfc9901-a.1-presentation.txt'), { issuerKey: KEY, now: NOW });
    assert.deepEqual(v.claims['address'], { region: '港区', country: 'JP' });
  });

  it('A.2: a complex structured SD-JWT', async () => {
    const v = await verifySdJwt(read('rfc9901-a.2-presentation.txt'), { issuerKey: KEY, now: NOW });
    assert.equal(typeof v.claims['verified_claims'], 'object');
  });

  it('A.3: the SD-JWT VC (dc+sd-jwt) issued, and presented with key binding', async () => {
    const issued = await verifySdJwt(read('rfc9901-a.3-issued.txt'), {
      issuerKey: KEY,
      now: NOW,
      types: ['dc+sd-jwt'],
    });
    assert.equal(issued.claims['vct'], 'urn:eudi:pid:de:1');
    const v = await verifySdJwt(read('rfc9901-a.3-presentation-kb.txt'), {
      issuerKey: KEY,
      now: NOW,
      types: ['dc+sd-jwt'],
      keyBinding: KB,
    });
    assert.deepEqual(v.claims['age_equal_or_over'], { '18': true });
    assert.deepEqual(v.claims['nationalities'], ['DE']);
    assert.equal(v.claims['given_name'], undefined);
  });

  it('A.4: a W3C VC Data Model payload with key binding', async () => {
    const v = await verifySdJwt(read('rfc9901-a.4-presentation-kb.txt'), { issuerKey: KEY, now: NOW, keyBinding: KB });
    assert.ok(v.keyBinding !== undefined);
  });
});

describe('altered RFC 9901 examples do not verify', () => {
  const issued = read('rfc9901-5.1-issued.txt');
  const kb = read('rfc9901-5.2-presentation-kb.txt');
  const o = { issuerKey: KEY, now: NOW };

  it('a changed disclosure (now unreferenced)', async () => {
    await refused(
      verifySdJwt(
        withPart(issued, 1, (d) => flip(d, 5)),
        o,
      ),
      'VERITY_E_VC_DISCLOSURE_INVALID',
    );
  });

  it('a disclosure given twice', async () => {
    const parts = issued.split('~');
    await refused(verifySdJwt(`${parts[0]}~${parts[1]}~${parts[1]}~`, o), 'VERITY_E_VC_DISCLOSURE_INVALID');
  });

  it('a changed signature byte, a dropped one, two swapped', async () => {
    const jwt = issued.split('~')[0] as string;
    const sig = jwt.split('.')[2] as string;
    const head = jwt.slice(0, jwt.length - sig.length);
    const swapped = `${sig.slice(0, 10)}${sig[11]}${sig[10]}${sig.slice(12)}`;
    for (const s of [flip(sig, 3), sig.slice(1), swapped])
      await assert.rejects(verifySdJwt(`${head}${s}~`, o), (e: unknown) => isVerityError(e));
    // The signature's last character carries two unused bits: a changed unused bit is refused too.
    const last = sig[sig.length - 1] as string;
    const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = b64[b64.indexOf(last) ^ 1] as string;
    await refused(verifySdJwt(`${head}${sig.slice(0, -1)}${twin}~`, o), 'VERITY_E_VC_INVALID');
  });

  it('a changed payload byte', async () => {
    const jwt = issued.split('~')[0] as string;
    const [h, p, s] = jwt.split('.') as [string, string, string];
    await refused(verifySdJwt(`${h}.${flip(p, 40)}.${s}~`, o), 'VERITY_E_VC_INVALID');
  });

  it('the wrong issuer key', async () => {
    const other = {
      ...KEY,
      x: 'TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc',
      y: 'ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ',
    };
    await refused(verifySdJwt(issued, { ...o, issuerKey: other }), 'VERITY_E_VC_SIGNATURE_INVALID');
  });

  it('a wrong sd_hash: a disclosure dropped after key binding', async () => {
    const parts = kb.split('~');
    parts.splice(1, 1);
    await refused(verifySdJwt(parts.join('~'), { ...o, keyBinding: KB }), 'VERITY_E_VC_KEY_BINDING_INVALID');
  });

  it('a wrong nonce, a wrong audience', async () => {
    await refused(
      verifySdJwt(kb, { ...o, keyBinding: { ...KB, nonce: '1234567891' } }),
      'VERITY_E_VC_KEY_BINDING_INVALID',
    );
    await refused(
      verifySdJwt(kb, { ...o, keyBinding: { ...KB, audience: 'https://other.example.org' } }),
      'VERITY_E_VC_KEY_BINDING_INVALID',
    );
  });

  it('an expired key binding JWT (iat too old), and one from the future', async () => {
    await refused(verifySdJwt(kb, { ...o, now: NOW + 3600, keyBinding: KB }), 'VERITY_E_VC_KEY_BINDING_INVALID');
    await refused(verifySdJwt(kb, { ...o, now: NOW - 3600, keyBinding: KB }), 'VERITY_E_VC_KEY_BINDING_INVALID');
  });

  it('key binding required but absent', async () => {
    await refused(verifySdJwt(issued, { ...o, keyBinding: { required: true } }), 'VERITY_E_VC_KEY_BINDING_INVALID');
  });

  it('a changed key binding JWT signature', async () => {
    const parts = kb.split('~');
    await refused(
      verifySdJwt(
        withPart(kb, parts.length - 1, (k) => flip(k, k.length - 10)),
        { ...o, keyBinding: KB },
      ),
      'VERITY_E_VC_KEY_BINDING_INVALID',
    );
  });

  it('an expired credential', async () => {
    await refused(verifySdJwt(issued, { ...o, now: 1883000000 + 3600 }), 'VERITY_E_VC_EXPIRED');
  });

  it('a typ other than the one demanded', async () => {
    await refused(verifySdJwt(issued, { ...o, types: ['dc+sd-jwt'] }), 'VERITY_E_VC_INVALID');
  });
});
