export type { ErrorCode } from './codes.ts';
export { ERROR_CODES, httpStatusOf } from './codes.ts';
export {
  ConfigError,
  IncidentError,
  InputError,
  isVerityError,
  KeyError,
  LogError,
  quote,
  ReportError,
  StoreError,
  VaultError,
  VerityError,
  WitnessError,
} from './errors.ts';
