// ID token validation (OpenID Connect Core 1.0 3.1.3.7): one token per rule, each failing for
// exactly that reason (the same claims pass when that one thing is put right), signed with jose and
// with node:crypto directly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createLocalJWKSet } from 'jose';
import {
  claimsAt,
  hs256WithPublicKey,
  jwksOf,
  makeKey,
  signRaw,
  signWithJose,
  signWithNode,
  type TestKey,
  unsigned,
} from '../../test/helpers/idp.ts';
import { isVerityError } from '../errors/index.ts';
import { checkAlgorithms, type IssuerConfig, issuerConfig } from './config.ts';
import { IdTokenError, type KeyResolver, validateIdToken } from './verify.ts';

const NOW = 1_800_000_000_000;
const ISS = 'https://id.example.com';
const CLIENT = 'verity-client';
const base = { iss: ISS, aud: CLIENT, sub: 'player-42', nonce: 'n-1' };

const rsa = makeKey('RS256', 'rsa-1');
const ps = makeKey('PS256', 'ps-1');
const ec = makeKey('ES256', 'ec-1');
const ed = makeKey('EdDSA', 'ed-1');
const intruder = makeKey('RS256', 'rsa-1');

function issuer(
  o: Partial<Parameters<typeof issuerConfig>[0]> = {},
  keys: TestKey[] = [rsa, ps, ec, ed],
): IssuerConfig {
  return issuerConfig(
    {
      name: 'idp',
      issuer: ISS,
      clientId: CLIENT,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      jwks: jwksOf(...keys),
      trustedAudiences: ['game-api'],
      ...o,
    },
    NOW,
  ).config;
}

const resolver = (c: IssuerConfig): KeyResolver =>
  createLocalJWKSet(c.jwks as Parameters<typeof createLocalJWKSet>[0]) as KeyResolver;

async function check(token: string, c: IssuerConfig = issuer(), now = NOW) {
  return validateIdToken(token, c, resolver(c), { now });
}

async function refused(token: unknown, reason: string, c: IssuerConfig = issuer(), now = NOW): Promise<void> {
  await assert.rejects(validateIdToken(token, c, resolver(c), { now }), (e: unknown) => {
    assert.ok(e instanceof IdTokenError, `expected a refusal for ${reason}, got ${String(e)}`);
    assert.equal(e.code, 'VERITY_E_OIDC_TOKEN_INVALID');
    assert.equal(e.reason, reason, e.message);
    // The message never carries the token.
    if (typeof token === 'string') assert.ok(!e.message.includes(token.slice(0, 20)));
    return true;
  });
}

const valid = (extra: Record<string, unknown> = {}) => claimsAt(NOW, base, extra);
const t = Math.floor(NOW / 1000);

describe('ID token validation (OpenID Connect Core 3.1.3.7)', () => {
  it('accepts a valid token signed by jose and by node:crypto, for RS256, PS256, ES256 and EdDSA', async () => {
    for (const k of [rsa, ps, ec, ed]) {
      for (const token of [await signWithJose(k, valid()), signWithNode(k, valid())]) {
        const v = await check(token);
        assert.equal(v.subject, 'player-42');
        assert.equal(v.nonce, 'n-1');
        assert.equal(v.alg, k.alg);
        assert.equal(v.kid, k.kid);
      }
    }
  });

  it('2: refuses an `iss` that is not exactly the issuer', async () => {
    await refused(signWithNode(rsa, valid({ iss: `${ISS}/` })), 'iss');
    await refused(signWithNode(rsa, valid({ iss: 'https://ID.example.com' })), 'iss');
    await refused(signWithNode(rsa, valid({ iss: undefined })), 'iss');
  });

  it('3: refuses an `aud` without the client id, or with an audience not trusted', async () => {
    await refused(signWithNode(rsa, valid({ aud: 'someone-else' })), 'aud');
    await refused(signWithNode(rsa, valid({ aud: ['someone-else'] })), 'aud');
    await refused(signWithNode(rsa, valid({ aud: [CLIENT, 'untrusted-api'], azp: CLIENT })), 'aud');
    await refused(signWithNode(rsa, valid({ aud: [] })), 'aud');
    await refused(signWithNode(rsa, valid({ aud: 7 })), 'aud');
    await check(signWithNode(rsa, valid({ aud: [CLIENT] })));
  });

  it('4-5: several audiences need `azp`, and `azp` must be the client id', async () => {
    await refused(signWithNode(rsa, valid({ aud: [CLIENT, 'game-api'] })), 'azp');
    await check(signWithNode(rsa, valid({ aud: [CLIENT, 'game-api'], azp: CLIENT })));
    await refused(signWithNode(rsa, valid({ azp: 'game-api' })), 'azp');
    await refused(signWithNode(rsa, valid({ aud: [CLIENT, 'game-api'], azp: 'game-api' })), 'azp');
    await check(signWithNode(rsa, valid({ azp: CLIENT })));
  });

  it('6-8: refuses `alg` none, HS256 with the public key as secret, and algorithms not allowed', async () => {
    await refused(unsigned(valid()), 'alg');
    await refused(hs256WithPublicKey(rsa, valid()), 'alg');
    // Even an issuer configuration cannot allow them.
    for (const a of ['none', 'HS256', 'HS512', 'RSA1_5', 'rs256'])
      assert.throws(
        () => checkAlgorithms([a]),
        (e: unknown) => isVerityError(e, 'VERITY_E_INPUT_INVALID'),
      );
    // ES256 is a fine algorithm, but not one this issuer is configured for.
    const rsOnly = issuer({ algorithms: ['RS256'] });
    await refused(signWithNode(ec, valid()), 'alg', rsOnly);
    await check(signWithNode(rsa, valid()), rsOnly);
  });

  it('6: refuses a signature by another key under the same `kid`, and a key the issuer does not have', async () => {
    await refused(signWithNode(intruder, valid()), 'signature');
    await refused(signWithNode(rsa, valid()), 'key', issuer({}, [ps, ec, ed]));
    await refused(signWithNode(rsa, valid(), { kid: 'unknown' }), 'key');
    // Two RSA keys and no `kid`: the token must say which (Core 10.1).
    const rsa2 = makeKey('RS256', 'rsa-2');
    await refused(
      signWithNode(rsa, valid(), { kid: undefined }),
      'key',
      issuer({ algorithms: ['RS256'] }, [rsa, rsa2]),
    );
    await check(signWithNode(rsa, valid(), { kid: undefined }), issuer({ algorithms: ['RS256'] }, [rsa]));
  });

  it('9: refuses an expired token (beyond the allowed skew)', async () => {
    await refused(signWithNode(rsa, valid({ iat: t - 400, exp: t - 61 })), 'exp');
    await check(signWithNode(rsa, valid({ iat: t - 400, exp: t - 30 })));
    await refused(signWithNode(rsa, valid({ iat: t - 400, exp: t - 30 })), 'exp', issuer({ clockSkewSeconds: 0 }));
    await refused(signWithNode(rsa, valid({ exp: undefined })), 'exp');
    await refused(signWithNode(rsa, valid({ exp: String(t + 300) })), 'exp');
  });

  it('10: refuses `iat` in the future beyond the skew, or too old', async () => {
    await refused(signWithNode(rsa, valid({ iat: t + 120 })), 'iat');
    await check(signWithNode(rsa, valid({ iat: t + 30 })));
    await refused(signWithNode(rsa, valid({ iat: t - 3600, exp: t + 300 })), 'iat');
    await refused(signWithNode(rsa, valid({ iat: undefined })), 'iat');
  });

  it('refuses a token whose `nbf` is later than now (beyond the skew)', async () => {
    await refused(signWithNode(rsa, valid({ nbf: t + 120 })), 'nbf');
    await check(signWithNode(rsa, valid({ nbf: t + 30 })));
    await refused(signWithNode(rsa, valid({ nbf: 'soon' })), 'nbf');
  });

  it('11: a token without a nonce is refused with VERITY_E_OIDC_NONCE_INVALID', async () => {
    const c = issuer();
    await assert.rejects(check(signWithNode(rsa, valid({ nonce: undefined })), c), (e: unknown) =>
      isVerityError(e, 'VERITY_E_OIDC_NONCE_INVALID'),
    );
    await assert.rejects(check(signWithNode(rsa, valid({ nonce: 5 })), c), (e: unknown) =>
      isVerityError(e, 'VERITY_E_OIDC_NONCE_INVALID'),
    );
  });

  it('refuses a missing `sub`, and a subject claim that is not a printable string', async () => {
    await refused(signWithNode(rsa, valid({ sub: undefined })), 'sub');
    await refused(signWithNode(rsa, valid({ sub: 'x'.repeat(256) })), 'sub');
    await refused(signWithNode(rsa, valid({ player: 'a\u0000b' })), 'sub', issuer({ subjectClaim: 'player' }));
    const v = await check(signWithNode(rsa, valid({ player: 'p-9' })), issuer({ subjectClaim: 'player' }));
    assert.equal(v.subject, 'p-9');
  });

  it('refuses `typ` other than JWT, and `crit`', async () => {
    await refused(signWithNode(rsa, valid(), { typ: 'at+jwt' }), 'typ');
    await refused(signWithNode(rsa, valid(), { typ: 7 }), 'typ');
    await check(signWithNode(rsa, valid(), { typ: 'application/jwt' }));
    await check(signWithNode(rsa, valid(), { typ: undefined }));
    await refused(signWithNode(rsa, valid(), { crit: ['exp'] }), 'crit');
  });

  it('refuses oversize tokens, malformed base64url and JSON, encrypted tokens and duplicate members', async () => {
    await refused(signWithNode(rsa, valid({ pad: 'x'.repeat(17_000) })), 'size');
    await refused('a.b', 'format');
    await refused(42, 'format');
    await refused('a.b.c.d.e', 'format');
    const good = signWithNode(rsa, valid());
    const [h, p, s] = good.split('.') as [string, string, string];
    await refused(`${h}=.${p}.${s}`, 'format');
    await refused(`${h}.${p}+.${s}`, 'format');
    await refused(`${h}.${p}.${s}==`, 'format');
    const header = JSON.stringify({ alg: 'RS256', kid: rsa.kid });
    await refused(signRaw(rsa, header, '{"iss":'), 'claims');
    await refused(signRaw(rsa, header, '["not","an","object"]'), 'claims');
    await refused(signRaw(rsa, '{"alg":"RS256"', JSON.stringify(valid())), 'header');
    // A claim twice (JSON.parse would keep the last): the second `sub` is someone else.
    const twice = `${JSON.stringify(valid()).slice(0, -1)},"sub":"victim"}`;
    await refused(signRaw(rsa, header, twice), 'claims');
    await refused(signRaw(rsa, '{"alg":"RS256","kid":"rsa-1","alg":"HS256"}', JSON.stringify(valid())), 'header');
  });

  it('any single-character change of a valid token is refused (property)', async () => {
    const c = issuer();
    const tokens = [signWithNode(rsa, valid()), signWithNode(ec, valid()), signWithNode(ed, valid())];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: tokens.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: alphabet.length - 1 }),
        async (which, at, ch) => {
          const good = tokens[which] as string;
          const i = at % good.length;
          const repl = alphabet[ch] as string;
          fc.pre(good[i] !== repl);
          const bad = good.slice(0, i) + repl + good.slice(i + 1);
          await assert.rejects(validateIdToken(bad, c, resolver(c), { now: NOW }), (e: unknown) => isVerityError(e));
        },
      ),
      { numRuns: 400 },
    );
  });
});
