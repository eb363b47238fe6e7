import { didKeyDocument } from '../did/index.ts';
import { fromBase64Url } from '../encoding/index.ts';
import { ProvenanceError } from '../errors/index.ts';
import {
  CreationProvenance,
  MAX_MANIFEST_BYTES,
  PROVENANCE_RECORD_TYPE,
  type ResolveOptions,
  verifyProvenance,
} from '../provenance/index.ts';
import type { Gate, RecordRoutesOptions } from './gate.ts';
import { type App, body, bodyErrors, nat, ok, Purpose, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** Largest file a manifest is checked against over HTTP (the body carries it base64url). */
export const MAX_CREATION_BYTES = 4 * 1024 * 1024;

/**
 * Over HTTP, creators are did:key: the server resolves them locally and never fetches a did:web
 * document a caller names (a request would otherwise make the server call any host).
 */
const RESOLVE: ResolveOptions = {
  resolve: async (did) => {
    if (!did.startsWith('did:key:'))
      throw new ProvenanceError(
        'VERITY_E_PROVENANCE_CREATOR',
        'over HTTP a creator is a did:key; verify did:web creators with the library, which fetches their documents',
      );
    return didKeyDocument(did);
  },
};

const Manifest = Type.String({
  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  maxLength: MAX_MANIFEST_BYTES,
  description: 'the provenance manifest, a compact JWS signed by a key of the creator (D202)',
});
const Content = Type.String({
  pattern: '^[A-Za-z0-9_-]*$',
  maxLength: Math.ceil((MAX_CREATION_BYTES * 4) / 3),
  description: 'the file the manifest describes, base64url (at most 4 MiB)',
});
const Verified = Type.Object(
  {
    digest: Type.String(),
    creator: Type.String(),
    kid: Type.String(),
    manifest: Type.Object({}, { additionalProperties: true }),
  },
  { description: 'the manifest verified against the file; `digest` is what a token refers to' },
);

/**
 * Provenance of creations over HTTP (FGMV-46 7.2.4, D202): verify a manifest against its file, and
 * seal a verified one as a record of the creator's player, decided by Cedar as any record write.
 */
export function registerProvenanceRoutes(app: App, o: RecordRoutesOptions, gate: Gate): void {
  const { authenticate, principalOf, ownerOf, decided } = gate;
  const secured = { security: [{ bearer: [] }] };
  const provenance = new CreationProvenance({ vault: o.vault, resolve: RESOLVE });
  const bodyLimit = Math.ceil((MAX_CREATION_BYTES * 4) / 3) + MAX_MANIFEST_BYTES + 4096;

  app.post(
    '/v1/provenance/verify',
    {
      schema: {
        summary:
          'Verify a provenance manifest against the file it describes (signature, creator, content); stores nothing',
        ...secured,
        body: body({ manifest: Manifest, content: Content }),
        response: { 200: Verified, ...bodyErrors },
      },
      bodyLimit,
      onRequest: authenticate,
    },
    async (req) => {
      principalOf(req);
      const v = await verifyProvenance(req.body.manifest, fromBase64Url(req.body.content, 'content'), RESOLVE);
      return { digest: v.digest, creator: v.manifest.creator, kid: v.kid, manifest: v.manifest };
    },
  );

  app.post(
    '/v1/provenance',
    {
      schema: {
        summary:
          'Seal a verified provenance manifest as an `asset.provenance` record of the creator; authorized by Cedar as a record write',
        ...secured,
        body: body({ manifest: Manifest, content: Content, subject: Subject, purpose: Purpose }),
        response: {
          201: ok(
            Type.Object({ id: Type.String(), version: nat, logIndex: nat, digest: Type.String() }),
            'Verified and sealed',
          ),
          ...bodyErrors,
        },
      },
      bodyLimit,
      onRequest: authenticate,
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const content = fromBase64Url(b.content, 'content');
      // Verified once, before the decision, so that a refused manifest costs no decision entry;
      // sealed under the decision's policy hash.
      const verified = await verifyProvenance(b.manifest, content, RESOLVE);
      const sealed = await decided(
        p,
        'write',
        {
          kind: 'record',
          id: 'new',
          owner: await ownerOf(await o.vault.subjectRef(b.subject)),
          type: PROVENANCE_RECORD_TYPE,
          category: 'unclassified',
          sensitivity: 'confidential',
        },
        'record:new',
        b.purpose,
        (policy) =>
          provenance.seal({
            actor: p.actor,
            purpose: b.purpose,
            policy,
            jws: b.manifest,
            content,
            subject: b.subject,
            verified,
          }),
      );
      return reply
        .code(201)
        .send({ id: sealed.id, version: sealed.version, logIndex: sealed.logIndex, digest: sealed.digest });
    },
  );
}
