/**
 * An audit entry as a SIEM reads it (docs/audit.md, "Export to a SIEM"): Elastic Common Schema 8 fields for what
 * every SIEM indexes (when, what, who, outcome, request), the rest under `bizops.*` (ECS's rule for custom
 * fields: a name of the organisation's own), with the chain's links so the receiver can check the hash chain.
 * Source: Elastic Common Schema reference 8.x, field sets event, user, http, trace and ecs.
 */
import type { AuditEntry } from "./chain";

export const ECS_VERSION = "8.11.0";

/** Actions that record a refusal or a failure (a denied request, a failed job): `event.outcome` failure. */
const FAILURE = /(\.denied|\.failed|\.refused|\.rejected)$/;

/**
 * `entry` as stored (what the chain hashes: an actor's name and its repetitions in the payload encrypted) and
 * `readable`, the same entry decrypted: `user.name` and `bizops.payload` are what it says, `bizops.sealed.*` the
 * stored (encrypted) values the receiver recomputes the hash from.
 */
export function ecsOfAuditEntry(entry: AuditEntry, readable: AuditEntry = entry): Record<string, unknown> {
	return {
		"@timestamp": entry.at,
		"ecs.version": ECS_VERSION,
		"event.kind": "event",
		"event.dataset": "bizops.audit",
		"event.id": entry.event_id,
		"event.action": entry.action,
		"event.sequence": entry.seq,
		"event.outcome": FAILURE.test(entry.action) ? "failure" : "success",
		...(entry.actor ? { "user.id": entry.actor.id, "user.name": readable.actor?.username, "user.roles": [entry.actor.role] } : {}),
		...(entry.actor && entry.actor.username !== readable.actor?.username ? { "bizops.sealed.actor.username": entry.actor.username } : {}),
		...(entry.request_id ? { "http.request.id": entry.request_id, "trace.id": entry.request_id } : {}),
		"bizops.entity.type": entry.entity.type,
		"bizops.entity.id": entry.entity.id,
		"bizops.company_id": entry.company_id ?? null,
		"bizops.domain": entry.domain ?? null,
		"bizops.payload": readable.payload ?? null,
		...(entry.payload !== readable.payload ? { "bizops.sealed.payload": entry.payload ?? null } : {}),
		"bizops.chain.prev_hash": entry.prev_hash,
		"bizops.chain.hash": entry.hash,
	};
}

/** Entries as NDJSON: one ECS object per line, in chain order. */
export function ndjsonOf(entries: AuditEntry[], readable: AuditEntry[] = entries): string {
	return entries.map((e, i) => `${JSON.stringify(ecsOfAuditEntry(e, readable[i]))}\n`).join("");
}
