// A demonstration identity provider for trying Verity's platform sign-in from a shell: it makes an
// ES256 key pair and signs ID tokens (OpenID Connect Core 2) with node:crypto alone. A real platform
// signs its players in with its own identity provider; this stands in for it. Never use it for real.
//
//   node docs/examples/oidc-idp.mjs keys KEY_FILE              writes the private key, prints the JWKS
//   node docs/examples/oidc-idp.mjs sign KEY_FILE ISS AUD SUB NONCE   prints an ID token (NONCE: the
//                                                              nonce, or Verity's JSON answer holding it)
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [command, keyFile, iss, aud, sub, nonceArg] = process.argv.slice(2);
const b64u = (x) => Buffer.from(x).toString('base64url');

if (command === 'keys' && keyFile) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'demo-1', alg: 'ES256', use: 'sig' };
  process.stdout.write(`${JSON.stringify({ keys: [jwk] })}\n`);
} else if (command === 'sign' && keyFile && iss && aud && sub && nonceArg) {
  const key = createPrivateKey(readFileSync(keyFile));
  const nonce = nonceArg.startsWith('{') ? JSON.parse(nonceArg).nonce : nonceArg;
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', kid: 'demo-1', typ: 'JWT' };
  const claims = { iss, aud, sub, nonce, iat: now, exp: now + 300 };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  process.stdout.write(`${input}.${b64u(signature)}\n`);
} else {
  process.stderr.write('usage: oidc-idp.mjs keys KEY_FILE | sign KEY_FILE ISS AUD SUB NONCE\n');
  process.exit(2);
}
