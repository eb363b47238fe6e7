import { decodeAuditEntry } from '../audit/index.ts';
import { bytesEqual } from '../encoding/index.ts';
import { InputError, LogError } from '../errors/index.ts';
import { parseProofCase } from '../log/index.ts';
import { entryBundlePath, hashLeaf, TILE_WIDTH, verifyConsistency } from '../merkle/index.ts';
import type { Checkpoint } from '../note/index.ts';
import { getJson, type LogTrust, latest, proveIncluded } from './checkpoints.ts';

/**
 * Proves that the log's tree of `size1` entries is a prefix of its tree of `size2` entries, and
 * that the tree of `size2` is a prefix of the latest checkpoint the client trusts (fetched and
 * checked first); see `VerityClient.proveConsistency`.
 */
export async function proveConsistency(
  t: LogTrust,
  size1: number,
  size2: number,
): Promise<{ size1: number; size2: number; root1: Uint8Array; root2: Uint8Array; checkpoint: Checkpoint }> {
  const cp = await latest(t);
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2 || size2 > cp.size)
    throw new LogError(
      'VERITY_E_LOG_RANGE',
      `the sizes must satisfy 0 <= from <= to <= ${cp.size} (the latest checkpoint's size)`,
    );
  const prove = async (a: number, b: number) => {
    const c = parseProofCase(await getJson(t, `/v1/log/proofs/consistency?from=${a}&to=${b}`));
    if (c.type !== 'consistency' || c.size1 !== a || c.size2 !== b)
      throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the server sent a proof for other tree sizes');
    verifyConsistency(a, b, c.proof, c.root1, c.root2);
    return c;
  };
  // size2 -> the signed checkpoint first: it binds the root of size2 to a signature.
  const upper = size2 === cp.size ? undefined : await prove(size2, cp.size);
  if (upper !== undefined && !bytesEqual(upper.root2, cp.rootHash))
    throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the proof leads to another root than the signed checkpoint');
  const root2 = upper?.root1 ?? cp.rootHash;
  const lower = await prove(size1, size2);
  if (!bytesEqual(lower.root2, root2))
    throw new LogError('VERITY_E_LOG_PROOF_INVALID', `the two proofs name different roots for size ${size2}`);
  return { size1, size2, root1: lower.root1, root2, checkpoint: cp };
}

/**
 * Proves one log entry from the bytes of the C2SP entry bundle that holds it, included in the
 * trusted checkpoint (fetched and checked first); see `VerityClient.proveEntry`.
 */
export async function proveEntry(
  t: LogTrust,
  index: number,
): Promise<{ index: number; treeSize: number; leafHash: Uint8Array; entry: unknown }> {
  if (!Number.isSafeInteger(index) || index < 0) throw new InputError('VERITY_E_INPUT_INVALID', 'not an entry index');
  const cp = await latest(t);
  if (index >= cp.size)
    throw new InputError('VERITY_E_INPUT_INVALID', `entry ${index} is beyond the log's ${cp.size} entries`);
  const bundleIndex = Math.floor(index / TILE_WIDTH);
  const full = (bundleIndex + 1) * TILE_WIDTH <= cp.size;
  const width = full ? TILE_WIDTH : cp.size - bundleIndex * TILE_WIDTH;
  const bytes = new Uint8Array(
    await (await t.get(`/${entryBundlePath(bundleIndex, full ? undefined : width)}`)).arrayBuffer(),
  );
  // Attacker-controlled: walk the uint16 length prefixes with bounds checks.
  let at = 0;
  let entry: Uint8Array | undefined;
  for (let i = 0; i <= index % TILE_WIDTH; i++) {
    if (at + 2 > bytes.byteLength) throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the entry bundle is truncated');
    const len = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    if (at + 2 + len > bytes.byteLength)
      throw new LogError('VERITY_E_LOG_PROOF_INVALID', 'the entry bundle is truncated');
    if (i === index % TILE_WIDTH) entry = bytes.subarray(at + 2, at + 2 + len);
    at += 2 + len;
  }
  const leaf = hashLeaf(entry as Uint8Array);
  await proveIncluded(t, leaf, index, cp);
  let decoded: unknown;
  try {
    decoded = decodeAuditEntry(entry as Uint8Array);
  } catch {
    decoded = undefined;
  }
  return { index, treeSize: cp.size, leafHash: leaf, entry: decoded };
}
