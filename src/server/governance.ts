import type { FastifyReply, FastifyRequest } from 'fastify';
import { GovernanceError } from '../errors/index.ts';
import { CHOICES, type Governance, type GovernanceAccess, type Role } from '../governance/index.ts';
import type { Assessment, AssessmentSources } from '../oscal/index.ts';
import { assess, oscalCatalog } from '../oscal/index.ts';
import type { Capability } from '../principals/index.ts';
import { type Gate, notGranted, type Principal } from './gate.ts';
import { type App, authErrors, body, bodyErrors, inputErrors } from './schemas.ts';
import { Type } from './typebox.ts';

const ProposalId = Type.String({ pattern: '^gp_[A-Za-z0-9_-]{22}$' });
const FeedbackId = Type.String({ pattern: '^fb_[A-Za-z0-9_-]{22}$' });
const Answer = Type.Unsafe<object>({ type: 'object' });
const idParams = Type.Object({ id: ProposalId }, { additionalProperties: false });

/** Logs a refusal for want of a capability and answers 403 (as the rights routes do). */
async function refuse(gate: Gate, p: Principal, cap: Capability, label: string, purpose: string): Promise<never> {
  await gate.logOutcome(p, label, purpose, 'denied', { action: cap, decision: 'deny' });
  throw new GovernanceError(
    'VERITY_E_GOVERNANCE_ROLE',
    p.role === 'player'
      ? `a player session cannot ${cap === 'compliance.read' ? 'read compliance evidence' : 'act for the operator'}`
      : notGranted(p, cap),
  );
}

/**
 * Community governance over HTTP (FGMV-46 7.4.3, 7.4.5). Reading the governance document, the
 * proposals and a tally's evidence is public: results are published with their proofs. Players act
 * with their session (their role is `creator` when they hold a verified-creator credential); a
 * partner platform with a service token granted `governance.partner`; the operator with an operator
 * token granted `governance.operate`. A vote is cast by a player signed in with a passkey, or,
 * without a bearer token, by presenting a membership credential (limited per address, like sign-ins).
 */
export function registerGovernanceRoutes(
  app: App,
  governance: Governance,
  gate: Gate,
  limit: (req: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };

  /** The stakeholder role the caller speaks in, or a logged refusal. */
  const roleOf = async (p: Principal, label: string): Promise<GovernanceAccess> => {
    if (p.role === 'player') return { actor: p.actor, role: await governance.playerRole(p.name) };
    if (p.role === 'service' && p.capabilities.includes('governance.partner'))
      return { actor: p.actor, role: 'partner' };
    if (p.role === 'operator' && p.capabilities.includes('governance.operate'))
      return { actor: p.actor, role: 'operator' satisfies Role };
    return refuse(gate, p, p.role === 'service' ? 'governance.partner' : 'governance.operate', label, 'governance');
  };

  app.get(
    '/v1/governance',
    {
      schema: {
        summary:
          'The governance document in force: stakeholder roles and their rights, voting period, quorum, majority, timelock, and its hash',
        response: { 200: Answer },
      },
    },
    async () => governance.document,
  );

  app.get(
    '/v1/governance/policy',
    {
      schema: {
        summary:
          'The privacy policy in force, which proposals change: its version, hash and document, and the log entry that put it in force with the proposal that enacted it (public)',
        response: { 200: Answer },
      },
    },
    async () => governance.policyInForce(),
  );

  app.post(
    '/v1/governance/feedback',
    {
      schema: {
        summary:
          'Give feedback on the data policies: `topic` is `general`, a purpose or data category of the privacy policy, or `proposal:ID`. The text stays in the state; the log holds a salted commitment to it',
        ...secured,
        body: body({
          topic: Type.String({ minLength: 1, maxLength: 80 }),
          text: Type.String({ minLength: 1, maxLength: 4000 }),
        }),
        response: { 201: Answer, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const access = await roleOf(principalOf(req), 'governance:feedback');
      return reply.code(201).send(await governance.feedback(req.body, access));
    },
  );

  app.get(
    '/v1/governance/feedback',
    {
      schema: {
        summary: 'Feedback given, by id (any stakeholder: a player session, a partner or the operator)',
        ...secured,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), after: Type.Optional(FeedbackId) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Answer), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await roleOf(principalOf(req), 'governance:feedback');
      const q = req.query;
      return governance.feedbackList({
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.after === undefined ? {} : { after: q.after }),
      });
    },
  );

  app.post(
    '/v1/governance/proposals',
    {
      schema: {
        summary:
          'Propose a new privacy policy version (the whole document, checked now): voting opens at once for the period the governance document sets. Creators, partners and the operator propose',
        ...secured,
        body: body({
          title: Type.String({ minLength: 1, maxLength: 200 }),
          rationale: Type.String({ minLength: 1, maxLength: 4000 }),
          policy: Type.Unsafe<object>({ type: 'object' }),
        }),
        response: { 201: Answer, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const access = await roleOf(principalOf(req), 'governance:proposal');
      return reply.code(201).send(await governance.propose(req.body, access));
    },
  );

  app.get(
    '/v1/governance/proposals',
    {
      schema: {
        summary: 'Proposals, by id (public)',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(['open', 'adopted', 'rejected', 'cancelled', 'enacted'])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            after: Type.Optional(ProposalId),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Answer), ...inputErrors },
      },
    },
    async (req) => {
      const q = req.query;
      return governance.list({
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.after === undefined ? {} : { after: q.after }),
      });
    },
  );

  app.get(
    '/v1/governance/proposals/:id',
    {
      schema: {
        summary: 'One proposal and where it stands, with the privacy policy document it would enact (public)',
        params: idParams,
        response: { 200: Answer, ...inputErrors },
      },
    },
    async (req) => {
      const p = await governance.get(req.params.id);
      return { ...p, change: { ...p.change, document: JSON.parse(await governance.change(p.id)) as object } };
    },
  );

  app.get(
    '/v1/governance/proposals/:id/tally',
    {
      schema: {
        summary:
          "A tally's evidence (public): the proposal's, every vote's and the tally's log entries, each with its inclusion proof against one signed checkpoint; recount it with `verifyTally` or `verity governance verify-tally`",
        params: idParams,
        response: { 200: Answer, ...inputErrors },
      },
    },
    async (req) => governance.evidence(req.params.id),
  );

  app.post(
    '/v1/governance/proposals/:id/votes',
    {
      schema: {
        summary:
          'Vote yes, no or abstain, once per person: with a player session signed in with a passkey, or without a bearer token by presenting a membership credential (SD-JWT VC with key binding, nonce `governance-vote:ID:CHOICE`). The log names the voter by a per-proposal pseudonym',
        ...secured,
        params: idParams,
        body: body({
          choice: Type.Enum([...CHOICES]),
          presentation: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
        }),
        response: { 201: Answer, ...bodyErrors },
      },
      onRequest: async (req, reply) => {
        if (req.headers.authorization !== undefined) await authenticate(req);
        else await limit(req, reply);
      },
    },
    async (req, reply) => {
      const { choice, presentation } = req.body;
      const p = req.principal;
      let r: Awaited<ReturnType<Governance['vote']>>;
      if (p === undefined) {
        if (presentation === undefined) {
          await governance.refusedVote(req.params.id, 'holder:membership', 'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED');
          throw new GovernanceError(
            'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
            'send a player session signed in with a passkey, or a membership credential in `presentation`',
          );
        }
        r = await governance.vote(req.params.id, choice, { kind: 'credential', presentation }, 'holder:membership');
      } else if (p.role === 'player') {
        r =
          presentation === undefined
            ? await governance.vote(
                req.params.id,
                choice,
                { kind: 'session', subjectRef: p.name, method: p.method, actor: p.actor },
                p.actor,
              )
            : await governance.vote(req.params.id, choice, { kind: 'credential', presentation }, p.actor);
      } else {
        await governance.refusedVote(req.params.id, p.actor, 'VERITY_E_GOVERNANCE_ROLE');
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_ROLE',
          'votes are cast by people (players and creators); partner platforms and the operator do not vote',
        );
      }
      return reply.code(201).send(r);
    },
  );

  const operatorStep = (
    path: string,
    summary: string,
    run: (id: string, access: GovernanceAccess, b: { reason?: string }) => Promise<object>,
    withReason = false,
  ) =>
    app.post(
      path,
      {
        schema: {
          summary,
          ...secured,
          params: idParams,
          ...(withReason ? { body: body({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }) } : {}),
          response: { 200: Answer, ...bodyErrors },
        },
        onRequest: authenticate,
      },
      async (req) => {
        const access = await roleOf(principalOf(req), `governance:${(req.params as { id: string }).id}`);
        return run((req.params as { id: string }).id, access, (req.body ?? {}) as { reason?: string });
      },
    );

  operatorStep(
    '/v1/governance/proposals/:id/close',
    'Close voting once the period is over and publish the tally (adopted proposals enter their timelock). The operator',
    (id, access) => governance.close(id, access),
  );
  operatorStep(
    '/v1/governance/proposals/:id/cancel',
    'Cancel an adopted proposal during its timelock, with a reason (kept in the state, its hash logged). The operator',
    (id, access, b) => governance.cancel(id, b.reason ?? '', access),
    true,
  );
  operatorStep(
    '/v1/governance/proposals/:id/enact',
    'Enact an adopted proposal after its timelock: its privacy policy version is installed and put in force. The operator',
    (id, access) => governance.enact(id, access),
  );
}

/**
 * Compliance evidence (FGMV-46 7.4.4): OSCAL assessment results of the automated checks, run
 * against the live store on each request, and the control catalog they assess. Tokens granted
 * `compliance.read` (auditors, operators), never a player.
 */
export function registerComplianceRoutes(app: App, sources: AssessmentSources, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const secured = { security: [{ bearer: [] }] };
  const need = async (p: Principal, label: string) => {
    if (p.role !== 'player' && p.capabilities.includes('compliance.read')) return;
    await refuse(gate, p, 'compliance.read', label, 'accountability');
  };

  app.get(
    '/v1/compliance/oscal',
    {
      schema: {
        summary:
          "Compliance evidence as NIST OSCAL assessment results: Verity's automated checks (log and state map verification, witnesses, key age, privacy policy, rights deadlines, breach notifications, retention, governance) run now against the live store, one finding per control of the catalog, each observation with its evidence proven against the signed checkpoint in the back matter. `full=true` rebuilds the whole log (slow on large logs). Tokens granted `compliance.read`",
        ...secured,
        querystring: Type.Object(
          { full: Type.Optional(Type.Enum(['true', 'false'])) },
          { additionalProperties: false },
        ),
        response: { 200: Answer, ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      await need(p, 'compliance:oscal');
      const a: Assessment = await assess(sources, { actor: p.actor, full: req.query.full === 'true' });
      return reply.header('verity-log-index', String(a.logIndex)).send(a.document);
    },
  );

  app.get(
    '/v1/compliance/catalog',
    {
      schema: {
        summary:
          'The control catalog as an OSCAL catalog: FGMV-46 clauses and GDPR and CCPA/CPRA articles, each naming the checks that assess it. Tokens granted `compliance.read`',
        ...secured,
        response: { 200: Answer, ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'compliance:catalog');
      return oscalCatalog(new Date(gate.clock.now()).toISOString());
    },
  );
}
