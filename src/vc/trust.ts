import { sha256 } from '@noble/hashes/sha2.js';
import type { JWK } from 'jose';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { type DidFetch, resolveDid, verificationKey } from '../did/index.ts';
import { type JsonValue, parseJson, toHex, utf8 } from '../encoding/index.ts';
import { CredentialError, InputError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { publicJwk } from '../sdjwt/index.ts';
import { nextObject, type Store } from '../store/index.ts';

/** Object kind of the trust list: one object per trusted issuer, by `iss`. */
export const TRUSTED_ISSUER_KIND = 'vc.trusted-issuer';
const MAX_KEYS = 16;

/** How an issuer appears in the audit trail: its `iss` when it fits an audit resource, else a hash of it. */
function issuerResource(iss: string): string {
  const r = `issuer:${iss}`;
  return /^[A-Za-z0-9][A-Za-z0-9._:@/=+-]{0,255}$/.test(r)
    ? r
    : `issuer:sha256=${toHex(sha256(utf8(iss))).slice(0, 32)}`;
}

/** An issuer whose credentials Verity accepts: by its public keys, or by a DID to resolve. */
export interface TrustedIssuer {
  readonly iss: string;
  readonly jwks?: readonly JWK[];
  readonly did?: string;
  readonly addedAt: number;
}

/** The key that verifies an issuer's token, and when it was retired (a DID's `revoked`), if it was. */
export interface IssuerKey {
  readonly jwk: JWK;
  readonly retiredAt: number | undefined;
}

/** Picks the key a token's `kid` names from a set, or the only one. */
export function keyByKid(keys: readonly JWK[], kid: JsonValue | undefined): JWK {
  const named = typeof kid === 'string' ? keys.filter((k) => k.kid === kid) : [];
  const k = named.length === 1 ? named[0] : keys.length === 1 ? keys[0] : undefined;
  if (k === undefined) throw new CredentialError('VERITY_E_VC_ISSUER_UNTRUSTED', `the issuer has no key ${quote(kid)}`);
  return k;
}

/**
 * The trust list (credentials from other issuers are accepted only from it): each issuer by `iss`
 * with its JWKs or a DID (did:key, or did:web resolved through the injected fetch), stored in the
 * authenticated store with an audit entry for every change.
 */
export class TrustList {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #fetch: DidFetch | undefined;

  constructor(o: { store: Store; log: TransparencyLog; clock?: Clock; fetch?: DidFetch }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#fetch = o.fetch;
  }

  async get(iss: string): Promise<TrustedIssuer | undefined> {
    const row = await this.#store.reader.getObject(TRUSTED_ISSUER_KIND, iss);
    return row === undefined ? undefined : (parseJson(row.body) as unknown as TrustedIssuer);
  }

  async list(): Promise<TrustedIssuer[]> {
    const rows = await this.#store.reader.listObjects(TRUSTED_ISSUER_KIND, undefined, { limit: 1000 });
    return rows.map((r) => parseJson(r.body) as unknown as TrustedIssuer);
  }

  /** Adds (or replaces) a trusted issuer. */
  async trust(input: { iss: string; jwks?: readonly JWK[]; did?: string }, actor: string): Promise<TrustedIssuer> {
    if (typeof input.iss !== 'string' || input.iss.length < 1 || input.iss.length > 512)
      throw new InputError('VERITY_E_INPUT_INVALID', 'an issuer is named by its `iss` (1 to 512 characters)');
    if ((input.jwks === undefined) === (input.did === undefined))
      throw new InputError('VERITY_E_INPUT_INVALID', 'trust an issuer by its JWKs or by its DID, one of the two');
    if (input.jwks !== undefined && (input.jwks.length < 1 || input.jwks.length > MAX_KEYS))
      throw new InputError('VERITY_E_INPUT_INVALID', `give 1 to ${MAX_KEYS} issuer keys`);
    if (input.did !== undefined && !/^did:(key|web):/.test(input.did))
      throw new InputError('VERITY_E_INPUT_INVALID', 'a trusted issuer DID is did:key or did:web');
    const jwks = input.jwks?.map((k) => publicJwk(k, 'a trusted issuer key'));
    const now = this.#clock.now();
    const issuer: TrustedIssuer = {
      iss: input.iss,
      ...(jwks === undefined ? {} : { jwks }),
      ...(input.did === undefined ? {} : { did: input.did }),
      addedAt: now,
    };
    await this.#log.submit(async (tx, batch) => {
      const prev = await tx.getObject(TRUSTED_ISSUER_KIND, input.iss);
      await tx.putObject(nextObject(prev, { kind: TRUSTED_ISSUER_KIND, id: input.iss, doc: issuer, updatedAt: now }));
      return batch.add(
        encodeAuditEntry({
          actor,
          action: 'issuer.trust',
          resource: issuerResource(input.iss),
          purpose: 'administration',
          outcome: 'success',
          time: now,
          details: { keys: jwks?.length ?? 0, did: input.did !== undefined },
        }),
      );
    });
    return issuer;
  }

  /** Removes an issuer from the trust list; false when it was not there. */
  async distrust(iss: string, actor: string): Promise<boolean> {
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const gone = await tx.deleteObject(TRUSTED_ISSUER_KIND, iss);
      if (gone)
        batch.add(
          encodeAuditEntry({
            actor,
            action: 'issuer.distrust',
            resource: issuerResource(iss),
            purpose: 'administration',
            outcome: 'success',
            time: now,
          }),
        );
      return gone;
    });
    return result;
  }

  /** The key of a trusted issuer for a token with `kid`; VERITY_E_VC_ISSUER_UNTRUSTED when `iss` is not trusted. */
  async keyFor(iss: string, kid: JsonValue | undefined): Promise<IssuerKey> {
    const t = await this.get(iss);
    if (t === undefined)
      throw new CredentialError('VERITY_E_VC_ISSUER_UNTRUSTED', `issuer ${quote(iss)} is not on the trust list`);
    if (t.jwks !== undefined) return { jwk: keyByKid(t.jwks, kid), retiredAt: undefined };
    const did = t.did as string;
    const doc = await resolveDid(did, this.#fetch === undefined ? {} : { fetch: this.#fetch });
    const ref = typeof kid === 'string' ? kid : (doc.assertionMethod[0] ?? '');
    if (!ref.startsWith(`${did}#`) && !ref.startsWith('#'))
      throw new CredentialError('VERITY_E_VC_ISSUER_UNTRUSTED', `key ${quote(kid)} is not a key of ${quote(did)}`);
    const { jwk, revoked } = verificationKey(doc, ref);
    return { jwk, retiredAt: revoked };
  }
}
