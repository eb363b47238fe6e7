import type { JsonValue } from '../encoding/index.ts';
import { CredentialError, quote } from '../errors/index.ts';

/**
 * SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): the media type `dc+sd-jwt` (and the earlier
 * `vc+sd-jwt`, still accepted from other issuers), a `vct` naming the credential type, `iss`,
 * and `cnf` for key binding. Verity issues `dc+sd-jwt`.
 */
export const SD_JWT_VC_TYPES = ['dc+sd-jwt', 'vc+sd-jwt'] as const;

/** The `typ` Verity issues. */
export const SD_JWT_VC_TYP = 'dc+sd-jwt';

/** Claims an SD-JWT VC never makes selectively disclosable (draft-ietf-oauth-sd-jwt-vc 3.2.2.2). */
export const NEVER_DISCLOSABLE = ['iss', 'nbf', 'exp', 'cnf', 'vct', 'vct#integrity', 'status'] as const;

/** True when an issuer-signed JWT header says it is an SD-JWT VC. */
export function isSdJwtVc(header: Record<string, JsonValue>): boolean {
  return (SD_JWT_VC_TYPES as readonly unknown[]).includes(header['typ']);
}

/** Checks the claims an SD-JWT VC must carry (after disclosures are applied). */
export function checkSdJwtVcClaims(claims: Record<string, JsonValue>): void {
  if (typeof claims['vct'] !== 'string' || claims['vct'].length === 0)
    throw new CredentialError('VERITY_E_VC_INVALID', 'the SD-JWT VC has no `vct` (credential type)');
  if (claims['iss'] !== undefined && typeof claims['iss'] !== 'string')
    throw new CredentialError('VERITY_E_VC_INVALID', `the SD-JWT VC \`iss\` ${quote(claims['iss'])} is not a string`);
}
