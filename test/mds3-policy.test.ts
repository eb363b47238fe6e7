// The authenticator policy (FGMV-46 7.3.2) from a FIDO MDS3 blob: a test root of our own signs a
// blob (JWS with an x5c chain) listing an authenticator model with hardware key protection and its
// attestation root; a software authenticator attests with a certificate under that root (packed,
// full attestation). Verified: the blob's signature and chain, its expiry, hardware verdicts, step-up
// only with hardware, and a revoked model refused at registration and at use.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { KeyObject, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { CompactSign } from 'jose';
import { isVerityError } from '../src/errors/index.ts';
import { AuthenticatorPolicy, Passkeys } from '../src/passkeys/index.ts';
import { Sessions } from '../src/principals/index.ts';
import type { Store } from '../src/store/index.ts';
import { SoftAuthenticator } from './helpers/authenticator.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const ORIGIN = 'https://play.example.com';
const HW = '11111111-2222-4333-8444-555555555555';
const REVOKED = '99999999-2222-4333-8444-555555555555';
const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;
const day = 86_400_000;

async function ca(name: string, issuer?: { cert: x509.X509Certificate; keys: CryptoKeyPair }, leaf = false) {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const common = {
    serialNumber: `0${Math.floor(Math.random() * 1e9)}`,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 365 * day),
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(!leaf, leaf ? undefined : 2, true)],
  };
  const cert =
    issuer === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys })
      : await x509.X509CertificateGenerator.create({
          ...common,
          subject: name,
          issuer: issuer.cert.subject,
          signingKey: issuer.keys.privateKey,
          publicKey: keys.publicKey,
        });
  return { cert, keys };
}

const der = (c: x509.X509Certificate) => new Uint8Array(c.rawData);
const b64 = (c: x509.X509Certificate) => Buffer.from(c.rawData).toString('base64');

async function blob(
  signer: { cert: x509.X509Certificate; keys: CryptoKeyPair },
  attRoot: x509.X509Certificate,
  nextUpdate: string,
): Promise<string> {
  const entry = (aaguid: string, status: string) => ({
    aaguid,
    metadataStatement: { keyProtection: ['hardware', 'secure_element'], attestationRootCertificates: [b64(attRoot)] },
    statusReports: [
      { status: 'FIDO_CERTIFIED_L1', effectiveDate: '2024-01-01' },
      ...(status === 'FIDO_CERTIFIED_L1' ? [] : [{ status, effectiveDate: '2025-06-01' }]),
    ],
  });
  const payload = { no: 7, nextUpdate, entries: [entry(HW, 'FIDO_CERTIFIED_L1'), entry(REVOKED, 'REVOKED')] };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [b64(signer.cert)] })
    .sign(signer.keys.privateKey);
}

const aaguidBytes = (s: string) => new Uint8Array(Buffer.from(s.replaceAll('-', ''), 'hex'));

describe('FIDO MDS3 authenticator policy', () => {
  let core: TestCore;
  let passkeys: Passkeys;
  let sessions: Sessions;
  let root: Awaited<ReturnType<typeof ca>>;
  let signer: Awaited<ReturnType<typeof ca>>;
  let attRoot: Awaited<ReturnType<typeof ca>>;
  let attLeaf: Awaited<ReturnType<typeof ca>>;
  let policy: AuthenticatorPolicy;
  const next = new Date(Date.now() + 30 * day).toISOString().slice(0, 10);

  before(async () => {
    root = await ca('CN=Test MDS Root');
    signer = await ca('CN=Test MDS Signer', root, true);
    attRoot = await ca('CN=Test Attestation Root');
    attLeaf = await ca('C=US, O=Verity Test, OU=Authenticator Attestation, CN=Test Key', attRoot, true);
    policy = await AuthenticatorPolicy.fromBlob(await blob(signer, attRoot.cert, next), {
      rootPem: root.cert.toString('pem'),
      hardwareFor: ['step-up'],
      now: Date.now(),
    });
    core = await makeCore('sqlite');
    sessions = new Sessions({ keys: core.keys, store: core.store as Store, log: core.log });
    passkeys = new Passkeys({
      store: core.store as Store,
      log: core.log,
      keys: core.keys,
      sessions,
      config: { rpId: 'play.example.com', rpName: 'Verity test', origins: [ORIGIN], policy },
    });
  });
  after(async () => {
    await passkeys?.close();
    await core?.dispose();
  });

  it('refuses a blob under another root, altered, expired, or without a chain', async () => {
    const good = await blob(signer, attRoot.cert, next);
    const other = await ca('CN=Another Root');
    const o = (rootPem: string, now = Date.now()) => ({ rootPem, hardwareFor: [] as const, now });
    await assert.rejects(
      AuthenticatorPolicy.fromBlob(good, o(other.cert.toString('pem'))),
      code('VERITY_E_PASSKEY_METADATA'),
    );
    const [h, p, sig] = good.split('.') as [string, string, string];
    const altered = `${h}.${Buffer.from(Buffer.from(p, 'base64url').toString().replace('"no":7', '"no":8')).toString('base64url')}.${sig}`;
    await assert.rejects(
      AuthenticatorPolicy.fromBlob(altered, o(root.cert.toString('pem'))),
      code('VERITY_E_PASSKEY_METADATA'),
    );
    await assert.rejects(
      AuthenticatorPolicy.fromBlob(good, o(root.cert.toString('pem'), Date.now() + 60 * day)),
      code('VERITY_E_PASSKEY_METADATA'),
    );
    await assert.rejects(
      AuthenticatorPolicy.fromBlob('not.a.jws', o(root.cert.toString('pem'))),
      code('VERITY_E_PASSKEY_METADATA'),
    );
  });

  async function enrol(player: string, attest: boolean, aaguid = HW) {
    const subjectRef = await core.vault.subjectRef(player);
    const device = new SoftAuthenticator();
    const r = { via: 'session' as const, subjectRef, sessionId: 'AAAAAAAAAAAAAAAA' };
    const options = await passkeys.registrationOptions(r);
    const attestation = attest
      ? { key: KeyObject.from(attLeaf.keys.privateKey), x5c: [der(attLeaf.cert)], aaguid: aaguidBytes(aaguid) }
      : undefined;
    const made = device.create(options, { origin: ORIGIN, ...(attestation === undefined ? {} : { attestation }) });
    return { subjectRef, device, r, made };
  }

  it('a packed attestation under the model’s root is hardware-backed and may step up; a software passkey may sign in only', async () => {
    const hw = await enrol('hw-player', true);
    const reg = await passkeys.register(hw.r, hw.made);
    assert.equal(reg.hardware, true);
    const sw = await enrol('sw-player', false);
    const soft = await passkeys.register(sw.r, sw.made);
    assert.equal(soft.hardware, false);
    // Both sign in (signin accepts any passkey).
    await passkeys.signIn(hw.device.get(await passkeys.signInOptions(), { origin: ORIGIN }));
    const s = await passkeys.signIn(sw.device.get(await passkeys.signInOptions(), { origin: ORIGIN }));
    // Only the hardware one steps up.
    const swRef = { subjectRef: sw.subjectRef, sessionId: s.id };
    await assert.rejects(
      passkeys.stepUp(swRef, sw.device.get(await passkeys.stepUpOptions(swRef), { origin: ORIGIN })),
      code('VERITY_E_PASSKEY_AUTHENTICATOR'),
    );
    const hs = await passkeys.signIn(hw.device.get(await passkeys.signInOptions(), { origin: ORIGIN }));
    const hwRef = { subjectRef: hw.subjectRef, sessionId: hs.id };
    const up = await passkeys.stepUp(hwRef, hw.device.get(await passkeys.stepUpOptions(hwRef), { origin: ORIGIN }));
    assert.equal(up.hardware, true);
  });

  it('a claimed AAGUID without an attestation chain to its roots is not hardware', async () => {
    const p = await enrol('claimer', false);
    assert.equal(policy.judge(HW, undefined, Date.now()).hardware, false);
    assert.equal((await passkeys.register(p.r, p.made)).hardware, false);
  });

  it('refuses a model revoked in the metadata', async () => {
    const p = await enrol('revoked-model', true, REVOKED);
    await assert.rejects(passkeys.register(p.r, p.made), code('VERITY_E_PASSKEY_AUTHENTICATOR'));
  });
});
