/**
 * `verity deid ...`: the de-identification toolkit on a data directory (keys in its KeyStore,
 * every call audited in its log).
 */

import { Deid, type DomainKind } from '../../deid/index.ts';
import { fromHex } from '../../encoding/index.ts';
import { VaultError } from '../../errors/index.ts';
import { gated } from '../authorize.ts';
import type { Command, Group, OptionSpec, Values } from '../command.ts';
import { ACTOR, DATA, int, opt, printWithVerity, str, withVerity } from '../common.ts';
import { out, outJson, stdinLines } from '../io.ts';

function purposeOpt(fallback: string): Record<string, OptionSpec> {
  return { purpose: { type: 'string', value: 'P', identifier: true, help: `the purpose (default ${fallback})` } };
}

function access(values: Values, fallback: string): { actor: string; purpose: string } {
  return { actor: ACTOR, purpose: opt(values, 'purpose') ?? fallback };
}

const DOMAIN: Record<string, OptionSpec> = {
  domain: {
    type: 'string',
    value: 'D',
    identifier: true,
    required: true,
    help: 'the pseudonym or token domain, e.g. analytics',
  },
};

/**
 * A domain the local operator uses is claimed when free, so no service takes it over and computes
 * the operator's pseudonyms or ciphertexts (D418); the operator, who holds the keys, uses any.
 */
function claim(deid: Deid, kind: DomainKind, name: string, a: { actor: string; purpose: string }): Promise<void> {
  return deid.domains.use(kind, name, a, { anyMaker: true });
}

const pseudonymize: Command = {
  name: 'pseudonymize',
  summary: 'one keyed pseudonym per input line, in order (the same value links within a domain only)',
  options: { ...DATA, ...DOMAIN, ...purposeOpt('analytics') },
  async run({ values }) {
    // One value per line in, one pseudonym per line out, in order.
    const lines = await stdinLines();
    const r = await withVerity(values, async (v) => {
      const deid = new Deid(v);
      await claim(deid, 'pseudonym', str(values, 'domain'), access(values, 'analytics'));
      return deid.pseudonyms.pseudonymize(str(values, 'domain'), lines, access(values, 'analytics'));
    });
    await out(r.pseudonyms.join('\n'));
    return 0;
  },
};

const rotate: Command = {
  name: 'rotate',
  summary: 'start a new pseudonym key version for the domain',
  options: { ...DATA, ...DOMAIN, ...purposeOpt('key-management') },
  async run({ values }) {
    return printWithVerity(values, async (v) => {
      const deid = new Deid(v);
      await claim(deid, 'pseudonym', str(values, 'domain'), access(values, 'key-management'));
      return deid.pseudonyms.rotate(str(values, 'domain'), access(values, 'key-management'));
    });
  },
};

const tokenize: Command = {
  name: 'tokenize',
  summary: 'seal VALUE in the vault and print its token',
  options: {
    ...DATA,
    subject: { type: 'string', value: 'ID', identifier: true, required: true, help: 'the player the value belongs to' },
    ...DOMAIN,
    ...purposeOpt('service-provision'),
  },
  args: ['VALUE'],
  async run({ values, positionals }) {
    return printWithVerity(values, async (v) => {
      const deid = new Deid(v);
      await claim(deid, 'token', str(values, 'domain'), access(values, 'service-provision'));
      return deid.tokenize(
        str(values, 'subject'),
        positionals[0] as string,
        str(values, 'domain'),
        access(values, 'service-provision'),
      );
    });
  },
};

/**
 * Re-identification on the data directory is decided by its policies as the local operator, as over
 * HTTP (`reidentify`; by default for fraud prevention or a legal obligation only: D415).
 */
const detokenize: Command = {
  name: 'detokenize',
  summary: 'the value behind a token (an audited re-identification, decided by the policies)',
  options: { ...DATA, ...purposeOpt('legal-obligation') },
  args: ['TOKEN'],
  async run({ values, positionals }) {
    const token = positionals[0] as string;
    const { purpose } = access(values, 'legal-obligation');
    const r = await gated(values, async (v, gate) => {
      const deid = new Deid(v);
      // An unknown token is decided like any other, as over HTTP.
      const d = await deid.tokenDomain(token);
      return gate.decided(
        'reidentify',
        { kind: 'deid', id: d ?? 'absent', domainKind: 'token' },
        `token:${d ?? 'absent'}`,
        purpose,
        (policy) => {
          if (d === undefined) throw new VaultError('VERITY_E_RECORD_NOT_FOUND', 'no such token');
          return deid.detokenize(token, { actor: ACTOR, purpose, policy });
        },
      );
    });
    await outJson(r);
    return 0;
  },
};

/** FF1 under a named key kept in the data directory's KeyStore; decryption is re-identification. */
function fpeCommand(decrypt: boolean): Command {
  const fallback = decrypt ? 'legal-obligation' : 'service-provision';
  return {
    name: decrypt ? 'fpe-decrypt' : 'fpe-encrypt',
    summary: decrypt
      ? 'FF1-decrypt VALUE under a named key (an audited re-identification)'
      : "FF1-encrypt VALUE under a named key in the data directory's KeyStore (audited)",
    options: {
      ...DATA,
      key: {
        type: 'string',
        value: 'NAME',
        identifier: true,
        required: true,
        help: 'the key name (made on first use)',
      },
      radix: { type: 'string', value: 'N', required: true, help: 'the alphabet size, e.g. 10 for digits' },
      alphabet: { type: 'string', value: 'CHARS', help: 'the alphabet (default 0-9a-z up to the radix)' },
      tweak: { type: 'string', value: 'HEX', help: 'the FF1 tweak' },
      ...purposeOpt(fallback),
    },
    args: ['VALUE'],
    async run({ values, positionals }) {
      const alphabet = opt(values, 'alphabet');
      const tweak = opt(values, 'tweak');
      const o = {
        radix: int(values, 'radix', true),
        ...(alphabet === undefined ? {} : { alphabet }),
        ...(tweak === undefined ? {} : { tweak: fromHex(tweak, '--tweak') }),
      };
      const value = positionals[0] as string;
      const key = str(values, 'key');
      const { purpose } = access(values, fallback);
      // Decryption is re-identification: decided by the policies as over HTTP (D415).
      const r = decrypt
        ? await gated(values, (v, gate) =>
            gate.decided('reidentify', { kind: 'deid', id: key, domainKind: 'fpe' }, `fpe:${key}`, purpose, (policy) =>
              new Deid(v).fpeDecrypt(key, [value], o, { actor: ACTOR, purpose, policy }),
            ),
          )
        : await withVerity(values, async (v) => {
            const deid = new Deid(v);
            await claim(deid, 'fpe', key, access(values, fallback));
            return deid.fpeEncrypt(key, [value], o, access(values, fallback));
          });
      await out(r.values[0] as string);
      return 0;
    },
  };
}

export const deid: Group = {
  name: 'deid',
  summary: 'de-identification with keys in the data directory: pseudonyms, vault tokens, FF1 (audited)',
  commands: [pseudonymize, rotate, tokenize, detokenize, fpeCommand(false), fpeCommand(true)],
};
