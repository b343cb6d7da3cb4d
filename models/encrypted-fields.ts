/**
 * What is encrypted at rest, in one place (docs/security.md, "Encryption at rest"): per collection, the fields
 * whose values are stored as AES-256-GCM envelopes, and the data key each record's values are under. A path is
 * field names joined by dots; `[]` is every element of an array, `*` every value of an object.
 *
 * Encrypted: what may name or describe a person, or be free text that may (risk titles, mitigation strategies and
 * treatment owners, attestation evidence and who attested, plan action items' titles and owners, check-in notes,
 * plan move reasons, API keys' names, audit actors' usernames). Stored as they are, because the platform queries,
 * sorts or joins on them: ids, company ids, dates, statuses, levels, scores, industries, and usernames as
 * account identifiers (login looks them up; an erasure removes the account and replaces them, docs/security.md).
 */

/** A data key's scope: every record of a domain (industry), one person (erasable alone), or the platform's own. */
export type KeyScope = `domain:${string}` | `person:${string}` | "platform";

export const PLATFORM_SCOPE: KeyScope = "platform";
export const personScope = (userId: string): KeyScope => `person:${userId}`;
export const domainScope = (industry: string | null | undefined): KeyScope => (industry ? `domain:${industry}` : PLATFORM_SCOPE);

export interface EncryptedCollection {
	fields: string[];
	/** The data key scope of a record, from its stored plain fields (`scopeFields`). */
	scope(doc: Record<string, any>): KeyScope;
	scopeFields: string[];
	/**
	 * `explicit`: the repository stores what it is given and the service encrypts and decrypts itself (the audit
	 * trail hashes the ciphertext, so an erased person's entries still verify).
	 */
	explicit?: boolean;
	/** Fields anywhere below which a value may have been sealed on its own (`sealWhere`): decrypted wherever found. */
	deep?: string[];
}

/** Records of a company carry its industry (the domain whose key their values are under). */
const byDomain = { scope: (doc: Record<string, any>) => domainScope(doc.industry), scopeFields: ["industry"] };

export const ENCRYPTED_COLLECTIONS: Record<string, EncryptedCollection> = {
	risk_assessments: { fields: ["title", "mitigation_strategies", "treatment.owner", "acceptance.rationale", "acceptance.reason", "acceptance_history[].rationale"], ...byDomain },
	// the evaluation repeats each requirement's attestation beside its result
	compliance_records: { fields: ["attestations.*.evidence", "attestations.*.by", "requirements[].attestation.evidence", "requirements[].attestation.by"], ...byDomain },
	strategic_plans: {
		fields: ["action_plan[].title", "action_plan[].owner", "objectives[].key_results[].check_ins[].note", "transitions[].reason"],
		...byDomain,
	},
	strategic_plan_check_ins: { fields: ["note"], ...byDomain },
	api_keys: { fields: ["name"], scope: () => PLATFORM_SCOPE, scopeFields: [] },
	// the actor's name, and wherever the payload repeats it (created_by, by, owner), under the actor's own key; the
	// payload as a whole (copies of the fields above) under its domain's key (services/audit.service.ts seals them)
	audit_log: {
		fields: ["actor.username", "payload"],
		deep: ["payload"],
		scope: doc => (doc.actor?.id ? personScope(String(doc.actor.id)) : PLATFORM_SCOPE),
		scopeFields: ["actor"],
		explicit: true,
	},
	// the read model folded from the trail holds copies of risk titles and action items
	company_overviews: {
		fields: ["risks.*.title", "plans.*.open_actions[].title", "plans.*.open_actions[].owner"],
		scope: doc => domainScope(doc.company?.industry),
		scopeFields: ["company"],
	},
	audit_unappended: {
		fields: ["record.actor.username", "record.payload"],
		scope: doc => (doc.record?.actor?.id ? personScope(String(doc.record.actor.id)) : PLATFORM_SCOPE),
		scopeFields: ["record"],
	},
};

/** The blob store's files (ML data sets and artifacts, report files): under the platform's key. */
export const BLOB_SCOPE: KeyScope = PLATFORM_SCOPE;
