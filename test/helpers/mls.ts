// MLS (ts-mls) set-up shared by the tests and the benchmark: the ciphersuite Verity's MlsClient
// uses, with the provider it uses, and KeyPackages with a basic credential, as plain values and as
// the MLSMessage bytes the delivery service takes.
import {
  type CiphersuiteImpl,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type KeyPackage,
  nobleCryptoProvider,
  type PrivateKeyPackage,
  type Proposal,
} from 'ts-mls';

export const MLS_SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

export interface MlsKeys {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

/** Ciphersuite 1 with the noble provider, as `MlsClient` makes it. */
export function mlsImpl(): Promise<CiphersuiteImpl> {
  return getCiphersuiteImpl(getCiphersuiteFromName(MLS_SUITE), nobleCryptoProvider);
}

/** A KeyPackage (and its private parts) with a basic credential naming `identity`. */
export function basicKeyPackage(identity: string, impl: CiphersuiteImpl): Promise<MlsKeys> {
  return generateKeyPackage(
    { credentialType: 'basic', identity: new TextEncoder().encode(identity) },
    defaultCapabilities(),
    defaultLifetime,
    [],
    impl,
  );
}

/** A KeyPackage framed as an MLSMessage, as it is published to the delivery service. */
export function keyPackageMessage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage });
}

/** Add proposals for `members`' KeyPackages. */
export function addProposals(members: readonly { readonly publicPackage: KeyPackage }[]): Proposal[] {
  return members.map((m) => ({ proposalType: 'add', add: { keyPackage: m.publicPackage } }));
}
