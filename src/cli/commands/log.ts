/** `verity log ...`: the signed transparency log of a data directory (read-only: no secret needed). */

import { bytesEqual, fromBase64, fromUtf8, toBase64 } from '../../encoding/index.ts';
import { LogError } from '../../errors/index.ts';
import { checkCheckpointAdvance, describeEntry, verifyLogStorage } from '../../log/index.ts';
import { openNote, parseCheckpoint } from '../../note/index.ts';
import { type Command, type Group, usage } from '../command.ts';
import { DATA, int, opt, printWithLog, withLog } from '../common.ts';
import { out, outJson, readInput } from '../io.ts';
import { verifyAnchor } from './log-anchor.ts';
import { KEY, verifierFrom, verifyCommands } from './log-verify.ts';

function writeRaw(bytes: string | Uint8Array): Promise<void> {
  return new Promise<void>((r, j) => process.stdout.write(bytes, (e) => (e ? j(e) : r())));
}

const key: Command = {
  name: 'key',
  summary: "the log's verifier key (name+hash+base64key)",
  options: { ...DATA },
  async run({ values }) {
    await out((await withLog(values, async ({ config }) => config)).verifierKey);
    return 0;
  },
};

const checkpoint: Command = {
  name: 'checkpoint',
  summary: 'the latest signed checkpoint (C2SP signed note)',
  options: { ...DATA },
  async run({ values }) {
    // The note already ends with a newline: print it byte for byte.
    await writeRaw(await withLog(values, ({ log }) => log.checkpoint()));
    return 0;
  },
};

const proveInclusion: Command = {
  name: 'prove-inclusion',
  summary: 'an inclusion proof of entry I, with the signed checkpoint when it is for the latest tree',
  options: {
    ...DATA,
    index: { type: 'string', value: 'I', required: true, help: 'the entry' },
    size: { type: 'string', value: 'N', help: 'in the tree of N entries (no checkpoint then)' },
  },
  async run({ values }) {
    const index = int(values, 'index', true);
    const size = int(values, 'size', false);
    return printWithLog(values, ({ log }) => log.inclusionProof(index, size));
  },
};

const proveConsistency: Command = {
  name: 'prove-consistency',
  summary: 'a consistency proof from tree size M to N, with the signed checkpoint of N when it is the latest',
  options: {
    ...DATA,
    from: { type: 'string', value: 'M', required: true, help: 'the older tree size' },
    to: { type: 'string', value: 'N', help: 'the newer tree size (default: the latest)' },
  },
  async run({ values }) {
    const from = int(values, 'from', true);
    const to = int(values, 'to', false);
    return printWithLog(values, async ({ log }) => {
      const c = await log.consistencyProof(from, to);
      // The checkpoint that signs the larger tree, so `verify-proof` can check who vouches for it.
      const head = await log.head();
      return head.size === c.size2 && toBase64(head.rootHash) === c.root2 ? { ...c, checkpoint: head.checkpoint } : c;
    });
  },
};

const entries: Command = {
  name: 'entries',
  summary: 'the audit entries M to N (at most 10000), decoded',
  options: {
    ...DATA,
    from: { type: 'string', value: 'M', required: true, help: 'the first entry' },
    to: { type: 'string', value: 'N', help: 'the end, exclusive (default M+100 or the log size)' },
  },
  async run({ values }) {
    const from = int(values, 'from', true);
    return printWithLog(values, async ({ log }) => {
      const to = int(values, 'to', false) ?? Math.min((await log.head()).size, from + 100);
      if (to - from > 10_000) usage('at most 10000 entries at a time', 'log entries');
      // Each entry proven against the signed checkpoint: a changed row is refused, not printed (D415).
      return (await log.provenEntries(from, to)).map((e, i) => describeEntry(e, from + i));
    });
  },
};

const tile: Command = {
  name: 'tile',
  summary: 'a C2SP tlog-tiles resource (tile/L/N or tile/entries/N), raw bytes on stdout',
  options: { ...DATA },
  args: ['PATH'],
  async run({ values, positionals }) {
    await writeRaw(await withLog(values, ({ log }) => log.readTile(positionals[0] as string)));
    return 0;
  },
};

const verify: Command = {
  name: 'verify',
  summary: 'recompute the whole tree from the stored entries and check every tile and the checkpoint',
  options: {
    ...DATA,
    trusted: { type: 'string', value: 'FILE', help: 'also prove consistency with this checkpoint you kept' },
    ...KEY,
  },
  async run({ values }) {
    // The key the data directory names is the one a copy of it could change along with the store: a
    // key kept apart (--key, --key-file, VERITY_LOG_KEY) is checked against it first (D415).
    const kept = await verifierFrom(values);
    return withLog(values, async ({ log, store, config }) => {
      if (
        kept !== undefined &&
        (kept.name !== log.verifier.name || !bytesEqual(kept.publicKey, log.verifier.publicKey))
      )
        throw new LogError(
          'VERITY_E_LOG_SIGNATURE_INVALID',
          `the data directory's log key (${log.verifierKey}) is not the key you kept: the store and its configuration were replaced or changed; restore them from a backup`,
        );
      const report = await verifyLogStorage(store, log.verifier, config.origin);
      const result: Record<string, unknown> = { valid: true, ...report };
      const trusted = opt(values, 'trusted');
      if (trusted !== undefined) {
        const note = fromUtf8(await readInput(trusted, 64 * 1024), 'trusted checkpoint');
        const trustedSize = parseCheckpoint(openNote(note, [log.verifier]).text).size;
        const proof =
          trustedSize <= report.size ? (await log.consistencyProof(trustedSize)).proof.map((p) => fromBase64(p)) : [];
        checkCheckpointAdvance(note, await log.checkpoint(), proof, log.verifier, config.origin);
        result['consistentWith'] = trustedSize;
      }
      await outJson(result);
      return 0;
    });
  },
};

export const log: Group = {
  name: 'log',
  summary: 'the signed Merkle transparency log (C2SP checkpoints and tiles, RFC 9162 proofs)',
  commands: [key, checkpoint, proveInclusion, proveConsistency, entries, tile, verify, ...verifyCommands, verifyAnchor],
};
