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
 *
 * For a SIEM: `GET /audit/export` reads the trail from a sequence number on as NDJSON in ECS with the chain head;
 * with `AUDIT_SIEM_URL` set, one audit replica at a time (a lease on the delivery checkpoint) pushes every entry
 * there in chain order, advancing the checkpoint only after the SIEM accepted a batch, backing off while it fails.
 */
import type { Context } from "moleculer";
import { archivedAnchor, chainEntry, firstBreak, GENESIS_HASH, type AuditEntry, type AuditRecord } from "../domains/audit/chain";
import path from "node:path";
import { writeArchive } from "../lib/audit-archive";
import { retentionCutoff, scheduleRetention } from "../lib/retention";
import { KeyedLock } from "../lib/keyed-lock";
import { visibleIndustries } from "../domains/identity/rbac";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { defineService } from "../lib/service";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createDbMixin, createStoreMixin, type Doc } from "../mixins/db.mixin";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { isoDateTimeParam, listParams } from "../models/common";
import { Audit, Auth, Companies } from "../contracts";
import { ecsOfAuditEntry, ndjsonOf } from "../domains/audit/ecs";
import { PERSONAL_DATA_LIMIT } from "../mixins/personal-data.mixin";
import { retryDelayMs } from "../domains/audit/delivery";
import { Readable } from "node:stream";
import { randomUUID } from "node:crypto";
import { broadcast, call } from "../lib/contract-calls";
import { domainScope, personScope } from "../models/encrypted-fields";

type AuditContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** Natural keys of the head and of each entry: their _ids (idForKey), so a second writer of either collides in the store. */
const HEAD_KEY = "audit-chain-head";
const entryKey = (seq: number) => `audit-entry-${seq}`;
const VERIFY_PAGE = 1000;
const MAX_ATTEMPTS = 100;
/** Records appended under one move of the head (the records waiting on this node when the chain is free). */
const APPEND_BATCH = 500;
/**
 * How long the first record of a batch waits for others when the last batch was written less than this ago (records
 * keep coming: a review's dozen, and those of the reviews beside it, take one move of the head instead of one each);
 * a record after a quiet spell is written at once.
 */
const APPEND_LINGER_MS = 20;
/** The audit channel's handlers at once on one node: what waits while a batch is written forms the next batch. */
const APPEND_IN_FLIGHT = 1000;
const AS_AUDIT = { meta: { user: servicePrincipal("audit") } };
/** Records of the ledger shown by verify. */
const UNAPPENDED_SHOWN = 20;
const UNAPPENDED_GAUGE = {
	type: "gauge",
	name: "bizops.audit.records.unappended",
	description: "Audit records the channel gave up on, kept in the ledger until they are appended (0 when the trail is complete)",
} as const;

/** Where the push to the SIEM stands: the last entry it accepted, and which replica holds the delivery's lease. */
interface SiemCheckpoint {
	seq: number;
	node?: string;
	lease?: string;
	lease_until?: string;
	failures: number;
	next_attempt_at?: string | null;
	last_error?: string | null;
	delivered_at?: string | null;
}
const SIEM_KEY = "siem-checkpoint";
/** Batches one delivery round pushes at most before it lets the timer run again. */
const SIEM_BATCHES_PER_ROUND = 20;
/** The most entries one export answers (a SIEM pages on with `after_seq`). */
const EXPORT_MAX = 100_000;

interface Head {
	seq: number;
	hash: string;
	/** The entries the head moved over last (one batch), written to the log by whoever reads the head next if not yet there. */
	last: AuditEntry | AuditEntry[] | null;
	/** The last entry archived and removed (docs/audit.md, "Retention and archive"). */
	archived_seq?: number;
	archived_hash?: string;
}

/** Entries per archive file. */
const ARCHIVE_BATCH = 10_000;

/** How many entries the head's last batch holds. */
const lastCount = (last: Head["last"]) => (Array.isArray(last) ? last.length : last ? 1 : 0);

type Waiting = { record: AuditRecord; resolve(entry: AuditEntry | null): void; reject(err: Error): void };

const AuditService = defineService<{
	waiting: Waiting[];
	appending: Promise<void> | null;
	/** When the last batch was written (ms): records that follow closely wait for company. */
	lastAppendAt: number;
	locks: KeyedLock;
	retryTimer?: NodeJS.Timeout;
	siemTimer?: NodeJS.Timeout;
	archiveTimer?: NodeJS.Timeout;
	shipping: boolean;
}>()({
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
				{ fields: { "actor.id": 1, seq: -1 } },
				{ fields: { at: 1 } },
				{ fields: { company_id: 1, seq: 1 } },
				{ fields: { domain: 1 } },
			],
			// no cached answer reads the trail: an append cleans no cache
			{ cachedAnswers: false },
		),
		createStoreMixin("heads", "audit_head"),
		createStoreMixin("unappended", "audit_unappended", [{ fields: { "record.at": 1 } }]),
		createStoreMixin("siem", "audit_siem"),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.auditAppends]),
	],

	methods: {
		/** An entry as stored (its actor's name sealed): what the chain's hashes cover. */
		publicEntry(doc: Doc): AuditEntry & { id: string } {
			const { _id: _stored, id: _id, ...entry } = doc;
			return { id: String(entry.seq), ...(entry as AuditEntry) };
		},

		/** Entries as a reader sees them: the actor's name decrypted (`[erased]` once the person was erased). */
		async readable(docs: Doc[]): Promise<Array<AuditEntry & { id: string }>> {
			const cipher = this.store.cipher!;
			return Promise.all(docs.map(async d => this.publicEntry((await cipher.decryptDoc(d, String(d.event_id)))!)));
		},

		/**
		 * The record with its actor's name, and every place its payload repeats it, encrypted under the actor's own
		 * key (models/encrypted-fields.ts): the chain hashes the ciphertext, so erasing the person leaves it verifiable.
		 */
		async sealed(record: AuditRecord): Promise<AuditRecord> {
			const cipher = this.store.cipher!;
			let out: Doc = record;
			const name = record.actor?.username;
			if (name) {
				const scope = cipher.scopeOf(record);
				out = await cipher.encryptDoc(out, record.event_id, scope, ["actor.username"]);
				out = await cipher.sealWhere(out, record.event_id, scope, "payload", s => s === name);
			}
			// an account's own entries name it in the payload (its user): under that person's key too
			const subject = record.entity.type === "auth.user" && record.entity.id ? (record.payload as { user?: { username?: unknown } } | null)?.user?.username : undefined;
			if (typeof subject === "string") out = await cipher.sealWhere(out, record.event_id, personScope(record.entity.id!), "payload", s => s === subject);
			// the payload as a whole (titles, notes, owners it copies from the records) under its domain's key
			if (out.payload != null) out = await cipher.encryptDoc(out, record.event_id, domainScope(record.domain), ["payload"]);
			return out as AuditRecord;
		},

		/** The entries the head moved over (one, or a batch), written to the log where they are not yet (idempotent). */
		async materialize(last: AuditEntry | AuditEntry[], fresh = false): Promise<void> {
			const entries = Array.isArray(last) ? last : [last];
			if (!entries.length) return;
			let missing = entries;
			// fresh: the head moved over them just now, so they are not in the log unless another replica read the head
			// meanwhile and wrote them (the insert collides: handled below); else counted first, read only when some lack
			if (!fresh) {
				const range = { seq: { $gte: entries[0].seq, $lte: entries[entries.length - 1].seq } };
				if ((await this.store.count({ query: range })) === entries.length) return;
				const there = new Set((await this.store.find({ query: range })).map(d => d.seq as number));
				missing = entries.filter(e => !there.has(e.seq));
				if (!missing.length) return;
			}
			try {
				await this.store.insertManyKeyed(missing.map(entry => ({ key: entryKey(entry.seq), doc: entry })));
			} catch (err) {
				// another replica wrote some at the same moment (same _ids): each is written alone, those there left
				for (const entry of missing) {
					try {
						await this.store.insertKeyed(entryKey(entry.seq), entry);
					} catch (one) {
						if (!(await this.store.findOne({ seq: entry.seq }))) throw err;
					}
				}
			}
		},

		/** The record with its company's domain, looked up when the event did not carry it (null once the company is gone). */
		async withDomain(record: AuditRecord): Promise<AuditRecord> {
			if (record.domain || !record.company_id) return record;
			const company = await call(this.broker, Companies.actions.get, { id: record.company_id }, AS_AUDIT).catch(() => null);
			return { ...record, domain: company?.industry ?? null };
		},

		/**
		 * Appends the record once (a record whose event_id is in the log already is skipped); the entry, or null if
		 * it was there. Records that arrive while a batch is being written wait and go together in the next one: one
		 * move of the head for the batch, each entry still chained to the one before it.
		 */
		async append(plain: AuditRecord): Promise<AuditEntry | null> {
			const record = await this.sealed(plain);
			return new Promise<AuditEntry | null>((resolve, reject) => {
				this.waiting.push({ record, resolve, reject });
				this.appendWaiting();
			});
		},

		/** Writes what waits, a batch at a time, until nothing does (one writer per node; replicas race on the head). */
		appendWaiting(): void {
			if (this.appending) return;
			this.appending = (async () => {
				if (this.waiting.length < APPEND_BATCH && Date.now() - this.lastAppendAt < APPEND_LINGER_MS) await new Promise(resolve => setTimeout(resolve, APPEND_LINGER_MS));
				while (this.waiting.length) {
					const batch = this.waiting.splice(0, APPEND_BATCH);
					try {
						const entries = await this.locks.run("chain", () => this.appendBatch(batch.map(b => b.record)));
						batch.forEach((b, i) => b.resolve(entries[i]));
						// projections (the company overview) read on from their checkpoint: once a batch, not an audited event
						const appended = entries.filter((e): e is AuditEntry => e != null);
						if (appended.length)
							void broadcast(this.broker, Audit.events.appended, {
								seq: Math.max(...appended.map(e => e.seq)),
								company_ids: [...new Set(appended.map(e => e.company_id).filter((id): id is string => !!id))],
							});
					} catch (err) {
						batch.forEach(b => b.reject(err as Error));
					}
					this.lastAppendAt = Date.now();
				}
			})().finally(() => {
				this.appending = null;
				if (this.waiting.length) this.appendWaiting();
			});
		},

		/** The records chained after the head in one compare-and-set of it; for each, its entry, or null when its event was in the log. */
		async appendBatch(records: AuditRecord[]): Promise<Array<AuditEntry | null>> {
			const headId = this.idForKey(HEAD_KEY);
			for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
				const head = (await this.heads.findById(headId)) as (Head & Doc) | null;
				if (!head) {
					await this.heads.insert({ _id: headId, seq: 0, hash: GENESIS_HASH, last: null }).catch(() => undefined);
					continue;
				}
				if (head.last) await this.materialize(head.last);
				const ids = records.map(r => r.event_id);
				const logged = new Set((await this.store.find({ query: { event_id: { $in: ids } } })).map(d => d.event_id as string));
				// a record delivered twice in one batch is appended once
				const fresh = records.filter((r, i) => !logged.has(r.event_id) && ids.indexOf(r.event_id) === i);
				if (!fresh.length) return records.map(() => null);
				const entries: AuditEntry[] = [];
				for (const r of fresh) {
					const before = entries[entries.length - 1] ?? head;
					entries.push(chainEntry(r, before.seq + 1, before.hash));
				}
				const end = entries[entries.length - 1];
				const moved = await this.heads.updateMany({ _id: headId, seq: head.seq }, { $set: { seq: end.seq, hash: end.hash, last: entries } });
				if (moved === 1) {
					this.countMetric(BUSINESS_COUNTERS.auditAppends, undefined, entries.length);
					await this.materialize(entries, true);
					const byEvent = new Map(entries.map(e => [e.event_id, e]));
					return records.map((r, i) => (ids.indexOf(r.event_id) === i ? (byEvent.get(r.event_id) ?? null) : null));
				}
				// another replica appended first: read the head again
				await new Promise(resolve => setTimeout(resolve, Math.random() * 10));
			}
			throw new Error("the audit chain's head kept moving: the message is delivered again");
		},

		/**
		 * Archives the entries older than RETENTION_AUDIT_DAYS from the start of the chain (never past what the SIEM
		 * has received), each file verified before its entries leave the store; the number removed.
		 */
		async archiveOld(): Promise<number> {
			const cutoff = retentionCutoff(this.config.retention.audit_days);
			if (!cutoff) return 0;
			const dir = this.config.audit.archive_dir ?? (this.config.mongo_uri ? null : path.join(this.config.data_dir, "audit-archive"));
			if (!dir) {
				this.logger.error("RETENTION_AUDIT_DAYS is set but AUDIT_ARCHIVE_DIR is not: nothing of the trail is removed before it is archived");
				return 0;
			}
			return this.locks.run("archive", async () => {
				const headId = this.idForKey(HEAD_KEY);
				let removed = 0;
				for (let round = 0; round < 10; round++) {
					const head = (await this.heads.findById(headId)) as Head | null;
					if (!head) return removed;
					const anchor = archivedAnchor(head);
					// a removal cut short (the node stopped) is finished first
					if (anchor) removed += await this.store.removeMany({ seq: { $lte: anchor.seq } });
					const upTo = this.config.audit.siem_url ? (await this.siemCheckpoint()).seq : head.seq;
					const docs = await this.store.find({ query: { seq: { $gt: anchor?.seq ?? 0, $lte: upTo } }, sort: ["seq"], limit: ARCHIVE_BATCH });
					const entries: AuditEntry[] = [];
					for (const d of docs.map(x => this.publicEntry(x))) {
						if (d.at >= cutoff || d.seq !== (anchor?.seq ?? 0) + entries.length + 1) break;
						const { id: _id, ...entry } = d;
						entries.push(entry);
					}
					if (!entries.length) return removed;
					const manifest = await writeArchive(dir, entries, anchor);
					const moved = await this.heads.updateMany(
						{ _id: headId, ...(anchor ? { archived_seq: anchor.seq } : { archived_seq: { $exists: false } }) },
						{ $set: { archived_seq: manifest.to_seq, archived_hash: manifest.last_hash } },
					);
					if (moved !== 1) return removed; // another replica archived meanwhile: it removes them
					removed += await this.store.removeMany({ seq: { $lte: manifest.to_seq } });
					this.logger.info(`Audit trail: entries ${manifest.from_seq}–${manifest.to_seq} archived to ${path.join(dir, manifest.file)} and removed from the store`);
				}
				return removed;
			});
		},

		/** Appends what the ledger holds, oldest first; what is in the chain already (a late redelivery won) just leaves the ledger. */
		async appendUnappended(): Promise<number> {
			const docs = await this.unappended.find({ sort: ["record.at"], limit: 100 });
			for (const doc of docs) {
				const record = doc.record as AuditRecord;
				await this.append(await this.withDomain(record));
				await this.unappended.removeById(doc._id);
			}
			return this.countUnappended();
		},

		/** The SIEM delivery's checkpoint (created at 0 on first use). */
		async siemCheckpoint(): Promise<SiemCheckpoint & Doc> {
			const id = this.idForKey(SIEM_KEY);
			const found = await this.siem.findById(id);
			if (found) return found as SiemCheckpoint & Doc;
			await this.siem.insert({ _id: id, seq: 0, failures: 0, lease: null }).catch(() => undefined); // another replica made it
			return (await this.siem.findById(id)) as SiemCheckpoint & Doc;
		},

		/**
		 * One delivery round: take (or keep) the lease, then POST the entries after the checkpoint in batches, moving the
		 * checkpoint after each batch the SIEM accepted (2xx). A failure counts, sets when to try again (backoff), and
		 * ends the round; the same entries are sent again then, so none is skipped and none is sent twice unless the
		 * SIEM accepted a batch but this replica died before recording it (each line carries `event.id` and
		 * `event.sequence` for the SIEM to drop such a repeat).
		 */
		async shipToSiem(): Promise<void> {
			const url = this.config.audit.siem_url;
			if (!url || this.shipping) return;
			this.shipping = true;
			try {
				const id = this.idForKey(SIEM_KEY);
				const now = Date.now();
				const cp = await this.siemCheckpoint();
				if (cp.node !== this.broker.nodeID && cp.lease_until && Date.parse(cp.lease_until) > now) return; // another replica delivers
				if (cp.next_attempt_at && Date.parse(cp.next_attempt_at) > now) return; // backing off
				const lease = randomUUID();
				const leaseUntil = () => new Date(Date.now() + Math.max(30_000, this.config.audit.siem_timeout_ms * 3)).toISOString();
				const taken = await this.siem.updateMany(
					{ _id: id, seq: cp.seq, lease: cp.lease ?? null },
					{ $set: { node: this.broker.nodeID, lease, lease_until: leaseUntil() } },
				);
				if (taken !== 1) return;
				let seq = cp.seq;
				for (let round = 0; round < SIEM_BATCHES_PER_ROUND; round++) {
					const docs = await this.store.find({ query: { seq: { $gt: seq } }, sort: ["seq"], limit: this.config.audit.siem_batch });
					const entries = docs.map(d => this.publicEntry(d));
					const readable = await this.readable(docs);
					// only an unbroken run from the checkpoint: an entry still being written is sent next round, in order
					const run = entries.filter((e, i) => e.seq === seq + 1 + i);
					if (!run.length) return;
					try {
						const res = await fetch(url, {
							method: "POST",
							headers: {
								"content-type": "application/x-ndjson",
								"x-bizops-first-seq": String(run[0].seq),
								"x-bizops-last-seq": String(run[run.length - 1].seq),
								...(this.config.audit.siem_authorization ? { authorization: this.config.audit.siem_authorization } : {}),
							},
							body: ndjsonOf(run, readable),
							signal: AbortSignal.timeout(this.config.audit.siem_timeout_ms),
						});
						await res.body?.cancel().catch(() => undefined);
						if (!res.ok) throw new Error(`the SIEM answered ${res.status} ${res.statusText}`);
					} catch (err) {
						const failures = (cp.failures ?? 0) + 1;
						const message = (err as Error).name === "TimeoutError" ? `no answer within ${this.config.audit.siem_timeout_ms} ms` : (err as Error).message;
						const next = new Date(Date.now() + retryDelayMs(failures)).toISOString();
						await this.siem.updateMany({ _id: id, lease }, { $set: { failures, last_error: message, next_attempt_at: next } });
						if (failures === 1 || failures % 10 === 0)
							this.logger.warn(
								`Audit entries ${run[0].seq}–${run[run.length - 1].seq} not delivered to the SIEM (${failures} failures): ${message}; next try at ${next}`,
							);
						return;
					}
					const moved = await this.siem.updateMany(
						{ _id: id, lease, seq },
						{
							$set: {
								seq: run[run.length - 1].seq,
								failures: 0,
								last_error: null,
								next_attempt_at: null,
								delivered_at: new Date().toISOString(),
								lease_until: leaseUntil(),
							},
						},
					);
					if (moved !== 1) return; // the lease was lost (a pause past it): the holder goes on from the checkpoint
					if (cp.failures) this.logger.info(`Audit delivery to the SIEM resumed after ${cp.failures} failures: up to entry ${run[run.length - 1].seq}`);
					cp.failures = 0;
					seq = run[run.length - 1].seq;
				}
			} finally {
				this.shipping = false;
			}
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
				// the actor's name is encrypted: found through the account's id
				if (actor) query["actor.id"] = (await call(this.broker, Auth.actions.userIdOf, { username: actor }, AS_AUDIT)) ?? "";
				if (action) query.action = action;
				if (from || to) query.at = { ...(from ? { $gte: new Date(from).toISOString() } : {}), ...(to ? { $lte: new Date(to).toISOString() } : {}) };
				// newest first
				const page = await this.store.page<Doc>(query, ctx.params, "-seq");
				return { ...page, rows: await this.readable(page.rows.map(({ id: _id, ...entry }) => entry)) };
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
				return this.readable(docs);
			},
		},

		export: {
			openapi: {
				summary: "Export the audit trail for a SIEM",
				description:
					"The entries after `after_seq` (0: from the first) in chain order, as NDJSON: one Elastic Common Schema object per line (`@timestamp`, `event.action`, `event.id`, `event.sequence`, `event.outcome`, `user.*`, `http.request.id`, and `bizops.*` with the entity, company, payload and the chain's `prev_hash` and `hash`). `X-Audit-Head-Seq` and `X-Audit-Head-Hash` give the chain's head as the export began; `X-Audit-Next-After-Seq` where the next page starts when `limit` cut it (docs/audit.md).",
				answers: "application/x-ndjson",
			},
			rest: "GET /audit/export",
			role: "super_admin",
			timeout: 0,
			params: {
				$$strict: true,
				after_seq: { type: "number", integer: true, min: 0, optional: true, convert: true },
				limit: { type: "number", integer: true, min: 1, max: EXPORT_MAX, optional: true, convert: true },
			},
			async handler(ctx: AuditContext<{ after_seq?: number; limit?: number }> & { meta: { $responseType?: string; $responseHeaders?: Record<string, string> } }) {
				const head = (await this.heads.findById(this.idForKey(HEAD_KEY))) as Head | null;
				const headSeq = head?.seq ?? 0;
				const after = ctx.params.after_seq ?? 0;
				const limit = ctx.params.limit ?? EXPORT_MAX;
				// what the head pointed to as the export began: a page never runs past it
				const last = Math.min(headSeq, after + limit);
				ctx.meta.$responseType = "application/x-ndjson";
				ctx.meta.$responseHeaders = {
					"X-Audit-Head-Seq": String(headSeq),
					"X-Audit-Head-Hash": head?.hash ?? GENESIS_HASH,
					...(last < headSeq ? { "X-Audit-Next-After-Seq": String(last) } : {}),
				};
				if (head?.last) await this.materialize(head.last);
				const store = this.store;
				const toEntry = (d: Doc) => this.publicEntry(d);
				const readable = (docs: Doc[]) => this.readable(docs);
				// read a page at a time as the client reads: a long trail never sits whole in memory
				return Readable.from(
					(async function* () {
						for (let from = after; from < last;) {
							const docs = await store.find({ query: { seq: { $gt: from, $lte: last } }, sort: ["seq"], limit: VERIFY_PAGE });
							if (!docs.length) return;
							const read = await readable(docs);
							yield Buffer.from(docs.map((d, i) => `${JSON.stringify(ecsOfAuditEntry(toEntry(d), read[i]))}\n`).join(""));
							from = docs[docs.length - 1].seq as number;
						}
					})(),
				);
			},
		},

		siemStatus: {
			openapi: {
				summary: "See the audit delivery to the SIEM",
				description:
					"Whether entries are pushed (`AUDIT_SIEM_URL`), to which host, up to which entry the SIEM accepted them, how far behind the chain's head that is, and the failures since the last success with when the next try is.",
				response: "AuditSiemStatus",
			},
			rest: "GET /audit/siem",
			role: "super_admin",
			async handler() {
				const url = this.config.audit.siem_url;
				const head = (await this.heads.findById(this.idForKey(HEAD_KEY))) as Head | null;
				const cp = await this.siemCheckpoint();
				return {
					enabled: !!url,
					// the host only: a URL may carry a token in its query
					endpoint: url ? new URL(url).origin : null,
					delivered_seq: cp.seq,
					head_seq: head?.seq ?? 0,
					behind: Math.max(0, (head?.seq ?? 0) - cp.seq),
					failures: cp.failures ?? 0,
					last_error: cp.last_error ?? null,
					next_attempt_at: cp.next_attempt_at ?? null,
					delivered_at: cp.delivered_at ?? null,
					node: cp.node ?? null,
				};
			},
		},

		/** What the trail records of a person's own doing (a GDPR access request: auth's `GET /users/:id/personal-data`). */
		personalData: {
			visibility: "public",
			params: { $$strict: true, username: { type: "string", min: 1, max: 100 }, user_id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: AuditContext<{ username: string; user_id: string }>) {
				const query = { "actor.id": ctx.params.user_id };
				const [docs, total] = await Promise.all([this.store.find({ query, sort: ["-seq"], limit: PERSONAL_DATA_LIMIT }), this.store.count({ query })]);
				return { kind: "audit entries (newest first)", rows: await this.readable(docs), truncated: total > docs.length };
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
				let previous: { seq: number; hash: string } | null = archivedAnchor(head);
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
				const archived = head?.archived_seq ? { archived_through: head.archived_seq } : {};
				// the head may point one entry past the log (the next append writes it): that is not a break
				// the head may point past the log by the batch it moved over last (the next append writes it): not a break
				if (head && head.seq > logEnd + lastCount(head.last))
					return { ok: false, entries_checked: checked, first_broken: { seq: logEnd + 1, reason: `entry ${logEnd + 1} is missing` }, head_seq: head.seq, unappended };
				return { ok: waiting === 0, entries_checked: checked, head_seq: head?.seq ?? 0, head_hash: head?.hash ?? GENESIS_HASH, ...archived, unappended };
			},
		},
	},

	channels: {
		[Audit.channels.events.name]: {
			group: "audit",
			// many at once: those that arrive while a batch is written go together in the next (methods.append)
			maxInFlight: APPEND_IN_FLIGHT,
			// given up after the channel's redeliveries: to the ledger below, not to the shared dead-letter queue
			deadLettering: { enabled: true, queueName: Audit.channels.unappended.name },
			async handler(record) {
				try {
					await this.append(await this.withDomain(record));
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
		this.waiting = [];
		this.appending = null;
		this.lastAppendAt = 0;
		this.shipping = false;
		if (this.broker.isMetricsEnabled() && !this.broker.metrics.getMetric(UNAPPENDED_GAUGE.name)) this.broker.metrics.register({ ...UNAPPENDED_GAUGE });
	},

	async started() {
		await this.countUnappended().catch(() => undefined);
		if (this.config.retention.audit_days > 0)
			this.archiveTimer = scheduleRetention(
				() => this.archiveOld(),
				msg => this.logger.warn(msg),
			);
		this.retryTimer = setInterval(
			() => void this.appendUnappended().catch(err => this.logger.warn(`Unappended audit records: ${(err as Error).message}`)),
			this.config.audit.retry_unappended_ms,
		);
		this.retryTimer.unref();
		if (this.config.audit.siem_url) {
			this.siemTimer = setInterval(
				() => void this.shipToSiem().catch(err => this.logger.warn(`Audit delivery to the SIEM: ${(err as Error).message}`)),
				this.config.audit.siem_interval_ms,
			);
			this.siemTimer.unref();
		}
	},

	stopped() {
		clearInterval(this.archiveTimer);
		clearInterval(this.retryTimer);
		clearInterval(this.siemTimer);
	},
});

export default AuditService;
