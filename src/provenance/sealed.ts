// Sealing creations' provenance (FGMV-46 7.2.4, D202): a manifest that verifies against its file
// is kept as a sealed, typed record of the vault (encrypted at rest, its write in the signed log,
// its head in the state map), so what a token refers to can be read back with its proofs and
// verified again by anyone holding the manifest's digest.

import { InputError, ProvenanceError } from '../errors/index.ts';
import type { Access, ReadResult, Vault } from '../vault/index.ts';
import {
  contentOf,
  type ProvenanceManifest,
  provenanceDigest,
  type ResolveOptions,
  type VerifiedProvenance,
  verifyManifest,
  verifyProvenance,
} from './manifest.ts';

/** The record type a sealed manifest is kept under. */
export const PROVENANCE_RECORD_TYPE = 'asset.provenance';

/** What a sealed record holds: the manifest as signed, and what a reader looks for without parsing it. */
interface SealedManifest {
  readonly manifest: string;
  readonly digest: string;
  readonly creator: string;
  readonly content: ProvenanceManifest['content'];
  readonly parents: readonly string[];
}

/** A sealed manifest: where it is, what it says, and its digest (what a token refers to). */
export interface SealedProvenance {
  readonly id: string;
  readonly version: number;
  readonly logIndex: number;
  readonly digest: string;
  readonly manifest: ProvenanceManifest;
}

export class CreationProvenance {
  readonly #vault: Vault;
  readonly #resolve: ResolveOptions;

  constructor(o: { readonly vault: Vault; readonly resolve?: ResolveOptions }) {
    this.#vault = o.vault;
    this.#resolve = o.resolve ?? {};
  }

  /**
   * Verifies `jws` against the uploaded file (signature, creator, content) and seals it as a record
   * of `subject` (the creator's player): nothing is written for a manifest that does not verify.
   */
  async seal(
    i: Access & {
      readonly jws: string;
      readonly content: Uint8Array;
      readonly subject: string;
      /** What `verifyProvenance` answered for this `jws` and `content`, when the caller checked already. */
      readonly verified?: VerifiedProvenance;
    },
  ): Promise<SealedProvenance> {
    const v =
      // Taken only for this very manifest and file; anything else is verified here.
      i.verified !== undefined &&
      i.verified.digest === provenanceDigest(i.jws) &&
      contentOf(i.content, i.verified.manifest.content.mediaType).sha256 === i.verified.manifest.content.sha256 &&
      i.content.byteLength === i.verified.manifest.content.bytes
        ? i.verified
        : await verifyProvenance(i.jws, i.content, this.#resolve);
    const data: SealedManifest = {
      manifest: i.jws,
      digest: v.digest,
      creator: v.manifest.creator,
      content: v.manifest.content,
      parents: v.manifest.parents,
    };
    const put = await this.#vault.put({
      actor: i.actor,
      purpose: i.purpose,
      ...(i.policy === undefined ? {} : { policy: i.policy }),
      subject: i.subject,
      type: PROVENANCE_RECORD_TYPE,
      data: data as unknown as Parameters<Vault['put']>[0]['data'],
      origin: 'created',
    });
    return { id: put.id, version: put.version, logIndex: put.logIndex, digest: v.digest, manifest: v.manifest };
  }

  /**
   * Reads a sealed manifest back (an audited vault read, with its proofs) and verifies it again: its
   * signature and creator, and that it is the manifest of `digest` when one is given.
   */
  async read(
    id: string,
    access: Access & { readonly digest?: string },
  ): Promise<SealedProvenance & { readonly record: ReadResult }> {
    const record = await this.#vault.get(id, access);
    if (record.meta.type !== PROVENANCE_RECORD_TYPE)
      throw new InputError('VERITY_E_INPUT_INVALID', `record ${id} is not a sealed provenance manifest`);
    const sealed = record.data as unknown as SealedManifest;
    const v = await verifyManifest(sealed.manifest, this.#resolve);
    if (v.digest !== sealed.digest || (access.digest !== undefined && access.digest !== v.digest))
      throw new ProvenanceError('VERITY_E_PROVENANCE_INVALID', 'the sealed manifest is not the one of this digest');
    return {
      id,
      version: record.meta.version,
      logIndex: record.meta.logIndex,
      digest: v.digest,
      manifest: v.manifest,
      record,
    };
  }
}
