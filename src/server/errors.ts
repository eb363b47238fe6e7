import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf } from '../codes/index.ts';
import { InputError, isVerityError, VerityError } from '../errors/index.ts';
import { IDENTIFIER_FORMAT } from './schemas.ts';

/**
 * Every error a client can receive, Fastify's and Node's own included, in Verity's one shape
 * `{"error":{"code","message"}}` with a code of `src/codes/codes.ts`.
 */

/** Longest path parameter the router matches (a record id is 26 characters). */
export const MAX_PARAM_LENGTH = 128;

const printable = (s: string, max: number) => s.slice(0, max).replace(/[^\x20-\x7e]/g, '?');

export function sendError(reply: FastifyReply, e: VerityError): FastifyReply {
  return reply.code(httpStatusOf(e.code)).type('application/json').send(e.toJSON());
}

type Failure = FastifyError & { validation?: unknown; validationContext?: unknown };
type ValidationIssue = {
  keyword?: string;
  instancePath?: string;
  params?: { format?: string; additionalProperty?: unknown; tag?: unknown };
};

/**
 * A property of the request body its route does not accept, when the validation failed at the
 * body's top level: a misspelt field (`subjet`) shows up first as a missing one (`subject`), and
 * the answer names both. Only the first such key, and only the caller's own input.
 */
function unknownProperty(e: Failure, first: ValidationIssue, req: FastifyRequest): string | undefined {
  if (first.keyword === 'additionalProperties' && typeof first.params?.additionalProperty === 'string')
    return first.params.additionalProperty;
  if (e.validationContext !== 'body' || first.instancePath !== '') return undefined;
  const schema = req.routeOptions.schema?.body as {
    properties?: Record<string, unknown>;
    additionalProperties?: unknown;
  };
  const body = req.body;
  if (schema?.additionalProperties !== false || schema.properties === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  return Object.keys(body).find((k) => !Object.hasOwn(schema.properties as object, k));
}

/**
 * The values a body's discriminating property takes (`query`: count, sum, ...), from the route's
 * `oneOf` schema: for a request that left it out, Ajv says only "tag must be string".
 */
function tagValues(req: FastifyRequest, tag: string): string[] {
  const schema = req.routeOptions.schema?.body as { oneOf?: { properties?: Record<string, unknown> }[] } | undefined;
  const values: string[] = [];
  for (const branch of schema?.oneOf ?? []) {
    const p = branch.properties?.[tag] as { const?: unknown; enum?: unknown[] } | undefined;
    for (const v of p?.enum ?? (p?.const === undefined ? [] : [p.const])) if (typeof v === 'string') values.push(v);
  }
  return values;
}

/** What a failed validation adds to Ajv's message so that the caller knows what to change. */
function validationHint(e: Failure, req: FastifyRequest): string {
  const first = (e.validation as ValidationIssue[])[0];
  if (first === undefined) return '';
  if (first.keyword === 'format' && first.params?.format === IDENTIFIER_FORMAT)
    return ": an identifier must be well-formed Unicode in NFC (normalize to NFC), without control, zero-width or default-ignorable characters or white space at either end, and a subject id must not begin with `verity-` (Verity's own)";
  const tag = first.params?.tag;
  if (first.keyword === 'discriminator' && typeof tag === 'string') {
    const values = tagValues(req, tag);
    if (values.length > 0) return ` (\`${tag}\` is one of ${values.join(', ')})`;
  }
  const extra = unknownProperty(e, first, req);
  return extra === undefined
    ? ''
    : ` (it has \`${printable(extra, 64)}\`, which is not a property of this request; the accepted ones are in /openapi.json)`;
}

/** A failure of Fastify's request handling (parsing, validation, routing) as a Verity error. */
function fromFastify(e: Failure, req: FastifyRequest): VerityError | undefined {
  if (e.validation !== undefined)
    return new InputError(
      'VERITY_E_INPUT_INVALID',
      `request ${printable(e.message ?? 'is invalid', 200)}${validationHint(e, req)}`,
    );
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InputError('VERITY_E_INPUT_MEDIA_TYPE', 'send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new InputError('VERITY_E_INPUT_TOO_LARGE', 'the request body is too large');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new InputError(
        'VERITY_E_INPUT_INVALID',
        `a path parameter is longer than ${MAX_PARAM_LENGTH} characters; no id is that long`,
      );
    case 'FST_ERR_BAD_URL':
      return new InputError('VERITY_E_INPUT_MALFORMED', 'the request path is not a valid URL (bad percent-encoding?)');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return new InputError('VERITY_E_INPUT_MALFORMED', printable(e.message ?? 'bad request', 200));
  return undefined;
}

/**
 * The error handler: Verity errors keep their code, Fastify's own are translated, anything else is
 * a 500 whose stack goes to the server log under the request id the answer names.
 */
export function handleError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isVerityError(err)) {
    // A 5xx with a code (a corrupt store, a tampered log) is the operator's to see, with its stack.
    if (httpStatusOf(err.code) >= 500)
      req.log.error({ err, route: req.routeOptions.url ?? 'unmatched' }, 'request failed');
    return sendError(reply, err);
  }
  const known = fromFastify(err as Failure, req);
  if (known !== undefined) return sendError(reply, known);
  req.log.error({ err, route: req.routeOptions.url ?? 'unmatched' }, 'request failed');
  return sendError(
    reply,
    new VerityError('VERITY_E_INTERNAL', `internal error; see the server log, request id ${req.id}`, {
      details: { requestId: req.id },
    }),
  );
}

/** Fastify's router errors (bad URL encoding, an over-long path parameter). */
export function handleFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  handleError(err, req, reply);
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply): void {
  sendError(
    reply,
    new VerityError(
      'VERITY_E_HTTP_ROUTE_NOT_FOUND',
      `no route ${req.method} ${printable(req.url, 100)}; see /openapi.json`,
    ),
  );
}

/** The request line counts as too long (414) rather than the headers (431) from this length. */
const LONG_REQUEST_LINE = 8 * 1024;

/** What Node's HTTP parser refused, before Fastify saw a request. */
function fromParser(err: Error & { code?: string; rawPacket?: Buffer }): VerityError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new VerityError('VERITY_E_HTTP_TIMEOUT', 'the request did not arrive in time; send it whole, promptly');
    case 'HPE_HEADER_OVERFLOW': {
      // Node reads at most 16 KiB of request line and headers together; a long first line is the URI.
      const raw = err.rawPacket;
      const end = raw === undefined ? -1 : raw.indexOf('\r\n');
      const lineLength = raw === undefined ? 0 : end === -1 ? raw.length : end;
      return lineLength >= LONG_REQUEST_LINE && raw !== undefined && /^[A-Z]{3,7} /.test(raw.toString('latin1', 0, 8))
        ? new VerityError('VERITY_E_HTTP_URI_TOO_LONG', 'the request URI is too long; send large input in a JSON body')
        : new VerityError('VERITY_E_HTTP_HEADERS_TOO_LARGE', 'the request headers are too large (16 KiB in all)');
    }
    default:
      return new InputError('VERITY_E_INPUT_MALFORMED', 'the request is not valid HTTP/1.1');
  }
}

/**
 * Node's `clientError`: answers in Verity's shape, then closes the connection (the parser cannot
 * continue). Nothing of the request is logged: its bytes may carry a token.
 */
export function handleClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = fromParser(err);
  const status = httpStatusOf(e.code);
  const body = JSON.stringify(e.toJSON());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
