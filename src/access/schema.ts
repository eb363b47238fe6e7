/**
 * The Cedar schema of Verity's authorization model (FGMV-46 7.1.4). Policies are validated against
 * it (strict mode) before they are used, so a policy that names an attribute Verity never supplies
 * is refused instead of silently never matching.
 */
export const CEDAR_SCHEMA = `
namespace Verity {
  // A player of a world. As a principal (a session), the record types the service that opened the
  // session owns: a session reaches no more of the player's records than its opener could.
  entity Player = { recordTypes: Set<String> };
  // A world or platform service, allowed to write only its own record types. Capabilities are
  // granted explicitly to its token (session.open, session.revoke, guardianship.set), never implied
  // by the role.
  entity Service = { recordTypes: Set<String>, capabilities: Set<String> };
  // People who run Verity.
  entity Operator = { capabilities: Set<String> };
  // People who check Verity from outside.
  entity Auditor = { capabilities: Set<String> };
  // The data of one player (a subject). A minor's data names the guardians who may read it.
  // (Owner facts sit on the data itself so that one entity describes a request: each entity
  // passed to Cedar costs more than evaluating all of Verity's policies.)
  entity Subject = { owner: Player, ownerMinor: Bool, guardians: Set<Player> };
  // A kind of record, e.g. avatar.profile.
  entity RecordType;
  // A sealed record.
  entity Record = { owner: Player, ownerMinor: Bool, guardians: Set<Player>, type: String, category: String, sensitivity: String };
  // A player session: whose it is, and the service that opened it.
  entity Session = { owner: Player, openedBy: Service };
  // The transparency log.
  entity Log;
  // A de-identification domain: a pseudonym domain, a token domain, an FF1 key, a private dataset,
  // or one of the stateless tools (pii, anonymize); "kind" says which.
  entity DeidDomain = { kind: String };
  // An identity provider trusted for platform sign-in (OpenID Connect), by its name in Verity.
  entity IdentityIssuer;

  type RequestContext = {
    // The declared purpose of processing (purpose limitation).
    purpose: String,
    // Consent for this purpose: "granted", "denied", or "unknown" (consent does not bear on it).
    consent: String,
    // Milliseconds since the epoch.
    time: Long,
    // Fraud and abuse risk of the request, 0 (none) to 100: the risk scorer's score (0 to 1) as a
    // percentage, rounded down (src/risk, policyRisk).
    risk: Long,
    // A fresh strong authentication backs the request: the caller verified a passkey assertion of
    // this principal within the last few minutes. False when not said.
    stepUp: Bool,
  };

  action read, write, share, erase appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [Record, Subject],
    context: RequestContext,
  };
  // De-identifying (pseudonyms, tokens, FF1 encryption, PII redaction, anonymization, private
  // aggregates) and re-identifying (detokenizing, FF1 decryption).
  action deidentify, reidentify appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [DeidDomain],
    context: RequestContext,
  };
  action administer appliesTo {
    principal: [Operator, Service, Player, Auditor],
    resource: [Log, RecordType, Subject, Record, DeidDomain],
    context: RequestContext,
  };
  // Opening a session for a player (speaking for them), and recording whether a player is a minor
  // and who their guardians are (letting others read their records).
  action openSession, setGuardianship appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [Subject],
    context: RequestContext,
  };
  // Adding, listing, rotating the keys of and removing the identity providers players sign in with.
  action manageIssuers appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [IdentityIssuer],
    context: RequestContext,
  };
  // Issuing a verifiable credential about a subject (SD-JWT VC), and revoking or suspending one.
  action issueCredential, revokeCredential appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [Subject],
    context: RequestContext,
  };
  // Ending a player session before it expires.
  action revokeSession appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [Session],
    context: RequestContext,
  };
  // Reading a subject's access report: every log entry about their data, each with its proof.
  action reportAccess appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [Subject],
    context: RequestContext,
  };
  // Keeping the incident register (personal data breaches, GDPR Art. 33 and 34).
  action manageIncidents appliesTo {
    principal: [Player, Service, Operator, Auditor],
    resource: [Log],
    context: RequestContext,
  };
}
`;

/** Actions Verity authorizes. */
export const ACTIONS = [
  'read',
  'write',
  'share',
  'erase',
  'administer',
  'deidentify',
  'reidentify',
  'openSession',
  'setGuardianship',
  'revokeSession',
  'manageIssuers',
  'issueCredential',
  'revokeCredential',
  'reportAccess',
  'manageIncidents',
] as const;
export type Action = (typeof ACTIONS)[number];

/** The default policy set written by `verity init` (policies/verity.cedar). */
export const DEFAULT_POLICIES = `// Verity's default policies. Everything not permitted here is denied.

// A player reads, writes, shares and erases their own records, for service provision or at their
// own request, of the record types the service that opened their session owns.
@id("player-own-records")
permit (
  principal is Verity::Player,
  action in [Verity::Action::"read", Verity::Action::"write", Verity::Action::"share", Verity::Action::"erase"],
  resource is Verity::Record
)
when {
  resource.owner == principal &&
  principal.recordTypes.contains(resource.type) &&
  ["service-provision", "user-request"].contains(context.purpose)
};

// A guardian reads the records of a minor in their care (of the types their session's opener owns).
@id("guardian-reads-minor")
permit (principal is Verity::Player, action == Verity::Action::"read", resource is Verity::Record)
when {
  resource.ownerMinor &&
  resource.guardians.contains(principal) &&
  principal.recordTypes.contains(resource.type) &&
  ["service-provision", "user-request"].contains(context.purpose)
};

// A world service reads and writes only its own record types, to provide its service or, with the
// player's consent (the privacy policy says personalisation rests on it), to personalise it.
@id("service-own-types")
permit (
  principal is Verity::Service,
  action in [Verity::Action::"read", Verity::Action::"write"],
  resource is Verity::Record
)
when {
  principal.recordTypes.contains(resource.type) &&
  ["service-provision", "personalisation"].contains(context.purpose)
};

// A service whose token was granted records.under-agreement reads players' records only under a
// data-sharing agreement on chain between the player (an address they bound) and the token's
// recipient address, covering the purpose and the record's category: Verity checks the agreement
// at every such read and refuses without one (VERITY_E_AGREEMENT_REQUIRED); this policy lets the
// capability read at all.
@id("service-reads-under-agreement")
permit (principal is Verity::Service, action == Verity::Action::"read", resource is Verity::Record)
when { principal.capabilities.contains("records.under-agreement") };

// Vault tokens (records of type verity.token) are re-identification: their values are reached only
// by detokenizing (reidentify, below: fraud prevention or a legal obligation), never as records.
@id("vault-tokens-only-by-detokenizing")
forbid (
  principal,
  action in [Verity::Action::"read", Verity::Action::"write", Verity::Action::"share"],
  resource is Verity::Record
)
when { resource.type == "verity.token" };

// A differential-privacy dataset's values are reached only through its noisy queries, within its
// budget (src/deid/datasets.ts), never as a record, nor erased as one (D415).
@id("datasets-only-by-queries")
forbid (
  principal,
  action in [Verity::Action::"read", Verity::Action::"write", Verity::Action::"share", Verity::Action::"erase"],
  resource is Verity::Record
)
when { resource.type == "verity.dataset" };

// A player session never touches vault tokens at all.
@id("sessions-never-touch-vault-tokens")
forbid (principal is Verity::Player, action, resource is Verity::Record)
when { resource.type == "verity.token" };

// Operators administer the log and record types; they never read content.
@id("operator-administers")
permit (principal is Verity::Operator, action == Verity::Action::"administer", resource);

// Operators carry out erasure (a record, or a subject's shred, which rotates the key-encryption key)
// when their token was granted records.erase; the local operator (the \`verity\` command, holding
// the key store's secret) may without one (D415).
@id("operator-erases")
permit (principal is Verity::Operator, action == Verity::Action::"erase", resource)
when { principal == Verity::Operator::"local:cli" || principal.capabilities.contains("records.erase") };

// The local operator: the \`verity\` command on the data directory, run by whoever holds the key
// store's secret (no API token can name this principal). It reads and writes records for the
// purposes a player or service could, or for support and legal obligations; never for others, such
// as marketing. Delete this policy to keep operators away from content on every path.
@id("local-operator-records")
permit (
  principal == Verity::Operator::"local:cli",
  action in [Verity::Action::"read", Verity::Action::"write"],
  resource is Verity::Record
)
when { ["service-provision", "user-request", "support", "legal-obligation"].contains(context.purpose) };

// The local operator re-identifies (\`verity deid detokenize\`, \`fpe-decrypt\`) for what a service
// may: fraud prevention or a legal obligation (D415).
@id("local-operator-reidentifies")
permit (principal == Verity::Operator::"local:cli", action == Verity::Action::"reidentify", resource is Verity::DeidDomain)
when { ["fraud-prevention", "legal-obligation"].contains(context.purpose) };

// A platform service whose token was granted session.open opens sessions for the players it
// authenticated.
@id("service-opens-sessions")
permit (principal is Verity::Service, action == Verity::Action::"openSession", resource is Verity::Subject)
when { principal.capabilities.contains("session.open") && context.purpose == "authentication" };

// No one but a platform service speaks for a player: operators never open player sessions.
@id("operators-never-impersonate")
forbid (principal is Verity::Operator, action == Verity::Action::"openSession", resource);

// A platform service whose token was granted guardianship.set records which players are minors and
// who their guardians are (it verified them, and cites its evidence).
@id("service-records-guardianship")
permit (principal is Verity::Service, action == Verity::Action::"setGuardianship", resource is Verity::Subject)
when { principal.capabilities.contains("guardianship.set") && context.purpose == "guardianship" };

// Operators never decide who reads a minor's records, even when a token says otherwise.
@id("operators-never-set-guardianship")
forbid (principal is Verity::Operator, action == Verity::Action::"setGuardianship", resource);

// A service ends the sessions it opened.
@id("openers-revoke-their-sessions")
permit (principal is Verity::Service, action == Verity::Action::"revokeSession", resource is Verity::Session)
when { resource.openedBy == principal };

// A service or operator whose token was granted session.revoke ends any session.
@id("service-revokes-sessions")
permit (principal is Verity::Service, action == Verity::Action::"revokeSession", resource is Verity::Session)
when { principal.capabilities.contains("session.revoke") };

@id("operator-revokes-sessions")
permit (principal is Verity::Operator, action == Verity::Action::"revokeSession", resource is Verity::Session)
when { principal.capabilities.contains("session.revoke") };

// Whoever's token was granted issuer.manage (an operator or a platform service) decides which
// identity providers players sign in with; no role implies it.
@id("operator-manages-issuers")
permit (principal is Verity::Operator, action == Verity::Action::"manageIssuers", resource is Verity::IdentityIssuer)
when { principal.capabilities.contains("issuer.manage") && context.purpose == "administration" };

@id("service-manages-issuers")
permit (principal is Verity::Service, action == Verity::Action::"manageIssuers", resource is Verity::IdentityIssuer)
when { principal.capabilities.contains("issuer.manage") && context.purpose == "administration" };
// A platform service whose token was granted credential.issue issues credentials about players it
// knows, attesting the facts they carry (an over-18 credential needs its age evidence).
@id("service-issues-credentials")
permit (principal is Verity::Service, action == Verity::Action::"issueCredential", resource is Verity::Subject)
when { principal.capabilities.contains("credential.issue") && context.purpose == "identity" };

// A player asks for their own credentials (a membership of the platform that opened their session).
@id("player-own-credentials")
permit (principal is Verity::Player, action == Verity::Action::"issueCredential", resource is Verity::Subject)
when { resource.owner == principal && context.purpose == "user-request" };

// A service or operator whose token was granted credential.revoke revokes and suspends credentials.
@id("service-revokes-credentials")
permit (principal is Verity::Service, action == Verity::Action::"revokeCredential", resource is Verity::Subject)
when { principal.capabilities.contains("credential.revoke") };

@id("operator-revokes-credentials")
permit (principal is Verity::Operator, action == Verity::Action::"revokeCredential", resource is Verity::Subject)
when { principal.capabilities.contains("credential.revoke") };

// Operators never vouch for a player: they issue no credentials.
@id("operators-never-issue-credentials")
forbid (principal is Verity::Operator, action == Verity::Action::"issueCredential", resource);

// Services de-identify data for their own service, analytics or research.
@id("services-deidentify")
permit (principal is Verity::Service, action == Verity::Action::"deidentify", resource is Verity::DeidDomain)
when { ["service-provision", "analytics", "research"].contains(context.purpose) };

// Re-identification (detokenizing, FF1 decryption) only to prevent fraud or meet a legal obligation,
// and only by a service whose token was granted deid.reidentify (D415).
@id("reidentify-for-fraud-or-law")
permit (principal is Verity::Service, action == Verity::Action::"reidentify", resource is Verity::DeidDomain)
when {
  ["fraud-prevention", "legal-obligation"].contains(context.purpose) &&
  principal.capabilities.contains("deid.reidentify")
};

// A player carries out their own data-subject requests (GDPR Art. 15 to 21) at their own request:
// exports as share, corrections as write, erasure, restriction and objection as erase, on their own
// subject. The risk policies below apply: an export or an erasure from a new device or address
// steps up first. What a session reaches is Verity's to limit (its opener's record types; a session
// a service opened erases and restricts only those, and objects to nothing).
@id("player-own-rights")
permit (
  principal is Verity::Player,
  action in [Verity::Action::"share", Verity::Action::"write", Verity::Action::"erase"],
  resource is Verity::Subject
)
when { resource.owner == principal && context.purpose == "user-request" };

// A player reads their own access report (GDPR Art. 15): who touched their data, when and why.
@id("player-own-access-report")
permit (principal is Verity::Player, action == Verity::Action::"reportAccess", resource is Verity::Subject)
when { resource.owner == principal };

// A service or operator whose token was granted report.access reads a player's access report, to
// answer the player's request or a legal obligation.
@id("service-access-reports")
permit (principal is Verity::Service, action == Verity::Action::"reportAccess", resource is Verity::Subject)
when {
  principal.capabilities.contains("report.access") &&
  ["user-request", "legal-obligation"].contains(context.purpose)
};

@id("operator-access-reports")
permit (principal is Verity::Operator, action == Verity::Action::"reportAccess", resource is Verity::Subject)
when {
  principal.capabilities.contains("report.access") &&
  ["user-request", "legal-obligation"].contains(context.purpose)
};

// A service or operator whose token was granted incident.manage keeps the incident register.
@id("service-manages-incidents")
permit (principal is Verity::Service, action == Verity::Action::"manageIncidents", resource is Verity::Log)
when { principal.capabilities.contains("incident.manage") };

@id("operator-manages-incidents")
permit (principal is Verity::Operator, action == Verity::Action::"manageIncidents", resource is Verity::Log)
when { principal.capabilities.contains("incident.manage") };

// Auditors read the log.
@id("auditor-reads-log")
permit (principal is Verity::Auditor, action == Verity::Action::"administer", resource is Verity::Log)
when { context.purpose == "audit" };

// Nothing goes through while the fraud risk of the request is very high (a score of 0.9 or more).
@id("deny-high-risk")
forbid (principal, action, resource) when { context.risk >= 90 };

// A risky request (a score of 0.7 or more) goes through only with a fresh strong authentication (a
// passkey assertion in the last minutes); without one it is refused with VERITY_E_STEP_UP_REQUIRED.
// Change 70 to ask for a step-up more or less often.
@id("step-up-high-risk")
forbid (principal, action, resource) when { context.risk >= 70 && context.risk < 90 && !context.stepUp };

// Restricted data is never shared.
@id("restricted-not-shared")
forbid (principal, action == Verity::Action::"share", resource is Verity::Record)
when { resource.sensitivity == "restricted" };

// Consent, once refused or withdrawn, is final for the purpose it was refused for. Verity sets
// context.consent from the player's consent records, for purposes that rest on consent under the
// player's regime (the privacy policy), at the time of each decision.
@id("no-processing-without-consent")
forbid (principal, action, resource is Verity::Record) when { context.consent == "denied" };
`;
