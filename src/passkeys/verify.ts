// Thin wrappers over @simplewebauthn/server: its errors carry attacker-controlled text (origins,
// ids) in their messages, so they are mapped to fixed, typed ones here.
import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type VerifiedAuthenticationResponse,
  type VerifiedRegistrationResponse,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { VerityError } from '../errors/index.ts';

/** COSE algorithms accepted for passkeys: ES256, EdDSA, RS256 (an allowlist, never the message's choice). */
export const ALGORITHMS = [-7, -8, -257];

function invalid(e: unknown): VerityError {
  if (e instanceof VerityError) return e;
  const m = e instanceof Error ? e.message : '';
  const why = /origin/i.test(m)
    ? 'it came from an origin this server does not accept'
    : /RP ?ID/i.test(m)
      ? 'it was made for another relying party id'
      : /user verification|user was not verified/i.test(m)
        ? 'the user was not verified (PIN or biometrics are required)'
        : /user presence|not present/i.test(m)
          ? 'the user was not present'
          : /signature/i.test(m)
            ? 'its signature does not verify'
            : /type/i.test(m)
              ? 'it is for another kind of ceremony'
              : 'it is malformed or does not verify';
  return new VerityError('VERITY_E_PASSKEY_INVALID', `the passkey response was refused: ${why}; try again`, {
    cause: e,
  });
}

/** Verifies a registration response (attestation included); throws VERITY_E_PASSKEY_INVALID. */
export async function verifyRegistration(o: {
  response: RegistrationResponseJSON;
  checkChallenge: (c: string) => Promise<void>;
  origins: readonly string[];
  rpId: string;
  requireUserVerification: boolean;
}): Promise<NonNullable<VerifiedRegistrationResponse['registrationInfo']>> {
  let r: VerifiedRegistrationResponse;
  try {
    r = await verifyRegistrationResponse({
      response: o.response,
      expectedChallenge: async (c) => {
        await o.checkChallenge(c);
        return true;
      },
      expectedOrigin: [...o.origins],
      expectedRPID: o.rpId,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: o.requireUserVerification,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (e) {
    throw invalid(e);
  }
  if (!r.verified || r.registrationInfo === undefined) throw invalid(undefined);
  return r.registrationInfo;
}

/**
 * Verifies an assertion's signature, origin, RP id, type and flags against a stored public key.
 * The counter is left to the caller (it flags a regression), so the library sees counter 0.
 */
export async function verifyAssertion(o: {
  response: AuthenticationResponseJSON;
  checkChallenge: (c: string) => Promise<void>;
  origins: readonly string[];
  rpId: string;
  requireUserVerification: boolean;
  credential: { id: string; publicKey: Uint8Array; transports: readonly string[] };
}): Promise<VerifiedAuthenticationResponse['authenticationInfo']> {
  let r: VerifiedAuthenticationResponse;
  try {
    r = await verifyAuthenticationResponse({
      response: o.response,
      expectedChallenge: async (c) => {
        await o.checkChallenge(c);
        return true;
      },
      expectedOrigin: [...o.origins],
      expectedRPID: o.rpId,
      expectedType: 'webauthn.get',
      requireUserVerification: o.requireUserVerification,
      credential: {
        id: o.credential.id,
        publicKey: o.credential.publicKey as Uint8Array<ArrayBuffer>,
        counter: 0,
        transports: [...o.credential.transports] as never,
      },
    });
  } catch (e) {
    throw invalid(e);
  }
  if (!r.verified) throw invalid(undefined);
  return r.authenticationInfo;
}
