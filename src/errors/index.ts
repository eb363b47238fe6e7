export type { ErrorCode } from './codes.ts';
export { ERROR_CODES, httpStatusOf } from './codes.ts';
export {
  ConfigError,
  InputError,
  isVerityError,
  KeyError,
  LogError,
  quote,
  RetentionError,
  RightsError,
  StoreError,
  VaultError,
  VerityError,
  WitnessError,
} from './errors.ts';
