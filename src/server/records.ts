import { ABSENT_OWNER, type Action, listingResource, type ResourceRef, recordResource } from '../access/index.ts';
import { VaultError } from '../errors/index.ts';
import { GUARDIANSHIP_EVIDENCE, type RecordFacts } from '../vault/index.ts';
import type { Gate, Principal, RecordRoutesOptions } from './gate.ts';
import {
  type App,
  authErrors,
  body,
  bodyErrors,
  Erased,
  Guardians,
  JsonObject,
  Logged,
  nat,
  Origin,
  ok,
  Purpose,
  PutResult,
  ReadResult,
  RecordId,
  RecordMeta,
  ref,
  Sensitivity,
  Subject,
} from './schemas.ts';
import { Type } from './typebox.ts';

export type { RecordRoutesOptions } from './gate.ts';

/**
 * The record endpoints: authenticated by bearer token, authorized by Cedar with purpose
 * limitation, and every decision — allow or deny — appended to the log with the hash of the
 * policy set that made it.
 */
export function registerRecordRoutes(app: App, o: RecordRoutesOptions, gate: Gate): void {
  const {
    clock,
    ownerOf,
    authenticate,
    principalOf,
    authorizeOrDeny,
    consentOf,
    agreementsOf,
    decide,
    decided,
    cedarPrincipal,
    refuseWithout,
    refuseByRule,
  } = gate;
  const secured = { security: [{ bearer: [] }] };

  /**
   * Authorizes `action` on an existing record (absent ones are decided like any other), then runs
   * `op` with the deciding policy set's hash for its audit entries.
   */
  const onRecord = async <T>(
    p: Principal,
    action: Action,
    id: string,
    purposeText: string,
    op: (policy: string, version: number, facts: RecordFacts) => Promise<T>,
    version?: number,
  ): Promise<T> => {
    // The decision and the operation see one version: the one asked for, else the latest at the
    // time of the decision (a version written after it is not read under a decision made before).
    const desc = await o.vault.describe(id, version);
    return decided(
      p,
      action,
      recordResource(id, desc === undefined ? ABSENT_OWNER : await ownerOf(desc.subjectRef), desc),
      `record:${id}`,
      purposeText,
      (policy) => {
        if (desc === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'no such record');
        return op(policy, desc.version, desc);
      },
    );
  };

  const putBody = body({
    subject: Subject,
    type: Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' }),
    purpose: Purpose,
    data: JsonObject,
    id: Type.Optional(RecordId),
    origin: Type.Optional(Origin),
    classification: Type.Optional(
      body({
        category: Type.Optional(Type.String({ maxLength: 64 })),
        sensitivity: Type.Optional(Sensitivity),
      }),
    ),
    source: Type.Optional(Type.String({ maxLength: 128 })),
    lineage: Type.Optional(Type.Array(RecordId, { maxItems: 64 })),
    retainUntil: Type.Optional(Type.String({ maxLength: 64, description: 'RFC 3339 date-time' })),
  });

  app.post(
    '/v1/records',
    {
      schema: {
        summary:
          'Write a sealed record (a new one, or a new version with `id`); authorized by Cedar for the stated purpose',
        ...secured,
        body: putBody,
        response: { 201: ok(ref(PutResult), 'Written and durable'), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      // Record categories come from the privacy policy, like purposes.
      if (b.classification?.category !== undefined) o.privacy?.policy.checkCategory(b.classification.category);
      const subjectRef = await o.vault.subjectRef(b.subject);
      if (b.id !== undefined) {
        // A new version of a record that is not the body's subject's and type (or of none) is decided
        // on the record as stored, as a read of it is, before the store says what differs: a caller
        // that may not write it learns nothing of whether it exists, whose it is or its type (D415).
        const desc = await o.vault.describe(b.id);
        if (desc === undefined || desc.subjectRef !== subjectRef || desc.type !== b.type)
          await authorizeOrDeny(
            p,
            'write',
            recordResource(b.id, desc === undefined ? ABSENT_OWNER : await ownerOf(desc.subjectRef), desc),
            `record:${b.id}`,
            b.purpose,
          );
      }
      const resource: ResourceRef = {
        kind: 'record',
        id: b.id ?? 'new',
        owner: await ownerOf(subjectRef),
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
    },
  );

  const recordParams = Type.Object({ id: RecordId }, { additionalProperties: false });
  const purposeQuery = Type.Object({ purpose: Purpose }, { additionalProperties: false });

  app.get(
    '/v1/records/:id',
    {
      schema: {
        summary:
          'Read a record: `data`, `meta` and the inclusion `proof` of its write; the read and the decision are logged',
        ...secured,
        params: recordParams,
        querystring: Type.Object(
          { purpose: Purpose, version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 })) },
          { additionalProperties: false },
        ),
        response: {
          200: ok(ref(ReadResult), 'The data, its metadata and the inclusion proof of its write'),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { id } = req.params;
      const q = req.query;
      return onRecord(
        p,
        'read',
        id,
        q.purpose,
        // The row read for the decision is the row read: one read, one state check.
        (policy, version, facts) => o.vault.get(id, { actor: p.actor, policy, purpose: q.purpose, version, facts }),
        q.version,
      );
    },
  );

  app.get(
    '/v1/records/:id/history',
    {
      schema: {
        summary: 'Metadata of every version of a record (audited, authorized as a read)',
        ...secured,
        params: recordParams,
        querystring: purposeQuery,
        response: { 200: ok(Type.Array(ref(RecordMeta)), 'Versions, oldest first'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { id } = req.params;
      const why = req.query.purpose;
      return onRecord(p, 'read', id, why, (policy) => o.vault.history(id, { actor: p.actor, policy, purpose: why }));
    },
  );

  app.delete(
    '/v1/records/:id',
    {
      schema: {
        summary: 'Erase every version of a record (authorized as an erase; audited)',
        ...secured,
        params: recordParams,
        querystring: purposeQuery,
        response: { 200: ok(ref(Erased), 'Versions erased and the log index of the erasure'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { id } = req.params;
      const why = req.query.purpose;
      return onRecord(p, 'erase', id, why, (policy) => o.vault.erase(id, { actor: p.actor, policy, purpose: why }));
    },
  );

  app.post(
    '/v1/records/query',
    {
      schema: {
        summary:
          "The latest version of each of a subject's records that the caller may read (the subject travels in the body, never in a URL)",
        ...secured,
        body: body({
          subject: Subject,
          purpose: Purpose,
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          after: Type.Optional(RecordId),
        }),
        response: { 200: ok(Type.Array(ref(RecordMeta)), 'Record metadata'), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const owner = await ownerOf(await o.vault.subjectRef(b.subject));
      const engine = o.policies();
      const who = cedarPrincipal(p);
      // Consent is read once for the query, before any decision: per category for the special
      // categories (they need their own), else for the purpose.
      const consentFor = async (category: string) =>
        (
          await consentOf(
            p,
            'read',
            recordResource('subject:records', owner, { type: 'absent', category, sensitivity: 'restricted' }),
            b.purpose,
          )
        ).consent;
      const baseConsent = await consentFor('unclassified');
      // A caller that reads under agreement: the player's agreements with its recipient, read once.
      const agreements = await agreementsOf(p, owner.id);
      const special = new Map<string, string>();
      for (const [c, def] of Object.entries(o.privacy?.policy.document.categories ?? {}))
        if (def.special === true) special.set(c, await consentFor(c));
      // Every record is decided on its own, before anything about the subject is logged; a query
      // that may read none of them is decided as a read of the record it pages after (or of an
      // absent record of the subject): denied, it is a 403 logged like every other denial.
      return o.vault.listBySubject(b.subject, {
        actor: p.actor,
        purpose: b.purpose,
        policy: engine.policyHash,
        ...(b.limit === undefined ? {} : { limit: b.limit }),
        ...(b.after === undefined ? {} : { after: b.after }),
        decide: {
          permit: (m) =>
            engine.authorize(who, 'read', recordResource(m.id, owner, { type: m.type, ...m.classification }), {
              purpose: b.purpose,
              consent: (special.get(m.classification.category) ?? baseConsent) as 'granted' | 'denied' | 'unknown',
              time: clock.now(),
            }).allowed &&
            (agreements === undefined || agreements.decide(b.purpose, m.classification.category).allowed),
          none: async (start) => {
            await authorizeOrDeny(p, 'read', listingResource(owner, b.after, start), 'subject:records', b.purpose);
          },
        },
      });
    },
  );

  app.post(
    '/v1/subjects/shred',
    {
      schema: {
        summary:
          'Crypto-shred a subject: its data key and payloads are destroyed, then the KEK rotated and retired KEKs destroyed',
        ...secured,
        body: body({ subject: Subject, purpose: Purpose }),
        response: {
          200: Type.Object(
            { versions: nat, logIndex: nat, destroyedKeks: Type.Array(nat) },
            { description: 'Versions erased, log index, destroyed KEK versions' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      // A player erases their data through a rights request, decided and limited there (D417).
      if (p.role === 'player')
        await refuseByRule(
          p,
          'erase',
          'subject:key',
          b.purpose,
          'a player erases their data with an erasure request: POST /v1/rights/requests {"type":"erasure"}, then carry it out',
        );
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
        summary:
          'Record whether a subject is a minor and who their guardians are (the owner facts the policies read), citing the evidence; replaces what was recorded; audited with the evidence kind and a salted commitment to it (the salt is answered; keep it with the evidence). The default policies allow it only to a service token granted `guardianship.set`, for the purpose `guardianship`, never to an operator',
        ...secured,
        body: body({
          subject: Subject,
          purpose: Type.String({
            ...Purpose,
            description: 'the default policies allow `guardianship` only',
          }),
          minor: Type.Boolean(),
          guardians: Guardians,
          evidence: body({
            kind: Type.Enum([...GUARDIANSHIP_EVIDENCE]),
            reference: Type.String({
              minLength: 1,
              maxLength: 256,
              pattern: '^[^\\u0000-\\u001f\\u007f]+$',
              description:
                'where the citing service keeps the evidence (a form or case number, never personal data); the log keeps only its hash',
            }),
          }),
        }),
        response: {
          200: Type.Object(
            {
              logIndex: nat,
              evidenceSalt: Type.String({
                description:
                  "The salt of the log's commitment to the evidence (base64url, 16 bytes): keep it with the evidence to show an auditor which evidence the entry cites (SHA-256 of the salt and the RFC 8785 JSON of {kind, reference}); Verity keeps no copy",
              }),
            },
            { description: 'The log index of the audit entry, and the salt of its evidence commitment' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const owner = await ownerOf(await o.vault.subjectRef(b.subject));
      return decided(p, 'setGuardianship', { kind: 'subject', owner }, 'subject:guardianship', b.purpose, (policy) =>
        o.vault.setGuardianship(b.subject, { minor: b.minor, guardians: b.guardians }, b.evidence, {
          actor: p.actor,
          policy,
          purpose: b.purpose,
        }),
      );
    },
  );

  app.post(
    '/v1/keys/rotate',
    {
      schema: {
        summary: 'Rotate the key-encryption key online (re-wrap every data key); optionally destroy retired KEKs',
        ...secured,
        body: body({ purpose: Purpose, destroyRetired: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object(
            { kekVersion: nat, rewrapped: nat, destroyed: Type.Array(nat) },
            { description: 'New KEK version, keys re-wrapped, KEKs destroyed' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const b = req.body;
      // Changing keys (and destroying retired ones, which old backups need) is granted explicitly:
      // the policies' `administer` on the log is also an auditor's reading of it.
      if (p.role !== 'operator' || !p.capabilities.includes('key.rotate'))
        await refuseWithout(p, 'key.rotate', 'kek:rotate', b.purpose, { role: 'caller' });
      await (await decide(p, 'administer', { kind: 'log' }, 'kek:rotate', b.purpose)).logged;
      return o.vault.rotateKeys({ actor: p.actor, purpose: b.purpose, destroyRetired: b.destroyRetired === true });
    },
  );
}
