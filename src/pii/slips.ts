// Cue words typed with a slip (D207): chat misspells the words that announce personal data.

/**
 * Whether one of the last `words` words of `s` is one of `cues` typed with at most one slip (a
 * letter dropped, added, changed, or two swapped; Damerau-Levenshtein distance 1). Chat misspells
 * its cue words; a slip needs a word of three letters or more and a cue of four or more.
 */
export function typedCue(s: string, cues: readonly string[], words: number): boolean {
  // The last `words` words of three letters or more, read from the end without splitting.
  let end = s.length;
  for (let seen = 0; seen < words && end > 0; ) {
    while (end > 0 && !letterCode(s.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && letterCode(s.charCodeAt(start - 1))) start--;
    if (end - start >= 3) {
      seen++;
      const w = s.slice(start, end).toLowerCase();
      for (const c of cues) if (c.length >= 4 && Math.abs(c.length - w.length) <= 1 && oneSlip(w, c)) return true;
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

/** Damerau-Levenshtein distance at most 1 (hand-written: a dozen lines, called on short words). */
function oneSlip(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
