import type { FastifyReply, FastifyRequest } from 'fastify';
import { VerityError } from '../errors/index.ts';
import { type IssuerInput, type Issuers, MAX_ID_TOKEN_LENGTH, type OidcSignIn } from '../oidc/index.ts';
import { type Gate, signInContext } from './gate.ts';
import {
  type App,
  authErrors,
  body,
  bodyErrors,
  errorRef,
  inputErrors,
  JsonObject,
  nat,
  ok,
  rateLimited,
} from './schemas.ts';
import { Type } from './typebox.ts';

/** What the OpenID Connect routes need. */
export interface OidcRoutesOptions {
  readonly signIn: OidcSignIn;
  readonly issuers: Issuers;
}

/** What managing issuers is done for, in the audit trail and the policies' context. */
const PURPOSE = 'administration';

const IssuerName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$', description: 'The issuer’s name in Verity' });
const Text = (max: number, description: string) => Type.String({ minLength: 1, maxLength: max, description });

const IssuerInfo = Type.Object(
  {
    name: Type.String(),
    issuer: Type.String(),
    clientId: Type.String(),
    algorithms: Type.Array(Type.String()),
    jwksUri: Type.Union([Type.String(), Type.Null()]),
    keys: Type.Array(
      Type.Object({
        kid: Type.Union([Type.String(), Type.Null()]),
        kty: Type.String(),
        alg: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    keysFetchedAt: Type.Union([Type.String(), Type.Null()]),
    trustedAudiences: Type.Array(Type.String()),
    subjectClaim: Type.String(),
    namespace: Type.String(),
    clockSkewSeconds: nat,
    maxTokenAgeSeconds: nat,
    createdAt: Type.String(),
    removedAt: Type.Union([Type.String(), Type.Null()]),
    version: nat,
  },
  { description: 'A trusted issuer: its configuration and its keys by id (public facts only)' },
);

const signInErrors = {
  ...inputErrors,
  401: errorRef('The ID token, its nonce or its issuer was refused (the message says which rule)'),
  415: errorRef('The body is not application/json'),
  503: errorRef('The issuer’s keys could not be fetched'),
  ...rateLimited,
};

/**
 * Platform sign-in with OpenID Connect over HTTP: a player's client asks for a nonce, has the
 * platform's identity provider put it in an ID token, and exchanges the token for a Verity session.
 * Trusted issuers are managed by principals whose token was granted `issuer.manage` (never implied
 * by a role), as the policies decide; every change is audited.
 */
/** `limit`: the per-address hook of the public routes that write to the log (nonce, sign-in). */
export function registerOidcRoutes(
  app: App,
  o: OidcRoutesOptions,
  gate: Gate,
  limit: (req: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  const { authenticate, principalOf, decide, decided } = gate;
  const secured = { security: [{ bearer: [] }] };

  app.post(
    '/v1/signin/oidc/nonce',
    {
      onRequest: limit,
      schema: {
        summary:
          'Get a nonce for signing in with OpenID Connect: pass it to the identity provider as the authentication request’s `nonce`; it is used once, within minutes',
        body: body({ issuer: Type.Optional(IssuerName) }),
        response: {
          201: Type.Object(
            { nonce: Type.String(), expiresAt: Type.Integer({ description: 'Milliseconds since the epoch' }) },
            { description: 'The nonce and when it expires' },
          ),
          ...signInErrors,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await o.signIn.nonce(req.body.issuer)),
  );

  app.post(
    '/v1/signin/oidc',
    {
      onRequest: limit,
      schema: {
        summary:
          'Sign a player in with an ID token from a trusted issuer (OpenID Connect Core 3.1.3.7 validation; its `nonce` must be one Verity issued). The session reaches the player’s own records only, and ends once the issuer is removed. The default way players get a session',
        body: body({
          issuer: IssuerName,
          idToken: Type.String({ minLength: 1, maxLength: MAX_ID_TOKEN_LENGTH }),
          ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
        }),
        response: {
          201: Type.Object(
            {
              id: Type.String({ description: 'The session id' }),
              token: Type.String({ description: 'The session token: send it as `Authorization: Bearer TOKEN`' }),
              expiresAt: Type.Integer({
                description: 'Milliseconds since the epoch (never after the ID token’s `exp`)',
              }),
              issuer: Type.String(),
              player: Type.String({ description: 'The player id records are kept under: `<namespace>:<sub>`' }),
            },
            { description: 'The session' },
          ),
          ...signInErrors,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const s = await o.signIn.signIn(b.issuer, b.idToken, b.ttlSeconds, signInContext(req));
      return reply
        .code(201)
        .send({ id: s.id, token: s.token, expiresAt: s.expiresAt, issuer: s.issuer, player: s.player });
    },
  );

  app.get(
    '/v1/issuers',
    {
      schema: {
        summary: 'The trusted issuers (with `all=true`, removed ones too). Needs a token granted `issuer.manage`',
        ...secured,
        querystring: Type.Object({ all: Type.Optional(Type.Enum(['true', 'false'])) }, { additionalProperties: false }),
        response: { 200: ok(Type.Array(IssuerInfo), 'The issuers, by name'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await (await decide(p, 'manageIssuers', { kind: 'issuer', id: '*' }, 'issuers', PURPOSE)).logged;
      return o.issuers.list(req.query.all === 'true');
    },
  );

  app.post(
    '/v1/issuers',
    {
      schema: {
        summary:
          'Trust an identity provider for sign-in: its issuer identifier, Verity’s client id there, the algorithms it signs with, and its keys (`jwks`) or where to fetch them (`jwksUri`). Needs a token granted `issuer.manage`',
        ...secured,
        body: body({
          name: IssuerName,
          issuer: Text(512, 'The issuer identifier, compared exactly with `iss`'),
          clientId: Text(256, 'Verity’s client id at the issuer (`aud` must contain it)'),
          algorithms: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { minItems: 1, maxItems: 16 })),
          jwks: Type.Optional(JsonObject),
          jwksUri: Type.Optional(Text(512, 'https URL of its JWK Set')),
          trustedAudiences: Type.Optional(Type.Array(Text(256, 'Another audience'), { maxItems: 16 })),
          subjectClaim: Type.Optional(Text(64, 'The claim naming the player (default sub)')),
          namespace: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,15}$' })),
          clockSkewSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 300 })),
          maxTokenAgeSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 3600 })),
          jwksMaxAgeSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
          jwksMinRefetchSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
        }),
        response: { 201: ok(IssuerInfo, 'The issuer is trusted'), ...bodyErrors, 409: errorRef('The name is taken') },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const input = req.body as IssuerInput;
      const r = await decided(
        p,
        'manageIssuers',
        { kind: 'issuer', id: input.name },
        `issuer:${input.name}`,
        PURPOSE,
        (policy) => o.issuers.add(input, { actor: p.actor, purpose: PURPOSE, policy }),
      );
      return reply.code(201).send(r);
    },
  );

  const params = Type.Object({ name: IssuerName }, { additionalProperties: false });

  app.get(
    '/v1/issuers/:name',
    {
      schema: {
        summary: 'One issuer (a removed one too). Needs a token granted `issuer.manage`',
        ...secured,
        params,
        response: { 200: ok(IssuerInfo, 'The issuer'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { name } = req.params;
      await (await decide(p, 'manageIssuers', { kind: 'issuer', id: name }, `issuer:${name}`, PURPOSE)).logged;
      const i = await o.issuers.get(name);
      if (i === undefined)
        throw new VerityError(
          'VERITY_E_OIDC_ISSUER_NOT_FOUND',
          `there is no issuer \`${name}\`; GET /v1/issuers lists them`,
        );
      return i;
    },
  );

  app.delete(
    '/v1/issuers/:name',
    {
      schema: {
        summary:
          'Stop trusting an issuer: every session it signed in is refused from the next request on, on every node, and revoked. Needs a token granted `issuer.manage`',
        ...secured,
        params,
        response: {
          200: ok(Type.Object({ revokedSessions: nat }), 'The issuer is removed; how many sessions were revoked'),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { name } = req.params;
      return decided(p, 'manageIssuers', { kind: 'issuer', id: name }, `issuer:${name}`, PURPOSE, (policy) =>
        o.issuers.remove(name, { actor: p.actor, purpose: PURPOSE, policy }),
      );
    },
  );

  app.post(
    '/v1/issuers/:name/keys',
    {
      schema: {
        summary:
          'Rotate an issuer’s keys: replace the JWK Set it was given (`jwks`), or fetch its `jwksUri` now (empty body). A key left out is refused from then on. Needs a token granted `issuer.manage`',
        ...secured,
        params,
        body: body({ jwks: Type.Optional(JsonObject) }),
        response: { 200: ok(IssuerInfo, 'The issuer with its new keys'), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { name } = req.params;
      return decided(p, 'manageIssuers', { kind: 'issuer', id: name }, `issuer:${name}`, PURPOSE, (policy) =>
        o.issuers.rotate(name, req.body.jwks, { actor: p.actor, purpose: PURPOSE, policy }),
      );
    },
  );
}
