import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { type OpenedSession, type Sessions, type SignInContext, STEP_UP_KIND } from '../principals/index.ts';
import { decodeAttestationObject, generateAuthenticationOptions, generateRegistrationOptions } from './webauthn.ts';

// A session's last step-up is the object kind STEP_UP_KIND of src/principals (id: the session id,
// owner: the subject ref), which the decisions read.
export { STEP_UP_KIND };

import { newObject, nextObject, type Store, type StoreWriter } from '../store/index.ts';
import { AccountRecovery } from './account-recovery.ts';
import { Assertions, CREDENTIAL_ID_RE, fail } from './assertion.ts';
import { Challenges, type CheckedChallenge } from './challenges.ts';
import { type PasskeyConfig, type ResolvedPasskeyConfig, resolvePasskeyConfig } from './config.ts';
import { Devices, type OwnSession, type SessionRef } from './devices.ts';
import { type FailureReason, FailureTally } from './failures.ts';
import { isLive, PASSKEY_KIND, type PasskeyBody, type PasskeyInfo, passkeyBody } from './record.ts';
import { makeRecoveryCodes, RECOVERY_KIND } from './recovery.ts';
import { verifyRegistration } from './verify.ts';

/** KeyStore MAC key that derives WebAuthn user handles from subject refs. */
const USER_HANDLE_KEY = 'passkey-user-handle';
const PURPOSE = 'authentication';

/**
 * Who registers a passkey: a player in a live session, or a player holding a recovery ticket (which
 * registers one passkey and does nothing else).
 */
export type Registrant =
  | { readonly via: 'session'; readonly subjectRef: string; readonly sessionId: string }
  | { readonly via: 'recovery'; readonly subjectRef: string; readonly ticket: string };

/** What a registration returns: the passkey, and recovery codes the first time (shown once). */
export interface Registered {
  readonly id: string;
  readonly hardware: boolean;
  readonly recoveryCodes?: string[];
}

const REASONS: Record<string, FailureReason> = {
  VERITY_E_PASSKEY_CHALLENGE: 'challenge',
  VERITY_E_PASSKEY_INVALID: 'invalid',
  VERITY_E_PASSKEY_UNKNOWN: 'unknown',
  VERITY_E_PASSKEY_COUNTER: 'counter',
  VERITY_E_PASSKEY_AUTHENTICATOR: 'authenticator',
  VERITY_E_PASSKEY_RECOVERY: 'recovery',
};

/**
 * Passkeys (WebAuthn Level 3 through `@simplewebauthn/server`; FGMV-46 7.1.6): registration,
 * sign-in (discoverable or with allowed credentials), step-up, devices and sessions of a player,
 * recovery codes. Every piece of identity state (passkeys, consumed challenges, recovery codes and
 * tickets, step-ups, sessions) is an authenticated state object written through the log with its
 * audit entry; entries name sessions, never players, passkeys or credential ids.
 */
export class Passkeys {
  readonly config: ResolvedPasskeyConfig;
  readonly #log: TransparencyLog;
  readonly #store: Store;
  readonly #keys: KeyStore;
  readonly #sessions: Sessions;
  readonly #clock: Clock;
  readonly #challenges: Challenges;
  readonly #failures: FailureTally;
  readonly #assertions: Assertions;
  readonly #devices: Devices;
  readonly #recovery: AccountRecovery;

  constructor(o: {
    store: Store;
    log: TransparencyLog;
    keys: KeyStore;
    sessions: Sessions;
    config: PasskeyConfig;
    clock?: Clock;
    /** Failed ceremonies are aggregated into one log entry per window (ms; default 10 s). */
    failureWindowMs?: number;
  }) {
    this.config = resolvePasskeyConfig(o.config);
    this.#log = o.log;
    this.#store = o.store;
    this.#keys = o.keys;
    this.#sessions = o.sessions;
    this.#clock = o.clock ?? systemClock;
    const now = () => this.#clock.now();
    this.#challenges = new Challenges(o.keys, this.config.challengeTtlMs, now);
    this.#failures = new FailureTally(o.log, now, o.failureWindowMs);
    const { store, log, keys, sessions } = o;
    const clock = this.#clock;
    this.#assertions = new Assertions({ store, log, clock, challenges: this.#challenges, config: this.config });
    const c = { store, log, keys, sessions, clock };
    this.#devices = new Devices(c);
    this.#recovery = new AccountRecovery(c);
  }

  /** Writes the pending failure counts to the log (call before closing the log). */
  close(): Promise<unknown> {
    return this.#failures.flush();
  }

  async #tallied<T>(ceremony: 'signin' | 'register' | 'stepup' | 'recovery', run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      this.#failures.note(ceremony, (isVerityError(e) && REASONS[e.code]) || 'other');
      throw e;
    }
  }

  async #userHandle(subjectRef: string): Promise<Uint8Array> {
    await this.#keys.ensureMacKey(USER_HANDLE_KEY);
    return this.#keys.mac(USER_HANDLE_KEY, utf8(subjectRef));
  }

  #binding(r: Registrant): string {
    return r.via === 'session' ? `${r.subjectRef}\u0000session:${r.sessionId}` : `${r.subjectRef}\u0000recovery`;
  }

  // --- registration -------------------------------------------------------------------------

  /** Creation options for a new passkey of the registrant (its existing ones excluded). */
  async registrationOptions(r: Registrant): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { challenge } = await this.#challenges.issue('register', this.#binding(r));
    const rows = await this.#devices.rows(r.subjectRef);
    return generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: 'player',
      userDisplayName: 'player',
      userID: (await this.#userHandle(r.subjectRef)) as Uint8Array<ArrayBuffer>,
      challenge: fromBase64Url(challenge) as Uint8Array<ArrayBuffer>,
      timeout: this.config.challengeTtlMs,
      // Direct attestation, so that the authenticator policy can tell hardware-backed authenticators.
      attestationType: 'direct',
      excludeCredentials: rows.map((o) => ({ id: o.id })),
      authenticatorSelection: { residentKey: 'required', userVerification: this.config.userVerification },
      supportedAlgorithmIDs: [-7, -8, -257],
    });
  }

  /**
   * Verifies a registration response (challenge, origin, RP id, user verification, attestation)
   * and stores the passkey for the registrant, consuming the challenge (and the recovery ticket)
   * in the same transaction. The first passkey of a player comes with recovery codes.
   */
  register(r: Registrant, response: RegistrationResponseJSON, deviceName = 'passkey'): Promise<Registered> {
    return this.#tallied('register', async () => {
      if (r.via === 'recovery') await this.#recovery.liveTicket(r.ticket, r.subjectRef);
      let checked: CheckedChallenge | undefined;
      const binding = this.#binding(r);
      const info = await verifyRegistration({
        response,
        checkChallenge: async (c) => {
          checked = await this.#challenges.check(c, 'register', binding);
        },
        origins: this.config.origins,
        rpId: this.config.rpId,
        requireUserVerification: this.config.userVerification === 'required',
      });
      const now = this.#clock.now();
      const cred = info.credential;
      if (!CREDENTIAL_ID_RE.test(cred.id))
        throw fail('VERITY_E_PASSKEY_INVALID', 'the credential id is not 16 to 512 base64url characters');
      const x5c = attestationChain(info.attestationObject);
      const verdict = this.config.policy?.judge(info.aaguid, x5c, now) ?? { hardware: false };
      // Enrolled in a session a service vouched for: the passkey signs in as that service's session,
      // and no recovery codes come with it (the service could hold them): D432.
      const vouchedBy =
        r.via === 'session' && this.config.vouchedEnrollment === 'limited'
          ? await this.#sessions.vouchingToken(r.sessionId)
          : undefined;
      const body: PasskeyBody = {
        ...(vouchedBy === undefined ? {} : { vouchedBy: { tokenId: vouchedBy } }),
        publicKey: toBase64Url(cred.publicKey),
        counter: cred.counter,
        transports: (cred.transports ?? []).slice(0, 8),
        aaguid: info.aaguid,
        fmt: info.fmt,
        multiDevice: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        hardware: verdict.hardware,
        userHandle: toBase64Url(await this.#userHandle(r.subjectRef)),
        deviceName: cleanName(deviceName),
        createdAt: now,
        lastUsedAt: null,
        revokedAt: null,
        flagged: null,
      };
      const recovery = await makeRecoveryCodes(this.#keys, r.subjectRef, now);
      const { result } = await this.#log.submit(async (tx, batch) => {
        await this.#challenges.consume(tx, checked as CheckedChallenge);
        if (r.via === 'recovery') await this.#recovery.useTicket(tx, r.ticket);
        if ((await tx.getObject(PASSKEY_KIND, cred.id)) !== undefined)
          throw new VerityError('VERITY_E_PASSKEY_EXISTS', 'this passkey is registered already; sign in with it');
        const mine = await tx.listObjects(PASSKEY_KIND, r.subjectRef, { limit: 256 });
        const live = mine.filter((o) => {
          const b = passkeyBody(o);
          return b !== undefined && isLive(b, now);
        });
        if (live.length >= this.config.maxPasskeys)
          throw new VerityError(
            'VERITY_E_PASSKEY_LIMIT',
            `a player holds at most ${this.config.maxPasskeys} passkeys; revoke one first`,
          );
        await tx.putObject(
          newObject({ kind: PASSKEY_KIND, id: cred.id, owner: r.subjectRef, doc: body, updatedAt: now }),
        );
        const first = vouchedBy === undefined && (await tx.getObject(RECOVERY_KIND, r.subjectRef)) === undefined;
        if (first)
          await tx.putObject(
            newObject({
              kind: RECOVERY_KIND,
              id: r.subjectRef,
              owner: r.subjectRef,
              doc: recovery.body,
              updatedAt: now,
            }),
          );
        batch.add(
          encodeAuditEntry({
            actor: r.via === 'session' ? `player:session-${r.sessionId}` : 'player:recovery',
            action: 'passkey.register',
            resource: 'passkey:device',
            purpose: PURPOSE,
            outcome: 'success',
            time: now,
            details: {
              fmt: info.fmt,
              hardware: verdict.hardware,
              via: r.via,
              recoveryCodes: first,
              ...(vouchedBy === undefined ? {} : { vouched: true }),
            },
          }),
        );
        return first;
      });
      return {
        id: cred.id,
        hardware: verdict.hardware,
        ...(result ? { recoveryCodes: recovery.codes } : {}),
      };
    });
  }

  // --- sign-in and step-up ------------------------------------------------------------------

  /**
   * Request options for signing in: discoverable (no list: the authenticator offers the player's
   * passkeys for this site) or restricted to credential ids the client remembers. Issuing options
   * writes nothing.
   */
  async signInOptions(credentialIds: readonly string[] = []): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { challenge } = await this.#challenges.issue('signin', '');
    return generateAuthenticationOptions({
      rpID: this.config.rpId,
      challenge: fromBase64Url(challenge) as Uint8Array<ArrayBuffer>,
      timeout: this.config.challengeTtlMs,
      userVerification: this.config.userVerification,
      allowCredentials: credentialIds.slice(0, 16).map((id) => ({ id })),
    });
  }

  /**
   * Verifies a sign-in assertion and opens a session for the passkey's owner: the challenge is
   * consumed, the counter updated (compare-and-set) and the session opened in one transaction.
   */
  signIn(
    response: AuthenticationResponseJSON,
    purpose = PURPOSE,
    context?: SignInContext,
  ): Promise<OpenedSession & { passkey: string }> {
    return this.#tallied('signin', async () => {
      const a = await this.#assertions.check(response, 'signin', '', undefined).catch((e: unknown) => {
        // A refused assertion counts towards the next sign-ins' risk (failures per address).
        this.#sessions.signInFailed(undefined, {
          method: 'passkey',
          via: { kind: PASSKEY_KIND, id: 'unknown' },
          ...(context === undefined ? {} : { context }),
        });
        throw e;
      });
      const s = await this.#sessions.openSignedIn(
        a.row.owner,
        {
          method: 'passkey',
          via: { kind: PASSKEY_KIND, id: a.row.id },
          within: (tx) => a.commit(tx),
          ...(context === undefined ? {} : { context }),
        },
        { purpose },
        this.config.sessionTtlSeconds,
      );
      return { ...s, passkey: a.row.id };
    });
  }

  /** Request options for a step-up in a session: the player's own live passkeys only. */
  async stepUpOptions(s: SessionRef): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { challenge } = await this.#challenges.issue('step-up', `${s.subjectRef}\u0000${s.sessionId}`);
    return this.#verifiedOptions(s.subjectRef, challenge, this.config.challengeTtlMs);
  }

  /** Request options with user verification required, for the player's own live passkeys only. */
  async #verifiedOptions(
    subjectRef: string,
    challenge: string,
    timeout: number,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const now = this.#clock.now();
    const ids = (await this.#devices.rows(subjectRef)).filter((o) => {
      const b = passkeyBody(o);
      return b !== undefined && isLive(b, now);
    });
    return generateAuthenticationOptions({
      rpID: this.config.rpId,
      challenge: fromBase64Url(challenge) as Uint8Array<ArrayBuffer>,
      timeout,
      userVerification: 'required',
      allowCredentials: ids.map((o) => ({ id: o.id })),
    });
  }

  /**
   * A fresh assertion by one of the session's player's passkeys (user verified, whatever the
   * default): records the step-up on the session (`session.step-up` object) for the policies'
   * `stepUp` context. Returns its time.
   */
  stepUp(s: SessionRef, response: AuthenticationResponseJSON): Promise<{ stepUpAt: number; hardware: boolean }> {
    return this.#tallied('stepup', async () => {
      const a = await this.#assertions.check(response, 'step-up', `${s.subjectRef}\u0000${s.sessionId}`, s.subjectRef);
      const now = this.#clock.now();
      await this.#log.submit(async (tx, batch) => {
        await a.commit(tx);
        const prev = await tx.getObject(STEP_UP_KIND, s.sessionId);
        await tx.putObject(
          nextObject(prev, {
            kind: STEP_UP_KIND,
            id: s.sessionId,
            owner: s.subjectRef,
            doc: { stepUpAt: now, hardware: a.body.hardware },
            updatedAt: now,
          }),
        );
        return batch.add(
          encodeAuditEntry({
            actor: `player:session-${s.sessionId}`,
            action: 'passkey.stepup',
            resource: `session:${s.sessionId}`,
            purpose: PURPOSE,
            outcome: 'success',
            time: now,
            details: { hardware: a.body.hardware },
          }),
        );
      });
      return { stepUpAt: now, hardware: a.body.hardware };
    });
  }

  /**
   * Request options for confirming one action of the player (a custodial wallet's signature, D242):
   * the challenge is bound to the player and to `action` (a digest of exactly what will be done),
   * carries a server nonce, lasts at most `ttlMs`, and can be answered once; user verification is
   * required. Issuing writes nothing.
   */
  async actionOptions(
    subjectRef: string,
    action: string,
    ttlMs: number,
  ): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; expiresAt: number }> {
    const { challenge, expiresAt } = await this.#challenges.issue('action', actionBinding(subjectRef, action), ttlMs);
    const options = await this.#verifiedOptions(subjectRef, challenge, Math.min(ttlMs, this.config.challengeTtlMs));
    return { options, expiresAt };
  }

  /**
   * Checks a fresh assertion by one of the player's live passkeys answering a challenge of
   * `actionOptions` for exactly `action` (a passkey error code otherwise, counted with the step-up
   * failures). Nothing is written: `commit` consumes the challenge (a state object, so a second
   * use fails on every node) and must run in the transaction that records the action.
   */
  confirmAction(
    subjectRef: string,
    action: string,
    response: AuthenticationResponseJSON,
  ): Promise<{ hardware: boolean; commit: (tx: StoreWriter) => Promise<void> }> {
    return this.#tallied('stepup', async () => {
      const a = await this.#assertions.check(response, 'action', actionBinding(subjectRef, action), subjectRef);
      return { hardware: a.body.hardware, commit: a.commit };
    });
  }

  /** When the session last stepped up with a passkey (ms), if it did (read as the decisions read it). */
  stepUpAt(sessionId: string): Promise<number | undefined> {
    return this.#sessions.stepUpAt(sessionId);
  }

  // --- devices, sessions, recovery ------------------------------------------------------------

  /** The player's passkeys (revoked and flagged ones too). */
  list(subjectRef: string): Promise<PasskeyInfo[]> {
    return this.#devices.list(subjectRef);
  }

  /**
   * Revokes one of the player's passkeys: every session it opened ends on its next request, on
   * every node (the session reads its passkey). Throws VERITY_E_PASSKEY_NOT_FOUND for a passkey
   * that is not theirs.
   */
  revoke(subjectRef: string, id: string): Promise<void> {
    return this.#devices.revoke(subjectRef, id);
  }

  /** The player's active sessions, with the passkey that opened each (sessions of revoked ones left out). */
  sessions(s: SessionRef): Promise<OwnSession[]> {
    return this.#devices.sessions(s);
  }

  /** Revokes one of the player's own sessions (VERITY_E_SESSION_NOT_FOUND for anyone else's). */
  revokeSession(subjectRef: string, id: string): Promise<void> {
    return this.#devices.revokeSession(subjectRef, id);
  }

  /** The token of the service whose session enrolled passkey `id` (D432), if one did. */
  async enrolledUnder(id: string): Promise<string | undefined> {
    const o = await this.#store.reader.getObject(PASSKEY_KIND, id);
    return o === undefined ? undefined : passkeyBody(o)?.vouchedBy?.tokenId;
  }

  /** The token of the service that vouched for the player in session `id` (D432), if one did. */
  sessionVouchedBy(id: string): Promise<string | undefined> {
    return this.#sessions.vouchingToken(id);
  }

  /** New recovery codes for the player (the old ones stop working); shown once. */
  newRecoveryCodes(subjectRef: string): Promise<string[]> {
    return this.#recovery.newRecoveryCodes(subjectRef);
  }

  /**
   * Spends one recovery code of the player: returns a ticket that registers one new passkey within
   * ten minutes and does nothing else. Throws VERITY_E_PASSKEY_RECOVERY (the same for an unknown
   * player, a wrong code and a used one).
   */
  recover(subjectRef: string, code: string): Promise<{ ticket: string; expiresAt: number }> {
    return this.#tallied('recovery', () => this.#recovery.recover(subjectRef, code));
  }

  /** The player a live recovery ticket (attacker-controlled) belongs to; VERITY_E_UNAUTHENTICATED otherwise. */
  ticketHolder(token: string): Promise<string> {
    return this.#recovery.ticketHolder(token);
  }
}

/** What an action challenge's MAC binds: the player and the action's digest. */
function actionBinding(subjectRef: string, action: string): string {
  return `${subjectRef}\u0000action:${action}`;
}

/** A device name as shown in listings: printable, at most 64 characters. */
function cleanName(name: string): string {
  const s = String(name)
    .replace(/[\p{C}]/gu, '')
    .trim()
    .slice(0, 64);
  return s.length > 0 ? s : 'passkey';
}

/** The attestation certificate chain (DER, leaf first), when the statement has one. */
function attestationChain(attestationObject: Uint8Array): Uint8Array[] | undefined {
  try {
    const x5c = decodeAttestationObject(attestationObject as Uint8Array<ArrayBuffer>)
      .get('attStmt')
      .get('x5c');
    return Array.isArray(x5c) ? (x5c as Uint8Array[]) : undefined;
  } catch {
    return undefined;
  }
}
