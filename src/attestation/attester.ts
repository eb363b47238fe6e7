// The attester's side: records the measured boot in the transparency log once at start, and signs
// evidence for each caller's nonce with the KeyStore's attestation key.

import { encodeAuditEntry } from '../audit/index.ts';
import type { Measurement } from '../boot/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { toBase64 } from '../encoding/index.ts';
import { AttestationError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import {
  ATTESTATION_FORMAT,
  ATTESTATION_KEY,
  type AttestationAnswer,
  attestationKeyString,
  attestationMessage,
  type Evidence,
  measurementClaims,
  NONCE_RE,
} from './evidence.ts';

export interface AttesterOptions {
  readonly log: TransparencyLog;
  readonly keys: KeyStore;
  readonly measurement: Measurement;
  readonly clock?: Clock;
  /** The runtime as it reports itself, e.g. `node v24.21.0 linux-x64` (self-reported: see docs/architecture.md). */
  readonly runtime: string;
}

/** A release version as a log resource: characters outside the resource alphabet become `-`. */
function releaseResource(version: string): string {
  return `release:${version.replace(/[^A-Za-z0-9.:@/=+-]/g, '-')}`;
}

/** The measured boot of a running server and its evidence. */
export class Attester {
  readonly #o: AttesterOptions;
  readonly #clock: Clock;
  readonly #runtime: string;
  readonly #attestationKey: string;
  readonly #bootEntry: number;

  private constructor(o: AttesterOptions, runtime: string, attestationKey: string, bootEntry: number) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#runtime = runtime;
    this.#attestationKey = attestationKey;
    this.#bootEntry = bootEntry;
  }

  /**
   * Creates the attestation key if absent and appends one `boot.measure` entry: the chain's value,
   * the event log's digest and each event's digest, the runtime and the attestation key.
   */
  static async start(o: AttesterOptions): Promise<Attester> {
    const clock = o.clock ?? systemClock;
    const runtime = o.runtime;
    const key = attestationKeyString(await o.keys.ensureSigningKey(ATTESTATION_KEY));
    const m = o.measurement;
    const details: Record<string, string | number> = {
      measurement: m.value,
      eventLog: m.eventLogDigest,
      events: m.events.length,
      runtime: runtime.slice(0, 128),
      attestationKey: key,
    };
    for (const e of m.events) details[e.type] = e.digest;
    const { start } = await o.log.append([
      encodeAuditEntry({
        actor: 'system:verity',
        action: 'boot.measure',
        resource: releaseResource(m.version),
        purpose: 'accountability',
        outcome: 'success',
        time: clock.now(),
        details,
      }),
    ]);
    return new Attester(o, runtime, key, start);
  }

  /** The attestation key (signed-note verifier key form). */
  get attestationKey(): string {
    return this.#attestationKey;
  }

  /** Index of the log entry that recorded this boot. */
  get bootEntry(): number {
    return this.#bootEntry;
  }

  /** Signed evidence for a caller's nonce (16 to 64 random bytes, base64url). */
  async attest(nonce: string): Promise<AttestationAnswer> {
    if (typeof nonce !== 'string' || !NONCE_RE.test(nonce))
      throw new AttestationError(
        'VERITY_E_ATTESTATION_INVALID',
        'the nonce must be 16 to 64 random bytes in base64url',
      );
    const evidence: Evidence = {
      format: ATTESTATION_FORMAT,
      nonce,
      time: this.#clock.now(),
      ...measurementClaims(this.#o.measurement),
      runtime: this.#runtime,
      bootEntry: this.#bootEntry,
      logKey: this.#o.log.verifierKey,
      attestationKey: this.#attestationKey,
    };
    const signature = await this.#o.keys.sign(ATTESTATION_KEY, attestationMessage(evidence));
    return { evidence, signature: toBase64(signature) };
  }
}
