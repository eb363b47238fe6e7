/**
 * The pieces of the HTTP contract that several routes share, written once in TypeBox: they
 * validate requests, type the handlers and feed the OpenAPI 3.1 document at /openapi.json.
 * Schemas with an `$id` are components of that document (`#/components/schemas/ID`).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Static, TProperties, TSchema, TUnsafe } from 'typebox';
import type { JsonValue } from '../encoding/index.ts';
import { Type } from './typebox.ts';

const TOKEN = '[a-z][a-z0-9._:-]{0,63}';

/** A purpose of processing, e.g. `service-provision` (Cedar checks it against the policies). */
export const Purpose = Type.String({ pattern: `^${TOKEN}$` });
/** A record id (also the shape of a de-identification token). */
export const RecordId = Type.String({ pattern: '^rec_[A-Za-z0-9_-]{22}$' });
/**
 * The format of identifiers a caller names (see `checkIdentifier`): well-formed Unicode in NFC,
 * without control, zero-width or default-ignorable characters.
 */
export const IDENTIFIER_FORMAT = 'verity-identifier';
/** A subject (player) as the caller names it; it travels in bodies, never in URLs. */
export const Subject = Type.String({ minLength: 1, maxLength: 256, format: IDENTIFIER_FORMAT });
/** A de-identification domain or key name. */
export const Domain = Type.String({ pattern: '^[a-z][a-z0-9._-]{0,39}$' });
/** Guardians of a minor, named like subjects. */
export const Guardians = Type.Array(Subject, { maxItems: 16 });

/** A count or log index. */
export const nat = Type.Integer({ minimum: 0 });
const b64 = Type.String({ contentEncoding: 'base64' });
const time = Type.String({ format: 'date-time' });
const contentHash = Type.String({ pattern: '^sha256:[A-Za-z0-9_-]{43}$' });

/** A schema that is a component of the document, under `id`. */
function component<T extends TSchema>(id: string, schema: T): T & { readonly $id: string } {
  return Object.assign(schema, { $id: id });
}

/** Any JSON object (a record's data). */
export const JsonObject = Type.Unsafe<{ [key: string]: JsonValue }>({ type: 'object' });

/** A JSON request body: exactly these properties (`Type.Optional` for the optional ones). */
export function body<P extends TProperties>(properties: P, options: object = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** The one error body of every failure: `{"error":{"code","message"}}`. */
export const ErrorBody = component(
  'Error',
  Type.Object({
    error: Type.Object({
      code: Type.String({ pattern: '^VERITY_E_[A-Z0-9_]+$' }),
      message: Type.String(),
      details: Type.Optional(Type.Object({})),
    }),
  }),
);

export const InclusionProof = component(
  'InclusionProof',
  Type.Object({
    type: Type.Literal('inclusion'),
    treeSize: Type.Integer({ minimum: 1 }),
    leafIndex: nat,
    leafHash: b64,
    rootHash: b64,
    proof: Type.Array(b64),
    checkpoint: Type.Optional(
      Type.String({ description: 'The signed checkpoint whose root is rootHash (when treeSize is the current size).' }),
    ),
  }),
);

export const ConsistencyProof = Type.Object({
  type: Type.Literal('consistency'),
  size1: nat,
  size2: nat,
  root1: b64,
  root2: b64,
  proof: Type.Array(b64),
});

export const PutResult = component(
  'PutResult',
  Type.Object({ id: RecordId, version: Type.Integer({ minimum: 1 }), logIndex: nat, contentHash, createdAt: time }),
);

/** How sensitive a record is. */
export const Sensitivity = Type.Enum(['public', 'internal', 'confidential', 'restricted']);
/** How a record's data entered the lifecycle. */
export const Origin = Type.Enum(['created', 'captured']);

export const RecordMeta = component(
  'RecordMeta',
  Type.Object({
    id: RecordId,
    version: Type.Integer({ minimum: 1 }),
    type: Type.String(),
    subject: Type.Optional(Type.String({ description: 'Only to callers who read the sealed payload' })),
    state: Type.Enum(['created', 'captured', 'stored', 'shared', 'used', 'archived', 'erased']),
    origin: Origin,
    classification: Type.Object({ category: Type.String(), sensitivity: Sensitivity }),
    provenance: Type.Object({
      creator: Type.String(),
      source: Type.Optional(Type.String()),
      signature: Type.Optional(Type.Object({ alg: Type.Literal('Ed25519'), publicKey: b64, value: b64 })),
    }),
    lineage: Type.Immutable(Type.Array(Type.String())),
    purpose: Type.String(),
    createdAt: time,
    retainUntil: Type.Union([time, Type.Null()]),
    contentHash,
    schema: Type.String(),
    logIndex: nat,
  }),
);

export const ReadResult = component(
  'ReadResult',
  Type.Object({
    data: JsonObject,
    meta: ref(RecordMeta),
    proof: Type.Intersect([
      ref(InclusionProof),
      Type.Object({
        checkpoint: Type.String(),
        entry: Type.String({ contentEncoding: 'base64', description: 'The log entry of the write (an audit entry)' }),
        contentSalt: Type.String({
          contentEncoding: 'base64url',
          description: "With the data, recomputes the entry's contentHash",
        }),
      }),
    ]),
    readLogIndex: nat,
  }),
);

export const Erased = component('Erased', Type.Object({ id: RecordId, versions: nat, logIndex: nat }));
export const Logged = component('Logged', Type.Object({ logIndex: nat }));

/** Every schema that is a component of the document, registered once with `addSchema`. */
export const COMPONENTS: readonly TSchema[] = [
  ErrorBody,
  InclusionProof,
  PutResult,
  RecordMeta,
  ReadResult,
  Erased,
  Logged,
];

/** A reference to a component, typed as the component (TypeBox types a bare `$ref` as unknown). */
export function ref<T extends TSchema & { $id: string }>(schema: T): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

/** An error answer of a route, in the `{"error":{"code","message"}}` shape. */
export const errorRef = (description: string) => ({ description, ...Type.Ref('Error') });

/** Answers of invalid input (every route that takes some). */
export const inputErrors = {
  400: errorRef('Malformed or invalid input'),
  413: errorRef('The body or a range is larger than its limit'),
};
/** Answers of an authenticated, Cedar-authorized route. */
/** The answer of a public sign-in endpoint to an address over its limit (src/server/limiter.ts). */
export const rateLimited = {
  429: errorRef('Too many sign-in requests from this address: wait as the Retry-After header says'),
};

export const authErrors = {
  401: errorRef('No live token'),
  403: errorRef('Denied by the policies'),
  ...inputErrors,
  404: errorRef('No such record, token or dataset'),
};
/** Answers of an authenticated route that takes a JSON body. */
export const bodyErrors = { ...authErrors, 415: errorRef('The body is not application/json') };
/** Answers of a public route that reads the log. */
export const logErrors = { ...inputErrors, 404: errorRef('Outside the log') };

/** A success answer with a JSON body. */
export function ok<T extends TSchema>(schema: T, description: string): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({ ...schema, description });
}

/** A success answer whose body is not JSON (documented by media type). */
export function media(type: string, description: string, schema: object = { type: 'string' }) {
  return { description, content: { [type]: { schema } } };
}

/** A Fastify instance whose route schemas type their handlers (TypeBox). */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
