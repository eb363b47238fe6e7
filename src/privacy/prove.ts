// The server side of consent evidence: a player's consents and their history, each proven against
// one signed checkpoint (see proof.ts for what a client checks).

import type { ConsentProofs, ProvenChange, ProvenObject } from '../consent/index.ts';
import { CONSENT_KIND, checkHistoryItem, HISTORY_KIND } from '../consent/index.ts';
import { toBase64 } from '../encoding/index.ts';
import { LogError, StoreError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import { stateKey, stateProofToBase64, stateRootFromExtensions } from '../smt/index.ts';
import { proveState, type Store } from '../store/index.ts';

const MAX_CONSENTS = 512;
const MAX_HISTORY = 5000;

/**
 * A player's consents (current states with state proofs) and every change of them (with inclusion
 * proofs), all against the latest checkpoint. Rows are read between two looks at the log head; when
 * a write came in between, it starts again (at most a few times).
 */
export async function proveConsents(
  store: Store,
  log: TransparencyLog,
  subjectRef: string,
  policyVersion: string,
): Promise<ConsentProofs> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await log.head();
    const rows = await store.reader.listObjects(CONSENT_KIND, subjectRef, { limit: MAX_CONSENTS });
    const changes = await store.reader.listObjects(HISTORY_KIND, subjectRef, { limit: MAX_HISTORY });
    if ((await log.head()).size !== head.size) continue;
    const root = stateRootFromExtensions(
      verifyCheckpoint(head.checkpoint, log.verifier, log.origin).checkpoint.extensions,
    );
    if (root === undefined)
      throw new LogError('VERITY_E_STATE_TAMPERED', 'the latest checkpoint commits to no state map');
    const consents: ProvenObject[] = [];
    for (const r of rows) {
      const p = await proveState(store, root, stateKey(`object.${CONSENT_KIND}`, r.id));
      consents.push({
        id: r.id,
        owner: r.owner,
        body: r.body,
        version: r.version,
        updatedAt: r.updatedAt,
        proof: stateProofToBase64(p.proof),
      });
    }
    const history: ProvenChange[] = [];
    for (const r of changes) {
      const item = checkHistoryItem(JSON.parse(r.body));
      const inclusion = await log.inclusionProof(item.logIndex, head.size);
      const [entry] = await log.entries(item.logIndex, item.logIndex + 1);
      if (entry === undefined) throw new LogError('VERITY_E_LOG_TAMPERED', 'a consent change has no log entry');
      const { checkpoint: _c, ...inc } = inclusion;
      history.push({ item, entry: toBase64(entry), inclusion: inc });
    }
    return { checkpoint: head.checkpoint, subjectRef, policyVersion, consents, history };
  }
  throw new StoreError('VERITY_E_STORE_UNAVAILABLE', 'the log kept changing while consents were proven; retry');
}
