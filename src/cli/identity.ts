/** Verity's identity services over an open data directory, for the CLI and the server it starts. */

import { DidWebIdentities } from '../did/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { Credentials, PresentationVerifier, TrustList } from '../vc/index.ts';
import type { OptionSpec, Values } from './command.ts';
import { opt } from './common.ts';

/**
 * `--did-host` of the local commands (`did`, `vc`): the host (and port) of the did:web they act as,
 * which must be the one the server serves (its `--did-host`, else the address and port it listens
 * on): 127.0.0.1:8080, the server's default, unless given (D415).
 */
export const DID_HOST: Readonly<Record<string, OptionSpec>> = {
  'did-host': {
    type: 'string',
    value: 'HOST',
    help: "the host[:port] of Verity's did:web, the one the server serves at /.well-known/did.json: its --did-host, else the address and port it listens on (default 127.0.0.1:8080, the server's default)",
  },
};

/** `--did-host` of `verity serve`: the did:web it serves (default: the address and port it listens on). */
export const SERVE_DID_HOST: Readonly<Record<string, OptionSpec>> = {
  'did-host': {
    type: 'string',
    value: 'HOST',
    help: "the host[:port] of Verity's did:web, where it serves /.well-known/did.json (default: the address and port it listens on; the local `did` and `vc` commands need the same --did-host when that is not 127.0.0.1:8080)",
  },
};

/** The did:web host from `--did-host`, or the address the server listens on. */
export function didHost(values: Values, fallback = '127.0.0.1:8080'): string {
  return opt(values, 'did-host') ?? fallback;
}

/** The identity services of a data directory: did:web identities, credentials, trust list, verifier. */
export function identityServices(v: { keys: KeyStore; store: Store; log: TransparencyLog }, host: string) {
  const identities = new DidWebIdentities({ keys: v.keys, store: v.store, log: v.log, host });
  const issuer = identities.didFor();
  const credentials = new Credentials({
    store: v.store,
    log: v.log,
    identities,
    issuer,
    statusBase: `https://${host}/v1/status-lists`,
  });
  const trust = new TrustList({ store: v.store, log: v.log, fetch: (url) => fetch(url, { redirect: 'error' }) });
  const verifier = new PresentationVerifier({
    identities,
    issuer,
    trust,
    credentials,
    fetchStatus: async (uri) => {
      const r = await fetch(uri, { redirect: 'error', headers: { accept: 'application/statuslist+jwt' } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.text();
    },
  });
  return { identities, issuer, credentials, trust, verifier };
}
