import { toBase64Url, utf8 } from '../encoding/index.ts';
import { sha256 } from '../platform/index.ts';

const DOMAIN = utf8('verity/content/v1\n');

/**
 * The content commitment an audit entry carries (`contentHash`): `sha256:` + base64url of
 * SHA-256("verity/content/v1\n" || salt || canonical JSON of the data). The random salt keeps the
 * public log from confirming guesses of the content; a reader given the data and the salt (an
 * authorized read returns both) checks that the data is what the logged write committed to.
 */
export function contentCommitment(salt: Uint8Array, dataBytes: Uint8Array): string {
  const buf = new Uint8Array(DOMAIN.byteLength + salt.byteLength + dataBytes.byteLength);
  buf.set(DOMAIN, 0);
  buf.set(salt, DOMAIN.byteLength);
  buf.set(dataBytes, DOMAIN.byteLength + salt.byteLength);
  return `sha256:${toBase64Url(sha256(buf))}`;
}
