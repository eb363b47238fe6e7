import type { FastifyRequest } from 'fastify';
import { VerityError } from '../errors/index.ts';
import type { IncidentRegister } from '../incidents/index.ts';
import {
  type AccessReports,
  type LabelPolicy,
  type LegalBasisSource,
  MAX_REPORT_LINES,
  privacyLabel,
  privacyLabelText,
} from '../reports/index.ts';
import type { Store } from '../store/index.ts';
import type { Gate, RecordRoutesOptions } from './gate.ts';
import { type App, authErrors, body, bodyErrors, nat, Purpose, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** What the report and incident endpoints need. */
export interface AccountabilityRoutes {
  readonly store: Store;
  readonly reports: AccessReports;
  readonly incidents: IncidentRegister;
  readonly legalBases: LegalBasisSource;
  readonly labels?: LabelPolicy;
}

const RecordType = Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' });
const IncidentId = Type.String({ pattern: '^inc_[A-Za-z0-9_-]{22}$' });
const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$' });
const Category = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9._:-]{0,63}$' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Time = Type.Integer({ minimum: 0, description: 'Milliseconds since the epoch' });
const Window = {
  from: Time,
  to: Time,
  recordTypes: Type.Optional(Type.Array(Name, { maxItems: 32 })),
  actors: Type.Optional(Type.Array(Name, { maxItems: 32 })),
  actions: Type.Optional(Type.Array(Name, { maxItems: 32 })),
};
const IncidentBody = Type.Object({}, { additionalProperties: true, description: 'The incident and its clock' });
/** What register changes are done for, by default. */
const PURPOSE = 'breach-notification';

/**
 * Access reports (a player's own with their session; a subject's with a token granted
 * `report.access`), privacy labels, and the incident register (tokens granted `incident.manage`).
 */
export function registerReportRoutes(app: App, o: RecordRoutesOptions, a: AccountabilityRoutes, gate: Gate): void {
  const { ownerOf, authenticate, principalOf, decide, decided } = gate;
  const secured = { security: [{ bearer: [] }] };

  app.get(
    '/v1/reports/access',
    {
      schema: {
        summary:
          "A subject's access report: every log entry about their data (who, what, when, why, under which legal basis), each with its RFC 9162 inclusion proof against the signed (with witnesses: cosigned) checkpoint in the header; verify it with the SDK's verifyAccessReport. A player's session gets its own (no `subject`); a token granted `report.access` names the subject, for the purposes `user-request` or `legal-obligation`",
        ...secured,
        querystring: Type.Object(
          {
            purpose: Purpose,
            subject: Type.Optional(Subject),
            after: Type.Optional(Type.Integer({ minimum: -1 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPORT_LINES })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { header: Type.Object({}, { additionalProperties: true }), lines: Type.Array(Type.Any()) },
            { description: 'The report: its header (checkpoint, legal bases) and its lines, in log order' },
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      let subjectRef: string;
      if (p.role === 'player') {
        if (q.subject !== undefined)
          throw new VerityError(
            'VERITY_E_ACCESS_DENIED',
            'a player session reads its own access report: leave out `subject`',
          );
        subjectRef = p.name;
      } else {
        if (q.subject === undefined)
          throw new VerityError('VERITY_E_INPUT_INVALID', 'name the player whose report this is in `subject`');
        subjectRef = await o.vault.subjectRef(q.subject);
      }
      const owner = await ownerOf(subjectRef);
      return decided(p, 'reportAccess', { kind: 'subject', owner }, 'subject:access-report', q.purpose, (policy) =>
        a.reports.build(
          subjectRef,
          { actor: p.actor, purpose: q.purpose, policy },
          {
            ...(q.after === undefined ? {} : { after: q.after }),
            ...(q.limit === undefined ? {} : { limit: q.limit }),
          },
        ),
      );
    },
  );

  app.get(
    '/v1/reports/labels/:type',
    {
      schema: {
        summary:
          "A record type's privacy label: data categories, purposes and their legal bases, retention and recipients, from its schema, its records and the tokens that reach it, and what the privacy policy declares. Any authenticated caller; `format=text` for people",
        ...secured,
        params: Type.Object({ type: RecordType }, { additionalProperties: false }),
        querystring: Type.Object(
          { format: Type.Optional(Type.Enum(['json', 'text'])) },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'The label',
            content: {
              'application/json': { schema: { type: 'object' } },
              'text/plain': { schema: { type: 'string' } },
            },
          },
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      principalOf(req);
      const l = await privacyLabel(a.store.reader, req.params.type, {
        clock: gate.clock,
        legalBases: a.legalBases,
        ...(a.labels === undefined ? {} : { policy: a.labels }),
      });
      if (req.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(privacyLabelText(l));
      return l;
    },
  );

  const manage = { kind: 'log' } as const;

  app.post(
    '/v1/incidents',
    {
      schema: {
        summary:
          'Record a personal data breach: its description (no personal data), data categories, when it was detected and when the controller became aware (the 72-hour clock of GDPR Art. 33 starts then), and optionally a window of the log to find the affected subjects in (by record type, actor, action). Tokens granted `incident.manage`',
        ...secured,
        body: body({
          description: Text(2000),
          categories: Type.Array(Category, { maxItems: 32 }),
          detectedAt: Type.Optional(Time),
          awareAt: Type.Optional(Time),
          affected: Type.Optional(Type.Object(Window, { additionalProperties: false })),
          purpose: Type.Optional(Purpose),
        }),
        response: { 201: IncidentBody, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { purpose = PURPOSE, ...b } = req.body;
      const i = await decided(p, 'manageIncidents', manage, 'incident:new', purpose, (policy) =>
        a.incidents.open(b, { actor: p.actor, purpose, policy }),
      );
      return reply.code(201).send(i);
    },
  );

  app.get(
    '/v1/incidents',
    {
      schema: {
        summary:
          'The incidents, by id; `overdue=true` for those past their 72-hour deadline without notifying the authority',
        ...secured,
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(['open', 'notified', 'closed'])),
            overdue: Type.Optional(Type.Enum(['true', 'false'])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            after: Type.Optional(IncidentId),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(IncidentBody), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await (await decide(p, 'manageIncidents', manage, 'incident:list', PURPOSE)).logged;
      const q = req.query;
      return a.incidents.list({
        ...(q.status === undefined ? {} : { status: q.status }),
        overdue: q.overdue === 'true',
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.after === undefined ? {} : { after: q.after }),
      });
    },
  );

  const idParams = Type.Object({ id: IncidentId }, { additionalProperties: false });

  /**
   * A change of incident `:id`: decided (manageIncidents) for the body's purpose (by default
   * breach notification), then done by `op` with the rest of the body.
   */
  const changeIncident = <B extends { purpose?: string }, T>(
    req: FastifyRequest & { readonly params: { readonly id: string }; readonly body: B },
    op: (
      id: string,
      rest: Omit<B, 'purpose'>,
      access: { actor: string; purpose: string; policy: string },
    ) => Promise<T>,
  ): Promise<T> => {
    const p = principalOf(req);
    const { purpose = PURPOSE, ...rest } = req.body;
    return decided(p, 'manageIncidents', manage, `incident:${req.params.id}`, purpose, (policy) =>
      op(req.params.id, rest, { actor: p.actor, purpose, policy }),
    );
  };

  app.get(
    '/v1/incidents/:id',
    {
      schema: {
        summary: 'One incident and its clock',
        ...secured,
        params: idParams,
        response: { 200: IncidentBody, ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await (await decide(p, 'manageIncidents', manage, `incident:${req.params.id}`, PURPOSE)).logged;
      return a.incidents.get(req.params.id);
    },
  );

  app.post(
    '/v1/incidents/:id/assess',
    {
      schema: {
        summary: 'Search the log again for the subjects the incident affected (another window or filters)',
        ...secured,
        params: idParams,
        body: body({ ...Window, purpose: Type.Optional(Purpose) }),
        response: { 200: IncidentBody, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => changeIncident(req, (id, q, access) => a.incidents.assess(id, q, access)),
  );

  app.post(
    '/v1/incidents/:id/notifications',
    {
      schema: {
        summary:
          'Record a notification sent to the supervisory authority (Art. 33) or to the subjects (Art. 34), with its evidence: a reference (case number, URL) and the SHA-256 of the notice, which goes into the log',
        ...secured,
        params: idParams,
        body: body({
          to: Type.Enum(['authority', 'subjects']),
          reference: Text(512),
          at: Type.Optional(Time),
          evidenceHash: Type.Optional(Type.String({ pattern: '^sha256:[A-Za-z0-9_-]{43}$' })),
          subjects: Type.Optional(nat),
          delayReason: Type.Optional(Text(2000)),
          purpose: Type.Optional(Purpose),
        }),
        response: { 200: IncidentBody, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => changeIncident(req, (id, n, access) => a.incidents.notify(id, n, access)),
  );

  app.post(
    '/v1/incidents/:id/close',
    {
      schema: {
        summary:
          'Close an incident with its resolution; `notRequired` says why the authority was not notified (unlikely to result in a risk), if it was not',
        ...secured,
        params: idParams,
        body: body({ resolution: Text(2000), notRequired: Type.Optional(Text(2000)), purpose: Type.Optional(Purpose) }),
        response: { 200: IncidentBody, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => changeIncident(req, (id, c, access) => a.incidents.close(id, c, access)),
  );
}
