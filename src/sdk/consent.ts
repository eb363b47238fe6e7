import {
  type ConsentProofs,
  type ConsentRecord,
  type ConsentStatus,
  type VerifiedConsent,
  verifyConsentAnswer,
} from '../consent/index.ts';
import { fromBase64Url, fromUtf8 } from '../encoding/index.ts';
import { LogError } from '../errors/index.ts';
import type { VerityClient } from './client.ts';

/** The subject reference a player session token names (its `sub`), read without verifying it. */
function sessionSubject(token: string | undefined): string | undefined {
  const part = token?.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const sub = (JSON.parse(fromUtf8(fromBase64Url(part, 'session token'), 'session token')) as { sub?: unknown }).sub;
    return typeof sub === 'string' && /^[A-Za-z0-9_-]{43}$/.test(sub) ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Consent through a `VerityClient` (FGMV-46 7.4.1), checked like everything else the client reads.
 * Its own class, so that a browser client that never asks about consent does not ship its checks.
 *
 * @example
 * ```ts
 * const consent = new ConsentClient(client, { sessionToken });
 * await consent.record({ purpose: 'personalisation', status: 'given', method: 'in-world-dialog' });
 * const { consents } = await consent.list(); // each with its verified history
 * ```
 */
export class ConsentClient {
  readonly #client: VerityClient;
  readonly #subjectRef: string | undefined;

  /**
   * `sessionToken`: the player session the client calls with, so that an answer about another
   * player is refused.
   */
  constructor(client: VerityClient, o: { sessionToken?: string } = {}) {
    this.#client = client;
    this.#subjectRef = sessionSubject(o.sessionToken);
  }

  /**
   * Records a change of consent: a player's session records its own; a service granted
   * `consent.record` names the player in `subject`. Decisions read it at once.
   */
  record(input: {
    subject?: string;
    purpose: string;
    category?: string;
    status: ConsentStatus;
    method?: string;
    policyVersion?: string;
    region?: string;
  }): Promise<{ record: ConsentRecord; logIndex: number }> {
    return this.#client.call('POST', '/v1/consent', input);
  }

  /**
   * A player's consents, checked: the signed checkpoint (consistent with the one the client
   * trusts), the state proof of every current state, and the inclusion proof of every change of
   * each, whose last is its current state. Without `subject`: the session's own player; with it: a
   * service granted `consent.record`.
   */
  async list(subject?: string): Promise<{ subjectRef: string; policyVersion: string; consents: VerifiedConsent[] }> {
    const answer =
      subject === undefined
        ? await this.#client.call<ConsentProofs>('GET', '/v1/consent')
        : await this.#client.call<ConsentProofs>('POST', '/v1/consent/query', { subject });
    const ref = (subject === undefined ? this.#subjectRef : undefined) ?? answer?.subjectRef;
    if (typeof ref !== 'string' || typeof answer.checkpoint !== 'string')
      throw new LogError(
        'VERITY_E_STATE_PROOF_INVALID',
        'consent proof invalid: the answer names no player or checkpoint',
      );
    const cp = await this.#client.verifiedCheckpoint(answer.checkpoint);
    const checked = verifyConsentAnswer(answer, ref, cp);
    return { subjectRef: ref, policyVersion: answer.policyVersion, consents: checked.consents };
  }
}
