// Attestation statements of real authenticators, one per format Verity accepts (packed, TPM, Android
// Key, Apple, FIDO U2F), verified through Verity's registration verifier. The vectors are transcribed
// from the SimpleWebAuthn test suite (test/vectors/webauthn/attestation.json cites file and test of
// each); the clock is set to the instant the original test uses, inside the certificates' validity.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import type * as W from '@simplewebauthn/server';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { loadJoined } from '../src/deps/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { verifyRegistration } from '../src/passkeys/verify.ts';

// The settings of the very copy of SimpleWebAuthn that Verity verifies with: its joined module
// where one was built (D338), else the package.
const { SettingsService } = (await loadJoined<typeof W>('@simplewebauthn/server')).module;

interface Vector {
  fmt: string;
  source: string;
  time: string | null;
  expectedChallenge: string;
  expectedOrigin: string;
  expectedRPID: string;
  response: RegistrationResponseJSON;
}
const { vectors } = JSON.parse(
  readFileSync(join(import.meta.dirname, 'vectors', 'webauthn', 'attestation.json'), 'utf8'),
) as { vectors: Vector[] };
// The Apple vector's leaf certificate was valid for one day (the original test fakes no time).
const TIME: Record<string, string> = { apple: '2020-09-13T12:00:00.000Z' };

async function verify(v: Vector, o: { challenge?: string; origin?: string; response?: RegistrationResponseJSON } = {}) {
  const at = v.time ?? TIME[v.fmt];
  if (at !== undefined) mock.timers.enable({ apis: ['Date'], now: new Date(at) });
  // The Android Key vector comes from FIDO conformance tooling, whose root is not Google's: as in
  // the original test, no Android root is configured for it.
  if (v.fmt === 'android-key') SettingsService.setRootCertificates({ identifier: 'android-key', certificates: [] });
  try {
    return await verifyRegistration({
      response: o.response ?? v.response,
      checkChallenge: async (c) => {
        if (c !== (o.challenge ?? v.expectedChallenge)) throw new Error('challenge');
      },
      origins: [o.origin ?? v.expectedOrigin],
      rpId: v.expectedRPID,
      requireUserVerification: false,
    });
  } finally {
    mock.timers.reset();
  }
}

describe('WebAuthn attestation formats (real authenticators)', () => {
  it('covers packed, TPM, Android Key, Apple and FIDO U2F', () => {
    assert.deepEqual(vectors.map((v) => v.fmt).sort(), ['android-key', 'apple', 'fido-u2f', 'packed', 'tpm']);
  });
  for (const v of vectors) {
    it(`verifies a ${v.fmt} attestation (${v.source.split(' ')[1]})`, async () => {
      const info = await verify(v);
      assert.equal(info.fmt, v.fmt);
      assert.match(info.credential.id, /^[A-Za-z0-9_-]{16,}$/);
    });
    it(`refuses the ${v.fmt} attestation for another origin or with an altered statement`, async () => {
      await assert.rejects(verify(v, { origin: 'https://elsewhere.example' }), (e) =>
        isVerityError(e, 'VERITY_E_PASSKEY_INVALID'),
      );
      const att = Buffer.from(v.response.response.attestationObject, 'base64url');
      // Flip one byte near the end (the credential public key in authData): the signature no longer holds.
      att[att.length - 5] = (att[att.length - 5] as number) ^ 1;
      const response = {
        ...v.response,
        response: { ...v.response.response, attestationObject: att.toString('base64url') },
      };
      await assert.rejects(verify(v, { response }), (e) => isVerityError(e));
    });
  }
});
