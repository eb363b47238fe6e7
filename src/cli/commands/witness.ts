/** `verity witness ...`: an independent C2SP tlog-witness that cosigns the checkpoints of logs it follows. */

import { toBase64 } from '../../encoding/index.ts';
import { initWitnessDir, openWitnessDir, type Witness } from '../../witness/index.ts';
import type { Command, Group, OptionSpec, Values } from '../command.ts';
import { str } from '../common.ts';
import { HTTP_OPTIONS } from '../http-options.ts';
import { out, outJson, waitForSignal } from '../io.ts';

const DIR: Readonly<Record<string, OptionSpec>> = {
  dir: { type: 'string', value: 'DIR', required: true, help: "the witness's directory (key, name, state)" },
};

/** Opens the witness of `--dir` for the length of `fn`. */
async function withWitness<T>(values: Values, fn: (w: Witness) => Promise<T>): Promise<T> {
  const w = openWitnessDir(str(values, 'dir'));
  try {
    return await fn(w);
  } finally {
    w.close();
  }
}

const init: Command = {
  name: 'init',
  summary: 'make a witness: a new Ed25519 key (file mode 0600), its name and an empty state in DIR',
  options: {
    ...DIR,
    name: { type: 'string', value: 'NAME', required: true, help: 'the witness name, e.g. witness.example.com/w1' },
  },
  async run({ values }) {
    const dir = str(values, 'dir');
    const key = initWitnessDir(dir, str(values, 'name'));
    await outJson({ dir, name: str(values, 'name'), key });
    return 0;
  },
};

const key: Command = {
  name: 'key',
  summary: "the witness's cosigner key (name+hash+base64key), for the logs and clients that rely on it",
  options: { ...DIR },
  async run({ values }) {
    await out(await withWitness(values, async (w) => w.verifierKey));
    return 0;
  },
};

const addLog: Command = {
  name: 'add-log',
  summary: 'follow a log: cosign its checkpoints signed by this key (`verity log key` prints it)',
  options: {
    ...DIR,
    key: { type: 'string', value: 'VKEY', required: true, help: "the log's verifier key" },
    origin: { type: 'string', value: 'ORIGIN', help: "the log's origin line (default: the key's name)" },
  },
  async run({ values }) {
    const vkey = str(values, 'key');
    const origin = typeof values['origin'] === 'string' ? values['origin'] : undefined;
    const r = await withWitness(values, async (w) => w.addLog(vkey, origin));
    await outJson({ origin: origin ?? vkey.slice(0, vkey.indexOf('+')), added: r === 'added' });
    return 0;
  },
};

const logs: Command = {
  name: 'logs',
  summary: 'the logs this witness follows, with the checkpoint it last cosigned for each',
  options: { ...DIR },
  async run({ values }) {
    const rows = await withWitness(values, async (w) =>
      w.logs().map((l) => ({
        origin: l.origin,
        key: l.vkey,
        size: l.size,
        ...(l.root === undefined ? {} : { rootHash: toBase64(l.root) }),
        ...(l.cosignedAt === undefined ? {} : { cosignedAt: new Date(l.cosignedAt * 1000).toISOString() }),
      })),
    );
    await outJson(rows);
    return 0;
  },
};

/** Options of `serve` and `start` that a witness server takes too. */
const fromHttp = (...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, HTTP_OPTIONS[n] as OptionSpec])) as Record<string, OptionSpec>;

const serve: Command = {
  name: 'serve',
  summary: 'serve the witness (POST /add-checkpoint; plain HTTP on loopback only) until Ctrl+C',
  options: {
    ...DIR,
    ...fromHttp('host'),
    port: { type: 'string', value: 'P', help: 'the port (default 9001; 0 picks a free one)' },
    ...fromHttp('tls-cert', 'tls-key', 'log-level', 'log-format'),
  },
  async run({ values }) {
    // The server is loaded only by the commands that serve (see src/cli/http-options.ts).
    const [{ hostPort, listenError, logSettings, tlsFrom }, { buildWitnessServer }] = await Promise.all([
      import('../http.ts'),
      import('../../server/index.ts'),
    ]);
    const where = hostPort(values, 9001);
    const logs = logSettings(values);
    const dir = str(values, 'dir');
    const tls = await tlsFrom(values, dir);
    const witness = openWitnessDir(dir);
    const app = buildWitnessServer({
      witness,
      ...(tls === undefined ? {} : { tls }),
      logging: {
        ...(logs.level === undefined ? {} : { level: logs.level }),
        ...(logs.format === undefined ? {} : { format: logs.format }),
      },
    });
    let url: string;
    try {
      url = await app.listen(where);
    } catch (e) {
      await app.close().catch(() => undefined);
      witness.close();
      throw listenError(e, where.host, where.port);
    }
    await out(
      [
        `Verity witness ${witness.name} is serving ${url}`,
        `cosigner key: ${witness.verifierKey}`,
        `logs followed: ${witness.logs().length}`,
      ].join('\n'),
    );
    await waitForSignal();
    await app.close();
    witness.close();
    return 0;
  },
};

export const witness: Group = {
  name: 'witness',
  summary: 'an independent witness: cosigns only consistent extensions of the logs it follows (C2SP tlog-witness)',
  commands: [init, key, addLog, logs, serve],
};
