// Actions on the chain over HTTP (D232): submitting a data-sharing agreement both parties signed,
// revoking one, transferring and renting a virtual good, each sent by the server's chain account,
// each behind its own capability, each in the log (the decision, then the action's outcome).

import type { Hex, TransactionReceipt } from 'viem';
import { type AuditEvent, encodeAuditEntry } from '../audit/index.ts';
import { type AgreementTerms, itemOf } from '../chain/index.ts';
import { systemClock } from '../clock/index.ts';
import { ChainError, InputError, isVerityError } from '../errors/index.ts';
import type { Capability } from '../principals/index.ts';
import type { ChainRoutesOptions } from './chain.ts';
import { Address, Hex32, Item, requireCapability, Tx } from './chain-shared.ts';
import type { Gate, Principal } from './gate.ts';
import { type App, authErrors, body, nat, ok } from './schemas.ts';
import { Type } from './typebox.ts';

const PURPOSE = 'chain-action';
const Signature = Type.String({
  pattern: '^0x([0-9a-fA-F]{2}){65,1024}$',
  description: "A party's EIP-712 signature of the terms: 65 bytes of ECDSA, or an ERC-1271 wallet's signature",
});
const TokenId = Type.String({ pattern: '^[0-9]{1,78}$' });
const Decimal = Type.String({ pattern: '^[1-9][0-9]{0,19}$', description: 'Seconds since the epoch, decimal' });
const Done = Type.Object({
  tx: Tx,
  block: nat,
  logIndex: Type.Integer({ minimum: 0, description: 'The log index of the action’s audit entry' }),
});

/** An action sent through one of the server's chain accounts (see `chainActor`). */
export type ChainAct = <T extends { receipt: TransactionReceipt }>(
  p: Principal,
  cap: Capability,
  action: 'chain.agreement' | 'chain.revoke' | 'chain.transfer' | 'chain.rent' | 'chain.mint' | 'chain.license',
  send: (
    sender: NonNullable<ChainRoutesOptions['sender']>,
    contracts: NonNullable<ChainRoutesOptions['contracts']>,
  ) => Promise<T>,
  account?: 'sender' | 'minter' | 'licensor',
) => Promise<T & { tx: Hex; block: number; logIndex: number }>;

/**
 * Checks the capability, sends through one of the server's accounts (`sender` by default; the
 * minter and licensor default to it), and logs the outcome: the block on success (never an
 * address, an agreement id or a transaction, which the public chain links to the players'
 * addresses, D211), the error code on failure.
 */
export function chainActor(c: ChainRoutesOptions, gate: Gate): ChainAct {
  const clock = c.clock ?? systemClock;
  const label = `chain:${c.state.chainId}`;

  const logAction = (p: Principal, e: Pick<AuditEvent, 'action' | 'outcome' | 'details'>) =>
    c.log.submit((_tx, batch) =>
      batch.add(encodeAuditEntry({ actor: p.actor, purpose: PURPOSE, resource: label, time: clock.now(), ...e })),
    );

  async function act<T extends { receipt: TransactionReceipt }>(
    p: Principal,
    cap: Capability,
    action: Parameters<ChainAct>[2],
    send: (
      sender: NonNullable<ChainRoutesOptions['sender']>,
      contracts: NonNullable<ChainRoutesOptions['contracts']>,
    ) => Promise<T>,
    account: 'sender' | 'minter' | 'licensor' = 'sender',
  ): Promise<T & { tx: Hex; block: number; logIndex: number }> {
    await requireCapability(gate, p, cap, label);
    const from = (account === 'minter' ? c.minter : account === 'licensor' ? c.licensor : undefined) ?? c.sender;
    if (c.contracts === undefined || from === undefined)
      throw new ChainError(
        'VERITY_E_CHAIN_UNAVAILABLE',
        'this server has no chain account to send transactions with; configure one to act on the chain',
      );
    let out: T;
    try {
      out = await send(from, c.contracts);
    } catch (e) {
      await logAction(p, {
        action,
        outcome: 'error',
        details: { code: isVerityError(e) ? e.code : 'VERITY_E_INTERNAL' },
      });
      throw e;
    }
    const block = Number(out.receipt.blockNumber);
    const { result: logIndex } = await logAction(p, { action, outcome: 'success', details: { block } });
    return { ...out, tx: out.receipt.transactionHash.toLowerCase() as Hex, block, logIndex };
  }
  return act;
}

/** The actions under `/v1/chain/` that send transactions (see the file comment). */
export function registerChainActionRoutes(app: App, c: ChainRoutesOptions, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };
  const act = chainActor(c, gate);

  app.post(
    '/v1/chain/agreements',
    {
      schema: {
        summary:
          "Submits a data-sharing agreement both parties signed (EIP-712 typed data of the terms, `chain.agree`) through the server's chain account; purposes and categories as names (their keccak-256 goes on chain) or 32-byte identifiers. A signature that is not the party's over these terms is 422",
        ...secured,
        body: body({
          terms: body({
            subject: Address,
            recipient: Address,
            purposes: Type.Array(Item, { minItems: 1, maxItems: 16 }),
            categories: Type.Array(Item, { minItems: 1, maxItems: 16 }),
            expiry: Decimal,
            conditionsHash: Hex32,
            salt: Hex32,
          }),
          subjectSignature: Signature,
          recipientSignature: Signature,
        }),
        response: { 201: ok(Type.Object({ id: Hex32, ...Done.properties }), 'The agreement, on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const terms: AgreementTerms = {
        subject: b.terms.subject as Hex,
        recipient: b.terms.recipient as Hex,
        purposes: b.terms.purposes.map((x) => itemOf(x, 'purpose')),
        categories: b.terms.categories.map((x) => itemOf(x, 'category')),
        expiry: BigInt(b.terms.expiry),
        conditionsHash: b.terms.conditionsHash as Hex,
        salt: b.terms.salt as Hex,
      };
      const r = await act(principalOf(req), 'chain.agree', 'chain.agreement', (sender, contracts) =>
        contracts.createAgreement(sender, terms, b.subjectSignature as Hex, b.recipientSignature as Hex),
      );
      return reply.code(201).send({ id: r.id, tx: r.tx, block: r.block, logIndex: r.logIndex });
    },
  );

  app.post(
    '/v1/chain/agreements/:id/revoke',
    {
      schema: {
        summary:
          "Revokes a data-sharing agreement (`chain.revoke`) through the server's chain account, which must be one of its parties (else 403); reads under it are refused once the revocation is indexed",
        ...secured,
        params: Type.Object({ id: Hex32 }, { additionalProperties: false }),
        response: { 200: ok(Done, 'Revoked on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const r = await act(principalOf(req), 'chain.revoke', 'chain.revoke', async (sender, contracts) => ({
        receipt: await contracts.revokeAgreement(sender, req.params.id as Hex),
      }));
      return { tx: r.tx, block: r.block, logIndex: r.logIndex };
    },
  );

  app.post(
    '/v1/chain/goods/:tokenId/transfer',
    {
      schema: {
        summary:
          "Transfers a virtual good from `from` to `to` (`chain.trade`) through the server's chain account, which must own it or be approved; a transfer its licence forbids is 403 `VERITY_E_CHAIN_LICENCE_REFUSED` and changes nothing",
        ...secured,
        params: Type.Object({ tokenId: TokenId }, { additionalProperties: false }),
        body: body({ from: Address, to: Address }),
        response: { 200: ok(Done, 'Transferred on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const { from, to } = req.body;
      const r = await act(principalOf(req), 'chain.trade', 'chain.transfer', async (sender, contracts) => ({
        receipt: await contracts.transfer(sender, from as Hex, to as Hex, BigInt(req.params.tokenId)),
      }));
      return { tx: r.tx, block: r.block, logIndex: r.logIndex };
    },
  );

  app.post(
    '/v1/chain/goods/:tokenId/rent',
    {
      schema: {
        summary:
          "Rents a virtual good to `user` until `expires` (ERC-4907, `chain.trade`) through the server's chain account, which must own it or be approved; the licence's terms apply",
        ...secured,
        params: Type.Object({ tokenId: TokenId }, { additionalProperties: false }),
        body: body({ user: Address, expires: Decimal }),
        response: { 200: ok(Done, 'Rented on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const { user, expires } = req.body;
      if (BigInt(expires) >= 2n ** 64n)
        throw new InputError('VERITY_E_INPUT_INVALID', 'expires must fit in 64 bits of seconds');
      const r = await act(principalOf(req), 'chain.trade', 'chain.rent', async (sender, contracts) => ({
        receipt: await contracts.rent(sender, BigInt(req.params.tokenId), user as Hex, BigInt(expires)),
      }));
      return { tx: r.tx, block: r.block, logIndex: r.logIndex };
    },
  );
}
