// Record reads under data-sharing agreements (D231): whether the agreements indexed from the chain
// between a player (any address they bound, D230) and a recipient address cover a purpose and a
// record category now. Every row is read from the authenticated state at the time of the decision
// (nothing cached), so a revocation on chain refuses the next read once indexed.
import type { Hex } from 'viem';
import type { AddressBindings } from './bindings.ts';
import type { IndexedAgreement } from './indexed.ts';
import { agreementReason, type ChainState, itemOf, REASON_RANK } from './state.ts';

/** Why a read under agreement is allowed or not. */
export type AgreementReason = keyof typeof REASON_RANK;

/** The answer for one read. */
export interface AgreementAnswer {
  readonly allowed: boolean;
  readonly reason: AgreementReason;
}

/** The agreements of a player with a recipient, read once for several decisions. */
export interface AgreementView {
  /** Whether an agreement covers this purpose and this record category now. */
  decide(purpose: string, category: string): AgreementAnswer;
}

/**
 * The decisions of reads under agreement: a player by subject reference, the recipient by address.
 *
 * @example
 * const reads = new AgreementReads(bindings, state);
 * const { allowed, reason } = await reads.decide(subjectRef, recipient, 'marketplace', 'inventory');
 */
export class AgreementReads {
  readonly #bindings: AddressBindings;
  readonly #state: ChainState;

  constructor(bindings: AddressBindings, state: ChainState) {
    if (bindings.chainId !== state.chainId) throw new RangeError('the bindings and the state are of two chains');
    this.#bindings = bindings;
    this.#state = state;
  }

  /** Reads the player's bound addresses and their agreements with `recipient`, once. */
  async view(subjectRef: string, recipient: string): Promise<AgreementView> {
    const agreements: IndexedAgreement[] = [];
    // A subject reference that is not one (an absent record's owner) has no addresses.
    if (/^[A-Za-z0-9_-]{43}$/.test(subjectRef))
      for (const b of await this.#bindings.addressesOf(subjectRef))
        agreements.push(...(await this.#state.agreementsBetween(b.address, recipient)));
    const now = this.#state.nowSeconds();
    return {
      decide(purpose: string, category: string): AgreementAnswer {
        const p: Hex = itemOf(purpose, 'purpose');
        const c: Hex = itemOf(category, 'category');
        let reason: AgreementReason = 'no-agreement';
        for (const a of agreements) {
          const r = agreementReason(a, now, p, c);
          if (REASON_RANK[r] > REASON_RANK[reason]) reason = r;
        }
        return { allowed: reason === 'permitted', reason };
      },
    };
  }

  /** Whether an agreement between the player and `recipient` covers `purpose` and `category` now. */
  async decide(subjectRef: string, recipient: string, purpose: string, category: string): Promise<AgreementAnswer> {
    return (await this.view(subjectRef, recipient)).decide(purpose, category);
  }
}
