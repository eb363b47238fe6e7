import { createHash } from 'node:crypto';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { newObject, type ObjectRow, type StoreReader, type StoreWriter } from '../store/index.ts';

/** The state-object kind of an issued, unused nonce (id: its expiry and the SHA-256 of the nonce). */
export const NONCE_KIND = 'oidc.nonce';
/** How long a nonce may be used by default (seconds). */
export const NONCE_TTL_S = 300;
/** Expired nonces deleted at each issue, oldest first: the table never grows past what is live. */
const SWEEP = 32;
// A nonce: its expiry (13 decimal digits of milliseconds, so that object ids sort by expiry) and 256
// random bits.
const NONCE_RE = /^(\d{13})\.([A-Za-z0-9_-]{43})$/;

function invalid(message: string, reason: string): VerityError {
  return new VerityError(
    'VERITY_E_OIDC_NONCE_INVALID',
    `the ID token's nonce ${message}; ask for a new nonce (POST /v1/signin/oidc/nonce) and sign in again`,
    { details: { reason } },
  );
}

/**
 * The object id of a nonce: its expiry, then the SHA-256 of the whole nonce, so that the stored
 * state does not hold a usable nonce, and ids sort by expiry (the sweep deletes the oldest first).
 */
function idOf(nonce: string): { id: string; expiresAt: number } | undefined {
  const m = NONCE_RE.exec(nonce);
  if (m === null) return undefined;
  return {
    id: `${m[1]}.${toBase64Url(createHash('sha256').update(nonce).digest())}`,
    expiresAt: Number(m[1]),
  };
}

/**
 * Nonces for OpenID Connect sign-in (Core 3.1.2.1, 15.5.2): Verity issues one, the player's client
 * passes it to the identity provider, and the ID token must carry it back. Each is single-use,
 * short-lived, and kept as authenticated state (an `oidc.nonce` object), so it is consumed in the
 * very transaction that opens the session: a replayed ID token is refused on every node.
 */
export class Nonces {
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #ttl: number;

  constructor(o: { log: TransparencyLog; clock?: Clock; ttlSeconds?: number }) {
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#ttl = o.ttlSeconds ?? NONCE_TTL_S;
    if (!Number.isInteger(this.#ttl) || this.#ttl < 10 || this.#ttl > 3600)
      throw new RangeError('a nonce lasts 10 to 3600 seconds');
  }

  /**
   * Issues a nonce, for one issuer (`issuer`: its name) or any. Audited without the nonce (the log
   * entry says a nonce was issued and how long it lasts).
   */
  async issue(issuer: string | null): Promise<{ nonce: string; expiresAt: number }> {
    const now = this.#clock.now();
    const expiresAt = now + this.#ttl * 1000;
    const nonce = `${String(expiresAt).padStart(13, '0')}.${toBase64Url(randomBytesSecure(32))}`;
    const { id } = idOf(nonce) as { id: string };
    await this.#log.submit(async (tx, batch) => {
      let swept = 0;
      for (const old of await tx.listObjects(NONCE_KIND, undefined, { limit: SWEEP })) {
        if (Number(old.id.slice(0, 13)) > now) break;
        await tx.deleteObject(NONCE_KIND, old.id);
        swept++;
      }
      await tx.putObject(newObject({ kind: NONCE_KIND, id, doc: { issuer, expiresAt }, updatedAt: now }));
      return batch.add(
        encodeAuditEntry({
          actor: 'signin:oidc',
          action: 'oidc.nonce',
          resource: issuer === null ? 'nonce' : `issuer:${issuer}`,
          purpose: 'authentication',
          outcome: 'success',
          time: now,
          details: { ttl: this.#ttl, swept },
        }),
      );
    });
    return { nonce, expiresAt };
  }

  /**
   * Checks that `nonce` was issued here (for `issuer` or for any), is unused and unexpired; returns
   * its object id. Run in the sign-in transaction (then deleted there) and before it (to refuse
   * early). Throws VERITY_E_OIDC_NONCE_INVALID.
   */
  async check(reader: StoreReader, nonce: string, issuer: string): Promise<string> {
    const k = idOf(nonce);
    if (k === undefined) throw invalid('is not one Verity issued', 'format');
    if (this.#clock.now() >= k.expiresAt) throw invalid('has expired', 'expired');
    const row: ObjectRow | undefined = await reader.getObject(NONCE_KIND, k.id);
    if (row === undefined) throw invalid('is unknown or was used already', 'unknown');
    const body = parseJson(row.body, { maxBytes: 1024, maxDepth: 2 }, 'nonce') as { issuer?: unknown };
    if (body.issuer !== null && body.issuer !== issuer) throw invalid('was issued for another issuer', 'issuer');
    return k.id;
  }

  /** Consumes a nonce inside the sign-in transaction (see {@link Nonces.check}). */
  async consume(tx: StoreWriter, nonce: string, issuer: string): Promise<void> {
    const id = await this.check(tx, nonce, issuer);
    if (!(await tx.deleteObject(NONCE_KIND, id))) throw invalid('was used already', 'unknown');
  }
}
