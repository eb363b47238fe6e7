// The StoreWriter of both backends, over the compiled queries (queries.ts) and a backend's connection
// (Exec). Private to src/store.
import { randomBytes } from 'node:crypto';
import { quote, StoreError } from '../errors/index.ts';
import { subjectTag } from './reader.ts';
import {
  checkEntries,
  checkHead,
  checkInt32,
  checkInteger,
  checkObjectId,
  checkObjectKind,
  checkObjectRow,
  checkRecord,
  checkRows,
  checkSchemaRow,
  checkSessionRow,
  checkState,
  checkSubjectFacts,
  checkSubjectKey,
  checkText,
  checkTile,
  checkTokenRow,
  corrupt,
  guardiansText,
  logIndexTaken,
  type SubjectKeyColumns,
  tileRefused,
  toSubjectKey,
} from './rows.ts';
import { bind, type Compiled } from './sql.ts';
import { type Maybe, StatementWriter } from './statements.ts';
import type {
  LifecycleState,
  LogHead,
  ObjectRow,
  RecordRow,
  RowWriter,
  SchemaRow,
  SessionRow,
  StateNodeRow,
  StoredTile,
  SubjectFactsRow,
  SubjectKeyRow,
  TokenRow,
} from './types.ts';

function recordConflict(r: RecordRow, cause: unknown): StoreError {
  return new StoreError(
    'VERITY_E_STORE_CONFLICT',
    `record ${quote(r.id)} version ${r.version} exists already; reread the record and retry`,
    { cause, details: { id: r.id, version: r.version } },
  );
}

/** A row whose key is taken already: a conflict that says what to do next. */
function existsAlready(what: string, id: string, next: string): (cause: unknown) => StoreError {
  return (cause) =>
    new StoreError('VERITY_E_STORE_CONFLICT', `${what} ${quote(id)} exists already; ${next}`, { cause });
}

export class Writer extends StatementWriter implements RowWriter {
  setMeta(key: string, value: string): Promise<void> {
    return this.mutate(() => {
      checkText(key, 'meta key');
      checkText(value, 'meta value');
      return this.send(this.b.q.setMeta, bind(this.b.q.setMeta, { key, value }));
    });
  }

  putLogHead(head: LogHead): Promise<void> {
    return this.mutate(() => {
      checkHead(head);
      const q = this.b.q.putHead;
      return this.send(
        q,
        bind(q, {
          size: head.size,
          root: this.b.bytes(head.rootHash),
          frontier: this.b.bytes(head.frontier),
          checkpoint: head.checkpoint,
          at: head.updatedAt,
        }),
      );
    });
  }

  insertLogEntries(start: number, entries: readonly Uint8Array[]): Promise<void> {
    return this.mutate(() => {
      checkEntries(start, entries);
      if (entries.length === 0) return undefined;
      const taken = this.unique(logIndexTaken);
      if (this.b.bulk !== undefined && entries.length > 1)
        return this.sendAll(this.b.bulk.insertEntries(start, entries), taken);
      const q = this.b.q.insertEntry;
      return this.each(entries, (data, i) =>
        this.send(q, bind(q, { idx: start + i, data: this.b.bytes(data) }), taken),
      );
    });
  }

  /** Runs `send` for each item in order, waiting only where a send returned a promise. */
  putTiles(tiles: readonly StoredTile[]): Promise<void> {
    return this.mutate(() => {
      checkRows(tiles, checkTile);
      if (tiles.length === 0) return undefined;
      const bulk = this.b.bulk;
      if (bulk !== undefined) {
        // ON CONFLICT cannot touch one row twice in a statement: a batch naming a tile twice goes
        // tile by tile, in order, so each step must grow the previous one.
        const unique = new Set(tiles.map((t) => `${t.level}/${t.index}`)).size === tiles.length;
        const groups = unique ? [tiles] : tiles.map((t) => [t]);
        return this.sendAll(
          groups.flatMap((g) => bulk.putTiles(g)),
          bulk.tileRefused,
        );
      }
      const q = this.b.q.putTile;
      return this.each(tiles, (t) =>
        this.send(
          q,
          bind(q, { level: t.level, index: t.index, width: t.width, hashes: this.b.bytes(t.hashes) }),
          undefined,
          (r) => (r.changes === 1 ? undefined : tileRefused(t.level, t.index, t.width)),
        ),
      );
    });
  }

  insertRecords(rows: readonly RecordRow[]): Promise<void> {
    return this.mutate(() => {
      checkRows(rows, checkRecord);
      if (this.deferred) {
        this.tx.check();
        for (const r of rows) this.records.push(r);
        return undefined;
      }
      return this.writeRecords(rows);
    });
  }

  protected writeRecords(rows: readonly RecordRow[]): Maybe {
    if (rows.length === 0) return undefined;
    const bulk = this.b.bulk;
    if (bulk !== undefined && rows.length > 1)
      return this.sendAll(
        bulk.insertRecords(rows),
        this.unique((raw) => bulk.recordConflict(raw)),
      );
    const q = this.b.q.insertRecord;
    return this.each(rows, (r) =>
      this.send(
        q,
        bind(q, {
          id: r.id,
          version: r.version,
          subject: r.subjectRef,
          type: r.type,
          state: r.state,
          meta: r.meta,
          envelope: r.envelope === null ? null : this.b.bytes(r.envelope),
          createdAt: r.createdAt,
          retainUntil: r.retainUntil,
          logIndex: r.logIndex,
          tag: subjectTag(r.subjectRef),
        }),
        this.unique((raw) => recordConflict(r, raw)),
      ),
    );
  }

  setRecordState(id: string, version: number, state: LifecycleState): Promise<void> {
    return this.mutate(() => {
      checkText(id, 'record id');
      checkInt32(version, 'record version', 1);
      checkState(state);
      return this.send(this.b.q.setState, bind(this.b.q.setState, { state, id, version }));
    });
  }

  eraseRecord(id: string): Promise<number> {
    return this.mutate(async () => {
      checkText(id, 'record id');
      return this.changes(this.b.q.eraseRecord, { id });
    });
  }

  eraseSubjectRecords(subjectRef: string): Promise<number> {
    return this.mutate(async () => {
      checkText(subjectRef, 'subject ref');
      // A fresh reference of the same shape as a keyed one (256 random bits, base64url), which no
      // subject id maps to: the erased rows no longer lead to their subject, nor it to them.
      const unlinked = randomBytes(32).toString('base64url');
      return this.changes(this.b.q.eraseSubject, {
        tag: subjectTag(subjectRef),
        subject: subjectRef,
        unlinked,
        unlinkedTag: subjectTag(unlinked),
      });
    });
  }

  insertSubjectKey(row: SubjectKeyRow): Promise<SubjectKeyRow> {
    return this.mutate(async () => {
      checkSubjectKey(row);
      const inserted = await this.one<SubjectKeyColumns>(this.b.q.insertKey, {
        subject: row.subjectRef,
        kek: row.kekVersion,
        wrapped: this.b.bytes(row.wrappedKey),
        createdAt: row.createdAt,
      });
      const stored = inserted ?? (await this.one<SubjectKeyColumns>(this.b.q.getKey, { subject: row.subjectRef }));
      if (stored === undefined) throw corrupt('a subject key vanished right after its insert');
      return toSubjectKey(stored);
    });
  }

  updateSubjectKeys(rows: readonly SubjectKeyRow[]): Promise<void> {
    return this.mutate(() => {
      checkRows(rows, checkSubjectKey);
      if (rows.length === 0) return undefined;
      if (this.b.bulk !== undefined && rows.length > 1) return this.sendAll(this.b.bulk.updateKeys(rows));
      const q = this.b.q.updateKey;
      return this.each(rows, (r) =>
        this.send(q, bind(q, { kek: r.kekVersion, wrapped: this.b.bytes(r.wrappedKey), subject: r.subjectRef })),
      );
    });
  }

  deleteSubjectKey(subjectRef: string): Promise<boolean> {
    return this.#deleteOfSubject(this.b.q.deleteKey, subjectRef);
  }

  /** Runs a delete of one subject's row (`q` takes `subject`): whether there was one. */
  #deleteOfSubject(q: Compiled, subjectRef: string): Promise<boolean> {
    return this.mutate(async () => {
      checkText(subjectRef, 'subject ref');
      return (await this.changes(q, { subject: subjectRef })) > 0;
    });
  }

  putSubjectFacts(row: SubjectFactsRow): Promise<void> {
    return this.mutate(() => {
      checkSubjectFacts(row);
      const q = this.b.q.putFacts;
      return this.send(
        q,
        bind(q, {
          subject: row.subjectRef,
          minor: this.b.bool(row.minor),
          guardians: guardiansText(row.guardians),
          at: row.updatedAt,
        }),
      );
    });
  }

  deleteSubjectFacts(subjectRef: string): Promise<boolean> {
    return this.#deleteOfSubject(this.b.q.deleteFacts, subjectRef);
  }

  putSchema(row: SchemaRow): Promise<void> {
    return this.mutate(() => {
      checkSchemaRow(row);
      const q = this.b.q.putSchema;
      return this.send(q, bind(q, { type: row.type, schema: row.schema, createdAt: row.createdAt }));
    });
  }

  insertToken(row: TokenRow): Promise<void> {
    return this.mutate(() => {
      checkTokenRow(row);
      const q = this.b.q.insertToken;
      const values = bind(q, {
        id: row.id,
        hash: this.b.bytes(row.secretHash),
        principal: row.principal,
        role: row.role,
        scopes: row.scopes,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        revokedAt: row.revokedAt,
      });
      return this.send(q, values, this.unique(existsAlready('token', row.id, 'create another')));
    });
  }

  putStateNodes(nodes: readonly StateNodeRow[]): Promise<void> {
    return this.mutate(() => {
      if (nodes.length === 0) return undefined;
      if (this.b.bulk !== undefined && nodes.length > 1) return this.sendAll(this.b.bulk.putStateNodes(nodes));
      const q = this.b.q.putNode;
      return this.each(nodes, (n) => this.send(q, bind(q, { pos: this.b.bytes(n.pos), node: this.b.bytes(n.node) })));
    });
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.#revoke(this.b.q.revokeToken, 'token id', 'id', id, at).then((n) => n > 0);
  }

  insertSession(row: SessionRow): Promise<void> {
    return this.mutate(() => {
      checkSessionRow(row);
      const q = this.b.q.insertSession;
      const values = bind(q, {
        id: row.id,
        subject: row.subjectRef,
        opener: row.openerTokenId,
        principal: row.opener,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        revokedAt: row.revokedAt,
      });
      return this.send(q, values, this.unique(existsAlready('session', row.id, 'open another')));
    });
  }

  revokeSession(id: string, at: number): Promise<boolean> {
    return this.#revoke(this.b.q.revokeSession, 'session id', 'id', id, at).then((n) => n > 0);
  }

  revokeSubjectSessions(subjectRef: string, at: number): Promise<number> {
    return this.#revoke(this.b.q.revokeSubjectSessions, 'subject ref', 'subject', subjectRef, at);
  }

  revokeOpenerSessions(openerTokenId: string, at: number): Promise<number> {
    return this.#revoke(this.b.q.revokeOpenerSessions, 'opener token id', 'opener', openerTokenId, at);
  }

  putObject(row: ObjectRow): Promise<void> {
    return this.mutate(() => {
      checkObjectRow(row);
      const conflict = () =>
        new StoreError(
          'VERITY_E_STORE_CONFLICT',
          row.version === 1
            ? `${row.kind} ${quote(row.id)} exists already; reread it and retry`
            : `${row.kind} ${quote(row.id)} is not at version ${row.version - 1} any more; reread it and retry`,
          { details: { kind: row.kind, id: row.id } },
        );
      const values = {
        kind: row.kind,
        id: row.id,
        owner: row.owner,
        body: row.body,
        version: row.version,
        at: row.updatedAt,
      };
      if (row.version === 1) {
        const q = this.b.q.insertObject;
        return this.send(q, bind(q, values), this.unique(conflict));
      }
      return this.changes(this.b.q.replaceObject, { ...values, previous: row.version - 1 }).then((n) => {
        if (n !== 1) throw conflict();
      });
    });
  }

  deleteObject(kind: string, id: string): Promise<boolean> {
    return this.mutate(async () => {
      checkObjectKind(kind);
      checkObjectId(id);
      return (await this.changes(this.b.q.deleteObject, { kind, id })) > 0;
    });
  }

  /** Runs a revocation statement (`key` names its one text argument); returns the rows it changed. */
  #revoke(q: Compiled, what: string, key: string, value: string, at: number): Promise<number> {
    return this.mutate(async () => {
      checkText(value, what);
      checkInteger(at, 'at');
      return this.changes(q, { [key]: value, at });
    });
  }
}
