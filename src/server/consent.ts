import { CONSENT_STATUSES } from '../consent/index.ts';
import { VerityError } from '../errors/index.ts';
import type { Privacy } from '../privacy/index.ts';
import { type Gate, notGranted, type Principal, type RecordRoutesOptions } from './gate.ts';
import { type App, authErrors, body, bodyErrors, nat, ok, Purpose, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** The capability a service token needs to record or read a player's consent. */
const CAPABILITY = 'consent.record';

const ConsentRecord = Type.Object(
  {
    consentId: Type.String(),
    subjectRef: Type.String({ description: "the player's subject reference (never the player id)" }),
    purpose: Type.String(),
    category: Type.Union([Type.String(), Type.Null()]),
    status: Type.Enum([...CONSENT_STATUSES]),
    givenAt: Type.Union([nat, Type.Null()], { description: 'milliseconds since the epoch' }),
    withdrawnAt: Type.Union([nat, Type.Null()]),
    policyVersion: Type.String({ description: 'the privacy policy version the player was shown' }),
    method: Type.String({ description: 'how consent was collected' }),
    regime: Type.String(),
    changes: nat,
    logIndex: nat,
    updatedAt: nat,
  },
  { description: 'ISO/IEC TS 27560 consent record (current state)' },
);

const Proven = Type.Object(
  {
    checkpoint: Type.String({ description: 'the signed checkpoint everything is proven against' }),
    subjectRef: Type.String(),
    policyVersion: Type.String({ description: 'the privacy policy version in force' }),
    consents: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: 'each consent object (its body is a consent record) with its state proof',
    }),
    history: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: 'every change: the change, its salt, its log entry and inclusion proof',
    }),
  },
  { description: 'consents with state proofs and their history with inclusion proofs' },
);

/**
 * Consent over HTTP (FGMV-46 7.4.1): a player records and reads their own consent with their
 * session; a service does so for a player only when its token was granted `consent.record`. Every
 * change is logged (by consent id, never the player); reads carry the evidence a client checks
 * (`verifyConsentProofs`). A refusal is logged as a decision like any other.
 */
export function registerConsentRoutes(app: App, o: RecordRoutesOptions, privacy: Privacy, gate: Gate): void {
  const { authenticate, principalOf, logDecision, refuseByRule } = gate;
  /** Collection methods only Verity's own paths record: the local operator's, and Global Privacy Control's. */
  const RESERVED_METHODS = new Set(['operator-recorded', 'gpc-signal']);
  const secured = { security: [{ bearer: [] }] };

  /** The player a request is about: the session's own, or `subject` for a service granted the capability. */
  const subjectOf = async (p: Principal, subject: string | undefined, label: string): Promise<string> => {
    if (p.role === 'player') {
      if (subject !== undefined)
        throw new VerityError(
          'VERITY_E_INPUT_INVALID',
          'a player session records its own consent: leave `subject` out',
        );
      return p.name;
    }
    const deny = async (message: string): Promise<never> => {
      await logDecision(p, 'administer', label, 'legal-obligation', {
        allowed: false,
        stepUpRequired: false,
        policyHash: o.policies().policyHash,
        reasons: [],
        errors: [],
      });
      throw new VerityError('VERITY_E_ACCESS_DENIED', message);
    };
    if (p.role !== 'service' || !p.capabilities.includes(CAPABILITY))
      return deny(notGranted(p, CAPABILITY, { role: 'service' }));
    if (subject === undefined) return deny('a service names the player in `subject`');
    return o.vault.subjectRef(subject);
  };

  app.post(
    '/v1/consent',
    {
      schema: {
        summary:
          "Record a player's consent for a purpose of the privacy policy (and a data category where needed): given, withdrawn or refused, with the policy version shown and how it was collected. A player's session records its own; a service needs a token granted `consent.record` and names the player in `subject`. Decisions read it at once",
        ...secured,
        body: body({
          subject: Type.Optional(Subject),
          purpose: Purpose,
          category: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' })),
          status: Type.Enum([...CONSENT_STATUSES]),
          method: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'default `api`' })),
          policyVersion: Type.Optional(Type.String({ maxLength: 64 })),
          region: Type.Optional(
            Type.String({ pattern: '^[A-Z]{2}(-[A-Z0-9]{1,3})?$', description: 'declared region (ISO 3166)' }),
          ),
        }),
        response: {
          201: Type.Object(
            { record: ConsentRecord, logIndex: nat },
            { description: 'The consent now, and the log index of the change' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const ref = await subjectOf(p, b.subject, 'consent:record');
      // D434: a method names how consent was collected; these two name Verity's own paths.
      if (b.method !== undefined && RESERVED_METHODS.has(b.method))
        await refuseByRule(
          p,
          'administer',
          'consent:record',
          'legal-obligation',
          `the method ${JSON.stringify(b.method)} is recorded by Verity itself (the local operator's command, a Global Privacy Control signal): name how you collected it, e.g. \`web-form\``,
        );
      // A player declares their region (it chooses their legal regime); a service records the one
      // the player declared to it once, and does not change it afterwards, through a session it
      // opened either (that session is its word, not the player's: D432).
      if ((p.role !== 'player' || p.method === 'service') && b.region !== undefined) {
        const declared = await privacy.regionOf(ref);
        if (declared !== undefined && declared !== b.region)
          await refuseByRule(
            p,
            'administer',
            'consent:record',
            'legal-obligation',
            "the player's declared region is recorded already, and chooses their legal regime: the player changes it with their own session",
          );
      }
      const r = await privacy.recordConsent(
        ref,
        {
          purpose: b.purpose,
          status: b.status,
          method: b.method ?? 'api',
          ...(b.category === undefined ? {} : { category: b.category }),
          ...(b.policyVersion === undefined ? {} : { policyVersion: b.policyVersion }),
          ...(b.region === undefined ? {} : { region: b.region }),
        },
        { actor: p.actor },
      );
      return reply.code(201).send(r);
    },
  );

  app.get(
    '/v1/consent',
    {
      schema: {
        summary:
          "A player's own consents (their session): each current state with its state proof and every change with its inclusion proof, against one signed checkpoint",
        ...secured,
        response: { 200: ok(Proven, 'Consents with their evidence'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      if (p.role !== 'player')
        throw new VerityError(
          'VERITY_E_INPUT_INVALID',
          "a service reads a player's consent with `POST /v1/consent/query`",
        );
      return privacy.prove(p.name);
    },
  );

  app.post(
    '/v1/consent/query',
    {
      schema: {
        summary:
          "A player's consents with their evidence, for a service granted `consent.record` (the player travels in the body, never in a URL)",
        ...secured,
        body: body({ subject: Subject }),
        response: { 200: ok(Proven, 'Consents with their evidence'), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const ref = await subjectOf(p, req.body.subject, 'consent:query');
      return privacy.prove(ref);
    },
  );
}
