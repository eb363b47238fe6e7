import { encodeAuditEntry } from '../audit/index.ts';
import { VerityError } from '../errors/index.ts';
import { newObject, nextObject, type ObjectRow, type StoreWriter } from '../store/index.ts';
import type { PasskeyContext } from './context.ts';
import {
  makeRecoveryCodes,
  matchCode,
  newTicket,
  parseTicket,
  RECOVERY_KIND,
  type RecoveryBody,
  sameDigest,
  sha256,
  TICKET_KIND,
} from './recovery.ts';

/** How long a recovery ticket may be used to register a new passkey (ms). */
const TICKET_TTL_MS = 10 * 60_000;

/** Account recovery: a player's recovery codes, and the tickets a spent code gives. */
export class AccountRecovery {
  readonly #c: PasskeyContext;

  constructor(c: PasskeyContext) {
    this.#c = c;
  }

  /** New recovery codes for the player (the old ones stop working); shown once. */
  async newRecoveryCodes(subjectRef: string): Promise<string[]> {
    const now = this.#c.clock.now();
    const fresh = await makeRecoveryCodes(this.#c.keys, subjectRef, now);
    await this.#c.log.submit(async (tx, batch) => {
      const prev = await tx.getObject(RECOVERY_KIND, subjectRef);
      await tx.putObject(
        nextObject(prev, { kind: RECOVERY_KIND, id: subjectRef, owner: subjectRef, doc: fresh.body, updatedAt: now }),
      );
      return batch.add(
        encodeAuditEntry({
          actor: 'player:self',
          action: 'passkey.recovery',
          resource: 'passkey:recovery-codes',
          purpose: 'security',
          outcome: 'success',
          time: now,
          details: { renewed: true },
        }),
      );
    });
    return fresh.codes;
  }

  /**
   * Spends one recovery code of the player: returns a ticket that registers one new passkey within
   * ten minutes and does nothing else. Throws VERITY_E_PASSKEY_RECOVERY (the same for an unknown
   * player, a wrong code and a used one).
   */
  async recover(subjectRef: string, code: string): Promise<{ ticket: string; expiresAt: number }> {
    const wrong = new VerityError(
      'VERITY_E_PASSKEY_RECOVERY',
      'the recovery code is not valid or was used; check it and try again',
    );
    const o = await this.#c.store.reader.getObject(RECOVERY_KIND, subjectRef);
    if (o === undefined || o.owner !== subjectRef) throw wrong;
    const body = JSON.parse(o.body) as RecoveryBody;
    const i = await matchCode(this.#c.keys, subjectRef, body, code);
    if (i < 0) throw wrong;
    const now = this.#c.clock.now();
    const t = newTicket();
    const expiresAt = now + TICKET_TTL_MS;
    await this.#c.log.submit(async (tx, batch) => {
      const codes = body.codes.map((c, j) => (j === i ? { ...c, usedAt: now } : c));
      // Compare-and-set: two concurrent uses of the same code cannot both succeed.
      await tx.putObject({ ...o, body: JSON.stringify({ ...body, codes }), version: o.version + 1, updatedAt: now });
      await tx.putObject(
        newObject({
          kind: TICKET_KIND,
          id: t.handle,
          owner: subjectRef,
          doc: { secretHash: t.secretHash, expiresAt },
          updatedAt: now,
        }),
      );
      return batch.add(
        encodeAuditEntry({
          actor: `player:recovery-${t.handle}`,
          action: 'passkey.recovery',
          resource: 'passkey:recovery-codes',
          purpose: 'security',
          outcome: 'success',
          time: now,
          details: { remaining: codes.filter((c) => c.usedAt === null).length },
        }),
      );
    });
    return { ticket: t.token, expiresAt };
  }

  /** The player a live recovery ticket (attacker-controlled) belongs to; VERITY_E_UNAUTHENTICATED otherwise. */
  async ticketHolder(token: string): Promise<string> {
    const { handle } = parseTicket(token);
    const o = await this.#c.store.reader.getObject(TICKET_KIND, handle);
    if (o === undefined)
      throw new VerityError('VERITY_E_UNAUTHENTICATED', 'the recovery ticket is not valid; use a recovery code again');
    await this.liveTicket(token, o.owner);
    return o.owner;
  }

  /** The ticket's row when it is live and the player's (`tx`: read in that transaction). */
  async liveTicket(token: string, subjectRef: string, tx?: StoreWriter): Promise<ObjectRow> {
    const { handle, secret } = parseTicket(token);
    const o = await (tx ?? this.#c.store.reader).getObject(TICKET_KIND, handle);
    const b = o === undefined ? undefined : (JSON.parse(o.body) as { secretHash?: string; expiresAt?: number });
    if (
      o === undefined ||
      b === undefined ||
      o.owner !== subjectRef ||
      typeof b.secretHash !== 'string' ||
      !sameDigest(b.secretHash, sha256(secret)) ||
      typeof b.expiresAt !== 'number' ||
      this.#c.clock.now() >= b.expiresAt
    )
      throw new VerityError(
        'VERITY_E_UNAUTHENTICATED',
        'the recovery ticket is not valid or has expired; use a recovery code again',
      );
    return o;
  }

  /** Spends a ticket in the registering transaction: a ticket registers one passkey. */
  async useTicket(tx: StoreWriter, token: string): Promise<void> {
    const o = await tx.getObject(TICKET_KIND, parseTicket(token).handle);
    if (o === undefined)
      throw new VerityError(
        'VERITY_E_UNAUTHENTICATED',
        'the recovery ticket was used already; use a recovery code again',
      );
    await this.liveTicket(token, o.owner, tx);
    await tx.deleteObject(TICKET_KIND, o.id);
  }
}
