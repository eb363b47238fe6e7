import { createCipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { InputError } from '../errors/index.ts';

/**
 * FF1 format-preserving encryption (NIST SP 800-38G Rev. 1, section 5.1) over AES-128/192/256.
 *
 * Hand-written because no maintained npm package implements FF1 on node:crypto: the algorithm is a
 * ten-round Feistel network whose round function is AES-CBC-MAC (here, node:crypto's AES), and this
 * file is checked against every NIST FF1 sample vector (test/vectors/nist-ff1). Numbers are BigInt.
 */

/** Characters of radix-N strings by default: digits then lowercase letters (radix up to 36). */
export const DEFAULT_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** SP 800-38G Rev. 1: the domain must hold at least a million values (radix^minlen >= 10^6). */
const MIN_DOMAIN = 1_000_000n;
/** Verity's bound on the numeral string length (the standard allows up to 2^32). */
export const MAX_LENGTH = 4096;
/** Verity's bound on the tweak length (bytes). */
export const MAX_TWEAK_BYTES = 256;

function invalid(message: string): InputError {
  return new InputError('VERITY_E_INPUT_INVALID', message);
}

/** An FF1 cipher for one key, radix and alphabet. */
export class FF1 {
  readonly radix: number;
  readonly alphabet: string;
  readonly minLength: number;
  /** The AES key, imported once: given bytes, every createCipheriv paid Node's costly check of them (D343). */
  readonly #key: KeyObject;
  readonly #algorithm: string;
  readonly #index: Map<string, number>;
  readonly #bigRadix: bigint;

  constructor(key: Uint8Array, radix: number, alphabet?: string) {
    if (!(key instanceof Uint8Array) || ![16, 24, 32].includes(key.byteLength))
      throw invalid('an FF1 key is an AES key of 16, 24 or 32 bytes (32, 48 or 64 hex digits)');
    if (!Number.isInteger(radix) || radix < 2 || radix > 65536)
      throw invalid('the radix must be an integer from 2 to 65536');
    const chars = alphabet ?? (radix <= DEFAULT_ALPHABET.length ? DEFAULT_ALPHABET.slice(0, radix) : undefined);
    if (chars === undefined) throw invalid(`give an alphabet of ${radix} characters for radix ${radix}`);
    const symbols = [...chars];
    if (symbols.length !== radix || new Set(symbols).size !== radix)
      throw invalid(`the alphabet must hold exactly ${radix} distinct characters`);
    this.radix = radix;
    this.alphabet = chars;
    this.#key = createSecretKey(key);
    this.#algorithm = `aes-${key.byteLength * 8}`;
    this.#index = new Map(symbols.map((c, i) => [c, i]));
    this.#bigRadix = BigInt(radix);
    let len = 1;
    let domain = this.#bigRadix;
    while (domain < MIN_DOMAIN) {
      domain *= this.#bigRadix;
      len++;
    }
    this.minLength = Math.max(2, len);
  }

  /** Encrypts a string of alphabet characters; the result has the same length and alphabet. */
  encrypt(text: string, tweak: Uint8Array = new Uint8Array(0)): string {
    return this.#format(this.#cipher(this.#parse(text), tweak, true));
  }

  /** Decrypts what `encrypt` produced with the same key, radix, alphabet and tweak. */
  decrypt(text: string, tweak: Uint8Array = new Uint8Array(0)): string {
    return this.#format(this.#cipher(this.#parse(text), tweak, false));
  }

  #parse(text: string): number[] {
    if (typeof text !== 'string') throw invalid('the value must be a string');
    const symbols = [...text];
    if (symbols.length < this.minLength || symbols.length > MAX_LENGTH)
      throw invalid(
        `a radix-${this.radix} value must have ${this.minLength} to ${MAX_LENGTH} characters (at least a million possible values), not ${symbols.length}`,
      );
    return symbols.map((c) => {
      const d = this.#index.get(c);
      if (d === undefined) throw invalid(`the value holds a character outside the radix-${this.radix} alphabet`);
      return d;
    });
  }

  #format(digits: number[]): string {
    const symbols = [...this.alphabet];
    return digits.map((d) => symbols[d] as string).join('');
  }

  /** NUM_radix(X): the number whose radix-`radix` digits are X, most significant first. */
  #num(x: readonly number[]): bigint {
    let n = 0n;
    for (const d of x) n = n * this.#bigRadix + BigInt(d);
    return n;
  }

  /** STR^m_radix(x): the m digits of x in radix `radix`, most significant first. */
  #str(x: bigint, m: number): number[] {
    const out = new Array<number>(m);
    for (let i = m - 1; i >= 0; i--) {
      out[i] = Number(x % this.#bigRadix);
      x /= this.#bigRadix;
    }
    return out;
  }

  #cipher(x: number[], tweak: Uint8Array, encrypting: boolean): number[] {
    if (!(tweak instanceof Uint8Array) || tweak.byteLength > MAX_TWEAK_BYTES)
      throw invalid(`the tweak must be at most ${MAX_TWEAK_BYTES} bytes`);
    const n = x.length;
    const t = tweak.byteLength;
    const u = Math.floor(n / 2);
    const v = n - u;
    let a = x.slice(0, u);
    let b = x.slice(u);
    // b = ceil(ceil(v * log2(radix)) / 8): bytes to hold NUM_radix of v digits, computed exactly.
    const bBytes = Math.ceil(bitLength(this.#bigRadix ** BigInt(v) - 1n) / 8);
    const d = 4 * Math.ceil(bBytes / 4) + 4;
    const p = new Uint8Array(16);
    p.set([1, 2, 1, (this.radix >> 16) & 0xff, (this.radix >> 8) & 0xff, this.radix & 0xff, 10, u & 0xff]);
    writeU32(p, 8, n);
    writeU32(p, 12, t);
    const pad = (((-t - bBytes - 1) % 16) + 16) % 16;
    const q = new Uint8Array(t + pad + 1 + bBytes);
    q.set(tweak, 0);
    const radixU = this.#bigRadix ** BigInt(u);
    const radixV = this.#bigRadix ** BigInt(v);
    const ecb = createCipheriv(`${this.#algorithm}-ecb`, this.#key, null).setAutoPadding(false);
    // PRF(P || Q) is AES-CBC-MAC with a zero IV: computed block by block with one ECB cipher, and
    // P's block (the same in every round) encrypted once.
    const pBlock = new Uint8Array(ecb.update(p));
    const r = new Uint8Array(16);
    for (let step = 0; step < 10; step++) {
      const i = encrypting ? step : 9 - step;
      q[t + pad] = i;
      writeBig(q, t + pad + 1, bBytes, this.#num(encrypting ? b : a));
      r.set(pBlock);
      for (let off = 0; off < q.byteLength; off += 16) {
        for (let k = 0; k < 16; k++) r[k] = (r[k] as number) ^ (q[off + k] as number);
        r.set(ecb.update(r));
      }
      // S = the first d bytes of R || CIPH(R xor [1]) || CIPH(R xor [2]) || ...
      const blocks = Math.ceil(d / 16);
      const s = new Uint8Array(blocks * 16);
      s.set(r, 0);
      for (let j = 1; j < blocks; j++) {
        const block = new Uint8Array(r);
        for (let k = 0; k < 8; k++)
          block[15 - k] = (block[15 - k] as number) ^ Number((BigInt(j) >> BigInt(8 * k)) & 0xffn);
        s.set(ecb.update(block), j * 16);
      }
      const y = readBig(s, 0, d);
      const m = i % 2 === 0 ? u : v;
      const modulus = m === u ? radixU : radixV;
      if (encrypting) {
        const c = (this.#num(a) + y) % modulus;
        a = b;
        b = this.#str(c, m);
      } else {
        const c = (((this.#num(b) - y) % modulus) + modulus) % modulus;
        b = a;
        a = this.#str(c, m);
      }
    }
    return [...a, ...b];
  }
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = (value >>> 24) & 0xff;
  buf[at + 1] = (value >>> 16) & 0xff;
  buf[at + 2] = (value >>> 8) & 0xff;
  buf[at + 3] = value & 0xff;
}

function writeBig(buf: Uint8Array, at: number, length: number, value: bigint): void {
  let x = value;
  for (let i = length - 1; i >= 0; i--) {
    buf[at + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

function readBig(buf: Uint8Array, at: number, length: number): bigint {
  let x = 0n;
  for (let i = 0; i < length; i++) x = (x << 8n) | BigInt(buf[at + i] as number);
  return x;
}
