import { fromBase64Url } from '../encoding/index.ts';
import { MAX_REPORT_BYTES, type MlsReports, MODERATION_ACTIONS, REPORT_REASONS } from '../mls/index.ts';
import type { Vault } from '../vault/index.ts';
import type { Gate } from './gate.ts';
import { As, GroupId, Identity, mlsAccess, PURPOSE } from './mls.ts';
import { type App, authErrors, body, bodyErrors, nat } from './schemas.ts';
import { Type } from './typebox.ts';

const Report = Type.Object({}, { additionalProperties: true, description: 'a report, its text PII-redacted' });

/**
 * Abuse reports of end-to-end encrypted rooms over HTTP (FGMV-46 7.2.1): a recipient reports a
 * message with its plaintext and franking opening; moderators (`mls.moderate`) read the queue,
 * PII-redacted, and act on reports.
 */
export function registerMlsReportRoutes(app: App, reports: MlsReports, vault: Vault, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const { identityOf, moderator } = mlsAccess(vault, gate);
  const secured = { security: [{ bearer: [] }] };
  const bytes = (text: string, what: string) => fromBase64Url(text, what);

  app.post(
    '/v1/mls/reports',
    {
      schema: {
        summary:
          'Report an abusive message delivered to the caller: reveal its plaintext and franking key with what was delivered (room, sequence number, time, sender, stamp). The service checks the commitment and its stamp (a forged report is refused with VERITY_E_MLS_REPORT_FORGED) and queues the report, its text PII-redacted, for moderators; the log records the report, never its text',
        ...secured,
        body: body({
          ...As,
          groupId: GroupId,
          seq: Type.Integer({ minimum: 1 }),
          at: nat,
          sender: Identity,
          stamp: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
          body: Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength: Math.ceil((MAX_REPORT_BYTES * 4) / 3) }),
          frankingKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
          reason: Type.Enum([...REPORT_REASONS]),
        }),
        response: {
          201: Type.Object(
            { id: Type.String(), redacted: nat },
            { description: 'The report id and how many pieces of personal data moderators will not see' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:report');
      const out = await reports.report(who, {
        groupId: bytes(b.groupId, 'groupId'),
        seq: b.seq,
        at: b.at,
        sender: b.sender,
        stamp: b.stamp,
        body: b.body === '' ? new Uint8Array(0) : bytes(b.body, 'body'),
        frankingKey: bytes(b.frankingKey, 'frankingKey'),
        reason: b.reason,
      });
      return reply.code(201).send(out);
    },
  );

  app.get(
    '/v1/mls/reports',
    {
      schema: {
        summary:
          'The moderation queue (`mls.moderate`): verified abuse reports by status, their text PII-redacted; reading it is logged',
        ...secured,
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(['open', 'closed'])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            after: Type.Optional(Type.String({ pattern: '^rep_[A-Za-z0-9_-]{22}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ reports: Type.Array(Report) }, { description: 'The reports' }), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await moderator(p, 'mls:reports');
      await gate.logOutcome(p, 'mls:reports', PURPOSE, 'success', { action: 'mls.moderate', decision: 'allow' });
      const q = req.query;
      return {
        reports: await reports.list({
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.after === undefined ? {} : { after: q.after }),
        }),
      };
    },
  );

  app.post(
    '/v1/mls/reports/:id/actions',
    {
      schema: {
        summary:
          'A moderator acts on a report (`mls.moderate`): the action is recorded in it, closes it, and is logged',
        ...secured,
        params: Type.Object(
          { id: Type.String({ pattern: '^rep_[A-Za-z0-9_-]{22}$' }) },
          { additionalProperties: false },
        ),
        body: body({ action: Type.Enum([...MODERATION_ACTIONS]) }),
        response: { 200: Report, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const by = await moderator(principalOf(req), 'mls:moderate');
      return reports.act(by, req.params.id, req.body.action);
    },
  );
}
