import { ABSENT_OWNER, recordResource } from '../access/index.ts';
import { toBase64 } from '../encoding/index.ts';
import { LogError, VaultError, VerityError } from '../errors/index.ts';
import { listOpsHistory } from '../log/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import type { Capability } from '../principals/index.ts';
import { auditEntryOf, type LegalBasisSource } from '../reports/index.ts';
import type { Store } from '../store/index.ts';
import type { Witnessing } from '../witness/index.ts';
import type { Gate, Principal, RecordRoutesOptions } from './gate.ts';
import { type App, authErrors, nat, ok, Purpose, RecordId } from './schemas.ts';
import { Type } from './typebox.ts';

/** What the Trust Center's read routes need besides the record routes' options. */
export interface TrustRoutesOptions {
  /** The server's witnesses, when it has any: their keys are trust anchors, their progress health. */
  readonly witnessing?: Witnessing;
  readonly witnessKeys?: readonly string[];
  readonly quorum?: number;
  readonly legalBases?: LegalBasisSource;
  /** The store whose operations history index lists retention runs and key rotations. */
  readonly store?: Store;
}

/** Most entries one page of the operations history carries (each with its inclusion proof). */
const MAX_HISTORY_PAGE = 100;

/** What each kind of the operations history lists: its audit action, and a resource it must name. */
const HISTORY = {
  retention: { action: 'retention.run', resource: /^retention:run$/ },
  rotation: { action: 'key.rotate', resource: /^kek:[0-9]{1,15}$/ },
} as const;

const ProvenEntry = Type.Object({
  index: nat,
  entry: Type.String({ contentEncoding: 'base64', description: 'The entry bytes' }),
  proof: Type.Array(Type.String({ contentEncoding: 'base64' }), { maxItems: 64 }),
});

const Answer = Type.Object({}, { additionalProperties: true });

/**
 * The read routes the Trust Center (`/trust`) needs and no other route answers: the trust anchors
 * a browser pins (public, like `/v1/log/key`), the evidence of a record's trust report that only
 * the server can measure (key state, the policy decision), and the operators' overview (policy in
 * force and its versions, key-encryption keys, witnesses' progress), granted by `trust.read`.
 */
export function registerTrustRoutes(app: App, o: RecordRoutesOptions, t: TrustRoutesOptions, gate: Gate): void {
  const { authenticate, principalOf, ownerOf, decide, consentOf, logOutcome } = gate;
  const secured = { security: [{ bearer: [] }] };

  app.get(
    '/v1/trust/anchors',
    {
      schema: {
        summary:
          "The trust anchors a browser pins on first use: the log's verifier key, the witnesses' cosigner keys and the quorum the server requires. Public, like the key and the checkpoint; compare them with `verity log key` and `verity witness key` out of band",
        response: {
          200: Type.Object({
            logKey: Type.String(),
            witnesses: Type.Array(Type.Object({ name: Type.String(), key: Type.String() })),
            quorum: Type.Integer({ minimum: 0 }),
          }),
        },
      },
    },
    async () => ({
      logKey: o.log.verifierKey,
      witnesses: (t.witnessKeys ?? []).map((key) => ({ name: key.split('+')[0] ?? key, key })),
      quorum: t.quorum ?? 0,
    }),
  );

  app.get(
    '/v1/trust/records/:id',
    {
      schema: {
        summary:
          "The evidence of a record's trust report that only the server can measure: the key-encryption key that wraps its subject's data key and that key's state, and the policy decision for reading it for `purpose` (with its legal basis and the consent it read). Authorized and logged as a read of the record; the proofs are checked by the caller from `GET /v1/records/{id}`",
        ...secured,
        params: Type.Object({ id: RecordId }, { additionalProperties: false }),
        querystring: Type.Object({ purpose: Purpose }, { additionalProperties: false }),
        response: { 200: ok(Answer, 'The evidence'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const { id } = req.params;
      const purpose = req.query.purpose;
      const desc = await o.vault.describe(id);
      const owner = desc === undefined ? ABSENT_OWNER : await ownerOf(desc.subjectRef);
      const resource = recordResource(id, owner, desc);
      const { logged } = await decide(p, 'read', resource, `record:${id}`, purpose);
      await logged;
      if (desc === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'no such record');
      const keys = await o.vault.keyEvidence(desc.subjectRef);
      const consent = await consentOf(p, 'read', resource, purpose);
      return {
        id,
        algorithm: 'AES-256-GCM',
        kekVersion: keys?.kekVersion ?? null,
        kekState: keys?.kekState ?? 'none',
        decision: { allowed: true, policyHash: o.policies().policyHash, purpose },
        legalBasis: t.legalBases?.basisOf(purpose)?.basis ?? null,
        consent: consent.consent,
      };
    },
  );

  /** A capability check whose decision, allow or deny, is logged. */
  const need = async (p: Principal, cap: Capability, label: string): Promise<void> => {
    const allowed = p.role !== 'player' && p.capabilities.includes(cap);
    await logOutcome(p, label, 'audit', allowed ? 'success' : 'denied', {
      action: cap,
      decision: allowed ? 'allow' : 'deny',
    });
    if (!allowed)
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `this needs a token granted \`${cap}\`: create one with \`verity tokens create ... --role operator --capability ${cap}\``,
      );
  };

  app.get(
    '/v1/trust/operations',
    {
      schema: {
        summary:
          "The operators' overview (`trust.read`): the log's size, the access policy set in force (its hash), the privacy policy in force and every installed version, the key-encryption keys and their states, and each witness's progress (the tree size it last cosigned, how far behind the log it is)",
        ...secured,
        response: { 200: ok(Answer, 'The overview'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await need(p, 'trust.read', 'trust:operations');
      const head = await o.log.head();
      const privacy = o.privacy;
      return {
        log: { size: head.size, origin: o.log.verifierKey.split('+')[0] ?? '' },
        policy: {
          access: { hash: o.policies().policyHash },
          privacy:
            privacy === undefined
              ? null
              : {
                  version: privacy.policy.version,
                  installed: (await privacy.installedVersions()).sort((a, b) => a.installedAt - b.installedAt),
                },
        },
        keks: await o.vault.keks(),
        witnesses: (t.witnessing?.witnesses ?? []).map((w) => ({
          name: w.name,
          url: w.url,
          cosignedSize: w.cosignedSize,
          behind: w.cosignedSize < 0 ? head.size : Math.max(0, head.size - w.cosignedSize),
        })),
        quorum: t.quorum ?? 0,
      };
    },
  );

  const store = t.store;
  if (store === undefined) return;
  app.get(
    '/v1/trust/operations/history',
    {
      schema: {
        summary:
          "The operators' history (`trust.read`) of retention runs (`kind=retention`) or key-encryption-key rotations (`kind=rotation`), newest first: each run's log entry with its inclusion proof against the signed checkpoint given (cosigned by the witnesses when the server has them), to verify where it is read. Read from an index written with each run, never by scanning the log; page with `before` (the `next` of the previous page)",
        ...secured,
        querystring: Type.Object(
          {
            kind: Type.Union([Type.Literal('retention'), Type.Literal('rotation')]),
            before: Type.Optional(nat),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HISTORY_PAGE, default: 20 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              kind: Type.String(),
              checkpoint: Type.String({ description: 'The signed checkpoint every proof leads to' }),
              treeSize: nat,
              entries: Type.Array(ProvenEntry),
              pending: Type.Integer({
                minimum: 0,
                description: 'Newer entries of this page not yet in the checkpoint (witnesses still to cosign)',
              }),
              next: Type.Union([nat, Type.Null()], { description: 'The `before` of the next (older) page, if any' }),
            },
            { description: 'Proven entries, newest first' },
          ),
          ...authErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      await need(p, 'trust.read', 'trust:operations');
      const { kind } = req.query;
      const limit = req.query.limit ?? 20;
      const listed = await listOpsHistory(store.reader, kind, {
        limit: limit + 1,
        ...(req.query.before === undefined ? {} : { before: req.query.before }),
      });
      const page = listed.slice(0, limit);
      const note = t.witnessing?.cosigned() ?? (await o.log.checkpoint());
      const cp = verifyCheckpoint(note, o.log.verifier, o.log.origin).checkpoint;
      const proven = page.filter((i) => i < cp.size);
      const proofs = await o.log.inclusionProofs(proven, cp.size);
      const want = HISTORY[kind];
      const entries = [];
      for (const [k, index] of proven.entries()) {
        const bytes = (await o.log.entries(index, index + 1))[0] as Uint8Array;
        const e = auditEntryOf(bytes);
        // INVARIANT: the index names only entries its writer logged; anything else is tampering.
        if (e === undefined || e.action !== want.action || !want.resource.test(e.resource))
          throw new LogError(
            'VERITY_E_LOG_TAMPERED',
            `log entry ${index} of the operations history is not a ${kind} entry; run \`verity log verify\``,
          );
        entries.push({ index, entry: toBase64(bytes), proof: proofs[k]?.proof ?? [] });
      }
      return {
        kind,
        checkpoint: note,
        treeSize: cp.size,
        entries,
        pending: page.length - proven.length,
        next: listed.length > limit ? (page[page.length - 1] as number) : null,
      };
    },
  );
}
