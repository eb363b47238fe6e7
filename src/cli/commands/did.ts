/** `verity did show|rotate`: Verity's own did:web identities on a data directory. */

import type { Command, Group } from '../command.ts';
import { ACTOR, DATA, opt, printWithVerity } from '../common.ts';
import { DID_HOST, didHost, identityServices } from '../identity.ts';

const PATH = {
  path: { type: 'string', value: 'NAME', help: 'an identity under a path (did:web:HOST:NAME), e.g. a service' },
} as const;

/**
 * A command on one did:web identity (made with its first key if absent): `change` acts on it, then
 * its DID document is printed.
 */
function identityCommand(
  name: string,
  summary: string,
  change: (ids: ReturnType<typeof identityServices>['identities'], did: string) => Promise<unknown>,
): Command {
  return {
    name,
    summary,
    options: { ...DATA, ...DID_HOST, ...PATH },
    async run({ values }) {
      return printWithVerity(values, async (v) => {
        const { identities } = identityServices(v, didHost(values));
        const path = opt(values, 'path');
        const did = identities.didFor(path === undefined ? [] : [path]);
        await identities.ensure(did, { actor: ACTOR });
        await change(identities, did);
        return identities.document(did);
      });
    },
  };
}

const show = identityCommand(
  'show',
  'the DID document of a did:web identity (created with its first key if absent)',
  async () => undefined,
);

const rotate = identityCommand(
  'rotate',
  'rotate the key of a did:web identity: the old key is kept, marked retired, for what it signed',
  (ids, did) => ids.rotate(did, { actor: ACTOR }),
);

export const did: Group = {
  name: 'did',
  summary: "decentralized identifiers: Verity's did:web documents and key rotation",
  commands: [show, rotate],
};
