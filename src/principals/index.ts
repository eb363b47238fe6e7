export type {
  OpenedSession,
  PlayerSession,
  SessionAccess,
  SessionInfo,
  SessionMethod,
  SignIn,
  SignInContext,
  SignInScorer,
} from './sessions.ts';
export { checkSessionId, SESSION_KEY, Sessions, STEP_UP_KIND, STEP_UP_WINDOW_MS } from './sessions.ts';
export type { Capability, Principal, TokenInfo, TokenRole } from './tokens.ts';
export { CAPABILITIES, checkTokenId, TOKEN_ROLES, Tokens } from './tokens.ts';
