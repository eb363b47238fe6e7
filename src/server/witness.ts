// The HTTP face of a witness (C2SP tlog-witness): POST /add-checkpoint, answered with the
// cosignature, or with the protocol's status codes; 409 carries the witness's tree size as
// `text/x.tlog.size`. Bodies are read as bytes whatever their media type, up to a small limit.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { isVerityError, VerityError } from '../errors/index.ts';
import { MAX_REQUEST_BYTES, SIZE_MEDIA_TYPE, type Witness } from '../witness/index.ts';
import { newFastify, type ServerOptions } from './app.ts';
import { sendError } from './errors.ts';
import { type LogOptions, logsRequests } from './logging.ts';

/** What a witness server serves. */
export interface WitnessServerOptions {
  readonly witness: Witness;
  readonly logging?: LogOptions;
  readonly tls?: ServerOptions['tls'];
}

/**
 * Builds a witness's HTTP server.
 *
 * @example
 * const app = buildWitnessServer({ witness: openWitnessDir('./witness-1') });
 * await app.listen({ host: '127.0.0.1', port: 9001 });
 */
export function buildWitnessServer(o: WitnessServerOptions): FastifyInstance {
  const app = newFastify({ bodyLimit: MAX_REQUEST_BYTES, logging: o.logging, tls: o.tls });
  const { witness } = o;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  if (logsRequests(o.logging))
    app.addHook('onResponse', async (req, reply) =>
      req.log.info(
        {
          method: req.method,
          route: req.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request',
      ),
    );
  app.post('/add-checkpoint', async (req, reply): Promise<FastifyReply> => {
    const body = req.body instanceof Buffer ? new Uint8Array(req.body) : new Uint8Array(0);
    try {
      const line = await witness.addCheckpoint(body);
      return reply.type('text/plain; charset=utf-8').send(line);
    } catch (e) {
      if (isVerityError(e, 'VERITY_E_WITNESS_CONFLICT'))
        return reply.code(409).type(SIZE_MEDIA_TYPE).send(`${e.details?.['size']}\n`);
      if (isVerityError(e)) return sendError(reply, e);
      throw e;
    }
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      new VerityError(
        'VERITY_E_HTTP_ROUTE_NOT_FOUND',
        `no route ${req.method} ${req.url.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}; a witness answers POST /add-checkpoint`,
      ),
    ),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Who this witness is, and what it follows (public: cosignatures are public statements).
  app.get('/', async (_req, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send(
        [
          `witness ${witness.name}`,
          `key ${witness.verifierKey}`,
          ...witness.logs().map((l) => `log ${l.origin} ${l.size}`),
          '',
        ].join('\n'),
      ),
  );
  return app;
}
