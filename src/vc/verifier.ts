import type { JWK } from 'jose';
import { type Clock, systemClock } from '../clock/index.ts';
import { type DidWebIdentities, verificationKey } from '../did/index.ts';
import type { JsonValue } from '../encoding/index.ts';
import { CredentialError, isVerityError, quote } from '../errors/index.ts';
import {
  checkSdJwtVcClaims,
  checkStatus,
  decodeJwsUnverified,
  decodeSdJwtUnverified,
  SD_JWT_VC_TYPES,
  statusReference,
  verifySdJwt,
} from '../sdjwt/index.ts';
import type { Credentials } from './credentials.ts';
import type { IssuerKey, TrustList } from './trust.ts';

/** What a verifier asks of a presentation. */
export interface PresentationPolicy {
  /** Key binding is required by default; `audience` and `nonce` are then checked when given. */
  readonly requireKeyBinding?: boolean;
  readonly audience?: string;
  readonly nonce?: string;
  /** Accept only these `vct` values (any when absent). */
  readonly vcts?: readonly string[];
  /** Seconds since the epoch (default: the clock). */
  readonly now?: number;
}

/** A verified presentation: who issued it, what type, and the claims disclosed. */
export interface VerifiedPresentation {
  readonly issuer: string;
  readonly vct: string;
  readonly claims: Record<string, JsonValue>;
  readonly keyBound: boolean;
}

/**
 * Verifies SD-JWT VC presentations: the issuer must be Verity itself (its did:web, old keys
 * included for what they signed before they were retired) or on the trust list; then RFC 9901
 * verification with key binding, the SD-JWT VC claims, and the Token Status List entry (fail
 * closed when the list cannot be had).
 */
export class PresentationVerifier {
  readonly #ids: DidWebIdentities;
  readonly #issuer: string;
  readonly #trust: TrustList;
  readonly #credentials: Credentials | undefined;
  readonly #fetchStatus: ((uri: string) => Promise<string>) | undefined;
  readonly #clock: Clock;

  constructor(o: {
    identities: DidWebIdentities;
    issuer: string;
    trust: TrustList;
    credentials?: Credentials;
    fetchStatus?: (uri: string) => Promise<string>;
    clock?: Clock;
  }) {
    this.#ids = o.identities;
    this.#issuer = o.issuer;
    this.#trust = o.trust;
    this.#credentials = o.credentials;
    this.#fetchStatus = o.fetchStatus;
    this.#clock = o.clock ?? systemClock;
  }

  async #key(iss: string, kid: JsonValue | undefined): Promise<IssuerKey> {
    if (iss !== this.#issuer) return this.#trust.keyFor(iss, kid);
    if (typeof kid !== 'string' || !kid.startsWith(`${iss}#`))
      throw new CredentialError('VERITY_E_VC_SIGNATURE_INVALID', `a credential of ${quote(iss)} names no key of it`);
    const { jwk, revoked } = verificationKey(await this.#ids.document(iss), kid);
    return { jwk, retiredAt: revoked };
  }

  async #statusToken(uri: string): Promise<string> {
    const c = this.#credentials;
    const local =
      c !== undefined && uri.startsWith(`${c.statusUri('')}`) ? uri.slice(c.statusUri('').length) : undefined;
    if (local !== undefined && c !== undefined) return c.statusListToken(local);
    if (this.#fetchStatus === undefined)
      throw new CredentialError(
        'VERITY_E_VC_STATUS_UNAVAILABLE',
        "no way to fetch another issuer's status list was configured",
      );
    return this.#fetchStatus(uri);
  }

  async verify(presentation: string, policy: PresentationPolicy = {}): Promise<VerifiedPresentation> {
    const now = policy.now ?? Math.floor(this.#clock.now() / 1000);
    const { header, payload } = decodeSdJwtUnverified(presentation);
    const iss = payload['iss'];
    if (typeof iss !== 'string') throw new CredentialError('VERITY_E_VC_INVALID', 'the credential has no `iss`');
    const key = await this.#key(iss, header['kid']);
    const v = await verifySdJwt(presentation, {
      issuerKey: key.jwk,
      types: SD_JWT_VC_TYPES,
      now,
      keyBinding: {
        required: policy.requireKeyBinding ?? true,
        ...(policy.audience === undefined ? {} : { audience: policy.audience }),
        ...(policy.nonce === undefined ? {} : { nonce: policy.nonce }),
      },
    });
    if (key.retiredAt !== undefined) {
      const iat = v.claims['iat'];
      if (typeof iat !== 'number' || iat * 1000 >= key.retiredAt)
        throw new CredentialError(
          'VERITY_E_VC_SIGNATURE_INVALID',
          'the credential was signed after its key was retired',
        );
    }
    checkSdJwtVcClaims(v.claims);
    const vct = v.claims['vct'] as string;
    if (policy.vcts !== undefined && !policy.vcts.includes(vct))
      throw new CredentialError('VERITY_E_VC_INVALID', `credential type ${quote(vct)} is not one asked for`);
    const ref = statusReference(v.claims);
    if (ref !== undefined) {
      let token: string;
      let statusKey: JWK;
      try {
        token = await this.#statusToken(ref.uri);
        statusKey = (await this.#key(iss, decodeJwsUnverified(token, 'the status list token').header['kid'])).jwk;
      } catch (cause) {
        if (isVerityError(cause, 'VERITY_E_VC_ISSUER_UNTRUSTED')) throw cause;
        throw new CredentialError('VERITY_E_VC_STATUS_UNAVAILABLE', 'the credential status list could not be had', {
          cause,
        });
      }
      await checkStatus(ref, async () => token, statusKey, now);
    }
    return { issuer: iss, vct, claims: v.claims, keyBound: v.keyBinding !== undefined };
  }
}
