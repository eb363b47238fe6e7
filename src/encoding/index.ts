export {
  bytesEqual,
  concatBytes,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  readBounded,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './bytes.ts';
export type { JsonLimits, JsonValue } from './json.ts';
export {
  canonicalJson,
  canonicalJsonBytes,
  DEFAULT_JSON_LIMITS,
  jsonDepthExceeds,
  parseJson,
} from './json.ts';
export { randomBytesSecure } from './random.ts';
