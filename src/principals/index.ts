export { checkSessionId, SESSION_KEY } from './session-token.ts';
export type {
  OpenedSession,
  PlayerSession,
  SessionAccess,
  SessionInfo,
  SessionMethod,
} from './sessions.ts';
export { Sessions, STEP_UP_KIND, STEP_UP_WINDOW_MS } from './sessions.ts';
export type { SignIn, SignInContext, SignInScorer } from './sign-in.ts';
export type { Capability, Principal, TokenInfo, TokenRole } from './tokens.ts';
export { CAPABILITIES, checkTokenId, TOKEN_ROLES, Tokens } from './tokens.ts';
