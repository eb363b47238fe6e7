// A software WebAuthn authenticator for tests and the benchmark: P-256 keys made by node:crypto,
// authenticator data and attestation objects laid out as WebAuthn Level 3 6.1 and 6.5 say, `none`
// or `packed` (full, with an x5c chain) attestation. It is a fake of a device, not of Verity.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());
const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

/** A packed attestation: the attestation key and its certificate chain (DER, leaf first). */
export interface PackedAttestation {
  readonly key: KeyObject;
  readonly x5c: readonly Uint8Array[];
  /** AAGUID as 16 bytes. */
  readonly aaguid: Uint8Array;
}

interface Credential {
  readonly id: Uint8Array;
  readonly key: KeyObject;
  readonly userHandle: string;
  counter: number;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const m = new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x as string, 'base64url')],
    [-3, Buffer.from(jwk.y as string, 'base64url')],
  ]);
  return isoCBOR.encode(m as never);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export class SoftAuthenticator {
  readonly credentials = new Map<string, Credential>();
  /** Flags: user present, user verified (default both). */
  uv = true;
  /** Counter step per assertion (0: a counterless authenticator). */
  step = 1;

  /** Answers creation options as `origin` would (`rpId`: the one the browser would use). */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    o: { origin: string; rpId?: string; attestation?: PackedAttestation },
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = sha256(`${Math.random()}${Date.now()}`).slice(0, 16);
    const rpId = o.rpId ?? (options.rp.id as string);
    const clientDataJSON = JSON.stringify({
      type: 'webauthn.create',
      challenge: options.challenge,
      origin: o.origin,
      crossOrigin: false,
    });
    const aaguid = o.attestation?.aaguid ?? new Uint8Array(16);
    const cose = coseKey(publicKey);
    const authData = Buffer.concat([
      sha256(rpId),
      Uint8Array.of(0x41 | (this.uv ? 0x04 : 0)),
      u32(0),
      aaguid,
      Uint8Array.of(id.length >> 8, id.length & 255),
      id,
      cose,
    ]);
    let attStmt = new Map<string, unknown>();
    let fmt = 'none';
    if (o.attestation !== undefined) {
      fmt = 'packed';
      const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), o.attestation.key);
      attStmt = new Map<string, unknown>([
        ['alg', -7],
        ['sig', new Uint8Array(sig)],
        ['x5c', o.attestation.x5c.map((c) => new Uint8Array(c))],
      ]);
    }
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', fmt],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    this.credentials.set(b64u(id), { id, key: privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id: b64u(id),
      rawId: b64u(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  /** Answers request options with `credentialId` (or the first credential). */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    o: { origin: string; rpId?: string; credentialId?: string; counter?: number },
  ): AuthenticationResponseJSON {
    const id = o.credentialId ?? (this.credentials.keys().next().value as string);
    const c = this.credentials.get(id);
    if (c === undefined) throw new RangeError('no such credential');
    c.counter = o.counter ?? c.counter + this.step;
    const rpId = o.rpId ?? (options.rpId as string);
    const clientDataJSON = JSON.stringify({
      type: 'webauthn.get',
      challenge: options.challenge,
      origin: o.origin,
      crossOrigin: false,
    });
    const authData = Buffer.concat([sha256(rpId), Uint8Array.of(0x01 | (this.uv ? 0x04 : 0)), u32(c.counter)]);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), c.key);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: c.userHandle,
      },
      clientExtensionResults: {},
    };
  }
}
