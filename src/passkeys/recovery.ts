import { createHash, timingSafeEqual } from 'node:crypto';
import { randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';

/** KeyStore MAC key under which recovery codes are stored. */
export const RECOVERY_KEY = 'passkey-recovery';
/** Object kind of a player's recovery codes (id and owner: the subject ref). */
export const RECOVERY_KIND = 'passkey.recovery';
/** Object kind of a recovery ticket (id: its handle, owner: the subject ref). */
export const TICKET_KIND = 'passkey.recovery-ticket';
export const RECOVERY_CODES = 10;
/** Crockford's base32 alphabet in lowercase: no i, l, o, u to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_CHARS = 16;
const TICKET_RE = /^rcv\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** A player's recovery codes as stored: keyed hashes only, each single-use. */
export interface RecoveryBody {
  readonly codes: readonly { readonly h: string; readonly usedAt: number | null }[];
  readonly createdAt: number;
}

/** A fresh code: 16 characters of base32 (80 bits), shown in groups of four. */
function newCode(): string {
  const b = randomBytesSecure(CODE_CHARS);
  let s = '';
  for (let i = 0; i < CODE_CHARS; i++) {
    s += ALPHABET[(b[i] as number) & 31];
    if (i % 4 === 3 && i < CODE_CHARS - 1) s += '-';
  }
  return s;
}

/** The code as typed, normalized (case, dashes, spaces); undefined when it cannot be one. */
export function normalizeCode(code: unknown): string | undefined {
  if (typeof code !== 'string' || code.length > 64) return undefined;
  const s = code.toLowerCase().replace(/[\s-]/g, '');
  if (s.length !== CODE_CHARS) return undefined;
  for (const ch of s) if (!ALPHABET.includes(ch)) return undefined;
  return s;
}

/** HMAC-SHA-256 under a KeyStore key, bound to the player: a stolen table cannot be brute-forced offline. */
async function hashCode(keys: KeyStore, subjectRef: string, normalized: string): Promise<string> {
  return toBase64Url(await keys.mac(RECOVERY_KEY, utf8(`${subjectRef}\u0000${normalized}`)));
}

/** New codes (shown once) and the body that stores their hashes. */
export async function makeRecoveryCodes(
  keys: KeyStore,
  subjectRef: string,
  now: number,
): Promise<{ codes: string[]; body: RecoveryBody }> {
  await keys.ensureMacKey(RECOVERY_KEY);
  const codes = Array.from({ length: RECOVERY_CODES }, newCode);
  const hashed = await Promise.all(
    codes.map(async (c) => ({ h: await hashCode(keys, subjectRef, normalizeCode(c) as string), usedAt: null })),
  );
  return { codes, body: { codes: hashed, createdAt: now } };
}

/**
 * The index of the unused code that matches `code`, or -1. Every stored hash is compared, in
 * constant time, whatever matched before (no early exit to time).
 */
export async function matchCode(keys: KeyStore, subjectRef: string, body: RecoveryBody, code: string): Promise<number> {
  const n = normalizeCode(code);
  if (n === undefined) return -1;
  await keys.ensureMacKey(RECOVERY_KEY);
  const h = Buffer.from(await hashCode(keys, subjectRef, n));
  let found = -1;
  body.codes.forEach((c, i) => {
    const stored = Buffer.from(c.h);
    const same = stored.length === h.length && timingSafeEqual(stored, h);
    if (same && c.usedAt === null && found < 0) found = i;
  });
  return found;
}

/** A recovery ticket: its handle (object id) and secret (stored as SHA-256 only). */
export function newTicket(): { handle: string; secret: string; token: string; secretHash: string } {
  const handle = toBase64Url(randomBytesSecure(16));
  const secret = toBase64Url(randomBytesSecure(32));
  return { handle, secret, token: `rcv.${handle}.${secret}`, secretHash: sha256(secret) };
}

/** Whether a bearer token looks like a recovery ticket. */
export function isTicket(token: string): boolean {
  return token.startsWith('rcv.');
}

/** Splits a ticket token (attacker-controlled). */
export function parseTicket(token: string): { handle: string; secret: string } {
  const m = TICKET_RE.exec(token);
  if (m === null)
    throw new VerityError('VERITY_E_UNAUTHENTICATED', 'the recovery ticket is malformed; use a recovery code again');
  return { handle: m[1] as string, secret: m[2] as string };
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

/** Constant-time comparison of two base64url digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
