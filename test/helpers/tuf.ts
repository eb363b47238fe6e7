// A TUF repository made with Verity's tooling, served over real HTTP on loopback, and a Verity
// core that trusts it: what the update tests and the translated TUF conformance cases run on.
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Metadata, MetadataKind, type Snapshot, type Targets } from '@tufjs/models';
import { isVerityError } from '../../src/errors/index.ts';
import { TufRepository, Updates } from '../../src/updates/index.ts';
import { makeCore, type TestCore } from './core.ts';
import { tempDir } from './env.ts';
import { serveDir } from './static-server.ts';

export const PASS = 'repository passphrase for tests';
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface Rig {
  repo: TufRepository;
  core: TestCore;
  updates: Updates;
  close(): Promise<void>;
}

/**
 * A repository (`init` options) holding `targets`, served; a Verity core whose data directory
 * holds the `local` files first, and that trusts the repository's first root.
 */
export async function tufRig(
  init: Parameters<typeof TufRepository.init>[1] = { passphrase: PASS },
  o: { targets?: { path: string; data: Uint8Array }[]; local?: Record<string, string> } = {},
): Promise<Rig> {
  const { dir, cleanup } = await tempDir('verity-tuf-');
  const repo = await TufRepository.init(dir, init);
  if (o.targets !== undefined) await repo.addTargets(o.targets);
  const server = await serveDir(dir);
  const core = await makeCore('sqlite');
  for (const [path, text] of Object.entries(o.local ?? {})) {
    await mkdir(dirname(join(core.dir, path)), { recursive: true });
    await writeFile(join(core.dir, path), text);
  }
  await Updates.trust(core.dir, {
    root: new Uint8Array(await readFile(join(repo.metadataDir, '1.root.json'))),
    metadataUrl: `${server.url}/metadata/`,
    targetsUrl: `${server.url}/targets/`,
  });
  const updates = new Updates({ dir: core.dir, log: core.log, vault: core.vault, store: core.store });
  return {
    repo,
    core,
    updates,
    close: async () => {
      await server.close();
      await core.dispose();
      await cleanup();
    },
  };
}

/** Rejects with VERITY_E_UPDATE_REFUSED whose message matches `why`. */
export async function refused(p: Promise<unknown>, why: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isVerityError(e, 'VERITY_E_UPDATE_REFUSED'), String(e));
    assert.match(e.message, why);
    return true;
  });
}

/** The versions of the metadata the client trusts, as tuf-js persisted them: `{root: 1, timestamp: 2, ...}`. */
export async function trustedVersions(core: TestCore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const role of ['root', 'timestamp', 'snapshot', 'targets']) {
    try {
      const md = JSON.parse(await readFile(join(core.dir, 'updates', 'tuf', `${role}.json`), 'utf8'));
      out[role] = md.signed.version;
    } catch {
      // not trusted yet
    }
  }
  return out;
}

/**
 * The newest `role` metadata as its next version, signed by every key of the role but one (that
 * key is set aside while signing): one signature short of a threshold equal to the number of keys.
 */
export async function signedShort(
  repo: TufRepository,
  role: 'targets' | 'snapshot',
): Promise<Metadata<Targets | Snapshot>> {
  const root = await repo.root();
  const [away] = root.signed.roles[role]?.keyIDs ?? [];
  const file = join(repo.keysDir, `${away}.pem`);
  await rename(file, `${file}.away`);
  try {
    const current = (await repo.current())[role];
    const kind = role === 'targets' ? MetadataKind.Targets : MetadataKind.Snapshot;
    const next = Metadata.fromJSON(
      kind as MetadataKind.Targets,
      {
        signatures: [],
        signed: { ...(current.signed.toJSON() as object), version: current.signed.version + 1 },
      } as never,
    ) as Metadata<Targets | Snapshot>;
    const lowered = Metadata.fromJSON(MetadataKind.Root, root.toJSON() as never).signed;
    const spec = lowered.roles[role] as { threshold: number; keyIDs: string[] };
    spec.threshold = spec.keyIDs.length - 1;
    await repo.signRole(next as Metadata<Targets>, role, lowered);
    return next;
  } finally {
    await rename(`${file}.away`, file);
  }
}
