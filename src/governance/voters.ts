import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../clock/index.ts';
import { toBase64Url, utf8 } from '../encoding/index.ts';
import { GovernanceError, InputError, isVerityError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { Store } from '../store/index.ts';
import type { Choice } from '../tally/index.ts';
import { CREDENTIAL_TYPES, type Credentials, type PresentationVerifier, statusReference } from '../vc/index.ts';
import type { Role } from './document.ts';
import { VOTER_KEY, type VoterProof, voteNonce } from './model.ts';

const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const MEMBERSHIP_VCT = CREDENTIAL_TYPES.membership.vct;
const CREATOR_TYPE = 'verified-creator';

/**
 * Who votes: a voter proof (a passkey session or a membership credential) resolved to one person
 * and their role, and the per-proposal pseudonym the log names them by.
 */
export class Voters {
  readonly #store: Store;
  readonly #keys: KeyStore;
  readonly #clock: Clock;
  readonly #verifier: PresentationVerifier | undefined;
  readonly #credentials: Credentials | undefined;
  readonly #audience: string | undefined;
  #macReady: Promise<void> | undefined;

  constructor(o: {
    store: Store;
    keys: KeyStore;
    clock: Clock;
    credentials: { verifier: PresentationVerifier; issued?: Credentials; audience?: string } | undefined;
  }) {
    this.#store = o.store;
    this.#keys = o.keys;
    this.#clock = o.clock;
    this.#verifier = o.credentials?.verifier;
    this.#credentials = o.credentials?.issued;
    this.#audience = o.credentials?.audience;
  }

  /**
   * The role a player speaks in: `creator` when they hold a valid, unexpired verified-creator
   * credential Verity issued (read from its state), else `player`.
   */
  async playerRole(subjectRef: string): Promise<Role> {
    if (!REF_RE.test(subjectRef)) return 'player';
    const rows = await this.#store.reader.listObjects('vc.credential', subjectRef, { limit: 100 });
    const now = this.#clock.now();
    for (const r of rows) {
      const c = JSON.parse(r.body) as { type?: string; status?: string; expiresAt?: number };
      if (c.type === CREATOR_TYPE && c.status === 'valid' && typeof c.expiresAt === 'number' && c.expiresAt > now)
        return 'creator';
    }
    return 'player';
  }

  /**
   * Resolves a voter proof to one person: the stable key votes are deduplicated by, and the role.
   * A passkey session and any membership credential Verity issued to the same player resolve to
   * the same person (the player's subject reference); a credential of another issuer to its `sub`
   * claim, or else its status list entry (D118 says what that cannot catch).
   */
  async person(
    proposal: string,
    choice: Choice,
    proof: VoterProof,
  ): Promise<{ key: string; role: Role; via: string; holder?: string }> {
    if (proof.kind === 'session') {
      if (proof.method !== 'passkey')
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          'a vote needs a verified person: sign in with a passkey (a session a service opened, or an OpenID Connect sign-in, does not count), or present a membership credential',
        );
      if (!REF_RE.test(proof.subjectRef)) throw new TypeError('a player is named by subject reference');
      return { key: `subject:${proof.subjectRef}`, role: await this.playerRole(proof.subjectRef), via: 'passkey' };
    }
    if (this.#verifier === undefined)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
        'this Verity takes no membership credentials for votes; sign in with a passkey',
      );
    if (typeof proof.presentation !== 'string' || proof.presentation.length > 64 * 1024)
      throw new InputError('VERITY_E_INPUT_INVALID', 'the presentation must be an SD-JWT of at most 64 KiB');
    let claims: Record<string, unknown>;
    let issuer: string;
    try {
      const v = await this.#verifier.verify(proof.presentation, {
        requireKeyBinding: true,
        nonce: voteNonce(proposal, choice),
        vcts: [MEMBERSHIP_VCT],
        ...(this.#audience === undefined ? {} : { audience: this.#audience }),
      });
      claims = v.claims;
      issuer = v.issuer;
    } catch (e) {
      if (isVerityError(e))
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          `the membership credential was refused (${e.code}): ${e.message}`,
          { cause: e },
        );
      throw e;
    }
    // The key the presentation was bound with: one vote per holder key too (D435), so that
    // credentials an issuer made for many ids, all bound to one key, are one voter.
    const holder = await holderThumbprint(claims['cnf']);
    const h = holder === undefined ? {} : { holder };
    const ref = statusReference(claims as never);
    if (ref !== undefined && this.#credentials !== undefined && issuer === this.#credentials.issuer) {
      const c = await this.#credentials.byStatus(ref.uri, ref.idx);
      if (c !== undefined) return { key: `subject:${c.subjectRef}`, role: 'player', via: 'credential', ...h };
    }
    const sub = claims['sub'];
    if (typeof sub === 'string' && sub.length > 0 && sub.length <= 256)
      return { key: `vc:${issuer}#sub:${sub}`, role: 'player', via: 'credential', ...h };
    if (ref !== undefined)
      return { key: `vc:${issuer}#status:${ref.uri}#${ref.idx}`, role: 'player', via: 'credential', ...h };
    throw new GovernanceError(
      'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
      'the membership credential names no person (no `sub`, no status entry): one vote per person cannot be kept with it',
    );
  }

  /** The voter's pseudonym for one proposal: unlinkable across proposals, stable within one. */
  async pseudonym(proposal: string, personKey: string): Promise<string> {
    // Once per instance: concurrent first votes would each write the key file otherwise.
    this.#macReady ??= this.#keys.ensureMacKey(VOTER_KEY).catch((e: unknown) => {
      this.#macReady = undefined;
      throw e;
    });
    await this.#macReady;
    return toBase64Url(await this.#keys.mac(VOTER_KEY, utf8(`verity/governance/voter/v1\n${proposal}\n${personKey}`)));
  }
}

/** The RFC 7638 thumbprint of a credential's confirmation key (`cnf.jwk`), if it has one. */
async function holderThumbprint(cnf: unknown): Promise<string | undefined> {
  const jwk = (cnf as { jwk?: unknown } | undefined)?.jwk;
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  try {
    return await calculateJwkThumbprint(jwk as JWK, 'sha256');
  } catch {
    return undefined;
  }
}
