/**
 * `verity vc ...`: verifiable credentials. `vc verify` is offline: it reads an SD-JWT (with or
 * without key binding) on stdin and checks it with an issuer key from a file, no store opened.
 */

import type { JWK } from 'jose';
import { fromUtf8, type JsonValue, parseJson } from '../../encoding/index.ts';
import { CredentialError, isVerityError } from '../../errors/index.ts';
import { checkSdJwtVcClaims, decodeSdJwtUnverified, isSdJwtVc, verifySdJwt } from '../../vc/index.ts';
import type { Command, Group } from '../command.ts';
import { int, opt, str } from '../common.ts';
import { outJson, readInput, readStdin } from '../io.ts';

/** The issuer key from a JWK or JWK Set file: the key whose `kid` the token names, or the only one. */
function pickKey(file: JsonValue, kid: JsonValue | undefined): JWK {
  if (typeof file !== 'object' || file === null || Array.isArray(file))
    throw new CredentialError('VERITY_E_VC_INVALID', 'the issuer key file is not a JWK or a JWK Set');
  const keys = Array.isArray(file['keys']) ? file['keys'] : [file];
  if (keys.length === 0 || keys.length > 64)
    throw new CredentialError('VERITY_E_VC_INVALID', 'the issuer JWK Set holds no key, or more than 64');
  const named =
    typeof kid === 'string'
      ? keys.filter((k) => typeof k === 'object' && k !== null && !Array.isArray(k) && k['kid'] === kid)
      : [];
  const k = named.length === 1 ? named[0] : keys.length === 1 ? keys[0] : undefined;
  if (k === undefined)
    throw new CredentialError(
      'VERITY_E_VC_INVALID',
      "the issuer JWK Set has several keys and none has the token's `kid`",
    );
  return k as JWK;
}

const verify: Command = {
  name: 'verify',
  summary: 'verify an SD-JWT or SD-JWT+KB read on stdin; print the disclosed claims as JSON',
  options: {
    'issuer-jwk': { type: 'string', value: 'FILE', required: true, help: "the issuer's public key (JWK or JWK Set)" },
    audience: { type: 'string', value: 'A', help: 'require key binding to this audience (`aud`)' },
    nonce: { type: 'string', value: 'N', help: 'require key binding with this nonce' },
    now: { type: 'string', value: 'SECONDS', help: 'verify as of this time (seconds since the epoch; default now)' },
  },
  details:
    'Checks the issuer signature (EdDSA, ES256 or ES384, with the key of --issuer-jwk only), every\n' +
    'disclosure (RFC 9901), `exp`/`nbf`, and the key binding JWT when present or asked for\n' +
    '(--audience/--nonce: `typ` kb+jwt, `sd_hash`, `aud`, `nonce`, `iat` within 5 minutes). An SD-JWT VC\n' +
    '(`typ` dc+sd-jwt or vc+sd-jwt) must carry `vct`. Exit 0 with the claims on stdout, or 1 with the\n' +
    'reason on stderr. Status lists are not fetched (offline).',
  async run({ values }) {
    try {
      const keyFile = parseJson(
        await readInput(str(values, 'issuer-jwk'), 256 * 1024),
        { maxBytes: 256 * 1024, maxDepth: 8 },
        'issuer key',
      );
      const text = fromUtf8(await readStdin(2 * 1024 * 1024), 'standard input').trim();
      const { header } = decodeSdJwtUnverified(text);
      const audience = opt(values, 'audience');
      const nonce = opt(values, 'nonce');
      const now = int(values, 'now', false);
      const v = await verifySdJwt(text, {
        issuerKey: pickKey(keyFile, header['kid']),
        keyBinding: { ...(audience === undefined ? {} : { audience }), ...(nonce === undefined ? {} : { nonce }) },
        ...(now === undefined ? {} : { now }),
      });
      if (isSdJwtVc(v.header)) checkSdJwtVcClaims(v.claims);
      await outJson(v.claims);
      return 0;
    } catch (e) {
      // Every refusal exits 1 with its reason (malformed input included): a verifier's answer is yes or no.
      if (!isVerityError(e)) throw e;
      process.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
      return 1;
    }
  },
};

export const vc: Group = {
  name: 'vc',
  summary: 'verifiable credentials (SD-JWT VC): verify, issue, revoke',
  commands: [verify],
};
