import { createHmac, createPublicKey, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { verify as verifySecp256k1 } from '@noble/secp256k1';
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
/** DER of the OID 1.3.132.0.10 (secp256k1), the CKA_EC_PARAMS of an EVM account's key. */
const SECP256K1_PARAMS = Buffer.from('06052b8104000a', 'hex');

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw new RangeError(`key name ${quote(name)} must match ${NAME_RE}`);
}

/** A PKCS#11 store's named keys, `NS/sign/NAME` (Ed25519), `NS/mac/NAME` (HMAC-SHA-256) and `NS/evm/NAME` (secp256k1), cached by handle. */
export class NamedKeyObjects {
  readonly #t: Pkcs11Token;
  readonly #signers = new Map<string, { key: Handle; publicKey: Uint8Array }>();
  readonly #macs = new Map<string, Handle>();
  readonly #evm = new Map<string, { key: Handle; publicKey: Uint8Array }>();

  constructor(t: Pkcs11Token) {
    this.#t = t;
  }

  /** The private key labelled `label` and its public half's CKA_EC_POINT, when the token holds them. */
  #pair(label: string, what: string): { key: Handle; point: unknown } | undefined {
    const p11 = this.#t.p11;
    const key = this.#t.named(p11.CKO_PRIVATE_KEY, label);
    if (key === undefined) return undefined;
    const id = this.#t.id(key);
    const pub = this.#t.find([
      { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_ID, value: id },
    ])[0];
    if (pub === undefined)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `the public half of ${what} is missing from the token`);
    const point = this.#t.call(
      'C_GetAttributeValue',
      (mod) => mod.C_GetAttributeValue(this.#t.session, pub, [{ type: p11.CKA_EC_POINT }])[0]?.value,
    );
    return { key, point };
  }

  /** Generates an EC key pair inside the token: the private half kept (sensitive, non-extractable), signing only. */
  #generate(label: string, keyType: number, params: Buffer, mechanism: number): void {
    const id = randomBytes(16);
    const p11 = this.#t.p11;
    const named = [
      { type: p11.CKA_KEY_TYPE, value: keyType },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_ID, value: id },
    ];
    this.#t.call('C_GenerateKeyPair', (mod) =>
      mod.C_GenerateKeyPair(
        this.#t.session,
        { mechanism },
        [
          { type: p11.CKA_TOKEN, value: true },
          { type: p11.CKA_EC_PARAMS, value: params },
          { type: p11.CKA_VERIFY, value: true },
          ...named,
        ],
        [...this.#t.kept(), { type: p11.CKA_SIGN, value: true }, ...named],
      ),
    );
  }

  #loadSigner(name: string): { key: Handle; publicKey: Uint8Array } | undefined {
    const pair = this.#pair(`${this.#t.ns}/sign/${name}`, `signing key ${quote(name)}`);
    if (pair === undefined) return undefined;
    const point = pair.point;
    // CKA_EC_POINT of an Edwards key: the DER OCTET STRING (04 20) of the 32-byte key; some
    // tokens give the raw 32 bytes.
    let raw: Buffer | undefined;
    if (Buffer.isBuffer(point) && point.length === 34 && point[0] === 0x04 && point[1] === 0x20)
      raw = point.subarray(2);
    else if (Buffer.isBuffer(point) && point.length === 32) raw = point;
    if (raw === undefined)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `signing key ${quote(name)} in the token is not an Ed25519 key`);
    const s = { key: pair.key, publicKey: new Uint8Array(raw) };
    this.#signers.set(name, s);
    return s;
  }

  #loadEvm(name: string): { key: Handle; publicKey: Uint8Array } | undefined {
    const pair = this.#pair(`${this.#t.ns}/evm/${name}`, `EVM key ${quote(name)}`);
    if (pair === undefined) return undefined;
    // CKA_EC_POINT: the DER OCTET STRING (04 41) of the 65-byte uncompressed point, or the raw point.
    const p = pair.point as Buffer;
    const raw = Buffer.isBuffer(p) && p.length === 67 && p[0] === 0x04 && p[1] === 0x41 ? p.subarray(2) : p;
    if (!Buffer.isBuffer(raw) || raw.length !== 65 || raw[0] !== 0x04)
      throw new KeyError('VERITY_E_KEYSTORE_CORRUPT', `EVM key ${quote(name)} in the token is not a secp256k1 key`);
    const k = { key: pair.key, publicKey: new Uint8Array(raw) };
    this.#evm.set(name, k);
    return k;
  }

  async ensureEvmKey(name: string): Promise<Uint8Array> {
    checkName(name);
    this.#t.checkOpen();
    const p11 = this.#t.p11;
    if ((this.#evm.get(name) ?? this.#loadEvm(name)) === undefined)
      this.#generate(`${this.#t.ns}/evm/${name}`, p11.CKK_EC, SECP256K1_PARAMS, p11.CKM_EC_KEY_PAIR_GEN);
    return new Uint8Array((this.#loadEvm(name) as { publicKey: Uint8Array }).publicKey);
  }

  async signEvmDigest(name: string, digest: Uint8Array): Promise<Uint8Array> {
    if (!(digest instanceof Uint8Array) || digest.byteLength !== 32) throw new RangeError('a digest has 32 bytes');
    this.#t.checkOpen();
    const k = this.#evm.get(name) ?? this.#loadEvm(name);
    if (k === undefined) throw new KeyError('VERITY_E_KEY_NOT_FOUND', `there is no EVM key ${quote(name)}`);
    // CKM_ECDSA signs the digest as given (no hashing in the token): r || s.
    return this.#t.call('C_Sign', (mod, p11) => {
      mod.C_SignInit(this.#t.session, { mechanism: p11.CKM_ECDSA }, k.key);
      return new Uint8Array(mod.C_Sign(this.#t.session, Buffer.from(digest), Buffer.alloc(64)));
    });
  }

  async ensureSigningKey(name: string): Promise<Uint8Array> {
    checkName(name);
    this.#t.checkOpen();
    const have = this.#signers.get(name) ?? this.#loadSigner(name);
    if (have !== undefined) return new Uint8Array(have.publicKey);
    this.#generate(`${this.#t.ns}/sign/${name}`, CKK_EC_EDWARDS, ED25519_PARAMS, CKM_EC_EDWARDS_KEY_PAIR_GEN);
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

  /** The names of the signing and EVM keys (with their public keys) and MAC keys of this store in the token. */
  async namedKeys(): Promise<{
    signing: { name: string; publicKey: Uint8Array }[];
    mac: string[];
    evm: { name: string; publicKey: Uint8Array }[];
  }> {
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
    const evm = names(p11.CKO_PRIVATE_KEY, 'evm').map((name) => ({
      name,
      publicKey: (this.#loadEvm(name) as { publicKey: Uint8Array }).publicKey,
    }));
    return { signing, mac: names(p11.CKO_SECRET_KEY, 'mac'), evm };
  }

  /**
   * Creates an imported EC key pair in the token under `label`: the public half (its point as a DER
   * OCTET STRING after `pointHeader`) and the private half, sensitive, non-extractable, signing only.
   */
  #importPair(
    label: string,
    keyType: number,
    params: Buffer,
    pointHeader: Buffer,
    publicKey: Uint8Array,
    secret: Uint8Array,
  ): void {
    const p11 = this.#t.p11;
    const id = randomBytes(16);
    const named = [
      { type: p11.CKA_KEY_TYPE, value: keyType },
      { type: p11.CKA_EC_PARAMS, value: params },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_ID, value: id },
    ];
    this.#t.call('C_CreateObject', (mod) => {
      mod.C_CreateObject(this.#t.session, [
        { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_EC_POINT, value: Buffer.concat([pointHeader, publicKey]) },
        { type: p11.CKA_VERIFY, value: true },
        ...named,
      ]);
      mod.C_CreateObject(this.#t.session, [
        { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
        ...this.#t.kept(),
        { type: p11.CKA_SIGN, value: true },
        { type: p11.CKA_VALUE, value: Buffer.from(secret) },
        ...named,
      ]);
    });
  }

  /**
   * Imports named signing, MAC and EVM keys from a software key store (`verity keys migrate`), as
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
        // CKA_EC_POINT of an Edwards key: the DER OCTET STRING (04 20) of the 32-byte key.
        this.#importPair(label, CKK_EC_EDWARDS, ED25519_PARAMS, Buffer.from([0x04, 0x20]), k.publicKey, k.seed);
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
    for (const k of keys.evm) await this.#importEvm(k, probe);
  }

  /** Imports one EVM account's secp256k1 key pair (the same account: same public key, then a signature checked). */
  async #importEvm(k: NamedKeys['evm'][number], probe: Buffer): Promise<void> {
    checkName(k.name);
    if (k.secretKey.byteLength !== 32 || k.publicKey.byteLength !== 65 || k.publicKey[0] !== 0x04)
      throw new RangeError('an EVM key has a 32-byte secret and a 65-byte uncompressed public key');
    const p11 = this.#t.p11;
    const label = `${this.#t.ns}/evm/${k.name}`;
    if ((this.#evm.get(k.name) ?? this.#loadEvm(k.name)) === undefined) {
      // CKA_EC_POINT: the DER OCTET STRING (04 41) of the uncompressed point.
      this.#importPair(label, p11.CKK_EC, SECP256K1_PARAMS, Buffer.from([0x04, 0x41]), k.publicKey, k.secretKey);
    }
    const have = this.#loadEvm(k.name) as { publicKey: Uint8Array };
    const digest = createHmac('sha256', probe).update(label).digest();
    if (
      !timingSafeEqual(have.publicKey, k.publicKey) ||
      !verifySecp256k1(await this.signEvmDigest(k.name, digest), digest, k.publicKey, { prehash: false, lowS: false })
    )
      throw new KeyError('VERITY_E_KEY_IN_USE', `the token holds another EVM key named ${quote(k.name)}`);
  }
}
