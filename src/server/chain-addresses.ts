// A player's chain addresses over HTTP (D230): in their own session, a player asks for a nonce,
// signs an EIP-4361 (Sign-In with Ethereum) message with the address, and submits it; the binding
// is what record reads under agreement look the player's addresses up in (D231).

import type { AddressBindings } from '../chain/index.ts';
import { VerityError } from '../errors/index.ts';
import type { ChainRoutesOptions } from './chain.ts';
import { Address, Evidence } from './chain-shared.ts';
import type { Gate, Principal } from './gate.ts';
import { type App, authErrors, body, errorRef, nat, ok } from './schemas.ts';
import { Type } from './typebox.ts';

const Bound = Type.Object({
  address: Address,
  method: Type.Union([Type.Literal('siwe'), Type.Literal('siwe-erc1271')]),
  chainId: nat,
  bindingId: Type.String({ pattern: '^bnd_[A-Za-z0-9_-]{16}$' }),
  boundAt: nat,
});

/** The routes under `/v1/chain/addresses` (a player's own session only). */
export function registerAddressRoutes(app: App, c: ChainRoutesOptions, bindings: AddressBindings, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };
  const label = `chain:${c.state.chainId}`;

  /** The player of the session; any other caller is refused, and the refusal logged. */
  const player = async (p: Principal): Promise<Principal & { role: 'player' }> => {
    if (p.role === 'player') return p;
    await gate.logOutcome(p, label, 'authentication', 'denied', { action: 'chain.bind', decision: 'deny' });
    throw new VerityError(
      'VERITY_E_ACCESS_DENIED',
      "only a player's own session binds the player's addresses (a custodial wallet binds through the library)",
    );
  };

  app.post(
    '/v1/chain/addresses/nonce',
    {
      schema: {
        summary:
          "A single-use nonce (five minutes) for the player's EIP-4361 message, with the domain and chain id the message must name",
        ...secured,
        response: {
          201: ok(
            Type.Object({ nonce: Type.String(), domain: Type.String(), chainId: nat, expiresAt: nat }),
            'The nonce',
          ),
          ...authErrors,
          503: errorRef('The server names no domain for EIP-4361 messages (`--chain-siwe-domain`)'),
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = await player(principalOf(req));
      // The server's own name, not the request's Host header: the caller writes that one, and a
      // message the victim's wallet signed for the caller's site would then bind here (D415).
      const domain = c.siweDomain;
      if (domain === undefined)
        throw new VerityError(
          'VERITY_E_CHAIN_SIWE_DOMAIN_UNSET',
          'this server names no domain for EIP-4361 messages: start it with `--chain-siwe-domain HOST` (the name players reach it at)',
        );
      return reply.code(201).send(await bindings.issueNonce(p.name, domain, p.actor));
    },
  );

  app.post(
    '/v1/chain/addresses',
    {
      schema: {
        summary:
          'Binds an address to the player of the session on an EIP-4361 message signed by it over a nonce from `/v1/chain/addresses/nonce` (consumed); logged without the player or the address',
        ...secured,
        body: body({
          address: Address,
          message: Type.String({ minLength: 1, maxLength: 4096 }),
          // An account's 65 bytes, or a contract wallet's (ERC-1271) at most 2,048.
          signature: Type.String({ pattern: '^0x([0-9a-fA-F]{2}){1,2048}$', maxLength: 4098 }),
        }),
        response: {
          201: ok(Type.Object({ ...Bound.properties, logIndex: nat }), 'Bound'),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = await player(principalOf(req));
      const b = req.body;
      const out = await bindings.bindAddress(
        p.name,
        b.address,
        { kind: 'siwe', message: b.message, signature: b.signature },
        p.actor,
      );
      return reply.code(201).send(out);
    },
  );

  app.get(
    '/v1/chain/addresses',
    {
      schema: {
        summary: 'The addresses bound to the player of the session, with the state proof of the binding',
        ...secured,
        response: {
          200: ok(Type.Object({ addresses: Type.Array(Bound), evidence: Evidence }), 'The addresses'),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = await player(principalOf(req));
      return bindings.proven(p.name);
    },
  );

  app.delete(
    '/v1/chain/addresses/:address',
    {
      schema: {
        summary:
          'Unbinds one of the addresses of the player of the session; reads under agreements of that address are refused from then on',
        ...secured,
        params: Type.Object({ address: Address }, { additionalProperties: false }),
        response: { 200: ok(Type.Object({ unbound: Type.Boolean() }), 'Whether it was bound'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = await player(principalOf(req));
      return { unbound: await bindings.unbindAddress(p.name, req.params.address, p.actor) };
    },
  );
}
