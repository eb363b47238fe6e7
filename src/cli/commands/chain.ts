/**
 * `verity chain ...`: Verity's view of the chain through a server (`--url`), every answer checked
 * against the log key (`--key`): the state proofs of the rows read, the value stated against the
 * row proven, an agreement check decided again. The SDK's `@verity/sdk/chain` does the checking;
 * it is loaded only when a command runs.
 */

import type { ChainReader } from '../../sdk/chain.ts';
import { type Command, type Group, type OptionSpec, usage, type Values } from '../command.ts';
import { opt, REMOTE, str, tokenFrom } from '../common.ts';
import { outJson } from '../io.ts';

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...REMOTE,
  url: { type: 'string', value: 'URL', required: true, help: 'the Verity server to ask' },
};

async function reader(values: Values): Promise<ChainReader> {
  const url = str(values, 'url');
  if (!/^https?:\/\/[^\s]+$/.test(url)) usage('--url must be an http(s) URL');
  const token = await tokenFrom(values);
  if (token === undefined) usage('a token granted `chain.read` is needed: --token-file FILE or VERITY_TOKEN');
  const key = opt(values, 'key') ?? process.env['VERITY_LOG_KEY'];
  if (key === undefined || key === '')
    usage('--key VKEY (or VERITY_LOG_KEY) is required: every answer is checked against the log key');
  const { ChainReader } = await import('../../sdk/chain.ts');
  return new ChainReader({ url, token, verifierKey: key });
}

const show = async (value: unknown): Promise<number> => {
  await outJson({ verified: true, ...(value as object) });
  return 0;
};

const status: Command = {
  name: 'status',
  summary: "how far the server's index of the chain goes (its cursor, proven) and the chain's head",
  options: OPTIONS,
  async run({ values }) {
    return show(await (await reader(values)).status());
  },
};

const agreement: Command = {
  name: 'agreement',
  summary: 'a data-sharing agreement as indexed (parties, purposes, categories, expiry, revocation), proven',
  options: {
    ...OPTIONS,
    id: { type: 'string', value: '0xID', required: true, help: 'the agreement id (32 bytes of hex)' },
  },
  async run({ values }) {
    return show(await (await reader(values)).agreement(str(values, 'id')));
  },
};

const good: Command = {
  name: 'good',
  summary: 'a virtual good as indexed (owner, renter, creator, royalty, licence), proven',
  options: { ...OPTIONS, 'token-id': { type: 'string', value: 'N', required: true, help: 'the token id (decimal)' } },
  async run({ values }) {
    return show(await (await reader(values)).good(str(values, 'token-id')));
  },
};

const anchor: Command = {
  name: 'anchor',
  summary: 'an anchored checkpoint as indexed (root hash, block time), proven',
  options: {
    ...OPTIONS,
    'origin-hash': { type: 'string', value: '0xHASH', required: true, help: "the SHA-256 of the log's origin line" },
    'tree-size': { type: 'string', value: 'N', required: true, help: 'the anchored tree size' },
  },
  async run({ values }) {
    const size = str(values, 'tree-size');
    if (!/^[1-9][0-9]{0,14}$/.test(size)) usage('--tree-size takes a positive number');
    return show(await (await reader(values)).anchor(str(values, 'origin-hash'), Number(size)));
  },
};

const check: Command = {
  name: 'check',
  summary:
    'whether an agreement between --subject and --recipient covers --purpose and --category now; the decision is made again from the proven rows (exit 1 when not)',
  options: {
    ...OPTIONS,
    subject: { type: 'string', value: '0xADDRESS', required: true, help: 'the data subject’s address' },
    recipient: { type: 'string', value: '0xADDRESS', required: true, help: 'the recipient’s address' },
    purpose: { type: 'string', value: 'P', required: true, help: 'a purpose name (or its 32-byte identifier)' },
    category: { type: 'string', value: 'C', required: true, help: 'a data category name (or its 32-byte identifier)' },
  },
  async run({ values }) {
    const d = await (await reader(values)).check({
      subject: str(values, 'subject'),
      recipient: str(values, 'recipient'),
      purpose: str(values, 'purpose'),
      category: str(values, 'category'),
    });
    await show(d);
    return d.allowed ? 0 : 1;
  },
};

const anchorNow: Command = {
  name: 'anchor-now',
  summary:
    "anchor the log's latest checkpoint on chain now (a token granted `chain.anchor`); read it back with `chain anchor`",
  options: OPTIONS,
  async run({ values }) {
    await outJson(await (await reader(values)).anchorNow());
    return 0;
  },
};

export const chain: Group = {
  name: 'chain',
  summary: "Verity's view of the chain through a server, every answer checked against the log key",
  commands: [status, agreement, good, anchor, check, anchorNow],
};
