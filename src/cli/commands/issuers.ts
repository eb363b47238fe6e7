/** `verity issuers ...`: the identity providers players sign in with (OpenID Connect), on a data directory. */

import { parseJson } from '../../encoding/index.ts';
import { type IssuerInput, Issuers, MAX_JWKS_BYTES } from '../../oidc/index.ts';
import { Sessions } from '../../principals/index.ts';
import type { Command, Group, Values } from '../command.ts';
import { ACTOR, DATA, int, list, type Opened, opt, printWithVerity, str } from '../common.ts';
import { readInput } from '../io.ts';

const ACCESS = { actor: ACTOR, purpose: 'administration' };
const NAME = { type: 'string', value: 'NAME', required: true, help: 'the issuer’s short name in Verity' } as const;

function issuersOf(v: Opened): Issuers {
  const sessions = new Sessions({ keys: v.keys, store: v.store, log: v.log });
  return new Issuers({ store: v.store, log: v.log, sessions, fetch: (url, init) => fetch(url, init) });
}

async function jwksFile(values: Values): Promise<unknown> {
  const f = opt(values, 'jwks');
  return f === undefined
    ? undefined
    : parseJson(await readInput(f, MAX_JWKS_BYTES), { maxBytes: MAX_JWKS_BYTES, maxDepth: 6 }, 'JWK Set');
}

function commaList(values: Values, name: string): string[] | undefined {
  const items = list(values, name).flatMap((x) => x.split(','));
  return items.length === 0 ? undefined : items;
}

const add: Command = {
  name: 'add',
  summary: 'trust an identity provider: players sign in with its ID tokens (POST /v1/signin/oidc)',
  options: {
    ...DATA,
    name: NAME,
    issuer: {
      type: 'string',
      value: 'URL',
      required: true,
      help: 'its issuer identifier (compared exactly with `iss`)',
    },
    'client-id': { type: 'string', value: 'ID', required: true, help: 'Verity’s client id there (`aud` must hold it)' },
    algorithms: {
      type: 'string',
      value: 'A1,A2',
      help: 'the algorithms it signs with: RS256 (default), PS256, ES256, EdDSA, ...',
    },
    jwks: { type: 'string', value: 'FILE', help: 'its JWK Set (public keys), from FILE or - for stdin' },
    'jwks-uri': {
      type: 'string',
      value: 'URL',
      help: 'or where to fetch it (https), cached and refetched on rotation',
    },
    'trusted-audience': {
      type: 'string',
      value: 'AUD',
      multiple: true,
      help: 'another audience its ID tokens may name (repeatable; they then need `azp`)',
    },
    'subject-claim': { type: 'string', value: 'CLAIM', help: 'the claim naming the player (default sub)' },
    namespace: { type: 'string', value: 'NS', help: 'players are NS:<claim> in Verity (default: the name)' },
    'clock-skew': { type: 'string', value: 'S', help: 'seconds of clock skew allowed (default 60)' },
    'max-token-age': { type: 'string', value: 'S', help: 'oldest `iat` accepted, in seconds (default 600)' },
  },
  details:
    'Give its keys with --jwks or --jwks-uri (exactly one). A player signed in by this issuer is the\n' +
    'player NS:<sub>: services write that player’s records under that id. Audited as operator:cli.',
  async run({ values }) {
    const skew = int(values, 'clock-skew', false);
    const age = int(values, 'max-token-age', false);
    const input: IssuerInput = {
      name: str(values, 'name'),
      issuer: str(values, 'issuer'),
      clientId: str(values, 'client-id'),
      ...optional('algorithms', commaList(values, 'algorithms')),
      ...optional('jwks', await jwksFile(values)),
      ...optional('jwksUri', opt(values, 'jwks-uri')),
      ...optional('trustedAudiences', commaList(values, 'trusted-audience')),
      ...optional('subjectClaim', opt(values, 'subject-claim')),
      ...optional('namespace', opt(values, 'namespace')),
      ...optional('clockSkewSeconds', skew),
      ...optional('maxTokenAgeSeconds', age),
    };
    return printWithVerity(values, (v) => issuersOf(v).add(input, ACCESS));
  },
};

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const listCmd: Command = {
  name: 'list',
  summary: 'the trusted identity providers, with their keys by id',
  options: { ...DATA, all: { type: 'boolean', help: 'removed ones too' } },
  async run({ values }) {
    return printWithVerity(values, (v) => issuersOf(v).list(values['all'] === true));
  },
};

const remove: Command = {
  name: 'remove',
  summary: 'stop trusting an identity provider: every session it signed in ends at once, on every node',
  options: { ...DATA, name: NAME },
  async run({ values }) {
    return printWithVerity(values, (v) => issuersOf(v).remove(str(values, 'name'), ACCESS));
  },
};

const rotate: Command = {
  name: 'rotate',
  summary: 'rotate an identity provider’s keys: a new JWK Set (--jwks), or fetch its jwks-uri now',
  options: {
    ...DATA,
    name: NAME,
    jwks: { type: 'string', value: 'FILE', help: 'its new JWK Set (public keys), from FILE or - for stdin' },
  },
  details: 'A key left out of the new set is refused from then on.',
  async run({ values }) {
    const jwks = await jwksFile(values);
    return printWithVerity(values, (v) => issuersOf(v).rotate(str(values, 'name'), jwks, ACCESS));
  },
};

export const issuers: Group = {
  name: 'issuers',
  summary: 'identity providers players sign in with (OpenID Connect): add, list, remove, rotate keys',
  commands: [add, listCmd, remove, rotate],
};
