// TypeBox's schema builder for the routes, from its joined module where one was built (src/deps:
// the package's some 370 modules took 150-200 ms to load at every server start). Every module of
// src/server imports `Type` from here and TypeBox's types from 'typebox' with `import type`.
// Private to src/server.
import type * as T from 'typebox';
import { loadJoined } from '../deps/index.ts';

export const Type: typeof T.Type = (await loadJoined<typeof T>('typebox')).module.Type;
