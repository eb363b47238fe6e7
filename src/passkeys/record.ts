import type { ObjectRow } from '../store/index.ts';

/** Object kind of a registered passkey (id: its credential id, owner: the player's subject ref). */
export const PASSKEY_KIND = 'passkey';

/** A passkey as stored in authenticated state (the object's JSON body). */
export interface PasskeyBody {
  /** COSE public key, base64url. */
  readonly publicKey: string;
  /** The authenticator's signature counter as last seen (0: the authenticator keeps none). */
  readonly counter: number;
  readonly transports: readonly string[];
  /** Authenticator model (AAGUID), all zeros when the authenticator does not say. */
  readonly aaguid: string;
  /** Attestation statement format at registration (`packed`, `tpm`, `none`, ...). */
  readonly fmt: string;
  /** Whether the credential is synced (backup eligible) and currently backed up. */
  readonly multiDevice: boolean;
  readonly backedUp: boolean;
  /** Whether the authenticator policy found it hardware-backed (attested to an MDS3 root). */
  readonly hardware: boolean;
  /** The WebAuthn user handle given at registration (a MAC of the subject ref, base64url). */
  readonly userHandle: string;
  readonly deviceName: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  /** When set at or before now, the passkey is revoked and every session it opened ends. */
  readonly revokedAt: number | null;
  /** Why it was taken out of use by the server (`counter-regression`: a likely clone). */
  readonly flagged: string | null;
  /**
   * The token of the service whose session enrolled it, when a service vouched for the player there
   * (D432): its sign-ins are sessions of that token, with that service's reach, not the player's own.
   */
  readonly vouchedBy?: { readonly tokenId: string };
}

/** The body of a stored passkey row; undefined when it does not parse as one (refused at use). */
export function passkeyBody(o: ObjectRow): PasskeyBody | undefined {
  try {
    const b = JSON.parse(o.body) as Partial<PasskeyBody>;
    if (typeof b.publicKey !== 'string' || typeof b.counter !== 'number' || typeof b.userHandle !== 'string')
      return undefined;
    return b as PasskeyBody;
  } catch {
    return undefined;
  }
}

/** Whether a passkey is in use at `now`. */
export function isLive(b: PasskeyBody, now: number): boolean {
  return b.flagged === null && (b.revokedAt === null || b.revokedAt > now);
}

/** A passkey as its owner sees it in a listing (never its key). */
export interface PasskeyInfo {
  readonly id: string;
  readonly deviceName: string;
  readonly fmt: string;
  readonly aaguid: string;
  readonly hardware: boolean;
  readonly multiDevice: boolean;
  readonly backedUp: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly flagged: string | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function passkeyInfo(id: string, b: PasskeyBody): PasskeyInfo {
  return {
    id,
    deviceName: b.deviceName,
    fmt: b.fmt,
    aaguid: b.aaguid,
    hardware: b.hardware,
    multiDevice: b.multiDevice,
    backedUp: b.backedUp,
    createdAt: new Date(b.createdAt).toISOString(),
    lastUsedAt: iso(b.lastUsedAt),
    revokedAt: iso(b.revokedAt),
    flagged: b.flagged,
  };
}
