// Player session tokens: compact JWS (EdDSA) signed by the KeyStore's session key, whose private
// half never leaves the key store.
import { importJWK, jwtVerify } from 'jose';
import type { Clock } from '../clock/index.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';

/** Name of the KeyStore key that signs player sessions. */
export const SESSION_KEY = 'session-signing';
const ISSUER = 'verity';
const AUDIENCE = 'verity-api';

export const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const ID_RE = /^[A-Za-z0-9_-]{16}$/;

export function unauthenticated(message: string): VerityError {
  return new VerityError('VERITY_E_UNAUTHENTICATED', message);
}

/** Checks a session id (attacker-controlled on every interface). */
export function checkSessionId(id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `${quote(id)} is not a session id (16 base64url characters)`);
  return id;
}

/** Signs and checks session tokens. */
export class SessionTokens {
  readonly #keys: KeyStore;
  readonly #clock: Clock;
  #publicKey: Awaited<ReturnType<typeof importJWK>> | undefined;

  constructor(keys: KeyStore, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  /** The session key's public half (created in the key store on first use). */
  async key() {
    if (this.#publicKey === undefined) {
      const raw = await this.#keys.ensureSigningKey(SESSION_KEY);
      this.#publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: toBase64Url(raw) }, 'EdDSA');
    }
    return this.#publicKey;
  }

  /** Signs a session token for `sub` (times in seconds; `risk`, when above 0, signed as `rsk`). */
  async sign(c: { sub: string; iat: number; exp: number; jti: string; azp: string; risk: number }): Promise<string> {
    const payload = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: c.sub,
      iat: c.iat,
      exp: c.exp,
      jti: c.jti,
      azp: c.azp,
      // The sign-in's risk, signed with the session: the decisions read it from the token.
      ...(c.risk > 0 ? { rsk: c.risk } : {}),
    };
    const input = `${toBase64Url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })))}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
    const sig = await this.#keys.sign(SESSION_KEY, utf8(input));
    return `${input}.${toBase64Url(sig)}`;
  }

  /** Checks a session token's signature and claims (attacker-controlled); its id, subject and risk. */
  async verify(token: string): Promise<{ id: string; sub: string; risk: number }> {
    if (typeof token !== 'string' || token.length > 4096)
      throw unauthenticated('the session token is malformed; open a new session');
    try {
      // Canonical base64url only: jose accepts a last character whose unused bits differ, so one
      // session would have many token strings, and a deny list or a cache keyed on the string
      // would miss the others (D415).
      const parts = token.split('.');
      if (parts.length !== 3) throw new Error('compact JWS');
      for (const p of parts) fromBase64Url(p, 'session token part');
      const { payload } = await jwtVerify(token, await this.key(), {
        algorithms: ['EdDSA'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.#clock.now()),
      });
      const { sub, jti, rsk } = payload;
      if (typeof sub !== 'string' || !REF_RE.test(sub) || typeof jti !== 'string' || !ID_RE.test(jti))
        throw new Error('claims');
      if (rsk !== undefined && (!Number.isInteger(rsk) || (rsk as number) < 0 || (rsk as number) > 100))
        throw new Error('claims');
      return { id: jti, sub, risk: (rsk as number | undefined) ?? 0 };
    } catch {
      throw unauthenticated('the session token is not valid or has expired; open a new session');
    }
  }
}
