// Standard Webhooks (https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp` and
// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under a `whsec_` secret.
// Signing is the reference library's (`standardwebhooks`); verification recomputes with it and
// compares in constant time, with the timestamp checked against the injected clock (the library's
// own verify reads the wall clock).
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { fromBase64, toBase64 } from '../encoding/index.ts';
import { RightsError } from '../errors/index.ts';

/** How far a webhook's timestamp may be from now (the specification's suggested tolerance). */
export const WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000;
/** Most signatures one header may carry (several during a secret rotation). */
const MAX_SIGNATURES = 8;
const ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;
const SECRET_RE = /^whsec_([A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{32,88}={0,2})$/;

/** The headers of a signed webhook. */
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** A `whsec_` secret from raw key bytes (24 to 64 bytes, as the specification asks). */
export function webhookSecret(key: Uint8Array): string {
  if (key.byteLength < 24 || key.byteLength > 64) throw new RangeError('a webhook secret has 24 to 64 bytes');
  return `whsec_${toBase64(key)}`;
}

function webhook(secret: string): Webhook {
  if (!SECRET_RE.test(secret)) throw new TypeError('a webhook secret is `whsec_` followed by base64');
  return new Webhook(secret);
}

/** Signs `body` (the exact bytes sent, as text) as message `id` at `timestampMs`. */
export function signWebhook(secret: string, id: string, timestampMs: number, body: string): WebhookHeaders {
  if (!ID_RE.test(id)) throw new TypeError('a webhook id is 1 to 128 of `A-Za-z0-9_.-`');
  const seconds = Math.floor(timestampMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': webhook(secret).sign(id, new Date(seconds * 1000), body),
  };
}

function refused(why: string): RightsError {
  return new RightsError('VERITY_E_RIGHTS_WEBHOOK_SIGNATURE', `the webhook signature ${why}; sign with your secret`);
}

/**
 * Verifies a webhook (attacker-controlled headers and body) signed with `secret`: one of the `v1`
 * signatures in the header must match, and the timestamp be within the tolerance of `nowMs`.
 * Returns the message id.
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  nowMs: number,
  toleranceMs = WEBHOOK_TOLERANCE_MS,
): string {
  const one = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const id = one('webhook-id');
  const ts = one('webhook-timestamp');
  const sig = one('webhook-signature');
  if (id === undefined || ts === undefined || sig === undefined) throw refused('headers are missing');
  if (!ID_RE.test(id)) throw refused('id is malformed');
  if (!/^[0-9]{1,12}$/.test(ts)) throw refused('timestamp is not whole seconds');
  const seconds = Number(ts);
  if (Math.abs(nowMs - seconds * 1000) > toleranceMs) throw refused('timestamp is too old or too new');
  if (sig.length > 1024) throw refused('header is too long');
  const expected = fromBase64(
    webhook(secret)
      .sign(id, new Date(seconds * 1000), body)
      .slice(3),
    'signature',
  );
  const candidates = sig.split(' ').slice(0, MAX_SIGNATURES);
  let ok = false;
  for (const c of candidates) {
    const [version, value] = c.split(',', 2);
    if (version !== 'v1' || value === undefined || !/^[A-Za-z0-9+/]{43}=$/.test(value)) continue;
    const given = fromBase64(value, 'signature');
    if (given.byteLength === expected.byteLength && timingSafeEqual(given, expected)) ok = true;
  }
  if (!ok) throw refused('does not match');
  return id;
}
