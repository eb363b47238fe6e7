import type { Action } from '../access/index.ts';
import { VerityError } from '../errors/index.ts';
import type { Capability } from '../principals/index.ts';
import type { Retention } from '../retention/index.ts';
import { REASON_KINDS, RIGHT_TYPES, type Rights, type RightsRequest } from '../rights/index.ts';
import type { Gate, Principal, RecordRoutesOptions } from './gate.ts';
import { type App, authErrors, body, bodyErrors, JsonObject, Purpose, RecordId, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** What the rights endpoints need besides the record endpoints' options. */
export interface RightsRoutesOptions {
  readonly rights: Rights;
  readonly retention: Retention;
}

const RequestId = Type.String({ pattern: '^rr_[A-Za-z0-9_-]{22}$' });
const ProcessorId = Type.String({ pattern: '^prc_[A-Za-z0-9_-]{16}$' });
const Answer = Type.Unsafe<object>({ type: 'object' });
const Reason = body({
  reason: Type.Enum([...REASON_KINDS]),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
});

/** The action a player's own request is decided as (D417). */
const RIGHT_ACTIONS: Record<RightsRequest['type'], Action> = {
  access: 'share',
  portability: 'share',
  rectification: 'write',
  erasure: 'erase',
  restriction: 'erase',
  objection: 'erase',
};

/**
 * Data-subject rights and retention over HTTP. A player files and carries out their own requests
 * with their session (the session is the identity check); a service or operator does so for any
 * subject only with a token granted `rights.manage` (recording how it verified the requester), and
 * alone extends and refuses requests; `processor.manage` registers processors; `retention.run` runs
 * retention. Capabilities are checked here, granted explicitly, never implied by a role; a refusal
 * is logged. Processors acknowledge notifications with requests signed by their webhook secret.
 */
export function registerRightsRoutes(app: App, o: RecordRoutesOptions, r: RightsRoutesOptions, gate: Gate): void {
  const { authenticate, principalOf, refuseWithout, decide, ownerOf, logRuleDenial, refuseByRule } = gate;
  const { rights, retention } = r;
  const secured = { security: [{ bearer: [] }] };

  /** Refuses (and logs) a caller whose token lacks `cap`. */
  const need = async (p: Principal, cap: Capability, label: string): Promise<void> => {
    if (p.role !== 'player' && p.capabilities.includes(cap)) return;
    await refuseWithout(p, cap, label, 'data-subject-rights');
  };

  /**
   * Whether a player's session sees a request of theirs: a player who signed in themselves sees
   * every one; a session a service opened only those its opener's sessions filed, not the
   * controller's nor another service's, whose scopes, identity checks and evidence name records
   * and work beyond its opener's (D426).
   */
  const filedWithin = (p: Principal & { role: 'player' }, r: RightsRequest): boolean =>
    p.method !== 'service' || (p.openedBy !== undefined && r.vouchedBy === p.openedBy);

  /** A request the caller may see: a player only their own (others' are "not found"). */
  const visible = async (p: Principal, id: string): Promise<RightsRequest> => {
    const req = await rights.requests.get(id);
    if (p.role === 'player') {
      if (req.subjectRef !== p.name || !filedWithin(p, req))
        throw new VerityError('VERITY_E_RIGHTS_REQUEST_NOT_FOUND', 'there is no such rights request of yours');
      return req;
    }
    await need(p, 'rights.manage', `rights:${id}`);
    return req;
  };

  app.post(
    '/v1/rights/requests',
    {
      schema: {
        summary:
          'File a data-subject request (access, portability, rectification, erasure, restriction, objection): answered with its legal deadline. A player files their own with their session; a token granted `rights.manage` files for `subject`, recording how it verified the requester',
        ...secured,
        body: body({
          type: Type.Enum([...RIGHT_TYPES]),
          subject: Type.Optional(Subject),
          regime: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' })),
          identity: Type.Optional(
            body({
              evidenceKind: Type.String({ maxLength: 32 }),
              evidenceRef: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
            }),
          ),
          scope: Type.Optional(
            body({
              purposes: Type.Optional(Type.Array(Purpose, { maxItems: 16 })),
              records: Type.Optional(Type.Array(RecordId, { maxItems: 1000 })),
            }),
          ),
        }),
        response: { 201: Answer, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      let subjectRef: string;
      let identity: Parameters<Rights['file']>[0]['identity'];
      if (p.role === 'player') {
        if (b.subject !== undefined)
          throw new VerityError(
            'VERITY_E_ACCESS_DENIED',
            'a player files requests about themselves only: omit `subject`',
          );
        subjectRef = p.name;
        identity = { method: 'session' };
      } else {
        await need(p, 'rights.manage', 'rights:new');
        if (b.subject === undefined || b.identity === undefined)
          throw new VerityError(
            'VERITY_E_INPUT_INVALID',
            'give `subject` and `identity` ({evidenceKind, evidenceRef?}: how the requester was verified)',
          );
        subjectRef = await o.vault.subjectRef(b.subject);
        identity = {
          method: 'operator',
          evidenceKind: b.identity.evidenceKind,
          ...(b.identity.evidenceRef === undefined ? {} : { evidenceRef: b.identity.evidenceRef }),
        };
      }
      const filed = await rights.file({
        type: b.type,
        subjectRef,
        identity,
        actor: p.actor,
        ...(p.role === 'player' && p.openedBy !== undefined ? { vouchedBy: p.openedBy } : {}),
        ...(b.regime === undefined ? {} : { regime: b.regime }),
        ...(b.scope === undefined ? {} : { scope: b.scope }),
      });
      return reply.code(201).send(filed);
    },
  );

  app.get(
    '/v1/rights/requests',
    {
      schema: {
        summary:
          'List requests (`rights.manage`): all, or only the overdue ones (open past their deadline); a player lists their own',
        ...secured,
        querystring: Type.Object(
          { overdue: Type.Optional(Type.Enum(['true', 'false'])) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Answer), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      if (p.role === 'player')
        return (await rights.requests.list({ subjectRef: p.name, limit: 1000 })).filter((r) => filedWithin(p, r));
      await need(p, 'rights.manage', 'rights:list');
      return req.query.overdue === 'true' ? rights.requests.overdue() : rights.requests.list({ limit: 1000 });
    },
  );

  const idParams = Type.Object({ id: RequestId }, { additionalProperties: false });

  app.get(
    '/v1/rights/requests/:id',
    {
      schema: {
        summary: 'A request: status, deadline, extensions, identity check, completion evidence (log indices)',
        ...secured,
        params: idParams,
        response: { 200: Answer, ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const found = await visible(p, req.params.id);
      return { ...found, notifications: await rights.processors.notificationsOf(found.id) };
    },
  );

  for (const op of ['extend', 'refuse'] as const)
    app.post(
      `/v1/rights/requests/:id/${op}`,
      {
        schema: {
          summary:
            op === 'extend'
              ? 'Extend the deadline as the regime allows (GDPR: two more months; CCPA: 45 more days, once), for a logged reason (`rights.manage`)'
              : 'Refuse a request for a logged reason (`rights.manage`)',
          ...secured,
          params: idParams,
          body: Reason,
          response: { 200: Answer, ...bodyErrors },
        },
        onRequest: authenticate,
      },
      async (req) => {
        const p = principalOf(req);
        await need(p, 'rights.manage', `rights:${req.params.id}`);
        return rights.requests[op](req.params.id, req.body, p.actor);
      },
    );

  app.post(
    '/v1/rights/requests/:id/execute',
    {
      schema: {
        summary:
          "Carry a request out and complete it: access (export and summary), portability (a signed bundle), rectification (`corrections`), erasure (`mode`: shred or records; `records`, else the request's `scope.records`, erases only those and shreds nothing; answered with each tombstone's state proof), restriction (`records`), objection (`purposes`). The subject (session) or `rights.manage`",
        ...secured,
        params: idParams,
        body: body({
          corrections: Type.Optional(
            Type.Array(body({ id: RecordId, data: JsonObject }), { minItems: 1, maxItems: 100 }),
          ),
          mode: Type.Optional(Type.Enum(['shred', 'records'])),
          purposes: Type.Optional(Type.Array(Purpose, { minItems: 1, maxItems: 16 })),
          records: Type.Optional(Type.Array(RecordId, { maxItems: 1000 })),
        }),
        response: { 200: Answer, ...bodyErrors },
      },
      bodyLimit: 8 * 1024 * 1024,
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const request = await visible(p, req.params.id);
      if (p.role !== 'player') return rights.execute(req.params.id, req.body, { actor: p.actor });
      // A player's own request is decided by the policies (D417): exports as `share`, corrections as
      // `write`, erasure, restriction and objection as `erase`, each on the player's own subject for
      // `user-request`. The risk policies apply: exports and erasures are scored on this request
      // (a stolen session from another device steps up first). A session reveals and changes no
      // more of the player's records than its opener reaches; one a service vouched for erases and
      // restricts only those, and objects to nothing.
      const caller = {
        actor: p.actor,
        recordTypes: p.recordTypes,
        ...(p.method === 'service' ? { vouched: true } : {}),
      };
      const label = `rights:${req.params.id}`;
      const action = RIGHT_ACTIONS[request.type];
      try {
        await rights.refuseOutOfReach(req.params.id, req.body, caller);
      } catch (e) {
        // A vouched session's reach is Verity's rule: refused before any decision, logged as a denial.
        await logRuleDenial(p, action, label, 'user-request');
        throw e;
      }
      const { logged } = await decide(
        p,
        action,
        { kind: 'subject', owner: await ownerOf(p.name) },
        label,
        'user-request',
      );
      await logged;
      return rights.execute(req.params.id, req.body, caller);
    },
  );

  /** The subject a limits route is about: a player's own (no `subject`), else `rights.manage` and `subject`. */
  const limitsSubject = async (p: Principal, subject: string | undefined, label: string): Promise<string> => {
    if (p.role === 'player') {
      if (subject !== undefined)
        throw new VerityError(
          'VERITY_E_ACCESS_DENIED',
          'a player sees and lifts their own limits only: omit `subject`',
        );
      return p.name;
    }
    await need(p, 'rights.manage', label);
    if (subject === undefined) throw new VerityError('VERITY_E_INPUT_INVALID', 'give `subject`');
    return o.vault.subjectRef(subject);
  };

  app.get(
    '/v1/rights/limits',
    {
      schema: {
        summary:
          "The limits in force for a subject (records restricted, purposes objected to, the requests that set them) and the lifts that ended earlier ones: a player's own with their session, any subject's with `rights.manage`",
        ...secured,
        querystring: Type.Object({ subject: Type.Optional(Subject) }, { additionalProperties: false }),
        response: { 200: Answer, ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const limits = await rights.limitsOf(await limitsSubject(p, req.query.subject, 'rights:limits'));
      if (p.role !== 'player' || p.method !== 'service') return limits;
      // A session a service opened sees the restrictions of its opener's record types and the lifts
      // of those only; objections bind every service, so it sees them (D417).
      const types = new Map<string, string>();
      for (const id of new Set([...limits.restricted, ...limits.lifts.flatMap((l) => l.records)]))
        types.set(id, (await o.vault.describe(id))?.type ?? '');
      const reached = (id: string) => p.recordTypes.includes(types.get(id) ?? '');
      return {
        ...limits,
        restricted: limits.restricted.filter(reached),
        lifts: limits.lifts.filter((l) => l.purposes.length === 0 && l.records.every(reached)),
      };
    },
  );

  app.post(
    '/v1/rights/limits/lift',
    {
      schema: {
        summary:
          'Lift a restriction of `records` (GDPR Art. 18(3)) and/or withdraw an objection to `purposes` (Art. 21), for a `reason` (the log keeps a salted commitment of it): the subject with their session, or `rights.manage` for `subject`, giving `informedAt` (when the subject was told) to lift a restriction. Processors are notified (`rights.lift`)',
        ...secured,
        body: body({
          subject: Type.Optional(Subject),
          records: Type.Optional(Type.Array(RecordId, { minItems: 1, maxItems: 1000 })),
          purposes: Type.Optional(Type.Array(Purpose, { minItems: 1, maxItems: 16 })),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
          informedAt: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'RFC 3339 date-time' })),
        }),
        response: { 200: Answer, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const subjectRef = await limitsSubject(p, b.subject, 'rights:lift');
      // A session a service opened lifts what it may set (D417): restrictions of its opener's
      // record types, never an objection, which would restart every service's processing.
      if (p.role === 'player' && p.method === 'service') {
        const others =
          (b.purposes?.length ?? 0) > 0 ||
          (await Promise.all((b.records ?? []).map(async (id) => (await o.vault.describe(id))?.type ?? ''))).some(
            (t) => !p.recordTypes.includes(t),
          );
        if (others) {
          await refuseByRule(
            p,
            'erase',
            'rights:lift',
            'user-request',
            "a session a service opened lifts restrictions of that service's record types only, and no objection: the player signs in themselves (passkey or their platform's OpenID Connect sign-in), or a token granted `rights.manage` lifts it",
          );
        }
      }
      return rights.lift(
        {
          subjectRef,
          by: p.role === 'player' ? 'subject' : 'controller',
          reason: b.reason,
          ...(b.records === undefined ? {} : { records: b.records }),
          ...(b.purposes === undefined ? {} : { purposes: b.purposes }),
          ...(b.informedAt === undefined ? {} : { informedAt: b.informedAt }),
        },
        p.actor,
      );
    },
  );

  app.get(
    '/v1/rights/export-key',
    {
      schema: {
        summary:
          'The public key (JWK, Ed25519) portability bundles are signed with: an importing Verity needs it, obtained from a source it trusts',
      },
    },
    async () => rights.exportKey(),
  );

  app.post(
    '/v1/rights/import',
    {
      schema: {
        summary:
          "Import another Verity's portability bundle for a subject of this one (`rights.manage`): the signature, every inclusion proof and content commitment are verified first; nothing is written from a bundle that fails",
        ...secured,
        body: body({
          bundle: Type.String({ maxLength: 32 * 1024 * 1024 }),
          exporterKey: body({
            kty: Type.Literal('OKP'),
            crv: Type.Literal('Ed25519'),
            x: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
          }),
          subject: Subject,
          purpose: Purpose,
        }),
        response: { 200: Answer, ...bodyErrors },
      },
      bodyLimit: 33 * 1024 * 1024,
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await need(p, 'rights.manage', 'rights:import');
      const b = req.body;
      return rights.importBundle(b.bundle, {
        exporterKey: b.exporterKey,
        subject: b.subject,
        purpose: b.purpose,
        actor: p.actor,
      });
    },
  );

  app.post(
    '/v1/rights/processors',
    {
      schema: {
        summary:
          'Register a processor and its webhook URL (`processor.manage`): answered once with its Standard Webhooks secret (`whsec_...`)',
        ...secured,
        body: body({
          name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
          url: Type.String({ maxLength: 2048 }),
        }),
        response: { 201: Answer, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      await need(p, 'processor.manage', 'processor:new');
      return reply.code(201).send(await rights.processors.register(req.body, p.actor));
    },
  );

  app.get(
    '/v1/rights/processors',
    {
      schema: {
        summary: 'The live processors (`processor.manage`)',
        ...secured,
        response: { 200: Type.Array(Answer), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await need(principalOf(req), 'processor.manage', 'processor:list');
      return (await rights.processors.list()).map(({ nonce: _n, ...p }) => p);
    },
  );

  app.delete(
    '/v1/rights/processors/:id',
    {
      schema: {
        summary: 'Remove a processor (`processor.manage`): it gets no more notifications',
        ...secured,
        params: Type.Object({ id: ProcessorId }, { additionalProperties: false }),
        response: { 200: Answer, ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await need(p, 'processor.manage', `processor:${req.params.id}`);
      await rights.processors.remove(req.params.id, p.actor);
      return { removed: req.params.id };
    },
  );

  app.post(
    '/v1/retention/run',
    {
      schema: {
        summary:
          'Run retention now (`retention.run`): erase or anonymize what has run out; with `dryRun`, only report what would happen',
        ...secured,
        body: body({
          dryRun: Type.Optional(Type.Boolean()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
        }),
        response: { 200: Answer, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await need(p, 'retention.run', 'retention:run');
      return retention.run({
        ...(req.body.dryRun === undefined ? {} : { dryRun: req.body.dryRun }),
        ...(req.body.limit === undefined ? {} : { limit: req.body.limit }),
      });
    },
  );

  // The acknowledgement is verified over the exact bytes sent: this scope reads JSON bodies as text.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 4096 }, (_req, text, done) =>
      done(null, text),
    );
    scope.post(
      '/v1/rights/processors/:id/ack',
      {
        schema: {
          summary:
            'A processor acknowledges a notification: `{"notification": "msg_..."}` signed as Standard Webhooks describe (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with its own secret; recorded and logged',
          params: Type.Object({ id: ProcessorId }, { additionalProperties: false }),
        },
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const n = await rights.processors.acknowledge(id, req.headers, req.body as string);
        return { notification: n.id, status: n.status, acknowledgedAt: n.acknowledgedAt };
      },
    );
  });
}
