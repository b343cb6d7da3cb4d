/**
 * The audit trail's hash chain (docs/audit.md): each entry holds the SHA-256 of the one before it and its own,
 * computed over a canonical JSON of its fields (keys sorted), so changing, removing or reordering any stored
 * entry breaks the chain at exactly that entry (the construction of Haber & Stornetta, 1991, and of
 * Certificate Transparency logs, RFC 6962).
 */
import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditActor {
	id: string;
	username: string;
	role: string;
}

/** What is recorded of a domain event. */
export interface AuditRecord {
	event_id: string;
	action: string;
	entity: { type: string; id: string | null };
	actor: AuditActor | null;
	request_id: string | null;
	at: string;
	payload: unknown;
	/** The company the event concerns, and its domain (industry; an ML model's domain): who besides a super_admin may read the entry. */
	company_id?: string | null;
	domain?: string | null;
}

export interface AuditEntry extends AuditRecord {
	seq: number;
	prev_hash: string;
	hash: string;
}

/** JSON with object keys sorted at every depth: one text per value, whatever the key order it was built with. */
export function canonicalJson(value: unknown): string {
	if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	const obj = value as Record<string, unknown>;
	return `{${Object.keys(obj)
		.filter(k => obj[k] !== undefined)
		.sort()
		.map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
		.join(",")}}`;
}

export function entryHash(entry: Omit<AuditEntry, "hash">): string {
	const { seq, event_id, action, entity, actor, request_id, at, payload, company_id, domain, prev_hash } = entry;
	return createHash("sha256").update(canonicalJson({ seq, event_id, action, entity, actor, request_id, at, payload, company_id, domain, prev_hash })).digest("hex");
}

export function chainEntry(record: AuditRecord, seq: number, prevHash: string): AuditEntry {
	const entry = { ...record, seq, prev_hash: prevHash };
	return { ...entry, hash: entryHash(entry) };
}

export type Break = { seq: number; reason: string };

/**
 * Checks entries in order, continuing from `previous` (the last entry of the page before, or null at the start):
 * the first entry that breaks the chain, or null.
 */
export function firstBreak(entries: AuditEntry[], previous: { seq: number; hash: string } | null): Break | null {
	let expectedSeq = (previous?.seq ?? 0) + 1;
	let prevHash = previous?.hash ?? GENESIS_HASH;
	for (const e of entries) {
		if (e.seq !== expectedSeq) return { seq: expectedSeq, reason: e.seq > expectedSeq ? `entry ${expectedSeq} is missing` : `entry ${e.seq} appears twice` };
		if (e.prev_hash !== prevHash) return { seq: e.seq, reason: "its prev_hash is not the hash of the entry before it" };
		if (entryHash(e) !== e.hash) return { seq: e.seq, reason: "its content does not match its hash (changed after it was written)" };
		prevHash = e.hash;
		expectedSeq++;
	}
	return null;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * What an event is about: the entity type from its name (`companies.created` → companies), the id from its
 * payload: its own `id`, the id of the entity it carries (`record`, `assessment`, `api_key`, … by the type's
 * name, or the usual ones), its `<type>_id`, then what it hangs off (model, company, user); a refused request's
 * route, a failed sign-in's account, an import's URNs. Every entry names something.
 */
export function entityOf(action: string, payload: unknown): AuditRecord["entity"] {
	const parts = action.split(".");
	const type = parts.length > 2 ? parts.slice(0, -1).join(".") : parts[0];
	const p = (isObject(payload) ? payload : {}) as Record<string, unknown>;
	const last = type.split(".").pop()!;
	const singular = last.replace(/ies$/, "y").replace(/s$/, "");
	const nested = [p.entity, p[singular], p[last], p.company, p.statement, p.user, p.record, p.assessment, p.plan].find(isObject);
	const urns = Array.isArray(p.urns) ? p.urns.join(",").slice(0, 200) : undefined;
	const route = typeof p.route === "string" ? `${p.method ?? ""} ${p.route}`.trim() : undefined;
	const id = p.id ?? nested?.id ?? p[`${singular}_id`] ?? p.model_id ?? p.company_id ?? p.user_id ?? nested?.name ?? p.username ?? route ?? urns ?? null;
	return { type, id: id == null ? null : String(id) };
}

type Nested = Record<string, unknown> | undefined;

/** The company an event concerns and its domain, as far as its payload says (the audit service looks the domain up otherwise). */
export function scopeOf(action: string, payload: unknown): { company_id: string | null; domain: string | null } {
	const p = (payload ?? {}) as Record<string, unknown>;
	const company = p.company as Nested;
	const owned = (p.statement ?? p.assessment ?? p.record ?? p.plan) as Nested;
	const companyId = p.company_id ?? (action.startsWith("companies.") ? company?.id : undefined) ?? owned?.company_id ?? null;
	const domain = company?.industry ?? owned?.industry ?? p.domain ?? null;
	return { company_id: companyId == null ? null : String(companyId), domain: domain == null ? null : String(domain) };
}
