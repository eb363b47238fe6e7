// What a trusted OpenID Connect issuer is, as Verity keeps it: its configuration (checked here once,
// at the boundary) and the JWK Sets it signs with (public keys only, bounded).
import { parseJson } from '../encoding/index.ts';
import { InputError, quote } from '../errors/index.ts';
import { identifierProblem, RESERVED_SUBJECT_PREFIX } from '../identifiers/index.ts';

/** The state-object kind of a trusted issuer (id: its short name, owner ''). */
export const ISSUER_KIND = 'oidc.issuer';
/** The state-object kind of the keys last fetched from an issuer's `jwksUri` (id: the issuer's name). */
export const JWKS_KIND = 'oidc.jwks';

/**
 * Signature algorithms an issuer may be configured for. Never `none`, never a MAC (HS256, ...): an
 * ID token is verified with the issuer's public keys only (OpenID Connect Core 3.1.3.7 steps 6-8).
 */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type SigningAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const NAMESPACE_RE = /^[a-z0-9][a-z0-9-]{0,15}$/;
const CLAIM_RE = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
/** Keys per JWK Set, static or fetched. */
export const MAX_KEYS = 32;
/** Largest JWK Set accepted (bytes of JSON). */
export const MAX_JWKS_BYTES = 64 * 1024;
const MAX_AUDIENCES = 16;
const MIN_RSA_BITS = 2048;
/** Members only a private or secret JWK has (RFC 7518 6.2.2, 6.3.2, 6.4.1; RFC 8037 2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A public JWK as an issuer publishes it (members beyond these are kept as given). */
export type PublicJwk = { readonly kty: 'RSA' | 'EC' | 'OKP'; readonly kid?: string } & Readonly<
  Record<string, unknown>
>;

/** A JWK Set (RFC 7517 5) of public signing keys. */
export interface JwkSet {
  readonly keys: readonly PublicJwk[];
}

/** What an operator gives to trust an issuer. */
export interface IssuerInput {
  /** Short name: 1 to 32 lowercase letters, digits and `-` (the issuer's id in Verity). */
  readonly name: string;
  /** The issuer identifier: compared byte for byte with each ID token's `iss`. */
  readonly issuer: string;
  /** Verity's client id at the issuer: every ID token's `aud` must contain it. */
  readonly clientId: string;
  /** Algorithms accepted from this issuer (default RS256, OpenID Connect's default). */
  readonly algorithms?: readonly string[];
  /** The issuer's keys, given here (rotate them with `rotate`)... */
  readonly jwks?: unknown;
  /** ...or the URL Verity fetches them from (https; http only on a loopback address). */
  readonly jwksUri?: string;
  /** Other audiences an ID token may name besides `clientId` (none by default). */
  readonly trustedAudiences?: readonly string[];
  /** The claim that names the player (default `sub`: stable and unique per issuer). */
  readonly subjectClaim?: string;
  /** Prefix of the player ids this issuer's players get, `<namespace>:<claim>` (default: the name). */
  readonly namespace?: string;
  /** Clock skew allowed on `exp`, `iat` and `nbf` (seconds, 0 to 300, default 60). */
  readonly clockSkewSeconds?: number;
  /** Oldest `iat` accepted (seconds, 10 to 3600, default 600). */
  readonly maxTokenAgeSeconds?: number;
  /** How long fetched keys are used before they are fetched again (seconds, 60 to 86400, default 3600). */
  readonly jwksMaxAgeSeconds?: number;
  /** Least time between two fetches on an unknown `kid` (seconds, 1 to 3600, default 60). */
  readonly jwksMinRefetchSeconds?: number;
}

/** A trusted issuer's configuration as stored (the body of its `oidc.issuer` object). */
export interface IssuerConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly algorithms: readonly SigningAlgorithm[];
  readonly jwks: JwkSet | null;
  readonly jwksUri: string | null;
  readonly trustedAudiences: readonly string[];
  readonly subjectClaim: string;
  readonly namespace: string;
  readonly clockSkewSeconds: number;
  readonly maxTokenAgeSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  readonly jwksMinRefetchSeconds: number;
  readonly createdAt: number;
  /** Milliseconds since the epoch when it was removed (every session it opened ends), or null. */
  readonly revokedAt: number | null;
}

function invalid(message: string): InputError {
  return new InputError('VERITY_E_INPUT_INVALID', message);
}

/** Checks an issuer's short name. */
export function checkIssuerName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw invalid(`issuer name ${quote(name)} must be 1 to 32 lowercase letters, digits and \`-\``);
  return name;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/**
 * Checks a URL an issuer is named by or publishes keys at: https (http only on a loopback address,
 * for a provider on the same machine), no credentials, no fragment; an issuer identifier has no
 * query either (OpenID Connect Discovery 1.0 2). The text is kept as given: `iss` is compared with
 * it exactly.
 */
function checkUrl(value: unknown, what: string, query: boolean): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512)
    throw invalid(`${what} must be a URL of at most 512 characters`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalid(`${what} ${quote(value)} is not a URL`);
  }
  const secure = u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
  if (!secure) throw invalid(`${what} ${quote(value)} must use https (http only on localhost)`);
  if (u.username !== '' || u.password !== '' || value.includes('#') || (!query && u.search !== ''))
    throw invalid(`${what} ${quote(value)} must have no credentials, fragment${query ? '' : ' or query'}`);
  return value;
}

function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || identifierProblem(value) !== undefined)
    throw invalid(`${what} ${quote(value)} must be 1 to ${max} printable characters`);
  return value;
}

function checkInt(value: unknown, what: string, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`${what} must be an integer from ${min} to ${max}`);
  return value;
}

/** Checks an algorithm allowlist: known asymmetric algorithms only, at least one, no repeats. */
export function checkAlgorithms(value: unknown): SigningAlgorithm[] {
  if (value === undefined) return ['RS256'];
  if (!Array.isArray(value) || value.length === 0 || value.length > SUPPORTED_ALGORITHMS.length)
    throw invalid('algorithms must be a list of 1 or more signature algorithms');
  const out: SigningAlgorithm[] = [];
  for (const a of value) {
    if (!(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(a))
      throw invalid(
        `algorithm ${quote(a)} is not accepted for ID tokens; use ${SUPPORTED_ALGORITHMS.join(', ')} (never none or a MAC)`,
      );
    if (!out.includes(a as SigningAlgorithm)) out.push(a as SigningAlgorithm);
  }
  return out;
}

/** Bits of an RSA modulus given as base64url (leading zero octets aside). */
function rsaBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return i === bytes.length ? 0 : (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number));
}

/**
 * Checks a JWK Set (attacker-controlled when fetched): at most {@link MAX_KEYS} keys; no private or
 * secret member anywhere (a set that leaks a private key is refused whole); RSA moduli of at least
 * 2048 bits. `strict` (a set an operator gave): every key must be a usable signing key. Otherwise (a
 * fetched set) keys Verity cannot use for signatures (`use: enc`, other key types) are left out.
 */
export function checkJwks(value: unknown, strict: boolean): JwkSet {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys))
    throw invalid('a JWK Set is a JSON object with a `keys` array (RFC 7517 5)');
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length > MAX_KEYS) throw invalid(`a JWK Set may hold at most ${MAX_KEYS} keys`);
  const out: PublicJwk[] = [];
  for (const k of keys) {
    if (typeof k !== 'object' || k === null || Array.isArray(k))
      throw invalid('every member of `keys` is a JWK object');
    const jwk = k as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m)))
      throw invalid('a JWK Set must hold public keys only (a member `d`, `k`, ... was found): publish public keys');
    const usable =
      (jwk['kty'] === 'RSA' || jwk['kty'] === 'EC' || jwk['kty'] === 'OKP') &&
      (jwk['use'] === undefined || jwk['use'] === 'sig') &&
      (jwk['kid'] === undefined || (typeof jwk['kid'] === 'string' && jwk['kid'].length <= 256));
    if (!usable) {
      if (strict) throw invalid('every key must be an RSA, EC or OKP signing key (`use` absent or `sig`)');
      continue;
    }
    if (jwk['kty'] === 'RSA' && (typeof jwk['n'] !== 'string' || rsaBits(jwk['n']) < MIN_RSA_BITS)) {
      if (strict) throw invalid(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
      continue;
    }
    out.push(jwk as PublicJwk);
  }
  if (out.length === 0) throw invalid('the JWK Set holds no usable signing key');
  return { keys: out };
}

/** Parses JWK Set JSON text (attacker-controlled when fetched) within the size limit. */
export function parseJwks(text: string | Uint8Array, strict: boolean): JwkSet {
  return checkJwks(parseJson(text, { maxBytes: MAX_JWKS_BYTES, maxDepth: 6 }, 'JWK Set'), strict);
}

function checkList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_AUDIENCES) throw invalid(`${what}: at most ${MAX_AUDIENCES}`);
  return value.map((v) => checkText(v, what, 256));
}

/** Checks what an operator gave and returns the configuration to store (defaults filled in). */
export function issuerConfig(input: IssuerInput, now: number): { name: string; config: IssuerConfig } {
  if (typeof input !== 'object' || input === null) throw invalid('an issuer is a JSON object');
  const name = checkIssuerName(input.name);
  const hasJwks = input.jwks !== undefined && input.jwks !== null;
  const hasUri = input.jwksUri !== undefined && input.jwksUri !== null;
  if (hasJwks === hasUri) throw invalid('give the issuer’s keys as `jwks` or a `jwksUri`, exactly one');
  const namespace = input.namespace ?? name;
  if (typeof namespace !== 'string' || !NAMESPACE_RE.test(namespace))
    throw invalid(`namespace ${quote(namespace)} must be 1 to 16 lowercase letters, digits and \`-\``);
  // Player ids `<namespace>:<subject>` beginning with `verity-` would be Verity's own subjects (a
  // private dataset's are `verity-dataset:NAME`): no issuer's players get one (D415).
  if (namespace.startsWith(RESERVED_SUBJECT_PREFIX))
    throw invalid(
      `namespace ${quote(namespace)} begins with \`${RESERVED_SUBJECT_PREFIX}\`, which is Verity's own: choose another`,
    );
  const subjectClaim = input.subjectClaim ?? 'sub';
  if (typeof subjectClaim !== 'string' || !CLAIM_RE.test(subjectClaim))
    throw invalid(`subject claim ${quote(subjectClaim)} must be a claim name`);
  return {
    name,
    config: {
      issuer: checkUrl(input.issuer, 'issuer', false),
      clientId: checkText(input.clientId, 'client id', 256),
      algorithms: checkAlgorithms(input.algorithms),
      jwks: hasJwks ? checkJwks(input.jwks, true) : null,
      jwksUri: hasUri ? checkUrl(input.jwksUri, 'jwksUri', true) : null,
      trustedAudiences: checkList(input.trustedAudiences, 'trusted audiences'),
      subjectClaim,
      namespace,
      clockSkewSeconds: checkInt(input.clockSkewSeconds, 'clockSkewSeconds', 0, 300, 60),
      maxTokenAgeSeconds: checkInt(input.maxTokenAgeSeconds, 'maxTokenAgeSeconds', 10, 3600, 600),
      jwksMaxAgeSeconds: checkInt(input.jwksMaxAgeSeconds, 'jwksMaxAgeSeconds', 60, 86_400, 3600),
      jwksMinRefetchSeconds: checkInt(input.jwksMinRefetchSeconds, 'jwksMinRefetchSeconds', 1, 3600, 60),
      createdAt: now,
      revokedAt: null,
    },
  };
}
