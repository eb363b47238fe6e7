// Passkey sign-in verification (the WebAuthn assertion check of `@simplewebauthn/server` as Verity
// calls it: client data, authenticator data, ES256 signature) per second and p99, beside raw ES256
// verifications by node:crypto in the same run. Assertions come from a software authenticator.
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { verifyAssertion } from '../src/passkeys/verify.ts';
import { SoftAuthenticator } from '../test/helpers/authenticator.ts';
import type { Figure } from './core.ts';

const ORIGIN = 'https://play.example.com';

export async function benchPasskeys(quick: boolean): Promise<Figure[]> {
  const n = quick ? 300 : 2000;
  const device = new SoftAuthenticator();
  const options = await generateRegistrationOptions({ rpName: 'bench', rpID: 'play.example.com', userName: 'p' });
  const reg = await verifyRegistrationResponse({
    response: device.create(options, { origin: ORIGIN }),
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
  });
  const cred = reg.registrationInfo?.credential;
  if (cred === undefined) throw new Error('registration failed');
  const request = { challenge: 'Y2hhbGxlbmdl', rpId: 'play.example.com' };
  const assertions = Array.from({ length: n }, () => device.get(request, { origin: ORIGIN }));
  const times: number[] = [];
  const t0 = performance.now();
  for (const a of assertions) {
    const s = performance.now();
    await verifyAssertion({
      response: a,
      checkChallenge: async () => undefined,
      origins: [ORIGIN],
      rpId: 'play.example.com',
      requireUserVerification: true,
      credential: { id: cred.id, publicKey: cred.publicKey, transports: [] },
    });
    times.push(performance.now() - s);
  }
  const perSec = n / ((performance.now() - t0) / 1000);
  times.sort((a, b) => a - b);
  const p99 = times[Math.floor(times.length * 0.99)] as number;
  // Raw ES256 verification of the same sized message (authenticator data + client data hash).
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const msg = Buffer.concat([Buffer.alloc(37, 1), createHash('sha256').update('x').digest()]);
  const sig = sign('sha256', msg, privateKey);
  const r0 = performance.now();
  for (let i = 0; i < n; i++) verify('sha256', msg, publicKey, sig);
  const rawPerSec = n / ((performance.now() - r0) / 1000);
  return [
    { name: 'passkeyVerifyPerSec', value: perSec, unit: 'assertions/s' },
    { name: 'passkeyVerifyP99Ms', value: p99, unit: 'ms' },
    { name: 'rawEs256VerifyPerSec', value: rawPerSec, unit: 'verifications/s' },
    { name: 'passkeyVsRawEs256', value: perSec / rawPerSec, unit: 'ratio' },
  ];
}
