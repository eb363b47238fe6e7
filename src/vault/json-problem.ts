// What in a caller's record data canonical JSON (RFC 8785) cannot carry, named for the error the
// vault answers with. Here rather than beside `canonicalJson` (src/encoding): the key process loads
// that module, and its code is held to a budget (src/keyproc/size-budget.json).

/**
 * What in `value` JSON cannot carry (the first found, depth first), for the error's message. Runs
 * only once canonicalization has failed; bounded by the value's size.
 */
export function jsonProblem(value: unknown): string {
  const seen = new Set<object>();
  const visit = (v: unknown): string | undefined => {
    switch (typeof v) {
      case 'undefined':
        return 'undefined';
      case 'function':
        return 'a function';
      case 'symbol':
        return 'a symbol';
      case 'bigint':
        return 'a BigInt';
      case 'number':
        return Number.isFinite(v) ? undefined : 'a non-finite number (NaN or Infinity)';
      case 'string':
        return v.isWellFormed() ? undefined : UNPAIRED;
      case 'boolean':
        return undefined;
    }
    if (v === null) return undefined;
    const o = v as object;
    if (seen.has(o)) return 'an object that contains itself';
    seen.add(o);
    if (typeof (o as { toJSON?: unknown }).toJSON === 'function') return undefined;
    for (const [k, x] of Object.entries(o)) {
      if (!k.isWellFormed()) return UNPAIRED.replace('a string', 'a key');
      const why = visit(x);
      if (why !== undefined) return why;
    }
    seen.delete(o);
    return undefined;
  };
  return visit(value) ?? 'a value JSON cannot represent';
}
const UNPAIRED =
  'a string with an unpaired surrogate (a code unit from U+D800 to U+DFFF alone, not well-formed Unicode)';
