import { fromBase64Url, toBase64Url } from '../encoding/index.ts';
import { InputError, MlsError, VerityError } from '../errors/index.ts';
import { MAX_KEY_LOOKUP, MAX_MESSAGE_BYTES, type MlsDelivery, type MlsReports } from '../mls/index.ts';
import type { Capability } from '../principals/index.ts';
import type { Vault } from '../vault/index.ts';
import { type Gate, notGranted, type Principal } from './gate.ts';
import { type App, authErrors, body, bodyErrors, nat, ok, Subject } from './schemas.ts';
import { Type } from './typebox.ts';

/** What the end-to-end encrypted rooms endpoints need. */
export interface MlsRoutesOptions {
  readonly delivery: MlsDelivery;
  readonly reports: MlsReports;
}

export const PURPOSE = 'communication';
/** Base64url bytes of at most `max` bytes (as text: 4/3 of it). */
const Bytes = (max: number, description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength: Math.ceil((max * 4) / 3), description });
const Message = (what: string) => Bytes(MAX_MESSAGE_BYTES, `${what}: an encoded MLSMessage (RFC 9420 6), base64url`);
export const GroupId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,86}$', description: 'the MLS group id, base64url' });
/** A member's identity: the identity in their MLS credential (a player's subject reference). */
export const Identity = Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$' });
const Epoch = Type.Integer({ minimum: 0, description: 'the epoch the message was made in (as in its header)' });
export const As = {
  subject: Type.Optional(
    Type.Unsafe<string>({
      ...Subject,
      description: 'a service granted `mls.deliver` names the player it acts for; a player session leaves it out',
    }),
  ),
};
const groupParams = Type.Object({ groupId: GroupId }, { additionalProperties: false });
const RoomBody = Type.Object(
  {
    groupId: Type.String(),
    epoch: nat,
    members: Type.Immutable(
      Type.Array(Type.String(), { description: 'the members by identity, in the order they joined' }),
    ),
    seq: nat,
    createdAt: nat,
    franking: Type.Optional(Type.Literal(false, { description: 'present when the room was opened with franking off' })),
  },
  { description: 'the room as authenticated state' },
);
const Fanned = Type.Object(
  { seq: nat, delivered: nat },
  { description: 'the sequence number in the room and how many members it was queued for' },
);

/** Who an MLS request acts as, and who may moderate: the checks every MLS route makes. */
export function mlsAccess(vault: Vault, gate: Gate) {
  /** A logged refusal for want of a capability, never implied by a role. */
  const refuse = async (p: Principal, cap: Capability, label: string): Promise<never> => {
    await gate.logOutcome(p, label, PURPOSE, 'denied', { action: cap, decision: 'deny' });
    throw new VerityError(
      'VERITY_E_ACCESS_DENIED',
      p.role === 'player' ? 'a player session cannot do this' : notGranted(p, cap, { role: 'caller' }),
    );
  };

  /** The identity the request acts as: the session's player, or the player a `mls.deliver` service names. */
  const identityOf = async (p: Principal, as: string | undefined, label: string): Promise<string> => {
    if (p.role === 'player') {
      if (as !== undefined)
        throw new InputError('VERITY_E_INPUT_INVALID', 'a player session acts as itself: leave `subject` out');
      return p.name;
    }
    if (p.role !== 'service' || !p.capabilities.includes('mls.deliver')) return refuse(p, 'mls.deliver', label);
    if (as === undefined)
      throw new InputError('VERITY_E_INPUT_INVALID', 'a service names the player it acts for in `subject`');
    // Not a trusted identity provider's player, whom it does not vouch for (D422, D435).
    await gate.refuseNamespaced(p, 'write', label, PURPOSE, as);
    return vault.subjectRef(as);
  };

  const moderator = async (p: Principal, label: string): Promise<string> => {
    if (p.role === 'player' || !p.capabilities.includes('mls.moderate')) return refuse(p, 'mls.moderate', label);
    return p.actor;
  };
  return { refuse, identityOf, moderator };
}

/**
 * End-to-end encrypted rooms over HTTP (FGMV-46 7.2.1): Verity as MLS delivery and authentication
 * service. Players act with their session, as the identity their credentials name (their subject
 * reference, `POST /v1/mls/identity`); a service acts for a player it names only with a token
 * granted `mls.deliver`; moderators read abuse reports and act on them with `mls.moderate`. Every
 * message is opaque to the server: bodies carry MLS messages base64url-encoded.
 */
export function registerMlsRoutes(app: App, m: MlsRoutesOptions, vault: Vault, gate: Gate): void {
  const { authenticate, principalOf } = gate;
  const { delivery } = m;
  const { identityOf, refuse } = mlsAccess(vault, gate);
  const secured = { security: [{ bearer: [] }] };

  const bytes = (text: string, what: string) => fromBase64Url(text, what);

  app.post(
    '/v1/mls/identity',
    {
      schema: {
        summary:
          "The identity a player's MLS credentials must name (a basic credential whose identity is this text, UTF-8): their subject reference, never their player id",
        ...secured,
        body: body(As),
        response: { 200: Type.Object({ identity: Identity }, { description: 'The identity' }), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => ({ identity: await identityOf(principalOf(req), req.body.subject, 'mls:identity') }),
  );

  app.post(
    '/v1/mls/keypackages',
    {
      schema: {
        summary:
          'Publish a KeyPackage (RFC 9420 10) of the caller: refused unless its basic credential names the caller and its signatures and lifetime verify. Each is handed out once; `lastResort` marks the one handed out when no other is left (it replaces the previous one)',
        ...secured,
        body: body({ ...As, keyPackage: Message('the KeyPackage'), lastResort: Type.Optional(Type.Boolean()) }),
        response: {
          201: Type.Object(
            { ref: Type.String({ description: 'its KeyPackageRef, base64url' }) },
            { description: 'Published' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:keypackage');
      const out = await delivery.publishKeyPackage(who, bytes(b.keyPackage, 'keyPackage'), {
        lastResort: b.lastResort === true,
      });
      return reply.code(201).send(out);
    },
  );

  app.post(
    '/v1/mls/keypackages/count',
    {
      schema: {
        summary: "How many of the caller's KeyPackages are left to claim, and whether a last-resort one is published",
        ...secured,
        body: body(As),
        response: {
          200: Type.Object({ available: nat, lastResort: Type.Boolean() }, { description: 'The count' }),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => delivery.keyPackageCount(await identityOf(principalOf(req), req.body.subject, 'mls:count')),
  );

  app.post(
    '/v1/mls/keypackages/claim',
    {
      schema: {
        summary:
          'Claim one KeyPackage of a player to add them to a room: by player id (`player`) or by MLS identity (`identity`). An ordinary one is handed out once; the last-resort one when none is left. Only a Welcome of the claimer may use it',
        ...secured,
        body: body({ ...As, player: Type.Optional(Subject), identity: Type.Optional(Identity) }),
        response: {
          200: Type.Object(
            { ref: Type.String(), keyPackage: Type.String(), lastResort: Type.Boolean(), identity: Identity },
            { description: 'The KeyPackage (an encoded MLSMessage, base64url) and whose it is' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:claim');
      if ((b.player === undefined) === (b.identity === undefined))
        throw new InputError('VERITY_E_INPUT_INVALID', 'name the player to claim for by `player` or by `identity`');
      const identity = b.identity ?? (await vault.subjectRef(b.player as string));
      const c = await delivery.claimKeyPackage(who, identity);
      return { ref: c.ref, keyPackage: toBase64Url(c.keyPackage), lastResort: c.lastResort, identity };
    },
  );

  app.post(
    '/v1/mls/keys',
    {
      schema: {
        summary:
          "Bind a signature key to the caller in their key transparency entry without publishing a KeyPackage to claim: `keyPackage` is one signed by that key and naming the caller (checked as a published one), e.g. the caller's leaf in a group they create",
        ...secured,
        body: body({ ...As, keyPackage: Message('a KeyPackage signed by the key') }),
        response: {
          200: Type.Object(
            { signatureKey: Type.String({ description: 'the signature public key bound, base64url' }) },
            { description: 'Bound' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:keys');
      return delivery.registerKey(who, bytes(b.keyPackage, 'keyPackage'));
    },
  );

  app.post(
    '/v1/mls/keys/lookup',
    {
      schema: {
        summary:
          'Key transparency: the key entries of members by identity (their signature keys and unclaimed KeyPackage references, `mls.keys` objects), each with its state proof under the latest signed checkpoint, or the proof that there is none. A client checks the keys members show in a room against them',
        ...secured,
        body: body({
          ...As,
          identities: Type.Array(Identity, { minItems: 1, maxItems: MAX_KEY_LOOKUP, uniqueItems: true }),
        }),
        response: {
          200: Type.Object(
            {
              checkpoint: Type.String({ description: 'the signed checkpoint everything is proven against' }),
              entries: Type.Array(
                Type.Object({
                  identity: Identity,
                  object: Type.Optional(
                    Type.Object({
                      id: Type.String(),
                      owner: Type.String(),
                      body: Type.String({ description: 'the entry (JSON: identity, signatureKeys, keyPackages)' }),
                      version: nat,
                      updatedAt: nat,
                    }),
                  ),
                  proof: Type.String({ description: 'the compact state proof, base64' }),
                }),
              ),
            },
            { description: 'The entries with their proofs' },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      await identityOf(principalOf(req), req.body.subject, 'mls:keys');
      return delivery.keyProofs(req.body.identities);
    },
  );

  app.post(
    '/v1/mls/rooms',
    {
      schema: {
        summary:
          'Open a room for an MLS group the caller created: epoch 0, the caller its one member. `franking: false` lets its application messages come without a franking commitment (for members whose MLS library cannot set authenticated data); those cannot be reported',
        ...secured,
        body: body({
          ...As,
          groupId: GroupId,
          franking: Type.Optional(Type.Boolean({ description: 'default true: every message must be franked' })),
        }),
        response: { 201: RoomBody, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const who = await identityOf(principalOf(req), req.body.subject, 'mls:room');
      const franking = req.body.franking === false ? { franking: false } : {};
      return reply.code(201).send(await delivery.createRoom(who, bytes(req.body.groupId, 'groupId'), franking));
    },
  );

  app.get(
    '/v1/mls/rooms/:groupId',
    {
      schema: {
        summary:
          "A room's authenticated state (epoch, members, message sequence), for its members' sessions and for services granted `mls.deliver`",
        ...secured,
        params: groupParams,
        response: { 200: ok(RoomBody, 'The room'), ...authErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const p = principalOf(req);
      const room = await delivery.room(bytes(req.params.groupId, 'groupId'));
      if (p.role === 'player') {
        if (room === undefined || !room.members.includes(p.name))
          throw new MlsError('VERITY_E_MLS_NOT_MEMBER', 'only members read a room; join from a Welcome first');
      } else if (p.role !== 'service' || !p.capabilities.includes('mls.deliver'))
        return refuse(p, 'mls.deliver', 'mls:room-read');
      if (room === undefined)
        throw new MlsError('VERITY_E_MLS_ROOM_NOT_FOUND', 'no room has this group id; create it first');
      return room;
    },
  );

  app.post(
    '/v1/mls/rooms/:groupId/commits',
    {
      schema: {
        summary:
          "Post a commit for the room's current epoch (stated in `epoch`): of two commits for one epoch the first wins and the second is refused with VERITY_E_MLS_STALE_EPOCH. The Welcome for the members it adds travels with it (encrypted to KeyPackages the caller claimed); `removes` names the members it removes (the service cannot read the commit)",
        ...secured,
        params: groupParams,
        body: body({
          ...As,
          epoch: Epoch,
          commit: Message('the commit'),
          welcome: Type.Optional(Message('the Welcome for the members the commit adds')),
          removes: Type.Optional(Type.Array(Identity, { maxItems: 1000 })),
        }),
        response: {
          200: Type.Object(
            { epoch: nat, added: nat, removed: nat },
            { description: "The room's new epoch, and how many members were added and removed" },
          ),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:commit');
      return delivery.commit(who, bytes(req.params.groupId, 'groupId'), {
        epoch: b.epoch,
        commit: bytes(b.commit, 'commit'),
        ...(b.welcome === undefined ? {} : { welcome: bytes(b.welcome, 'welcome') }),
        ...(b.removes === undefined ? {} : { removes: b.removes }),
      });
    },
  );

  app.post(
    '/v1/mls/rooms/:groupId/proposals',
    {
      schema: {
        summary:
          "Post a proposal (a handshake message that is not a commit, e.g. to leave the room) for the room's current epoch; it is queued for every other member, and a later commit includes it",
        ...secured,
        params: groupParams,
        body: body({ ...As, epoch: Epoch, proposal: Message('the proposal') }),
        response: { 200: Fanned, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:proposal');
      return delivery.propose(who, bytes(req.params.groupId, 'groupId'), bytes(b.proposal, 'proposal'), {
        epoch: b.epoch,
      });
    },
  );

  app.post(
    '/v1/mls/rooms/:groupId/messages',
    {
      schema: {
        summary:
          "Post an application message (a PrivateMessage) for the room's current epoch, fanned out to every other member's queue. Its authenticated data must carry the sender's franking commitment (the SDK's MlsClient does this), which the service stamps for each recipient; in a room opened with `franking: false` a message may carry none (it is relayed unstamped)",
        ...secured,
        params: groupParams,
        body: body({ ...As, epoch: Epoch, message: Message('the application message') }),
        response: { 200: Fanned, ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:message');
      return delivery.send(who, bytes(req.params.groupId, 'groupId'), bytes(b.message, 'message'), {
        epoch: b.epoch,
      });
    },
  );

  const Queued = Type.Object({
    id: Type.String({ description: 'acknowledge it with this' }),
    groupId: Type.String(),
    seq: nat,
    type: Type.Enum(['commit', 'welcome', 'application', 'proposal']),
    epoch: nat,
    message: Type.String({ description: 'the MLS message as sent, base64url' }),
    at: nat,
    sender: Type.Optional(Type.String()),
    franking: Type.Optional(
      Type.Object({ commitment: Type.String(), stamp: Type.String({ description: 'the service stamp, for reports' }) }),
    ),
  });

  app.post(
    '/v1/mls/queue',
    {
      schema: {
        summary:
          'The messages waiting for the caller, by room and order sent (those past retention left out); acknowledge them with POST /v1/mls/queue/ack once processed',
        ...secured,
        body: body({ ...As, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: {
          200: Type.Object({ messages: Type.Array(Queued) }, { description: 'The waiting messages' }),
          ...bodyErrors,
        },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const b = req.body;
      const who = await identityOf(principalOf(req), b.subject, 'mls:fetch');
      const messages = await delivery.fetch(who, b.limit === undefined ? {} : { limit: b.limit });
      return { messages: messages.map((q) => ({ ...q, message: toBase64Url(q.message) })) };
    },
  );

  app.post(
    '/v1/mls/queue/ack',
    {
      schema: {
        summary: "Acknowledge (delete) messages of the caller's queue",
        ...secured,
        body: body({
          ...As,
          ids: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 500 }),
        }),
        response: { 200: Type.Object({ acknowledged: nat }, { description: 'How many were deleted' }), ...bodyErrors },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const who = await identityOf(principalOf(req), req.body.subject, 'mls:ack');
      return { acknowledged: await delivery.ack(who, req.body.ids) };
    },
  );
}
