// Digital assets over HTTP (FGMV-46 7.2.4, D301): licences defined and commercial accounts
// registered (`chain.license`, by the server's licensor account), ERC-721 goods minted and ERC-1155
// items created and minted (`chain.mint`, by its minter account; a creation's provenance manifest
// referred to by digest, D300), and ERC-1155 units transferred and rented (ERC-5006, `chain.trade`,
// by its chain account). Each action is logged as the other chain actions are (chain-actions.ts):
// the decision, then the outcome with the block or the error code, never an address.

import type { Hex, TransactionReceipt } from 'viem';
import { Editions } from '../chain/index.ts';
import { InputError } from '../errors/index.ts';
import type { ChainRoutesOptions } from './chain.ts';
import { chainActor } from './chain-actions.ts';
import { Address, Tx } from './chain-shared.ts';
import type { Gate, Principal } from './gate.ts';
import { type App, authErrors, body, nat, ok } from './schemas.ts';
import { Type } from './typebox.ts';

const TokenId = Type.String({ pattern: '^[0-9]{1,78}$' });
const Amount = Type.String({ pattern: '^[1-9][0-9]{0,19}$', description: 'Units, decimal' });
const Seconds = Type.String({ pattern: '^[1-9][0-9]{0,19}$', description: 'Seconds since the epoch, decimal' });
const LicenceId = Type.String({ pattern: '^[0-9]{1,28}$', description: 'A licence id (96 bits), decimal' });
const Royalty = Type.Integer({ minimum: 0, maximum: 1000, description: 'Royalty in basis points (at most 10%)' });
const Provenance = Type.String({
  pattern: '^sha256:[A-Za-z0-9_-]{43}$',
  description: "The digest of the creation's signed provenance manifest (`POST /v1/provenance` answers it)",
});
const Contract = Type.Union([Type.Literal('goods'), Type.Literal('editions')], {
  description: 'Which contract: the ERC-721 goods or the ERC-1155 editions (each keeps its own licences)',
});
const Done = Type.Object({ tx: Tx, block: nat, logIndex: Type.Integer({ minimum: 0 }) });
const Minted = Type.Object({ tokenId: TokenId, ...Done.properties });

const U64 = 2n ** 64n;
const U96 = 2n ** 96n;
const U128 = 2n ** 128n;

function below(v: string, max: bigint, what: string): bigint {
  const n = BigInt(v);
  if (n >= max) throw new InputError('VERITY_E_INPUT_INVALID', `${what} is too large`);
  return n;
}

/** The asset routes under `/v1/chain/` (see the file comment). */
export function registerChainAssetRoutes(app: App, c: ChainRoutesOptions, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };
  const act = chainActor(c, gate);
  const done = (r: { tx: Hex; block: number; logIndex: number }) => ({
    tx: r.tx,
    block: r.block,
    logIndex: r.logIndex,
  });
  /**
   * An action of the licensor account on the goods' or the editions' licences (`chain.license`):
   * both contracts take the same licensor calls.
   */
  const license = async (
    p: Principal,
    contract: 'goods' | 'editions',
    send: (
      licensor: NonNullable<ChainRoutesOptions['licensor']>,
      on: Pick<Editions, 'defineLicence' | 'setCommercial'>,
    ) => Promise<TransactionReceipt>,
  ) =>
    done(
      await act(
        p,
        'chain.license',
        'chain.license',
        async (licensor, contracts) => ({
          receipt: await send(licensor, contract === 'goods' ? contracts : Editions.of(contracts)),
        }),
        'licensor',
      ),
    );
  /** A good or an item made by the minter account (`chain.mint`), answered with its token id. */
  const minted = async (
    p: Principal,
    make: (
      minter: NonNullable<ChainRoutesOptions['sender']>,
      contracts: NonNullable<ChainRoutesOptions['contracts']>,
    ) => Promise<{ tokenId: bigint; receipt: TransactionReceipt }>,
  ) => {
    const r = await act(p, 'chain.mint', 'chain.mint', make, 'minter');
    return { tokenId: r.tokenId.toString(), ...done(r) };
  };

  app.post(
    '/v1/chain/licences',
    {
      schema: {
        summary:
          "Defines a licence of the goods or the editions contract once (`chain.license`, through the server's licensor account): commercial use, modification, resale and the URI of its text; a licence id defined before is 409",
        ...secured,
        body: body({
          contract: Contract,
          licenceId: LicenceId,
          commercialUse: Type.Boolean(),
          modification: Type.Boolean(),
          resale: Type.Boolean(),
          uri: Type.String({ minLength: 1, maxLength: 512 }),
        }),
        response: { 201: ok(Done, 'Defined on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const id = below(b.licenceId, U96, 'licenceId');
      const terms = { commercialUse: b.commercialUse, modification: b.modification, resale: b.resale, uri: b.uri };
      const out = await license(principalOf(req), b.contract, (licensor, on) => on.defineLicence(licensor, id, terms));
      return reply.code(201).send(out);
    },
  );

  app.post(
    '/v1/chain/commercial-accounts',
    {
      schema: {
        summary:
          "Registers an account as commercial, or not, with the goods or the editions contract (`chain.license`, through the server's licensor account): a commercial account receives only goods licensed for commercial use",
        ...secured,
        body: body({ contract: Contract, account: Address, commercial: Type.Boolean() }),
        response: { 200: ok(Done, 'Registered on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      return license(principalOf(req), b.contract, (licensor, on) =>
        on.setCommercial(licensor, b.account as Hex, b.commercial),
      );
    },
  );

  app.post(
    '/v1/chain/goods',
    {
      schema: {
        summary:
          "Mints the next ERC-721 good to `to` (`chain.mint`, through the server's minter account): created by `creator` (its royalty receiver) under a defined licence, referring to its creation's provenance manifest when `provenance` is given",
        ...secured,
        body: body({
          to: Address,
          creator: Address,
          licenceId: LicenceId,
          royaltyBps: Royalty,
          provenance: Type.Optional(Provenance),
        }),
        response: { 201: ok(Minted, 'Minted on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const id = below(b.licenceId, U96, 'licenceId');
      const out = await minted(principalOf(req), (minter, contracts) =>
        contracts.mint(minter, b.to as Hex, b.creator as Hex, id, b.royaltyBps, b.provenance),
      );
      return reply.code(201).send(out);
    },
  );

  app.post(
    '/v1/chain/editions',
    {
      schema: {
        summary:
          "Creates the next ERC-1155 item (`chain.mint`, through the server's minter account): by `creator` (its royalty receiver), under a defined licence, of at most `maxSupply` units, referring to its creation's provenance manifest when `provenance` is given",
        ...secured,
        body: body({
          creator: Address,
          licenceId: LicenceId,
          royaltyBps: Royalty,
          maxSupply: Amount,
          provenance: Type.Optional(Provenance),
        }),
        response: { 201: ok(Minted, 'Created on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const id = below(b.licenceId, U96, 'licenceId');
      const max = below(b.maxSupply, U128, 'maxSupply');
      const out = await minted(principalOf(req), (minter, contracts) =>
        Editions.of(contracts).createEdition(minter, b.creator as Hex, id, b.royaltyBps, max, b.provenance),
      );
      return reply.code(201).send(out);
    },
  );

  app.post(
    '/v1/chain/editions/:tokenId/mint',
    {
      schema: {
        summary:
          "Mints `amount` units of an item to `to` (`chain.mint`, through the server's minter account), within its maximum supply and its licence",
        ...secured,
        params: Type.Object({ tokenId: TokenId }, { additionalProperties: false }),
        body: body({ to: Address, amount: Amount }),
        response: { 200: ok(Done, 'Minted on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const r = await act(
        principalOf(req),
        'chain.mint',
        'chain.mint',
        async (minter, contracts) => ({
          receipt: await Editions.of(contracts).mint(
            minter,
            b.to as Hex,
            BigInt(req.params.tokenId),
            below(b.amount, U128, 'amount'),
          ),
        }),
        'minter',
      );
      return done(r);
    },
  );

  app.post(
    '/v1/chain/editions/:tokenId/transfer',
    {
      schema: {
        summary:
          "Transfers `amount` units of an item from `from` to `to` (`chain.trade`, through the server's chain account, which must hold them or be approved); a transfer the licence forbids is 403 `VERITY_E_CHAIN_LICENCE_REFUSED` and changes nothing",
        ...secured,
        params: Type.Object({ tokenId: TokenId }, { additionalProperties: false }),
        body: body({ from: Address, to: Address, amount: Amount }),
        response: { 200: ok(Done, 'Transferred on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const r = await act(principalOf(req), 'chain.trade', 'chain.transfer', async (sender, contracts) => ({
        receipt: await Editions.of(contracts).transfer(
          sender,
          b.from as Hex,
          b.to as Hex,
          BigInt(req.params.tokenId),
          below(b.amount, U128, 'amount'),
        ),
      }));
      return done(r);
    },
  );

  app.post(
    '/v1/chain/editions/:tokenId/rent',
    {
      schema: {
        summary:
          "Rents `amount` units of an item held by `owner` to `user` until `expires` (ERC-5006, `chain.trade`, through the server's chain account, which must be the owner or approved); the units are held by the contract until the rental ends, and the licence's terms apply",
        ...secured,
        params: Type.Object({ tokenId: TokenId }, { additionalProperties: false }),
        body: body({ owner: Address, user: Address, amount: Amount, expires: Seconds }),
        response: { 201: ok(Type.Object({ recordId: TokenId, ...Done.properties }), 'Rented on chain'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const r = await act(principalOf(req), 'chain.trade', 'chain.rent', (sender, contracts) =>
        Editions.of(contracts).rent(
          sender,
          b.owner as Hex,
          b.user as Hex,
          BigInt(req.params.tokenId),
          below(b.amount, U64, 'amount'),
          below(b.expires, U64, 'expires'),
        ),
      );
      return reply.code(201).send({ recordId: r.recordId.toString(), ...done(r) });
    },
  );
}
