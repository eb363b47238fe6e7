/**
 * `verity log verify-anchor`: checks, against a chain anyone can read, that a signed checkpoint was
 * anchored (D254): its age (it existed by the anchoring block's time) and its uniqueness (the chain
 * holds no other root for that tree size of that log). No data directory and no account needed.
 */

import { fromUtf8, toBase64 } from '../../encoding/index.ts';
import { isVerityError } from '../../errors/index.ts';
import { verifyCheckpoint } from '../../note/index.ts';
import { type Command, UsageError, usage } from '../command.ts';
import { opt, str } from '../common.ts';
import { outJson, readInput } from '../io.ts';
import { KEY, verifierFrom } from './log-verify.ts';

export const verifyAnchor: Command = {
  name: 'verify-anchor',
  summary:
    'check that a signed checkpoint (FILE, or - for stdin) is anchored on chain with its root: when it existed by, and that no other root is anchored for its size',
  options: {
    ...KEY,
    chain: { type: 'string', value: 'URL', required: true, help: 'a JSON-RPC endpoint (http or https) of the chain' },
    'anchor-contract': {
      type: 'string',
      value: 'ADDR',
      required: true,
      help: 'the address of the CheckpointAnchor contract (the first of `--chain-contracts`)',
    },
  },
  args: ['FILE'],
  async run({ values, positionals }) {
    const verifier = await verifierFrom(values);
    if (verifier === undefined) usage('--key is required', 'log verify-anchor');
    const url = str(values, 'chain');
    if (!/^https?:\/\//.test(url)) usage('--chain takes an http(s) JSON-RPC URL', 'log verify-anchor');
    const anchor = opt(values, 'anchor-contract') ?? '';
    if (!/^0x[0-9a-fA-F]{40}$/.test(anchor)) usage('--anchor-contract takes a 0x address', 'log verify-anchor');
    const note = fromUtf8(await readInput(positionals[0] as string, 64 * 1024), 'checkpoint');
    let checkpoint: ReturnType<typeof verifyCheckpoint>['checkpoint'];
    try {
      checkpoint = verifyCheckpoint(note, verifier).checkpoint;
    } catch (e) {
      if (isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID')) {
        await outJson({ anchored: false, reason: e.message });
        return 1;
      }
      throw isVerityError(e) ? new UsageError('VERITY_E_INPUT_MALFORMED', e.message, { cause: e }) : e;
    }
    const { ChainClient, verifyAnchoredAt } = await import('../../chain/index.ts');
    const chain = await ChainClient.connect(url, []);
    try {
      await chain.requireCode(anchor as `0x${string}`, 'CheckpointAnchor');
      const a = await verifyAnchoredAt(chain, anchor as `0x${string}`, checkpoint);
      await outJson({
        anchored: true,
        origin: checkpoint.origin,
        size: checkpoint.size,
        rootHash: toBase64(checkpoint.rootHash),
        chainId: chain.chain.id,
        block: Number(a.blockNumber),
        anchoredAt: new Date(a.anchoredAt * 1000).toISOString(),
      });
      return 0;
    } catch (e) {
      // Not anchored, or anchored with another root (a fork of the log): a verdict, exit 1.
      if (isVerityError(e, 'VERITY_E_CHAIN_NOT_ANCHORED') || isVerityError(e, 'VERITY_E_CHAIN_ANCHOR_MISMATCH')) {
        await outJson({ anchored: false, code: e.code, reason: e.message });
        return 1;
      }
      throw e;
    } finally {
      await chain.close();
    }
  },
};
