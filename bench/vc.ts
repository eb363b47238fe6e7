// SD-JWT VC verification: presentations with key binding verified per second (issuer signature,
// three disclosures, the KB-JWT's signature and sd_hash, aud and nonce), for an EdDSA and an ES256
// issuer, beside the raw WebCrypto Ed25519 and ES256 verifications per second of the same run.
// A presentation costs two signature verifications (issuer and holder), so the bound is half the
// raw rate; the ratios say how much of it the SD-JWT processing leaves.
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { JsonValue } from '../src/encoding/index.ts';
import {
  cryptoKeySigner,
  issueSdJwt,
  type JwsAlgorithm,
  type PrivateCryptoKey,
  presentSdJwt,
  verifySdJwt,
} from '../src/sdjwt/index.ts';
import { type Figure, callsPerSec as rate } from './core.ts';

const KB = { audience: 'https://verifier.example', nonce: 'bench-nonce' };

async function presentation(alg: JwsAlgorithm): Promise<{ p: string; issuerKey: JWK; now: number }> {
  const issuer = await generateKeyPair(alg, { extractable: true });
  const holder = await generateKeyPair(alg, { extractable: true });
  const now = Math.floor(Date.now() / 1000);
  const { sdJwt } = await issueSdJwt(
    {
      iss: 'https://issuer.example',
      iat: now,
      exp: now + 3600,
      vct: 'urn:verity:credential:membership',
      cnf: { jwk: (await exportJWK(holder.publicKey)) as JsonValue },
      platform: 'world-1',
      member_since: '2026-01-01',
      tier: 'gold',
    },
    { sd: ['platform', 'member_since', 'tier'] },
    { alg, typ: 'dc+sd-jwt', sign: cryptoKeySigner(issuer.privateKey as PrivateCryptoKey, alg), decoys: 2 },
  );
  const p = await presentSdJwt(sdJwt, () => true, {
    alg,
    sign: cryptoKeySigner(holder.privateKey as PrivateCryptoKey, alg),
    ...KB,
    iat: now,
  });
  return { p, issuerKey: (await exportJWK(issuer.publicKey)) as JWK, now };
}

async function rawVerify(alg: 'EdDSA' | 'ES256', ms: number): Promise<number> {
  const params = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const signing = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  const k = (await crypto.subtle.generateKey(params, false, ['sign', 'verify'])) as {
    privateKey: PrivateCryptoKey;
    publicKey: PrivateCryptoKey;
  };
  // About the size of an issuer-signed JWT's signing input.
  const msg = new Uint8Array(900).fill(7);
  const sig = await crypto.subtle.sign(signing, k.privateKey, msg);
  return rate(ms, () => crypto.subtle.verify(signing, k.publicKey, sig, msg));
}

export async function benchVc(quick: boolean): Promise<Figure[]> {
  const ms = quick ? 300 : 1000;
  const out: Figure[] = [];
  for (const alg of ['EdDSA', 'ES256'] as const) {
    const { p, issuerKey, now } = await presentation(alg);
    const o = { issuerKey, now, types: ['dc+sd-jwt'], keyBinding: KB };
    const vc = await rate(ms, () => verifySdJwt(p, o));
    const raw = await rawVerify(alg, ms);
    out.push(
      { name: `vcVerify${alg}PerSec`, value: vc, unit: 'presentations/s' },
      { name: `rawVerify${alg}PerSec`, value: raw, unit: 'verifications/s' },
      { name: `vcVerify${alg}VsRaw`, value: vc / (raw / 2), unit: 'ratio' },
    );
  }
  return out;
}

if (import.meta.main) {
  for (const f of await benchVc(process.argv.includes('--quick')))
    process.stdout.write(`${f.name}  ${f.value.toFixed(f.unit === 'ratio' ? 3 : 0)} ${f.unit}\n`);
}
