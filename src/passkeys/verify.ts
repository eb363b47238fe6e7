// Thin wrappers over @simplewebauthn/server: its errors carry attacker-controlled text (origins,
// ids) in their messages, so they are mapped to fixed, typed ones here.
import type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import { VerityError } from '../errors/index.ts';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from './webauthn.ts';

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

/** What both ceremonies check: the challenge (through the caller), origins, RP id and user verification. */
interface Expected {
  checkChallenge: (c: string) => Promise<void>;
  origins: readonly string[];
  rpId: string;
  requireUserVerification: boolean;
}

/** The library's options for the checks both ceremonies share. */
function expected(o: Expected, type: 'webauthn.create' | 'webauthn.get') {
  return {
    expectedChallenge: async (c: string) => {
      await o.checkChallenge(c);
      return true;
    },
    expectedOrigin: [...o.origins],
    expectedRPID: o.rpId,
    expectedType: type,
    requireUserVerification: o.requireUserVerification,
  };
}

/** Runs a library verification, its errors mapped to VERITY_E_PASSKEY_INVALID. */
async function verified<T extends { verified: boolean }>(run: () => Promise<T>): Promise<T> {
  let r: T;
  try {
    r = await run();
  } catch (e) {
    throw invalid(e);
  }
  if (!r.verified) throw invalid(undefined);
  return r;
}

/** Verifies a registration response (attestation included); throws VERITY_E_PASSKEY_INVALID. */
export async function verifyRegistration(
  o: Expected & { response: RegistrationResponseJSON },
): Promise<NonNullable<VerifiedRegistrationResponse['registrationInfo']>> {
  const r = await verified(() =>
    verifyRegistrationResponse({
      response: o.response,
      ...expected(o, 'webauthn.create'),
      requireUserPresence: true,
      supportedAlgorithmIDs: ALGORITHMS,
    }),
  );
  if (r.registrationInfo === undefined) throw invalid(undefined);
  return r.registrationInfo;
}

/**
 * Verifies an assertion's signature, origin, RP id, type and flags against a stored public key.
 * The counter is left to the caller (it flags a regression), so the library sees counter 0.
 */
export async function verifyAssertion(
  o: Expected & {
    response: AuthenticationResponseJSON;
    credential: { id: string; publicKey: Uint8Array; transports: readonly string[] };
  },
): Promise<VerifiedAuthenticationResponse['authenticationInfo']> {
  const r = await verified(() =>
    verifyAuthenticationResponse({
      response: o.response,
      ...expected(o, 'webauthn.get'),
      credential: {
        id: o.credential.id,
        publicKey: o.credential.publicKey as Uint8Array<ArrayBuffer>,
        counter: 0,
        transports: [...o.credential.transports] as never,
      },
    }),
  );
  return r.authenticationInfo;
}
