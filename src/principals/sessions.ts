import { importJWK, jwtVerify } from 'jose';
import { type Clock, systemClock } from '../clock/index.ts';
import { randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';

/** Name of the KeyStore key that signs player sessions. */
export const SESSION_KEY = 'session-signing';
const ISSUER = 'verity';
const AUDIENCE = 'verity-api';
const MAX_TTL_S = 3600;

/** A signed-in player, as a session token states it. */
export interface PlayerSession {
  /** The player's subject reference (a keyed pseudonym, never the player id). */
  readonly subjectRef: string;
  readonly minor: boolean;
  /** Subject references of the player's guardians. */
  readonly guardians: readonly string[];
  /** The service that opened the session. */
  readonly issuedFor: string;
  readonly expiresAt: number;
  /** Random session id (names the player in the audit trail: unlinkable across sessions). */
  readonly id: string;
}

const REF_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Short-lived end-user sessions: compact JWS (EdDSA) tokens signed by a KeyStore key, so the
 * private key never leaves the key store (an HSM later). Claims carry only pseudonyms. Verified
 * with `jose` (algorithm pinned to EdDSA, issuer, audience and expiry checked).
 */
export class Sessions {
  readonly #keys: KeyStore;
  readonly #clock: Clock;
  #publicKey: Awaited<ReturnType<typeof importJWK>> | undefined;

  constructor(keys: KeyStore, clock: Clock = systemClock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  async #verifyKey() {
    if (this.#publicKey === undefined) {
      const raw = await this.#keys.ensureSigningKey(SESSION_KEY);
      this.#publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: toBase64Url(raw) }, 'EdDSA');
    }
    return this.#publicKey;
  }

  /** Opens a session for a player (called by a trusted service); valid for at most an hour. */
  async issue(
    s: Omit<PlayerSession, 'expiresAt' | 'id'>,
    ttlSeconds = 900,
  ): Promise<{ token: string; expiresAt: number }> {
    if (!REF_RE.test(s.subjectRef) || !s.guardians.every((g) => REF_RE.test(g)) || s.guardians.length > 16) {
      throw new InputError('VERITY_E_INPUT_INVALID', 'a session names players by subject reference');
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_S)
      throw new InputError('VERITY_E_INPUT_INVALID', `a session lasts 1 to ${MAX_TTL_S} seconds`);
    await this.#verifyKey();
    const now = Math.floor(this.#clock.now() / 1000);
    const header = { alg: 'EdDSA', typ: 'JWT' };
    const payload = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: s.subjectRef,
      iat: now,
      exp: now + ttlSeconds,
      jti: toBase64Url(randomBytesSecure(12)),
      minor: s.minor,
      guardians: s.guardians,
      azp: s.issuedFor,
    };
    const input = `${toBase64Url(utf8(JSON.stringify(header)))}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
    const sig = await this.#keys.sign(SESSION_KEY, utf8(input));
    return { token: `${input}.${toBase64Url(sig)}`, expiresAt: (now + ttlSeconds) * 1000 };
  }

  /** Verifies a session token (attacker-controlled); throws VERITY_E_UNAUTHENTICATED when not live. */
  async verify(token: string): Promise<PlayerSession> {
    if (typeof token !== 'string' || token.length > 4096)
      throw new VerityError('VERITY_E_UNAUTHENTICATED', 'the session token is malformed');
    try {
      const { payload } = await jwtVerify(token, await this.#verifyKey(), {
        algorithms: ['EdDSA'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.#clock.now()),
      });
      const sub = payload.sub;
      const guardians = payload['guardians'];
      if (
        typeof sub !== 'string' ||
        !REF_RE.test(sub) ||
        !Array.isArray(guardians) ||
        !guardians.every((g) => typeof g === 'string' && REF_RE.test(g))
      ) {
        throw new Error('claims');
      }
      if (typeof payload.jti !== 'string' || !/^[A-Za-z0-9_-]{16}$/.test(payload.jti)) throw new Error('jti');
      return {
        subjectRef: sub,
        minor: payload['minor'] === true,
        guardians: guardians as string[],
        issuedFor: String(payload['azp'] ?? '').slice(0, 128),
        expiresAt: (payload.exp ?? 0) * 1000,
        id: payload.jti,
      };
    } catch {
      throw new VerityError(
        'VERITY_E_UNAUTHENTICATED',
        'the session token is not valid or has expired; open a new session',
      );
    }
  }
}
