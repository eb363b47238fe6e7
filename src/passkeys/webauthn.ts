// @simplewebauthn/server's values for the passkeys capability, from its joined module where one was
// built (src/deps: the package with its ASN.1 packages is some 250 modules, which took about 190 ms
// to load at every server start). Every module of src/passkeys imports its values from here and
// its types from the package with `import type`. Private to src/passkeys.
import type * as W from '@simplewebauthn/server';
import type * as H from '@simplewebauthn/server/helpers';
import { loadJoined } from '../deps/index.ts';

const w = (await loadJoined<typeof W & typeof H>('@simplewebauthn/server')).module;

export const decodeAttestationObject: typeof H.decodeAttestationObject = w.decodeAttestationObject;
export const generateAuthenticationOptions: typeof W.generateAuthenticationOptions = w.generateAuthenticationOptions;
export const generateRegistrationOptions: typeof W.generateRegistrationOptions = w.generateRegistrationOptions;
export const verifyAuthenticationResponse: typeof W.verifyAuthenticationResponse = w.verifyAuthenticationResponse;
export const verifyRegistrationResponse: typeof W.verifyRegistrationResponse = w.verifyRegistrationResponse;
