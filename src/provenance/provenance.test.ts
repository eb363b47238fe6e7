// Provenance of creations (FGMV-46 7.2.4, D202): a creator's manifest signed with a key of their DID
// verifies against the file it describes; an altered file, an altered manifest, a forged creator, a
// key of another DID, a refused algorithm and any one-character change are refused; a manifest is
// sealed in the vault (on both databases) only when it verifies, and read back verified.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { BACKENDS, makeCore, type TestCore } from '../../test/helpers/core.ts';
import { didKeyFromJwk } from '../did/index.ts';
import { utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import {
  CreationProvenance,
  contentOf,
  PROVENANCE_FORMAT,
  PROVENANCE_RECORD_TYPE,
  type ProvenanceManifest,
  provenanceDigest,
  signProvenance,
  verifyManifest,
  verifyProvenance,
} from './index.ts';

interface Creator {
  readonly did: string;
  readonly kid: string;
  readonly key: JWK;
  readonly alg: 'EdDSA' | 'ES256';
}

async function creator(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<Creator> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const did = didKeyFromJwk(await exportJWK(publicKey));
  return { did, kid: `${did}#${did.slice('did:key:'.length)}`, key: await exportJWK(privateKey), alg };
}

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;
const FILE = utf8('glTF binary of a dragon helmet, version 3');
const LICENCE = {
  uri: 'https://a16zcrypto.com/cbe/licenses/non-commercial',
  commercialUse: false,
  modification: true,
  resale: true,
};

function manifestOf(c: Creator, file: Uint8Array, parents: string[] = []): ProvenanceManifest {
  return {
    format: PROVENANCE_FORMAT,
    content: contentOf(file, 'model/gltf-binary'),
    name: 'Dragon helmet',
    creator: c.did,
    created: '2026-11-28T01:00:00Z',
    tools: [{ name: 'Blender', version: '4.2' }],
    parents,
    licence: LICENCE,
  };
}

describe('provenance manifests', () => {
  let alice: Creator;
  let mallory: Creator;
  let jws: string;

  before(async () => {
    [alice, mallory] = await Promise.all([creator(), creator()]);
    jws = await signProvenance(manifestOf(alice, FILE), alice);
  });

  it('verifies a creator-signed manifest against its file, EdDSA and ES256', async () => {
    const v = await verifyProvenance(jws, FILE);
    assert.equal(v.manifest.creator, alice.did);
    assert.equal(v.kid, alice.kid);
    assert.equal(v.digest, provenanceDigest(jws));
    assert.match(v.digest, /^sha256:[A-Za-z0-9_-]{43}$/);
    const p256 = await creator('ES256');
    const other = await signProvenance(manifestOf(p256, FILE), p256);
    assert.equal((await verifyProvenance(other, FILE)).manifest.creator, p256.did);
  });

  it('refuses an altered file: one byte changed, one byte more', async () => {
    const changed = FILE.slice();
    changed[3] = (changed[3] as number) ^ 1;
    await assert.rejects(verifyProvenance(jws, changed), code('VERITY_E_PROVENANCE_CONTENT'));
    const longer = new Uint8Array(FILE.byteLength + 1);
    longer.set(FILE);
    await assert.rejects(verifyProvenance(jws, longer), code('VERITY_E_PROVENANCE_CONTENT'));
  });

  it('refuses a forged creator: signed by another DID, or claiming another key', async () => {
    // Mallory signs, with her own key, a manifest that names Alice as the creator: refused at signing.
    await assert.rejects(signProvenance(manifestOf(alice, FILE), mallory), code('VERITY_E_PROVENANCE_CREATOR'));
    // Built by hand: payload naming Alice, kid and signature Mallory's.
    const byHand = await new SignJWT(manifestOf(alice, FILE) as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'verity-provenance+jws', kid: mallory.kid })
      .sign(await importKey(mallory));
    await assert.rejects(verifyProvenance(byHand, FILE), code('VERITY_E_PROVENANCE_CREATOR'));
    // Alice's kid, Mallory's signature: the signature does not verify with Alice's key.
    const stolenKid = await new SignJWT(manifestOf(alice, FILE) as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'verity-provenance+jws', kid: alice.kid })
      .sign(await importKey(mallory));
    await assert.rejects(verifyProvenance(stolenKid, FILE), code('VERITY_E_PROVENANCE_INVALID'));
  });

  it('refuses an altered manifest, a refused algorithm, another typ, and malformed input', async () => {
    const [h, , s] = jws.split('.') as [string, string, string];
    const richer = Buffer.from(
      JSON.stringify({ ...manifestOf(alice, FILE), licence: { ...LICENCE, commercialUse: true } }),
    ).toString('base64url');
    await assert.rejects(verifyProvenance(`${h}.${richer}.${s}`, FILE), code('VERITY_E_PROVENANCE_INVALID'));
    const hs = await new SignJWT(manifestOf(alice, FILE) as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'HS256', typ: 'verity-provenance+jws', kid: alice.kid })
      .sign(new Uint8Array(32));
    await assert.rejects(verifyProvenance(hs, FILE), code('VERITY_E_PROVENANCE_INVALID'));
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'verity-provenance+jws', kid: alice.kid })).toString('base64url')}.${jws.split('.')[1]}.`;
    await assert.rejects(verifyProvenance(none, FILE), code('VERITY_E_PROVENANCE_INVALID'));
    const jwt = await new SignJWT(manifestOf(alice, FILE) as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: alice.kid })
      .sign(await importKey(alice));
    await assert.rejects(verifyProvenance(jwt, FILE), code('VERITY_E_PROVENANCE_INVALID'));
    for (const bad of ['', 'a.b', 'x'.repeat(70_000), `${jws}.extra`])
      await assert.rejects(verifyProvenance(bad, FILE), code('VERITY_E_PROVENANCE_INVALID'));
    // Signed correctly, but not the format: an unknown member.
    const extra = await new SignJWT({ ...manifestOf(alice, FILE), price: 10 } as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'verity-provenance+jws', kid: alice.kid })
      .sign(await importKey(alice));
    await assert.rejects(verifyProvenance(extra, FILE), code('VERITY_E_PROVENANCE_INVALID'));
  });

  it('property: any one-character change of a manifest is refused with a provenance code, never accepted', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(fc.nat(jws.length - 1), fc.constantFrom(...alphabet), async (i, ch) => {
        if (jws[i] === ch) return;
        const changed = `${jws.slice(0, i)}${ch}${jws.slice(i + 1)}`;
        const outcome = await verifyProvenance(changed, FILE).then(
          () => 'accepted',
          (e: unknown) => (isVerityError(e) ? e.code : String(e)),
        );
        // A change in the last character of the base64url signature may leave its bytes unchanged
        // (unused low bits); then it is the same signature and the same manifest.
        if (outcome === 'accepted') {
          assert.equal(i, jws.length - 1);
          return;
        }
        assert.ok(['VERITY_E_PROVENANCE_INVALID', 'VERITY_E_PROVENANCE_CREATOR'].includes(outcome), outcome);
      }),
      { numRuns: 150 },
    );
  });

  it('chains a derived creation to its parent by the parent manifest’s digest', async () => {
    const derived = utf8('the dragon helmet, recoloured');
    const child = await signProvenance(manifestOf(mallory, derived, [provenanceDigest(jws)]), mallory);
    const v = await verifyManifest(child);
    assert.deepEqual(v.manifest.parents, [provenanceDigest(jws)]);
    await assert.rejects(
      signProvenance(manifestOf(mallory, derived, ['sha256:short']), mallory),
      code('VERITY_E_PROVENANCE_INVALID'),
    );
  });
});

async function importKey(c: Creator) {
  const { importJWK } = await import('jose');
  return importJWK(c.key, c.alg);
}

for (const backend of BACKENDS) {
  describe(`provenance sealed in the vault (${backend})`, () => {
    let core: TestCore;
    let alice: Creator;
    const access = { actor: 'service:studio', purpose: 'service-provision' };
    before(async () => {
      core = await makeCore(backend);
      alice = await creator();
    });
    after(() => core?.dispose());

    it('seals a manifest that verifies, reads it back verified; writes nothing for one that does not', async () => {
      const p = new CreationProvenance({ vault: core.vault });
      const jws = await signProvenance(manifestOf(alice, FILE), alice);
      const sealed = await p.seal({ ...access, jws, content: FILE, subject: 'creator-1' });
      assert.equal(sealed.digest, provenanceDigest(jws));
      const back = await p.read(sealed.id, { ...access, digest: sealed.digest });
      assert.equal(back.manifest.creator, alice.did);
      assert.equal(back.record.meta.type, PROVENANCE_RECORD_TYPE);
      await assert.rejects(
        p.read(sealed.id, { ...access, digest: `sha256:${'A'.repeat(43)}` }),
        code('VERITY_E_PROVENANCE_INVALID'),
      );
      const size = (await core.log.head()).size;
      const altered = FILE.slice();
      altered[0] = (altered[0] as number) ^ 1;
      await assert.rejects(
        p.seal({ ...access, jws, content: altered, subject: 'creator-1' }),
        code('VERITY_E_PROVENANCE_CONTENT'),
      );
      assert.equal((await core.log.head()).size, size, 'nothing written for a refused manifest');
    });
  });
}
