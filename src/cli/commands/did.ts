/** `verity did show|rotate`: Verity's own did:web identities on a data directory. */

import type { Command, Group, Values } from '../command.ts';
import { ACTOR, DATA, opt, withVerity } from '../common.ts';
import { DID_HOST, didHost, identityServices } from '../identity.ts';
import { outJson } from '../io.ts';

const PATH = {
  path: { type: 'string', value: 'NAME', help: 'an identity under a path (did:web:HOST:NAME), e.g. a service' },
} as const;

function didOf(values: Values, ids: ReturnType<typeof identityServices>['identities']): string {
  const path = opt(values, 'path');
  return ids.didFor(path === undefined ? [] : [path]);
}

const show: Command = {
  name: 'show',
  summary: 'the DID document of a did:web identity (created with its first key if absent)',
  options: { ...DATA, ...DID_HOST, ...PATH },
  async run({ values }) {
    await outJson(
      await withVerity(values, async (v) => {
        const { identities } = identityServices(v, didHost(values));
        const did = didOf(values, identities);
        await identities.ensure(did, { actor: ACTOR });
        return identities.document(did);
      }),
    );
    return 0;
  },
};

const rotate: Command = {
  name: 'rotate',
  summary: 'rotate the key of a did:web identity: the old key is kept, marked retired, for what it signed',
  options: { ...DATA, ...DID_HOST, ...PATH },
  async run({ values }) {
    await outJson(
      await withVerity(values, async (v) => {
        const { identities } = identityServices(v, didHost(values));
        const did = didOf(values, identities);
        await identities.ensure(did, { actor: ACTOR });
        await identities.rotate(did, { actor: ACTOR });
        return identities.document(did);
      }),
    );
    return 0;
  },
};

export const did: Group = {
  name: 'did',
  summary: "decentralized identifiers: Verity's did:web documents and key rotation",
  commands: [show, rotate],
};
