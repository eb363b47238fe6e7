export { bootMeasurement } from './measured.ts';
export type {
  BootEvent,
  CollectOptions,
  FileGroup,
  Measurement,
  ReleaseFile,
  ReleaseManifest,
  RootKey,
} from './release.ts';
export {
  BootFailure,
  collectRelease,
  DEFAULT_MANIFEST,
  GROUPS,
  manifestText,
  measure,
  parseManifestText,
  parseRootKey,
  RELEASE_FORMAT,
  verifyRelease,
} from './release.ts';
