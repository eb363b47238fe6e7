export type { ServerOptions } from './app.ts';
export { buildServer, checkCorsOrigins } from './app.ts';
export type { IdentityRoutesOptions } from './identity.ts';
export type { SignInLimit } from './limiter.ts';
export { AddressLimiter, DEFAULT_SIGNIN_LIMIT } from './limiter.ts';
export type { LogFormat, LogLevel, LogOptions } from './logging.ts';
export { LOG_FORMATS, LOG_LEVELS } from './logging.ts';
export type { WitnessServerOptions } from './witness.ts';
export { buildWitnessServer } from './witness.ts';
