import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { KeyError, quote, type VerityError } from '../errors/index.ts';

export type P11 = typeof import('pkcs11js');
type Module = InstanceType<P11['PKCS11']>;
export type Handle = Buffer;
type Template = { type: number; value: number | boolean | string | Buffer }[];

/** How to reach the token. The PIN comes from the caller (the CLI reads it from the environment or a file). */
export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 library (e.g. `/usr/lib/softhsm/libsofthsm2.so`). */
  readonly module: string;
  /** The token's label (at most 32 characters). */
  readonly tokenLabel: string;
  /** The user PIN of the token. Never logged. */
  readonly pin: string;
  /** Prefix of the labels of this store's objects, so that several stores can share a token. */
  readonly namespace?: string;
  readonly now?: () => number;
}

export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAMESPACE_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;
const MAX_OBJECTS = 10_000;

const PIN_CODES = new Set([
  'CKR_PIN_INCORRECT',
  'CKR_PIN_INVALID',
  'CKR_PIN_LEN_RANGE',
  'CKR_PIN_LOCKED',
  'CKR_PIN_EXPIRED',
  'CKR_USER_PIN_NOT_INITIALIZED',
]);
const TOKEN_CODES = new Set([
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_DEVICE_REMOVED',
  'CKR_SLOT_ID_INVALID',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
]);

/** The CKR_ name of a PKCS#11 error, or undefined for anything else. */
export function ckr(e: unknown): string | undefined {
  const m = e instanceof Error ? /^(CKR_[A-Z0-9_]+)/.exec(e.message) : null;
  return m?.[1];
}

/** A typed error for a failed PKCS#11 call `what`; the message names the function and the CKR code only. */
export function hsmError(e: unknown, what: string): VerityError {
  const code = ckr(e);
  if (code !== undefined && PIN_CODES.has(code))
    return new KeyError(
      'VERITY_E_HSM_PIN',
      `the token refused the PIN (${code}); check VERITY_HSM_PIN or VERITY_HSM_PIN_FILE`,
      { cause: e },
    );
  if (code !== undefined && TOKEN_CODES.has(code))
    return new KeyError('VERITY_E_HSM_TOKEN_NOT_FOUND', `the token went away during ${what} (${code}); reconnect it`, {
      cause: e,
    });
  return new KeyError(
    'VERITY_E_HSM_FAILED',
    `the PKCS#11 module failed in ${what} (${code ?? 'not a PKCS#11 error'}); check the token and its logs`,
    { cause: e },
  );
}

/**
 * One loaded and initialized PKCS#11 library per path and process: C_Initialize is once per
 * process (a second call fails with CKR_CRYPTOKI_ALREADY_INITIALIZED) and login state is per
 * token and process, so stores opened on the same module share it. It is finalized when the
 * last store using it closes.
 */
interface Loaded {
  readonly p11: P11;
  readonly mod: Module;
  users: number;
  /** SHA-256 of the PIN each token (by slot) was logged in with, to check later opens (see open). */
  readonly logins: Map<string, Buffer>;
}
const loaded = new Map<string, Loaded>();

function load(path: string): Loaded {
  const have = loaded.get(path);
  if (have !== undefined) {
    have.users++;
    return have;
  }
  let p11: P11;
  try {
    // Loaded on first use only: the native addon is needed by this key store alone.
    p11 = createRequire(import.meta.url)('pkcs11js') as P11;
  } catch (cause) {
    throw new KeyError(
      'VERITY_E_HSM_MODULE',
      'the pkcs11js addon is not built; run `npm ci` with a C++ compiler available',
      { cause },
    );
  }
  const mod = new p11.PKCS11();
  try {
    mod.load(path);
  } catch (cause) {
    throw new KeyError(
      'VERITY_E_HSM_MODULE',
      `cannot load the PKCS#11 module ${quote(path)}; check VERITY_HSM_MODULE (e.g. /usr/lib/softhsm/libsofthsm2.so)`,
      { cause },
    );
  }
  try {
    mod.C_Initialize();
  } catch (cause) {
    if (ckr(cause) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      mod.close();
      throw new KeyError(
        'VERITY_E_HSM_MODULE',
        `the PKCS#11 module ${quote(path)} did not initialize (${ckr(cause) ?? 'unknown error'}); check its configuration`,
        { cause },
      );
    }
  }
  const l: Loaded = { p11, mod, users: 1, logins: new Map() };
  loaded.set(path, l);
  return l;
}

function unload(path: string, l: Loaded): void {
  if (--l.users > 0) return;
  loaded.delete(path);
  try {
    l.mod.C_Finalize();
  } finally {
    l.mod.close();
  }
}

/** A logged-in session with the token of one store (namespace `ns`); each step goes through `call`. */
export class Pkcs11Token {
  readonly p11: P11;
  /** The loaded module, for a step whose failures the caller maps itself. */
  readonly mod: Module;
  readonly session: Handle;
  readonly ns: string;
  readonly #path: string;
  readonly #l: Loaded;
  #closed = false;

  private constructor(path: string, l: Loaded, session: Handle, ns: string) {
    this.#path = path;
    this.#l = l;
    this.p11 = l.p11;
    this.mod = l.mod;
    this.session = session;
    this.ns = ns;
  }

  /** Finds the token by label, opens a read-write session and logs in with the PIN. */
  static connect(options: Pkcs11KeyStoreOptions): Pkcs11Token {
    const ns = options.namespace ?? 'verity';
    if (!NAMESPACE_RE.test(ns)) throw new RangeError(`namespace ${quote(ns)} must match ${NAMESPACE_RE}`);
    if (typeof options.tokenLabel !== 'string' || options.tokenLabel.length === 0 || options.tokenLabel.length > 32)
      throw new RangeError('a token label has 1 to 32 characters');
    if (typeof options.pin !== 'string' || options.pin.length === 0 || options.pin.length > 256)
      throw new KeyError('VERITY_E_HSM_PIN', 'no PIN for the token; set VERITY_HSM_PIN or VERITY_HSM_PIN_FILE');
    const l = load(options.module);
    const { p11, mod } = l;
    let session: Handle | undefined;
    try {
      let slot: Handle | undefined;
      try {
        for (const s of mod.C_GetSlotList(true)) {
          if (mod.C_GetTokenInfo(s).label.trimEnd() === options.tokenLabel) {
            slot = s;
            break;
          }
        }
      } catch (e) {
        throw hsmError(e, 'C_GetSlotList');
      }
      if (slot === undefined)
        throw new KeyError(
          'VERITY_E_HSM_TOKEN_NOT_FOUND',
          `no token labelled ${quote(options.tokenLabel)} in the PKCS#11 module; check VERITY_HSM_TOKEN and that the token is present`,
        );
      try {
        session = mod.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
      } catch (e) {
        throw hsmError(e, 'C_OpenSession');
      }
      const slotKey = slot.toString('hex');
      const pinHash = createHash('sha256').update(options.pin, 'utf8').digest();
      try {
        mod.C_Login(session, p11.CKU_USER, options.pin);
        l.logins.set(slotKey, pinHash);
      } catch (e) {
        if (ckr(e) !== 'CKR_USER_ALREADY_LOGGED_IN') throw hsmError(e, 'C_Login');
        // Login is per token and process: another store here logged in already, and the token
        // does not check the PIN again. Check it against the one that logged in, so that a wrong
        // PIN is refused here as it is in a fresh process.
        const first = l.logins.get(slotKey);
        if (first === undefined || !timingSafeEqual(first, pinHash))
          throw new KeyError(
            'VERITY_E_HSM_PIN',
            'the PIN differs from the one this process logged in to the token with; check VERITY_HSM_PIN or VERITY_HSM_PIN_FILE',
          );
      }
      return new Pkcs11Token(options.module, l, session, ns);
    } catch (e) {
      if (session !== undefined) {
        try {
          mod.C_CloseSession(session);
        } catch {
          // The original error is the one to report.
        }
      }
      unload(options.module, l);
      throw e;
    }
  }

  checkOpen(): void {
    if (this.#closed) throw new KeyError('VERITY_E_CLOSED', 'the key store is closed');
  }

  /** Runs one PKCS#11 step, mapping its failure to a typed error. */
  call<T>(what: string, fn: (mod: Module, p11: P11) => T): T {
    this.checkOpen();
    try {
      return fn(this.#l.mod, this.#l.p11);
    } catch (e) {
      throw hsmError(e, what);
    }
  }

  /** Handles of the objects matching `template` (at most MAX_OBJECTS). */
  find(template: Template): Handle[] {
    return this.call('C_FindObjects', (mod) => {
      mod.C_FindObjectsInit(this.session, template);
      try {
        return mod.C_FindObjects(this.session, MAX_OBJECTS);
      } finally {
        mod.C_FindObjectsFinal(this.session);
      }
    });
  }

  label(h: Handle): string {
    return this.call('C_GetAttributeValue', (mod, p11) =>
      String(mod.C_GetAttributeValue(this.session, h, [{ type: p11.CKA_LABEL }])[0]?.value ?? ''),
    );
  }

  id(h: Handle): Buffer {
    return this.call('C_GetAttributeValue', (mod, p11) => {
      const v = mod.C_GetAttributeValue(this.session, h, [{ type: p11.CKA_ID }])[0]?.value;
      return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
    });
  }

  /** The single object of `cls` labelled `label`, the lowest CKA_ID of several (two processes creating it at once). */
  named(cls: number, label: string): Handle | undefined {
    const p11 = this.p11;
    const hs = this.find([
      { type: p11.CKA_CLASS, value: cls },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_LABEL, value: label },
    ]);
    if (hs.length <= 1) return hs[0];
    return hs.map((h) => ({ h, id: this.id(h) })).sort((a, b) => Buffer.compare(a.id, b.id))[0]?.h;
  }

  /** The attributes of every secret this store keeps: a token object, behind the PIN, never readable or exportable. */
  kept(): { type: number; value: boolean }[] {
    const p11 = this.p11;
    return [
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_PRIVATE, value: true },
      { type: p11.CKA_SENSITIVE, value: true },
      { type: p11.CKA_EXTRACTABLE, value: false },
    ];
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#l.mod.C_CloseSession(this.session);
    } catch {
      // Closing a session on a token that went away: nothing left to release.
    } finally {
      unload(this.#path, this.#l);
    }
  }
}
