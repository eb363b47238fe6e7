// Standard Webhooks signatures: the specification's vector reproduced and verified, and every
// tampered part of a signed webhook refused (body, id, timestamp, secret, version, stale time).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../src/errors/index.ts';
import { signWebhook, verifyWebhook, webhookSecret } from '../src/rights/index.ts';

const V = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'standard-webhooks', 'sign.json'), 'utf8')) as {
  secret: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
};
const AT = V.timestamp * 1000;

const refused = (f: () => unknown) =>
  assert.throws(f, (e: unknown) => isVerityError(e, 'VERITY_E_RIGHTS_WEBHOOK_SIGNATURE'));

describe('Standard Webhooks', () => {
  it('reproduces the specification example', () => {
    const h = signWebhook(V.secret, V.id, AT, V.body);
    assert.equal(h['webhook-signature'], V.signature);
    assert.equal(h['webhook-timestamp'], String(V.timestamp));
    assert.equal(h['webhook-id'], V.id);
  });

  it('verifies the example, alone or among other signatures', () => {
    const headers = { 'webhook-id': V.id, 'webhook-timestamp': String(V.timestamp), 'webhook-signature': V.signature };
    assert.equal(verifyWebhook(V.secret, headers, V.body, AT), V.id);
    const many = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc ${V.signature}`;
    assert.equal(verifyWebhook(V.secret, { ...headers, 'webhook-signature': many }, V.body, AT + 60_000), V.id);
  });

  it('refuses every tampered part', () => {
    const headers = { 'webhook-id': V.id, 'webhook-timestamp': String(V.timestamp), 'webhook-signature': V.signature };
    refused(() => verifyWebhook(V.secret, headers, V.body.replace('2432232314', '2432232315'), AT));
    refused(() => verifyWebhook(V.secret, { ...headers, 'webhook-id': 'msg_other' }, V.body, AT));
    refused(() => verifyWebhook(V.secret, { ...headers, 'webhook-timestamp': String(V.timestamp + 1) }, V.body, AT));
    refused(() =>
      verifyWebhook(V.secret, { ...headers, 'webhook-signature': V.signature.replace('v1', 'v2') }, V.body, AT),
    );
    refused(() => verifyWebhook(V.secret, { ...headers, 'webhook-signature': 'v1,' }, V.body, AT));
    refused(() => verifyWebhook(webhookSecret(new Uint8Array(32).fill(7)), headers, V.body, AT));
    // Five minutes of tolerance, either way.
    refused(() => verifyWebhook(V.secret, headers, V.body, AT + 5 * 60_000 + 1000));
    refused(() => verifyWebhook(V.secret, headers, V.body, AT - 5 * 60_000 - 1000));
    refused(() => verifyWebhook(V.secret, { 'webhook-id': V.id }, V.body, AT));
  });

  it('round-trips any body, and any change of it is refused', () => {
    const secret = webhookSecret(new Uint8Array(32).fill(1));
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 20 }), (body, extra) => {
        const h = signWebhook(secret, 'msg_prop', AT, body);
        assert.equal(verifyWebhook(secret, h, body, AT), 'msg_prop');
        refused(() => verifyWebhook(secret, h, body + extra, AT));
      }),
      { numRuns: 100 },
    );
  });
});
