import { Buffer } from 'node:buffer';
import { type Clock, systemClock } from '../clock/index.ts';
import { utf8 } from '../encoding/index.ts';
import { InputError } from '../errors/index.ts';
import { checkIdentifier } from '../identifiers/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { type Access, auditEntry } from '../vault/index.ts';
import { MidstateHmac } from './hmac.ts';

const DOMAIN_RE = /^[a-z][a-z0-9._-]{0,39}$/;
/** Longest value pseudonymized (UTF-8 bytes). */
export const MAX_VALUE_BYTES = 4096;
/** Most values in one call. */
export const MAX_BATCH = 1_000_000;

export function checkDomain(domain: unknown, what = 'domain'): string {
  return checkIdentifier(domain, what, {
    maxLength: 40,
    pattern: DOMAIN_RE,
    hint: '1 to 40 lowercase letters, digits and `._-`, starting with a letter',
  });
}

/**
 * HMAC-SHA-256 pseudonyms under one working key, in process. Each pseudonym is `p<version>_` and the
 * first 128 bits of HMAC-SHA-256(key, UTF-8 value) in base64url: the same value gives the same
 * pseudonym within one domain and key version, and values cannot be recovered from pseudonyms.
 */
export class Pseudonymizer {
  readonly version: number;
  readonly #hmac: MidstateHmac;
  readonly #prefix: string;
  readonly #out = Buffer.alloc(32);

  constructor(key: Uint8Array, version: number) {
    if (key.byteLength !== 32) throw new RangeError('a pseudonym key has 32 bytes');
    this.version = version;
    this.#prefix = `p${version}_`;
    this.#hmac = new MidstateHmac(key, MAX_VALUE_BYTES);
  }

  #words(value: string): Int32Array {
    if (typeof value !== 'string') throw new InputError('VERITY_E_INPUT_INVALID', 'values to pseudonymize are strings');
    const w = this.#hmac.mac(value);
    if (w === undefined)
      throw new InputError('VERITY_E_INPUT_TOO_LARGE', `a value to pseudonymize is at most ${MAX_VALUE_BYTES} bytes`);
    return w;
  }

  /** The 32-byte HMAC-SHA-256 of `value`. */
  mac(value: string): Buffer {
    const w = this.#words(value);
    const out = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(w[i] as number, 4 * i);
    return out;
  }

  /** The pseudonym of `value`. */
  pseudonym(value: string): string {
    const w = this.#words(value);
    const out = this.#out;
    for (let i = 0; i < 4; i++) out.writeInt32BE(w[i] as number, 4 * i);
    return this.#prefix + out.toString('base64url', 0, 16);
  }

  /** Pseudonyms of many values, in order. */
  apply(values: readonly string[]): string[] {
    const out = new Array<string>(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.pseudonym(values[i] as string);
    return out;
  }
}

/**
 * Keyed pseudonyms per domain (FGMV-46 7.1.3): one HMAC key per domain and version, kept in the
 * KeyStore (`pseudonym.DOMAIN.vN`), so a player links within a domain (say, `analytics`) and in no
 * other. Rotating a domain's key starts a new version: pseudonyms made before no longer link with
 * new ones. The key used in process is a working key the KeyStore derives from the domain key
 * (HMAC of a fixed label), so the domain key itself never leaves the KeyStore. Each batch is
 * audited (domain, version and count; never the values).
 */
export class Pseudonyms {
  readonly #keys: KeyStore;
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #clock: Clock;
  readonly #cache = new Map<string, Pseudonymizer>();

  constructor(o: { keys: KeyStore; store: Store; log: TransparencyLog; clock?: Clock }) {
    this.#keys = o.keys;
    this.#store = o.store;
    this.#log = o.log;
    this.#clock = o.clock ?? systemClock;
  }

  /** The current key version of a domain (1 until it is rotated). */
  async version(domain: string): Promise<number> {
    checkDomain(domain);
    const v = await this.#store.reader.getMeta(metaKey(domain));
    return v === undefined ? 1 : Number(v);
  }

  /** The in-process pseudonymizer of a domain's current key (for bulk work). */
  async pseudonymizer(domain: string): Promise<Pseudonymizer> {
    const version = await this.version(domain);
    const name = keyName(domain, version);
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    await this.#keys.ensureMacKey(name);
    const working = await this.#keys.mac(name, utf8('verity/pseudonym-working-key/v1'));
    const p = new Pseudonymizer(working, version);
    if (this.#cache.size > 1000) this.#cache.clear();
    this.#cache.set(name, p);
    return p;
  }

  /** Pseudonymizes `values` in `domain` with its current key; audited. */
  async pseudonymize(
    domain: string,
    values: readonly string[],
    access: Access,
  ): Promise<{ version: number; pseudonyms: string[]; logIndex: number }> {
    if (!Array.isArray(values) || values.length > MAX_BATCH)
      throw new InputError('VERITY_E_INPUT_INVALID', `give a list of at most ${MAX_BATCH} values`);
    const p = await this.pseudonymizer(domain);
    const pseudonyms = p.apply(values);
    const { result } = await this.#log.submit((_tx, batch) =>
      batch.add(
        auditEntry(this.#clock, access, 'deid.pseudonymize', `pseudonym:${domain}`, {
          details: { version: p.version, count: values.length },
        }),
      ),
    );
    return { version: p.version, pseudonyms, logIndex: result };
  }

  /** Starts a new key version for a domain; pseudonyms made from now on do not link with older ones. */
  async rotate(domain: string, access: Access): Promise<{ version: number; logIndex: number }> {
    checkDomain(domain);
    for (;;) {
      const next = (await this.version(domain)) + 1;
      await this.#keys.ensureMacKey(keyName(domain, next));
      const { result } = await this.#log.submit(async (tx, batch) => {
        const now = Number((await tx.getMeta(metaKey(domain))) ?? '1');
        if (now + 1 !== next) return undefined; // another process rotated first: try again
        await tx.setMeta(metaKey(domain), String(next));
        return batch.add(
          auditEntry(this.#clock, access, 'key.rotate', `pseudonym:${domain}`, { details: { version: next } }),
        );
      });
      if (result !== undefined) return { version: next, logIndex: result };
    }
  }
}

function metaKey(domain: string): string {
  return `deid.pseudonym.${domain}`;
}

function keyName(domain: string, version: number): string {
  return `pseudonym.${domain}.v${version}`;
}
