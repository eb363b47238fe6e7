import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TString } from 'typebox';
import { VerityError } from '../errors/index.ts';
import { isTicket, type Passkeys, type Registrant } from '../passkeys/index.ts';
import type { Vault } from '../vault/index.ts';
import { type Gate, signInContext } from './gate.ts';
import { type App, authErrors, body, bodyErrors, inputErrors, ok, Purpose, rateLimited, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

const s = (maxLength: number) => Type.String({ maxLength });
const b64u = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*={0,2}$' });
const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: 'object' });
const CredentialId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,512}$' });
const SessionId = Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' });

/** A PublicKeyCredential as `toJSON()` gives it (WebAuthn Level 3 5.1.8), with size limits. */
const Credential = Type.Object(
  {
    id: b64u(1400),
    rawId: b64u(1400),
    type: Type.Literal('public-key'),
    authenticatorAttachment: Type.Optional(s(32)),
    clientExtensionResults: AnyObject,
    response: Type.Object(
      {
        clientDataJSON: b64u(8192),
        attestationObject: Type.Optional(b64u(65_536)),
        authenticatorData: Type.Optional(b64u(65_536)),
        signature: Type.Optional(b64u(2048)),
        userHandle: Type.Optional(b64u(512)),
        transports: Type.Optional(Type.Array(s(32), { maxItems: 8 })),
        publicKey: Type.Optional(b64u(4096)),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const Options = ok(AnyObject, 'WebAuthn options for navigator.credentials (JSON form)');
const Session = Type.Object({ id: Type.String(), token: Type.String(), expiresAt: Type.Integer() });
const secured = { security: [{ bearer: [] }] };

/**
 * Passkeys over HTTP. Sign-in routes are public (the assertion is the credential); the others act
 * for the player of the calling session, on that player's own passkeys and sessions only (checked
 * by ownership here: a player manages nothing but their own identity state). The registration
 * routes also take a recovery ticket (`Bearer rcv....`), which no other route accepts.
 */
/**
 * `limit`: the per-address hook of the sign-in routes that write to the log (sign-in, recovery).
 */
export function registerPasskeyRoutes(
  app: App,
  passkeys: Passkeys,
  vault: Vault,
  gate: Gate,
  limit: (req: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  const { authenticate, principalOf } = gate;
  const registrants = new WeakMap<FastifyRequest, Registrant>();

  /** The calling player's session (service and operator tokens are refused: this is self-service). */
  const player = (req: FastifyRequest) => {
    const p = principalOf(req);
    if (p.role !== 'player')
      throw new VerityError('VERITY_E_ACCESS_DENIED', 'passkeys are managed by the player, with a player session');
    return {
      subjectRef: p.name,
      sessionId: p.sessionId,
      ...(p.method === 'service' && p.openerTokenId !== undefined ? { vouchedBy: p.openerTokenId } : {}),
    };
  };
  /**
   * A session a service vouched for (or one of a passkey enrolled in such a session) manages only
   * what that service's sessions enrolled and opened: not the player's own passkeys, sessions or
   * recovery codes, which the service could otherwise revoke or replace (D432).
   */
  const within = (who: { vouchedBy?: string }, enrolledUnder: string | undefined, what: string) => {
    // Where the platform is trusted to enroll passkeys, its sessions manage them too.
    if (passkeys.config.vouchedEnrollment === 'full') return;
    if (who.vouchedBy !== undefined && enrolledUnder !== who.vouchedBy)
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `a session your platform opened for you manages only the ${what} its own sessions enrolled or opened: sign in with a passkey of your own (or your platform's OpenID Connect sign-in) to manage the others`,
      );
  };

  /** A player session or a recovery ticket, before the body is read. */
  const registrant = async (req: FastifyRequest): Promise<void> => {
    const m = /^bearer +(rcv\.\S+) *$/i.exec(req.headers.authorization ?? '');
    if (m !== null && isTicket(m[1] as string)) {
      const ticket = m[1] as string;
      registrants.set(req, { via: 'recovery', subjectRef: await passkeys.ticketHolder(ticket), ticket });
      return;
    }
    await authenticate(req);
    const p = player(req);
    registrants.set(req, { via: 'session', ...p });
  };
  const registrantOf = (req: FastifyRequest): Registrant => {
    const r = registrants.get(req);
    if (r === undefined) throw new VerityError('VERITY_E_UNAUTHENTICATED', 'no session or recovery ticket');
    return r;
  };

  app.post(
    '/v1/passkeys/register/options',
    {
      schema: {
        summary: 'Creation options for a new passkey of the calling player (a player session, or a recovery ticket)',
        ...secured,
        body: body({}),
        response: { 200: Options, ...bodyErrors },
      },
      onRequest: registrant,
    },
    async (req) => passkeys.registrationOptions(registrantOf(req)),
  );

  app.post(
    '/v1/passkeys/register',
    {
      schema: {
        summary:
          'Register the passkey the authenticator made: attestation verified, the authenticator policy applied; the first passkey comes with 10 recovery codes, shown this once',
        ...secured,
        body: body({ credential: Credential, deviceName: Type.Optional(s(64)) }),
        response: {
          201: Type.Object({
            id: Type.String(),
            hardware: Type.Boolean(),
            recoveryCodes: Type.Optional(Type.Array(Type.String())),
          }),
          ...bodyErrors,
          409: authErrors[404],
        },
      },
      onRequest: registrant,
    },
    async (req, reply) => {
      const b = req.body;
      const r = await passkeys.register(
        registrantOf(req),
        b.credential as unknown as RegistrationResponseJSON,
        b.deviceName,
      );
      return reply.code(201).send(r);
    },
  );

  app.post(
    '/v1/signin/passkey/options',
    {
      schema: {
        summary:
          'Request options to sign in with a passkey: discoverable (no list), or restricted to credential ids the client remembers. Writes nothing',
        body: body({ credentialIds: Type.Optional(Type.Array(CredentialId, { maxItems: 16 })) }),
        response: { 200: Options, ...inputErrors },
      },
    },
    async (req) => passkeys.signInOptions(req.body.credentialIds ?? []),
  );

  app.post(
    '/v1/signin/passkey',
    {
      onRequest: limit,
      schema: {
        summary:
          "Sign in with a passkey assertion: a session for the passkey's player, reaching their own records of the sign-in record types; it ends when the passkey is revoked",
        body: body({ credential: Credential, purpose: Type.Optional(Purpose) }),
        response: {
          201: Type.Object({ ...Session.properties, passkey: Type.String() }),
          ...inputErrors,
          401: authErrors[401],
          ...rateLimited,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const r = await passkeys.signIn(
        b.credential as unknown as AuthenticationResponseJSON,
        b.purpose,
        signInContext(req),
      );
      return reply.code(201).send({ id: r.id, token: r.token, expiresAt: r.expiresAt, passkey: r.passkey });
    },
  );

  app.post(
    '/v1/signin/passkey/recover',
    {
      onRequest: limit,
      schema: {
        summary:
          'Spend one recovery code: a ticket (10 minutes) that registers one new passkey through /v1/passkeys/register and is accepted nowhere else',
        body: body({ player: Subject, code: s(64) }),
        response: {
          201: Type.Object({ ticket: Type.String(), expiresAt: Type.Integer() }),
          ...inputErrors,
          401: authErrors[401],
          ...rateLimited,
        },
      },
    },
    async (req, reply) => {
      const subjectRef = await vault.subjectRef(req.body.player);
      return reply.code(201).send(await passkeys.recover(subjectRef, req.body.code));
    },
  );

  app.get(
    '/v1/passkeys',
    {
      schema: {
        summary: "The calling player's passkeys (devices), revoked and flagged ones included",
        ...secured,
        response: { 200: Type.Object({ passkeys: Type.Array(AnyObject) }), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => ({ passkeys: await passkeys.list(player(req).subjectRef) }),
  );

  /**
   * `DELETE path` (`path` ends with `:id`): the calling player revokes one of its own; `{ revoked: true }`.
   * `enrolledUnder`: the token of the service whose session enrolled or opened it, if any.
   */
  const revokeRoute = (
    path: string,
    summary: string,
    id: TString,
    revoke: (subjectRef: string, id: string) => Promise<unknown>,
    enrolledUnder: (id: string) => Promise<string | undefined>,
  ) =>
    app.delete(
      path,
      {
        schema: {
          summary,
          ...secured,
          params: Type.Object({ id }, { additionalProperties: false }),
          response: { 200: Type.Object({ revoked: Type.Boolean() }), ...authErrors },
        },
        onRequest: authenticate,
      },
      async (req) => {
        const who = player(req);
        if (who.vouchedBy !== undefined) within(who, await enrolledUnder(req.params.id), 'passkeys and sessions');
        await revoke(who.subjectRef, req.params.id);
        return { revoked: true };
      },
    );

  revokeRoute(
    '/v1/passkeys/:id',
    'Revoke one of your passkeys: every session it opened ends at its next request, on every node',
    CredentialId,
    (subjectRef, id) => passkeys.revoke(subjectRef, id),
    (id) => passkeys.enrolledUnder(id),
  );

  app.get(
    '/v1/passkeys/sessions',
    {
      schema: {
        summary: 'Your active sessions, with the passkey that opened each',
        ...secured,
        response: { 200: Type.Object({ sessions: Type.Array(AnyObject) }), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => ({ sessions: await passkeys.sessions(player(req)) }),
  );

  revokeRoute(
    '/v1/passkeys/sessions/:id',
    'Revoke one of your sessions',
    SessionId,
    (subjectRef, id) => passkeys.revokeSession(subjectRef, id),
    (id) => passkeys.sessionVouchedBy(id),
  );

  app.post(
    '/v1/passkeys/recovery-codes',
    {
      schema: {
        summary: 'New recovery codes (the old ones stop working), shown this once',
        ...secured,
        body: body({}),
        response: { 201: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const who = player(req);
      within(who, undefined, 'recovery codes');
      return reply.code(201).send({ recoveryCodes: await passkeys.newRecoveryCodes(who.subjectRef) });
    },
  );

  app.post(
    '/v1/passkeys/step-up/options',
    {
      schema: {
        summary: "Request options for a step-up: the session's player's own passkeys, user verification required",
        ...secured,
        body: body({}),
        response: { 200: Options, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => passkeys.stepUpOptions(player(req)),
  );

  app.post(
    '/v1/passkeys/step-up',
    {
      schema: {
        summary:
          'Step up the session with a fresh passkey assertion: the session records when (`session.step-up`), for the policies’ step-up context',
        ...secured,
        body: body({ credential: Credential }),
        response: { 200: Type.Object({ stepUpAt: Type.Integer(), hardware: Type.Boolean() }), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => passkeys.stepUp(player(req), req.body.credential as unknown as AuthenticationResponseJSON),
  );
}
