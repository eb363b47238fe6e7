import { ConfigError } from '../errors/index.ts';
import type { AuthenticatorPolicy } from './policy.ts';

/** What a passkey ceremony is for: opening a session, or proving presence again in one. */
export type PasskeyOperation = 'signin' | 'step-up';
export const PASSKEY_OPERATIONS: readonly PasskeyOperation[] = ['signin', 'step-up'];

/** The relying party and its limits, resolved once at start-up (libraries never read the environment). */
export interface PasskeyConfig {
  /** The WebAuthn relying party id: the site's registrable domain, e.g. `play.example.com`. */
  readonly rpId: string;
  /** Shown by the authenticator when a passkey is made. */
  readonly rpName: string;
  /** Exact web origins whose pages run the ceremonies, e.g. `https://play.example.com`. */
  readonly origins: readonly string[];
  /** `required` (the default) demands user verification (PIN, biometrics) in every ceremony. */
  readonly userVerification?: 'required' | 'preferred';
  /** How long a challenge may be answered (ms; default 5 minutes). */
  readonly challengeTtlMs?: number;
  /** How long a session opened by a passkey lasts (s; default 900, at most 3600). */
  readonly sessionTtlSeconds?: number;
  /** Passkeys one player may hold (default 16). */
  readonly maxPasskeys?: number;
  /** The authenticator policy from a verified FIDO MDS3 blob; absent: any passkey for everything. */
  readonly policy?: AuthenticatorPolicy;
  /**
   * What a passkey enrolled in a session a service opened is worth (D432). `limited` (default): a
   * sign-in with it is a session of that service's token, with its reach and limits, and no
   * recovery codes come with it, since the service holding the session could have enrolled it
   * itself. `full`: the platform is trusted to enroll passkeys, and each counts as the player's own
   * (their whole reach, a verified person in votes, recovery codes).
   */
  readonly vouchedEnrollment?: 'limited' | 'full';
}

/** The configuration with its defaults filled in. */
export interface ResolvedPasskeyConfig extends Required<Omit<PasskeyConfig, 'policy'>> {
  readonly policy: AuthenticatorPolicy | undefined;
}

const RP_ID_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Checks a passkey configuration (at start-up): throws VERITY_E_CONFIG_INVALID saying what to fix. */
export function resolvePasskeyConfig(c: PasskeyConfig): ResolvedPasskeyConfig {
  const bad = (m: string) => new ConfigError('VERITY_E_CONFIG_INVALID', m);
  if (typeof c.rpId !== 'string' || !RP_ID_RE.test(c.rpId))
    throw bad('the passkey relying party id must be a lowercase domain name, e.g. `play.example.com`');
  if (typeof c.rpName !== 'string' || c.rpName.length < 1 || c.rpName.length > 64)
    throw bad('the passkey relying party name must be 1 to 64 characters');
  if (!Array.isArray(c.origins) || c.origins.length < 1 || c.origins.length > 16)
    throw bad('give 1 to 16 passkey origins, e.g. `https://play.example.com`');
  for (const o of c.origins) {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    // WebAuthn runs in secure contexts only: https, or http on localhost (development).
    const secure = u?.protocol === 'https:' || (u?.protocol === 'http:' && u.hostname === 'localhost');
    if (u === undefined || !secure || u.origin !== o)
      throw bad(`passkey origin ${JSON.stringify(String(o).slice(0, 100))} must be exactly https://host[:port]`);
    // WebAuthn 5.1.3 step 7: the RP id must be the origin's host or a registrable suffix of it.
    if (u.hostname !== c.rpId && !u.hostname.endsWith(`.${c.rpId}`))
      throw bad(`passkey origin ${o} is not within the relying party id ${c.rpId}`);
  }
  const uv = c.userVerification ?? 'required';
  if (uv !== 'required' && uv !== 'preferred') throw bad('passkey user verification is `required` or `preferred`');
  const ttl = c.challengeTtlMs ?? 300_000;
  if (!Number.isInteger(ttl) || ttl < 10_000 || ttl > 600_000) throw bad('a challenge lasts 10 s to 10 min');
  const sttl = c.sessionTtlSeconds ?? 900;
  if (!Number.isInteger(sttl) || sttl < 60 || sttl > 3600) throw bad('a passkey session lasts 60 to 3600 seconds');
  const max = c.maxPasskeys ?? 16;
  if (!Number.isInteger(max) || max < 1 || max > 64) throw bad('a player holds 1 to 64 passkeys');
  const enrollment = c.vouchedEnrollment ?? 'limited';
  if (enrollment !== 'limited' && enrollment !== 'full')
    throw bad('a passkey enrolled in a session a service opened is `limited` or `full`');
  return {
    rpId: c.rpId,
    rpName: c.rpName,
    origins: [...c.origins],
    userVerification: uv,
    challengeTtlMs: ttl,
    sessionTtlSeconds: sttl,
    maxPasskeys: max,
    vouchedEnrollment: enrollment,
    policy: c.policy,
  };
}
