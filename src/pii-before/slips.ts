// Cue words typed with a slip (D207): chat misspells the words that announce personal data.

/** A list of cue words as `typedCue` reads it: those of four letters or more, and their lengths. */
interface CueSet {
  readonly cues: readonly string[];
  /** Bit n set: a cue of n letters (bit 31: 31 or more). */
  readonly lengths: number;
}
const cueSets = new WeakMap<readonly string[], CueSet>();
function cueSet(cues: readonly string[]): CueSet {
  let s = cueSets.get(cues);
  if (s === undefined) {
    const kept = cues.filter((c) => c.length >= 4);
    let lengths = 0;
    for (const c of kept) lengths |= 1 << Math.min(c.length, 31);
    s = { cues: kept, lengths };
    cueSets.set(cues, s);
  }
  return s;
}

/** Whether a cue of `n - 1`, `n` or `n + 1` letters is in the set (the lengths a slip allows). */
function nearLength(lengths: number, n: number): boolean {
  if (n >= 29) return true; // long words: left to the loop
  return (lengths & (0b111 << (n - 1))) !== 0;
}

/**
 * Whether one of the last `words` words of `s` is one of `cues` typed with at most one slip (a
 * letter dropped, added, changed, or two swapped; Damerau-Levenshtein distance 1). Chat misspells
 * its cue words; a slip needs a word of three letters or more and a cue of four or more.
 */
export function typedCue(s: string, cues: readonly string[], words: number): boolean {
  const set = cueSet(cues);
  // The last `words` words of three letters or more, read from the end without splitting; a word
  // is lower-cased (a copy) only when a cue of a length one slip away exists: on a phone number's
  // lead (a scan of chat makes thousands) most words are not.
  let end = s.length;
  for (let seen = 0; seen < words && end > 0; ) {
    while (end > 0 && !letterCode(s.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && letterCode(s.charCodeAt(start - 1))) start--;
    if (end - start >= 3) {
      seen++;
      if (nearLength(set.lengths, end - start)) {
        const w = s.slice(start, end).toLowerCase();
        for (const c of set.cues) if (Math.abs(c.length - w.length) <= 1 && oneSlip(w, c)) return true;
      }
    }
    end = start;
  }
  return false;
}
const LETTER = /\p{L}/u;
/** `\p{L}` on one code unit (as `charAt` gives it): ASCII answered directly, the rest by the pattern. */
function letterCode(c: number): boolean {
  if (c < 128) return (c | 0x20) >= 97 && (c | 0x20) <= 122;
  return LETTER.test(String.fromCharCode(c));
}

/** Whether `a` from `i` equals `b` from `j` to their ends (lengths already agree), without slicing. */
function sameFrom(a: string, i: number, b: string, j: number): boolean {
  if (a.length - i !== b.length - j) return false;
  for (; i < a.length; i++, j++) if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
  return true;
}

/**
 * Damerau-Levenshtein distance at most 1 (optimal string alignment; hand-written: a dozen lines,
 * called on short words, comparing code units in place instead of slicing).
 */
export function oneSlip(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (la === lb) {
    if (sameFrom(a, i + 1, b, i + 1)) return true;
    return (
      i + 1 < la &&
      a.charCodeAt(i) === b.charCodeAt(i + 1) &&
      a.charCodeAt(i + 1) === b.charCodeAt(i) &&
      sameFrom(a, i + 2, b, i + 2)
    );
  }
  return la > lb ? sameFrom(a, i + 1, b, i) : sameFrom(a, i, b, i + 1);
}
