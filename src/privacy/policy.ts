// A privacy policy document, checked: its JSON Schema first (schema.ts), then every reference a
// schema cannot check (regimes, categories, purposes, recipients and DPV prefixes named in one
// place and declared in another). Immutable once parsed; the questions decisions ask of it are
// answered from tables built once here.

import { canonicalJson, type JsonValue, parseJson, toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError, PrivacyError, quote } from '../errors/index.ts';
import { newAjv, type ValidateFunction } from '../jsonschema/index.ts';
import { sha256 } from '../platform/index.ts';
import { DEFAULT_PRIVACY_POLICY } from './default-policy.ts';
import { POLICY_SCHEMA } from './schema.ts';

/** A legal basis (GDPR Art. 6, an Art. 9 condition, or a regime's equivalent) as a DPV term. */
export interface LegalBasis {
  readonly dpv: string;
  readonly article: string;
  readonly description?: string;
  /** opt-in: processing needs consent given; opt-out: processing stands until the player opts out. */
  readonly consent?: 'opt-in' | 'opt-out';
}

/** One legal regime (GDPR, CCPA/CPRA, LGPD, ...): its bases, rights, deadlines and ages. */
export interface Regime {
  readonly name: string;
  readonly law: string;
  readonly legalBases: Readonly<Record<string, LegalBasis>>;
  readonly specialCategoryConditions?: Readonly<Record<string, LegalBasis>>;
  readonly rights: Readonly<Record<string, { readonly dpv: string; readonly article: string }>>;
  /** ISO 8601 durations: the answer to a rights request is due within, and may be extended by. */
  readonly deadline: { readonly respondWithin: string; readonly extendableBy: string | null };
  /** Age of digital consent; below `parentalBelow` a guardian consents; `byRegion` varies it. */
  readonly consentAge: {
    readonly digital: number;
    readonly parentalBelow: number;
    readonly saleOptInBelow?: number;
    readonly byRegion?: Readonly<Record<string, number>>;
  };
  /** Whether a Global Privacy Control signal counts as an opt-out of sale and sharing. */
  readonly honoursGpc?: boolean;
}

export interface Purpose {
  readonly dpv: string;
  readonly description: string;
  /** Regime id -> legal basis id of that regime. */
  readonly legalBasis: Readonly<Record<string, string>>;
  /** Regime id -> Art. 9 condition id, for special categories. */
  readonly specialCategoryCondition?: Readonly<Record<string, string>>;
  readonly categories?: readonly string[];
  readonly recipients?: readonly string[];
  readonly saleOrSharing?: 'sale' | 'sharing';
}

export interface Category {
  readonly dpv: string;
  readonly description?: string;
  readonly special?: boolean;
  /** ISO 8601 duration. */
  readonly retention: string;
}

/** A privacy policy document (`verity-privacy-policy/1`); see docs/examples/privacy-policy.json. */
export interface PrivacyPolicyDocument {
  readonly format: string;
  readonly version: string;
  readonly title?: string;
  readonly controller?: { readonly name: string; readonly contact?: string };
  readonly prefixes: Readonly<Record<string, string>>;
  readonly regimes: Readonly<Record<string, Regime>>;
  readonly regions: Readonly<Record<string, string>>;
  readonly defaultRegime: string;
  readonly categories: Readonly<Record<string, Category>>;
  readonly purposes: Readonly<Record<string, Purpose>>;
  readonly recipients: Readonly<
    Record<
      string,
      { readonly name: string; readonly dpv: string; readonly country: string; readonly purposes?: readonly string[] }
    >
  >;
  readonly transfers: readonly {
    readonly recipient: string;
    readonly from?: readonly string[];
    readonly to: string;
    readonly mechanism: string;
    readonly article?: string;
  }[];
}

/** How consent bears on one purpose for one regime: needed (opt-in), revocable (opt-out), or not at all. */
export type ConsentMode = 'opt-in' | 'opt-out' | undefined;

const MAX_BYTES = 1024 * 1024;
let compiled: ValidateFunction | undefined;
let defaultCanonical: string | undefined;

/** Whether a parsed document is exactly the shipped default (compared as canonical JSON). */
function isDefaultDocument(value: unknown): boolean {
  defaultCanonical ??= canonicalJson(DEFAULT_PRIVACY_POLICY);
  return canonicalJson(value) === defaultCanonical;
}

/**
 * The policy document's validator, compiled at first use. The schema is Verity's own constant,
 * checked against the JSON Schema meta-schema by a test (policy.test.ts) rather than at every start:
 * compiling the meta-schema was the largest part of every CLI command's start.
 */
function policyValidator(): ValidateFunction {
  compiled ??= newAjv({ strict: true, allErrors: false, validateSchema: false }).compile(POLICY_SCHEMA);
  return compiled;
}

function invalid(pointer: string, message: string): PrivacyError {
  return new PrivacyError(
    'VERITY_E_POLICY_DOCUMENT_INVALID',
    `the privacy policy is invalid at \`${pointer || '/'}\`: ${message}; fix it (check with \`verity privacy-policy validate FILE\`)`,
    { details: { pointer: pointer || '/' } },
  );
}

const esc = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** Every `dpv`-like term of the document with its JSON pointer. */
function* terms(doc: PrivacyPolicyDocument): Generator<[string, string]> {
  for (const [r, g] of Object.entries(doc.regimes)) {
    yield [`/regimes/${esc(r)}/law`, g.law];
    for (const [k, b] of Object.entries(g.legalBases)) yield [`/regimes/${esc(r)}/legalBases/${esc(k)}/dpv`, b.dpv];
    for (const [k, b] of Object.entries(g.specialCategoryConditions ?? {}))
      yield [`/regimes/${esc(r)}/specialCategoryConditions/${esc(k)}/dpv`, b.dpv];
    for (const [k, b] of Object.entries(g.rights)) yield [`/regimes/${esc(r)}/rights/${esc(k)}/dpv`, b.dpv];
  }
  for (const [k, c] of Object.entries(doc.categories)) yield [`/categories/${esc(k)}/dpv`, c.dpv];
  for (const [k, p] of Object.entries(doc.purposes)) yield [`/purposes/${esc(k)}/dpv`, p.dpv];
  for (const [k, r] of Object.entries(doc.recipients)) yield [`/recipients/${esc(k)}/dpv`, r.dpv];
  for (const [i, t] of doc.transfers.entries()) yield [`/transfers/${i}/mechanism`, t.mechanism];
}

/** The checks a schema cannot make: every name used is declared. Throws at the first fault. */
function crossCheck(doc: PrivacyPolicyDocument): void {
  for (const [pointer, t] of terms(doc)) {
    const prefix = t.slice(0, t.indexOf(':'));
    if (!Object.hasOwn(doc.prefixes, prefix))
      throw invalid(pointer, `the prefix ${quote(prefix)} is not declared in /prefixes`);
  }
  const regimes = Object.keys(doc.regimes);
  if (regimes.length === 0) throw invalid('/regimes', 'declare at least one regime');
  if (!Object.hasOwn(doc.regimes, doc.defaultRegime))
    throw invalid('/defaultRegime', `${quote(doc.defaultRegime)} is not a regime of /regimes`);
  for (const [region, r] of Object.entries(doc.regions))
    if (!Object.hasOwn(doc.regimes, r)) throw invalid(`/regions/${esc(region)}`, `${quote(r)} is not a regime`);
  for (const [id, g] of Object.entries(doc.regimes))
    if (g.consentAge.parentalBelow > g.consentAge.digital)
      throw invalid(`/regimes/${esc(id)}/consentAge`, 'parentalBelow must not exceed digital');
  if (Object.keys(doc.purposes).length === 0) throw invalid('/purposes', 'declare at least one purpose');
  for (const [id, p] of Object.entries(doc.purposes)) {
    const at = `/purposes/${esc(id)}`;
    for (const r of regimes) {
      const b = p.legalBasis[r];
      if (b === undefined) throw invalid(`${at}/legalBasis`, `no legal basis for regime ${quote(r)}`);
      if (!Object.hasOwn(doc.regimes[r]?.legalBases ?? {}, b))
        throw invalid(`${at}/legalBasis/${esc(r)}`, `${quote(b)} is not a legal basis of regime ${quote(r)}`);
    }
    for (const r of Object.keys(p.legalBasis))
      if (!Object.hasOwn(doc.regimes, r)) throw invalid(`${at}/legalBasis/${esc(r)}`, `${quote(r)} is not a regime`);
    for (const [r, c] of Object.entries(p.specialCategoryCondition ?? {}))
      if (!Object.hasOwn(doc.regimes[r]?.specialCategoryConditions ?? {}, c))
        throw invalid(
          `${at}/specialCategoryCondition/${esc(r)}`,
          `${quote(c)} is not an Art. 9 condition of ${quote(r)}`,
        );
    for (const [i, c] of (p.categories ?? []).entries())
      if (!Object.hasOwn(doc.categories, c)) throw invalid(`${at}/categories/${i}`, `${quote(c)} is not a category`);
    for (const [i, c] of (p.recipients ?? []).entries())
      if (!Object.hasOwn(doc.recipients, c)) throw invalid(`${at}/recipients/${i}`, `${quote(c)} is not a recipient`);
  }
  for (const [id, r] of Object.entries(doc.recipients))
    for (const [i, p] of (r.purposes ?? []).entries())
      if (!Object.hasOwn(doc.purposes, p))
        throw invalid(`/recipients/${esc(id)}/purposes/${i}`, `${quote(p)} is not a purpose`);
  for (const [i, t] of doc.transfers.entries()) {
    if (!Object.hasOwn(doc.recipients, t.recipient))
      throw invalid(`/transfers/${i}/recipient`, `${quote(t.recipient)} is not a recipient`);
    for (const [j, r] of (t.from ?? []).entries())
      if (!Object.hasOwn(doc.regimes, r)) throw invalid(`/transfers/${i}/from/${j}`, `${quote(r)} is not a regime`);
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * A checked privacy policy: purposes, categories, legal bases per regime, rights, deadlines, ages
 * of digital consent, recipients and transfers, each term a DPV IRI. `parse` refuses an invalid
 * document with VERITY_E_POLICY_DOCUMENT_INVALID naming the JSON pointer of the fault.
 *
 * @example
 * ```ts
 * const policy = PrivacyPolicy.parse(await readFile('policies/privacy-policy.json', 'utf8'));
 * policy.checkPurpose('personalisation');
 * policy.consentMode('personalisation', policy.regimeFor('DE')); // 'opt-in'
 * ```
 */
export class PrivacyPolicy {
  readonly document: PrivacyPolicyDocument;
  /** `sha256:` + base64url of the document's RFC 8785 canonical JSON. */
  readonly hash: string;
  /** The document's RFC 8785 canonical JSON. */
  readonly canonical: string;
  readonly #purposes: readonly string[];
  readonly #categories: readonly string[];
  /** Purposes for which consent bears on no regime (and no sale or sharing): decided without a read. */
  readonly #consentFree: ReadonlySet<string>;

  private constructor(doc: PrivacyPolicyDocument) {
    this.document = deepFreeze(doc);
    this.canonical = canonicalJson(doc);
    this.hash = `sha256:${toBase64Url(sha256(utf8(this.canonical)))}`;
    this.#purposes = Object.keys(doc.purposes).sort();
    this.#categories = Object.keys(doc.categories).sort();
    this.#consentFree = new Set(
      this.#purposes.filter((p) => {
        const x = doc.purposes[p] as Purpose;
        if (x.saleOrSharing !== undefined) return false;
        return Object.keys(doc.regimes).every((r) => this.consentMode(p, r) === undefined);
      }),
    );
  }

  /**
   * Parses and checks a document: JSON text or bytes (at most 1 MiB, no duplicate keys), or an
   * already parsed value (copied first: the caller's object is never kept).
   */
  static parse(input: string | Uint8Array | unknown): PrivacyPolicy {
    let value: unknown;
    try {
      value =
        typeof input === 'string' || input instanceof Uint8Array
          ? parseJson(input, { maxBytes: MAX_BYTES, maxDepth: 16 }, 'the privacy policy')
          : parseJson(JSON.stringify(input) ?? 'null', { maxBytes: MAX_BYTES, maxDepth: 16 }, 'the privacy policy');
    } catch (e) {
      if (isVerityError(e)) throw invalid('', e.message);
      throw e;
    }
    // The shipped default document is checked against the schema by a test (policy.test.ts); every
    // other document is checked here. Compiling the validator was a large part of a command's start.
    const validate = isDefaultDocument(value) ? () => true : policyValidator();
    if (!validate(value)) {
      const e = policyValidator().errors?.[0];
      const extra =
        e?.keyword === 'additionalProperties'
          ? ` (${quote((e.params as { additionalProperty?: string }).additionalProperty)})`
          : e?.keyword === 'enum' || e?.keyword === 'const'
            ? ` (${JSON.stringify(e.params).slice(0, 120)})`
            : '';
      throw invalid(e?.instancePath ?? '', `${e?.message ?? 'does not match the schema'}${extra}`);
    }
    const doc = value as unknown as PrivacyPolicyDocument;
    crossCheck(doc);
    return new PrivacyPolicy(doc);
  }

  get version(): string {
    return this.document.version;
  }

  /** Declared purposes, sorted. */
  get purposes(): readonly string[] {
    return this.#purposes;
  }

  /** Declared data categories, sorted. */
  get categories(): readonly string[] {
    return this.#categories;
  }

  /** Declared regimes. */
  get regimes(): readonly string[] {
    return Object.keys(this.document.regimes);
  }

  hasPurpose(purpose: string): boolean {
    return Object.hasOwn(this.document.purposes, purpose);
  }

  /** The purpose, or VERITY_E_POLICY_UNKNOWN_PURPOSE listing the known ones. */
  checkPurpose(purpose: unknown): string {
    if (typeof purpose === 'string' && this.hasPurpose(purpose)) return purpose;
    throw new PrivacyError(
      'VERITY_E_POLICY_UNKNOWN_PURPOSE',
      `purpose ${quote(purpose)} is not in the privacy policy (version ${this.version}); use one of: ${this.#purposes.join(', ')}`,
      { details: { known: [...this.#purposes] } },
    );
  }

  /** The category, or VERITY_E_POLICY_UNKNOWN_CATEGORY listing the known ones. */
  checkCategory(category: unknown): string {
    if (typeof category === 'string' && Object.hasOwn(this.document.categories, category)) return category;
    throw new PrivacyError(
      'VERITY_E_POLICY_UNKNOWN_CATEGORY',
      `data category ${quote(category)} is not in the privacy policy (version ${this.version}); use one of: ${this.#categories.join(', ')}`,
      { details: { known: [...this.#categories] } },
    );
  }

  /**
   * The regime that applies to a player from their declared region: the region itself (`US-CA`),
   * else its country (`US`), else the default regime (also for no region).
   */
  regimeFor(region: string | undefined): string {
    const r = this.document.regions;
    if (region !== undefined) {
      if (Object.hasOwn(r, region)) return r[region] as string;
      const country = region.slice(0, 2);
      if (Object.hasOwn(r, country)) return r[country] as string;
    }
    return this.document.defaultRegime;
  }

  regime(id: string): Regime {
    const g = Object.hasOwn(this.document.regimes, id) ? this.document.regimes[id] : undefined;
    if (g === undefined) throw new RangeError(`no regime ${quote(id)} in the privacy policy`);
    return g;
  }

  /** The age of digital consent for a region (its regime's, varied by region where declared). */
  consentAge(region: string | undefined): number {
    const g = this.regime(this.regimeFor(region));
    const by = g.consentAge.byRegion ?? {};
    return region !== undefined && Object.hasOwn(by, region) ? (by[region] as number) : g.consentAge.digital;
  }

  /** The legal basis of a purpose under a regime (the Art. 9 condition for a special category). */
  legalBasis(purpose: string, regime: string, category?: string): LegalBasis & { readonly id: string } {
    const p = this.document.purposes[this.checkPurpose(purpose)] as Purpose;
    const g = this.regime(regime);
    const special = category !== undefined && this.document.categories[category]?.special === true;
    const cond = special ? p.specialCategoryCondition?.[regime] : undefined;
    if (cond !== undefined) return { id: cond, ...(g.specialCategoryConditions?.[cond] as LegalBasis) };
    const id = p.legalBasis[regime] as string;
    return { id, ...(g.legalBases[id] as LegalBasis) };
  }

  /**
   * How consent bears on a purpose under a regime: `opt-in` (needed, and given), `opt-out` (stands
   * until withdrawn) or undefined. A special category with no Art. 9 condition declared for the
   * purpose needs explicit consent.
   */
  consentMode(purpose: string, regime: string, category?: string): ConsentMode {
    const special = category !== undefined && this.document.categories[category]?.special === true;
    const p = this.document.purposes[purpose];
    if (special && p?.specialCategoryCondition?.[regime] === undefined) return 'opt-in';
    return this.legalBasis(purpose, regime, category).consent;
  }

  /**
   * The consent mode of a purpose when it is the same under every regime (no need to know the
   * player's regime), else `mixed`. Special categories aside.
   */
  uniformMode(purpose: string): ConsentMode | 'mixed' {
    const modes = new Set(this.regimes.map((r) => this.consentMode(purpose, r)));
    return modes.size === 1 ? [...modes][0] : 'mixed';
  }

  /** Whether the category is a special one (GDPR Art. 9): consent to it is asked for on its own. */
  isSpecial(category: string | undefined): boolean {
    return category !== undefined && this.document.categories[category]?.special === true;
  }

  /** Whether consent never bears on the purpose, under any regime: decisions then read no consent. */
  consentFree(purpose: string): boolean {
    return this.#consentFree.has(purpose);
  }

  /** `sale` or `sharing` (CCPA) when the purpose is one. */
  saleOrSharing(purpose: string): 'sale' | 'sharing' | undefined {
    return this.document.purposes[purpose]?.saleOrSharing;
  }

  /** The purposes that sell or share personal data. */
  get salePurposes(): readonly string[] {
    return this.#purposes.filter((p) => this.saleOrSharing(p) !== undefined);
  }

  /**
   * The purposes a Cedar policy set compares `context.purpose` with (`== "P"`, `["P", ...].contains(
   * context.purpose)`) that this policy does not declare: such a policy can never apply.
   */
  undeclaredPurposesIn(cedar: string): string[] {
    const named = new Set<string>();
    for (const m of cedar.matchAll(/context\.purpose\s*==\s*"([^"]{1,64})"/g)) named.add(m[1] as string);
    for (const m of cedar.matchAll(/\[([^\]]{0,2000})\]\s*\.contains\(\s*context\.purpose\s*\)/g))
      for (const q of (m[1] as string).matchAll(/"([^"]{1,64})"/g)) named.add(q[1] as string);
    return [...named].filter((p) => !this.hasPurpose(p)).sort();
  }

  /** A compact DPV term as a full IRI (`dpv:Consent` -> `https://w3id.org/dpv#Consent`). */
  iri(term: string): string {
    const i = term.indexOf(':');
    const base = this.document.prefixes[term.slice(0, i)];
    if (base === undefined) throw new RangeError(`the prefix of ${quote(term)} is not declared`);
    return base + term.slice(i + 1);
  }

  /** The document as JSON (what was parsed). */
  toJSON(): JsonValue {
    return this.document as unknown as JsonValue;
  }
}
