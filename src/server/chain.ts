import type { LocalAccount } from 'viem';
import {
  type AddressBindings,
  AgreementReads,
  anchorLatestCheckpoint,
  type ChainState,
  type VerityContracts,
} from '../chain/index.ts';
import type { Clock } from '../clock/index.ts';
import { ChainError, isVerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Capability } from '../principals/index.ts';
import { registerChainActionRoutes } from './chain-actions.ts';
import { registerAddressRoutes } from './chain-addresses.ts';
import { registerChainAssetRoutes } from './chain-assets.ts';
import { Address, Doc, Evidence, Hex32, Item, requireCapability, Tx } from './chain-shared.ts';
import type { AgreementSource, Gate, Principal } from './gate.ts';
import { type App, authErrors, body, nat, ok } from './schemas.ts';
import { Type } from './typebox.ts';

/** What the chain routes need: the indexed state, and for anchoring the contracts and the anchoring account. */
export interface ChainRoutesOptions {
  readonly state: ChainState;
  /** The log the anchored checkpoint comes from and the anchoring is logged in. */
  readonly log: TransparencyLog;
  /** With `anchorer`: `POST /v1/chain/anchor` anchors the log's latest checkpoint. */
  readonly contracts?: VerityContracts;
  readonly anchorer?: LocalAccount;
  readonly clock?: Clock;
  /** The background indexer, whose last error the status reports (a node away, a reorganization too deep). */
  readonly indexer?: { readonly lastError: unknown };
  /**
   * Players' chain addresses (EIP-4361 bindings, D230): with it, `/v1/chain/addresses` is served and
   * record reads under agreement are decided on the agreements indexed from the chain (D231).
   */
  readonly bindings?: AddressBindings;
  /**
   * The domain a player's signed EIP-4361 message must name: the server's own name, never a request's
   * `Host` header, which the caller writes (a message a wallet signed for another site would bind).
   * Without it, addresses are not bound by EIP-4361 messages (D415).
   */
  readonly siweDomain?: string;
  /** With `contracts`: the server's chain account, which sends agreements, revocations, transfers and rentals (D232). */
  readonly sender?: LocalAccount;
  /**
   * With `contracts`: the accounts holding the contracts' minter and licensor roles, which mint goods
   * and items and define licences over HTTP (D301); the in-process chain's development accounts, or
   * the platform's account once granted the roles. Default: `sender`.
   */
  readonly minter?: LocalAccount;
  readonly licensor?: LocalAccount;
}

/** The agreements the records' gate reads, when the chain options bind players to addresses. */
export function chainAgreements(o: { chain?: Omit<ChainRoutesOptions, 'log'> }): { agreements?: AgreementSource } {
  const c = o.chain;
  return c?.bindings === undefined ? {} : { agreements: new AgreementReads(c.bindings, c.state) };
}

/**
 * Verity's view of the chain over HTTP (FGMV-46 7.2.2, 7.2.4; D216): agreements, goods and anchors
 * as the authenticated state holds them, each with the state proof and the transaction that set
 * it, to a token granted `chain.read`; the agreement check; anchoring the log's latest checkpoint
 * on demand with `chain.anchor`. Capabilities are granted explicitly, never implied by a role, and
 * every request's decision is logged.
 */
export function registerChainRoutes(app: App, c: ChainRoutesOptions, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };

  const need = (p: Principal, cap: Capability, label: string) => requireCapability(gate, p, cap, label);
  const chainLabel = `chain:${c.state.chainId}`;

  app.get(
    '/v1/chain/status',
    {
      schema: {
        summary:
          "How far Verity's index of the chain goes (`chain.read`): the indexer's cursor (last applied block number and hash, the contracts) with its state proof, the chain's head as the node says it, and the background indexer's last error",
        ...secured,
        response: {
          200: ok(
            Type.Object({
              chainId: nat,
              cursor: Type.Union([Doc, Type.Null()]),
              head: Type.Union([nat, Type.Null()], {
                description: "The chain's latest block number as its node says now (unproven; null when unreachable)",
              }),
              lastError: Type.Union([Type.String({ pattern: '^VERITY_E_[A-Z0-9_]+$' }), Type.Null()], {
                description: "The code of the background indexer's last failure, null once a pass succeeds",
              }),
              evidence: Evidence,
            }),
            'The cursor',
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'chain.read', chainLabel);
      const s = await c.state.status();
      const e = c.indexer?.lastError;
      let head: number | null = null;
      try {
        if (c.contracts !== undefined) head = Number(await c.contracts.chain.public.getBlockNumber({ cacheTime: 0 }));
      } catch {
        head = null;
      }
      return {
        chainId: c.state.chainId,
        cursor: s.cursor as Record<string, unknown> | null,
        head,
        lastError: e === undefined ? null : isVerityError(e) ? e.code : 'VERITY_E_INTERNAL',
        evidence: s.evidence,
      };
    },
  );

  app.get(
    '/v1/chain/agreements/:id',
    {
      schema: {
        summary:
          'A data-sharing agreement as indexed (`chain.read`): parties, purposes and categories (on-chain identifiers), expiry, revocation, with its state proof and the transaction that set its state',
        ...secured,
        params: Type.Object({ id: Hex32 }, { additionalProperties: false }),
        response: {
          200: ok(Type.Object({ agreement: Doc, tx: Tx, block: nat, evidence: Evidence }), 'The agreement'),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'chain.read', chainLabel);
      const r = await c.state.agreement(req.params.id);
      return { agreement: { ...r.value }, tx: r.tx, block: r.block, evidence: r.evidence };
    },
  );

  app.post(
    '/v1/chain/agreements/check',
    {
      schema: {
        summary:
          'Whether an indexed data-sharing agreement between `subject` and `recipient` covers `purpose` and `category` now (`chain.read`), with the state proofs of every row the decision read; a revocation on chain refuses it once indexed',
        ...secured,
        body: body({ subject: Address, recipient: Address, purpose: Item, category: Item }),
        response: {
          200: ok(
            Type.Object({
              allowed: Type.Boolean(),
              reason: Type.Enum(['permitted', 'no-agreement', 'revoked', 'expired', 'not-covered']),
              agreementId: Type.Union([Hex32, Type.Null()]),
              tx: Type.Union([Tx, Type.Null()]),
              evidence: Evidence,
            }),
            'The decision',
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'chain.read', chainLabel);
      const d = await c.state.agreementPermits(req.body, { prove: true });
      return { ...d, evidence: d.evidence ?? { checkpoint: '', rows: [] } };
    },
  );

  app.get(
    '/v1/chain/goods/:tokenId',
    {
      schema: {
        summary:
          'A virtual good as indexed (`chain.read`): owner, renter (ERC-4907) and until when, creator, royalty, and its licence terms, with their state proofs and the transaction that set the good',
        ...secured,
        params: Type.Object({ tokenId: Type.String({ pattern: '^[0-9]{1,78}$' }) }, { additionalProperties: false }),
        response: {
          200: ok(
            Type.Object({ good: Doc, licence: Type.Union([Doc, Type.Null()]), tx: Tx, block: nat, evidence: Evidence }),
            'The good',
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'chain.read', chainLabel);
      const r = await c.state.good(req.params.tokenId);
      return {
        good: { ...r.value },
        licence: r.licence === null ? null : { ...r.licence },
        tx: r.tx,
        block: r.block,
        evidence: r.evidence,
      };
    },
  );

  app.get(
    '/v1/chain/editions/:tokenId',
    {
      schema: {
        summary:
          'An ERC-1155 item as indexed (`chain.read`): creator, licence terms, royalty, maximum supply and units minted, and with `holder` the units that account holds (0 proven absent), with their state proofs and the transaction that set the item (D251)',
        ...secured,
        params: Type.Object({ tokenId: Type.String({ pattern: '^[0-9]{1,78}$' }) }, { additionalProperties: false }),
        querystring: Type.Object({ holder: Type.Optional(Address) }, { additionalProperties: false }),
        response: {
          200: ok(
            Type.Object({
              edition: Doc,
              licence: Type.Union([Doc, Type.Null()]),
              balance: Type.Union([Type.Object({ account: Address, amount: Type.String() }), Type.Null()]),
              tx: Tx,
              block: nat,
              evidence: Evidence,
            }),
            'The item',
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'chain.read', chainLabel);
      const r = await c.state.edition(req.params.tokenId, req.query.holder);
      return {
        edition: { ...r.value },
        licence: r.licence === null ? null : { ...r.licence },
        balance: r.balance,
        tx: r.tx,
        block: r.block,
        evidence: r.evidence,
      };
    },
  );

  app.get(
    '/v1/chain/anchors/:originHash/:treeSize',
    {
      schema: {
        summary:
          'An anchored checkpoint as indexed (`chain.read`): the root hash and block time anchored for a log (the SHA-256 of its origin line) at a tree size, with its state proof and the anchoring transaction',
        ...secured,
        params: Type.Object(
          { originHash: Hex32, treeSize: Type.String({ pattern: '^[1-9][0-9]{0,14}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: ok(Type.Object({ anchor: Doc, tx: Tx, block: nat, evidence: Evidence }), 'The anchor'),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'chain.read', chainLabel);
      const r = await c.state.anchor(req.params.originHash, Number(req.params.treeSize));
      return { anchor: { ...r.value }, tx: r.tx, block: r.block, evidence: r.evidence };
    },
  );

  app.post(
    '/v1/chain/anchor',
    {
      schema: {
        summary:
          "Anchors the log's latest checkpoint on chain now (`chain.anchor`, operators): its origin hash, tree size and root hash; the action is logged with the transaction. A checkpoint anchored already is 409",
        ...secured,
        response: {
          201: ok(
            Type.Object({
              originHash: Hex32,
              treeSize: nat,
              rootHash: Hex32,
              tx: Tx,
              block: nat,
              logIndex: nat,
            }),
            'The anchor',
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      await need(p, 'chain.anchor', chainLabel);
      if (c.contracts === undefined || c.anchorer === undefined)
        throw new ChainError(
          'VERITY_E_CHAIN_UNAVAILABLE',
          'this server has no anchoring account for the chain; configure one to anchor on demand',
        );
      const out = await anchorLatestCheckpoint(
        c.contracts,
        c.anchorer,
        c.log,
        { actor: p.actor },
        c.clock ? { clock: c.clock } : {},
      );
      return reply.code(201).send(out);
    },
  );

  registerChainActionRoutes(app, c, gate);
  registerChainAssetRoutes(app, c, gate);
  if (c.bindings !== undefined) registerAddressRoutes(app, c, c.bindings, gate);
}
