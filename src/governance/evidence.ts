import { toBase64 } from '../encoding/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import type { ProvenEntry, TallyEvidence } from '../tally/index.ts';
import type { Proposal } from './model.ts';

/**
 * The tally's evidence: the proposal's, every vote's (`votes`: their log indices, ascending) and
 * the tally's entries with their inclusion proofs against the newest signed checkpoint (check it
 * with `verifyTally`).
 */
export async function tallyEvidence(
  log: TransparencyLog,
  proposal: Proposal & { readonly tally: NonNullable<Proposal['tally']> },
  votes: readonly number[],
): Promise<TallyEvidence> {
  const head = await log.head();
  const proposedAt = proposal.logIndices[0] as number;
  const indices = [proposedAt, ...votes, proposal.tally.logIndex];
  const proofs = await log.inclusionProofs(indices, head.size);
  const proven: ProvenEntry[] = [];
  // Entries are read in ranges where they are consecutive (votes of a busy proposal often are).
  for (let i = 0; i < indices.length; ) {
    let j = i + 1;
    while (j < indices.length && (indices[j] as number) === (indices[j - 1] as number) + 1 && j - i < 4096) j++;
    const start = indices[i] as number;
    const entries = await log.entries(start, (indices[j - 1] as number) + 1);
    for (let k = i; k < j; k++)
      proven.push({
        index: indices[k] as number,
        entry: toBase64(entries[k - i] as Uint8Array),
        proof: (proofs[k] as { proof: string[] }).proof,
      });
    i = j;
  }
  return {
    proposal: proposal.id,
    checkpoint: head.checkpoint,
    proposed: proven[0] as ProvenEntry,
    votes: proven.slice(1, -1),
    tally: proven[proven.length - 1] as ProvenEntry,
  };
}
