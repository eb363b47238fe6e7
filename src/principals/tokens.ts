import { createHash } from 'node:crypto';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { bytesEqual, checkIdentifier, parseJson, randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store, TokenRow } from '../store/index.ts';

/** Roles an API token can carry. Players sign in with sessions, not API tokens. */
export const TOKEN_ROLES = ['service', 'operator', 'auditor'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** An authenticated caller. */
export interface Principal {
  readonly name: string;
  readonly role: TokenRole;
  /** For services: the record types they own. */
  readonly recordTypes: readonly string[];
  readonly tokenId: string;
  /** How the principal appears in the audit trail, e.g. `service:world-eu`. */
  readonly actor: string;
}

/** Public facts about a token (never its secret or hash). */
export interface TokenInfo {
  readonly id: string;
  readonly principal: string;
  readonly role: TokenRole;
  readonly recordTypes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;
// Token text: the id (`tok_` + 12 base64url) + `.` + the secret (43 base64url, 256 bits).
const TOKEN_RE = /^(tok_[A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;
const MAX_TTL_MS = 366 * 24 * 3600 * 1000;

function unauthenticated(message: string): VerityError {
  return new VerityError('VERITY_E_UNAUTHENTICATED', message);
}

function hashSecret(secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret).digest());
}

/**
 * API tokens of service principals (FGMV-46 7.1.4): random 256-bit secrets, stored only as SHA-256
 * hashes, scoped (role and record types), expiring and revocable. Creation and revocation are
 * audited. Checking a token reads the store every time, so a revocation takes effect at once, on
 * every node.
 */
export class Tokens {
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;

  constructor(store: Store, log: TransparencyLog, clock: Clock = systemClock) {
    this.#store = store;
    this.#log = log;
    this.#clock = clock;
  }

  /** Creates a token; the returned `token` is shown once and never stored. */
  async create(input: {
    principal: string;
    role: string;
    recordTypes?: readonly string[];
    ttlMs?: number;
    actor: string;
  }): Promise<{ token: string; info: TokenInfo }> {
    checkIdentifier(input.principal, 'principal name', {
      pattern: NAME_RE,
      hint: '1 to 64 lowercase letters, digits and `._-`, starting with a letter or digit',
    });
    if (!(TOKEN_ROLES as readonly string[]).includes(input.role))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        `role ${quote(input.role)} must be one of ${TOKEN_ROLES.join(', ')}`,
      );
    const recordTypes = [...(input.recordTypes ?? [])];
    if (recordTypes.length > 100 || !recordTypes.every((t) => TYPE_RE.test(t)))
      throw new InputError('VERITY_E_INPUT_INVALID', 'record types must be at most 100 valid type names');
    if (input.role !== 'service' && recordTypes.length > 0)
      throw new InputError('VERITY_E_INPUT_INVALID', 'only service tokens carry record types');
    const ttl = input.ttlMs ?? 90 * 24 * 3600 * 1000;
    if (!Number.isSafeInteger(ttl) || ttl < 1000 || ttl > MAX_TTL_MS)
      throw new InputError('VERITY_E_INPUT_INVALID', 'a token lives from 1 second to 366 days');
    const id = `tok_${toBase64Url(randomBytesSecure(9))}`;
    const secret = toBase64Url(randomBytesSecure(32));
    const now = this.#clock.now();
    const row: TokenRow = {
      id,
      secretHash: hashSecret(secret),
      principal: input.principal,
      role: input.role,
      scopes: JSON.stringify({ recordTypes }),
      createdAt: now,
      expiresAt: now + ttl,
      revokedAt: null,
    };
    await this.#log.submit(async (tx, batch) => {
      await tx.insertToken(row);
      batch.add(
        encodeAuditEntry({
          actor: input.actor,
          action: 'token.create',
          resource: `token:${id}`,
          purpose: 'administration',
          outcome: 'success',
          time: now,
          details: { role: input.role },
        }),
      );
    });
    return { token: `${id}.${secret}`, info: this.#info(row) };
  }

  #info(r: TokenRow): TokenInfo {
    return {
      id: r.id,
      principal: r.principal,
      role: r.role as TokenRole,
      recordTypes: this.#scopes(r).recordTypes,
      createdAt: new Date(r.createdAt).toISOString(),
      expiresAt: new Date(r.expiresAt).toISOString(),
      revokedAt: r.revokedAt === null ? null : new Date(r.revokedAt).toISOString(),
    };
  }

  #scopes(r: TokenRow): { recordTypes: string[] } {
    const s = parseJson(r.scopes, { maxBytes: 64 * 1024, maxDepth: 3 }, 'token scopes') as { recordTypes?: unknown };
    return {
      recordTypes: Array.isArray(s.recordTypes) ? s.recordTypes.filter((t): t is string => typeof t === 'string') : [],
    };
  }

  /** Checks a bearer token (attacker-controlled text); throws VERITY_E_UNAUTHENTICATED when not live. */
  async authenticate(token: string): Promise<Principal> {
    const m = typeof token === 'string' ? TOKEN_RE.exec(token) : null;
    if (m === null) throw unauthenticated('the bearer token is malformed; use a token from `verity tokens create`');
    const row = await this.#store.reader.getToken(m[1] as string);
    // Hash before looking at the row, so unknown and wrong tokens take the same path.
    const given = hashSecret(m[2] as string);
    if (row === undefined || !bytesEqual(given, row.secretHash)) throw unauthenticated('the bearer token is not valid');
    if (row.revokedAt !== null) throw unauthenticated('the bearer token was revoked');
    if (this.#clock.now() >= row.expiresAt) throw unauthenticated('the bearer token has expired; create a new one');
    const role = row.role as TokenRole;
    return {
      name: row.principal,
      role,
      recordTypes: this.#scopes(row).recordTypes,
      tokenId: row.id,
      actor: `${role}:${row.principal}`,
    };
  }

  /** Revokes a token at once (audited). */
  async revoke(id: string, actor: string): Promise<boolean> {
    if (!/^tok_[A-Za-z0-9_-]{12}$/.test(id))
      throw new InputError('VERITY_E_INPUT_INVALID', `${quote(id)} is not a token id`);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const found = await tx.revokeToken(id, now);
      if (found)
        batch.add(
          encodeAuditEntry({
            actor,
            action: 'token.revoke',
            resource: `token:${id}`,
            purpose: 'security',
            outcome: 'success',
            time: now,
          }),
        );
      return found;
    });
    return result;
  }

  /** Every token's public facts. */
  async list(): Promise<TokenInfo[]> {
    return (await this.#store.reader.listTokens()).map((r) => this.#info(r));
  }
}
