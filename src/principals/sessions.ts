import { type AuditEvent, encodeSuccessEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { randomBytesSecure, toBase64Url } from '../encoding/index.ts';
import { InputError, VerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { SessionRow, Store, StoreWriter } from '../store/index.ts';
import { checkSessionId, REF_RE, SessionTokens, unauthenticated } from './session-token.ts';
import {
  type SignIn,
  type SignInContext,
  SignInRisk,
  type SignInScorer,
  VIA_PREFIX,
  viaOf,
  vouchedTokenOf,
  vouches,
  vouching,
} from './sign-in.ts';
import { livePrincipal, type Principal } from './tokens.ts';

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

/** The object a passkey step-up writes for its session (kind, id = the session id; `stepUpAt` ms). */
export const STEP_UP_KIND = 'session.step-up';
/** How long a step-up counts for the decisions that demand one (ms). */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

/** `service`: a platform service vouched for the player; `passkey`, `oidc`: the player signed in. */
export type SessionMethod = 'service' | 'passkey' | 'oidc';

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
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #signInRecordTypes: readonly string[];
  readonly #tokens: SessionTokens;
  readonly #risk: SignInRisk;

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
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
    this.#tokens = new SessionTokens(o.keys, this.#clock);
    this.#risk = new SignInRisk(o.scorer, this.#clock);
    this.#signInRecordTypes = (o.signInRecordTypes ?? []).filter((t) => !NEVER_IN_SESSIONS.has(t));
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
    const risk = this.#risk.signIn(subjectRef, signIn, true);
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
          ...(this.#risk.scoring ? { risk } : {}),
        }),
      );
    });
  }

  /**
   * The risk of a sensitive operation in a signed-in session (0 to 100), or 0 without a scorer: the
   * same model and per-player features as the sign-ins, fed the operation (`action`, a name the
   * model reads, e.g. `data_delete`) with the address and a digest of the User-Agent it came from,
   * so a session that moves to a new device or address, or speeds up, is scored at the operation.
   */
  scoreOperation(subjectRef: string, action: string, context: SignInContext): number {
    return this.#risk.event(subjectRef, action, true, context);
  }

  /**
   * Feeds a failed sign-in to the scorer (failed attempts and velocity per player and address count
   * towards the next sign-ins' scores). `subjectRef` when the failure names a player.
   */
  signInFailed(subjectRef: string | undefined, signIn: Omit<SignIn, 'within'>): void {
    if (!this.#risk.scoring) return;
    try {
      this.#risk.signIn(subjectRef ?? 'unknown', signIn as SignIn, false);
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
    await this.#tokens.key();
    const now = Math.floor(this.#clock.now() / 1000);
    const id = toBase64Url(randomBytesSecure(12));
    const token = await this.#tokens.sign({ sub: subjectRef, iat: now, exp: now + ttlSeconds, jti: id, azp, risk });
    const expiresAt = (now + ttlSeconds) * 1000;
    const { result: logIndex } = await this.#log.submit((tx, batch) =>
      write(tx, batch, { id, subjectRef, createdAt: now * 1000, expiresAt, revokedAt: null }),
    );
    return { id, token, expiresAt, logIndex };
  }

  /**
   * Checks a session token (attacker-controlled): its signature, then its row (known, not revoked,
   * not expired) and its opener's token (not revoked, not expired). Throws VERITY_E_UNAUTHENTICATED
   * when any of them is not live.
   */
  async authenticate(token: string): Promise<PlayerSession> {
    const { id, sub, risk } = await this.#tokens.verify(token);
    const now = this.#clock.now();
    const row = await this.#store.reader.getSession(id);
    if (row === undefined || row.subjectRef !== sub)
      throw unauthenticated('the session is not known here; open a new session');
    if (row.revokedAt !== null) throw unauthenticated('the session was revoked; open a new session');
    if (now >= row.expiresAt) throw unauthenticated('the session has expired; open a new session');
    const via = viaOf(row.openerTokenId);
    if (via !== undefined) {
      const method = row.opener === 'signin:passkey' ? 'passkey' : row.opener === 'signin:oidc' ? 'oidc' : undefined;
      const v = vouching(await this.#store.reader.getObject(via.kind, via.id), row.subjectRef, now);
      if (method === undefined || v === undefined)
        throw unauthenticated('what signed this session in was revoked; sign in again');
      // Enrolled in a session a service opened: a session of that service's token, with its reach
      // and its limits, ending with the token (D432). The service could have enrolled it itself.
      const enrolledUnder = v.enrolledUnder;
      if (enrolledUnder !== undefined)
        return this.#vouched(
          id,
          row,
          enrolledUnder,
          now,
          risk,
          'the token of the service whose session enrolled this passkey',
        );
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
    return this.#vouched(id, row, row.openerTokenId, now, risk, 'the token that opened the session');
  }

  /** A session a service vouched for: its opener's token must be live, and gives the reach. */
  async #vouched(
    id: string,
    row: SessionRow,
    tokenId: string,
    now: number,
    risk: number,
    what: string,
  ): Promise<PlayerSession> {
    const t = await this.#store.reader.getToken(tokenId);
    if (t === undefined) throw unauthenticated(`${what} is gone; open a new session`);
    const opener = livePrincipal(t, now, what);
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

  /**
   * The token of the service that vouched for the player in session `id`, directly (a session it
   * opened) or through a passkey enrolled in such a session (D432); undefined for a player who
   * proved themselves (a passkey enrolled otherwise, an OpenID Connect sign-in).
   */
  async vouchingToken(id: string): Promise<string | undefined> {
    const row = await this.#store.reader.getSession(checkSessionId(id));
    if (row === undefined) return undefined;
    const via = viaOf(row.openerTokenId);
    if (via === undefined) return row.openerTokenId;
    return vouchedTokenOf(await this.#store.reader.getObject(via.kind, via.id));
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
