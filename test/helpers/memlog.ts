// A small RFC 9162 log in memory with a real Ed25519 key: signed checkpoints of any size and
// consistency proofs between sizes, for witness tests and benchmarks. `fork` gives a log with the
// same key and origin whose entries differ from index `at` on (a rewritten history).
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { toBase64 } from '../../src/encoding/index.ts';
import { consistencyProof, EMPTY_ROOT, hashChildren, hashLeaf, type NodeId } from '../../src/merkle/index.ts';
import { formatCheckpoint, formatVerifierKey, type NoteSigner, signNote } from '../../src/note/index.ts';

export class MemoryLog {
  readonly origin: string;
  readonly #key: KeyObject;
  readonly #publicKey: Uint8Array;
  readonly #leaves: Uint8Array[] = [];
  readonly #nodes = new Map<string, Uint8Array>();
  readonly #salt: string;

  constructor(origin = 'log.example/test', key?: KeyObject, salt = 'a') {
    this.origin = origin;
    this.#key = key ?? generateKeyPairSync('ed25519').privateKey;
    this.#publicKey = new Uint8Array(createPublicKey(this.#key).export({ format: 'der', type: 'spki' }).subarray(12));
    this.#salt = salt;
  }

  get size(): number {
    return this.#leaves.length;
  }

  /** The log's verifier key (C2SP signed-note). */
  get vkey(): string {
    return formatVerifierKey(this.origin, this.#publicKey);
  }

  get signer(): NoteSigner {
    return {
      name: this.origin,
      publicKey: this.#publicKey,
      sign: async (m) => new Uint8Array(sign(null, m, this.#key)),
    };
  }

  /** Appends `n` entries. */
  append(n: number): this {
    for (let i = 0; i < n; i++) {
      const data = createHash('sha256').update(`${this.#salt}-${this.#leaves.length}`).digest();
      this.#leaves.push(hashLeaf(new Uint8Array(data)));
    }
    return this;
  }

  /** A log with the same key and the same first `at` entries, then others. */
  fork(at: number, salt = 'fork'): MemoryLog {
    const f = new MemoryLog(this.origin, this.#key, salt);
    f.#leaves.push(...this.#leaves.slice(0, at));
    return f;
  }

  #node(height: number, index: number): Uint8Array {
    if (height === 0) return this.#leaves[index] as Uint8Array;
    const k = `${height}/${index}`;
    let h = this.#nodes.get(k);
    if (h === undefined) {
      h = hashChildren(this.#node(height - 1, 2 * index), this.#node(height - 1, 2 * index + 1));
      this.#nodes.set(k, h);
    }
    return h;
  }

  /** RFC 9162 root of the first `size` entries. */
  root(size = this.size): Uint8Array {
    if (size === 0) return EMPTY_ROOT;
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (let h = 52; h >= 0; h--) {
      const w = 2 ** h;
      if (size - offset >= w) {
        parts.push(this.#node(h, offset / w));
        offset += w;
      }
    }
    let root = parts[parts.length - 1] as Uint8Array;
    for (let i = parts.length - 2; i >= 0; i--) root = hashChildren(parts[i] as Uint8Array, root);
    return root;
  }

  /** The checkpoint body of the tree of `size` entries. */
  body(size = this.size, extensions: readonly string[] = []): string {
    return formatCheckpoint({ origin: this.origin, size, rootHash: this.root(size), extensions });
  }

  /** The signed checkpoint note of the tree of `size` entries. */
  note(size = this.size, extensions: readonly string[] = []): Promise<string> {
    return signNote(this.body(size, extensions), [this.signer]);
  }

  /** RFC 9162 consistency proof from `from` to `to` entries (base64). */
  proof(from: number, to = this.size): string[] {
    if (from === 0 || from === to) return [];
    return consistencyProof(from, to, (id: NodeId) => this.#node(id.height, id.index)).map(toBase64);
  }
}
