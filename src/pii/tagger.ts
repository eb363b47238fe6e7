// The statistical part of the name and place finder (D100): an averaged-perceptron token tagger
// (O, PERSON, LOCATION) over hashed features of word identity, shape, case, suffix, neighbours,
// dictionary flags and the classes of the words around (greetings, speech verbs, place words,
// labels, conjunctions, game and month words in five languages; D103). Hand-written rather than a
// library because it must be cheap on chat text (one pass over the text's code units, integer
// feature hashes, 16-bit weights in a typed array, scored only on candidate tokens) and its
// weights must be a small data file rebuilt deterministically (scripts/train-pii-tagger.ts); the
// NLP packages on npm ship neither. Its tokens (tokens.ts) are shared with the dictionary rules
// (runs.ts, lastlook.ts, addresses.ts).
import { readFileSync } from 'node:fs';
import { VerityError } from '../errors/index.ts';
import { upperAt, wordKeys } from './chars.ts';
import { BARE_DEEDS_WORDS } from './chatwords.ts';
import { NAME_PARTICLE_WORDS } from './lexicon.ts';
import { type Tokens, tokenize } from './tokens.ts';
import { FLAGS } from './wordflags.ts';

/** Classes the tagger tells apart. */
export const TAGS = ['O', 'PERSON', 'LOCATION'] as const;
const NC = TAGS.length;
/** Feature table size (hashed features; collisions are rare enough at this size). */
export const FEATURE_BITS = 18;
const NF = 1 << FEATURE_BITS;
const MASK = NF - 1;

// The flag bits as this module's own constants (as they were before the tokenizer and the flags
// moved to their own files: the hot loops read them the same way).
const { FIRST, LAST, PLACE, PLACE_PART, TITLE, STREET, COMMON, STRONG, P_BEFORE, P_AFTER, L_BEFORE, CONJ } = FLAGS;
const { LABEL_P, LABEL_L, GAME, AMBIG } = FLAGS;

/**
 * Whether the tagger looks at token `k`: a capitalized word that is no plain word or acronym, a
 * dictionary name or place that is no plain chat word, or an unknown lower-case word right after
 * a cue (tell barnaby, moved to cork) or before one (orla said).
 */
export function candidate(t: Tokens, k: number): boolean {
  const f = t.flags[k] as number;
  const shape = t.shape[k] as number;
  if (shape === 4) return false;
  if ((f & COMMON) !== 0 && (f & (FIRST | LAST | PLACE)) === 0) return false;
  if (shape !== 0) return true;
  if ((f & COMMON) !== 0) return false;
  if ((f & (FIRST | LAST | PLACE | PLACE_PART)) !== 0) return true;
  if ((f & (GAME | AMBIG | P_BEFORE | P_AFTER | L_BEFORE | CONJ | LABEL_P | LABEL_L)) !== 0) return false;
  const pf = k > 0 && t.gap[k] !== 2 ? (t.flags[k - 1] as number) : 0;
  const nf = k + 1 < t.n && t.gap[k + 1] === 0 ? (t.flags[k + 1] as number) : 0;
  return ((pf | nf) & STRONG) !== 0 || (pf & (LABEL_P | LABEL_L)) !== 0;
}

function mix(template: number, value: number): number {
  let h = Math.imul(template ^ 0x9e3779b1, 0x85ebca6b) ^ value;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) & MASK;
}

/** Up to this many features per token. */
export const MAX_FEATURES = 40;

/** The templates of the fixed features, in the order `features` writes their values (5 is the dictionary bits'). */
const FIXED_TEMPLATES = Int32Array.of(0, 1, 2, 3, 4, ...Array.from({ length: 22 }, (_, i) => i + 6));

/** Dictionary bits that get a feature of their own (with the word's shape and gap). */
const OWN_BITS = FIRST | LAST | PLACE | PLACE_PART | TITLE | STREET | GAME | AMBIG;

/**
 * The feature indices of token `k` given the tags of the two tokens before it, written into
 * `out`; returns the count.
 */
export function features(t: Tokens, k: number, prevTag: number, prev2Tag: number, out: Int32Array): number {
  const n = t.n;
  const w = t.hash[k] as number;
  const shape = t.shape[k] as number;
  const flags = t.flags[k] as number;
  const gap = t.gap[k] as number;
  const after = t.after[k] as number;
  const pw = k > 0 ? (t.hash[k - 1] as number) : 1;
  const nw = k + 1 < n ? (t.hash[k + 1] as number) : 2;
  const pw2 = k > 1 ? (t.hash[k - 2] as number) : 3;
  const nw2 = k + 2 < n ? (t.hash[k + 2] as number) : 4;
  const pshape = k > 0 ? (t.shape[k - 1] as number) : 7;
  const nshape = k + 1 < n ? (t.shape[k + 1] as number) : 7;
  const pflags = k > 0 ? (t.flags[k - 1] as number) : 0;
  const nflags = k + 1 < n ? (t.flags[k + 1] as number) : 0;
  const p2flags = k > 1 ? (t.flags[k - 2] as number) : 0;
  const ngap = k + 1 < n ? (t.gap[k + 1] as number) : 2;
  const pgap = k > 0 ? (t.gap[k - 1] as number) : 2;
  const len = (t.end[k] as number) - (t.start[k] as number);
  const cues = P_BEFORE | P_AFTER | L_BEFORE | CONJ | LABEL_P | LABEL_L | STRONG;
  // The values of the fixed templates first, then hashed with their templates in one loop: one
  // copy of `mix`, inlined. Written as a call per template, V8 inlined eight of the 27 calls within
  // its budget for this function and called the rest.
  let c = 0;
  out[c++] = 0;
  out[c++] = w;
  out[c++] = shape | (gap << 3) | (after << 6);
  out[c++] = t.suffix[k] as number;
  out[c++] = flags | (shape << 16);
  out[c++] = pw;
  out[c++] = nw;
  out[c++] = pw2;
  out[c++] = nw2;
  out[c++] = pflags | (pshape << 16) | (gap << 20);
  out[c++] = nflags | (nshape << 16) | (ngap << 20);
  out[c++] = prevTag;
  out[c++] = prevTag | (shape << 4) | (gap << 8);
  out[c++] = pw ^ Math.imul(shape + 1, 0x27d4eb2d);
  out[c++] = nw ^ Math.imul(shape + 1, 0x27d4eb2d);
  out[c++] = Math.min(len, 12) | (shape << 4);
  out[c++] = (t.suffix[k] as number) & 0xfffff;
  out[c++] = pw ^ Math.imul(pw2, 31);
  out[c++] = nw ^ Math.imul(nw2, 31);
  out[c++] = prevTag | ((pflags & 0xff) << 4) | ((flags & 0xff) << 12);
  // The context as classes: the cue before (one or two words back), the cue after, and a list
  // continued over a comma or a conjunction (the tag two words back).
  out[c++] = (pflags & cues) | (shape << 16) | (gap << 20);
  out[c++] = (p2flags & cues) | ((pflags & COMMON) << 10) | (shape << 18) | (pgap << 22);
  out[c++] = (nflags & cues) | (shape << 16) | (after << 20);
  out[c++] = prev2Tag | ((pflags & CONJ) !== 0 ? 4 : 0) | (gap << 3) | (shape << 6) | (prevTag << 10);
  out[c++] = (flags & (FIRST | LAST | PLACE | PLACE_PART)) | ((pflags & cues) << 4) | (shape << 24);
  out[c++] = (flags & (FIRST | LAST | PLACE | PLACE_PART)) | ((nflags & cues) << 4) | (shape << 24);
  out[c++] = after | (ngap << 3) | (nshape << 6) | (shape << 9) | (gap << 12);
  for (let i = 0; i < c; i++) out[i] = mix(FIXED_TEMPLATES[i] as number, out[i] as number);
  const own = flags & OWN_BITS;
  for (let b = 0; b < 15; b++) if ((own & (1 << b)) !== 0) out[c++] = mix(5, b | (shape << 4) | (gap << 8));
  return c;
}

/** A trained model: a weight per feature and class. */
export interface Model {
  /** Weights quantized to 16 bits (as shipped): a table half the size of floats stays in cache. */
  readonly weights: Int16Array;
  /** What a weight is multiplied by to give its value's unit. */
  readonly scale: number;
}

const MODEL_FILE = new URL('./data/tagger.jsonl', import.meta.url);
/** Format of the weights file (scripts/train-pii-tagger.ts writes it). */
export const MODEL_FORMAT = 'verity-pii-tagger/1';

/** Reads the weights file: the non-zero weights as base64 indices (Int32) and values (Int16, scaled). */
export function parseModel(text: string): Model {
  let j: { format?: unknown; featureBits?: unknown; scale?: unknown; index?: unknown; value?: unknown };
  try {
    j = JSON.parse(text) as typeof j;
  } catch (e) {
    throw damagedModel('not JSON', e);
  }
  if (j.format !== MODEL_FORMAT || j.featureBits !== FEATURE_BITS) throw damagedModel('another format');
  if (typeof j.scale !== 'number' || typeof j.index !== 'string' || typeof j.value !== 'string')
    throw damagedModel('fields missing');
  const index = new Int32Array(new Uint8Array(Buffer.from(j.index, 'base64')).buffer);
  const value = new Int16Array(new Uint8Array(Buffer.from(j.value, 'base64')).buffer);
  if (index.length !== value.length) throw damagedModel('index and value lengths differ');
  const weights = new Int16Array(NF * NC);
  for (let i = 0; i < index.length; i++) {
    const at = index[i] as number;
    if (at < 0 || at >= weights.length) throw damagedModel('an index out of range');
    weights[at] = value[i] as number;
  }
  return { weights, scale: j.scale };
}

function damagedModel(why: string, cause?: unknown): VerityError {
  return new VerityError(
    'VERITY_E_INTERNAL',
    `the PII tagger weights src/pii/data/tagger.jsonl are damaged (${why}); restore them from the repository or rebuild them with scripts/train-pii-tagger.ts`,
    cause === undefined ? undefined : { cause },
  );
}

/** Serializes weights (quantized to 16 bits, zeros left out) in the format `parseModel` reads. */
export function serializeModel(weights: Float32Array, meta: Record<string, unknown>): string {
  let max = 0;
  for (const w of weights) max = Math.max(max, Math.abs(w));
  const scale = max === 0 ? 1 : Math.floor(32767 / max);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    const q = Math.round((weights[i] as number) * scale);
    if (q !== 0) {
      idx.push(i);
      val.push(q);
    }
  }
  const b64 = (a: Int32Array | Int16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return `${JSON.stringify({ format: MODEL_FORMAT, featureBits: FEATURE_BITS, classes: TAGS, ...meta, scale, weights: idx.length, index: b64(Int32Array.from(idx)), value: b64(Int16Array.from(val)) })}\n`;
}

let loaded: Model | undefined;

/** The shipped model, loaded on first use. */
export function model(): Model {
  loaded ??= parseModel(readFileSync(MODEL_FILE, 'utf8'));
  return loaded;
}

const feats = new Int32Array(MAX_FEATURES);
const scores = new Float64Array(NC);

/** The class scores of token `k` (into `scores`), returns the best class. */
export function classify(
  m: Model,
  t: Tokens,
  k: number,
  prevTag: number,
  prev2Tag: number,
  out: Float64Array = scores,
): number {
  const c = features(t, k, prevTag, prev2Tag, feats);
  const w = m.weights;
  // Three classes (TAGS): integer sums, one scaling at the end.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < c; i++) {
    const base = (feats[i] as number) * 3;
    s0 += w[base] as number;
    s1 += w[base + 1] as number;
    s2 += w[base + 2] as number;
  }
  out[0] = s0 / m.scale;
  out[1] = s1 / m.scale;
  out[2] = s2 / m.scale;
  return s1 > s0 ? (s2 > s1 ? 2 : 1) : s2 > s0 ? 2 : 0;
}

/** Tags every token (0 for tokens that are not candidates), greedy left to right, into `tags`. */
export function tagTokens(m: Model, t: Tokens, tags: Uint8Array, margins?: Float64Array): void {
  let prev = 0;
  let prev2 = 0;
  for (let k = 0; k < t.n; k++) {
    if (!candidate(t, k)) {
      tags[k] = 0;
      prev2 = prev;
      prev = 0;
      continue;
    }
    const y = classify(m, t, k, prev, prev2);
    tags[k] = y;
    if (margins !== undefined) {
      let second = Number.NEGATIVE_INFINITY;
      for (let z = 0; z < NC; z++) if (z !== y) second = Math.max(second, scores[z] as number);
      margins[k] = (scores[y] as number) - second;
    }
    prev2 = prev;
    prev = y;
  }
}

/** A name or place the tagger found: offsets into the text, and its tokens' mean margin. */
export interface TaggedSpan {
  readonly type: 'PERSON' | 'LOCATION';
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/**
 * Name particles joined into a name between two tagged words (Luis de Souza, van der Berg). A
 * KeySet, which answers a token's signed hash: a Set of `wordHash`es, unsigned, never matched the
 * particles whose hash has the top bit set (dos, das, del, van, von, der, den, ten, ter) (D376). The
 * conjunctions y and e are not particles here: they join two people (Ana y Lucas) far more often
 * than they stand inside one name (Ortega y Gasset).
 */
const PARTICLE_HASHES = wordKeys(NAME_PARTICLE_WORDS);

/** Least margins for a span (measured on the tuning half of the evaluation corpus, D100). */
export const MIN_MARGIN = 12;
export const MIN_MARGIN_LOWER = 12;

let tagBuf = new Uint8Array(1024);
let marginBuf = new Float64Array(1024);

/**
 * Person names and places found by the tagger in `text`: spans of consecutive tokens with the same
 * tag (joined over spaces, an initial's dot and name particles), each with a score from its tokens'
 * mean margin.
 */
export function taggedSpans(text: string, t: Tokens = tokenize(text)): TaggedSpan[] {
  if (tagBuf.length < t.n) {
    tagBuf = new Uint8Array(t.start.length);
    marginBuf = new Float64Array(t.start.length);
  }
  const m = model();
  tagTokens(m, t, tagBuf, marginBuf);
  continueLists(t, tagBuf, marginBuf);
  const out: TaggedSpan[] = [];
  for (let k = 0; k < t.n; k++) {
    const y = tagBuf[k] as number;
    if (y === 0) continue;
    let end = k;
    let margin = marginBuf[k] as number;
    let total = margin;
    let words = 1;
    for (;;) {
      const next = end + 1;
      if (next < t.n && tagBuf[next] === y && joinable(text, t, end, next)) {
        end = next;
        margin = Math.min(margin, marginBuf[next] as number);
        total += marginBuf[next] as number;
        words++;
        continue;
      }
      // Over a middle initial the tagger left out (U., I., A.: letters that are words of chat too),
      // between two words tagged alike: Rowan U. Marchbanks.
      if (
        y === 1 &&
        next + 1 < t.n &&
        tagBuf[next] === 0 &&
        tagBuf[next + 1] === y &&
        initial(text, t, next) &&
        joinable(text, t, end, next) &&
        joinable(text, t, next, next + 1)
      ) {
        end = next + 1;
        margin = Math.min(margin, marginBuf[next + 1] as number);
        total += marginBuf[next + 1] as number;
        words++;
        continue;
      }
      // Over one particle: both sides tagged alike.
      if (
        next + 1 < t.n &&
        tagBuf[next] === 0 &&
        tagBuf[next + 1] === y &&
        PARTICLE_HASHES.has(t.hash[next] as number) &&
        t.gap[next] === 0 &&
        t.gap[next + 1] === 0
      ) {
        end = next + 1;
        margin = Math.min(margin, marginBuf[next + 1] as number);
        total += marginBuf[next + 1] as number;
        words++;
        continue;
      }
      // A given name before a capitalized word no dictionary knows, closing the run: the family
      // name the tagger left out (Nadia Knight opened the ticket).
      if (
        y === 1 &&
        words === 1 &&
        next < t.n &&
        tagBuf[next] === 0 &&
        ((t.flags[end] as number) & FIRST) !== 0 &&
        t.shape[end] === 1 &&
        t.shape[next] === 1 &&
        t.flags[next] === 0 &&
        t.after[end] === 0 &&
        joinable(text, t, end, next) &&
        (next + 1 >= t.n || t.shape[next + 1] !== 1 || t.gap[next + 1] !== 0)
      ) {
        end = next;
        words++;
        total += margin;
        continue;
      }
      break;
    }
    // A lower-case span does not end in a word the tagger read on to: a name in what its person
    // does (lucia vive en cordoba, diego said), unless that is a family name too (D359) and no word
    // of place follows it (camila mora em curitiba: D392); a place in a name or a common word that
    // no place holds (lisbon till friday) (D375).
    const endsWith = y === 1 ? DOING : FLAGS.FIRST | FLAGS.COMMON;
    const unless = y === 1 ? FLAGS.LAST : FLAGS.PLACE | FLAGS.PLACE_PART;
    while (
      end > k &&
      t.shape[end] === 0 &&
      ((t.flags[end] as number) & endsWith) !== 0 &&
      (((t.flags[end] as number) & unless) === 0 ||
        (y === 1 && end + 1 < t.n && t.gap[end + 1] === 0 && ((t.flags[end + 1] as number) & L_BEFORE) !== 0))
    ) {
      total -= marginBuf[end] as number;
      end--;
      words--;
      if (words === 1) margin = marginBuf[k] as number;
    }
    // A question's bare verb after its subject (what did ifeoma post): not the name's last word,
    // though the lists hold some such verbs as family names (Post) (D412).
    if (
      y === 1 &&
      end > k &&
      t.shape[end] === 0 &&
      k > 0 &&
      DID.has(t.hash[k - 1] as number) &&
      BARE_DEEDS.has(t.hash[end] as number)
    ) {
      total -= marginBuf[end] as number;
      end--;
      words--;
      if (words === 1) margin = marginBuf[k] as number;
    }
    // A name of several words is as sure as its words on average (a surname the tagger is sure of
    // carries a given name it is not: Tariq Grabowska).
    if (words > 1) margin = total / words;
    // A lone all-caps word or letter (IBAN, V) is an acronym or a rank, and a lower-case word
    // needs a clear margin: chat is full of plain words some dictionary lists as a name.
    let caps = 0;
    let lowers = 0;
    for (let j = k; j <= end; j++)
      if (t.shape[j] === 0) lowers++;
      else if (t.shape[j] === 1 || (end > k && initial(text, t, j))) caps++;
    const odd = caps + lowers <= end - k || (caps > 0 && lowers > 0 && !PARTICLE_HASHES.has(t.hash[k + 1] as number));
    if (odd || margin < (caps === 0 ? MIN_MARGIN_LOWER : MIN_MARGIN)) {
      k = end;
      continue;
    }
    out.push({
      type: y === 1 ? 'PERSON' : 'LOCATION',
      start: t.start[k] as number,
      end: t.end[end] as number,
      score: margin,
    });
    k = end;
  }
  return out;
}

/**
 * Lists of names: a capitalized word joined by a comma or a conjunction to a person the tagger
 * found (Zebedee and Marigold, Anna, Peter) is a person too, with the other's margin. The greedy
 * pass reads left to right and so cannot see the name after the conjunction.
 */
function continueLists(t: Tokens, tags: Uint8Array, margins: Float64Array): void {
  const plain = COMMON | GAME | AMBIG | P_BEFORE | L_BEFORE | LABEL_P | LABEL_L | PLACE | CONJ | STRONG;
  for (let j = t.n - 1; j >= 0; j--) {
    if (tags[j] !== 1) continue;
    // Lower-case chat: "linnea and cormac carried": an unknown word after the conjunction, followed
    // by what people do.
    const k2 = j + 2;
    if (
      k2 < t.n &&
      tags[k2] === 0 &&
      t.shape[k2] === 0 &&
      ((t.flags[k2] as number) & plain) === 0 &&
      ((t.flags[j + 1] as number) & CONJ) !== 0 &&
      t.gap[j + 1] === 0 &&
      t.gap[k2] === 0 &&
      k2 + 1 < t.n &&
      t.gap[k2 + 1] === 0 &&
      ((t.flags[k2 + 1] as number) & (P_AFTER | STRONG)) !== 0
    ) {
      tags[k2] = 1;
      margins[k2] = margins[j] as number;
    }
    // Walk left over "A, B and" as long as the list goes on.
    // A pair in lower case is a list of people when what follows it is what people do.
    const doing = j + 1 < t.n && ((t.flags[j + 1] as number) & (P_AFTER | STRONG)) !== 0 && t.gap[j + 1] === 0;
    // A word the tagger already took for a person, with too small a margin, joins the list too.
    let r = j;
    while (r >= 2) {
      const k = r - 2;
      if (tags[k] === 2 || !(t.shape[k] === 1 || (t.shape[k] === 0 && doing))) break;
      const f = t.flags[k] as number;
      if ((f & (COMMON | GAME | AMBIG | P_BEFORE | L_BEFORE | LABEL_P | LABEL_L | PLACE)) !== 0) break;
      if (((t.flags[r - 1] as number) & CONJ) === 0 || t.shape[r - 1] !== 0 || t.gap[r] !== 0) break;
      margins[k] = tags[k] === 1 ? Math.max(margins[k] as number, margins[r] as number) : (margins[r] as number);
      tags[k] = 1;
      r = k;
    }
  }
}

/** A question's "did" before its subject, and the bare verbs of what people do after the subject. */
const DID = wordKeys('did does do didnt doesnt');
const BARE_DEEDS = wordKeys(`${BARE_DEEDS_WORDS} play mean`);

/** What a person does: live somewhere (vive, wohnt), speak (said, dijo) or act (joined). */
const DOING = FLAGS.L_BEFORE | FLAGS.P_AFTER | FLAGS.STRONG;

/** An initial: one capital letter and a dot (the N. of Jasper N. Mayhew). */
function initial(text: string, t: Tokens, j: number): boolean {
  const e = t.end[j] as number;
  return e - (t.start[j] as number) === 1 && text.charCodeAt(e) === 46 && upperAt(text, e - 1);
}

/** Two adjacent tokens join when only a space, or an initial's dot and a space, lie between them. */
function joinable(text: string, t: Tokens, a: number, b: number): boolean {
  const from = t.end[a] as number;
  const to = t.start[b] as number;
  if (to - from === 1) return text.charCodeAt(from) === 32 || text.charCodeAt(from) === 45;
  return (
    to - from === 2 &&
    text.charCodeAt(from) === 46 &&
    text.charCodeAt(from + 1) === 32 &&
    (t.end[a] as number) - (t.start[a] as number) === 1
  );
}
