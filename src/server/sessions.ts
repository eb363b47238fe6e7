import { ABSENT_OWNER, type ResourceRef } from '../access/index.ts';
import { InputError, isVerityError, quote, VerityError } from '../errors/index.ts';
import type { Sessions } from '../principals/index.ts';
import type { SessionRow } from '../store/index.ts';
import type { Gate, RecordRoutesOptions } from './gate.ts';
import { type App, authErrors, body, bodyErrors, nat, ok, Purpose, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** What a revocation is done for, in the audit trail and the policies' context. */
const PURPOSE = 'security';
/** Stands for the opener of a session that does not exist (no principal name has a colon). */
const NO_OPENER = ':absent';

const SessionId = Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' });
const TokenId = Type.String({ pattern: '^tok_[A-Za-z0-9_-]{12}$' });

/** A session as the policies see it: whose it is and which service opened it. */
function sessionResource(id: string, r: Pick<SessionRow, 'subjectRef' | 'opener'> | undefined): ResourceRef {
  if (r === undefined) return { kind: 'session', id, owner: ABSENT_OWNER, openedBy: NO_OPENER };
  // Sessions are opened by services only (`service:NAME`).
  const openedBy = r.opener.startsWith('service:') ? r.opener.slice('service:'.length) : NO_OPENER;
  return { kind: 'session', id, owner: { id: r.subjectRef }, openedBy };
}

/**
 * Player sessions over HTTP: a platform service granted `session.open` opens one for a player it
 * authenticated; a session is revoked one by one, per player or per opener's token by its opener or
 * by a principal granted `session.revoke` (as the policies decide, session by session). Every
 * opening and revocation is audited; every decision, allow or deny, is logged.
 */
export function registerSessionRoutes(app: App, o: RecordRoutesOptions, sessions: Sessions, gate: Gate): void {
  const { clock, ownerOf, authenticate, principalOf, decide, decided, cedarPrincipal, logOutcome, refuseNamespaced } =
    gate;
  const secured = { security: [{ bearer: [] }] };

  app.post(
    '/v1/sessions',
    {
      schema: {
        summary:
          'Open a short-lived session (EdDSA JWT) for a player the calling service authenticated; players then call with it as their bearer token and reach only their own records of the types the service owns. The default policies allow it only to a service token granted `session.open`, for the purpose `authentication`',
        ...secured,
        body: body({
          player: Subject,
          purpose: Purpose,
          ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
        }),
        response: {
          201: Type.Object(
            {
              id: Type.String({ description: 'The session id (revoke it with DELETE /v1/sessions/{id})' }),
              token: Type.String(),
              expiresAt: Type.Integer({ description: 'Milliseconds since the epoch' }),
            },
            { description: 'The session, its token and when it expires' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      // `acme:bob` is the player an identity provider vouches for: they sign in through it, and a
      // service's word does not make a session for them (D422).
      await refuseNamespaced(p, 'openSession', 'subject:session', b.purpose, b.player);
      const subjectRef = await o.vault.subjectRef(b.player);
      const owner = await ownerOf(subjectRef);
      const s = await decided(p, 'openSession', { kind: 'subject', owner }, 'subject:session', b.purpose, (policy) => {
        if (p.role === 'player')
          throw new VerityError('VERITY_E_ACCESS_DENIED', 'a player session does not open sessions');
        return sessions.open(p, subjectRef, { actor: p.actor, purpose: b.purpose, policy }, b.ttlSeconds);
      });
      return reply.code(201).send({ id: s.id, token: s.token, expiresAt: s.expiresAt });
    },
  );

  const revoked = Type.Object({ revoked: nat }, { description: 'How many sessions were revoked' });

  app.delete(
    '/v1/sessions/:id',
    {
      schema: {
        summary:
          'Revoke a session: the next request made with it is refused (401), on every node. The default policies allow it to the service that opened it and to tokens granted `session.revoke`',
        ...secured,
        params: Type.Object({ id: SessionId }, { additionalProperties: false }),
        response: { 200: ok(revoked, 'The session is revoked'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { id } = req.params;
      const row = await sessions.row(id);
      return decided(p, 'revokeSession', sessionResource(id, row), `session:${id}`, PURPOSE, async (policy) => {
        if (row === undefined || !(await sessions.revoke(id, { actor: p.actor, purpose: PURPOSE, policy })))
          throw new VerityError('VERITY_E_SESSION_NOT_FOUND', `there is no session ${quote(id)}`);
        return { revoked: 1 };
      });
    },
  );

  app.post(
    '/v1/sessions/revoke',
    {
      schema: {
        summary:
          "Revoke a player's active sessions (`subject`) or those one token opened (`opener`), each as the policies allow (by default: its opener, or a token granted `session.revoke`); 403 when none could be revoked",
        ...secured,
        body: body({ subject: Type.Optional(Subject), opener: Type.Optional(TokenId) }),
        response: { 200: ok(revoked, 'How many sessions were revoked'), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      if ((b.subject === undefined) === (b.opener === undefined))
        throw new InputError('VERITY_E_INPUT_INVALID', 'give `subject` or `opener` (a token id), not both');
      const filter =
        b.subject !== undefined
          ? { subjectRef: await o.vault.subjectRef(b.subject) }
          : { openerTokenId: b.opener as string };
      const label = b.subject !== undefined ? 'sessions:subject' : `sessions:opener:${b.opener}`;
      const engine = o.policies();
      const who = cedarPrincipal(p);
      const context = { purpose: PURPOSE, time: clock.now() };
      // One refusal whether or not there were sessions to refuse: its words told a caller that may
      // revoke none whether the player had any (was online), or the token had opened any (D415).
      const refusedAll = () =>
        new VerityError(
          'VERITY_E_ACCESS_DENIED',
          `the policies do not permit ${p.actor} to revokeSession these sessions; their opener, or a token granted \`session.revoke\`, may`,
        );
      const r = await sessions.revokeAll(
        filter,
        { actor: p.actor, purpose: PURPOSE, policy: engine.policyHash },
        (s) => engine.authorize(who, 'revokeSession', sessionResource(s.id, s), context).allowed,
      );
      if (r.revoked.length === 0) {
        // Nothing revoked: decided, and logged, as a session of this player, or of this token's
        // service, that does not exist, whether there were sessions it may not revoke or none, so
        // that a caller who may not revoke them learns nothing about them, from the answer or from
        // the public log's entry (D415).
        const t = b.opener === undefined ? undefined : await o.tokens.get(b.opener);
        const standIn = sessionResource(':none', {
          subjectRef: 'subjectRef' in filter ? filter.subjectRef : ABSENT_OWNER.id,
          opener: t === undefined ? NO_OPENER : `${t.role}:${t.principal}`,
        });
        try {
          await (await decide(p, 'revokeSession', standIn, label, PURPOSE)).logged;
        } catch (e) {
          throw isVerityError(e, 'VERITY_E_ACCESS_DENIED') ? refusedAll() : e;
        }
        if (r.refused === 0) return { revoked: 0 };
      }
      if (r.revoked.length === 0) {
        // Sessions it may not revoke, though the stand-in was allowed: refused as any other.
        await logOutcome(p, label, PURPOSE, 'denied', { action: 'revokeSession', decision: 'deny' }, engine.policyHash);
        throw refusedAll();
      }
      // Some revoked: those it may revoke are what the request was about. The others it may not
      // revoke are left out unmentioned, in the answer and in the public log, which would otherwise
      // tell whether, and how often, the player is signed in elsewhere (D415).
      return { revoked: r.revoked.length };
    },
  );
}
