/**
 * companies: CRUD with pagination, sorting and an industry filter; every read and write is scoped to the
 * caller's domains (a company outside them is a 404), every write emits an event and cleans the cache.
 */
import type { Context } from "moleculer";
import { NOT_RETRIED, type Schema } from "../models/service";
import { canSeeIndustry, visibleIndustries, type Principal } from "../domains/identity/rbac";
import { INDUSTRIES, type Industry } from "../domains/industries";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { createDbMixin, type DbMethods, type Doc } from "../mixins/db.mixin";
import { principalOf, type AuthMeta } from "../middlewares/authorization.middleware";
import { listParams, nowIso, pageOf } from "../models/common";
import { COMPANY_SORTABLE, createCompanyParams, updateCompanyParams, type Company } from "../models/company";
import { forbidden, notFound } from "../models/errors";

type CompaniesContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

interface CompaniesThis extends DbMethods {
	visibleCompany(ctx: CompaniesContext, id: string): Promise<Company>;
}

/** The part of the principal that decides what a cached read returns. */
const SCOPE_KEYS = ["#user.role", "#user.domains"];

const idParams = { $$strict: true, id: { type: "string", min: 1, max: 64 } } as const;

const CompaniesService: Schema<CompaniesThis> = {
	name: "companies",
	// REST paths are absolute under /api/v1 (DESIGN §4), not prefixed with the service name.
	settings: { rest: "/" },
	mixins: [
		createDbMixin("companies", [{ fields: { industry: 1 } }, { fields: { name: 1 } }, { fields: { ticker: 1 } }]),
		createCacheCleanerMixin(["companies"]),
	],

	actions: {
		create: {
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies",
			permission: ["write", "financial_data"],
			params: createCompanyParams,
			async handler(this: CompaniesThis, ctx: CompaniesContext<Omit<Company, "id" | "created_at" | "updated_at">>) {
				const user = principalOf(ctx);
				if (!canSeeIndustry(user, ctx.params.industry)) throw forbidden(`Your domains do not include '${ctx.params.industry}'`);
				const now = nowIso();
				const company = (await this.insertEntity({ ...ctx.params, created_at: now, updated_at: now })) as Company;
				ctx.emit("companies.created", { company, by: user.id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/companies/${company.id}`;
				return company;
			},
		},

		list: {
			rest: "GET /companies",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				...listParams(COMPANY_SORTABLE),
				industry: { type: "enum", values: [...INDUSTRIES], optional: true },
				ticker: { type: "string", optional: true, max: 10 },
				cik: { type: "string", optional: true, max: 10 },
			},
			cache: { keys: ["page", "page_size", "sort", "industry", "ticker", "cik", ...SCOPE_KEYS] },
			async handler(this: CompaniesThis, ctx: CompaniesContext<{ page?: number; page_size?: number; sort?: string; industry?: Industry; ticker?: string; cik?: string }>) {
				const user = principalOf(ctx);
				const { page = 1, page_size: pageSize = 20, sort = "name", industry, ticker, cik } = ctx.params;
				const visible = visibleIndustries(user);
				const query: Doc = {};
				if (industry) {
					if (visible && !visible.includes(industry)) return pageOf([], 0, page, pageSize);
					query.industry = industry;
				} else if (visible) {
					query.industry = { $in: visible };
				}
				if (ticker) query.ticker = ticker;
				if (cik) query.cik = cik;
				const [rows, total] = await Promise.all([
					this.findEntities({ query, sort: [sort], limit: pageSize, offset: (page - 1) * pageSize }),
					this.countEntities(query),
				]);
				return pageOf(rows, total, page, pageSize);
			},
		},

		get: {
			rest: "GET /companies/:id",
			permission: ["read", "financial_data"],
			params: idParams,
			cache: { keys: ["id", ...SCOPE_KEYS] },
			async handler(this: CompaniesThis, ctx: CompaniesContext<{ id: string }>) {
				return this.visibleCompany(ctx, ctx.params.id);
			},
		},

		update: {
			rest: "PATCH /companies/:id",
			permission: ["write", "financial_data"],
			params: updateCompanyParams,
			async handler(this: CompaniesThis, ctx: CompaniesContext<Partial<Company> & { id: string }>) {
				const user = principalOf(ctx);
				const { id, ...changes } = ctx.params;
				await this.visibleCompany(ctx, id);
				if (changes.industry && !canSeeIndustry(user, changes.industry)) throw forbidden(`Your domains do not include '${changes.industry}'`);
				const company = (await this.updateEntity(id, { ...changes, updated_at: nowIso() })) as Company | null;
				if (!company) throw notFound("Company", id);
				ctx.emit("companies.updated", { company, fields: Object.keys(changes), by: user.id });
				return company;
			},
		},

		remove: {
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /companies/:id",
			permission: ["admin", "financial_data"],
			params: idParams,
			async handler(this: CompaniesThis, ctx: CompaniesContext<{ id: string }>) {
				const user = principalOf(ctx);
				const company = await this.visibleCompany(ctx, ctx.params.id);
				await this.removeEntity(company.id);
				ctx.emit("companies.deleted", { company, by: user.id });
				return { id: company.id, deleted: true };
			},
		},
	},

	methods: {
		/** The company, if it exists and the caller's domains include its industry; a 404 otherwise. */
		async visibleCompany(this: CompaniesThis, ctx: CompaniesContext, id: string): Promise<Company> {
			const user: Principal = principalOf(ctx);
			const company = (await this.findEntityById(id)) as Company | null;
			if (!company || !canSeeIndustry(user, company.industry)) throw notFound("Company", id);
			return company;
		},
	},
};

export default CompaniesService;
