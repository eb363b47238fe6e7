import { createHmac, createPublicKey, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { toBase64Url } from '../encoding/index.ts';
import { KeyError, quote } from '../errors/index.ts';
import { type Handle, NAME_RE, type Pkcs11Token } from './pkcs11-token.ts';
import type { NamedKeys } from './types.ts';

// PKCS#11 3.0 values that pkcs11js 2.1 does not name.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** DER of the OID 1.3.101.112 (Ed25519), the CKA_EC_PARAMS of an Ed25519 key. */
const ED25519_PARAMS = Buffer.from('06032b6570', 'hex');

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw new RangeError(`key name ${quote(name)} must match ${NAME_RE}`);
}

/** A PKCS#11 store's named keys, `NS/sign/NAME` (Ed25519) and `NS/mac/NAME` (HMAC-SHA-256), cached by handle. */
export class NamedKeyObjects {
  readonly #t: Pkcs11Token;
  readonly #signers = new Map<string, { key: Handle; publicKey: Uint8Array }>();
  readonly #macs = new Map<string, Handle>();

  constructor(t: Pkcs11Token) {
    this.#t = t;
  }

  #loadSigner(name: string): { key: Handle; publicKey: Uint8Array } | undefined {
    const p11 = this.#t.p11;
    const label = `${this.#t.ns}/sign/${name}`;
    const key = this.#t.named(p11.CKO_PRIVATE_KEY, label);
    if (key === undefined) return undefined;
    const id = this.#t.id(key);
    const pub = this.#t.find([
      { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_ID, value: id },
    ])[0];
    if (pub === undefined)
      throw new KeyError(
        'VERITY_E_KEYSTORE_CORRUPT',
        `the public half of signing key ${quote(name)} is missing from the token`,
      );
    const point = this.#t.call(
      'C_GetAttributeValue',
      (mod) => mod.C_GetAttributeValue(this.#t.session, pub, [{ type: p11.CKA_EC_POINT }])[0]?.value,
    );
    // CKA_EC_POINT of an Edwards key: the DER OCTET STRING (04 20) of the 32-byte key; some
    // tokens give the raw 32 bytes.
    let raw: Buffer | undefined;
    if (Buffer.isBuffer(point) && point.length === 34 && point[0] === 0x04 && point[1] === 0x20)
      raw = point.subarray(2);
    else if (Buffer.isBuffer(point) && point.length === 32) raw = point;
    if (raw === undefined)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `signing key ${quote(name)} in the token is not an Ed25519 key`);
    const s = { key, publicKey: new Uint8Array(raw) };
    this.#signers.set(name, s);
    return s;
  }

  async ensureSigningKey(name: string): Promise<Uint8Array> {
    checkName(name);
    this.#t.checkOpen();
    const have = this.#signers.get(name) ?? this.#loadSigner(name);
    if (have !== undefined) return new Uint8Array(have.publicKey);
    const label = `${this.#t.ns}/sign/${name}`;
    const id = randomBytes(16);
    this.#t.call('C_GenerateKeyPair', (mod, p11) =>
      mod.C_GenerateKeyPair(
        this.#t.session,
        { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
        [
          { type: p11.CKA_TOKEN, value: true },
          { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
          { type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS },
          { type: p11.CKA_VERIFY, value: true },
          { type: p11.CKA_LABEL, value: label },
          { type: p11.CKA_ID, value: id },
        ],
        [
          ...this.#t.kept(),
          { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
          { type: p11.CKA_SIGN, value: true },
          { type: p11.CKA_LABEL, value: label },
          { type: p11.CKA_ID, value: id },
        ],
      ),
    );
    return new Uint8Array((this.#loadSigner(name) as { publicKey: Uint8Array }).publicKey);
  }

  async sign(name: string, message: Uint8Array): Promise<Uint8Array> {
    this.#t.checkOpen();
    const s = this.#signers.get(name) ?? this.#loadSigner(name);
    if (s === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no signing key ${quote(name)}`);
    return this.#t.call('C_Sign', (mod) => {
      mod.C_SignInit(this.#t.session, { mechanism: CKM_EDDSA }, s.key);
      return new Uint8Array(mod.C_Sign(this.#t.session, Buffer.from(message), Buffer.alloc(64)));
    });
  }

  #loadMac(name: string): Handle | undefined {
    const h = this.#t.named(this.#t.p11.CKO_SECRET_KEY, `${this.#t.ns}/mac/${name}`);
    if (h !== undefined) this.#macs.set(name, h);
    return h;
  }

  async ensureMacKey(name: string): Promise<void> {
    checkName(name);
    this.#t.checkOpen();
    if ((this.#macs.get(name) ?? this.#loadMac(name)) !== undefined) return;
    this.#t.call('C_GenerateKey', (mod, p11) =>
      mod.C_GenerateKey(this.#t.session, { mechanism: p11.CKM_GENERIC_SECRET_KEY_GEN }, [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
        { type: p11.CKA_VALUE_LEN, value: 32 },
        ...this.#t.kept(),
        { type: p11.CKA_SIGN, value: true },
        { type: p11.CKA_VERIFY, value: true },
        { type: p11.CKA_LABEL, value: `${this.#t.ns}/mac/${name}` },
        { type: p11.CKA_ID, value: randomBytes(16) },
      ]),
    );
    this.#loadMac(name);
  }

  async mac(name: string, data: Uint8Array): Promise<Uint8Array> {
    this.#t.checkOpen();
    const h = this.#macs.get(name) ?? this.#loadMac(name);
    if (h === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no MAC key ${quote(name)}`);
    return this.#t.call('C_Sign', (mod, p11) => {
      mod.C_SignInit(this.#t.session, { mechanism: p11.CKM_SHA256_HMAC }, h);
      return new Uint8Array(mod.C_Sign(this.#t.session, Buffer.from(data), Buffer.alloc(32)));
    });
  }

  /** The names of the signing keys (with their public keys) and MAC keys of this store in the token. */
  async namedKeys(): Promise<{ signing: { name: string; publicKey: Uint8Array }[]; mac: string[] }> {
    const p11 = this.#t.p11;
    const names = (cls: number, kind: string) => {
      const prefix = `${this.#t.ns}/${kind}/`;
      const out = new Set<string>();
      for (const h of this.#t.find([
        { type: p11.CKA_CLASS, value: cls },
        { type: p11.CKA_TOKEN, value: true },
      ])) {
        const l = this.#t.label(h);
        if (l.startsWith(prefix) && NAME_RE.test(l.slice(prefix.length))) out.add(l.slice(prefix.length));
      }
      return [...out].sort();
    };
    const signing = names(p11.CKO_PRIVATE_KEY, 'sign').map((name) => ({
      name,
      publicKey: (this.#loadSigner(name) as { publicKey: Uint8Array }).publicKey,
    }));
    return { signing, mac: names(p11.CKO_SECRET_KEY, 'mac') };
  }

  /**
   * Imports named signing and MAC keys from a software key store (`verity keys migrate`), as
   * sensitive, non-extractable token objects; keys of the same name already here must be the same
   * keys. Each is checked after import: a signature verifies under the given public key, a MAC
   * equals the one computed with the given key.
   */
  async importNamedKeys(keys: NamedKeys): Promise<void> {
    this.#t.checkOpen();
    const p11 = this.#t.p11;
    // A fresh message to check each imported key with.
    const probe = Buffer.concat([Buffer.from('verity/key-import-check/v1\n'), randomBytes(16)]);
    for (const k of keys.signing) {
      checkName(k.name);
      if (k.seed.byteLength !== 32 || k.publicKey.byteLength !== 32)
        throw new RangeError('an Ed25519 key has 32 bytes');
      const label = `${this.#t.ns}/sign/${k.name}`;
      if ((this.#signers.get(k.name) ?? this.#loadSigner(k.name)) === undefined) {
        const id = randomBytes(16);
        this.#t.call('C_CreateObject', (mod) => {
          mod.C_CreateObject(this.#t.session, [
            { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
            { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
            { type: p11.CKA_TOKEN, value: true },
            { type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS },
            { type: p11.CKA_EC_POINT, value: Buffer.concat([Buffer.from([0x04, 0x20]), k.publicKey]) },
            { type: p11.CKA_VERIFY, value: true },
            { type: p11.CKA_LABEL, value: label },
            { type: p11.CKA_ID, value: id },
          ]);
          mod.C_CreateObject(this.#t.session, [
            { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
            { type: p11.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
            ...this.#t.kept(),
            { type: p11.CKA_SIGN, value: true },
            { type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS },
            { type: p11.CKA_VALUE, value: Buffer.from(k.seed) },
            { type: p11.CKA_LABEL, value: label },
            { type: p11.CKA_ID, value: id },
          ]);
        });
      }
      const s = this.#loadSigner(k.name) as { publicKey: Uint8Array };
      const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(k.publicKey) }, format: 'jwk' });
      if (!timingSafeEqual(s.publicKey, k.publicKey) || !verify(null, probe, pub, await this.sign(k.name, probe)))
        throw new KeyError('VERITY_E_KEY_IN_USE', `the token holds another signing key named ${quote(k.name)}`);
    }
    for (const k of keys.mac) {
      checkName(k.name);
      if (k.key.byteLength !== 32) throw new RangeError('a MAC key has 32 bytes');
      if ((this.#macs.get(k.name) ?? this.#loadMac(k.name)) === undefined) {
        this.#t.call('C_CreateObject', (mod) =>
          mod.C_CreateObject(this.#t.session, [
            { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
            { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
            ...this.#t.kept(),
            { type: p11.CKA_SIGN, value: true },
            { type: p11.CKA_VERIFY, value: true },
            { type: p11.CKA_VALUE, value: Buffer.from(k.key) },
            { type: p11.CKA_LABEL, value: `${this.#t.ns}/mac/${k.name}` },
            { type: p11.CKA_ID, value: randomBytes(16) },
          ]),
        );
      }
      const want = createHmac('sha256', k.key).update(probe).digest();
      if (!timingSafeEqual(await this.mac(k.name, probe), want))
        throw new KeyError('VERITY_E_KEY_IN_USE', `the token holds another MAC key named ${quote(k.name)}`);
    }
  }
}
