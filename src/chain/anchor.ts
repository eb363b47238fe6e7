// Anchoring the log's current checkpoint on demand (D215): the checkpoint the log signed last is
// anchored, and the action logged (who, the tree size, the transaction) in the same log.
import type { Hex, LocalAccount } from 'viem';
import { encodeSuccessEntry, isPurpose } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { InputError, quote } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import { originHash, type VerityContracts } from './contracts.ts';

/** What an anchoring did. */
export interface AnchoredCheckpoint {
  readonly originHash: Hex;
  readonly treeSize: number;
  readonly rootHash: Hex;
  readonly tx: Hex;
  readonly block: number;
  /** The log index of its audit entry. */
  readonly logIndex: number;
}

/**
 * Anchors the log's latest checkpoint with `anchorer` (the account holding the contract's anchoring
 * role) and logs it as `chain.anchor` by `access.actor`. A checkpoint anchored already (same or
 * larger tree size) is VERITY_E_CHAIN_ANCHOR_STALE and nothing is logged.
 */
export async function anchorLatestCheckpoint(
  contracts: VerityContracts,
  anchorer: LocalAccount,
  log: TransparencyLog,
  access: { actor: string; purpose?: string },
  options: { clock?: Clock } = {},
): Promise<AnchoredCheckpoint> {
  const purpose = access.purpose ?? 'chain-anchor';
  if (!isPurpose(purpose)) throw new InputError('VERITY_E_INPUT_INVALID', `purpose ${quote(purpose)} is not allowed`);
  const clock = options.clock ?? systemClock;
  const { checkpoint } = verifyCheckpoint(await log.checkpoint(), log.verifier, log.origin);
  const receipt = await contracts.anchorCheckpoint(anchorer, checkpoint);
  const rootHash = `0x${Buffer.from(checkpoint.rootHash).toString('hex')}` as Hex;
  const tx = receipt.transactionHash.toLowerCase() as Hex;
  const { result: logIndex } = await log.submit((_tx, batch) =>
    batch.add(
      encodeSuccessEntry(
        { actor: access.actor, purpose },
        {
          action: 'chain.anchor',
          resource: `chain:${contracts.chain.chain.id}`,
          time: clock.now(),
          details: { treeSize: checkpoint.size, tx, block: Number(receipt.blockNumber) },
        },
      ),
    ),
  );
  return {
    originHash: originHash(checkpoint.origin),
    treeSize: checkpoint.size,
    rootHash,
    tx,
    block: Number(receipt.blockNumber),
    logIndex,
  };
}
