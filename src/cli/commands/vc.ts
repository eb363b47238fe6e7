/**
 * `verity vc ...`: verifiable credentials. `vc verify` is offline: it reads an SD-JWT (with or
 * without key binding) on stdin and checks it with an issuer key from a file, no store opened.
 */

import type { JWK } from 'jose';
import { fromUtf8, type JsonValue, parseJson } from '../../encoding/index.ts';
import { CredentialError, isVerityError } from '../../errors/index.ts';
import {
  type CredentialType,
  checkSdJwtVcClaims,
  decodeSdJwtUnverified,
  isSdJwtVc,
  verifySdJwt,
} from '../../vc/index.ts';
import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, int, opt, printWithVerity, str, withVerity } from '../common.ts';
import { DID_HOST, didHost, identityServices } from '../identity.ts';
import { out, outJson, readInput, readStdin } from '../io.ts';

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

const issue: Command = {
  name: 'issue',
  summary: 'issue an SD-JWT VC to a player (prints the SD-JWT with every disclosure)',
  options: {
    ...DATA,
    ...DID_HOST,
    type: { type: 'string', value: 'T', required: true, help: 'over-18, verified-creator or membership' },
    player: {
      type: 'string',
      value: 'ID',
      required: true,
      identifier: true,
      help: 'the player (named by pseudonym in the store)',
    },
    'holder-jwk': {
      type: 'string',
      value: 'FILE',
      required: true,
      help: "the holder's public key (JWK) the credential binds to",
    },
    claims: { type: 'string', value: 'JSON', help: 'the claims, e.g. {"tier":"gold"}' },
    'age-over-18': { type: 'boolean', help: 'over-18: the operator attests the age evidence was checked' },
  },
  async run({ values }) {
    const holderJwk = parseJson(
      await readInput(str(values, 'holder-jwk'), 64 * 1024),
      { maxBytes: 64 * 1024, maxDepth: 4 },
      'holder key',
    );
    const claims = opt(values, 'claims');
    const r = await withVerity(values, async (v) => {
      const { identities, issuer, credentials } = identityServices(v, didHost(values));
      await identities.ensure(issuer, { actor: ACTOR });
      return credentials.issue(
        {
          type: str(values, 'type') as CredentialType,
          subjectRef: await v.vault.subjectRef(str(values, 'player')),
          holderJwk: holderJwk as JWK,
          ...(claims === undefined
            ? {}
            : {
                claims: parseJson(claims, { maxBytes: 64 * 1024, maxDepth: 4 }, '--claims') as Record<
                  string,
                  JsonValue
                >,
              }),
          ...(values['age-over-18'] === true ? { evidence: { ageOver18: true } } : {}),
        },
        { actor: ACTOR },
      );
    });
    await out(r.sdJwt);
    process.stderr.write(
      `${JSON.stringify({ id: r.credential.id, type: r.credential.type, list: r.credential.list })}\n`,
    );
    return 0;
  },
};

function statusCommand(name: 'revoke' | 'suspend' | 'reinstate', status: 'revoked' | 'suspended' | 'valid'): Command {
  return {
    name,
    summary: `${name} a credential Verity issued (its status list entry)`,
    options: { ...DATA, ...DID_HOST },
    args: ['ID'],
    async run({ values, positionals }) {
      return printWithVerity(values, (v) =>
        identityServices(v, didHost(values)).credentials.setStatus(positionals[0] as string, status, {
          actor: ACTOR,
        }),
      );
    },
  };
}

const trust: Command = {
  name: 'trust',
  summary: 'accept credentials from another issuer (its `iss`, with its JWK or JWK Set file, or its DID)',
  options: {
    ...DATA,
    iss: { type: 'string', value: 'ISS', required: true, help: "the issuer's `iss` value" },
    jwk: { type: 'string', value: 'FILE', help: "the issuer's public key (JWK or JWK Set)" },
    did: { type: 'string', value: 'DID', help: "the issuer's did:key or did:web (resolved at verification)" },
    remove: { type: 'boolean', help: 'take the issuer off the trust list' },
  },
  async run({ values }) {
    const iss = str(values, 'iss');
    const file = opt(values, 'jwk');
    const jwks =
      file === undefined
        ? undefined
        : ((f) => (Array.isArray((f as { keys?: unknown }).keys) ? (f as { keys: JWK[] }).keys : [f as JWK]))(
            parseJson(await readInput(file, 256 * 1024), { maxBytes: 256 * 1024, maxDepth: 8 }, 'issuer key'),
          );
    const did = opt(values, 'did');
    return printWithVerity(values, async (v) => {
      const t = identityServices(v, didHost(values)).trust;
      if (values['remove'] === true) return { removed: await t.distrust(iss, ACTOR) };
      return t.trust({ iss, ...(jwks === undefined ? {} : { jwks }), ...(did === undefined ? {} : { did }) }, ACTOR);
    });
  },
};

export const vc: Group = {
  name: 'vc',
  summary: 'verifiable credentials (SD-JWT VC): verify, issue, revoke, suspend, trust other issuers',
  commands: [
    verify,
    issue,
    statusCommand('revoke', 'revoked'),
    statusCommand('suspend', 'suspended'),
    statusCommand('reinstate', 'valid'),
    trust,
  ],
};
