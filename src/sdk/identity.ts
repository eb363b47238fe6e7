import type { JsonValue } from '../encoding/index.ts';
import { type Endpoint, requestJson } from './http.ts';

/**
 * A player's identity over HTTP (FGMV-46 7.1.6): sign in with a passkey or with the platform's
 * OpenID Connect ID token, then, in the session, manage passkeys (devices), sessions, recovery
 * codes and step-ups. The WebAuthn ceremonies themselves are the browser's
 * (`navigator.credentials.create/get` on the options this client fetches): the client carries the
 * JSON both ways and checks nothing itself; the server verifies every assertion. Kept apart from
 * VerityClient so that a client that only reads records does not carry it.
 *
 * @example
 * const id = new IdentityClient({ url: 'https://verity.example' });
 * const options = await id.passkeySignInOptions();
 * const credential = await startAuthentication({ optionsJSON: options }); // a WebAuthn library
 * const session = await id.signInWithPasskey(credential);
 * const mine = id.withSession(session.token);
 * await mine.passkeys();
 */
export class IdentityClient {
  readonly #at: Endpoint;

  constructor(o: { url: string; token?: string; fetch?: typeof fetch }) {
    this.#at = { url: o.url.replace(/\/$/, ''), token: o.token, fetch: o.fetch ?? fetch };
  }

  /** The same client acting in a session (the token a sign-in answered). */
  withSession(token: string): IdentityClient {
    return new IdentityClient({ url: this.#at.url, token, fetch: this.#at.fetch });
  }

  #call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return requestJson<T>(this.#at, method, path, body);
  }

  /** Request options for a passkey sign-in: discoverable, or limited to credential ids the client remembers. */
  passkeySignInOptions(credentialIds: readonly string[] = []): Promise<Record<string, JsonValue>> {
    return this.#call('POST', '/v1/signin/passkey/options', credentialIds.length > 0 ? { credentialIds } : {});
  }

  /** Signs in with the browser's assertion (WebAuthn `AuthenticationResponseJSON`); answers the session. */
  signInWithPasskey(credential: unknown, purpose?: string): Promise<SignedIn & { passkey: string }> {
    return this.#call('POST', '/v1/signin/passkey', { credential, ...(purpose === undefined ? {} : { purpose }) });
  }

  /** Redeems a recovery code: a ticket (a short session) that can only register a new passkey. */
  recover(player: string, code: string): Promise<{ ticket: string; expiresAt: number }> {
    return this.#call('POST', '/v1/signin/passkey/recover', { player, code });
  }

  /** A single-use nonce for the platform's next ID token (put it in its authentication request). */
  oidcNonce(issuer?: string): Promise<{ nonce: string; expiresAt: number }> {
    return this.#call('POST', '/v1/signin/oidc/nonce', issuer === undefined ? {} : { issuer });
  }

  /** Signs in with the platform's OpenID Connect ID token (which carries the nonce). */
  signInWithIdToken(
    idToken: string,
    o: { issuer?: string; ttlSeconds?: number } = {},
  ): Promise<SignedIn & { issuer: string; player: string }> {
    return this.#call('POST', '/v1/signin/oidc', { idToken, ...o });
  }

  /** Creation options for a new passkey of this session's player (or of a recovery ticket). */
  registrationOptions(): Promise<Record<string, JsonValue>> {
    return this.#call('POST', '/v1/passkeys/register/options', {});
  }

  /** Registers the browser's new credential (WebAuthn `RegistrationResponseJSON`). */
  register(credential: unknown, deviceName?: string): Promise<Record<string, JsonValue>> {
    return this.#call('POST', '/v1/passkeys/register', {
      credential,
      ...(deviceName === undefined ? {} : { deviceName }),
    });
  }

  /** This player's passkeys (devices), revoked and flagged ones included. */
  async passkeys(): Promise<Record<string, JsonValue>[]> {
    return (await this.#call<{ passkeys: Record<string, JsonValue>[] }>('GET', '/v1/passkeys')).passkeys;
  }

  /** Revokes a passkey: every session it opened ends at its next request, on every node. */
  revokePasskey(id: string): Promise<{ revoked: boolean }> {
    return this.#call('DELETE', `/v1/passkeys/${encodeURIComponent(id)}`);
  }

  /** This player's active sessions, with the passkey that opened each. */
  async sessions(): Promise<Record<string, JsonValue>[]> {
    return (await this.#call<{ sessions: Record<string, JsonValue>[] }>('GET', '/v1/passkeys/sessions')).sessions;
  }

  /** Revokes one of this player's sessions. */
  revokeSession(id: string): Promise<{ revoked: boolean }> {
    return this.#call('DELETE', `/v1/passkeys/sessions/${encodeURIComponent(id)}`);
  }

  /** New recovery codes (the old ones stop working): shown this once, keep them offline. */
  newRecoveryCodes(): Promise<{ recoveryCodes: string[] }> {
    return this.#call('POST', '/v1/passkeys/recovery-codes', {});
  }

  /** Request options for a step-up (this player's own passkeys, user verification required). */
  stepUpOptions(): Promise<Record<string, JsonValue>> {
    return this.#call('POST', '/v1/passkeys/step-up/options', {});
  }

  /** Steps the session up with a fresh assertion: risky decisions pass for the next minutes. */
  stepUp(credential: unknown): Promise<{ stepUpAt: number; hardware: boolean }> {
    return this.#call('POST', '/v1/passkeys/step-up', { credential });
  }
}

/** A session a sign-in opened: send `token` as `Authorization: Bearer TOKEN`. */
export interface SignedIn {
  readonly id: string;
  readonly token: string;
  readonly expiresAt: number;
}
