import type { Attester } from '../attestation/index.ts';
import { AttestationError } from '../errors/index.ts';
import type { App } from './schemas.ts';
import { Type } from './typebox.ts';

const Event = Type.Object({ type: Type.String(), digest: Type.String() });

/**
 * `GET /v1/attestation?nonce=...`: signed evidence of the measured boot (RFC 9334: the attester's
 * evidence) for the caller's nonce. Public, like the log key: it holds no secret, and each answer
 * is bound to the nonce the caller chose. Without secure boot, 503.
 */
export function registerAttestationRoutes(app: App, attester: Attester | undefined): void {
  app.get(
    '/v1/attestation',
    {
      schema: {
        summary:
          "Remote attestation: the measured-boot chain, its event log, the caller's nonce, the log key and the attestation key, the release version and the time, signed with the attestation key. Check it with the SDK's `verifyAttestation` against the release's reference value before sending sensitive data",
        querystring: Type.Object(
          {
            nonce: Type.String({ pattern: '^[A-Za-z0-9_-]{22,86}$', description: '16 to 64 random bytes, base64url' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            evidence: Type.Object(
              {
                format: Type.String(),
                nonce: Type.String(),
                time: Type.Integer(),
                version: Type.String(),
                runtime: Type.String(),
                measurement: Type.String(),
                events: Type.Array(Event),
                eventLogDigest: Type.String(),
                bootEntry: Type.Integer(),
                logKey: Type.String(),
                attestationKey: Type.String(),
              },
              { additionalProperties: false },
            ),
            signature: Type.String({ contentEncoding: 'base64' }),
          }),
        },
      },
    },
    async (req, reply) => {
      if (attester === undefined)
        throw new AttestationError(
          'VERITY_E_ATTESTATION_UNAVAILABLE',
          'this server started without secure boot and has no measurement to attest; start it with --release-root',
        );
      reply.header('cache-control', 'no-store');
      const { evidence, signature } = await attester.attest(req.query.nonce);
      return { evidence: { ...evidence, events: [...evidence.events] }, signature };
    },
  );
}
