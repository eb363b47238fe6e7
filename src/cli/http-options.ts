/**
 * The option declarations of `serve`, `start` and `witness serve`, apart from the code that serves
 * (src/cli/http.ts): the command table and every help text read these, and a command that does not
 * serve must not load the HTTP server to print its help or run (it is most of the CLI's start time).
 */

import type { OptionSpec } from './command.ts';
import { SERVE_DID_HOST } from './identity.ts';

/** The options `serve` and `start` share. */
export const HTTP_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  host: { type: 'string', value: 'H', help: 'the address to listen on (default 127.0.0.1; others need TLS)' },
  port: { type: 'string', value: 'P', help: 'the port (default 8080; 0 picks a free one)' },
  'tls-cert': { type: 'string', value: 'F', help: 'serve HTTPS with this certificate (PEM), with --tls-key' },
  'tls-key': { type: 'string', value: 'F', help: 'the private key of --tls-cert (PEM)' },
  'tls-self-signed': { type: 'boolean', help: 'a development certificate for localhost, kept in DIR/tls/' },
  'tls-client-ca': { type: 'string', value: 'F', help: 'mutual TLS: clients must present a certificate from this CA' },
  'cors-origin': {
    type: 'string',
    value: 'URL',
    multiple: true,
    help: 'a web origin whose pages may call the API from browsers (repeatable)',
  },
  'signin-record-types': {
    type: 'string',
    value: 'T1,T2',
    help: 'the record types a player who signed in themselves (passkey or OpenID Connect) reaches: their own only',
  },
  // Passkeys (WebAuthn): on when a relying party id is given.
  'passkey-rp-id': { type: 'string', value: 'DOMAIN', help: 'serve passkey sign-in for this relying party id' },
  'passkey-origin': {
    type: 'string',
    value: 'URL',
    multiple: true,
    help: 'a web origin whose pages run passkey ceremonies (repeatable; https, or http://localhost)',
  },
  'passkey-rp-name': { type: 'string', value: 'NAME', help: 'the name authenticators show (default Verity)' },
  'passkey-vouched-enrollment': {
    type: 'string',
    value: 'limited|full',
    help: "what a passkey enrolled in a session a service opened is worth: `limited` (default), that service's session when signed in with; `full`, the player's own (the platform is trusted to enroll passkeys)",
  },
  'passkey-mds-blob': {
    type: 'string',
    value: 'F',
    help: 'a FIDO MDS3 metadata blob (JWT) for the authenticator policy',
  },
  'passkey-mds-root': { type: 'string', value: 'F', help: 'the root certificate (PEM) the MDS3 blob is signed under' },
  'passkey-hardware-for': {
    type: 'string',
    value: 'OPS',
    help: 'operations that demand a hardware-backed authenticator: signin,step-up (with --passkey-mds-blob)',
  },
  // Server logs (JSON lines on standard output by default): resolved once by `logSettings`.
  'log-level': { type: 'string', value: 'LEVEL', help: 'log level (or VERITY_LOG_LEVEL): fatal ... trace, silent' },
  'log-format': { type: 'string', value: 'FMT', help: 'log format (or VERITY_LOG_FORMAT): json or pretty' },
  ...SERVE_DID_HOST,
  // Verity's view of a chain (the embedded chain unless given, D321): contract events indexed into
  // the authenticated state.
  chain: {
    type: 'string',
    value: 'URL',
    help: "the EVM chain to use: `embedded` (the default: this data directory's own chain, kept in chain.journal), `in-process` (a throwaway development chain), a JSON-RPC URL (with --chain-contracts), or `none`",
  },
  'chain-contracts': {
    type: 'string',
    value: 'A,B,C[,D]',
    help: 'the addresses of the CheckpointAnchor, DataSharingAgreement and VirtualGoods contracts on --chain URL, and VirtualEditions as a fourth',
  },
  'chain-confirmations': {
    type: 'string',
    value: 'N',
    help: 'blocks a block must be deep before it is indexed (default 2; 0 for `embedded` and `in-process`)',
  },
  'chain-anchor-every': {
    type: 'string',
    value: 'DURATION',
    help: "anchor the log's latest checkpoint on chain every DURATION (30s, 10m, 1h), skipped when the log did not grow (on a JSON-RPC chain by the platform's account, which needs the anchoring role)",
  },
  'chain-siwe-domain': {
    type: 'string',
    value: 'HOST',
    help: "the domain a player's EIP-4361 message must name to bind an address (default: the server's own, --did-host or its address and port; never a request's Host header)",
  },
};

/** The witness options of `serve` and `start`. */
export const WITNESS_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  witness: {
    type: 'string',
    value: 'URL=KEY',
    multiple: true,
    help: 'a witness (URL prefix and its `verity witness key`) to send checkpoints to (repeatable)',
  },
  'witness-quorum': {
    type: 'string',
    value: 'K',
    help: 'start only when K witnesses cosign the current checkpoint; serve checkpoints K cosigned (default 0)',
  },
};
