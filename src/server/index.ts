export type { ServerOptions } from './app.ts';
export { buildServer } from './app.ts';
export { OPENAPI } from './openapi.ts';
