import { ABSENT_OWNER } from '../access/index.ts';
import type { DidWebIdentities } from '../did/index.ts';
import { CredentialError, InputError, quote, VerityError } from '../errors/index.ts';
import type { Vault } from '../vault/index.ts';
import type { Credentials, PresentationVerifier } from '../vc/index.ts';
import type { Gate } from './gate.ts';
import { type App, authErrors, body, bodyErrors, JsonObject, media, ok, Purpose, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** What the identity endpoints serve: Verity's did:web identities, its credentials and a verifier. */
export interface IdentityRoutesOptions {
  readonly identities: DidWebIdentities;
  readonly credentials: Credentials;
  readonly verifier: PresentationVerifier;
  /** Verity's own did:web (the issuer of its credentials). */
  readonly issuer: string;
}

const SYSTEM = { actor: 'system:verity' };
const CredentialId = Type.String({ pattern: '^vc_[A-Za-z0-9_-]{16}$' });
const PathName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' });
const Jwk = Type.Object({ kty: Type.String({ maxLength: 8 }) }, { additionalProperties: true, maxProperties: 16 });
const CredentialRecord = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    vct: Type.String(),
    list: Type.String(),
    idx: Type.Integer(),
    issuedAt: Type.Integer(),
    expiresAt: Type.Integer(),
    status: Type.String(),
  },
  { description: 'What Verity keeps about an issued credential (no claim values)' },
);

/**
 * DIDs and verifiable credentials over HTTP: Verity's did:web documents (with retired keys kept),
 * status list tokens, issuing SD-JWT VCs (Cedar-authorized: a service granted `credential.issue`,
 * or a player for their own membership credential), revoking and suspending them (a token granted
 * `credential.revoke`), and verifying presentations.
 */
export function registerIdentityRoutes(app: App, o: IdentityRoutesOptions, vault: Vault, gate: Gate): void {
  const { ownerOf, authenticate, principalOf, decided, refuseNamespaced } = gate;
  const secured = { security: [{ bearer: [] }] };
  let ensured: Promise<unknown> | undefined;
  const issuerDocument = async () => {
    ensured ??= o.identities.ensure(o.issuer, SYSTEM);
    await ensured.catch((e: unknown) => {
      ensured = undefined;
      throw e;
    });
    return o.identities.document(o.issuer);
  };

  app.get(
    '/.well-known/did.json',
    { schema: { summary: "Verity's DID document (did:web): every key, retired ones marked `revoked` with when" } },
    async (_req, reply) => reply.type('application/did+json').send(await issuerDocument()),
  );

  app.get(
    '/:name/did.json',
    {
      schema: {
        summary: 'The DID document of a did:web identity Verity holds under a path (did:web:HOST:NAME)',
        params: Type.Object({ name: PathName }, { additionalProperties: false }),
      },
    },
    async (req, reply) =>
      reply.type('application/did+json').send(await o.identities.document(o.identities.didFor([req.params.name]))),
  );

  app.get(
    '/v1/status-lists/:id',
    {
      schema: {
        summary:
          'A Token Status List as a signed `statuslist+jwt` (draft-ietf-oauth-status-list): 2 bits per credential',
        params: Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) }, { additionalProperties: false }),
        response: { 200: media('application/statuslist+jwt', 'The status list token') },
      },
    },
    async (req, reply) => {
      await issuerDocument();
      return reply.type('application/statuslist+jwt').send(await o.credentials.statusListToken(req.params.id));
    },
  );

  app.post(
    '/v1/credentials',
    {
      schema: {
        summary:
          'Issue an SD-JWT VC (dc+sd-jwt) bound to the holder key: `over-18` (discloses only age_over_18; needs `evidence.ageOver18` from a service granted `credential.issue`), `verified-creator`, `membership`. A service names the `player`; a player session asks for its own membership credential',
        ...secured,
        body: body({
          type: Type.Union([Type.Literal('over-18'), Type.Literal('verified-creator'), Type.Literal('membership')]),
          holderJwk: Jwk,
          purpose: Purpose,
          player: Type.Optional(Subject),
          claims: Type.Optional(JsonObject),
          evidence: Type.Optional(Type.Object({ ageOver18: Type.Boolean() }, { additionalProperties: false })),
          ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 63072000 })),
        }),
        response: {
          201: Type.Object(
            { sdJwt: Type.String(), credential: CredentialRecord },
            { description: 'The SD-JWT with every disclosure (for the holder), and its record' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      let subjectRef: string;
      if (p.role === 'player') {
        if (b.player !== undefined || b.claims !== undefined || b.evidence !== undefined || b.type !== 'membership')
          throw new VerityError(
            'VERITY_E_ACCESS_DENIED',
            'a player session asks only for its own membership credential; other credentials carry facts a service attests',
          );
        subjectRef = p.name;
      } else {
        if (b.player === undefined)
          throw new InputError('VERITY_E_INPUT_INVALID', 'name the `player` the credential is about');
        // A trusted identity provider's players are theirs to vouch for: no service's word makes a
        // credential (a vote, a verified fact) for them, as none opens a session for them (D422, D435).
        await refuseNamespaced(p, 'issueCredential', 'subject:credential', b.purpose, b.player);
        subjectRef = await vault.subjectRef(b.player);
      }
      // Verity's did:web is made on first use: by the first credential too, not only by a fetch of
      // its document (issuance failed with VERITY_E_DID_NOT_FOUND before one).
      await issuerDocument();
      const owner = await ownerOf(subjectRef);
      const claims = p.role === 'player' ? { platform: o.issuer } : (b.claims ?? {});
      const r = await decided(
        p,
        'issueCredential',
        { kind: 'subject', owner },
        'subject:credential',
        b.purpose,
        (policy) =>
          o.credentials.issue(
            {
              type: b.type,
              subjectRef,
              holderJwk: b.holderJwk as never,
              claims: claims as never,
              ...(b.evidence === undefined ? {} : { evidence: b.evidence }),
              ...(b.ttlSeconds === undefined ? {} : { ttlSeconds: b.ttlSeconds }),
            },
            { actor: p.actor, policy },
          ),
      );
      const { subjectRef: _omit, ...record } = r.credential;
      return reply.code(201).send({ sdJwt: r.sdJwt, credential: record });
    },
  );

  for (const [verb, status] of [
    ['revoke', 'revoked'],
    ['suspend', 'suspended'],
    ['reinstate', 'valid'],
  ] as const)
    app.post(
      `/v1/credentials/:id/${verb}`,
      {
        schema: {
          summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a credential through its status list entry; the default policies allow it to a token granted \`credential.revoke\``,
          ...secured,
          params: Type.Object({ id: CredentialId }, { additionalProperties: false }),
          response: { 200: ok(CredentialRecord, 'The credential as it is now'), ...authErrors },
        },
        onRequest: authenticate,
      },
      async (req) => {
        const p = principalOf(req);
        const rec = await o.credentials.get(req.params.id);
        // An unknown id is decided like a known one (a subject no one owns): a caller that may
        // change no credential learns nothing of which ids were issued (D415).
        const owner = rec === undefined ? ABSENT_OWNER : await ownerOf(rec.subjectRef);
        const next = await decided(
          p,
          'revokeCredential',
          { kind: 'subject', owner },
          `credential:${req.params.id}`,
          'security',
          (policy) => {
            if (rec === undefined)
              throw new CredentialError(
                'VERITY_E_VC_NOT_FOUND',
                `no credential ${quote(req.params.id)} was issued here`,
              );
            return o.credentials.setStatus(rec.id, status, { actor: p.actor, policy });
          },
        );
        const { subjectRef: _omit, ...record } = next;
        return record;
      },
    );

  app.post(
    '/v1/presentations/verify',
    {
      schema: {
        summary:
          'Verify an SD-JWT VC presentation (RFC 9901 with key binding): issuer Verity or on the trust list, disclosures, `aud`/`nonce`, status list entry. Answers the disclosed claims',
        ...secured,
        body: body({
          presentation: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
          audience: Type.Optional(Type.String({ maxLength: 512 })),
          nonce: Type.Optional(Type.String({ maxLength: 512 })),
          requireKeyBinding: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object(
            { issuer: Type.String(), vct: Type.String(), keyBound: Type.Boolean(), claims: JsonObject },
            { description: 'The presentation is valid: who issued it, its type, the disclosed claims' },
          ),
          ...bodyErrors,
          422: { description: 'The presentation is not valid (the code says why)', ...Type.Ref('Error') },
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      principalOf(req);
      await issuerDocument();
      const b = req.body;
      return o.verifier.verify(b.presentation, {
        ...(b.audience === undefined ? {} : { audience: b.audience }),
        ...(b.nonce === undefined ? {} : { nonce: b.nonce }),
        ...(b.requireKeyBinding === undefined ? {} : { requireKeyBinding: b.requireKeyBinding }),
      });
    },
  );
}
