export type { PlayerSession } from './sessions.ts';
export { SESSION_KEY, Sessions } from './sessions.ts';
export type { Principal, TokenInfo, TokenRole } from './tokens.ts';
export { TOKEN_ROLES, Tokens } from './tokens.ts';
