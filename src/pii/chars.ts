// Character classes and lower-casing of the name and place finder, as tables the tokenizer reads
// one load a character, and the word hash the tokenizer and the dictionary flags share.

// Character classes and lower-casing, precomputed over the Latin, Greek, Cyrillic and other
// alphabetic blocks below U+3000 (chat in the five languages is Latin): one table read a character
// in the tokenizer's loop instead of a Unicode regular expression or a function call.
export const TABLE_SIZE = 0x3000;
const LOWER = new Uint16Array(TABLE_SIZE);
/** Bit 1: a letter; bit 2: an upper-case letter; bit 4: glue (digits, an address's symbols). */
export const CLASS = new Uint8Array(TABLE_SIZE);
export const C_LETTER = 1;
export const C_UPPER = 2;
export const C_GLUE = 4;
for (let c = 0; c < TABLE_SIZE; c++) {
  const s = String.fromCharCode(c);
  const l = s.toLowerCase();
  LOWER[c] = l.length === 1 ? l.charCodeAt(0) : c;
  let k = /\p{L}/u.test(s) && !(c >= 0x2000 && c <= 0x2bff) ? C_LETTER : 0;
  if (k !== 0 && l !== s && l.length === 1) k |= C_UPPER;
  CLASS[c] = k;
}
for (const c of '0123456789@_/\\#$%&=+*<>~^`|') CLASS[c.charCodeAt(0)] = C_GLUE;
/** Lower-case code unit << 3 | class bits, one load a character. */
export const INFO = new Uint32Array(TABLE_SIZE);
for (let c = 0; c < TABLE_SIZE; c++) INFO[c] = ((LOWER[c] as number) << 3) | (CLASS[c] as number);
/** Above the table, everything but CJK punctuation and surrogates (emoji) counts as a letter. */
export function highLetter(c: number): boolean {
  return c >= 0x3040 && (c < 0xd800 || c > 0xdfff);
}
function lower(c: number): number {
  return c < TABLE_SIZE ? (LOWER[c] as number) : c;
}
export function isLetter(c: number): boolean {
  return c < TABLE_SIZE ? ((CLASS[c] as number) & C_LETTER) !== 0 : highLetter(c);
}

/** FNV-1a over the lower-cased UTF-16 code units of `s` (the same hash the tokenizer computes). */
export function wordHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ lower(s.charCodeAt(i)), 0x01000193);
  return h >>> 0;
}

/**
 * A small set of 32-bit keys, open addressing in an `Int32Array` (asked once a word of the text: a
 * `Set` cost as much as the rest of the address pass). A key is the same signed or unsigned (a
 * token's hash is signed, `wordHash` unsigned), so either may be asked.
 */
export class KeySet {
  private readonly keys: Int32Array;
  private readonly used: Uint8Array;
  constructor(values: readonly number[]) {
    // Half full at most, so that a miss ends soon (and a full table would never end one).
    if (values.length > 512) throw new RangeError('a KeySet holds at most 512 keys');
    this.keys = new Int32Array(1024);
    this.used = new Uint8Array(1024);
    for (const v of values) {
      let i = (v ^ (v >>> 10)) & 1023;
      while (this.used[i] === 1 && this.keys[i] !== (v | 0)) i = (i + 1) & 1023;
      this.keys[i] = v;
      this.used[i] = 1;
    }
  }
  has(v: number): boolean {
    let i = (v ^ (v >>> 10)) & 1023;
    while (this.used[i] === 1) {
      if (this.keys[i] === (v | 0)) return true;
      i = (i + 1) & 1023;
    }
    return false;
  }
}

/** The `wordHash`es of words given separated by spaces (or as a list), as a KeySet. */
export function wordKeys(words: string | readonly string[]): KeySet {
  return new KeySet((typeof words === 'string' ? words.split(' ') : words).map(wordHash));
}

/** `wordHash` of `text.slice(from, to)`, without making the slice. */
export function rangeHash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ lower(text.charCodeAt(i)), 0x01000193);
  return h >>> 0;
}

/** Whether `c` is the code unit of an ASCII digit. */
export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether the character at `i` of `text` is a letter (the tokenizer's table). */
export function letterAt(text: string, i: number): boolean {
  return isLetter(text.charCodeAt(i));
}

/** Where the word of letters starting at `from` ends (at most `end`). */
export function wordEnd(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && isLetter(text.charCodeAt(i))) i++;
  return i;
}

/** Whether the character at `i` of `text` is an upper-case letter. */
export function upperAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < TABLE_SIZE) return ((CLASS[c] as number) & C_UPPER) !== 0;
  return UPPER.test(String.fromCodePoint(text.codePointAt(i) as number));
}
const UPPER = /^\p{Lu}/u;

/**
 * Where the word of letters that ends at or before `at` starts and ends (spaces before `at`
 * skipped): [start, end), empty (start === end) where there is none.
 */
export function wordBefore(text: string, at: number): [number, number] {
  let e = at;
  while (e >= 0 && text.charCodeAt(e) === 32) e--;
  let s = e;
  while (s >= 0 && letterAt(text, s)) s--;
  return [s + 1, e + 1];
}
