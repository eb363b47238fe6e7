export type { ErrorCode } from './codes.ts';
export { ERROR_CODES, httpStatusOf } from './codes.ts';
export {
  ConfigError,
  InputError,
  isVerityError,
  KeyError,
  LogError,
  PrivacyError,
  quote,
  StoreError,
  VaultError,
  VerityError,
  WitnessError,
} from './errors.ts';
