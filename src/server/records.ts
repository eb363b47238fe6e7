import type { FastifyInstance } from 'fastify';
import type { Action, ResourceRef } from '../access/index.ts';
import { encodeAuditEntry } from '../audit/index.ts';
import type { JsonValue } from '../encoding/index.ts';
import { VaultError } from '../errors/index.ts';
import { makeGate, type Principal, type RecordRoutesOptions } from './gate.ts';

export type { RecordRoutesOptions } from './gate.ts';

const TOKEN = '[a-z][a-z0-9._:-]{0,63}';
const purpose = { type: 'string', pattern: `^${TOKEN}$` } as const;
const recordId = { type: 'string', pattern: '^rec_[A-Za-z0-9_-]{22}$' } as const;

const putBody = {
  type: 'object',
  additionalProperties: false,
  required: ['subject', 'type', 'purpose', 'data'],
  properties: {
    subject: { type: 'string', minLength: 1, maxLength: 256 },
    type: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{0,63}$' },
    purpose,
    data: { type: 'object' },
    id: recordId,
    origin: { enum: ['created', 'captured'] },
    classification: {
      type: 'object',
      additionalProperties: false,
      properties: {
        category: { type: 'string', maxLength: 64 },
        sensitivity: { enum: ['public', 'internal', 'confidential', 'restricted'] },
      },
    },
    source: { type: 'string', maxLength: 128 },
    lineage: { type: 'array', maxItems: 64, items: recordId },
    retainUntil: { type: 'string', maxLength: 64 },
  },
} as const;

interface PutBody {
  subject: string;
  type: string;
  purpose: string;
  data: JsonValue;
  id?: string;
  origin?: 'created' | 'captured';
  classification?: { category?: string; sensitivity?: 'public' | 'internal' | 'confidential' | 'restricted' };
  source?: string;
  lineage?: string[];
  retainUntil?: string;
}

/**
 * The record endpoints: authenticated by bearer token, authorized by Cedar with purpose
 * limitation, and every decision — allow or deny — appended to the log with the hash of the
 * policy set that made it.
 */
export function registerRecordRoutes(app: FastifyInstance, o: RecordRoutesOptions): void {
  const { clock, ownerOf, authenticate, decide, decided, cedarPrincipal } = makeGate(o);

  /**
   * Authorizes `action` on an existing record (absent ones are decided like any other), then runs
   * `op` with the deciding policy set's hash for its audit entries.
   */
  const onRecord = async <T>(
    p: Principal,
    action: Action,
    id: string,
    purposeText: string,
    op: (policy: string) => Promise<T>,
  ): Promise<T> => {
    const desc = await o.vault.describe(id);
    return decided(
      p,
      action,
      {
        kind: 'record',
        id,
        owner: desc === undefined ? { id: 'absent' } : await ownerOf(desc.subjectRef),
        type: desc?.type ?? 'absent',
        category: desc?.category ?? 'unclassified',
        sensitivity: desc?.sensitivity ?? 'restricted',
      },
      `record:${id}`,
      purposeText,
      (policy) => {
        if (desc === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'no such record');
        return op(policy);
      },
    );
  };

  app.post('/v1/records', { schema: { body: putBody }, preHandler: authenticate }, async (req, reply) => {
    const p = req.principal as Principal;
    const b = req.body as PutBody;
    const resource: ResourceRef = {
      kind: 'record',
      id: b.id ?? 'new',
      owner: await ownerOf(await o.vault.subjectRef(b.subject)),
      type: b.type,
      category: b.classification?.category ?? 'unclassified',
      sensitivity: b.classification?.sensitivity ?? 'confidential',
    };
    const r = await decided(
      p,
      'write',
      resource,
      b.id === undefined ? `record:new` : `record:${b.id}`,
      b.purpose,
      (policy) =>
        o.vault.put({
          actor: p.actor,
          policy,
          subject: b.subject,
          type: b.type,
          purpose: b.purpose,
          data: b.data,
          ...(b.id === undefined ? {} : { id: b.id }),
          ...(b.origin === undefined ? {} : { origin: b.origin }),
          ...(b.classification === undefined ? {} : { classification: b.classification }),
          ...(b.source === undefined ? {} : { source: b.source }),
          ...(b.lineage === undefined ? {} : { lineage: b.lineage }),
          ...(b.retainUntil === undefined ? {} : { retainUntil: b.retainUntil }),
        }),
    );
    return reply.code(201).send(r);
  });

  app.get(
    '/v1/records/:id',
    {
      schema: {
        params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: recordId } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['purpose'],
          properties: { purpose, version: { type: 'integer', minimum: 1, maximum: 2 ** 31 } },
        },
      },
      preHandler: authenticate,
    },
    async (req) => {
      const p = req.principal as Principal;
      const { id } = req.params as { id: string };
      const q = req.query as { purpose: string; version?: number };
      return onRecord(p, 'read', id, q.purpose, (policy) =>
        o.vault.get(id, {
          actor: p.actor,
          policy,
          purpose: q.purpose,
          ...(q.version === undefined ? {} : { version: q.version }),
        }),
      );
    },
  );

  const recordParams = {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: recordId },
  } as const;
  const purposeQuery = {
    type: 'object',
    additionalProperties: false,
    required: ['purpose'],
    properties: { purpose },
  } as const;

  app.get(
    '/v1/records/:id/history',
    { schema: { params: recordParams, querystring: purposeQuery }, preHandler: authenticate },
    async (req) => {
      const p = req.principal as Principal;
      const { id } = req.params as { id: string };
      const { purpose: why } = req.query as { purpose: string };
      return onRecord(p, 'read', id, why, (policy) => o.vault.history(id, { actor: p.actor, policy, purpose: why }));
    },
  );

  app.delete(
    '/v1/records/:id',
    { schema: { params: recordParams, querystring: purposeQuery }, preHandler: authenticate },
    async (req) => {
      const p = req.principal as Principal;
      const { id } = req.params as { id: string };
      const { purpose: why } = req.query as { purpose: string };
      return onRecord(p, 'erase', id, why, (policy) => o.vault.erase(id, { actor: p.actor, policy, purpose: why }));
    },
  );

  // The subject travels in the body, never in a URL (URLs end up in access logs).
  const subjectBody = {
    type: 'object',
    additionalProperties: false,
    required: ['subject', 'purpose'],
    properties: {
      subject: { type: 'string', minLength: 1, maxLength: 256 },
      purpose,
      limit: { type: 'integer', minimum: 1, maximum: 1000 },
      after: recordId,
    },
  } as const;

  app.post('/v1/records/query', { schema: { body: subjectBody }, preHandler: authenticate }, async (req) => {
    const p = req.principal as Principal;
    const b = req.body as { subject: string; purpose: string; limit?: number; after?: string };
    const metas = await o.vault.listBySubject(b.subject, {
      actor: p.actor,
      purpose: b.purpose,
      ...(b.limit === undefined ? {} : { limit: b.limit }),
      ...(b.after === undefined ? {} : { after: b.after }),
    });
    const owner = await ownerOf(await o.vault.subjectRef(b.subject));
    const engine = o.policies();
    // Each record is decided on its own; only permitted ones are returned, and one entry logs the outcome.
    const permitted = metas.filter(
      (m) =>
        engine.authorize(
          cedarPrincipal(p),
          'read',
          {
            kind: 'record',
            id: m.id,
            owner,
            type: m.type,
            category: m.classification.category,
            sensitivity: m.classification.sensitivity,
          },
          { purpose: b.purpose, time: clock.now() },
        ).allowed,
    );
    await o.log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor: p.actor,
          action: 'policy.decision',
          resource: 'subject:records',
          purpose: b.purpose,
          outcome: permitted.length > 0 || metas.length === 0 ? 'success' : 'denied',
          time: clock.now(),
          policy: engine.policyHash,
          details: { action: 'read', permitted: permitted.length, candidates: metas.length },
        }),
      ),
    );
    return permitted;
  });

  app.post(
    '/v1/subjects/shred',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subject', 'purpose'],
          properties: { subject: { type: 'string', minLength: 1, maxLength: 256 }, purpose },
        },
      },
      preHandler: authenticate,
    },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as { subject: string; purpose: string };
      const { logged } = await decide(
        p,
        'erase',
        { kind: 'subject', owner: await ownerOf(await o.vault.subjectRef(b.subject)) },
        'subject:key',
        b.purpose,
      );
      await logged;
      return o.vault.shredSubject(b.subject, { actor: p.actor, purpose: b.purpose });
    },
  );

  app.put(
    '/v1/subjects/guardianship',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subject', 'purpose', 'minor', 'guardians'],
          properties: {
            subject: { type: 'string', minLength: 1, maxLength: 256 },
            purpose,
            minor: { type: 'boolean' },
            guardians: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 256 } },
          },
        },
      },
      preHandler: authenticate,
    },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as { subject: string; purpose: string; minor: boolean; guardians: string[] };
      const owner = await ownerOf(await o.vault.subjectRef(b.subject));
      return decided(p, 'administer', { kind: 'subject', owner }, 'subject:guardianship', b.purpose, (policy) =>
        o.vault.setGuardianship(
          b.subject,
          { minor: b.minor, guardians: b.guardians },
          { actor: p.actor, policy, purpose: b.purpose },
        ),
      );
    },
  );

  app.post(
    '/v1/keys/rotate',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['purpose'],
          properties: { purpose, destroyRetired: { type: 'boolean' } },
        },
      },
      preHandler: authenticate,
    },
    async (req) => {
      const p = req.principal as Principal;
      const b = req.body as { purpose: string; destroyRetired?: boolean };
      await (await decide(p, 'administer', { kind: 'log' }, 'kek:rotate', b.purpose)).logged;
      return o.vault.rotateKeys({ actor: p.actor, purpose: b.purpose, destroyRetired: b.destroyRetired === true });
    },
  );

  app.post(
    '/v1/sessions',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['player', 'purpose'],
          properties: {
            player: { type: 'string', minLength: 1, maxLength: 256 },
            purpose,
            minor: { type: 'boolean' },
            guardians: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 256 } },
            ttlSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
          },
        },
      },
      preHandler: authenticate,
    },
    async (req, reply) => {
      const p = req.principal as Principal;
      if (o.sessions === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'sessions are not served here');
      const b = req.body as {
        player: string;
        purpose: string;
        minor?: boolean;
        guardians?: string[];
        ttlSeconds?: number;
      };
      const subjectRef = await o.vault.subjectRef(b.player);
      const guardians = await Promise.all((b.guardians ?? []).map((g) => o.vault.subjectRef(g)));
      const owner = { id: subjectRef, minor: b.minor === true, guardians };
      await (await decide(p, 'administer', { kind: 'subject', owner }, 'subject:session', b.purpose)).logged;
      const s = await o.sessions.issue(
        { subjectRef, minor: b.minor === true, guardians, issuedFor: p.actor },
        b.ttlSeconds,
      );
      return reply.code(201).send(s);
    },
  );
}
