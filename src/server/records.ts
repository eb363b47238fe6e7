import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action, Decision, PlayerRef, PolicyEngine, PrincipalRef, ResourceRef } from '../access/index.ts';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import type { JsonValue } from '../encoding/index.ts';
import { VaultError, VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Principal as ServicePrincipal, Sessions, Tokens } from '../principals/index.ts';
import type { Vault } from '../vault/index.ts';

/** What the record endpoints need. */
export interface RecordRoutesOptions {
  readonly vault: Vault;
  readonly log: TransparencyLog;
  readonly tokens: Tokens;
  /** When given, players call with session tokens (`POST /v1/sessions` opens them). */
  readonly sessions?: Sessions;
  /** Read at every request, so a reload takes effect at once. */
  readonly policies: () => PolicyEngine;
  readonly clock?: Clock;
}

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

/** A signed-in player (session token): named by subject reference, never by id. */
interface PlayerCaller {
  readonly role: 'player';
  readonly name: string;
  readonly minor: boolean;
  readonly guardians: readonly string[];
  readonly recordTypes: readonly string[];
  readonly actor: string;
}

type Principal = ServicePrincipal | PlayerCaller;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function cedarPrincipal(p: Principal): PrincipalRef {
  return p.role === 'service'
    ? { kind: 'service', id: p.name, recordTypes: p.recordTypes }
    : { kind: p.role, id: p.name };
}

/**
 * The record endpoints: authenticated by bearer token, authorized by Cedar with purpose
 * limitation, and every decision — allow or deny — appended to the log with the hash of the
 * policy set that made it.
 */
export function registerRecordRoutes(app: FastifyInstance, o: RecordRoutesOptions): void {
  const clock = o.clock ?? systemClock;

  /** A subject as the policies see it: its reference, and whether it is a minor in whose care. */
  const ownerOf = async (subjectRef: string): Promise<PlayerRef> => {
    const f = await o.vault.subjectFacts(subjectRef);
    return { id: subjectRef, minor: f.minor, guardians: f.guardians };
  };

  const authenticate = async (req: FastifyRequest): Promise<void> => {
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) {
      throw new VerityError(
        'VERITY_E_UNAUTHENTICATED',
        'send `Authorization: Bearer TOKEN` with a token from `verity tokens create`',
      );
    }
    const token = h.slice('Bearer '.length).trim();
    if (o.sessions !== undefined && token.split('.').length === 3) {
      const s = await o.sessions.verify(token);
      req.principal = {
        role: 'player',
        name: s.subjectRef,
        minor: s.minor,
        guardians: s.guardians,
        recordTypes: [],
        actor: `player:session-${s.id}`,
      };
      return;
    }
    req.principal = await o.tokens.authenticate(token);
  };

  /** Appends the decision as its own audit entry. */
  const logDecision = (p: Principal, action: Action, label: string, purposeText: string, d: Decision) =>
    o.log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor: p.actor,
          action: 'policy.decision',
          resource: label,
          purpose: purposeText,
          outcome: d.allowed ? 'success' : 'denied',
          time: clock.now(),
          policy: d.policyHash,
          details: {
            action,
            decision: d.allowed ? 'allow' : 'deny',
            ...(d.reasons.length > 0 ? { reasons: d.reasons.join(',').slice(0, 128) } : {}),
          },
        }),
      ),
    );

  /** Authorizes; a denial is logged and thrown. */
  const authorizeOrDeny = async (
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
  ): Promise<Decision> => {
    const d = o.policies().authorize(cedarPrincipal(p), action, resource, { purpose: purposeText, time: clock.now() });
    if (!d.allowed) {
      await logDecision(p, action, label, purposeText, d);
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `the policies do not permit ${p.actor} to ${action} this record for purpose \`${purposeText}\``,
      );
    }
    return d;
  };

  /**
   * Authorizes, then logs the decision as its own entry. It is queued before the operation it
   * allows, so the log's FIFO group commit makes it durable no later than the operation; the
   * request answers only once both are.
   */
  const decide = async (
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
  ): Promise<{ logged: Promise<unknown> }> => {
    const d = await authorizeOrDeny(p, action, resource, label, purposeText);
    const logged = logDecision(p, action, label, purposeText, d);
    logged.catch(() => undefined);
    return { logged };
  };

  /**
   * Authorizes an operation whose own audit entries record the decision (they carry the policy
   * hash, see `Access.policy`), so an allowed request costs one log entry, not two. When the
   * operation fails after it was allowed, the decision is logged on its own: every decision, allow
   * or deny, reaches the log.
   */
  const decided = async <T>(
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
    op: (policy: string) => Promise<T>,
  ): Promise<T> => {
    const d = await authorizeOrDeny(p, action, resource, label, purposeText);
    try {
      return await op(d.policyHash);
    } catch (e) {
      await logDecision(p, action, label, purposeText, d);
      throw e;
    }
  };

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
