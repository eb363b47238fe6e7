import type { JWK } from 'jose';
import { fromBase64Url, type JsonValue, readBounded, toBase64Url } from '../encoding/index.ts';
import { CredentialError, quote } from '../errors/index.ts';
import { type JwsAlgorithm, signJws, verifyJws } from './jws.ts';

/**
 * Token Status List (draft-ietf-oauth-status-list): a byte array of 1, 2, 4 or 8 bits per
 * credential, packed from the least significant bit, DEFLATE-compressed with the ZLIB format
 * (RFC 1950), base64url in `lst`, carried in a signed `statuslist+jwt`. Compression uses the
 * platform's CompressionStream (`deflate` is the ZLIB format), so the same code runs in browsers.
 */

/** Status values (draft-ietf-oauth-status-list 7.1). */
export const STATUS = { VALID: 0, INVALID: 1, SUSPENDED: 2 } as const;
export type StatusBits = 1 | 2 | 4 | 8;

/** Largest decompressed list accepted from another issuer (8 MiB: 64 million 1-bit entries). */
export const MAX_LIST_BYTES = 8 * 1024 * 1024;
/** Most entries Verity puts in one list it issues. */
export const MAX_LIST_ENTRIES = 1 << 20;
export const STATUS_LIST_TYP = 'statuslist+jwt';

function isBits(b: unknown): b is StatusBits {
  return b === 1 || b === 2 || b === 4 || b === 8;
}

/** A status list in memory. */
export class StatusList {
  readonly bits: StatusBits;
  readonly bytes: Uint8Array;

  constructor(bits: StatusBits, bytesOrSize: Uint8Array | number) {
    if (!isBits(bits)) throw new RangeError('bits is 1, 2, 4 or 8');
    this.bits = bits;
    if (typeof bytesOrSize === 'number') {
      if (!Number.isSafeInteger(bytesOrSize) || bytesOrSize < 1 || bytesOrSize > MAX_LIST_ENTRIES)
        throw new RangeError(`a status list has 1 to ${MAX_LIST_ENTRIES} entries`);
      this.bytes = new Uint8Array(Math.ceil((bytesOrSize * bits) / 8));
    } else this.bytes = bytesOrSize;
  }

  /** How many entries the byte array holds. */
  get size(): number {
    return (this.bytes.length * 8) / this.bits;
  }

  #at(idx: number): { byte: number; shift: number; mask: number } {
    if (!Number.isSafeInteger(idx) || idx < 0 || idx >= this.size)
      throw new CredentialError('VERITY_E_VC_INVALID', `status index ${quote(idx)} is outside the status list`);
    const bit = idx * this.bits;
    return { byte: bit >> 3, shift: bit & 7, mask: (1 << this.bits) - 1 };
  }

  get(idx: number): number {
    const { byte, shift, mask } = this.#at(idx);
    return ((this.bytes[byte] as number) >> shift) & mask;
  }

  set(idx: number, value: number): void {
    const { byte, shift, mask } = this.#at(idx);
    if (!Number.isInteger(value) || value < 0 || value > mask)
      throw new RangeError(`a ${this.bits}-bit status is 0 to ${mask}`);
    this.bytes[byte] = ((this.bytes[byte] as number) & ~(mask << shift)) | (value << shift);
  }

  /** `{bits, lst}` (draft-ietf-oauth-status-list 4.2). */
  async encode(): Promise<{ bits: StatusBits; lst: string }> {
    return { bits: this.bits, lst: toBase64Url(await pump(new CompressionStream('deflate'), this.bytes, Infinity)) };
  }

  /** Decodes `{bits, lst}` from another issuer (attacker-controlled: decompression is bounded). */
  static async decode(v: JsonValue | undefined): Promise<StatusList> {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !isBits(v['bits']) || typeof v['lst'] !== 'string')
      throw new CredentialError('VERITY_E_VC_INVALID', 'the status list is not `{bits: 1|2|4|8, lst}`');
    let compressed: Uint8Array;
    try {
      compressed = fromBase64Url(v['lst'], 'status list');
    } catch (cause) {
      throw new CredentialError('VERITY_E_VC_INVALID', 'the status list `lst` is not base64url', { cause });
    }
    let bytes: Uint8Array;
    try {
      bytes = await pump(new DecompressionStream('deflate'), compressed, MAX_LIST_BYTES);
    } catch (cause) {
      if (cause instanceof CredentialError) throw cause;
      throw new CredentialError('VERITY_E_VC_INVALID', 'the status list `lst` is not ZLIB-compressed data', { cause });
    }
    return new StatusList(v['bits'], bytes);
  }
}

/** Runs bytes through a (de)compression stream, refusing more than `limit` bytes out. */
async function pump(
  stream: CompressionStream | DecompressionStream,
  input: Uint8Array,
  limit: number,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const written = writer.write(input as Uint8Array<ArrayBuffer>).then(() => writer.close());
  written.catch(() => {});
  const out = await readBounded(
    stream.readable.getReader(),
    limit,
    () => new CredentialError('VERITY_E_VC_INVALID', `the status list decompresses to more than ${limit} bytes`),
  );
  await written;
  return out;
}

/** Signs a status list token (`statuslist+jwt`) for the list at `uri`. */
export async function signStatusListToken(
  list: StatusList,
  o: {
    uri: string;
    iss?: string;
    iat: number;
    ttl: number;
    alg: JwsAlgorithm;
    kid?: string;
    sign: (b: Uint8Array) => Promise<Uint8Array>;
  },
): Promise<string> {
  return signJws(
    { alg: o.alg, typ: STATUS_LIST_TYP, ...(o.kid === undefined ? {} : { kid: o.kid }) },
    {
      sub: o.uri,
      ...(o.iss === undefined ? {} : { iss: o.iss }),
      iat: o.iat,
      exp: o.iat + o.ttl * 2,
      ttl: o.ttl,
      status_list: await list.encode(),
    },
    o.sign,
  );
}

/** A credential's status reference (`status.status_list`), if it has one. */
export function statusReference(claims: Record<string, JsonValue>): { idx: number; uri: string } | undefined {
  const status = claims['status'];
  if (status === undefined) return undefined;
  const sl =
    typeof status === 'object' && status !== null && !Array.isArray(status) ? status['status_list'] : undefined;
  if (typeof sl !== 'object' || sl === null || Array.isArray(sl))
    throw new CredentialError('VERITY_E_VC_INVALID', 'the credential `status` has no `status_list` Verity can check');
  const idx = sl['idx'];
  const uri = sl['uri'];
  if (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0 || typeof uri !== 'string' || uri.length > 2048)
    throw new CredentialError('VERITY_E_VC_INVALID', 'the credential `status.status_list` is not `{idx, uri}`');
  return { idx, uri };
}

/**
 * Checks a credential's status (draft-ietf-oauth-status-list 8.3): the token at `uri`, signed by
 * `key`, `sub` equal to `uri`, not expired, the entry at `idx` VALID. Throws VERITY_E_VC_REVOKED,
 * VERITY_E_VC_SUSPENDED, or VERITY_E_VC_STATUS_UNAVAILABLE when the list cannot be had (fail closed).
 */
export async function checkStatus(
  ref: { idx: number; uri: string },
  fetchToken: (uri: string) => Promise<string>,
  key: JWK,
  now: number,
): Promise<void> {
  let token: string;
  try {
    token = await fetchToken(ref.uri);
  } catch (cause) {
    throw new CredentialError('VERITY_E_VC_STATUS_UNAVAILABLE', 'the credential status list could not be fetched', {
      cause,
    });
  }
  let list: StatusList;
  try {
    const { payload } = await verifyJws(token, key, 'the status list token', [STATUS_LIST_TYP]);
    if (payload['sub'] !== ref.uri)
      throw new CredentialError('VERITY_E_VC_INVALID', 'the status list token `sub` is not its uri');
    const exp = payload['exp'];
    if (exp !== undefined && (typeof exp !== 'number' || now >= exp))
      throw new CredentialError('VERITY_E_VC_INVALID', 'the status list token has expired');
    list = await StatusList.decode(payload['status_list']);
  } catch (cause) {
    throw new CredentialError(
      'VERITY_E_VC_STATUS_UNAVAILABLE',
      `the credential status list does not verify: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const v = list.get(ref.idx);
  if (v === STATUS.INVALID)
    throw new CredentialError('VERITY_E_VC_REVOKED', 'the credential was revoked by its issuer');
  if (v === STATUS.SUSPENDED)
    throw new CredentialError('VERITY_E_VC_SUSPENDED', 'the credential is suspended by its issuer');
  if (v !== STATUS.VALID) throw new CredentialError('VERITY_E_VC_REVOKED', `the credential status is ${v}, not VALID`);
}
