/**
 * audit: the append-only trail of every domain event (docs/audit.md). Events arrive on the durable
 * `audit.events` channel (sent by the audit middleware on every node); each is appended once, however often
 * it is delivered and however many audit replicas run, as the next link of a SHA-256 hash chain. The chain's
 * head is one document moved by compare-and-set (the replica whose update matches the head it read wins;
 * the others read again), and holds the entry it points to, so a replica that dies between moving the head
 * and writing the entry leaves nothing lost: the next append (or a redelivery) writes it.
 *
 * A record the channel gave up on (its append failed on every redelivery: the store down for longer than the
 * retries last) goes to the audit's own dead-letter queue, `audit.unappended`: kept in a ledger, appended again
 * every `audit.retry_unappended_ms`, and reported by `/audit/verify` (ok: false), the REPL's `audit-verify` and
 * the `bizops_audit_records_unappended` gauge until it is in the chain.
 */
import type { Context } from "moleculer";
import { chainEntry, firstBreak, GENESIS_HASH, type AuditEntry, type AuditRecord } from "../domains/audit/chain";
import { KeyedLock } from "../lib/keyed-lock";
import { visibleIndustries } from "../domains/identity/rbac";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { defineService } from "../lib/service";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createDbMixin, createStoreMixin, type Doc } from "../mixins/db.mixin";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { isoDateTimeParam, listParams } from "../models/common";
import { Audit, Companies } from "../contracts";
import { broadcast, call } from "../lib/contract-calls";

type AuditContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** Natural keys of the head and of each entry: their _ids (idForKey), so a second writer of either collides in the store. */
const HEAD_KEY = "audit-chain-head";
const entryKey = (seq: number) => `audit-entry-${seq}`;
const VERIFY_PAGE = 1000;
const MAX_ATTEMPTS = 100;
const AS_AUDIT = { meta: { user: servicePrincipal("audit") } };
/** Records of the ledger shown by verify. */
const UNAPPENDED_SHOWN = 20;
const UNAPPENDED_GAUGE = {
	type: "gauge",
	name: "bizops.audit.records.unappended",
	description: "Audit records the channel gave up on, kept in the ledger until they are appended (0 when the trail is complete)",
} as const;

interface Head {
	seq: number;
	hash: string;
	last: AuditEntry | null;
}

const AuditService = defineService<{ locks: KeyedLock; retryTimer?: NodeJS.Timeout }>()({
	name: "audit",
	metadata: { description: "The audit trail and its hash chain" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createDbMixin(
			"audit_log",
			[
				{ fields: { seq: 1 }, unique: true },
				{ fields: { event_id: 1 } },
				{ fields: { action: 1 } },
				{ fields: { "actor.username": 1 } },
				{ fields: { at: 1 } },
				{ fields: { company_id: 1, seq: 1 } },
				{ fields: { domain: 1 } },
			],
			// no cached answer reads the trail: an append cleans no cache
			{ cachedAnswers: false },
		),
		createStoreMixin("heads", "audit_head"),
		createStoreMixin("unappended", "audit_unappended", [{ fields: { "record.at": 1 } }]),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.auditAppends]),
	],

	methods: {
		publicEntry(doc: Doc): AuditEntry & { id: string } {
			const { _id: _stored, id: _id, ...entry } = doc;
			return { id: String(entry.seq), ...(entry as AuditEntry) };
		},

		/** The entry the head points to, written to the log if it is not there yet (idempotent). */
		async materialize(entry: AuditEntry): Promise<void> {
			if (await this.store.findOne({ seq: entry.seq })) return;
			try {
				await this.store.insertKeyed(entryKey(entry.seq), entry);
			} catch (err) {
				// another replica wrote it at the same moment (same _id): it is there
				if (!(await this.store.findOne({ seq: entry.seq }))) throw err;
			}
		},

		/** The record with its company's domain, looked up when the event did not carry it (null once the company is gone). */
		async withDomain(record: AuditRecord): Promise<AuditRecord> {
			if (record.domain || !record.company_id) return record;
			const company = await call(this.broker, Companies.actions.get, { id: record.company_id }, AS_AUDIT).catch(() => null);
			return { ...record, domain: company?.industry ?? null };
		},

		/** Appends the record once (a record whose event_id is in the log already is skipped); the entry, or null if it was there. */
		async append(record: AuditRecord): Promise<AuditEntry | null> {
			return this.locks.run("chain", async () => {
				const headId = this.idForKey(HEAD_KEY);
				for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
					const head = (await this.heads.findById(headId)) as (Head & Doc) | null;
					if (!head) {
						await this.heads.insert({ _id: headId, seq: 0, hash: GENESIS_HASH, last: null }).catch(() => undefined);
						continue;
					}
					if (head.last) await this.materialize(head.last);
					if (await this.store.findOne({ event_id: record.event_id })) return null;
					const entry = chainEntry(record, head.seq + 1, head.hash);
					const moved = await this.heads.updateMany({ _id: headId, seq: head.seq }, { $set: { seq: entry.seq, hash: entry.hash, last: entry } });
					if (moved === 1) {
						this.countMetric(BUSINESS_COUNTERS.auditAppends);
						await this.materialize(entry);
						return entry;
					}
					// another replica appended first: read the head again
					await new Promise(resolve => setTimeout(resolve, Math.random() * 10));
				}
				throw new Error("the audit chain's head kept moving: the message is delivered again");
			});
		},

		/** Appends what the ledger holds, oldest first; what is in the chain already (a late redelivery won) just leaves the ledger. */
		async appendUnappended(): Promise<number> {
			const docs = await this.unappended.find({ sort: ["record.at"], limit: 100 });
			for (const doc of docs) {
				const record = doc.record as AuditRecord;
				const entry = await this.append(await this.withDomain(record));
				if (entry) void broadcast(this.broker, Audit.events.appended, { seq: entry.seq, company_id: entry.company_id ?? null });
				await this.unappended.removeById(doc._id);
			}
			return this.countUnappended();
		},

		async countUnappended(): Promise<number> {
			const count = await this.unappended.count({});
			if (this.broker.isMetricsEnabled()) this.broker.metrics.set(UNAPPENDED_GAUGE.name, count);
			return count;
		},
	},

	actions: {
		list: {
			openapi: {
				summary: "Read the audit trail",
				description: "Entries newest first; filters on entity, company, actor, action and time. A domain_admin reads its domains' entries.",
				response: "AuditEntry",
				list: true,
			},
			rest: "GET /audit",
			role: "domain_admin",
			params: {
				$$strict: true,
				entity_type: { type: "string", max: 100, optional: true },
				entity_id: { type: "string", max: 100, optional: true },
				company_id: { type: "string", max: 100, optional: true },
				actor: { type: "string", max: 100, optional: true },
				action: { type: "string", max: 100, optional: true },
				from: isoDateTimeParam("from", true),
				to: isoDateTimeParam("to", true),
				...listParams(["seq", "at", "action"]),
			},
			async handler(
				ctx: AuditContext<{
					entity_type?: string;
					entity_id?: string;
					company_id?: string;
					actor?: string;
					action?: string;
					from?: string;
					to?: string;
					page?: number;
					page_size?: number;
					sort?: string;
				}>,
			) {
				const { entity_type, entity_id, company_id, actor, action, from, to } = ctx.params;
				// a domain admin reads the entries of its domains' companies and models; the rest (sign-ins, refusals, users) is a super_admin's
				const domains = visibleIndustries(principalOf(ctx));
				const query: Doc = domains ? { domain: { $in: domains } } : {};
				if (company_id) query.company_id = company_id;
				if (entity_type) query["entity.type"] = entity_type;
				if (entity_id) query["entity.id"] = entity_id;
				if (actor) query["actor.username"] = actor;
				if (action) query.action = action;
				if (from || to) query.at = { ...(from ? { $gte: new Date(from).toISOString() } : {}), ...(to ? { $lte: new Date(to).toISOString() } : {}) };
				// newest first
				const page = await this.store.page<Doc>(query, ctx.params, "-seq");
				return { ...page, rows: page.rows.map(({ id: _id, ...entry }) => this.publicEntry(entry)) };
			},
		},

		/** Entries after `after_seq` in chain order (of one company when given): what projections are folded from (services only). */
		entries: {
			visibility: "public",
			params: {
				$$strict: true,
				after_seq: { type: "number", integer: true, min: 0, convert: true },
				company_id: { type: "string", max: 100, optional: true },
				limit: { type: "number", integer: true, min: 1, max: VERIFY_PAGE, optional: true, convert: true },
			},
			async handler(ctx: AuditContext<{ after_seq: number; company_id?: string; limit?: number }>) {
				const query: Doc = { seq: { $gt: ctx.params.after_seq } };
				if (ctx.params.company_id) query.company_id = ctx.params.company_id;
				const docs = await this.store.find({ query, sort: ["seq"], limit: ctx.params.limit ?? VERIFY_PAGE });
				return docs.map(d => this.publicEntry(d));
			},
		},

		/** Walks the whole chain in order and names the first entry that breaks it; reports the records not appended yet. */
		verify: {
			openapi: {
				summary: "Verify the audit trail",
				description:
					"Walks the hash chain and names the first entry that breaks it, and lists the records acknowledged but not appended yet (`unappended`, the oldest first): either makes `ok` false.",
				response: "AuditVerification",
			},
			rest: "GET /audit/verify",
			role: "super_admin",
			timeout: 0,
			async handler() {
				const head = (await this.heads.findById(this.idForKey(HEAD_KEY))) as Head | null;
				const waiting = await this.countUnappended();
				const unappended = {
					count: waiting,
					oldest: waiting
						? (await this.unappended.find({ sort: ["record.at"], limit: UNAPPENDED_SHOWN })).map(d => {
								const r = d.record as AuditRecord;
								return { event_id: r.event_id, action: r.action, at: r.at, failed_at: d.failed_at as string };
							})
						: [],
				};
				let previous: { seq: number; hash: string } | null = null;
				let checked = 0;
				for (;;) {
					const docs: Array<AuditEntry & { id: string }> = (
						await this.store.find({ query: { seq: { $gt: previous?.seq ?? 0 } }, sort: ["seq"], limit: VERIFY_PAGE })
					).map(d => this.publicEntry(d));
					const broken = firstBreak(docs, previous);
					if (broken)
						return { ok: false, entries_checked: checked + docs.filter(d => d.seq < broken.seq).length, first_broken: broken, head_seq: head?.seq ?? 0, unappended };
					checked += docs.length;
					if (docs.length) previous = { seq: docs[docs.length - 1].seq, hash: docs[docs.length - 1].hash };
					if (docs.length < VERIFY_PAGE) break;
				}
				const logEnd = previous?.seq ?? 0;
				// the head may point one entry past the log (the next append writes it): that is not a break
				if (head && head.seq > logEnd + 1)
					return { ok: false, entries_checked: checked, first_broken: { seq: logEnd + 1, reason: `entry ${logEnd + 1} is missing` }, head_seq: head.seq, unappended };
				return { ok: waiting === 0, entries_checked: checked, head_seq: head?.seq ?? 0, head_hash: head?.hash ?? GENESIS_HASH, unappended };
			},
		},
	},

	channels: {
		[Audit.channels.events.name]: {
			group: "audit",
			// given up after the channel's redeliveries: to the ledger below, not to the shared dead-letter queue
			deadLettering: { enabled: true, queueName: Audit.channels.unappended.name },
			async handler(record) {
				try {
					const entry = await this.append(await this.withDomain(record));
					// projections (the company overview) read on from their checkpoint: not an audited event
					if (entry) void broadcast(this.broker, Audit.events.appended, { seq: entry.seq, company_id: entry.company_id ?? null });
				} catch (err) {
					// redelivered (up to the channel's retries, then parked in the dead-letter queue): say why
					this.logger.error(`Audit record ${record?.event_id} (${record?.action}) not appended: ${(err as Error).message}`);
					throw err;
				}
			},
		},

		/** A record the audit channel gave up on: kept (once per event) until the retry appends it. */
		[Audit.channels.unappended.name]: {
			group: "audit",
			async handler(record) {
				const _id = this.idForKey(`unappended-${record.event_id}`);
				if (!(await this.unappended.findById(_id))) {
					try {
						await this.unappended.insert({ _id, record, failed_at: new Date().toISOString() });
					} catch (err) {
						if (!(await this.unappended.findById(_id))) throw err;
					}
				}
				this.logger.error(`Audit record ${record.event_id} (${record.action}) could not be appended: kept in the ledger and tried again`);
				await this.countUnappended();
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
		if (this.broker.isMetricsEnabled() && !this.broker.metrics.getMetric(UNAPPENDED_GAUGE.name)) this.broker.metrics.register({ ...UNAPPENDED_GAUGE });
	},

	async started() {
		await this.countUnappended().catch(() => undefined);
		this.retryTimer = setInterval(
			() => void this.appendUnappended().catch(err => this.logger.warn(`Unappended audit records: ${(err as Error).message}`)),
			this.config.audit.retry_unappended_ms,
		);
		this.retryTimer.unref();
	},

	stopped() {
		clearInterval(this.retryTimer);
	},
});

export default AuditService;
