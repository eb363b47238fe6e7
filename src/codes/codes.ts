/**
 * The one table of Verity error codes. A code never changes meaning once it has shipped.
 * `status` is the HTTP status an interface answers with; `area` groups codes by capability.
 */
export const ERROR_CODES = {
  // input validation (any boundary)
  VERITY_E_INPUT_INVALID: { status: 400, area: 'input' },
  VERITY_E_INPUT_TOO_LARGE: { status: 413, area: 'input' },
  VERITY_E_INPUT_MALFORMED: { status: 400, area: 'input' },
  VERITY_E_INPUT_MEDIA_TYPE: { status: 415, area: 'input' },
  VERITY_E_RATE_LIMITED: { status: 429, area: 'input' },
  // configuration and environment
  VERITY_E_CONFIG_INVALID: { status: 500, area: 'config' },
  VERITY_E_DATA_DIR: { status: 500, area: 'config' },
  // keys and envelopes
  VERITY_E_KEY_PASSPHRASE: { status: 500, area: 'keys' },
  VERITY_E_KEY_NOT_FOUND: { status: 404, area: 'keys' },
  VERITY_E_KEY_DESTROYED: { status: 410, area: 'keys' },
  VERITY_E_KEY_IN_USE: { status: 409, area: 'keys' },
  VERITY_E_KEYSTORE_CORRUPT: { status: 500, area: 'keys' },
  VERITY_E_KEY_PROCESS_DOWN: { status: 503, area: 'keys' },
  VERITY_E_ENVELOPE_INVALID: { status: 500, area: 'keys' },
  VERITY_E_HSM_MODULE: { status: 500, area: 'keys' },
  VERITY_E_HSM_TOKEN_NOT_FOUND: { status: 503, area: 'keys' },
  VERITY_E_HSM_PIN: { status: 500, area: 'keys' },
  VERITY_E_HSM_FAILED: { status: 502, area: 'keys' },
  // storage
  VERITY_E_STORE_UNAVAILABLE: { status: 503, area: 'store' },
  VERITY_E_STORE_CORRUPT: { status: 500, area: 'store' },
  VERITY_E_STORE_CONFLICT: { status: 409, area: 'store' },
  // store
  VERITY_E_STORE_LAYOUT_NEWER: { status: 503, area: 'store' },
  // transparency log
  VERITY_E_LOG_PROOF_INVALID: { status: 422, area: 'log' },
  VERITY_E_LOG_NOTE_INVALID: { status: 422, area: 'log' },
  VERITY_E_LOG_SIGNATURE_INVALID: { status: 422, area: 'log' },
  VERITY_E_LOG_CHECKPOINT_INVALID: { status: 422, area: 'log' },
  VERITY_E_LOG_ROLLBACK: { status: 409, area: 'log' },
  VERITY_E_LOG_FORK: { status: 409, area: 'log' },
  VERITY_E_LOG_TAMPERED: { status: 500, area: 'log' },
  VERITY_E_STATE_TAMPERED: { status: 500, area: 'log' },
  VERITY_E_STATE_PROOF_INVALID: { status: 422, area: 'log' },
  VERITY_E_LOG_RANGE: { status: 404, area: 'log' },
  // vault
  VERITY_E_RECORD_NOT_FOUND: { status: 404, area: 'vault' },
  VERITY_E_RECORD_ERASED: { status: 410, area: 'vault' },
  VERITY_E_RECORD_SCHEMA: { status: 422, area: 'vault' },
  VERITY_E_RECORD_TYPE_UNKNOWN: { status: 422, area: 'vault' },
  VERITY_E_RECORD_STATE: { status: 409, area: 'vault' },
  VERITY_E_SUBJECT_SHREDDED: { status: 410, area: 'vault' },
  // access control
  VERITY_E_POLICY_INVALID: { status: 422, area: 'access' },
  VERITY_E_POLICY_NOT_INSTALLED: { status: 409, area: 'access' },
  VERITY_E_ACCESS_DENIED: { status: 403, area: 'access' },
  VERITY_E_UNAUTHENTICATED: { status: 401, area: 'access' },
  VERITY_E_SESSION_NOT_FOUND: { status: 404, area: 'access' },
  // platform sign-in (OpenID Connect)
  VERITY_E_OIDC_TOKEN_INVALID: { status: 401, area: 'oidc' },
  VERITY_E_OIDC_NONCE_INVALID: { status: 401, area: 'oidc' },
  VERITY_E_OIDC_ISSUER_NOT_TRUSTED: { status: 401, area: 'oidc' },
  VERITY_E_OIDC_ISSUER_NOT_FOUND: { status: 404, area: 'oidc' },
  VERITY_E_OIDC_ISSUER_EXISTS: { status: 409, area: 'oidc' },
  VERITY_E_OIDC_JWKS_UNAVAILABLE: { status: 503, area: 'oidc' },
  // de-identification
  VERITY_E_PRIVACY_BUDGET: { status: 403, area: 'privacy' },
  VERITY_E_ANONYMITY_UNREACHABLE: { status: 422, area: 'privacy' },
  // http
  VERITY_E_HTTP_ROUTE_NOT_FOUND: { status: 404, area: 'http' },
  VERITY_E_HTTP_TIMEOUT: { status: 408, area: 'http' },
  VERITY_E_HTTP_URI_TOO_LONG: { status: 414, area: 'http' },
  VERITY_E_HTTP_HEADERS_TOO_LARGE: { status: 431, area: 'http' },
  VERITY_E_TRUST_CENTER_UNBUILT: { status: 503, area: 'http' },
  // generic
  VERITY_E_INTERNAL: { status: 500, area: 'internal' },
  VERITY_E_CLOSED: { status: 503, area: 'internal' },
  // secure boot and remote attestation (FGMV-46 7.3.3)
  VERITY_E_BOOT_ROOT_INVALID: { status: 500, area: 'boot' },
  VERITY_E_BOOT_MANIFEST_INVALID: { status: 500, area: 'boot' },
  VERITY_E_BOOT_SIGNATURE_INVALID: { status: 500, area: 'boot' },
  VERITY_E_BOOT_FILE_CHANGED: { status: 500, area: 'boot' },
  VERITY_E_BOOT_FILE_ADDED: { status: 500, area: 'boot' },
  VERITY_E_BOOT_FILE_MISSING: { status: 500, area: 'boot' },
  VERITY_E_BOOT_UNMEASURED: { status: 500, area: 'boot' },
  VERITY_E_ATTESTATION_UNAVAILABLE: { status: 503, area: 'boot' },
  VERITY_E_ATTESTATION_INVALID: { status: 422, area: 'boot' },
  VERITY_E_ATTESTATION_NONCE: { status: 422, area: 'boot' },
  VERITY_E_ATTESTATION_MEASUREMENT: { status: 422, area: 'boot' },
  VERITY_E_ATTESTATION_KEY: { status: 422, area: 'boot' },
  // errors-cleanup: codes added when every error reachable from untrusted input got a code
  VERITY_E_INPUT_EMPTY: { status: 400, area: 'input' },
  // end errors-cleanup
  // witnesses (C2SP tlog-witness, tlog-cosignature)
  VERITY_E_WITNESS_KEY_INVALID: { status: 400, area: 'witness' },
  VERITY_E_WITNESS_REQUEST_INVALID: { status: 400, area: 'witness' },
  VERITY_E_WITNESS_SIGNATURE_INVALID: { status: 403, area: 'witness' },
  VERITY_E_WITNESS_LOG_UNKNOWN: { status: 404, area: 'witness' },
  VERITY_E_WITNESS_CONFLICT: { status: 409, area: 'witness' },
  VERITY_E_WITNESS_PROOF_INVALID: { status: 422, area: 'witness' },
  VERITY_E_WITNESS_QUORUM: { status: 422, area: 'witness' },
  VERITY_E_WITNESS_ROLLBACK: { status: 409, area: 'witness' },
  VERITY_E_WITNESS_FORK: { status: 409, area: 'witness' },
  VERITY_E_WITNESS_REFUSED: { status: 502, area: 'witness' },
  VERITY_E_WITNESS_RESPONSE_INVALID: { status: 502, area: 'witness' },
  VERITY_E_WITNESS_UNAVAILABLE: { status: 503, area: 'witness' },
  VERITY_E_WITNESS_DIR: { status: 500, area: 'witness' },
  // passkeys (WebAuthn Level 3, FIDO MDS3)
  VERITY_E_PASSKEY_CHALLENGE: { status: 401, area: 'passkey' },
  VERITY_E_PASSKEY_INVALID: { status: 401, area: 'passkey' },
  VERITY_E_PASSKEY_UNKNOWN: { status: 401, area: 'passkey' },
  VERITY_E_PASSKEY_COUNTER: { status: 401, area: 'passkey' },
  VERITY_E_PASSKEY_RECOVERY: { status: 401, area: 'passkey' },
  VERITY_E_PASSKEY_AUTHENTICATOR: { status: 403, area: 'passkey' },
  VERITY_E_PASSKEY_EXISTS: { status: 409, area: 'passkey' },
  VERITY_E_PASSKEY_LIMIT: { status: 409, area: 'passkey' },
  VERITY_E_PASSKEY_NOT_FOUND: { status: 404, area: 'passkey' },
  VERITY_E_PASSKEY_METADATA: { status: 422, area: 'passkey' },
  // risk scoring and step-up authentication
  VERITY_E_RISK_EVENT_INVALID: { status: 400, area: 'risk' },
  VERITY_E_RISK_MODEL_INVALID: { status: 422, area: 'risk' },
  VERITY_E_STEP_UP_REQUIRED: { status: 401, area: 'access' },
  // decentralized identifiers (did:key, did:web)
  VERITY_E_DID_INVALID: { status: 400, area: 'did' },
  VERITY_E_DID_UNSUPPORTED: { status: 422, area: 'did' },
  VERITY_E_DID_NOT_FOUND: { status: 404, area: 'did' },
  VERITY_E_DID_RESOLUTION_FAILED: { status: 502, area: 'did' },
  // verifiable credentials (SD-JWT VC, Token Status List)
  VERITY_E_VC_INVALID: { status: 422, area: 'vc' },
  VERITY_E_VC_SIGNATURE_INVALID: { status: 422, area: 'vc' },
  VERITY_E_VC_DISCLOSURE_INVALID: { status: 422, area: 'vc' },
  VERITY_E_VC_KEY_BINDING_INVALID: { status: 422, area: 'vc' },
  VERITY_E_VC_ALG_UNSUPPORTED: { status: 422, area: 'vc' },
  VERITY_E_VC_EXPIRED: { status: 422, area: 'vc' },
  VERITY_E_VC_REVOKED: { status: 422, area: 'vc' },
  VERITY_E_VC_SUSPENDED: { status: 422, area: 'vc' },
  VERITY_E_VC_ISSUER_UNTRUSTED: { status: 403, area: 'vc' },
  VERITY_E_VC_STATUS_UNAVAILABLE: { status: 502, area: 'vc' },
  VERITY_E_VC_NOT_FOUND: { status: 404, area: 'vc' },
  VERITY_E_VC_EVIDENCE_REQUIRED: { status: 422, area: 'vc' },
  // privacy policy as code and consent
  VERITY_E_POLICY_DOCUMENT_INVALID: { status: 422, area: 'privacy' },
  VERITY_E_POLICY_UNKNOWN_PURPOSE: { status: 400, area: 'privacy' },
  VERITY_E_POLICY_UNKNOWN_CATEGORY: { status: 400, area: 'privacy' },
  VERITY_E_POLICY_VERSION_CONFLICT: { status: 409, area: 'privacy' },
  VERITY_E_CONSENT_REQUIRED: { status: 403, area: 'privacy' },
  VERITY_E_CONSENT_OPTED_OUT: { status: 403, area: 'privacy' },
  // access reports and privacy labels (FGMV-46 7.1.5, 7.4.2)
  VERITY_E_REPORT_MALFORMED: { status: 400, area: 'reports' },
  VERITY_E_REPORT_INVALID: { status: 422, area: 'reports' },
  VERITY_E_REPORT_INDEX_INCOMPLETE: { status: 500, area: 'reports' },
  VERITY_E_REPORT_TYPE_UNKNOWN: { status: 404, area: 'reports' },
  // incident register (GDPR Art. 33)
  VERITY_E_INCIDENT_NOT_FOUND: { status: 404, area: 'incidents' },
  VERITY_E_INCIDENT_STATE: { status: 409, area: 'incidents' },
  VERITY_E_INCIDENT_SCAN_LIMIT: { status: 422, area: 'incidents' },
  // data-subject rights
  VERITY_E_RIGHTS_REQUEST_NOT_FOUND: { status: 404, area: 'rights' },
  VERITY_E_RIGHTS_REQUEST_STATE: { status: 409, area: 'rights' },
  VERITY_E_RIGHTS_EXTENSION_REFUSED: { status: 409, area: 'rights' },
  VERITY_E_RIGHTS_REGIME_UNKNOWN: { status: 400, area: 'rights' },
  VERITY_E_RIGHTS_RESTRICTED: { status: 403, area: 'rights' },
  VERITY_E_RIGHTS_OBJECTED: { status: 403, area: 'rights' },
  VERITY_E_RIGHTS_NOT_IN_FORCE: { status: 409, area: 'rights' },
  VERITY_E_RIGHTS_BUNDLE_INVALID: { status: 422, area: 'rights' },
  VERITY_E_RIGHTS_PROCESSOR_NOT_FOUND: { status: 404, area: 'rights' },
  VERITY_E_RIGHTS_WEBHOOK_SIGNATURE: { status: 401, area: 'rights' },
  // retention
  VERITY_E_RETENTION_RULES_INVALID: { status: 400, area: 'retention' },
  // community governance (FGMV-46 7.4.3, 7.4.5)
  VERITY_E_GOVERNANCE_NOT_FOUND: { status: 404, area: 'governance' },
  VERITY_E_GOVERNANCE_STATE: { status: 409, area: 'governance' },
  VERITY_E_GOVERNANCE_ROLE: { status: 403, area: 'governance' },
  VERITY_E_GOVERNANCE_VOTER_UNVERIFIED: { status: 403, area: 'governance' },
  VERITY_E_GOVERNANCE_ALREADY_VOTED: { status: 409, area: 'governance' },
  VERITY_E_GOVERNANCE_TIMELOCK: { status: 409, area: 'governance' },
  VERITY_E_GOVERNANCE_TALLY_INVALID: { status: 422, area: 'governance' },
  // updates and patches (FGMV-46 7.3.5)
  VERITY_E_UPDATE_REPOSITORY: { status: 400, area: 'updates' },
  VERITY_E_UPDATE_NOT_CONFIGURED: { status: 409, area: 'updates' },
  VERITY_E_UPDATE_REFUSED: { status: 422, area: 'updates' },
  VERITY_E_UPDATE_UNREACHABLE: { status: 503, area: 'updates' },
  VERITY_E_UPDATE_CONTENT_INVALID: { status: 422, area: 'updates' },
  VERITY_E_UPDATE_NO_PREVIOUS: { status: 409, area: 'updates' },
  VERITY_E_UPDATE_BUSY: { status: 409, area: 'updates' },
  VERITY_E_UPDATE_ADVISORIES_INVALID: { status: 400, area: 'updates' },
  // end-to-end encrypted rooms (MLS, RFC 9420): the delivery and authentication service
  VERITY_E_MLS_MESSAGE_INVALID: { status: 422, area: 'mls' },
  VERITY_E_MLS_CIPHERSUITE: { status: 422, area: 'mls' },
  VERITY_E_MLS_CREDENTIAL: { status: 403, area: 'mls' },
  VERITY_E_MLS_KEY_PACKAGE_LIMIT: { status: 409, area: 'mls' },
  VERITY_E_MLS_NO_KEY_PACKAGE: { status: 404, area: 'mls' },
  VERITY_E_MLS_ROOM_NOT_FOUND: { status: 404, area: 'mls' },
  VERITY_E_MLS_ROOM_EXISTS: { status: 409, area: 'mls' },
  VERITY_E_MLS_NOT_MEMBER: { status: 403, area: 'mls' },
  VERITY_E_MLS_STALE_EPOCH: { status: 409, area: 'mls' },
  VERITY_E_MLS_REPORT_FORGED: { status: 422, area: 'mls' },
  VERITY_E_MLS_REPORT_NOT_FOUND: { status: 404, area: 'mls' },
  // smart contracts and digital assets (an EVM chain, D180-D186, D210-D216)
  VERITY_E_CHAIN_UNAVAILABLE: { status: 503, area: 'chain' },
  VERITY_E_CHAIN_NO_FUNDS: { status: 503, area: 'chain' },
  VERITY_E_CHAIN_NOT_DEPLOYED: { status: 404, area: 'chain' },
  VERITY_E_CHAIN_NOT_AUTHORIZED: { status: 403, area: 'chain' },
  VERITY_E_CHAIN_LICENCE_REFUSED: { status: 403, area: 'chain' },
  VERITY_E_CHAIN_AGREEMENT_INVALID: { status: 422, area: 'chain' },
  VERITY_E_CHAIN_CONFLICT: { status: 409, area: 'chain' },
  VERITY_E_CHAIN_ANCHOR_STALE: { status: 409, area: 'chain' },
  VERITY_E_CHAIN_NOT_ANCHORED: { status: 404, area: 'chain' },
  VERITY_E_CHAIN_ANCHOR_MISMATCH: { status: 422, area: 'chain' },
  VERITY_E_CHAIN_REVERTED: { status: 422, area: 'chain' },
  // provenance of creations (D202)
  VERITY_E_PROVENANCE_INVALID: { status: 422, area: 'provenance' },
  VERITY_E_PROVENANCE_CONTENT: { status: 422, area: 'provenance' },
  VERITY_E_PROVENANCE_CREATOR: { status: 422, area: 'provenance' },
  // key transparency alarms, raised by clients (the SDK's MlsClient) against what the service showed
  VERITY_E_MLS_KEY_UNPROVEN: { status: 502, area: 'mls' },
  VERITY_E_MLS_SPLIT_VIEW: { status: 502, area: 'mls' },
  // Verity's index of the chain (D210-D213)
  VERITY_E_CHAIN_REORG_TOO_DEEP: { status: 409, area: 'chain' },
  VERITY_E_CHAIN_NOT_INDEXED: { status: 404, area: 'chain' },
  // the embedded chain's journal (D321)
  VERITY_E_CHAIN_JOURNAL: { status: 503, area: 'chain' },
  // reads under data-sharing agreements and the binding of players to addresses (D230-D232)
  VERITY_E_CHAIN_BINDING_INVALID: { status: 422, area: 'chain' },
  // no domain for EIP-4361 messages: the server names none (D415)
  VERITY_E_CHAIN_SIWE_DOMAIN_UNSET: { status: 503, area: 'chain' },
  VERITY_E_AGREEMENT_REQUIRED: { status: 403, area: 'chain' },
  // custodial wallets (D240-D246)
  VERITY_E_WALLET_NOT_FOUND: { status: 404, area: 'wallets' },
  VERITY_E_WALLET_STEP_UP: { status: 403, area: 'wallets' },
  VERITY_E_WALLET_SIGNATURE: { status: 422, area: 'wallets' },
} as const satisfies Record<string, { status: number; area: string }>;

/** Every stable Verity error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status that belongs to a code. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
