// Provenance of creations over HTTP (FGMV-46 7.2.4, D202): a creator's manifest verified against
// its file; sealed as an `asset.provenance` record only by a service the policies let write that
// type, only when it verifies, and read back as any record; a did:web creator is not fetched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { DEFAULT_POLICIES, PolicyEngine } from '../src/access/index.ts';
import { didKeyFromJwk } from '../src/did/index.ts';
import { toBase64Url, utf8 } from '../src/encoding/index.ts';
import { Tokens } from '../src/principals/index.ts';
import { contentOf, PROVENANCE_FORMAT, signProvenance } from '../src/provenance/index.ts';
import { buildServer } from '../src/server/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

describe('provenance of creations over HTTP', () => {
  let core: TestCore;
  let app: ReturnType<typeof buildServer>;
  let studio: string;
  let other: string;
  let jws: string;
  const file = utf8('a texture: 64x64 RGBA of a cloak');
  const content = toBase64Url(file);

  before(async () => {
    core = await makeCore('sqlite');
    const tokens = new Tokens(core.store, core.log);
    app = buildServer({
      log: core.log,
      records: { vault: core.vault, tokens, policies: () => PolicyEngine.load(DEFAULT_POLICIES) },
    });
    const make = async (principal: string, recordTypes: string[]) =>
      (await tokens.create({ principal, role: 'service', recordTypes, actor: 'operator:test' })).token;
    studio = await make('studio', ['asset.provenance']);
    other = await make('shop', ['avatar.profile']);
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const did = didKeyFromJwk(await exportJWK(publicKey));
    jws = await signProvenance(
      {
        format: PROVENANCE_FORMAT,
        content: contentOf(file, 'image/png'),
        creator: did,
        created: '2026-11-28T01:00:00Z',
        tools: [{ name: 'Krita' }],
        parents: [],
        licence: { uri: 'https://vrm.dev/licenses/1.0/', commercialUse: true, modification: false, resale: true },
      },
      { key: await exportJWK(privateKey), kid: `${did}#${did.slice(8)}`, alg: 'EdDSA' },
    );
  });
  after(async () => {
    await app?.close();
    await core?.dispose();
  });

  const post = (token: string | undefined, url: string, payload: object) =>
    app.inject({
      method: 'POST',
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      payload,
    });
  const code = (r: { json(): unknown }) => (r.json() as { error?: { code?: string } }).error?.code;

  it('verifies a manifest against its file; an altered file, a did:web creator and no token are refused', async () => {
    const ok = await post(other, '/v1/provenance/verify', { manifest: jws, content });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.match((ok.json() as { digest: string }).digest, /^sha256:/);
    const altered = toBase64Url(utf8('a texture: 64x64 RGBA of a cloak!'));
    const bad = await post(other, '/v1/provenance/verify', { manifest: jws, content: altered });
    assert.equal(bad.statusCode, 422);
    assert.equal(code(bad), 'VERITY_E_PROVENANCE_CONTENT');
    assert.equal((await post(undefined, '/v1/provenance/verify', { manifest: jws, content })).statusCode, 401);
    const [h, , s] = jws.split('.') as [string, string, string];
    const web = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', typ: 'verity-provenance+jws', kid: 'did:web:evil.example#k' }),
    ).toString('base64url');
    const fetched = await post(other, '/v1/provenance/verify', {
      manifest: `${web}.${jws.split('.')[1]}.${s}`,
      content,
    });
    assert.equal(code(fetched), 'VERITY_E_PROVENANCE_CREATOR', `never fetched: ${h.length}`);
  });

  it('seals a verified manifest for a service the policies let write the type; others are refused, nothing written', async () => {
    const size = (await core.log.head()).size;
    const denied = await post(other, '/v1/provenance', {
      manifest: jws,
      content,
      subject: 'creator-7',
      purpose: 'service-provision',
    });
    assert.equal(denied.statusCode, 403, denied.body);
    const refused = await post(studio, '/v1/provenance', {
      manifest: jws,
      content: toBase64Url(utf8('another file')),
      subject: 'creator-7',
      purpose: 'service-provision',
    });
    assert.equal(code(refused), 'VERITY_E_PROVENANCE_CONTENT');
    // The denial is logged as a decision; the refused manifest writes nothing at all.
    assert.equal((await core.log.head()).size, size + 1);
    const sealed = await post(studio, '/v1/provenance', {
      manifest: jws,
      content,
      subject: 'creator-7',
      purpose: 'service-provision',
    });
    assert.equal(sealed.statusCode, 201, sealed.body);
    const { id, digest } = sealed.json() as { id: string; digest: string };
    const read = await app.inject({
      method: 'GET',
      url: `/v1/records/${id}?purpose=service-provision`,
      headers: { authorization: `Bearer ${studio}` },
    });
    assert.equal(read.statusCode, 200, read.body);
    const data = (read.json() as { data: { manifest: string; digest: string } }).data;
    assert.equal(data.manifest, jws);
    assert.equal(data.digest, digest);
  });
});
