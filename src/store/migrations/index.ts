// The store's migrations, in order: a static provider (imported, not read from the file system, so
// it works with type stripping and bundling). Append new ones; never edit or reorder a shipped one.
import { init } from './0001_init.ts';
import { subjectFacts } from './0002_subject_facts.ts';
import { sessions } from './0003_sessions.ts';
import { stateMap } from './0004_state_map.ts';
import { objects } from './0005_objects.ts';
import type { Migration } from './context.ts';

export const MIGRATIONS: readonly Migration[] = [init, subjectFacts, sessions, stateMap, objects];
export type { Migration, MigrationContext } from './context.ts';
export { columnTypes } from './context.ts';
