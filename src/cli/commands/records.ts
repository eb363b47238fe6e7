/** `verity records ...`: sealed records on a data directory, or through a server with `--url`. */

import { listingResource } from '../../access/index.ts';
import { parseJson } from '../../encoding/index.ts';
import type { LifecycleState } from '../../store/index.ts';
import { gated } from '../authorize.ts';
import type { Command, Group, Values } from '../command.ts';
import { usage } from '../command.ts';
import { ACTOR, DATA, int, type Opened, opt, printWithVerity, REMOTE, sdkFor, str, withVerity } from '../common.ts';
import { outJson, readInput, readStdin } from '../io.ts';

const PURPOSE = {
  purpose: {
    type: 'string',
    value: 'P',
    identifier: true,
    required: true,
    help: 'the purpose of processing (checked by the policies)',
  },
} as const;

/** The record's JSON: from `--file`, else from standard input, which must not be a terminal. */
async function recordInput(values: Values): Promise<Uint8Array> {
  const file = opt(values, 'file');
  if (file !== undefined) return readInput(file, 1024 * 1024);
  if (process.stdin.isTTY === true)
    usage(
      'records put reads the record\'s JSON from standard input: pipe it in (echo \'{"name":"Ada"}\' | verity records put ...) or pass --file FILE',
      'records put',
    );
  return readStdin(1024 * 1024);
}

const put: Command = {
  name: 'put',
  summary: 'seal a new record, or a new version with --id; the JSON data comes on stdin or from --file',
  options: {
    ...DATA,
    subject: { type: 'string', value: 'ID', identifier: true, required: true, help: 'the player the record is about' },
    type: {
      type: 'string',
      value: 'TYPE',
      identifier: true,
      required: true,
      help: 'the record type, e.g. avatar.profile',
    },
    ...PURPOSE,
    file: { type: 'string', value: 'FILE', help: "the record's JSON from FILE (- for stdin) instead of stdin" },
    id: { type: 'string', value: 'ID', help: 'write a new version of this record' },
    category: { type: 'string', value: 'C', help: 'classification category' },
    sensitivity: { type: 'string', value: 'S', help: 'public, internal, confidential or restricted' },
    source: { type: 'string', value: 'SRC', help: 'where the data came from (provenance)' },
    captured: { type: 'boolean', help: 'the data was captured (sensors), not created by the player' },
    lineage: { type: 'string', value: 'ID,...', help: 'records this one was derived from' },
    'retain-until': { type: 'string', value: 'TIME', help: 'retention deadline (ISO 8601)' },
    ...REMOTE,
  },
  async run({ values }) {
    const subject = str(values, 'subject');
    const type = str(values, 'type');
    const purpose = str(values, 'purpose');
    const data = parseJson(await recordInput(values), { maxBytes: 1024 * 1024, maxDepth: 32 }, 'record JSON on stdin');
    const id = opt(values, 'id');
    const category = opt(values, 'category');
    const sensitivity = opt(values, 'sensitivity') as 'public' | undefined;
    const lineage = opt(values, 'lineage');
    const source = opt(values, 'source');
    const retainUntil = opt(values, 'retain-until');
    const remote = await sdkFor(values);
    if (remote !== undefined) {
      await outJson(await remote.putRecord({ subject, type, purpose, data, ...(id === undefined ? {} : { id }) }));
      return 0;
    }
    const classification =
      category === undefined && sensitivity === undefined
        ? undefined
        : { ...(category === undefined ? {} : { category }), ...(sensitivity === undefined ? {} : { sensitivity }) };
    const r = await gated(values, async (v, gate) => {
      if (category !== undefined) gate.checkCategory(category);
      return gate.decided(
        'write',
        {
          kind: 'record',
          id: id ?? 'new',
          owner: await gate.owner(await v.vault.subjectRef(subject)),
          type,
          category: category ?? 'unclassified',
          sensitivity: sensitivity ?? 'confidential',
        },
        id === undefined ? 'record:new' : `record:${id}`,
        purpose,
        (policy) =>
          v.vault.put({
            actor: ACTOR,
            policy,
            subject,
            type,
            purpose,
            data,
            ...(id === undefined ? {} : { id }),
            ...(classification === undefined ? {} : { classification }),
            ...(source === undefined ? {} : { source }),
            ...(values['captured'] === true ? { origin: 'captured' as const } : {}),
            ...(lineage === undefined ? {} : { lineage: lineage.split(',').filter((s) => s !== '') }),
            ...(retainUntil === undefined ? {} : { retainUntil }),
          }),
      );
    });
    await outJson(r);
    return 0;
  },
};

const get: Command = {
  name: 'get',
  summary: "a record's data, metadata and inclusion proof (with --url: verified client-side)",
  options: { ...DATA, ...PURPOSE, version: { type: 'string', value: 'N', help: 'an older version' }, ...REMOTE },
  args: ['ID'],
  async run({ values, positionals }) {
    const id = positionals[0] as string;
    const purpose = str(values, 'purpose');
    const version = int(values, 'version', false);
    const remote = await sdkFor(values);
    if (remote !== undefined) {
      // Verified client-side: the proof, its signed checkpoint and the entry it proves.
      const rec = await remote.getRecord(id, { purpose, ...(version === undefined ? {} : { version }) });
      await outJson({
        data: rec.data,
        meta: rec.meta,
        verified: { treeSize: rec.checkpoint.size, origin: rec.checkpoint.origin, state: rec.state },
      });
      return 0;
    }
    const r = await gated(values, async (v, gate) => {
      // Decided on the version it reads (versions may differ in classification).
      const target = await gate.recordVersion(id, version);
      const read = target.version ?? version;
      return gate.decided('read', target.resource, `record:${id}`, purpose, (policy) =>
        v.vault.get(id, { actor: ACTOR, policy, purpose, ...(read === undefined ? {} : { version: read }) }),
      );
    });
    await outJson(r);
    return 0;
  },
};

/** A command on one record by id, decided by the policies as `action` and then run by `op`. */
function recordCommand(
  name: string,
  summary: string,
  action: 'read' | 'erase',
  op: (v: Opened, id: string, o: { actor: string; policy: string; purpose: string }) => Promise<unknown>,
): Command {
  return {
    name,
    summary,
    options: { ...DATA, ...PURPOSE },
    args: ['ID'],
    async run({ values, positionals }) {
      const id = positionals[0] as string;
      const purpose = str(values, 'purpose');
      await outJson(
        await gated(values, async (v, gate) =>
          gate.decided(action, await gate.record(id), `record:${id}`, purpose, (policy) =>
            op(v, id, { actor: ACTOR, policy, purpose }),
          ),
        ),
      );
      return 0;
    },
  };
}

const history = recordCommand('history', 'the metadata of every version of a record', 'read', (v, id, o) =>
  v.vault.history(id, o),
);

const listCmd: Command = {
  name: 'list',
  summary: "a subject's records (latest versions) that the policies let the local operator read",
  options: {
    ...DATA,
    ...PURPOSE,
    subject: { type: 'string', value: 'ID', identifier: true, required: true, help: 'the player' },
    limit: { type: 'string', value: 'N', help: 'at most N records (1 to 1000, default 100)' },
    after: { type: 'string', value: 'ID', help: 'the page after this record id' },
  },
  async run({ values }) {
    const purpose = str(values, 'purpose');
    const subject = str(values, 'subject');
    const limit = int(values, 'limit', false);
    const after = opt(values, 'after');
    const permitted = await gated(values, async (v, gate) => {
      const owner = await gate.owner(await v.vault.subjectRef(subject));
      // Consent is read once for the listing (purpose-wide), before any decision.
      const consent = await gate.consent('read', { kind: 'subject', owner }, purpose);
      // As over HTTP: each record decided on its own, every decision before anything about the
      // subject is logged, and a query that may read none of them decided as one read (see
      // `listingResource`): denied, it is refused and logged as a denial.
      return v.vault.listBySubject(subject, {
        actor: ACTOR,
        purpose,
        policy: gate.policyHash,
        ...(limit === undefined ? {} : { limit }),
        ...(after === undefined ? {} : { after }),
        decide: {
          permit: (m) => gate.decide('read', gate.recordOf(m, owner), purpose, consent).allowed,
          none: (start) =>
            gate.decided(
              'read',
              listingResource(owner, after, start),
              'subject:records',
              purpose,
              async () => undefined,
            ),
        },
      });
    });
    await outJson(permitted);
    return 0;
  },
};

const transition: Command = {
  name: 'transition',
  summary: 'move a record to another lifecycle state (operator action)',
  options: { ...DATA, ...PURPOSE, to: { type: 'string', value: 'STATE', required: true, help: 'the new state' } },
  args: ['ID'],
  async run({ values, positionals }) {
    return printWithVerity(values, (v) =>
      v.vault.transition(positionals[0] as string, str(values, 'to') as LifecycleState, {
        actor: ACTOR,
        purpose: str(values, 'purpose'),
      }),
    );
  },
};

const erase = recordCommand(
  'erase',
  'erase a record (every version); decided by the policies like a DELETE',
  'erase',
  (v, id, o) => v.vault.erase(id, o),
);

const sweep: Command = {
  name: 'sweep',
  summary: 'erase the records past their retention deadline',
  options: { ...DATA },
  async run({ values }) {
    const erased = await withVerity(values, (v) => v.vault.sweepExpired({ actor: ACTOR, purpose: 'retention' }));
    await outJson({ erased });
    return 0;
  },
};

export const records: Group = {
  name: 'records',
  summary: 'sealed, versioned records (local commands are decided by the policies in DIR/policies)',
  commands: [put, get, history, listCmd, transition, erase, sweep],
};
