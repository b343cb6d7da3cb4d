/**
 * The kit for a service whose entities belong to a company (statements today; risk assessments, compliance
 * records, KPIs, plans next). It gives:
 * - `company(ctx, id)`: the company through `companies.get`, with the caller's scope (a 404 outside it);
 * - `companiesInScope(ctx)`: every company the caller may see, for portfolio views;
 * - `ownedEntity(ctx, id, label)`: one of this service's entities (field `company_id`), a 404 when missing or
 *   when its company is outside the caller's scope;
 * - `COMPANY_SCOPE_KEYS`: the part of a cache key that makes cached answers per caller scope;
 * - cache cleaning when a company changes, and the company deletion cascade through the durable channel
 *   (at least once: `onCompanyDeleted` must be idempotent; by default it deletes the entities whose
 *   `company_id` is the company's).
 * Mix it in after the db mixin (mixins/db.mixin.ts).
 */
import type { Context } from "moleculer";
import type { Company } from "../models/company";
import { Companies } from "../contracts";
import { call } from "../lib/contract-calls";
import { notFound } from "../models/errors";
import { createCacheCleanerMixin } from "./cache-cleaner.mixin";
import type { DbMethods } from "./db.mixin";
import { defineMixin, type MembersOf } from "../lib/service";

/** Cache-key parts that make a cached answer specific to the caller's role and domains. */
export const COMPANY_SCOPE_KEYS = ["#user.role", "#user.domains"];

/** What the mixin adds to a service. */
export type CompanyScopedMethods = MembersOf<ReturnType<typeof createCompanyScopedMixin>>;

/** `ownService`: the service's own name, whose cache is cleaned with the companies' (e.g. "finance"). */
export function createCompanyScopedMixin(ownService: string) {
	return defineMixin<object, DbMethods>()({
		mixins: [createCacheCleanerMixin([ownService, "companies"])],
		methods: {
			async company(ctx: Context, id: string): Promise<Company> {
				return call(ctx, Companies.actions.get, { id });
			},
			/** Every company in the caller's domains (for portfolio views; `filter`: companies.list's), a hundred per call. */
			async companiesInScope(ctx: Context, filter: { industry?: string } = {}): Promise<Company[]> {
				const companies: Company[] = [];
				for (let page = 1; ; page++) {
					const res = await call(ctx, Companies.actions.list, { ...filter, page, page_size: 100 });
					companies.push(...res.rows);
					if (page >= res.total_pages) return companies;
				}
			},
			async ownedEntity<T extends { company_id: string }>(ctx: Context, id: string, label: string): Promise<T> {
				const entity = await this.findEntityById<T>(id);
				if (!entity) throw notFound(label, id);
				try {
					await this.company(ctx, entity.company_id);
				} catch (err) {
					// outside the caller's scope: as missing as a missing one
					if ((err as { code?: number }).code === 404) throw notFound(label, id);
					throw err;
				}
				return entity;
			},
			/** At least once: must be idempotent. A service may replace it (its own `methods` win over a mixin's). */
			async onCompanyDeleted(companyId: string): Promise<void> {
				await this.store.removeMany({ company_id: companyId });
			},
		},
		channels: {
			[Companies.channels.deleted.name]: {
				group: ownService,
				async handler(message) {
					await this.onCompanyDeleted(message.company.id);
				},
			},
		},
	});
}
