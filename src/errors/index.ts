export type { ErrorCode } from './codes.ts';
export { ERROR_CODES, httpStatusOf } from './codes.ts';
export {
  AttestationError,
  ConfigError,
  CredentialError,
  DidError,
  GovernanceError,
  IncidentError,
  InputError,
  isVerityError,
  KeyError,
  LogError,
  PrivacyError,
  quote,
  ReportError,
  RetentionError,
  RightsError,
  StoreError,
  UpdateError,
  VaultError,
  VerityError,
  WitnessError,
} from './errors.ts';
