import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { encodeAuditEntry } from '../audit/index.ts';
import type { Clock } from '../clock/index.ts';
import { fromBase64Url } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { ObjectRow, Store, StoreWriter } from '../store/index.ts';
import type { Challenges, CheckedChallenge } from './challenges.ts';
import type { ResolvedPasskeyConfig } from './config.ts';
import { isLive, PASSKEY_KIND, type PasskeyBody, passkeyBody } from './record.ts';
import { verifyAssertion } from './verify.ts';

export const CREDENTIAL_ID_RE = /^[A-Za-z0-9_-]{16,512}$/;

export function fail(code: 'VERITY_E_PASSKEY_UNKNOWN' | 'VERITY_E_PASSKEY_INVALID', message: string): VerityError {
  return new VerityError(code, message);
}

/**
 * The check of a WebAuthn assertion (sign-in and step-up) against its stored passkey: challenge,
 * origin, user verification, the authenticator policy, and the signature counter (a regression
 * takes the passkey out of use).
 */
export class Assertions {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #challenges: Challenges;
  readonly #config: ResolvedPasskeyConfig;

  constructor(o: {
    store: Store;
    log: TransparencyLog;
    clock: Clock;
    challenges: Challenges;
    config: ResolvedPasskeyConfig;
  }) {
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock;
    this.#challenges = o.challenges;
    this.#config = o.config;
  }

  /**
   * Verifies an assertion against its stored passkey (live, of `owner` when given), refusing a
   * counter regression (the passkey is then flagged and its sessions end). Returns what to write
   * in the transaction that acts on it.
   */
  async check(
    response: AuthenticationResponseJSON,
    purpose: 'signin' | 'step-up' | 'action',
    binding: string,
    owner: string | undefined,
  ): Promise<{ row: ObjectRow; body: PasskeyBody; commit: (tx: StoreWriter) => Promise<void> }> {
    const id = response?.id;
    if (typeof id !== 'string' || !CREDENTIAL_ID_RE.test(id) || response.rawId !== id)
      throw fail('VERITY_E_PASSKEY_INVALID', 'the response names no well-formed credential id; try again');
    const row = await this.#store.reader.getObject(PASSKEY_KIND, id);
    const body = row === undefined ? undefined : passkeyBody(row);
    const now = this.#clock.now();
    if (row === undefined || body === undefined || !isLive(body, now) || (owner !== undefined && row.owner !== owner))
      throw fail('VERITY_E_PASSKEY_UNKNOWN', 'this passkey is not registered here or was revoked; use another one');
    const handle = response.response?.userHandle;
    if (handle !== undefined && handle !== null && handle !== body.userHandle)
      throw fail('VERITY_E_PASSKEY_INVALID', 'the response names another player than its passkey; try again');
    let checked: CheckedChallenge | undefined;
    const info = await verifyAssertion({
      response,
      checkChallenge: async (c) => {
        checked = await this.#challenges.check(c, purpose, binding);
      },
      origins: this.#config.origins,
      rpId: this.#config.rpId,
      requireUserVerification: purpose !== 'signin' || this.#config.userVerification === 'required',
      credential: { id, publicKey: fromBase64Url(body.publicKey), transports: body.transports },
    });
    // A replayed assertion is refused for its spent challenge before its counter is looked at:
    // only a fresh answer to an unused challenge is evidence of a clone (else replaying an old
    // assertion would get a player's passkey revoked).
    await this.#challenges.unused(this.#store.reader, checked as CheckedChallenge);
    // WebAuthn 7.2 step 22: a counter that did not grow (when either is non-zero) signals a clone.
    if ((info.newCounter > 0 || body.counter > 0) && info.newCounter <= body.counter) {
      await this.#flag(row, body, checked as CheckedChallenge, now);
      throw new VerityError(
        'VERITY_E_PASSKEY_COUNTER',
        'this passkey’s signature counter went backwards, so it may have been cloned: it is now revoked; sign in with another passkey or a recovery code',
      );
    }
    this.#config.policy?.check(purpose === 'action' ? 'step-up' : purpose, body);
    return {
      row,
      body,
      commit: async (tx) => {
        await this.#challenges.consume(tx, checked as CheckedChallenge);
        // Compare-and-set: a concurrent use of the same passkey makes one of the two fail.
        const next: PasskeyBody = {
          ...body,
          counter: info.newCounter,
          lastUsedAt: now,
          backedUp: info.credentialBackedUp,
        };
        await tx.putObject({ ...row, body: JSON.stringify(next), version: row.version + 1, updatedAt: now });
      },
    };
  }

  /** Takes a passkey whose counter went backwards out of use (ending its sessions), audited. */
  async #flag(row: ObjectRow, body: PasskeyBody, c: CheckedChallenge, now: number): Promise<void> {
    const flagged: PasskeyBody = { ...body, revokedAt: now, flagged: 'counter-regression' };
    await this.#log
      .submit(async (tx, batch) => {
        await this.#challenges.consume(tx, c);
        await tx.putObject({ ...row, body: JSON.stringify(flagged), version: row.version + 1, updatedAt: now });
        return batch.add(
          encodeAuditEntry({
            actor: 'player:anonymous',
            action: 'passkey.counter',
            resource: 'passkey:device',
            purpose: 'security',
            outcome: 'denied',
            time: now,
            details: { flagged: 'counter-regression' },
          }),
        );
      })
      .catch(() => undefined);
  }
}
