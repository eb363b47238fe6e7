// The passkey options of `verity serve` and `verity start`, read into a PasskeyConfig (kept apart
// from the server's other settings in http.ts).
import { readFile } from 'node:fs/promises';
import {
  AuthenticatorPolicy,
  PASSKEY_OPERATIONS,
  type PasskeyConfig,
  type PasskeyOperation,
  resolvePasskeyConfig,
} from '../passkeys/index.ts';
import { usage, type Values } from './command.ts';
import { list, opt } from './common.ts';

/**
 * The passkey configuration of `serve` and `start` (undefined without `--passkey-rp-id`): origins,
 * and the authenticator policy of a FIDO MDS3 blob verified against its root at start-up.
 */
export async function passkeysFrom(values: Values): Promise<PasskeyConfig | undefined> {
  const rpId = opt(values, 'passkey-rp-id');
  const origins = list(values, 'passkey-origin');
  const blobFile = opt(values, 'passkey-mds-blob');
  const rootFile = opt(values, 'passkey-mds-root');
  const hardware = opt(values, 'passkey-hardware-for');
  const enrollment = opt(values, 'passkey-vouched-enrollment');
  if (rpId === undefined) {
    if (
      origins.length > 0 ||
      blobFile !== undefined ||
      rootFile !== undefined ||
      hardware !== undefined ||
      enrollment !== undefined
    )
      usage('the passkey options need --passkey-rp-id DOMAIN');
    return undefined;
  }
  if (origins.length === 0) usage('give the web origin of your sign-in page with --passkey-origin URL');
  if ((blobFile === undefined) !== (rootFile === undefined))
    usage('--passkey-mds-blob and --passkey-mds-root go together');
  const hardwareFor = (hardware ?? '').split(',').filter((x) => x !== '');
  for (const op of hardwareFor)
    if (!PASSKEY_OPERATIONS.includes(op as PasskeyOperation))
      usage(`--passkey-hardware-for takes ${PASSKEY_OPERATIONS.join(', ')} separated by commas`);
  if (hardwareFor.length > 0 && blobFile === undefined)
    usage('--passkey-hardware-for needs the metadata of --passkey-mds-blob to know what is hardware');
  const policy =
    blobFile === undefined || rootFile === undefined
      ? undefined
      : await AuthenticatorPolicy.fromBlob(await readFile(blobFile, 'utf8'), {
          rootPem: await readFile(rootFile, 'utf8'),
          hardwareFor: hardwareFor as PasskeyOperation[],
          now: Date.now(),
        });
  if (enrollment !== undefined && enrollment !== 'limited' && enrollment !== 'full')
    usage('--passkey-vouched-enrollment is `limited` or `full`');
  const config = {
    rpId,
    rpName: opt(values, 'passkey-rp-name') ?? 'Verity',
    origins,
    ...(policy === undefined ? {} : { policy }),
    ...(enrollment === undefined ? {} : { vouchedEnrollment: enrollment as 'limited' | 'full' }),
  };
  // Refused here, before the data directory is opened, with what to fix.
  resolvePasskeyConfig(config);
  return config;
}
