// The tokenizer of the name and place finder: words of a text with their offsets, hashes, shapes,
// dictionary flags and the marks around them, in one pass over the text's code units into typed
// arrays that are reused across calls. The tagger (tagger.ts) and the rules (runs.ts, lastlook.ts,
// addresses.ts) read the same tokens.
import { C_GLUE, C_LETTER, C_UPPER, highLetter, INFO, isLetter, TABLE_SIZE } from './chars.ts';
import { type FlagTable, flagsTable } from './wordflags.ts';

/** The tokens of a text: word offsets, hashes and shapes, in typed arrays (reused across calls). */
export interface Tokens {
  n: number;
  start: Int32Array;
  end: Int32Array;
  hash: Int32Array;
  suffix: Int32Array;
  /** 0 lower, 1 Capitalized, 2 UPPER, 3 other (mixed, single letter). */
  shape: Uint8Array;
  flags: Uint16Array;
  /** 1 when the word has an apostrophe inside (l'Alpe, O'Brien). */
  apos: Uint8Array;
  /** The first mark after the word: 0 none or space, 1 comma, 2 sentence end, 3 colon, 4 bracket or dash, 5 other. */
  after: Uint8Array;
  /** What separates the word from the one before: 0 space, 1 comma, 2 sentence end or start, 3 other. */
  gap: Uint8Array;
}

function grow(t: Tokens, n: number): void {
  if (n <= t.start.length) return;
  const size = Math.max(n, t.start.length * 2);
  const g = <A extends Int32Array | Uint16Array | Uint8Array>(a: A, make: (n: number) => A): A => {
    const b = make(size);
    b.set(a);
    return b;
  };
  t.start = g(t.start, (k) => new Int32Array(k));
  t.end = g(t.end, (k) => new Int32Array(k));
  t.hash = g(t.hash, (k) => new Int32Array(k));
  t.suffix = g(t.suffix, (k) => new Int32Array(k));
  t.shape = g(t.shape, (k) => new Uint8Array(k));
  t.flags = g(t.flags, (k) => new Uint16Array(k));
  t.after = g(t.after, (k) => new Uint8Array(k));
  t.apos = g(t.apos, (k) => new Uint8Array(k));
  t.gap = g(t.gap, (k) => new Uint8Array(k));
}

const shared: Tokens = {
  n: 0,
  start: new Int32Array(1024),
  end: new Int32Array(1024),
  hash: new Int32Array(1024),
  suffix: new Int32Array(1024),
  shape: new Uint8Array(1024),
  flags: new Uint16Array(1024),
  after: new Uint8Array(1024),
  apos: new Uint8Array(1024),
  gap: new Uint8Array(1024),
};

/**
 * Splits `text` into words (letters with inner apostrophes, hyphens and dots) in one pass, with the
 * flags `table` gives them (the scanner's; the tagger's training passes the dictionaries as written).
 */
export function tokenize(text: string, t: Tokens = shared, table: FlagTable = flagsTable()): Tokens {
  // At most one word per two characters (a letter and a separator), plus one.
  grow(t, (text.length >> 1) + 2);
  // The loop is a function of its own that touches no object property: a property write after a
  // long loop made V8 throw the optimized code away on every call.
  const units = codeUnits(text);
  t.n = words(units, text.length, table, t.start, t.end, t.hash, t.suffix, t.shape, t.flags, t.after, t.apos, t.gap);
  return t;
}

/**
 * The UTF-16 code units of `text` in a reused typed array, copied natively (Buffer's utf16le
 * writer): reading a typed array in the tokenizer's loop costs half of `charCodeAt` on the sliced
 * and two-byte strings chat arrives as. Big-endian machines copy with `charCodeAt`.
 */
let unitBuffer = Buffer.alloc(1 << 16);
let units16 = new Uint16Array(unitBuffer.buffer, unitBuffer.byteOffset, unitBuffer.length >> 1);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function codeUnits(text: string): Uint16Array {
  if (units16.length < text.length) {
    unitBuffer = Buffer.alloc(Math.max(text.length * 2, unitBuffer.length * 2));
    units16 = new Uint16Array(unitBuffer.buffer, unitBuffer.byteOffset, unitBuffer.length >> 1);
  }
  if (LITTLE_ENDIAN) unitBuffer.write(text, 0, 'utf16le');
  else for (let i = 0; i < text.length; i++) units16[i] = text.charCodeAt(i);
  return units16;
}

function words(
  text: Uint16Array,
  len: number,
  table: FlagTable,
  start: Int32Array,
  end: Int32Array,
  hash: Int32Array,
  suffix: Int32Array,
  shape: Uint8Array,
  flags: Uint16Array,
  after: Uint8Array,
  apos: Uint8Array,
  gaps: Uint8Array,
): number {
  const info = INFO;
  let n = 0;
  let i = 0;
  let gap = 2;
  let prevGlue = false;
  let open = false;
  while (i < len) {
    const c = text[i] as number;
    const x = c < TABLE_SIZE ? (info[c] as number) : highLetter(c) ? (c << 3) | C_LETTER : 0;
    if ((x & C_LETTER) === 0) {
      if (c !== 32) {
        if (open) {
          open = false;
          after[n - 1] =
            c === 44
              ? 1
              : c === 58
                ? 3
                : c === 46 || c === 33 || c === 63 || c === 10
                  ? 2
                  : c === 40 || c === 45 || c === 0x2014 || c === 0x2013 || c === 124
                    ? 4
                    : 5;
        }
        if (c === 44) gap = gap === 2 ? 2 : 1;
        else if (c === 46 || c === 33 || c === 63 || c === 10 || c === 58 || c === 124 || c === 59) gap = 2;
        else if (gap === 0) gap = 3;
      }
      prevGlue = (x & C_GLUE) !== 0;
      i++;
      continue;
    }
    const s = i;
    let h = 0x811c9dc5;
    let uppers = 0;
    let letters = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let quote = 0;
    let y = x;
    for (;;) {
      uppers += (y >> 1) & 1;
      letters++;
      const l = y >> 3;
      h = Math.imul(h ^ l, 0x01000193);
      s3 = s2;
      s2 = s1;
      s1 = l;
      i++;
      if (i >= len) break;
      const d = text[i] as number;
      y = d < TABLE_SIZE ? (info[d] as number) : highLetter(d) ? (d << 3) | C_LETTER : 0;
      if ((y & C_LETTER) !== 0) continue;
      if ((d === 39 || d === 0x2019 || d === 45) && i + 1 < len && isLetter(text[i + 1] as number)) {
        if (d !== 45) {
          // A possessive 's closes a capitalized word before it (Whitcombe's: the name is Whitcombe).
          const after = i + 2 < len ? (text[i + 2] as number) : 32;
          if ((x & C_UPPER) !== 0 && ((text[i + 1] as number) | 0x20) === 115 && !isLetter(after)) break;
          quote = 1;
        }
        h = Math.imul(h ^ d, 0x01000193);
        i++;
        const e = text[i] as number;
        y = e < TABLE_SIZE ? (info[e] as number) : (e << 3) | C_LETTER;
        continue;
      }
      break;
    }
    start[n] = s;
    end[n] = i;
    const hh = h >>> 0;
    hash[n] = hh;
    suffix[n] = (s3 << 20) ^ (s2 << 10) ^ s1;
    const next = i < len ? (text[i] as number) : 32;
    shape[n] =
      prevGlue || (next < 0x80 && ((info[next] as number) & C_GLUE) !== 0)
        ? 4
        : uppers === 0
          ? 0
          : (x & C_UPPER) !== 0 && letters > 1 && (uppers === 1 || uppers < letters - 1)
            ? 1
            : uppers === letters && letters > 1
              ? 2
              : 3;
    flags[n] = table.get(hh);
    after[n] = 0;
    apos[n] = quote;
    gaps[n] = gap;
    gap = 0;
    prevGlue = false;
    open = true;
    n++;
  }
  return n;
}
