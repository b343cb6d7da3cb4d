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

/** Where the trail's archived part ends (the head's `archived_seq` and `archived_hash`), null when nothing is archived. */
export function archivedAnchor(head: { archived_seq?: number; archived_hash?: string } | null): { seq: number; hash: string } | null {
	return head?.archived_seq ? { seq: head.archived_seq, hash: head.archived_hash! } : null;
}

/** The audit chain in a collection's documents: its head (from the head document) and whether the entries hold it. */
export function auditHeadOf(
	entries: AuditEntry[],
	head: { seq: number; hash: string; last?: AuditEntry | AuditEntry[] | null; archived_seq?: number; archived_hash?: string } | null,
): { head_seq: number; head_hash: string; problem?: string } {
	const sorted = [...entries].sort((a, b) => a.seq - b.seq);
	// entries archived and removed (docs/audit.md, "Retention and archive"): the chain goes on from the last of them
	const broken = firstBreak(sorted, archivedAnchor(head));
	if (broken) return { head_seq: head?.seq ?? 0, head_hash: head?.hash ?? GENESIS_HASH, problem: `audit entry ${broken.seq}: ${broken.reason}` };
	const end = sorted[sorted.length - 1];
	if (!head) return { head_seq: end?.seq ?? 0, head_hash: end?.hash ?? GENESIS_HASH };
	// the head may point past the log by the batch it moved over last (its next append writes it from the head): not a break
	if (head.seq > (end?.seq ?? 0) + (Array.isArray(head.last) ? head.last.length : head.last ? 1 : 0))
		return { head_seq: head.seq, head_hash: head.hash, problem: `audit entry ${(end?.seq ?? 0) + 1} is missing` };
	return { head_seq: head.seq, head_hash: head.hash };
}
