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
  // configuration and environment
  VERITY_E_CONFIG_INVALID: { status: 500, area: 'config' },
  VERITY_E_DATA_DIR: { status: 500, area: 'config' },
  // keys and envelopes
  VERITY_E_KEY_PASSPHRASE: { status: 500, area: 'keys' },
  VERITY_E_KEY_NOT_FOUND: { status: 404, area: 'keys' },
  VERITY_E_KEY_DESTROYED: { status: 410, area: 'keys' },
  VERITY_E_KEY_IN_USE: { status: 409, area: 'keys' },
  VERITY_E_KEYSTORE_CORRUPT: { status: 500, area: 'keys' },
  VERITY_E_ENVELOPE_INVALID: { status: 500, area: 'keys' },
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
  VERITY_E_ACCESS_DENIED: { status: 403, area: 'access' },
  VERITY_E_UNAUTHENTICATED: { status: 401, area: 'access' },
  VERITY_E_SESSION_NOT_FOUND: { status: 404, area: 'access' },
  // de-identification
  VERITY_E_PRIVACY_BUDGET: { status: 403, area: 'privacy' },
  VERITY_E_ANONYMITY_UNREACHABLE: { status: 422, area: 'privacy' },
  // http
  VERITY_E_HTTP_ROUTE_NOT_FOUND: { status: 404, area: 'http' },
  VERITY_E_HTTP_TIMEOUT: { status: 408, area: 'http' },
  VERITY_E_HTTP_URI_TOO_LONG: { status: 414, area: 'http' },
  VERITY_E_HTTP_HEADERS_TOO_LARGE: { status: 431, area: 'http' },
  // generic
  VERITY_E_INTERNAL: { status: 500, area: 'internal' },
  VERITY_E_CLOSED: { status: 503, area: 'internal' },
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
  // data-subject rights
  VERITY_E_RIGHTS_REQUEST_NOT_FOUND: { status: 404, area: 'rights' },
  VERITY_E_RIGHTS_REQUEST_STATE: { status: 409, area: 'rights' },
  VERITY_E_RIGHTS_EXTENSION_REFUSED: { status: 409, area: 'rights' },
  VERITY_E_RIGHTS_REGIME_UNKNOWN: { status: 400, area: 'rights' },
  VERITY_E_RIGHTS_RESTRICTED: { status: 403, area: 'rights' },
  VERITY_E_RIGHTS_OBJECTED: { status: 403, area: 'rights' },
  VERITY_E_RIGHTS_BUNDLE_INVALID: { status: 422, area: 'rights' },
  VERITY_E_RIGHTS_PROCESSOR_NOT_FOUND: { status: 404, area: 'rights' },
  VERITY_E_RIGHTS_WEBHOOK_SIGNATURE: { status: 401, area: 'rights' },
  // retention
  VERITY_E_RETENTION_RULES_INVALID: { status: 400, area: 'retention' },
} as const satisfies Record<string, { status: number; area: string }>;

/** Every stable Verity error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status that belongs to a code. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
