/**
 * overview: the company overview (docs/overview.md), a read model (CQRS) folded from the audit trail. It reads
 * the trail's entries in chain order from its checkpoint (on every `audit.appended` broadcast, and every few
 * seconds in case one was missed) and folds each company's into that company's stored overview, moved by
 * compare-and-set on the last entry folded in, so replicas and re-reads apply each entry once. The broadcasts of
 * one tick (FOLD_TICK_MS) lead to one read while appends keep coming. Answers are
 * served from the cache, cleaned whenever an overview moves. `POST …/overview/rebuild` folds the company's
 * whole trail again from nothing.
 */
import type { Context } from "moleculer";
import { emptyOverview, overviewView, type CompanyOverview } from "../domains/overview/projection";
import { foldEntries, type OverviewEntry } from "../lib/overview-fold";
import { servicePrincipal, type AuthMeta } from "../lib/principal";
import { defineService } from "../lib/service";
import { createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, createStoreMixin, naturalKey } from "../mixins/db.mixin";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { retentionCutoff, scheduleRetention } from "../lib/retention";
import { nowIso } from "../models/common";
import { unprocessable } from "../models/errors";
import { Audit, Overview } from "../contracts";
import { call } from "../lib/contract-calls";

type OverviewContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

const AS_OVERVIEW = { meta: { user: servicePrincipal("overview") } };
const idParam = { type: "string", min: 1, max: 64 } as const;
const CHECKPOINT_KEY = "overview-checkpoint";
const BATCH = 500;
const POLL_MS = 2000;
const MAX_ATTEMPTS = 50;
/**
 * How long after an append is announced the trail is read on when the last read was less than this ago: the appends
 * of that moment are folded together, one fold per company, not one for each of a review's dozen entries
 * (bench/README.md, "Company reviews"). After a quiet spell it is read at once.
 */
const FOLD_TICK_MS = 50;

type StoredOverview = CompanyOverview & { id: string; rebuilt_at?: string };

const OverviewService = defineService<{
	catchingUp: Promise<void> | null;
	again: boolean;
	/** When the trail was last read on (ms). */
	lastReadAt: number;
	timer?: NodeJS.Timeout;
	tick?: NodeJS.Timeout;
	retentionTimer?: NodeJS.Timeout;
}>()({
	name: "overview",
	metadata: { description: "The company overview, a read model of the audit trail" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createDbMixin("company_overviews", [{ fields: { company_id: 1 } }, { fields: { deleted: 1, updated_at: 1 } }]),
		createStoreMixin("checkpoints", "overview_checkpoint"),
		createCompanyScopedMixin("overview"),
	],

	methods: {
		async stored(companyId: string): Promise<StoredOverview | null> {
			return this.toEntity<StoredOverview>(await this.store.findByKey(naturalKey("overview", companyId)));
		},

		/** Writes `next` if the stored overview is still `seen` (its seq); false when another writer moved it first. */
		async replace(companyId: string, seen: StoredOverview | null, next: CompanyOverview & { rebuilt_at?: string }): Promise<boolean> {
			const key = naturalKey("overview", companyId);
			if (!seen)
				return this.store.insertKeyed(key, next).then(
					() => true,
					() => false, // another replica inserted it first
				);
			return (await this.store.updateMany({ _id: this.store.idForKey(key), seq: seen.seq }, { $set: next })) === 1;
		},

		/** Folds entries into the company's overview (entries it holds already change nothing); true when it moved. */
		async fold(companyId: string, entries: OverviewEntry[]): Promise<boolean> {
			for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
				const seen = await this.stored(companyId);
				const { id: _id, ...current } = seen ?? { id: "", ...emptyOverview(companyId) };
				const next = foldEntries(current, entries);
				if (next.seq === current.seq) return false;
				if (await this.replace(companyId, seen, next)) return true;
			}
			throw new Error(`the overview of ${companyId} kept moving`);
		},

		/** Reads the trail on from the checkpoint to its end, folding each company's entries into its overview. */
		async readOn(): Promise<void> {
			const checkpointId = this.idForKey(CHECKPOINT_KEY);
			for (;;) {
				const checkpoint = ((await this.checkpoints.findById(checkpointId)) as { seq: number } | null) ?? { seq: 0 };
				const read = await call(this.broker, Audit.actions.entries, { after_seq: checkpoint.seq, limit: BATCH }, AS_OVERVIEW);
				// up to the first gap only: an entry the trail has not written yet is read next time
				const entries = read.filter((e, i) => e.seq === checkpoint.seq + i + 1);
				if (!entries.length) return;
				const byCompany = new Map<string, OverviewEntry[]>();
				for (const e of entries) if (e.company_id) byCompany.set(e.company_id, [...(byCompany.get(e.company_id) ?? []), e]);
				// the overviews that moved clean the cache once
				await this.store.batch(async () => {
					for (const [companyId, own] of byCompany) await this.fold(companyId, own);
				});
				const last = entries[entries.length - 1].seq;
				if (checkpoint.seq === 0 && !(await this.checkpoints.findById(checkpointId)))
					await this.checkpoints.insert({ _id: checkpointId, seq: last }).catch(() => undefined);
				else await this.checkpoints.updateMany({ _id: checkpointId, seq: { $lt: last } }, { $set: { seq: last } });
				if (read.length < BATCH) return;
			}
		},

		/** Reads on now, or once more right after the read under way (many appends, one read after them). */
		catchUp(): Promise<void> {
			if (this.catchingUp) {
				this.again = true;
				return this.catchingUp;
			}
			this.catchingUp = (async () => {
				try {
					do {
						this.again = false;
						await this.readOn();
						this.lastReadAt = Date.now();
					} while (this.again);
				} catch (err) {
					this.logger.warn(`Company overviews: reading the audit trail failed, retried: ${(err as Error).message}`);
				} finally {
					this.catchingUp = null;
				}
			})();
			return this.catchingUp;
		},

		/** Removes the tombstones of companies deleted longer ago than RETENTION_OVERVIEW_TOMBSTONES_DAYS. */
		async sweepRetention(): Promise<number> {
			const cutoff = retentionCutoff(this.config.retention.overview_tombstones_days);
			if (!cutoff) return 0;
			const removed = await this.store.removeMany({ deleted: true, updated_at: { $lt: cutoff } });
			if (removed) this.logger.info(`Retention: ${removed} overviews of companies deleted before ${cutoff} removed`);
			return removed;
		},

		/** The trail's `companies.deleted` entry leaves a small tombstone overview (a late entry cannot bring the company back): nothing to delete here. */
		async onCompanyDeleted(): Promise<void> {},

		/** The company's whole trail folded again from nothing, then written over the stored overview. */
		async rebuild(companyId: string): Promise<{ overview: CompanyOverview; entries: number }> {
			let overview = emptyOverview(companyId);
			let entries = 0;
			for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
				for (;;) {
					const page = await call(this.broker, Audit.actions.entries, { after_seq: overview.seq, company_id: companyId, limit: BATCH }, AS_OVERVIEW);
					overview = foldEntries(overview, page);
					entries += page.length;
					if (page.length < BATCH) break;
				}
				const seen = await this.stored(companyId);
				// a live fold ahead of this one: read on to where it is, then write
				if (seen && seen.seq > overview.seq) continue;
				// rebuilt_at: MongoDB counts an update that changes nothing as not applied
				if (await this.replace(companyId, seen, { ...overview, rebuilt_at: nowIso() })) return { overview, entries };
			}
			throw new Error(`the overview of ${companyId} kept moving`);
		},
	},

	actions: {
		get: {
			openapi: {
				summary: "Get a company at a glance",
				description:
					"Latest analysis highlights, risk level, compliance status per regulation, plans and open actions, the last review; kept from the audit trail, served from the cache (docs/overview.md).",
				response: "Overview",
			},
			rest: "GET /companies/:id/overview",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: OverviewContext<{ id: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const stored = await call(ctx, Overview.actions.projection, { company_id: company.id });
				const overview = stored ?? emptyOverview(company.id);
				// the company as it is now, also before its first entry is folded in
				return overviewView({ ...overview, company: { name: company.name, industry: company.industry, ticker: company.ticker ?? null } }, nowIso().slice(0, 10));
			},
		},

		list: {
			openapi: {
				summary: "Get many companies at a glance",
				description:
					"The overviews of up to 100 companies in one call (`company_ids`, a comma list), for a portfolio table: those the caller may see, in the order asked; an id that is not a company of the caller's domains is left out (`not_found` lists them).",
				response: "Overviews",
			},
			rest: "GET /overviews",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				company_ids: {
					type: "string",
					min: 1,
					max: 100 * 65,
					pattern: /^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64})*$/,
					messages: { stringPattern: "{field}: a comma list of company ids" },
				},
			},
			async handler(ctx: OverviewContext<{ company_ids: string }>) {
				const ids = [...new Set(ctx.params.company_ids.split(","))];
				if (ids.length > 100)
					throw unprocessable("At most 100 companies per call", [{ field: "company_ids", message: `at most 100 ids, got ${ids.length}`, type: "arrayMax" }]);
				const today = nowIso().slice(0, 10);
				const found = await Promise.all(
					ids.map(async id => {
						const company = await this.company(ctx, id).catch(err => {
							if ((err as { code?: number }).code === 404) return null;
							throw err;
						});
						if (!company) return null;
						const stored = await call(ctx, Overview.actions.projection, { company_id: company.id });
						return overviewView(
							{ ...(stored ?? emptyOverview(company.id)), company: { name: company.name, industry: company.industry, ticker: company.ticker ?? null } },
							today,
						);
					}),
				);
				return { rows: found.filter(o => o != null), not_found: ids.filter((_, i) => found[i] == null) };
			},
		},

		/** The stored overview (cached; cleaned when any overview moves). */
		projection: {
			visibility: "public",
			params: { company_id: idParam },
			cache: { keys: ["company_id"], ttl: 300 },
			async handler(ctx: OverviewContext<{ company_id: string }>) {
				const stored = await this.stored(ctx.params.company_id);
				if (!stored) return null;
				const { id: _id, rebuilt_at: _rebuilt, ...overview } = stored;
				return overview;
			},
		},

		rebuild: {
			openapi: { summary: "Rebuild a company's overview", description: "Folds the company's whole audit trail again from nothing.", response: "OverviewRebuilt" },
			rest: "POST /companies/:id/overview/rebuild",
			role: "domain_admin",
			params: { $$strict: true, id: idParam },
			timeout: 0,
			async handler(ctx: OverviewContext<{ id: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const { overview, entries } = await this.rebuild(company.id);
				return {
					entries_folded: entries,
					overview: overviewView({ ...overview, company: overview.company ?? { name: company.name, industry: company.industry } }, nowIso().slice(0, 10)),
				};
			},
		},
	},

	events: {
		[Audit.events.appended.name]() {
			if (this.tick) return;
			const wait = this.lastReadAt + FOLD_TICK_MS - Date.now();
			if (wait <= 0 && !this.catchingUp) return void this.catchUp();
			this.tick = setTimeout(
				() => {
					this.tick = undefined;
					void this.catchUp();
				},
				Math.max(0, wait),
			);
		},
	},

	created() {
		this.catchingUp = null;
		this.again = false;
		this.lastReadAt = 0;
	},

	async started() {
		this.timer = setInterval(() => void this.catchUp(), POLL_MS);
		this.timer.unref();
		this.retentionTimer = scheduleRetention(
			() => this.sweepRetention(),
			m => this.logger.warn(m),
		);
	},

	async stopped() {
		clearInterval(this.timer);
		clearTimeout(this.tick);
		clearInterval(this.retentionTimer);
		await this.catchingUp;
	},
});

export default OverviewService;
