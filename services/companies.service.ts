/**
 * companies: CRUD with pagination, sorting and an industry filter; every read and write is scoped to the
 * caller's domains (a company outside them is a 404), every write emits an event and cleans the cache.
 */
import type { Context } from "moleculer";
import { atStartup } from "../lib/startup";
import { defineService, NOT_RETRIED } from "../lib/service";
import { canSeeIndustry, visibleIndustries, type Principal } from "../domains/identity/rbac";
import { industryParam, type Industry } from "../models/industry";
import { loadIndustryModules } from "../domains/industries/registry";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { createDbMixin, isDuplicateKeyError, type Doc } from "../mixins/db.mixin";
import { KeyedLock } from "../lib/keyed-lock";
import { principalOf, type AuthMeta } from "../lib/principal";
import { listParams, nowIso, pageOf } from "../models/common";
import { COMPANY_SORTABLE, createCompanyParams, normalizeCik, updateCompanyParams, type Company } from "../models/company";
import { conflict, forbidden, notFound, serviceUnavailable } from "../models/errors";
import { Companies } from "../contracts";
import { ensureChannel } from "../lib/channels";
import { emit, sendToChannel } from "../lib/contract-calls";

type CompaniesContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** Identifiers as stored: the ticker upper-case (the validator did that), the CIK without leading zeros. */
function normalized<T extends Partial<Company>>(fields: T): T {
	return fields.cik ? { ...fields, cik: normalizeCik(fields.cik) } : fields;
}

/** The name as lists sort it: case-insensitively ("acmecorp" beside "ACME Tools", not after "Zenith"). */
const nameKey = (name: string) => name.toLocaleLowerCase("en");
/** What is stored beside a company's fields: its name's sort key. */
type StoredCompany = Company & { name_key?: string };
/** The company as answered: without its sort key. */
function publicCompany(stored: StoredCompany): Company {
	const { name_key: _key, ...company } = stored;
	return company;
}
/** A list's sort, with name sorted by its key. */
const storedSort = (sort: string | undefined) => (sort ?? "name").replace(/^(-?)name$/, "$1name_key");

/** The part of the principal that decides what a cached read returns. */
const SCOPE_KEYS = ["#user.role", "#user.domains"];

const idParams = { $$strict: true, id: { type: "string", min: 1, max: 64 } } as const;

/** Matches a name search ranks by relevance at most (more: sort by a column to page through all of them). */
const SEARCH_MAX = 5000;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const CompaniesService = defineService<{ locks: KeyedLock }>()({
	name: "companies",
	metadata: { description: "Companies" },
	// REST paths are absolute under /api/v1 (docs/api.md), not prefixed with the service name.
	settings: { rest: "/" },
	mixins: [
		createDbMixin("companies", [
			{ fields: { industry: 1 } },
			{ fields: { name: 1 } },
			{ fields: { name_key: 1 } },
			{ fields: { ticker: 1 }, unique: true, sparse: true },
			{ fields: { cik: 1 }, unique: true, sparse: true },
		]),
		createCacheCleanerMixin(["companies"]),
	],

	methods: {
		/**
		 * 409 when another company has this ticker or CIK (unique in the platform), naming it when the caller may
		 * see it; a company outside the caller's domains is not named.
		 */
		async checkUnique(fields: Partial<Company>, user: Principal, selfId?: string): Promise<void> {
			for (const field of ["cik", "ticker"] as const) {
				const value = fields[field];
				if (!value) continue;
				const other = (await this.findEntity({ [field]: value })) as Company | null;
				if (!other || other.id === selfId) continue;
				if (canSeeIndustry(user, other.industry))
					throw conflict(`A company with ${field} ${value} exists: '${other.name}' (${other.id})`, { field, id: other.id, name: other.name });
				throw conflict(`A company with ${field} ${value} exists outside your domains`, { field });
			}
		},

		/** Creates and renames that set the same ticker or CIK take turns on this node. */
		withIdentifiers<T>(fields: Partial<Company>, fn: () => Promise<T>): Promise<T> {
			const keys = [fields.cik && `cik:${fields.cik}`, fields.ticker && `ticker:${fields.ticker}`].filter(Boolean) as string[];
			return keys.length ? this.locks.runAll(keys, fn) : fn();
		},

		/** The company, if it exists and the caller's domains include its industry; a 404 otherwise. */
		async visibleCompany(ctx: CompaniesContext, id: string): Promise<Company> {
			const user: Principal = principalOf(ctx);
			const company = (await this.findEntityById(id)) as StoredCompany | null;
			if (!company || !canSeeIndustry(user, company.industry)) throw notFound("Company", id);
			return publicCompany(company);
		},
	},
	created() {
		// industry modules added as folders are valid industries here too
		loadIndustryModules();
		this.locks = new KeyedLock();
	},

	async started() {
		await atStartup(this, "companies: the channel's stream", () => ensureChannel(this.broker, Companies.channels.deleted));
		// companies stored before names had a sort key get it (idempotent: another replica doing the same writes the same)
		await atStartup(this, "companies: name sort keys", async () => {
			await this.store.batch(async () => {
				for (const doc of await this.store.find({ query: { name_key: { $exists: false } }, limit: 100000 }))
					await this.store.updateById(doc._id, { $set: { name_key: nameKey(String(doc.name)) } });
			});
		});
	},

	actions: {
		create: {
			openapi: {
				summary: "Create a company",
				description: "A ticker (case-insensitive) and a CIK are unique: a 409 names the company that has it when the caller may see it.",
				status: 201,
				response: "Company",
				errors: [409],
				example: { name: "Tesla, Inc.", industry: "manufacturing", ticker: "TSLA", cik: "1318605", country: "US", currency: "USD" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies",
			permission: ["write", "financial_data"],
			params: createCompanyParams,
			async handler(ctx: CompaniesContext<Omit<Company, "id" | "created_at" | "updated_at">>) {
				const user = principalOf(ctx);
				if (!canSeeIndustry(user, ctx.params.industry)) throw forbidden(`Your domains do not include '${ctx.params.industry}'`);
				const fields = normalized(ctx.params);
				return this.withIdentifiers(fields, async () => {
					await this.checkUnique(fields, user);
					const now = nowIso();
					let company: Company;
					try {
						company = publicCompany(await this.insertEntity({ ...fields, name_key: nameKey(fields.name), created_at: now, updated_at: now }));
					} catch (err) {
						if (isDuplicateKeyError(err)) await this.checkUnique(fields, user);
						throw err;
					}
					emit(ctx, Companies.events.created, { company, by: user.id });
					ctx.meta.$statusCode = 201;
					ctx.meta.$location = `/api/v1/companies/${company.id}`;
					return company;
				});
			},
		},

		list: {
			openapi: {
				summary: "List companies",
				description:
					"The companies in the caller's domains; `q` searches names (case-insensitive; names that start with it first, then those that contain it), filters `industry`, `country`, `ticker`, `cik`; `sort` on any column shown.",
				response: "Company",
				list: true,
			},
			rest: "GET /companies",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				...listParams(COMPANY_SORTABLE),
				q: { type: "string", optional: true, min: 1, max: 100, trim: true },
				industry: industryParam(true),
				country: { type: "string", optional: true, pattern: /^[A-Za-z]{2}$/, messages: { stringPattern: "{field}: an ISO 3166-1 alpha-2 code (e.g. US)" } },
				ticker: { type: "string", optional: true, max: 10 },
				cik: { type: "string", optional: true, max: 10 },
			},
			cache: { keys: ["page", "page_size", "sort", "q", "industry", "country", "ticker", "cik", ...SCOPE_KEYS] },
			async handler(
				ctx: CompaniesContext<{ page?: number; page_size?: number; sort?: string; q?: string; industry?: Industry; country?: string; ticker?: string; cik?: string }>,
			) {
				const user = principalOf(ctx);
				const { page = 1, page_size: pageSize = 20, industry, ticker, cik, country, q } = ctx.params;
				const visible = visibleIndustries(user);
				const query: Doc = {};
				if (industry) {
					if (visible && !visible.includes(industry)) return pageOf([], 0, page, pageSize);
					query.industry = industry;
				} else if (visible) {
					query.industry = { $in: visible };
				}
				if (ticker) query.ticker = ticker.toUpperCase();
				if (cik) query.cik = normalizeCik(cik);
				if (country) query.country = country.toUpperCase();
				const sorted = async () => {
					const found = await this.findPage<StoredCompany>(query, { ...ctx.params, sort: storedSort(ctx.params.sort) }, "name_key");
					return { ...found, rows: found.rows.map(publicCompany) };
				};
				if (!q) return sorted();
				// the text is matched as it is written (escaped), never as a pattern
				query.name = { $regex: new RegExp(escapeRegExp(q), "i") };
				if (ctx.params.sort) return sorted();
				// by relevance: names that start with it, then names that contain it, each by name
				const matches = (await this.findEntities<StoredCompany>({ query, sort: ["name_key"], limit: SEARCH_MAX })).map(publicCompany);
				const starts = (c: Company) => nameKey(c.name).startsWith(nameKey(q));
				const ranked = [...matches.filter(starts), ...matches.filter(c => !starts(c))];
				return pageOf(ranked.slice((page - 1) * pageSize, page * pageSize), ranked.length, page, pageSize);
			},
		},

		get: {
			openapi: { summary: "Get a company", response: "Company" },
			rest: "GET /companies/:id",
			permission: ["read", "financial_data"],
			params: idParams,
			cache: { keys: ["id", ...SCOPE_KEYS] },
			async handler(ctx: CompaniesContext<{ id: string }>) {
				return this.visibleCompany(ctx, ctx.params.id);
			},
		},

		update: {
			openapi: {
				summary: "Change a company",
				description: "Name, industry, ticker, CIK, country or currency.",
				response: "Company",
				errors: [409],
				example: { country: "US" },
			},
			rest: "PATCH /companies/:id",
			permission: ["write", "financial_data"],
			params: updateCompanyParams,
			async handler(ctx: CompaniesContext<Partial<Company> & { id: string }>) {
				const user = principalOf(ctx);
				const { id, ...input } = ctx.params;
				const current = await this.visibleCompany(ctx, id);
				if (Object.keys(input).length === 0) return current; // nothing to change
				if (input.industry && !canSeeIndustry(user, input.industry)) throw forbidden(`Your domains do not include '${input.industry}'`);
				const changes = normalized(input);
				return this.withIdentifiers(changes, async () => {
					await this.checkUnique(changes, user, id);
					let company: Company | null;
					try {
						const stored = await this.updateEntity<StoredCompany>(id, {
							...changes,
							...(changes.name ? { name_key: nameKey(changes.name) } : {}),
							updated_at: nowIso(),
						});
						company = stored && publicCompany(stored);
					} catch (err) {
						if (isDuplicateKeyError(err)) await this.checkUnique(changes, user, id);
						throw err;
					}
					if (!company) throw notFound("Company", id);
					emit(ctx, Companies.events.updated, { company, fields: Object.keys(changes), by: user.id });
					return company;
				});
			},
		},

		remove: {
			openapi: {
				summary: "Delete a company",
				description: "Deletes the company and, through the durable channel, everything under it (statements, assessments, records, plans).",
				response: "Deleted",
			},
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /companies/:id",
			permission: ["admin", "financial_data"],
			params: idParams,
			async handler(ctx: CompaniesContext<{ id: string }>) {
				const user = principalOf(ctx);
				const company = await this.visibleCompany(ctx, ctx.params.id);
				const stored = await this.store.findById(company.id);
				if (!stored) throw notFound("Company", company.id);
				// NeDB answers the number removed, MongoDB the removed document: nothing means a concurrent deletion won
				// cleaned once the deletion stands (below), not before the cascade is on its way
				const removed = await this.store.uncached().removeById(company.id);
				if (!removed) throw notFound("Company", company.id);
				const event = { company, by: user.id };
				try {
					// what hangs off the company (statements, …) goes through a durable channel: it reaches the
					// services that own it even if none of their nodes is up right now
					await sendToChannel(this.broker, Companies.channels.deleted, event);
				} catch (err) {
					// nothing half-done: without the cascade on its way, the company stays
					if (stored)
						await this.store
							.uncached()
							.insert(stored)
							.catch(() => undefined);
					this.logger.error(`Deletion of company ${company.id} undone: the durable channel refused the cascade:`, err);
					throw serviceUnavailable("The message channel is unavailable; the company was not deleted, try again shortly");
				}
				await this.clearCache();
				emit(ctx, Companies.events.deleted, event);
				return { id: company.id, deleted: true };
			},
		},
	},
});

export default CompaniesService;
