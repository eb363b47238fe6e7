// The key directory of the MLS authentication service (RFC 9420 3, 5.3; FGMV-46 7.2.1): players'
// KeyPackages, published and consumed once (a last-resort one kept), and each player's key entry
// (signature keys and unclaimed KeyPackage references) that key transparency proves
// (transparency.ts). The delivery service (delivery.ts) builds on it. Objects:
//   kind `mls.keypackage`  id KEYPACKAGEREF  owner PLAYER  a published, unclaimed KeyPackage
//   kind `mls.claim`       id KEYPACKAGEREF  owner PLAYER  a claimed one, until a Welcome uses it
//   kind `mls.keys`        id PLAYER         owner PLAYER  the player's key entry
import type { CiphersuiteName } from 'ts-mls';
import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { fromBase64Url, parseJson, toBase64Url } from '../encoding/index.ts';
import { InputError, MlsError, quote } from '../errors/index.ts';
import type { LogBatch, TransparencyLog } from '../log/index.ts';
import { newObject, nextObject, type ObjectRow, type Store, type StoreWriter } from '../store/index.ts';
import { KEYS_KIND, type KeyProofs, proveKeys } from './transparency.ts';
import { checkKeyPackage, DEFAULT_CIPHERSUITES, decodeMessage, invalid } from './wire.ts';

export const KEY_PACKAGE_KIND = 'mls.keypackage';
export const CLAIM_KIND = 'mls.claim';
/** Signature keys kept in a player's key entry (the oldest dropped beyond). */
export const MAX_SIGNATURE_KEYS = 64;
/** The purpose every MLS log entry names. */
export const MLS_PURPOSE = 'communication';
const ACTOR = 'service:mls';
/** A player id as the caller's authentication gives it: no `/`, so queue ids split unambiguously. */
const PLAYER_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

export interface MlsDirectoryOptions {
  readonly store: Store;
  readonly log: TransparencyLog;
  readonly clock?: Clock;
  /** Ciphersuites accepted (default: the mandatory X25519, AES-128-GCM, SHA-256, Ed25519). */
  readonly ciphersuites?: readonly CiphersuiteName[];
  /** Unclaimed KeyPackages kept per player, last resort aside (default 100). */
  readonly maxKeyPackages?: number;
}

export interface KeyPackageDoc {
  readonly keyPackage: string;
  readonly ciphersuite: CiphersuiteName;
  readonly lastResort: boolean;
  readonly notAfter: number;
  readonly publishedAt: number;
}

/** The body of a `mls.keys` object: what key transparency proves about a player. */
export interface KeyEntry {
  /** The identity (player id) the keys are bound to: the object's id. */
  readonly identity: string;
  /** Signature public keys (base64url), oldest first: each one signed a KeyPackage naming the identity. */
  readonly signatureKeys: readonly string[];
  /** References (base64url) of the player's KeyPackages published and not yet claimed. */
  readonly keyPackages: readonly string[];
}

/**
 * The player's key entry changed by `change` in the transaction: a new signature key appended
 * (the oldest dropped past MAX_SIGNATURE_KEYS), KeyPackage references added or removed.
 */
export async function updateKeys(
  tx: StoreWriter,
  player: string,
  change: { key?: string; addRef?: string; dropRefs?: readonly string[] },
  now: number,
): Promise<void> {
  const row = await tx.getObject(KEYS_KIND, player);
  const prev: KeyEntry =
    row === undefined ? { identity: player, signatureKeys: [], keyPackages: [] } : parse<KeyEntry>(row);
  let signatureKeys = [...prev.signatureKeys];
  if (change.key !== undefined && !signatureKeys.includes(change.key))
    signatureKeys = [...signatureKeys, change.key].slice(-MAX_SIGNATURE_KEYS);
  const drop = new Set(change.dropRefs ?? []);
  const keyPackages = prev.keyPackages.filter((r) => !drop.has(r));
  if (change.addRef !== undefined && !keyPackages.includes(change.addRef)) keyPackages.push(change.addRef);
  if (
    row !== undefined &&
    signatureKeys.length === prev.signatureKeys.length &&
    signatureKeys.every((k, i) => k === prev.signatureKeys[i]) &&
    keyPackages.length === prev.keyPackages.length &&
    keyPackages.every((r, i) => r === prev.keyPackages[i])
  )
    return;
  const doc: KeyEntry = { identity: player, signatureKeys, keyPackages };
  await tx.putObject(nextObject(row, { kind: KEYS_KIND, id: player, owner: player, doc, updatedAt: now }));
}

export function checkPlayer(player: unknown): string {
  if (typeof player !== 'string' || !PLAYER_RE.test(player))
    throw new InputError(
      'VERITY_E_INPUT_INVALID',
      `player id ${quote(player)} is not 1 to 128 letters, digits or ._:@-`,
    );
  return player;
}

export function parse<T>(row: ObjectRow): T {
  return parseJson(row.body, { maxBytes: 1024 * 1024, maxDepth: 4 }, row.kind) as T;
}

/** Players' KeyPackages and key entries; `MlsDelivery` adds rooms and queues on the same store and log. */
export class MlsKeyDirectory {
  protected readonly store: Store;
  protected readonly log: TransparencyLog;
  protected readonly clock: Clock;
  protected readonly suites: readonly CiphersuiteName[];
  protected readonly maxKeyPackages: number;

  constructor(o: MlsDirectoryOptions) {
    this.store = o.store;
    this.log = o.log;
    this.clock = o.clock ?? systemClock;
    this.suites = o.ciphersuites ?? DEFAULT_CIPHERSUITES;
    this.maxKeyPackages = o.maxKeyPackages ?? 100;
    if (!Number.isInteger(this.maxKeyPackages) || this.maxKeyPackages < 1 || this.maxKeyPackages > 10_000)
      throw new RangeError('a player keeps 1 to 10000 KeyPackages');
  }

  /** One audit entry of the service: names neither players nor groups, carries no message. */
  protected entry(
    batch: LogBatch,
    action: Parameters<typeof encodeAuditEntry>[0]['action'],
    resource: string,
    details: Record<string, number | boolean | string>,
  ): number {
    return batch.add(
      encodeAuditEntry({
        actor: ACTOR,
        action,
        resource,
        purpose: MLS_PURPOSE,
        outcome: 'success',
        time: this.clock.now(),
        details,
      }),
    );
  }

  /**
   * Publishes a KeyPackage (an encoded MLSMessage of wire format `mls_key_package`) of `player`.
   * A last-resort package replaces the player's previous one and is handed out without being
   * consumed when no other is left. Throws VERITY_E_MLS_CREDENTIAL when its credential is not
   * `player`'s or its signatures do not verify.
   */
  async publishKeyPackage(
    player: string,
    bytes: Uint8Array,
    o: { lastResort?: boolean } = {},
  ): Promise<{ ref: string }> {
    checkPlayer(player);
    const lastResort = o.lastResort === true;
    const { keyPackage } = decodeMessage(bytes, 'mls_key_package', 'KeyPackage');
    const now = this.clock.now();
    const kp = await checkKeyPackage(keyPackage, player, this.suites, now);
    const doc: KeyPackageDoc = {
      keyPackage: toBase64Url(bytes),
      ciphersuite: kp.ciphersuite,
      lastResort,
      notAfter: kp.notAfter,
      publishedAt: now,
    };
    await this.log.submit(async (tx, batch) => {
      // A KeyPackage is used once: one published again (the same ref) while it is stored or claimed
      // is refused.
      if (
        (await tx.getObject(KEY_PACKAGE_KIND, kp.ref)) !== undefined ||
        (await tx.getObject(CLAIM_KIND, kp.ref)) !== undefined
      )
        throw invalid('the KeyPackage was published already; generate a new one');
      const mine = await tx.listObjects(KEY_PACKAGE_KIND, player, { limit: this.maxKeyPackages + 2 });
      let replaced = 0;
      if (lastResort) {
        for (const r of mine)
          if (parse<KeyPackageDoc>(r).lastResort) {
            await tx.deleteObject(KEY_PACKAGE_KIND, r.id);
            replaced++;
          }
      } else if (mine.filter((r) => !parse<KeyPackageDoc>(r).lastResort).length >= this.maxKeyPackages)
        throw new MlsError(
          'VERITY_E_MLS_KEY_PACKAGE_LIMIT',
          `the player has ${this.maxKeyPackages} unclaimed KeyPackages already; publish more once some are claimed`,
        );
      await tx.putObject(newObject({ kind: KEY_PACKAGE_KIND, id: kp.ref, owner: player, doc, updatedAt: now }));
      const dropped = lastResort ? mine.filter((r) => parse<KeyPackageDoc>(r).lastResort).map((r) => r.id) : [];
      await updateKeys(tx, player, { key: kp.signatureKey, addRef: kp.ref, dropRefs: dropped }, now);
      return this.entry(batch, 'mls.keypackage.publish', `mls.keypackage:${kp.ref}`, { lastResort, replaced });
    });
    return { ref: kp.ref };
  }

  /**
   * Binds a signature key to `player` in their key entry without publishing a KeyPackage to claim:
   * `bytes` is a KeyPackage (checked as `publishKeyPackage` checks one, so signed by the key) whose
   * signature key the player uses elsewhere, for instance in a group they create. Idempotent.
   */
  async registerKey(player: string, bytes: Uint8Array): Promise<{ signatureKey: string }> {
    checkPlayer(player);
    const { keyPackage } = decodeMessage(bytes, 'mls_key_package', 'KeyPackage');
    const now = this.clock.now();
    const kp = await checkKeyPackage(keyPackage, player, this.suites, now);
    await this.log.submit(async (tx, batch) => {
      await updateKeys(tx, player, { key: kp.signatureKey }, now);
      return this.entry(batch, 'mls.keys.register', 'mls.keys', {});
    });
    return { signatureKey: kp.signatureKey };
  }

  /**
   * The key entries of `identities` (signature keys and unclaimed KeyPackage references), each
   * with its state proof under the latest signed checkpoint: what a client checks the keys members
   * show in a room against (key transparency, transparency.ts).
   */
  keyProofs(identities: readonly string[]): Promise<KeyProofs> {
    for (const i of identities) checkPlayer(i);
    return proveKeys(this.store, this.log, identities);
  }

  /** How many unclaimed KeyPackages `player` has, and whether a last-resort one. */
  async keyPackageCount(player: string): Promise<{ available: number; lastResort: boolean }> {
    checkPlayer(player);
    const now = this.clock.now();
    const rows = await this.store.reader.listObjects(KEY_PACKAGE_KIND, player, { limit: this.maxKeyPackages + 2 });
    const docs = rows.map((r) => parse<KeyPackageDoc>(r)).filter((d) => d.notAfter * 1000 >= now);
    return { available: docs.filter((d) => !d.lastResort).length, lastResort: docs.some((d) => d.lastResort) };
  }

  /**
   * Claims one KeyPackage of `player` for adding them to a room: an ordinary one is consumed in
   * the same transaction (handed out once), the last-resort one only when none is left, and kept.
   */
  async claimKeyPackage(
    claimer: string,
    player: string,
  ): Promise<{ ref: string; keyPackage: Uint8Array; lastResort: boolean }> {
    checkPlayer(claimer);
    checkPlayer(player);
    const now = this.clock.now();
    const { result } = await this.log.submit(async (tx, batch) => {
      const rows = await tx.listObjects(KEY_PACKAGE_KIND, player, { limit: this.maxKeyPackages + 2 });
      let lastResort: { row: ObjectRow; doc: KeyPackageDoc } | undefined;
      let pick: { row: ObjectRow; doc: KeyPackageDoc } | undefined;
      for (const row of rows) {
        const doc = parse<KeyPackageDoc>(row);
        if (doc.notAfter * 1000 < now) continue;
        if (doc.lastResort) lastResort = { row, doc };
        else if (pick === undefined) pick = { row, doc };
      }
      const chosen = pick ?? lastResort;
      if (chosen === undefined)
        throw new MlsError(
          'VERITY_E_MLS_NO_KEY_PACKAGE',
          'the player has no KeyPackage left; ask them to publish more',
        );
      if (!chosen.doc.lastResort) {
        await tx.deleteObject(KEY_PACKAGE_KIND, chosen.row.id);
        await updateKeys(tx, player, { dropRefs: [chosen.row.id] }, now);
        await tx.putObject(
          newObject({ kind: CLAIM_KIND, id: chosen.row.id, owner: player, doc: { at: now, claimer }, updatedAt: now }),
        );
      }
      this.entry(batch, 'mls.keypackage.claim', `mls.keypackage:${chosen.row.id}`, {
        lastResort: chosen.doc.lastResort,
      });
      return {
        ref: chosen.row.id,
        keyPackage: fromBase64Url(chosen.doc.keyPackage),
        lastResort: chosen.doc.lastResort,
      };
    });
    return result;
  }
}
