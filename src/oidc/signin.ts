import { type AuditEvent, encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { isVerityError, quote, VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { OpenedSession, Sessions, SignInContext } from '../principals/index.ts';
import type { Store } from '../store/index.ts';
import { ISSUER_KIND } from './config.ts';
import type { Issuers } from './issuers.ts';
import type { Nonces } from './nonces.ts';
import { IdTokenError, validateIdToken } from './verify.ts';

/** A session a player opened by signing in with an ID token. */
export interface OidcSession extends OpenedSession {
  /** The issuer's name in Verity. */
  readonly issuer: string;
  /** The player id Verity knows the player by: `<namespace>:<subject>` (never logged). */
  readonly player: string;
}

const PURPOSE = 'authentication';
const ACTOR = 'signin:oidc';
const KID_RE = /^[\x21-\x7e]{1,64}$/;
const MAX_PLAYER_ID = 256;

/** The player id of an issuer's subject: `<namespace>:<subject>`, so two issuers' players never collide. */
export function playerIdOf(namespace: string, subject: string): string {
  return `${namespace}:${subject}`;
}

/**
 * Platform sign-in with OpenID Connect (FGMV-46 7.1.6): a platform that signs its players in with
 * its own identity provider vouches for them with ID tokens. A token is validated as OpenID Connect
 * Core 3.1.3.7 says against the named trusted issuer (`Issuers`); its nonce must be one Verity issued
 * (`Nonces`), and is consumed in the transaction that opens the session. The session names the
 * issuer (its state object vouches for the session on every request) and the player by pseudonym
 * only (`subjectRef` of `<namespace>:<sub>`). Every sign-in and every refusal is in the log, without
 * the player.
 */
export class OidcSignIn {
  readonly #issuers: Issuers;
  readonly #nonces: Nonces;
  readonly #sessions: Sessions;
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #subjectRef: (player: string) => Promise<string>;

  /** `subjectRef`: the vault's keyed pseudonym of a player id. */
  constructor(o: {
    issuers: Issuers;
    nonces: Nonces;
    sessions: Sessions;
    store: Store;
    log: TransparencyLog;
    subjectRef: (player: string) => Promise<string>;
    clock?: Clock;
  }) {
    this.#issuers = o.issuers;
    this.#nonces = o.nonces;
    this.#sessions = o.sessions;
    this.#store = o.store;
    this.#log = o.log;
    this.#subjectRef = o.subjectRef;
    this.#clock = o.clock ?? systemClock;
  }

  /** Issues a nonce for the next sign-in (for one issuer, or any). */
  async nonce(issuer?: string): Promise<{ nonce: string; expiresAt: number }> {
    if (issuer !== undefined && (await this.#issuers.live(issuer)) === undefined) throw untrusted(issuer);
    return this.#nonces.issue(issuer ?? null);
  }

  /**
   * Signs a player in with an ID token from the trusted issuer named `issuer`. A refusal throws
   * VERITY_E_OIDC_TOKEN_INVALID, VERITY_E_OIDC_NONCE_INVALID or VERITY_E_OIDC_ISSUER_NOT_TRUSTED, and is
   * logged (which issuer, which rule; never the token or the player).
   */
  async signIn(issuer: string, idToken: unknown, ttlSeconds = 900, context?: SignInContext): Promise<OidcSession> {
    try {
      return await this.#signIn(issuer, idToken, ttlSeconds, context);
    } catch (e) {
      // A refused token counts towards the next sign-ins' risk (failures per address).
      if (typeof issuer === 'string' && issuer.length <= 64)
        this.#sessions.signInFailed(undefined, {
          method: 'oidc',
          via: { kind: ISSUER_KIND, id: issuer },
          ...(context === undefined ? {} : { context }),
        });
      if (isVerityError(e) && e.code !== 'VERITY_E_CLOSED' && e.code !== 'VERITY_E_STORE_UNAVAILABLE')
        await this.#logFailure(issuer, e).catch(() => undefined);
      throw e;
    }
  }

  async #signIn(
    name: string,
    idToken: unknown,
    ttlSeconds: number,
    context: SignInContext | undefined,
  ): Promise<OidcSession> {
    const issuer = await this.#issuers.live(name);
    if (issuer === undefined) throw untrusted(name);
    const keys = await this.#issuers.resolver(name, issuer);
    const t = await validateIdToken(idToken, issuer.config, keys.resolve, { now: this.#clock.now() });
    // Refused before any write when it cannot succeed; consumed below, in the opening transaction.
    await this.#nonces.check(this.#store.reader, t.nonce, name);
    const player = playerIdOf(issuer.config.namespace, t.subject);
    // Player ids are at most 256 characters (the vault's identifier rule); say so as a token refusal
    // rather than echo the player id back in an input error.
    if (player.length > MAX_PLAYER_ID)
      throw new IdTokenError('sub', 'the ID token was refused: its subject is too long for a player id here');
    const subjectRef = await this.#subjectRef(player);
    // A session never outlives the token that opened it.
    const ttl = Math.max(1, Math.min(ttlSeconds, Math.floor((t.expiresAt - this.#clock.now()) / 1000)));
    const s = await this.#sessions.openSignedIn(
      subjectRef,
      {
        method: 'oidc',
        via: { kind: ISSUER_KIND, id: name },
        ...(context === undefined ? {} : { context }),
        within: async (tx, batch, sessionId) => {
          await this.#nonces.consume(tx, t.nonce, name);
          batch.add(
            this.#entry(name, 'success', {
              session: sessionId,
              alg: t.alg,
              keys: keys.used(),
              ...(t.kid !== undefined && KID_RE.test(t.kid) ? { kid: t.kid } : {}),
            }),
          );
        },
      },
      { purpose: PURPOSE },
      ttl,
    );
    return { ...s, issuer: name, player };
  }

  /** The audit entry of a sign-in through issuer `name`. */
  #entry(name: string, outcome: 'success' | 'denied', details: NonNullable<AuditEvent['details']>): Uint8Array {
    return encodeAuditEntry({
      actor: ACTOR,
      action: 'oidc.signin',
      resource: `issuer:${name}`,
      purpose: PURPOSE,
      outcome,
      time: this.#clock.now(),
      details,
    });
  }

  async #logFailure(issuer: unknown, e: VerityError): Promise<void> {
    const name = typeof issuer === 'string' && /^[a-z0-9][a-z0-9-]{0,31}$/.test(issuer) ? issuer : 'unknown';
    const reason = e.details?.['reason'];
    await this.#log.submit((_tx, batch) =>
      batch.add(this.#entry(name, 'denied', { code: e.code, ...(typeof reason === 'string' ? { reason } : {}) })),
    );
  }
}

function untrusted(name: unknown): VerityError {
  return new VerityError(
    'VERITY_E_OIDC_ISSUER_NOT_TRUSTED',
    `${quote(name)} is not a trusted issuer here; \`verity issuers list\` shows them`,
  );
}
