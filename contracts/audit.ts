/** audit (services/audit.service.ts): the hash-chained audit trail every domain event is recorded in. */
import type { AuditEntry, AuditRecord } from "../domains/audit/chain";
import { action, channel, signal } from "./contract";

/** An entry as GET /audit answers it: with the id it is stored under. */
export interface AuditEntryView extends AuditEntry {
	id: string;
}

export interface AuditVerification {
	ok: boolean;
	entries_checked: number;
	head_seq: number;
	/** The chain head's hash, when the chain was walked to its end. */
	head_hash?: string;
	first_broken?: { seq: number; reason: string };
	/** The last entry archived and removed: the chain is checked from its hash on. */
	archived_through?: number;
	unappended: { count: number; oldest: Array<{ event_id: string; action: string; at: string; failed_at?: string }> };
}

export const Audit = {
	events: {
		/** A batch of entries was appended, up to `seq`, of these companies (a broadcast, not recorded): projections read on from their checkpoint. */
		appended: signal<{ seq: number; company_ids: string[] }>()("audit.appended"),
	},
	channels: {
		/**
		 * Every domain event's record, sent by the audit middleware on every node and appended by one `audit`
		 * replica, once per `event_id` however often it is delivered.
		 */
		events: channel<AuditRecord>()("audit.events"),
		/** The audit channel's dead-letter queue: records whose append failed on every redelivery, kept in a ledger and appended later. */
		unappended: channel<AuditRecord>()("audit.unappended"),
	},
	actions: {
		/** Entries after a sequence number, in order (of one company when given): what projections fold. */
		entries: action<{ after_seq: number; company_id?: string; limit?: number }, AuditEntry[]>()("audit.entries"),
		verify: action<Record<string, never>, AuditVerification>()("audit.verify"),
	},
} as const;
