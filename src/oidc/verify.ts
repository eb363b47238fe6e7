// ID token validation, OpenID Connect Core 1.0 3.1.3.7 (with errata set 2), on a token that is
// attacker-controlled from its first byte. jose checks the signature; the structure (sizes,
// canonical base64url, duplicate members, the header) is checked before, and every claim after,
// here, so that each refusal names the one rule that failed.
import { compactVerify, errors as joseErrors } from 'jose';
import { fromBase64Url, parseJson } from '../encoding/index.ts';
import { VerityError } from '../errors/index.ts';
import { identifierProblem } from '../identifiers/index.ts';
import type { IssuerConfig } from './config.ts';

/** Longest ID token accepted (characters of its compact serialization). */
export const MAX_ID_TOKEN_LENGTH = 16 * 1024;
const MAX_HEADER_BYTES = 2048;
const MAX_PAYLOAD_BYTES = 12 * 1024;
/** Longest claim value Verity keeps: `sub` is at most 255 ASCII characters (Core 2). */
const MAX_SUBJECT = 255;
const MAX_NONCE = 256;
const MAX_AUD = 16;

/** Why a token was refused: a short fixed word for the log, never anything from the token. */
export type RefusalReason =
  | 'size'
  | 'format'
  | 'header'
  | 'alg'
  | 'typ'
  | 'crit'
  | 'key'
  | 'signature'
  | 'claims'
  | 'iss'
  | 'aud'
  | 'azp'
  | 'exp'
  | 'iat'
  | 'nbf'
  | 'sub'
  | 'nonce';

/** A refused ID token: `VERITY_E_OIDC_TOKEN_INVALID` with the rule that failed. */
export class IdTokenError extends VerityError {
  readonly reason: RefusalReason;
  constructor(
    reason: RefusalReason,
    message: string,
    code: 'VERITY_E_OIDC_TOKEN_INVALID' = 'VERITY_E_OIDC_TOKEN_INVALID',
  ) {
    super(code, message, { details: { reason } });
    this.reason = reason;
  }
}

function refuse(reason: RefusalReason, message: string): never {
  throw new IdTokenError(reason, `the ID token was refused: ${message}; get a new one from the identity provider`);
}

/** The protected header fields Verity reads. */
export interface IdTokenHeader {
  readonly alg: string;
  readonly kid?: string;
}

/** Resolves the verification key for a header (see `Issuers.keyResolver`). */
export type KeyResolver = Parameters<typeof compactVerify>[1];

/** What a verified ID token says that sign-in uses. */
export interface VerifiedIdToken {
  /** The value of the issuer's subject claim (`sub` by default). */
  readonly subject: string;
  readonly nonce: string;
  readonly alg: string;
  readonly kid: string | undefined;
  /** `exp`, in milliseconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Decodes a base64url segment. Only the one canonical unpadded spelling is accepted: a changed last
 * character can otherwise leave the bytes unchanged (unused low bits).
 */
function segment(s: string): Uint8Array {
  try {
    return fromBase64Url(s);
  } catch {
    refuse('format', 'a segment is not canonical unpadded base64url');
  }
}

function object(bytes: Uint8Array, max: number, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    // parseJson refuses a member given twice (RFC 7515 5.2, RFC 7519 4) and `__proto__`.
    v = parseJson(bytes, { maxBytes: max, maxDepth: 8 }, what);
  } catch (e) {
    refuse(what === 'header' ? 'header' : 'claims', `its ${what} is not one JSON object (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    refuse(what === 'header' ? 'header' : 'claims', `its ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** A NumericDate (RFC 7519 2): a finite non-negative number of seconds. */
function numericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * Decodes and checks the structure and the protected header of an ID token, without verifying
 * anything cryptographic: size, three canonical base64url segments (a JWE's five are refused: Verity
 * does not take encrypted ID tokens), one JSON object without duplicate members, `alg` from the
 * issuer's allowlist (never `none`, never a MAC), no `crit`, `typ` absent or JWT.
 */
export function decodeIdTokenUnverified(
  token: unknown,
  algorithms: readonly string[],
): { header: IdTokenHeader; claims: Record<string, unknown> } {
  if (typeof token !== 'string') refuse('format', 'it is not a string');
  if (token.length > MAX_ID_TOKEN_LENGTH) refuse('size', `it is longer than ${MAX_ID_TOKEN_LENGTH} characters`);
  const parts = token.split('.');
  if (parts.length === 5) refuse('format', 'it is encrypted (JWE); Verity takes signed ID tokens');
  if (parts.length !== 3) refuse('format', 'it is not a compact JWS (three dot-separated parts)');
  const [h, p, s] = parts as [string, string, string];
  const header = object(segment(h), MAX_HEADER_BYTES, 'header');
  const claims = object(segment(p), MAX_PAYLOAD_BYTES, 'payload');
  segment(s);
  const alg = header['alg'];
  if (typeof alg !== 'string') refuse('alg', 'its header names no `alg`');
  if (alg === 'none' || alg.toLowerCase() === 'none') refuse('alg', 'it is unsigned (`alg` none)');
  if (/^HS/i.test(alg)) refuse('alg', `\`${alg.slice(0, 8)}\` is a MAC; ID tokens are verified with public keys`);
  if (!algorithms.includes(alg))
    refuse('alg', `\`${alg.slice(0, 16)}\` is not among the issuer's algorithms (${algorithms.join(', ')})`);
  if (Object.hasOwn(header, 'crit')) refuse('crit', 'its header has `crit` extensions Verity does not process');
  if (Object.hasOwn(header, 'b64')) refuse('crit', 'its header sets `b64`');
  const typ = header['typ'];
  // RFC 7519 5.1: `JWT` (case-insensitively, `application/` optional). Other types (at+jwt,
  // logout+jwt, ...) are other kinds of token and are refused.
  if (typ !== undefined && (typeof typ !== 'string' || !/^(application\/)?jwt$/i.test(typ)))
    refuse('typ', 'its `typ` is not JWT');
  const kid = header['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256))
    refuse('header', 'its `kid` is not a string of 1 to 256 characters');
  return { header: { alg, ...(kid === undefined ? {} : { kid: kid as string }) }, claims };
}

/** Options of one validation: the time, in milliseconds since the epoch. */
export interface ValidateOptions {
  readonly now: number;
}

/**
 * Validates an ID token as OpenID Connect Core 1.0 3.1.3.7 says, against one trusted issuer's
 * configuration and keys (`keys` resolves the header's `alg` and `kid` to a public key):
 * 2. `iss` exactly the issuer identifier; 3. `aud` contains the client id, and any other audience is
 * one the issuer's configuration trusts; 4-5. several audiences need `azp`, and an `azp` must be the
 * client id (the original text and errata 1; errata 2 leaves `azp` to extensions, and Verity keeps
 * the stricter rule); 6-8. the signature, with an algorithm from the issuer's allowlist; 9. `exp`
 * after now (less the skew); 10. `iat` not in the future (beyond the skew) nor older than
 * `maxTokenAgeSeconds`; `nbf` (RFC 7519 4.1.5), when present, not after now (beyond the skew); 11.
 * `nonce` present (the caller checks it is one Verity issued, unused); `sub` (or the configured
 * subject claim) a string of 1 to 255 characters. Throws {@link IdTokenError}.
 */
export async function validateIdToken(
  token: unknown,
  issuer: IssuerConfig,
  keys: KeyResolver,
  o: ValidateOptions,
): Promise<VerifiedIdToken> {
  const { header, claims: c } = decodeIdTokenUnverified(token, issuer.algorithms);
  try {
    // The algorithm allowlist is given to jose too: the key is never chosen by the token alone.
    await compactVerify(token as string, keys, { algorithms: [...issuer.algorithms] });
  } catch (e) {
    if (e instanceof VerityError) throw e;
    if (e instanceof joseErrors.JWKSNoMatchingKey)
      refuse('key', 'no key of the issuer matches its `kid` and `alg` (the issuer may have removed it)');
    if (e instanceof joseErrors.JWKSMultipleMatchingKeys)
      refuse('key', 'several keys of the issuer match; the token must name its key with `kid`');
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) refuse('signature', 'its signature does not verify');
    refuse('signature', 'its signature could not be checked with the issuer’s keys');
  }
  const skew = issuer.clockSkewSeconds;
  const now = o.now / 1000;
  if (c['iss'] !== issuer.issuer) refuse('iss', '`iss` is not the issuer configured here');
  const aud = c['aud'];
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined;
  if (auds === undefined || auds.length === 0 || auds.length > MAX_AUD || auds.some((a) => typeof a !== 'string'))
    refuse('aud', '`aud` is not a string or a list of 1 to 16 strings');
  if (!auds.includes(issuer.clientId)) refuse('aud', '`aud` does not contain Verity’s client id');
  if (auds.some((a) => a !== issuer.clientId && !issuer.trustedAudiences.includes(a as string)))
    refuse('aud', '`aud` names an audience this issuer’s configuration does not trust');
  const azp = c['azp'];
  if (new Set(auds).size > 1 && azp === undefined) refuse('azp', 'it has several audiences and no `azp`');
  if (azp !== undefined && azp !== issuer.clientId) refuse('azp', '`azp` is not Verity’s client id');
  const exp = c['exp'];
  if (!numericDate(exp)) refuse('exp', '`exp` is missing or not a NumericDate');
  if (now >= exp + skew) refuse('exp', 'it has expired');
  const iat = c['iat'];
  if (!numericDate(iat)) refuse('iat', '`iat` is missing or not a NumericDate');
  if (iat > now + skew) refuse('iat', '`iat` is in the future');
  if (now - iat > issuer.maxTokenAgeSeconds + skew) refuse('iat', 'it was issued too long ago');
  const nbf = c['nbf'];
  if (nbf !== undefined && (!numericDate(nbf) || nbf > now + skew)) refuse('nbf', 'it is not valid yet (`nbf`)');
  const nonce = c['nonce'];
  if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > MAX_NONCE)
    throw new VerityError(
      'VERITY_E_OIDC_NONCE_INVALID',
      'the ID token has no `nonce`; ask for one at POST /v1/signin/oidc/nonce and sign in again',
      { details: { reason: 'nonce' } },
    );
  if (typeof c['sub'] !== 'string' || c['sub'].length === 0 || c['sub'].length > MAX_SUBJECT)
    refuse('sub', '`sub` is missing or not 1 to 255 characters');
  const subject = c[issuer.subjectClaim];
  if (
    typeof subject !== 'string' ||
    subject.length === 0 ||
    subject.length > MAX_SUBJECT ||
    identifierProblem(subject) !== undefined
  )
    refuse('sub', `\`${issuer.subjectClaim}\` is missing or not 1 to 255 printable characters`);
  return { subject, nonce, alg: header.alg, kid: header.kid, expiresAt: exp * 1000 };
}
