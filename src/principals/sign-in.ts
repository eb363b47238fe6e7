// A player's own sign-in: what vouches for the session it opens (read again on every request), and
// the risk score of sign-ins and sensitive operations.
import type { Clock } from '../clock/index.ts';
import { toBase64Url, utf8 } from '../encoding/index.ts';
import { sha256 } from '../platform/index.ts';
import type { ObjectRow, StoreWriter } from '../store/index.ts';

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
export const VIA_PREFIX = 'object:';

/** Reads `object:<kind>/<id>` back; undefined for a token id. */
export function viaOf(opener: string): { kind: string; id: string } | undefined {
  if (!opener.startsWith(VIA_PREFIX)) return undefined;
  const rest = opener.slice(VIA_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 1 ? undefined : { kind: rest.slice(0, slash), id: rest.slice(slash + 1) };
}

/** A vouching object's body, parsed (undefined when it does not parse as an object). */
function bodyOf(o: ObjectRow): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(o.body);
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `vouchedBy.tokenId` of a vouching object's body (D432), when it names one. */
function tokenOf(body: Record<string, unknown>): string | undefined {
  const t = (body['vouchedBy'] as { tokenId?: unknown } | undefined)?.tokenId;
  return typeof t === 'string' && t.length > 0 && t.length <= 128 ? t : undefined;
}

/**
 * The token a vouching object was enrolled under, when a service vouched for the player there
 * (`vouchedBy.tokenId` in its body, D432): a sign-in with it is a session of that token.
 */
export function vouchedTokenOf(o: ObjectRow | undefined): string | undefined {
  const body = o === undefined ? undefined : bodyOf(o);
  return body === undefined ? undefined : tokenOf(body);
}

/**
 * Whether a vouching object still vouches for `subjectRef` at `now` (undefined when it does not),
 * and the token it was enrolled under, if any: the body read once.
 */
export function vouching(
  o: ObjectRow | undefined,
  subjectRef: string,
  now: number,
): { readonly enrolledUnder: string | undefined } | undefined {
  if (o === undefined || (o.owner !== '' && o.owner !== subjectRef)) return undefined;
  const body = bodyOf(o);
  if (body === undefined) return undefined;
  const revokedAt = body['revokedAt'];
  const live = revokedAt === undefined || revokedAt === null || (typeof revokedAt === 'number' && revokedAt > now);
  return live ? { enrolledUnder: tokenOf(body) } : undefined;
}

/** Whether a vouching object still vouches for `subjectRef` at `now`. */
export function vouches(o: ObjectRow | undefined, subjectRef: string, now: number): boolean {
  return vouching(o, subjectRef, now) !== undefined;
}

/** Scores sign-ins and sensitive operations with a `SignInScorer`, if one is given. */
export class SignInRisk {
  readonly #scorer: SignInScorer | undefined;
  readonly #clock: Clock;

  constructor(scorer: SignInScorer | undefined, clock: Clock) {
    this.#scorer = scorer;
    this.#clock = clock;
  }

  /** Whether a scorer scores (else every score is 0). */
  get scoring(): boolean {
    return this.#scorer !== undefined;
  }

  /**
   * The risk of a sign-in (0 to 100), or 0 without a scorer. The event names the player by subject
   * ref and the device by a digest of its User-Agent; the scorer keeps its features in memory.
   */
  signIn(subjectRef: string, signIn: SignIn, success: boolean): number {
    const via = `${signIn.method}:${toBase64Url(sha256(utf8(`${signIn.via.kind}/${signIn.via.id}`))).slice(0, 16)}`;
    return this.event(subjectRef, 'signin', success, signIn.context ?? {}, via);
  }

  /**
   * One event to the scorer (0 to 100; 0 without a scorer, 100 for a score that is not a number):
   * the player by subject ref, the address bounded, the device by a digest of its User-Agent.
   */
  event(subjectRef: string, action: string, success: boolean, c: SignInContext, authenticator?: string): number {
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
}
