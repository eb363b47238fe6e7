import { importJWK, jwtVerify } from 'jose';
import { type AuditEvent, encodeSuccessEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { InputError, quote, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { sha256 } from '../platform/index.ts';
import type { ObjectRow, SessionRow, Store, StoreWriter } from '../store/index.ts';
import { livePrincipal, type Principal } from './tokens.ts';

/** Name of the KeyStore key that signs player sessions. */
export const SESSION_KEY = 'session-signing';
const ISSUER = 'verity';
const AUDIENCE = 'verity-api';
const MAX_TTL_S = 3600;
/** Record types no session reaches: vault tokens are re-identification (detokenizing only). */
const NEVER_IN_SESSIONS: ReadonlySet<string> = new Set(['verity.token']);
/** Most sessions one bulk revocation reads at a time. */
const PAGE = 500;

/** A signed-in player, as a live session (checked against its row and its opener's token) states it. */
export interface PlayerSession {
  /** Random session id (names the player in the audit trail: unlinkable across sessions). */
  readonly id: string;
  /** The player's subject reference (a keyed pseudonym, never the player id). */
  readonly subjectRef: string;
  /** How the session was opened: vouched for by a service, or signed in by the player themselves. */
  readonly method: SessionMethod;
  /** The service whose token opened the session, as that token is now (undefined for a sign-in). */
  readonly opener: Principal | undefined;
  /** The record types the session reaches: its opener's, never vault tokens. */
  readonly recordTypes: readonly string[];
  readonly expiresAt: number;
  /**
   * The risk of the sign-in that opened the session, 0 to 100 (a percentage of the risk model's
   * score; 0 for sessions a service vouched for, or when no model scores sign-ins). Carried in the
   * signed token, it reaches the access decisions' context as `risk`.
   */
  readonly risk: number;
}

/** Where a sign-in came from, for its risk score (never stored or logged as such). */
export interface SignInContext {
  /** The client's address as the server saw it. */
  readonly ip?: string;
  /** The client's User-Agent header (only a digest of it is scored, as the device). */
  readonly userAgent?: string;
}

/** What scores a sign-in (src/risk's RiskScorer): `score` 0..1 from the events before it. */
export interface SignInScorer {
  score(event: unknown): { readonly score: number };
}

/** The object a passkey step-up writes for its session (kind, id = the session id; `stepUpAt` ms). */
export const STEP_UP_KIND = 'session.step-up';
/** How long a step-up counts for the decisions that demand one (ms). */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

/** `service`: a platform service vouched for the player; `passkey`, `oidc`: the player signed in. */
export type SessionMethod = 'service' | 'passkey' | 'oidc';

/**
 * A player's own sign-in (no service vouching): the state object that vouches for the session (the
 * passkey, or the identity provider whose ID token was presented). It is read on every request made
 * with the session: once its document has a `revokedAt` at or before now, or it is gone, the
 * session is refused. An object with an owner vouches only for that owner's sessions.
 */
export interface SignIn {
  readonly method: 'passkey' | 'oidc';
  readonly via: { readonly kind: string; readonly id: string };
  /**
   * Run first inside the opening transaction, before the vouching object is checked and the session
   * row is written: consumes what must be used once (a nonce, a challenge), may update the vouching
   * object (a signature counter) and add entries; throwing aborts the opening.
   */
  readonly within?: (tx: StoreWriter, batch: { add(entry: Uint8Array): number }, sessionId: string) => Promise<void>;
  /** Where the sign-in came from: scored when the sessions have a scorer. */
  readonly context?: SignInContext;
}

/** The opener column of a signed-in session: `object:<kind>/<id>` of what vouches for it. */
const VIA_PREFIX = 'object:';

/** Reads `object:<kind>/<id>` back; undefined for a token id. */
function viaOf(opener: string): { kind: string; id: string } | undefined {
  if (!opener.startsWith(VIA_PREFIX)) return undefined;
  const rest = opener.slice(VIA_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 1 ? undefined : { kind: rest.slice(0, slash), id: rest.slice(slash + 1) };
}

/** Whether a vouching object still vouches for `subjectRef` at `now`. */
function vouches(o: ObjectRow | undefined, subjectRef: string, now: number): boolean {
  if (o === undefined || (o.owner !== '' && o.owner !== subjectRef)) return false;
  let body: unknown;
  try {
    body = JSON.parse(o.body);
  } catch {
    return false;
  }
  if (typeof body !== 'object' || body === null) return false;
  const revokedAt = (body as { revokedAt?: unknown }).revokedAt;
  return revokedAt === undefined || revokedAt === null || (typeof revokedAt === 'number' && revokedAt > now);
}

/** Public facts about a session (never its token). */
export interface SessionInfo {
  readonly id: string;
  readonly subjectRef: string;
  readonly openerTokenId: string;
  readonly opener: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

/** A session just opened: its token (handed out once) and the log index of its opening. */
export interface OpenedSession {
  readonly id: string;
  readonly token: string;
  readonly expiresAt: number;
  readonly logIndex: number;
}

/** Who opens or revokes, why, and the policy set that allowed it (recorded in the audit entry). */
export interface SessionAccess {
  readonly actor: string;
  readonly purpose: string;
  readonly policy?: string;
}

const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const ID_RE = /^[A-Za-z0-9_-]{16}$/;

function unauthenticated(message: string): VerityError {
  return new VerityError('VERITY_E_UNAUTHENTICATED', message);
}

/** Checks a session id (attacker-controlled on every interface). */
export function checkSessionId(id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `${quote(id)} is not a session id (16 base64url characters)`);
  return id;
}

function info(r: SessionRow): SessionInfo {
  return {
    id: r.id,
    subjectRef: r.subjectRef,
    openerTokenId: r.openerTokenId,
    opener: r.opener,
    createdAt: new Date(r.createdAt).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
    revokedAt: r.revokedAt === null ? null : new Date(r.revokedAt).toISOString(),
  };
}

/**
 * Player sessions (FGMV-46 7.1.4, 7.1.6): short-lived compact JWS (EdDSA) tokens signed by a
 * KeyStore key (the private key never leaves the key store), naming the player by pseudonym only,
 * each backed by a row of the store. A session is opened only by a platform service (the policies
 * demand the `session.open` capability) and reaches no more than its opener could: the opener's
 * record types, never vault tokens. Every request made with a session reads its row and its
 * opener's token (nothing is cached): a revocation of the session, of its player's sessions, of its
 * opener's sessions, or of the opener's token is effective on the next request, on every node.
 * Every opening and revocation is audited, naming the session id and who opened or revoked it.
 */
export class Sessions {
  readonly #keys: KeyStore;
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #signInRecordTypes: readonly string[];
  readonly #scorer: SignInScorer | undefined;
  #publicKey: Awaited<ReturnType<typeof importJWK>> | undefined;

  /**
   * `signInRecordTypes`: the record types a session the player signed in themselves reaches (their
   * own records of those types; none by default, never vault tokens).
   */
  constructor(o: {
    keys: KeyStore;
    store: Store;
    log: TransparencyLog;
    clock?: Clock;
    signInRecordTypes?: readonly string[];
    /** Scores each sign-in (its features kept in memory: see docs/risk.md). */
    scorer?: SignInScorer;
  }) {
    this.#scorer = o.scorer;
    this.#keys = o.keys;
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#signInRecordTypes = (o.signInRecordTypes ?? []).filter((t) => !NEVER_IN_SESSIONS.has(t));
  }

  async #verifyKey() {
    if (this.#publicKey === undefined) {
      const raw = await this.#keys.ensureSigningKey(SESSION_KEY);
      this.#publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: toBase64Url(raw) }, 'EdDSA');
    }
    return this.#publicKey;
  }

  #entry(access: SessionAccess, action: 'session.open' | 'session.revoke', id: string, details: AuditEvent['details']) {
    return encodeSuccessEntry(access, {
      action,
      resource: `session:${id}`,
      time: this.#clock.now(),
      ...(details === undefined ? {} : { details }),
    });
  }

  /**
   * Opens a session for a player whom the opening service authenticated; valid for at most an hour.
   * Its row and its audit entry (the session id, the opener's token id; never the player) are
   * written in one transaction, before the token is handed out.
   */
  async open(opener: Principal, subjectRef: string, access: SessionAccess, ttlSeconds = 900): Promise<OpenedSession> {
    if (opener.role !== 'service')
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        'only a platform service (a service token granted `session.open`) opens player sessions',
      );
    return this.#open(subjectRef, ttlSeconds, opener.actor, 0, async (tx, batch, row) => {
      await tx.insertSession({ ...row, openerTokenId: opener.tokenId, opener: opener.actor });
      return batch.add(this.#entry(access, 'session.open', row.id, { token: opener.tokenId, ttl: ttlSeconds }));
    });
  }

  /**
   * Opens a session for a player who signed in themselves (a passkey assertion or an ID token that
   * the caller has verified): `signIn.via` names the state object that vouches for it, checked in
   * the same transaction and on every request made with the session. The audit entry names the
   * session and the method, never the player or the passkey (sessions stay unlinkable in the log).
   * `signIn.within` runs first in the same transaction (consuming a challenge or a nonce, updating
   * a signature counter), so that the sign-in and its session commit together or not at all.
   */
  async openSignedIn(
    subjectRef: string,
    signIn: SignIn,
    access: Omit<SessionAccess, 'actor'>,
    ttlSeconds = 900,
  ): Promise<OpenedSession> {
    if (signIn.method !== 'passkey' && signIn.method !== 'oidc')
      throw new TypeError('a sign-in is by `passkey` or `oidc`');
    const opener = `${VIA_PREFIX}${signIn.via.kind}/${signIn.via.id}`;
    const risk = this.#score(subjectRef, signIn, true);
    return this.#open(subjectRef, ttlSeconds, `signin:${signIn.method}`, risk, async (tx, batch, row) => {
      await signIn.within?.(tx, batch, row.id);
      const o = await tx.getObject(signIn.via.kind, signIn.via.id);
      if (!vouches(o, subjectRef, this.#clock.now()))
        throw unauthenticated(
          `the ${signIn.method === 'passkey' ? 'passkey' : 'identity provider'} is not live here; sign in again`,
        );
      await tx.insertSession({ ...row, openerTokenId: opener, opener: `signin:${signIn.method}` });
      return batch.add(
        this.#entry({ ...access, actor: `player:session-${row.id}` }, 'session.open', row.id, {
          method: signIn.method,
          ttl: ttlSeconds,
          ...(this.#scorer === undefined ? {} : { risk }),
        }),
      );
    });
  }

  /**
   * The risk of a sign-in (0 to 100), or 0 without a scorer. The event names the player by subject
   * ref and the device by a digest of its User-Agent; the scorer keeps its features in memory.
   */
  #score(subjectRef: string, signIn: SignIn, success: boolean): number {
    const via = `${signIn.method}:${toBase64Url(sha256(utf8(`${signIn.via.kind}/${signIn.via.id}`))).slice(0, 16)}`;
    return this.#scoreEvent(subjectRef, 'signin', success, signIn.context ?? {}, via);
  }

  /**
   * One event to the scorer (0 to 100; 0 without a scorer, 100 for a score that is not a number):
   * the player by subject ref, the address bounded, the device by a digest of its User-Agent.
   */
  #scoreEvent(subjectRef: string, action: string, success: boolean, c: SignInContext, authenticator?: string): number {
    if (this.#scorer === undefined) return 0;
    const { score } = this.#scorer.score({
      time: this.#clock.now(),
      user: subjectRef,
      action,
      success,
      ...(authenticator === undefined ? {} : { authenticator }),
      ...(c.ip === undefined ? {} : { ip: c.ip.slice(0, 64) }),
      ...(c.userAgent === undefined
        ? {}
        : { device: toBase64Url(sha256(utf8(c.userAgent.slice(0, 512)))).slice(0, 16) }),
    });
    return Number.isFinite(score) ? Math.min(100, Math.max(0, Math.floor(score * 100))) : 100;
  }

  /**
   * The risk of a sensitive operation in a signed-in session (0 to 100), or 0 without a scorer: the
   * same model and per-player features as the sign-ins, fed the operation (`action`, a name the
   * model reads, e.g. `data_delete`) with the address and a digest of the User-Agent it came from,
   * so a session that moves to a new device or address, or speeds up, is scored at the operation.
   */
  scoreOperation(subjectRef: string, action: string, context: SignInContext): number {
    return this.#scoreEvent(subjectRef, action, true, context);
  }

  /**
   * Feeds a failed sign-in to the scorer (failed attempts and velocity per player and address count
   * towards the next sign-ins' scores). `subjectRef` when the failure names a player.
   */
  signInFailed(subjectRef: string | undefined, signIn: Omit<SignIn, 'within'>): void {
    if (this.#scorer === undefined) return;
    try {
      this.#score(subjectRef ?? 'unknown', signIn as SignIn, false);
    } catch {
      // A failure that cannot be scored (malformed context) changes nothing.
    }
  }

  /**
   * When the session last stepped up with a fresh strong authentication (a passkey assertion),
   * from its `session.step-up` object (checked against the state map), or undefined.
   */
  async stepUpAt(sessionId: string): Promise<number | undefined> {
    const o = await this.#store.reader.getObject(STEP_UP_KIND, checkSessionId(sessionId));
    if (o === undefined) return undefined;
    try {
      const t = (JSON.parse(o.body) as { stepUpAt?: unknown }).stepUpAt;
      return typeof t === 'number' ? t : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether the session stepped up within the last STEP_UP_WINDOW_MS. */
  async steppedUp(sessionId: string): Promise<boolean> {
    const at = await this.stepUpAt(sessionId);
    const now = this.#clock.now();
    return at !== undefined && at <= now && now - at <= STEP_UP_WINDOW_MS;
  }

  /** Signs a session token and writes its row and entry (`write`) in one log transaction. */
  async #open(
    subjectRef: string,
    ttlSeconds: number,
    azp: string,
    risk: number,
    write: (
      tx: StoreWriter,
      batch: { add(entry: Uint8Array): number },
      row: Omit<SessionRow, 'openerTokenId' | 'opener'>,
    ) => Promise<number>,
  ): Promise<OpenedSession> {
    if (!REF_RE.test(subjectRef))
      throw new InputError('VERITY_E_INPUT_INVALID', 'a session names its player by subject reference');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_S)
      throw new InputError('VERITY_E_INPUT_INVALID', `a session lasts 1 to ${MAX_TTL_S} seconds`);
    await this.#verifyKey();
    const now = Math.floor(this.#clock.now() / 1000);
    const id = toBase64Url(randomBytesSecure(12));
    const payload = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: subjectRef,
      iat: now,
      exp: now + ttlSeconds,
      jti: id,
      azp,
      // The sign-in's risk, signed with the session: the decisions read it from the token.
      ...(risk > 0 ? { rsk: risk } : {}),
    };
    const input = `${toBase64Url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })))}.${toBase64Url(utf8(JSON.stringify(payload)))}`;
    const sig = await this.#keys.sign(SESSION_KEY, utf8(input));
    const expiresAt = (now + ttlSeconds) * 1000;
    const { result: logIndex } = await this.#log.submit((tx, batch) =>
      write(tx, batch, { id, subjectRef, createdAt: now * 1000, expiresAt, revokedAt: null }),
    );
    return { id, token: `${input}.${toBase64Url(sig)}`, expiresAt, logIndex };
  }

  /**
   * Checks a session token (attacker-controlled): its signature, then its row (known, not revoked,
   * not expired) and its opener's token (not revoked, not expired). Throws VERITY_E_UNAUTHENTICATED
   * when any of them is not live.
   */
  async authenticate(token: string): Promise<PlayerSession> {
    const { id, sub, risk } = await this.#verify(token);
    const now = this.#clock.now();
    const row = await this.#store.reader.getSession(id);
    if (row === undefined || row.subjectRef !== sub)
      throw unauthenticated('the session is not known here; open a new session');
    if (row.revokedAt !== null) throw unauthenticated('the session was revoked; open a new session');
    if (now >= row.expiresAt) throw unauthenticated('the session has expired; open a new session');
    const via = viaOf(row.openerTokenId);
    if (via !== undefined) {
      const method = row.opener === 'signin:passkey' ? 'passkey' : row.opener === 'signin:oidc' ? 'oidc' : undefined;
      if (method === undefined || !vouches(await this.#store.reader.getObject(via.kind, via.id), row.subjectRef, now))
        throw unauthenticated('what signed this session in was revoked; sign in again');
      return {
        id,
        subjectRef: row.subjectRef,
        method,
        opener: undefined,
        recordTypes: this.#signInRecordTypes,
        expiresAt: row.expiresAt,
        risk,
      };
    }
    const t = await this.#store.reader.getToken(row.openerTokenId);
    if (t === undefined) throw unauthenticated('the token that opened the session is gone; open a new session');
    const opener = livePrincipal(t, now, 'the token that opened the session');
    return {
      id,
      subjectRef: row.subjectRef,
      method: 'service',
      opener,
      recordTypes: opener.recordTypes.filter((x) => !NEVER_IN_SESSIONS.has(x)),
      expiresAt: row.expiresAt,
      risk,
    };
  }

  async #verify(token: string): Promise<{ id: string; sub: string; risk: number }> {
    if (typeof token !== 'string' || token.length > 4096)
      throw unauthenticated('the session token is malformed; open a new session');
    try {
      const { payload } = await jwtVerify(token, await this.#verifyKey(), {
        algorithms: ['EdDSA'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.#clock.now()),
      });
      const { sub, jti, rsk } = payload;
      if (typeof sub !== 'string' || !REF_RE.test(sub) || typeof jti !== 'string' || !ID_RE.test(jti))
        throw new Error('claims');
      if (rsk !== undefined && (!Number.isInteger(rsk) || (rsk as number) < 0 || (rsk as number) > 100))
        throw new Error('claims');
      return { id: jti, sub, risk: (rsk as number | undefined) ?? 0 };
    } catch {
      throw unauthenticated('the session token is not valid or has expired; open a new session');
    }
  }

  /** A session's public facts (revoked and expired ones too). */
  async get(id: string): Promise<SessionInfo | undefined> {
    const r = await this.#store.reader.getSession(checkSessionId(id));
    return r === undefined ? undefined : info(r);
  }

  /** The row of a session, for authorization before revoking it. */
  row(id: string): Promise<SessionRow | undefined> {
    return this.#store.reader.getSession(checkSessionId(id));
  }

  /** Active sessions (not revoked, not expired): all, one player's, or those one token opened. */
  async list(
    filter: { subjectRef?: string; openerTokenId?: string },
    page: { limit: number; after?: string },
  ): Promise<SessionInfo[]> {
    if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 10_000)
      throw new InputError('VERITY_E_INPUT_INVALID', 'list 1 to 10000 sessions at a time');
    const after = page.after === undefined ? {} : { after: checkSessionId(page.after) };
    const rows = await this.#store.reader.listActiveSessions(this.#clock.now(), filter, {
      limit: page.limit,
      ...after,
    });
    return rows.map(info);
  }

  /**
   * Revokes one session: effective on the next request made with it. Audited when it was live;
   * false when there is no such session.
   */
  async revoke(id: string, access: SessionAccess): Promise<boolean> {
    checkSessionId(id);
    const now = this.#clock.now();
    const { result } = await this.#log.submit(async (tx, batch) => {
      const r = await tx.getSession(id);
      if (r === undefined) return false;
      if (r.revokedAt === null) {
        await tx.revokeSession(id, now);
        batch.add(this.#entry(access, 'session.revoke', id, { by: 'id' }));
      }
      return true;
    });
    return result;
  }

  /**
   * Revokes the active sessions of a player (`subjectRef`) or of an opener's token (`openerTokenId`)
   * that `permit` allows (all by default), in one transaction with one audit entry per session.
   * Returns the ids revoked and how many `permit` refused.
   */
  async revokeAll(
    filter: { subjectRef: string } | { openerTokenId: string },
    access: SessionAccess,
    permit: (s: SessionRow) => boolean = () => true,
  ): Promise<{ revoked: string[]; refused: number }> {
    const now = this.#clock.now();
    const by = 'subjectRef' in filter ? 'subject' : 'opener';
    const { result } = await this.#log.submit(async (tx, batch) => {
      const revoked: string[] = [];
      let refused = 0;
      for (let after = ''; ; ) {
        const rows = await tx.listActiveSessions(now, filter, { limit: PAGE, after });
        for (const r of rows) {
          if (!permit(r)) refused++;
          else revoked.push(r.id);
        }
        if (rows.length < PAGE) break;
        after = (rows[rows.length - 1] as SessionRow).id;
      }
      await revokeIds(tx, filter, revoked, refused, now);
      for (const id of revoked) batch.add(this.#entry(access, 'session.revoke', id, { by }));
      return { revoked, refused };
    });
    return result;
  }
}

/** Revokes the listed sessions: in one statement when none was refused, else one by one. */
async function revokeIds(
  tx: StoreWriter,
  filter: { subjectRef: string } | { openerTokenId: string },
  ids: readonly string[],
  refused: number,
  now: number,
): Promise<void> {
  if (ids.length === 0) return;
  if (refused > 0) {
    for (const id of ids) await tx.revokeSession(id, now);
    return;
  }
  // Every active session was listed and permitted: the bulk statement revokes exactly those
  // (the write lock is held, so no session was opened in between).
  if ('subjectRef' in filter) await tx.revokeSubjectSessions(filter.subjectRef, now);
  else await tx.revokeOpenerSessions(filter.openerTokenId, now);
}
