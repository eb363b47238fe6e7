import type { TProperties } from 'typebox';
import { InputError } from '../errors/index.ts';
import { describeEntry, type TransparencyLog } from '../log/index.ts';
import { TILE_WIDTH } from '../merkle/index.ts';
import { parseCheckpoint, splitNote } from '../note/index.ts';
import type { Witnessing } from '../witness/index.ts';
import { type App, ConsistencyProof, InclusionProof, logErrors, media, ok, ref } from './schemas.ts';
import { Type } from './typebox.ts';

const MAX_ENTRIES_PER_PAGE = 1000;

/** A log position or tree size in a query string. */
const position = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const query = <P extends TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });

/** The size of a signed checkpoint note (one this server made). */
const sizeOf = (note: string) => parseCheckpoint(splitNote(note).text).size;

/**
 * The public transparency endpoints: checkpoint, key, proofs, entries and C2SP tiles; with
 * witnesses, the newest cosigned checkpoint at `/checkpoint`.
 */
export function registerLogRoutes(app: App, log: TransparencyLog, witnessing?: Witnessing): void {
  app.get(
    '/checkpoint',
    {
      schema: {
        summary:
          'C2SP tlog-tiles checkpoint: with witnesses, the newest checkpoint they cosigned, their C2SP tlog-cosignatures after the log signature; else the latest',
        response: { 200: media('text/plain', 'The note', { type: 'string' }) },
      },
    },
    async (_req, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(witnessing?.cosigned() ?? (await log.checkpoint())),
  );
  app.get(
    '/v1/log/checkpoint',
    {
      schema: {
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint in a C2SP signed note)',
        response: { 200: media('text/plain', 'The note', { type: 'string' }) },
      },
    },
    async (_req, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await log.checkpoint()),
  );
  app.get(
    '/v1/log/key',
    {
      schema: {
        summary: "The log's verifier key in signed-note format (name+hash+base64key)",
        response: { 200: media('text/plain', 'The key', { type: 'string' }) },
      },
    },
    async (_req, reply) => reply.type('text/plain; charset=utf-8').send(`${log.verifierKey}\n`),
  );
  app.get(
    '/v1/log/proofs/inclusion',
    {
      schema: {
        summary: 'RFC 9162 inclusion proof of an entry',
        querystring: query({
          index: position('Leaf index'),
          size: Type.Optional(position('Tree size (default: current)')),
        }),
        response: { 200: ok(ref(InclusionProof), 'A verify-proof case'), ...logErrors },
      },
    },
    async (req) => {
      const proof = await log.inclusionProof(req.query.index, req.query.size);
      // A proof for the tree the witnesses cosigned carries their checkpoint.
      const cosigned = witnessing?.cosigned();
      return cosigned !== undefined && sizeOf(cosigned) === proof.treeSize ? { ...proof, checkpoint: cosigned } : proof;
    },
  );
  app.get(
    '/v1/log/proofs/consistency',
    {
      schema: {
        summary: 'RFC 9162 consistency proof between two tree sizes',
        querystring: query({
          from: position('Older tree size'),
          to: Type.Optional(position('Newer tree size (default: current)')),
        }),
        response: { 200: ok(ConsistencyProof, 'A verify-proof case'), ...logErrors },
      },
    },
    async (req) => log.consistencyProof(req.query.from, req.query.to),
  );
  app.get(
    '/v1/log/entries',
    {
      schema: {
        summary: `Decoded audit entries [from, to), at most ${MAX_ENTRIES_PER_PAGE}`,
        querystring: query({ from: position('First index'), to: Type.Optional(position('End index (exclusive)')) }),
        response: {
          200: ok(
            Type.Array(
              Type.Object({
                index: Type.Integer({ minimum: 0 }),
                entry: Type.Optional(Type.Object({}, { description: 'The decoded audit entry' })),
                state: Type.Optional(
                  Type.Object(
                    {},
                    { description: 'The state-map changes a transaction recorded (keys and values, base64)' },
                  ),
                ),
                raw: Type.Optional(Type.String({ contentEncoding: 'base64', description: 'An entry that is neither' })),
              }),
            ),
            'Entries',
          ),
          ...logErrors,
        },
      },
    },
    async (req) => {
      const { from } = req.query;
      const size = (await log.head()).size;
      const to = req.query.to ?? Math.min(size, from + 100);
      if (to - from > MAX_ENTRIES_PER_PAGE)
        throw new InputError('VERITY_E_INPUT_TOO_LARGE', `at most ${MAX_ENTRIES_PER_PAGE} entries per request`);
      return (await log.entries(from, to)).map((e, i) => describeEntry(e, from + i));
    },
  );
  app.get(
    '/tile/*',
    {
      schema: {
        summary: 'C2SP tlog-tiles: hash tiles tile/L/N[.p/W] and entry bundles tile/entries/N[.p/W]',
        params: Type.Object({
          '*': Type.String({ description: 'The rest of the tile path, e.g. 0/x001/234/067.p/5' }),
        }),
        response: { 200: media('application/octet-stream', 'Tile bytes'), ...logErrors },
      },
    },
    async (req, reply) => {
      const path = `tile/${req.params['*']}`;
      const bytes = await log.readTile(path);
      // Full tiles never change (C2SP tlog-tiles): cache them for good. Partial ones grow.
      const full =
        !path.includes('.p/') &&
        bytes.byteLength > 0 &&
        (path.startsWith('tile/entries/') || bytes.byteLength === TILE_WIDTH * 32);
      return reply
        .type('application/octet-stream')
        .header('cache-control', full ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
}
