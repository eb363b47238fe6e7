/**
 * `verity log verify-note` and `verity log verify-proof`: checks anyone can run without a data
 * directory, given the log's verifier key.
 */

import { ACCESS_REPORT_FORMAT } from '../../audit/index.ts';
import { bytesEqual, fromBase64, fromUtf8, parseJson, toBase64 } from '../../encoding/index.ts';
import { isVerityError } from '../../errors/index.ts';
import { checkProofCase, type ParsedCase, parseProofCase } from '../../log/index.ts';
import { hashLeaf } from '../../merkle/index.ts';
import {
  type Checkpoint,
  type NoteVerifier,
  parseCosignerKey,
  parseVerifierKey,
  type VerifiedCosignature,
  verifyCheckpoint,
  verifyCosignedCheckpoint,
} from '../../note/index.ts';
import { type Command, type OptionSpec, UsageError, usage, type Values } from '../command.ts';
import { int, list, opt } from '../common.ts';
import { out, outJson, readInput } from '../io.ts';

export const KEY: Readonly<Record<string, OptionSpec>> = {
  key: { type: 'string', value: 'VKEY', help: 'the log verifier key, name+hash+base64key (or VERITY_LOG_KEY)' },
  'key-file': { type: 'string', value: 'FILE', help: 'read the verifier key from FILE' },
};

/** Witness options of the verify commands: a checkpoint must carry K valid cosignatures. */
const WITNESSES: Readonly<Record<string, OptionSpec>> = {
  'witness-key': {
    type: 'string',
    value: 'VKEY',
    multiple: true,
    help: 'a witness cosigner key (`verity witness key`); the checkpoint must be cosigned (repeatable)',
  },
  quorum: { type: 'string', value: 'K', help: 'valid cosignatures required, of the witness keys (default: all)' },
};

/** The witness keys and quorum given, or undefined when none. */
function witnessesFrom(values: Values, where: string): { keys: NoteVerifier[]; quorum: number } | undefined {
  const keys = list(values, 'witness-key').map((k) => {
    try {
      return parseCosignerKey(k);
    } catch (e) {
      throw new UsageError('VERITY_E_INPUT_MALFORMED', `--witness-key: ${(e as Error).message}`);
    }
  });
  const quorum = int(values, 'quorum', false);
  if (keys.length === 0) {
    if (quorum !== undefined) usage('--quorum needs --witness-key', where);
    return undefined;
  }
  if (quorum !== undefined && (quorum < 1 || quorum > keys.length))
    usage(`--quorum must be between 1 and the ${keys.length} witness keys given`, where);
  return { keys, quorum: quorum ?? keys.length };
}

/**
 * Verifies a checkpoint note with the log key and, when witness keys are given, their quorum of
 * cosignatures (typed errors as `verifyCheckpoint` and `verifyCosignedCheckpoint` throw them).
 */
function verifyWitnessed(
  note: string,
  verifier: NoteVerifier,
  w: { keys: NoteVerifier[]; quorum: number } | undefined,
): { checkpoint: Checkpoint; cosignatures?: VerifiedCosignature[] } {
  if (w === undefined) return verifyCheckpoint(note, verifier);
  return verifyCosignedCheckpoint(note, { log: verifier, cosigners: w.keys, quorum: w.quorum });
}

function asMalformed(e: unknown): unknown {
  if (isVerityError(e)) return new UsageError('VERITY_E_INPUT_MALFORMED', e.message, { cause: e });
  return e;
}

/** The verifier key from `--key`, `--key-file` or VERITY_LOG_KEY; undefined when none is given. */
export async function verifierFrom(values: Values): Promise<NoteVerifier | undefined> {
  const file = opt(values, 'key-file');
  if (file !== undefined && opt(values, 'key') !== undefined) usage('give --key or --key-file, not both');
  const text =
    file !== undefined
      ? fromUtf8(await readInput(file, 4096), 'key file').trim()
      : (opt(values, 'key') ?? process.env['VERITY_LOG_KEY']);
  if (text === undefined || text === '') return undefined;
  try {
    return parseVerifierKey(text);
  } catch (e) {
    throw new UsageError('VERITY_E_INPUT_MALFORMED', `--key: ${(e as Error).message}`);
  }
}

const verifyNote: Command = {
  name: 'verify-note',
  summary: 'check a signed checkpoint note (FILE, or - for stdin) against the log key, and its witnesses',
  options: { ...KEY, ...WITNESSES },
  args: ['FILE'],
  async run({ values, positionals }) {
    const verifier = await verifierFrom(values);
    if (verifier === undefined) usage('--key is required', 'log verify-note');
    const witnesses = witnessesFrom(values, 'log verify-note');
    const text = fromUtf8(await readInput(positionals[0] as string, 1024 * 1024), 'note');
    let r: ReturnType<typeof verifyWitnessed>;
    try {
      r = verifyWitnessed(text, verifier, witnesses);
    } catch (e) {
      // A signature or cosignature problem is a verdict; a note that is not one is malformed input.
      if (isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID') || isVerityError(e, 'VERITY_E_WITNESS_QUORUM')) {
        await outJson({ valid: false, reason: e.message });
        return 1;
      }
      throw asMalformed(e);
    }
    const cp = r.checkpoint;
    await outJson({
      valid: true,
      origin: cp.origin,
      size: cp.size,
      rootHash: toBase64(cp.rootHash),
      signer: verifier.name,
      ...(r.cosignatures === undefined
        ? {}
        : {
            cosigners: r.cosignatures.map((c) => ({ name: c.name, time: new Date(c.timestamp * 1000).toISOString() })),
          }),
    });
    return 0;
  },
};

/** A parsed case with the fields that bind it to the log: its signed checkpoint and (inclusion) its entry. */
interface BoundCase {
  readonly c: ParsedCase;
  readonly checkpoint: unknown;
  readonly entry: unknown;
}

/**
 * Checks one case against the key: the checkpoint is signed by it and is the tree the proof is
 * for (the inclusion proof's tree, the consistency proof's larger tree); an entry, when given,
 * hashes to the proven leaf; then the Merkle path itself.
 */
function checkSigned(
  b: BoundCase,
  verifier: NoteVerifier,
  witnesses: { keys: NoteVerifier[]; quorum: number } | undefined,
): string | undefined {
  const { c } = b;
  const size = c.type === 'inclusion' ? c.treeSize : c.size2;
  const root = c.type === 'inclusion' ? c.rootHash : c.root2;
  if (typeof b.checkpoint !== 'string')
    return `no signed checkpoint for tree size ${size} in the case (field \`checkpoint\`): nothing vouches for its root hash`;
  let signed: Checkpoint;
  try {
    signed = verifyWitnessed(b.checkpoint, verifier, witnesses).checkpoint;
  } catch (e) {
    if (isVerityError(e, 'VERITY_E_WITNESS_QUORUM')) return e.message;
    if (isVerityError(e)) return `the checkpoint does not verify with the key ${verifier.name}: ${e.message}`;
    throw e;
  }
  if (signed.size !== size || !bytesEqual(signed.rootHash, root))
    return `the signed checkpoint is for tree size ${signed.size}, not the proof's tree of size ${size} with its root`;
  if (c.type === 'inclusion' && b.entry !== undefined) {
    let leaf: Uint8Array;
    try {
      if (typeof b.entry !== 'string') throw new TypeError('not a string');
      leaf = hashLeaf(fromBase64(b.entry, 'entry'));
    } catch {
      return 'field `entry` is not base64';
    }
    if (!bytesEqual(leaf, c.leafHash)) return 'the entry does not hash to the proven leaf';
  }
  const r = checkProofCase(c);
  return r.valid ? undefined : r.reason;
}

/** Largest input of verify-proof: a JSON document (at most 8 MiB) or JSON lines (an access report). */
const MAX_LINES_INPUT = 256 * 1024 * 1024;
const MAX_JSON_INPUT = 8 * 1024 * 1024;
/** Stands for an access report's header line among the cases. */
const HEADER = Symbol('header');

/**
 * The cases of verify-proof's input: one JSON case or an array of them, or JSON lines of cases
 * (an access report: its header's `checkpoint` is then the checkpoint of every case lacking one).
 */
function proofCases(input: Uint8Array): { cases: unknown[]; checkpoint: unknown } {
  const text = fromUtf8(input, 'proof input').trim();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // One JSON document (pretty-printed or not), else JSON lines.
  let whole: unknown;
  let wholeError: unknown;
  if (input.byteLength <= MAX_JSON_INPUT) {
    try {
      whole = parseJson(input, { maxBytes: MAX_JSON_INPUT, maxDepth: 8 }, 'proof input');
    } catch (e) {
      wholeError = e;
    }
  }
  if (wholeError === undefined && whole !== undefined) {
    if (isReportHeader(whole)) return { cases: [HEADER], checkpoint: whole['checkpoint'] };
    return { cases: Array.isArray(whole) ? whole : [whole], checkpoint: undefined };
  }
  if (lines.length <= 1) {
    if (wholeError !== undefined) throw wholeError;
    throw new UsageError('VERITY_E_INPUT_TOO_LARGE', `a JSON proof input is at most ${MAX_JSON_INPUT} bytes`);
  }
  if (lines.length > 100_001) throw new UsageError('VERITY_E_INPUT_MALFORMED', 'expected 1 to 100000 proof cases');
  const docs = lines.map((l, i) => {
    try {
      return parseJson(l, { maxBytes: 1024 * 1024, maxDepth: 8 }, `line ${i + 1}`);
    } catch (e) {
      throw new UsageError('VERITY_E_INPUT_MALFORMED', (e as Error).message);
    }
  });
  const first = docs[0];
  if (isReportHeader(first)) return { cases: [HEADER, ...docs.slice(1)], checkpoint: first['checkpoint'] };
  return { cases: docs, checkpoint: undefined };
}

function isReportHeader(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    (v as Record<string, unknown>)['report'] === ACCESS_REPORT_FORMAT &&
    typeof (v as Record<string, unknown>)['checkpoint'] === 'string'
  );
}

const verifyProof: Command = {
  name: 'verify-proof',
  summary: 'check inclusion and consistency proofs (FILE, or - for stdin; one case or an array) against the log key',
  details:
    'Each case must carry the signed `checkpoint` of its tree (`log prove-inclusion`, `log prove-consistency`,\n' +
    '`records get` and the server print it); `valid` means the signature and the Merkle path both check.\n' +
    'JSON lines are read too: an access report (`report access`) gets one verdict per line, its header\n' +
    "first (the report's checkpoint, which the lines after it are proven against).\n" +
    '--unsigned checks only the Merkle path against the root hashes in the input and prints `unsigned-valid`.',
  options: {
    ...KEY,
    ...WITNESSES,
    unsigned: { type: 'boolean', help: 'check only the Merkle paths (no key): never prints `valid`' },
  },
  args: ['FILE'],
  async run({ values, positionals }) {
    const verifier = await verifierFrom(values);
    const witnesses = witnessesFrom(values, 'log verify-proof');
    const unsigned = values['unsigned'] === true;
    if (witnesses !== undefined && unsigned)
      usage('--witness-key checks signatures: not with --unsigned', 'log verify-proof');
    if (verifier !== undefined && unsigned) usage('give a key or --unsigned, not both', 'log verify-proof');
    if (verifier === undefined && !unsigned)
      usage(
        'verify-proof needs the log verifier key to check the checkpoint signature: pass --key "$(verity log key --data DIR)", --key-file FILE or VERITY_LOG_KEY (a server serves it at /v1/log/key)',
        'log verify-proof',
      );
    const input = await readInput(positionals[0] as string, MAX_LINES_INPUT);
    const { cases, checkpoint } = proofCases(input);
    if (cases.length === 0 || cases.length > 100_000)
      throw new UsageError('VERITY_E_INPUT_MALFORMED', 'expected 1 to 100000 proof cases');
    // Parse every case before printing anything: malformed input prints no verdicts.
    const parsed: (BoundCase | 'header')[] = cases.map((raw, i) => {
      if (raw === HEADER) return 'header';
      try {
        const c = parseProofCase(raw);
        const o = raw as Record<string, unknown>;
        return {
          c,
          checkpoint: Object.hasOwn(o, 'checkpoint') ? o['checkpoint'] : checkpoint,
          entry: Object.hasOwn(o, 'entry') ? o['entry'] : undefined,
        };
      } catch (e) {
        throw new UsageError('VERITY_E_INPUT_MALFORMED', `case ${i}: ${(e as Error).message}`);
      }
    });
    let allValid = true;
    const lines = parsed.map((b) => {
      if (b === 'header') {
        // An access report's header: its checkpoint, which every line after it is proven against.
        if (verifier === undefined) return 'unsigned-valid';
        try {
          verifyWitnessed(checkpoint as string, verifier, witnesses);
          return 'valid';
        } catch (e) {
          if (!isVerityError(e)) throw e;
          allValid = false;
          return `invalid: the report's checkpoint does not verify: ${e.message}`;
        }
      }
      const problem =
        verifier === undefined
          ? ((r) => (r.valid ? undefined : r.reason))(checkProofCase(b.c))
          : checkSigned(b, verifier, witnesses);
      if (problem === undefined) return verifier === undefined ? 'unsigned-valid' : 'valid';
      allValid = false;
      return `invalid: ${problem}`;
    });
    await out(lines.join('\n'));
    return allValid ? 0 : 1;
  },
};

/** The log commands that need no data directory. */
export const verifyCommands: readonly Command[] = [verifyNote, verifyProof];
