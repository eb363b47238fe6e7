export type { Principal, TokenInfo, TokenRole } from './tokens.ts';
export { TOKEN_ROLES, Tokens } from './tokens.ts';
