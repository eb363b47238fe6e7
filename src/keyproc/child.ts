/**
 * The key process (FGMV-46 7.3.4): opens the key store and answers the messages of protocol.ts,
 * nothing else. It reads the key store's secret from its own environment, so the HTTP process
 * that starts it never holds the secret, a key-encryption key or the log's signing key. Kept small
 * on purpose: its import graph is measured against src/keyproc/size-budget.json.
 *
 * Started by KeyProcess (client.ts) with `fork`; run on its own it exits at once.
 */

import { InputError, isVerityError } from '../errors/index.ts';
import { type KeyStore, Pkcs11KeyStore, SoftwareKeyStore } from '../keys/index.ts';
import {
  type Call,
  type Failure,
  type FromKeyProcess,
  KEY_OPS,
  KEY_PROCESS_LIMITS,
  type KeyOp,
  type KeyProcessStoreSpec,
  type Result,
  type ToKeyProcess,
} from './protocol.ts';
import { pinFromEnv, secretFromEnv } from './secret.ts';

function send(m: FromKeyProcess): void {
  process.send?.(m);
}

function failure(e: unknown): Failure {
  if (isVerityError(e)) return { code: e.code, message: e.message };
  // Anything else is a bug or a broken key store: say so without the details (they may hold key material).
  return { code: 'VERITY_E_INTERNAL', message: 'the key process failed on this call; see its log' };
}

const bad = (why: string): InputError => new InputError('VERITY_E_INPUT_INVALID', `key process: ${why}`);

function bytesArg(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array) || v.byteLength > KEY_PROCESS_LIMITS.maxBytes)
    throw bad('a byte argument is missing or too large');
  return v;
}

function nameArg(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > KEY_PROCESS_LIMITS.maxName)
    throw bad('a key name is missing or too long');
  return v;
}

function intArg(v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad('a version is not a whole number');
  return v as number;
}

/** One call: its arguments checked (the sender is not trusted), then the key store's method. */
function run(keys: KeyStore, c: Call): Promise<unknown> {
  const a = c.args;
  switch (c.op) {
    case 'currentKekVersion':
      return keys.currentKekVersion();
    case 'listKeks':
      return keys.listKeks();
    case 'rotateKek':
      return keys.rotateKek();
    case 'destroyKek':
      return keys.destroyKek(intArg(a[0]));
    case 'generateDataKey':
      return keys.generateDataKey(bytesArg(a[0]));
    case 'wrapKey':
      return keys.wrapKey(bytesArg(a[0]), bytesArg(a[1]));
    case 'unwrapKey': {
      const w = a[0] as { kekVersion?: unknown; bytes?: unknown } | null;
      if (typeof w !== 'object' || w === null) throw bad('a wrapped key is missing');
      return keys.unwrapKey({ kekVersion: intArg(w.kekVersion), bytes: bytesArg(w.bytes) }, bytesArg(a[1]));
    }
    case 'ensureSigningKey':
      return keys.ensureSigningKey(nameArg(a[0]));
    case 'sign':
      return keys.sign(nameArg(a[0]), bytesArg(a[1]));
    case 'ensureMacKey':
      return keys.ensureMacKey(nameArg(a[0]));
    case 'mac':
      return keys.mac(nameArg(a[0]), bytesArg(a[1]));
    case 'ensureEvmKey':
      return keys.ensureEvmKey(nameArg(a[0]));
    case 'signEvmDigest':
      return keys.signEvmDigest(nameArg(a[0]), bytesArg(a[1]));
  }
}

// Changes to the key store run alone, in their place; the calls between two changes run side by
// side and share the key store's check of its file (a stat each, one at a time before: D344).
const CHANGES: ReadonlySet<KeyOp> = new Set<KeyOp>([
  'rotateKek',
  'destroyKek',
  'ensureSigningKey',
  'ensureMacKey',
  'ensureEvmKey',
]);

async function answer(keys: KeyStore, calls: readonly Call[]): Promise<Result[]> {
  const out: Result[] = new Array(calls.length);
  const one = async (c: Call, i: number): Promise<void> => {
    try {
      if (!KEY_OPS.includes(c.op) || !Array.isArray(c.args)) throw bad('unknown operation');
      out[i] = { id: c.id, ok: true, value: await run(keys, c) };
    } catch (e) {
      out[i] = { id: c.id, ok: false, error: failure(e) };
    }
  };
  let between: Promise<void>[] = [];
  for (const [i, c] of calls.entries()) {
    if (!CHANGES.has(c.op)) between.push(one(c, i));
    else {
      await Promise.all(between);
      between = [];
      await one(c, i);
    }
  }
  await Promise.all(between);
  return out;
}

/** Opens the key store the HTTP process named, with the secret from this process's environment. */
async function openStore(spec: KeyProcessStoreSpec): Promise<KeyStore> {
  if (spec?.kind === 'software' && typeof spec.file === 'string')
    return SoftwareKeyStore.open(spec.file, await secretFromEnv(spec.dataDir));
  if (spec?.kind === 'pkcs11' && typeof spec.module === 'string' && typeof spec.token === 'string')
    return Pkcs11KeyStore.open({
      module: spec.module,
      tokenLabel: spec.token,
      namespace: spec.namespace,
      pin: (await pinFromEnv()).pin,
    });
  throw bad('unknown key store');
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write('verity key process: `verity serve` starts it; it is not run by hand\n');
    process.exit(2);
  }
  let keys: KeyStore | undefined;
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (m: ToKeyProcess) => {
    queue = queue.then(async () => {
      if (m.t === 'open' && keys === undefined) {
        try {
          keys = await openStore(m.store);
          send({ t: 'ready', kind: keys.kind });
        } catch (e) {
          send({ t: 'failed', error: failure(e) });
        }
      } else if (m.t === 'calls' && keys !== undefined) {
        if (!Array.isArray(m.calls) || m.calls.length > KEY_PROCESS_LIMITS.maxCalls) return;
        send({ t: 'results', results: await answer(keys, m.calls) });
      } else if (m.t === 'close') {
        await keys?.close();
        process.disconnect();
      }
    });
  });
  // The HTTP process went away: nothing is left to answer.
  process.on('disconnect', () => {
    void queue.then(() => keys?.close()).finally(() => process.exit(0));
  });
}

void main();
