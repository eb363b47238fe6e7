import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { Hex } from 'viem';
import type { Capability } from '../principals/index.ts';
import type { Vault } from '../vault/index.ts';
import type { CustodialWallets, WalletAction } from '../wallets/index.ts';
import { decideCapability } from './chain-shared.ts';
import { type Gate, notGranted } from './gate.ts';
import { type App, body, bodyErrors, ok, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

const PURPOSE = 'wallet';
const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' });
const Hex32 = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' });
const Uint = Type.String({ pattern: '^[0-9]{1,78}$', description: 'A whole number in decimal' });
const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: 'object' });
const b64u = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*={0,2}$' });
/** A PublicKeyCredential assertion as `toJSON()` gives it, bounded. */
const Assertion = Type.Object(
  {
    id: b64u(1400),
    rawId: b64u(1400),
    type: Type.Literal('public-key'),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
    clientExtensionResults: AnyObject,
    response: Type.Object(
      {
        clientDataJSON: b64u(8192),
        authenticatorData: b64u(65_536),
        signature: b64u(2048),
        userHandle: Type.Optional(b64u(512)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const Action = Type.Union([
  Type.Object({ kind: Type.Literal('transfer'), tokenId: Uint, to: Address }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('agreement'),
      terms: Type.Object(
        {
          subject: Address,
          recipient: Address,
          purposes: Type.Array(Hex32, { minItems: 1, maxItems: 16 }),
          categories: Type.Array(Hex32, { minItems: 1, maxItems: 16 }),
          expiry: Uint,
          conditionsHash: Hex32,
          salt: Hex32,
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);
const Player = Type.Optional(
  Type.Union([Subject], { description: 'The player (a service names them; a player session acts for itself)' }),
);

function actionOf(a: Static<typeof Action>): WalletAction {
  if (a.kind === 'transfer') return { kind: 'transfer', tokenId: BigInt(a.tokenId), to: a.to as Hex };
  const t = a.terms;
  return {
    kind: 'agreement',
    terms: {
      subject: t.subject as Hex,
      recipient: t.recipient as Hex,
      purposes: t.purposes as Hex[],
      categories: t.categories as Hex[],
      expiry: BigInt(t.expiry),
      conditionsHash: t.conditionsHash as Hex,
      salt: t.salt as Hex,
    },
  };
}

/** JSON with bigints as decimal strings (EIP-712 JSON allows them), for typed data shown to a client. */
function jsonSafe(v: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

/**
 * Custodial wallets over HTTP (FGMV-46 7.2.4; D245): a service granted `wallet.create` creates a
 * player's wallet; one granted `wallet.sign` asks for the step-up of an action (the digest, the
 * typed data to show, WebAuthn options bound to both) and then has the action signed with the
 * player's fresh assertion. A player's own session does the same for its own wallet. Capabilities
 * are granted explicitly, never implied by a role; every decision is logged; the wallet itself
 * refuses anything its player's passkey did not confirm, whoever asks.
 */
export function registerWalletRoutes(app: App, wallets: CustodialWallets, vault: Vault, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };

  /** The player acted for and the actor, once the caller may: a player for itself, a service with `cap`. */
  const playerFor = async (
    req: FastifyRequest,
    cap: Capability,
    player: string | undefined,
  ): Promise<{ subjectRef: string; actor: string }> => {
    const p = principalOf(req);
    const self = p.role === 'player' && player === undefined;
    const allowed = self || (p.role === 'service' && p.capabilities.includes(cap) && player !== undefined);
    await decideCapability(gate, p, cap, { label: 'wallet:custodial', purpose: PURPOSE }, allowed, () =>
      p.role === 'player'
        ? 'a player session acts on its own wallet only (leave `player` out)'
        : p.role === 'service' && p.capabilities.includes(cap)
          ? 'name the `player` whose wallet this is'
          : notGranted(p, cap),
    );
    return { subjectRef: self ? p.name : await vault.subjectRef(player as string), actor: p.actor };
  };

  app.post(
    '/v1/wallets/custodial',
    {
      schema: {
        summary:
          "Create the player's custodial wallet (`wallet.create`, or the player's own session): a secp256k1 key generated in the key store (the HSM where there is one); an existing wallet is returned as it is",
        ...secured,
        body: body({ player: Player }),
        response: { 201: ok(Type.Object({ address: Address, created: Type.Boolean() }), 'The wallet'), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const { subjectRef, actor } = await playerFor(req, 'wallet.create', req.body.player);
      const w = await wallets.create(subjectRef, actor);
      return reply.code(201).send({ address: w.address, created: w.created });
    },
  );

  app.post(
    '/v1/wallets/custodial/step-up',
    {
      schema: {
        summary:
          'The step-up for one action of the custodial wallet (`wallet.sign`, or the player’s own session): its EIP-712 digest and typed data to show the player, and WebAuthn request options whose challenge is bound to the player and that digest, answerable once within two minutes. Writes nothing',
        ...secured,
        body: body({ player: Player, action: Action }),
        response: {
          200: ok(
            Type.Object({ digest: Hex32, typedData: AnyObject, options: AnyObject, expiresAt: Type.Integer() }),
            'The step-up',
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const { subjectRef } = await playerFor(req, 'wallet.sign', req.body.player);
      const s = await wallets.stepUp(subjectRef, actionOf(req.body.action));
      return {
        digest: s.digest,
        typedData: jsonSafe(s.prepared.typedData),
        options: s.options as unknown as Record<string, unknown>,
        expiresAt: s.expiresAt,
      };
    },
  );

  app.post(
    '/v1/wallets/custodial/sign',
    {
      schema: {
        summary:
          'Sign the action with the custodial wallet after the player’s step-up (`wallet.sign`, or the player’s own session): a transfer is sent and mined, agreement terms are signed. Without a fresh assertion of the player for exactly this action: 403 VERITY_E_WALLET_STEP_UP, logged, nothing signed',
        ...secured,
        body: body({ player: Player, action: Action, credential: Assertion }),
        response: {
          201: ok(
            Type.Object({
              kind: Type.Enum(['transfer', 'agreement']),
              digest: Hex32,
              tx: Type.Optional(Hex32),
              block: Type.Optional(Type.Integer({ minimum: 0 })),
              signature: Type.Optional(Type.String({ pattern: '^0x[0-9a-f]{130}$' })),
            }),
            'What was signed',
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const { subjectRef, actor } = await playerFor(req, 'wallet.sign', req.body.player);
      const r = await wallets.execute(
        subjectRef,
        actionOf(req.body.action),
        req.body.credential as unknown as AuthenticationResponseJSON,
        actor,
      );
      return reply
        .code(201)
        .send(
          r.kind === 'transfer'
            ? { kind: r.kind, digest: r.digest, tx: r.receipt.transactionHash, block: Number(r.receipt.blockNumber) }
            : { kind: r.kind, digest: r.digest, signature: r.signature },
        );
    },
  );
}
