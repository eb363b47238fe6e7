export type { ServerOptions } from './app.ts';
export { buildServer, checkCorsOrigins } from './app.ts';
export { OPENAPI } from './openapi.ts';
