export type { ErrorCode } from './codes.ts';
export { ERROR_CODES, httpStatusOf } from './codes.ts';
export {
  ConfigError,
  CredentialError,
  DidError,
  GovernanceError,
  IncidentError,
  InputError,
  isVerityError,
  KeyError,
  LogError,
  MlsError,
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
