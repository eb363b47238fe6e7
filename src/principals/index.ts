export type { OpenedSession, PlayerSession, SessionAccess, SessionInfo, SessionMethod, SignIn } from './sessions.ts';
export { checkSessionId, SESSION_KEY, Sessions } from './sessions.ts';
export type { Capability, Principal, TokenInfo, TokenRole } from './tokens.ts';
export { CAPABILITIES, checkTokenId, TOKEN_ROLES, Tokens } from './tokens.ts';
