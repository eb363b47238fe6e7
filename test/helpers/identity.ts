// The identity routes' options over a test core: Verity's did:web at `host`, its credentials and
// status lists, and a verifier with an empty trust list.
import { DidWebIdentities } from '../../src/did/index.ts';
import { Credentials, PresentationVerifier, TrustList } from '../../src/vc/index.ts';
import type { TestCore } from './core.ts';

export function identityOptions(core: TestCore, host: string) {
  const identities = new DidWebIdentities({ keys: core.keys, store: core.store, log: core.log, host });
  const issuer = identities.didFor();
  const credentials = new Credentials({
    store: core.store,
    log: core.log,
    identities,
    issuer,
    statusBase: `https://${host}/v1/status-lists`,
  });
  const trust = new TrustList({ store: core.store, log: core.log });
  return {
    identities,
    credentials,
    verifier: new PresentationVerifier({ identities, issuer, trust, credentials }),
    issuer,
  };
}
