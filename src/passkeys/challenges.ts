import { timingSafeEqual } from 'node:crypto';
import { concatBytes, fromBase64Url, randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { newObject, type StoreReader, type StoreWriter } from '../store/index.ts';

/** KeyStore MAC key that authenticates challenges. */
export const CHALLENGE_KEY = 'passkey-challenge';
/** Object kind of a consumed challenge (kept until it expires, so it is refused on every node). */
export const CHALLENGE_KIND = 'passkey.challenge';

/** The ceremony a challenge was issued for. */
export type ChallengePurpose = 'register' | 'signin' | 'step-up' | 'action';
const PURPOSE_BYTE: Record<ChallengePurpose, number> = { register: 1, signin: 2, 'step-up': 3, action: 4 };
const VERSION = 1;
const HEAD = 2 + 8 + 16;
const LENGTH = HEAD + 32;
/** Expired consumed challenges removed per consumption (keeps their number bounded). */
const PRUNE = 4;

function refused(message: string): VerityError {
  return new VerityError('VERITY_E_PASSKEY_CHALLENGE', message);
}

/** A challenge that passed its MAC, purpose and expiry checks, not yet consumed. */
export interface CheckedChallenge {
  readonly nonce: string;
  readonly expiresAt: number;
}

/**
 * Single-use WebAuthn challenges. A challenge is `version | purpose | expiry | nonce | MAC`, the MAC
 * (HMAC-SHA-256 under a KeyStore key) binding it to its ceremony and to what it is for (the player,
 * the session, the allowed credentials): issuing one writes nothing, so an unauthenticated caller
 * asking for sign-in options cannot fill the store or the log. It is consumed by creating an
 * authenticated state object named by its nonce in the very transaction that acts on the answer:
 * a second use fails that creation (compare-and-set), on every node.
 */
export class Challenges {
  readonly #keys: KeyStore;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(keys: KeyStore, ttlMs: number, now: () => number) {
    this.#keys = keys;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async #mac(head: Uint8Array, binding: string): Promise<Uint8Array> {
    return this.#keys.mac(CHALLENGE_KEY, concatBytes(head, utf8(binding)));
  }

  /** A fresh challenge (base64url) for `purpose`, bound to `binding`, lasting `ttlMs` (at most the configured time). */
  async issue(
    purpose: ChallengePurpose,
    binding: string,
    ttlMs = this.#ttlMs,
  ): Promise<{ challenge: string; expiresAt: number }> {
    await this.#keys.ensureMacKey(CHALLENGE_KEY);
    const expiresAt = this.#now() + Math.min(ttlMs, this.#ttlMs);
    const head = new Uint8Array(HEAD);
    head[0] = VERSION;
    head[1] = PURPOSE_BYTE[purpose];
    new DataView(head.buffer).setBigUint64(2, BigInt(expiresAt));
    head.set(randomBytesSecure(16), 10);
    return { challenge: toBase64Url(concatBytes(head, await this.#mac(head, binding))), expiresAt };
  }

  /**
   * Checks a challenge echoed in client data (attacker-controlled): its length, MAC (constant
   * time), purpose, binding and expiry. Throws VERITY_E_PASSKEY_CHALLENGE.
   */
  async check(challenge: string, purpose: ChallengePurpose, binding: string): Promise<CheckedChallenge> {
    let raw: Uint8Array;
    try {
      if (typeof challenge !== 'string' || challenge.length > 128) throw new Error('size');
      raw = fromBase64Url(challenge);
    } catch {
      throw refused('the challenge is not one of this server; ask for new options and try again');
    }
    if (raw.length !== LENGTH || raw[0] !== VERSION)
      throw refused('the challenge is not one of this server; ask for new options and try again');
    await this.#keys.ensureMacKey(CHALLENGE_KEY);
    const head = raw.subarray(0, HEAD);
    const mac = await this.#mac(head, binding);
    if (!timingSafeEqual(mac, raw.subarray(HEAD)) || raw[1] !== PURPOSE_BYTE[purpose])
      throw refused(`the challenge was not issued for this ${purpose} ceremony; ask for new options and try again`);
    const expiresAt = Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(2));
    if (this.#now() >= expiresAt) throw refused('the challenge has expired; ask for new options and try again');
    return { nonce: toBase64Url(raw.subarray(10, HEAD)), expiresAt };
  }

  /** Refuses a challenge that was consumed already (read-only; `consume` decides under the write lock). */
  async unused(reader: Pick<StoreReader, 'getObject'>, c: CheckedChallenge): Promise<void> {
    if ((await reader.getObject(CHALLENGE_KIND, c.nonce)) !== undefined)
      throw refused('the challenge was used already; ask for new options and try again');
  }

  /**
   * Consumes a checked challenge inside a write transaction: refused (VERITY_E_PASSKEY_CHALLENGE)
   * when it was used before. Removes a few expired consumed challenges on the way.
   */
  async consume(tx: StoreWriter, c: CheckedChallenge): Promise<void> {
    const now = this.#now();
    if (now >= c.expiresAt) throw refused('the challenge has expired; ask for new options and try again');
    if ((await tx.getObject(CHALLENGE_KIND, c.nonce)) !== undefined)
      throw refused('the challenge was used already; ask for new options and try again');
    await tx.putObject(
      newObject({ kind: CHALLENGE_KIND, id: c.nonce, doc: { expiresAt: c.expiresAt }, updatedAt: now }),
    );
    // Nonces are random, so the ones after this one are a random sample: deleting the expired
    // ones among them keeps the table near (rate x lifetime) without a sweeper.
    for (const o of await tx.listObjects(CHALLENGE_KIND, '', { limit: PRUNE, after: c.nonce })) {
      const exp = (JSON.parse(o.body) as { expiresAt?: unknown }).expiresAt;
      if (typeof exp === 'number' && exp <= now) await tx.deleteObject(CHALLENGE_KIND, o.id);
    }
  }
}
