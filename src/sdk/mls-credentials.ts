// The MLS client's own keys (FGMV-46 7.2.1): the identity its credentials name, its signature key
// pair (one per client, bound to the player in the key transparency entry before anything uses
// it), and the KeyPackages it publishes, whose private parts stay in the client's storage until a
// Welcome uses them.
import {
  type CiphersuiteImpl,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { fromBase64Url, toBase64Url } from '../encoding/index.ts';
import { MlsError } from '../errors/index.ts';
import { type Endpoint, requestJson } from './http.ts';
import {
  CLIENT_ID_KEY,
  keyPackageKey,
  loadJson,
  type MlsStorage,
  SIGNATURE_KEY,
  type StoredKeyPackage,
  type StoredSignatureKey,
  saveJson,
} from './mls-state.ts';
import { decodeMessage, deviceHex } from './mls-wire.ts';

type SignatureKey = { publicKey: Uint8Array; signKey: Uint8Array };
type NewKeyPackage = { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage };

function encodeKeyPackage(kp: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp });
}

/** The client's credential, signature key and KeyPackages. */
export class ClientKeys {
  readonly #at: Endpoint;
  readonly #storage: MlsStorage;
  readonly #impl: CiphersuiteImpl;
  readonly #signature: SignatureKey;
  /** What this client's credentials name: the identity, or a client id of it. */
  readonly credentialIdentity: string;

  private constructor(
    at: Endpoint,
    storage: MlsStorage,
    impl: CiphersuiteImpl,
    credentialIdentity: string,
    signature: SignatureKey,
  ) {
    this.#at = at;
    this.#storage = storage;
    this.#impl = impl;
    this.credentialIdentity = credentialIdentity;
    this.#signature = signature;
  }

  /**
   * The keys of a client of `identity`: its credential names the identity, or (with `clientId`) a
   * device-qualified client id `<uuid>:<device, hex>@<identity>` drawn once and kept. The signature
   * key pair is made on first use and its key entry published before it is returned.
   */
  static async open(
    at: Endpoint,
    storage: MlsStorage,
    impl: CiphersuiteImpl,
    identity: string,
    clientId: boolean,
  ): Promise<ClientKeys> {
    let credentialIdentity = identity;
    if (clientId) {
      const saved = await storage.get(CLIENT_ID_KEY);
      const prefix =
        saved === undefined
          ? `${crypto.randomUUID()}:${deviceHex(crypto.getRandomValues(new Uint8Array(8)))}`
          : new TextDecoder().decode(saved);
      if (saved === undefined) await storage.set(CLIENT_ID_KEY, new TextEncoder().encode(prefix));
      credentialIdentity = `${prefix}@${identity}`;
    }
    let stored = await loadJson<StoredSignatureKey>(storage, SIGNATURE_KEY);
    if (stored === undefined) {
      const k = await impl.signature.keygen();
      stored = { publicKey: toBase64Url(k.publicKey), signKey: toBase64Url(k.signKey), registered: false };
      await saveJson(storage, SIGNATURE_KEY, stored);
    }
    const keys = new ClientKeys(at, storage, impl, credentialIdentity, {
      publicKey: fromBase64Url(stored.publicKey, 'stored signature key'),
      signKey: fromBase64Url(stored.signKey, 'stored signature key'),
    });
    if (!stored.registered) {
      // The key entry: a KeyPackage that shows the signature key, bound to the player by the service.
      const kp = await keys.newKeyPackage();
      await requestJson(at, 'POST', '/v1/mls/keys', { keyPackage: toBase64Url(encodeKeyPackage(kp.publicPackage)) });
      await saveJson(storage, SIGNATURE_KEY, { ...stored, registered: true });
    }
    return keys;
  }

  /** A fresh KeyPackage under the client's credential and signature key (not published). */
  newKeyPackage(): Promise<NewKeyPackage> {
    const cred = { credentialType: 'basic' as const, identity: new TextEncoder().encode(this.credentialIdentity) };
    return generateKeyPackageWithKey(cred, defaultCapabilities(), defaultLifetime, [], this.#signature, this.#impl);
  }

  /** Generates, keeps and publishes `count` KeyPackages; returns their references (base64url). */
  async publish(count: number, lastResort: boolean): Promise<string[]> {
    const refs: string[] = [];
    for (let i = 0; i < count; i++) {
      const kp = await this.newKeyPackage();
      const ref = toBase64Url(await makeKeyPackageRef(kp.publicPackage, this.#impl.hash));
      const encoded = toBase64Url(encodeKeyPackage(kp.publicPackage));
      const stored: StoredKeyPackage = {
        publicPackage: encoded,
        init: toBase64Url(kp.privatePackage.initPrivateKey),
        hpke: toBase64Url(kp.privatePackage.hpkePrivateKey),
        signature: toBase64Url(kp.privatePackage.signaturePrivateKey),
        lastResort,
      };
      // Kept before publishing: a Welcome may arrive for it at once.
      await saveJson(this.#storage, keyPackageKey(ref), stored);
      await requestJson(this.#at, 'POST', '/v1/mls/keypackages', {
        keyPackage: encoded,
        ...(lastResort ? { lastResort: true } : {}),
      });
      refs.push(ref);
    }
    return refs;
  }

  /** The kept KeyPackage a Welcome names by reference, if this client published it. */
  async keyPackage(ref: Uint8Array): Promise<(NewKeyPackage & { lastResort: boolean; ref: string }) | undefined> {
    const r = toBase64Url(ref);
    const k = await loadJson<StoredKeyPackage>(this.#storage, keyPackageKey(r));
    if (k === undefined) return undefined;
    const pub = decodeMessage(fromBase64Url(k.publicPackage, 'stored KeyPackage'));
    if (pub.wireformat !== 'mls_key_package')
      throw new MlsError('VERITY_E_MLS_MESSAGE_INVALID', 'a saved KeyPackage is corrupt');
    return {
      publicPackage: pub.keyPackage,
      privatePackage: {
        initPrivateKey: fromBase64Url(k.init, 'stored KeyPackage'),
        hpkePrivateKey: fromBase64Url(k.hpke, 'stored KeyPackage'),
        signaturePrivateKey: fromBase64Url(k.signature, 'stored KeyPackage'),
      },
      lastResort: k.lastResort,
      ref: r,
    };
  }

  /** Forgets a KeyPackage a Welcome used (the last-resort one stays for the next Welcome). */
  async used(kp: { lastResort: boolean; ref: string }): Promise<void> {
    if (!kp.lastResort) await this.#storage.delete(keyPackageKey(kp.ref));
  }
}
