// Cryptography and encodings of the platform Verity runs on: Node.js (node:crypto) or a browser
// (@noble, WebCrypto). package.json's `#platform` import chooses: bundlers that target browsers
// take the `browser` condition, everything else the Node.js one. Both pass the same tests.
export {
  constantTimeEqual,
  decodeBase64,
  decodeHex,
  ed25519Verifier,
  encodeBase64,
  encodeHex,
  hkdfSha256,
  hmacSha256,
  PLATFORM,
  randomFill,
  sha256,
} from '#platform';
