import { sha256 } from '@noble/hashes/sha2.js';
import type { JWK } from 'jose';
import { encodeSuccessEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { parseJson, toBase64Url, toHex, utf8 } from '../encoding/index.ts';
import { DidError, quote } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { nextObject, type ObjectRow, type Store } from '../store/index.ts';
import type { DidDocument } from './key.ts';
import { didWebDocument, didWebFor } from './web.ts';

/** Object kind of Verity's own did:web identities (keys and their history). */
export const DID_WEB_KIND = 'did.web';
/** Most keys one identity keeps (current and retired). */
const MAX_KEYS = 64;

/** One key of a did:web identity: current (no `retiredAt`) or retired, kept to verify what it signed. */
export interface DidWebKey {
  readonly kid: string;
  /** The KeyStore signing key (Ed25519) behind it: the private key never leaves the key store. */
  readonly keyName: string;
  readonly jwk: JWK;
  readonly createdAt: number;
  readonly retiredAt?: number;
}

/** A did:web identity as stored (the `did.web` object's body). */
export interface DidWebIdentity {
  readonly did: string;
  readonly keys: readonly DidWebKey[];
}

/** Who acts, for the audit entry. */
export interface IdentityAccess {
  readonly actor: string;
  readonly policy?: string;
}

function current(id: DidWebIdentity): DidWebKey {
  const k = id.keys.find((x) => x.retiredAt === undefined);
  if (k === undefined) throw new DidError('VERITY_E_DID_NOT_FOUND', `${quote(id.did)} has no current key`);
  return k;
}

/**
 * Verity's own did:web identities (for the platform, its services, or paths under its host): each
 * an Ed25519 key of the KeyStore, rotated on demand. Rotation retires the current key (kept in the
 * document, marked `revoked` with the time it was retired, so what it signed before still verifies)
 * and makes a new one current. The identity, every key and its history are a `did.web` object of
 * the authenticated store, written with its audit entry in one transaction.
 */
export class DidWebIdentities {
  readonly #keys: KeyStore;
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #host: string;

  constructor(o: { keys: KeyStore; store: Store; log: TransparencyLog; host: string; clock?: Clock }) {
    this.#keys = o.keys;
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#host = o.host;
  }

  /** The did:web for a path under Verity's host (the host's own DID for no path). */
  didFor(path: readonly string[] = []): string {
    return didWebFor(this.#host, path);
  }

  async get(did: string): Promise<DidWebIdentity | undefined> {
    const row = await this.#store.reader.getObject(DID_WEB_KIND, did);
    return row === undefined
      ? undefined
      : (parseJson(row.body, { maxBytes: 1 << 20, maxDepth: 8 }) as unknown as DidWebIdentity);
  }

  /** The DID document of an identity Verity holds; VERITY_E_DID_NOT_FOUND otherwise. */
  async document(did: string): Promise<DidDocument> {
    const id = await this.get(did);
    if (id === undefined) throw new DidError('VERITY_E_DID_NOT_FOUND', `Verity holds no did:web ${quote(did)}`);
    return didWebDocument(id.did, id.keys);
  }

  #keyName(did: string, n: number): string {
    return `did.${toHex(sha256(utf8(did))).slice(0, 16)}.${n}`;
  }

  async #newKey(did: string, n: number): Promise<DidWebKey> {
    const keyName = this.#keyName(did, n);
    const raw = await this.#keys.ensureSigningKey(keyName);
    return {
      kid: `key-${n}`,
      keyName,
      jwk: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(raw) },
      createdAt: this.#clock.now(),
    };
  }

  async #write(
    access: IdentityAccess,
    action: 'did.create' | 'did.rotate',
    id: DidWebIdentity,
    prev: ObjectRow | undefined,
  ) {
    const now = this.#clock.now();
    await this.#log.submit(async (tx, batch) => {
      await tx.putObject(nextObject(prev, { kind: DID_WEB_KIND, id: id.did, doc: id, updatedAt: now }));
      return batch.add(
        encodeSuccessEntry(
          { ...access, purpose: 'identity' },
          {
            action,
            resource: `did:${current(id).keyName.split('.')[1]}`,
            time: now,
            details: { kid: current(id).kid, keys: id.keys.length },
          },
        ),
      );
    });
  }

  /** Creates the identity with its first key if Verity holds none yet; returns it. */
  async ensure(did: string, access: IdentityAccess): Promise<DidWebIdentity> {
    const have = await this.get(did);
    if (have !== undefined) return have;
    didWebFor(this.#host); // the host is valid
    if (!did.startsWith(`did:web:${this.#host.toLowerCase().replace(':', '%3A')}`))
      throw new DidError('VERITY_E_DID_INVALID', `${quote(did)} is not under Verity's host`);
    const id: DidWebIdentity = { did, keys: [await this.#newKey(did, 1)] };
    await this.#write(access, 'did.create', id, undefined);
    return id;
  }

  /** Retires the current key (kept, marked with when) and makes a new one current. */
  async rotate(did: string, access: IdentityAccess): Promise<DidWebIdentity> {
    const row = await this.#store.reader.getObject(DID_WEB_KIND, did);
    if (row === undefined) throw new DidError('VERITY_E_DID_NOT_FOUND', `Verity holds no did:web ${quote(did)}`);
    const id = parseJson(row.body) as unknown as DidWebIdentity;
    if (id.keys.length >= MAX_KEYS)
      throw new DidError('VERITY_E_DID_INVALID', `an identity keeps at most ${MAX_KEYS} keys`);
    const now = this.#clock.now();
    const next = await this.#newKey(did, id.keys.length + 1);
    const rotated: DidWebIdentity = {
      did,
      keys: [...id.keys.map((k) => (k.retiredAt === undefined ? { ...k, retiredAt: now } : k)), next],
    };
    await this.#write(access, 'did.rotate', rotated, row);
    return rotated;
  }

  /** Signs with the identity's current key: its `kid` (a DID URL) and the signature. */
  async signer(did: string): Promise<{ kid: string; sign: (b: Uint8Array) => Promise<Uint8Array>; jwk: JWK }> {
    const id = await this.get(did);
    if (id === undefined) throw new DidError('VERITY_E_DID_NOT_FOUND', `Verity holds no did:web ${quote(did)}`);
    const k = current(id);
    return { kid: `${did}#${k.kid}`, jwk: k.jwk, sign: (b) => this.#keys.sign(k.keyName, b) };
  }
}
