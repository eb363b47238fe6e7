import { encodeAuditEntry } from '../audit/index.ts';
import { VerityError } from '../errors/index.ts';
import type { ObjectRow } from '../store/index.ts';
import type { PasskeyContext } from './context.ts';
import { isLive, PASSKEY_KIND, type PasskeyInfo, passkeyBody, passkeyInfo } from './record.ts';

/** A player session as the passkey operations need it. */
export interface SessionRef {
  readonly subjectRef: string;
  readonly sessionId: string;
}

/** One active session of a player, as they see it. */
export interface OwnSession {
  readonly id: string;
  readonly method: string;
  /** The passkey that opened it, when one did. */
  readonly passkey: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly current: boolean;
}

/** A player's devices: their passkeys and the sessions those opened, listed and revoked. */
export class Devices {
  readonly #c: PasskeyContext;

  constructor(c: PasskeyContext) {
    this.#c = c;
  }

  /** The player's passkeys (revoked ones too), oldest id first; at most `maxPasskeys` plus revoked. */
  rows(subjectRef: string): Promise<ObjectRow[]> {
    return this.#c.store.reader.listObjects(PASSKEY_KIND, subjectRef, { limit: 256 });
  }

  /** The player's passkeys (revoked and flagged ones too). */
  async list(subjectRef: string): Promise<PasskeyInfo[]> {
    const out: PasskeyInfo[] = [];
    for (const o of await this.rows(subjectRef)) {
      const b = passkeyBody(o);
      if (b !== undefined) out.push(passkeyInfo(o.id, b));
    }
    return out;
  }

  /**
   * Revokes one of the player's passkeys: every session it opened ends on its next request, on
   * every node (the session reads its passkey). Throws VERITY_E_PASSKEY_NOT_FOUND for a passkey
   * that is not theirs.
   */
  async revoke(subjectRef: string, id: string): Promise<void> {
    const now = this.#c.clock.now();
    await this.#c.log.submit(async (tx, batch) => {
      const o = await tx.getObject(PASSKEY_KIND, id);
      const b = o === undefined ? undefined : passkeyBody(o);
      if (o === undefined || b === undefined || o.owner !== subjectRef)
        throw new VerityError(
          'VERITY_E_PASSKEY_NOT_FOUND',
          'you have no such passkey; list yours with GET /v1/passkeys',
        );
      if (b.revokedAt !== null && b.revokedAt <= now) return -1;
      await tx.putObject({
        ...o,
        body: JSON.stringify({ ...b, revokedAt: now }),
        version: o.version + 1,
        updatedAt: now,
      });
      // `player:self`, not the acting session: naming it would link it to this device's sessions.
      return batch.add(
        encodeAuditEntry({
          actor: 'player:self',
          action: 'passkey.revoke',
          resource: 'passkey:device',
          purpose: 'security',
          outcome: 'success',
          time: now,
        }),
      );
    });
  }

  /** The player's active sessions, with the passkey that opened each (sessions of revoked ones left out). */
  async sessions(s: SessionRef): Promise<OwnSession[]> {
    const now = this.#c.clock.now();
    const out: OwnSession[] = [];
    for (const x of await this.#c.sessions.list({ subjectRef: s.subjectRef }, { limit: 200 })) {
      const m = /^object:passkey\/(.+)$/.exec(x.openerTokenId);
      const passkey = m === null ? null : (m[1] as string);
      if (passkey !== null) {
        const o = await this.#c.store.reader.getObject(PASSKEY_KIND, passkey);
        const b = o === undefined ? undefined : passkeyBody(o);
        if (b === undefined || !isLive(b, now)) continue;
      }
      out.push({
        id: x.id,
        method: x.opener.startsWith('signin:') ? x.opener.slice(7) : 'service',
        passkey,
        createdAt: x.createdAt,
        expiresAt: x.expiresAt,
        current: x.id === s.sessionId,
      });
    }
    return out;
  }

  /** Revokes one of the player's own sessions (VERITY_E_SESSION_NOT_FOUND for anyone else's). */
  async revokeSession(subjectRef: string, id: string): Promise<void> {
    const row = await this.#c.sessions.row(id);
    if (row === undefined || row.subjectRef !== subjectRef)
      throw new VerityError(
        'VERITY_E_SESSION_NOT_FOUND',
        'you have no such session; list yours with GET /v1/passkeys/sessions',
      );
    // `player:self`: the entry names the revoked session only, not the one revoking it.
    await this.#c.sessions.revoke(id, { actor: 'player:self', purpose: 'security' });
  }
}
