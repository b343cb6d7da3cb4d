/**
 * domains: the industry hub (docs/domains.md). It publishes the industry modules of domains/industries/ (their
 * operational metrics, KPIs with cited thresholds, and regulations), keeps a company's operational metrics
 * per period, validated against its industry's module, and computes its KPIs from them and its statements.
 */
import type { Context } from "moleculer";
import { APPETITE_TIERS, checkAppetite, checkMetrics, evaluateKpis, type Appetite, type CompanyKpis, type FinanceFigures, type IndustryModule } from "../domains/industries/module";
import { industryModule, industryModules } from "../domains/industries/registry";
import { atStartup } from "../lib/startup";
import { announceCompanyDataChanged, ensureChannel } from "../lib/channels";
import { KeyedLock } from "../lib/keyed-lock";
import { principalOf, type AuthMeta } from "../lib/principal";
import { defineService, NOT_RETRIED } from "../lib/service";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, createStoreMixin, naturalKey } from "../mixins/db.mixin";
import { isoDateParam, listParams, nowIso, pageOfAll, pageParams } from "../models/common";
import { missing, unprocessable } from "../models/errors";
import { Companies, Domains, Finance } from "../contracts";
import { call, emit } from "../lib/contract-calls";
import type { OperationalMetrics } from "../models/operational-metrics";

type DomainsContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $location?: string }>;

const idParam = { type: "string", min: 1, max: 64 } as const;
/** One record per company and period_end. */
const metricsKey = (companyId: string, periodEnd: string) => naturalKey(companyId, periodEnd);

/** What a client sees of a module: everything but the code. */
function describeModule(module: IndustryModule) {
	return {
		id: module.id,
		name: module.name,
		metrics: Object.entries(module.metrics).map(([name, def]) => ({ name, ...def })),
		kpis: module.kpis.map(k => ({ name: k.name, unit: k.unit, formula: k.formula, inputs: k.inputs, threshold: k.threshold, source: k.source })),
		regulations: module.regulations,
	};
}

const DomainsService = defineService<{ locks: KeyedLock }>()({
	name: "domains",
	metadata: { description: "Industry modules: operational metrics, KPIs and risk appetite" },
	settings: { rest: "/" },
	mixins: [
		createStoreMixin("appetites", "kpi_appetites", [{ fields: { appetite_key: 1 }, unique: true }, { fields: { company_id: 1 } }], { cachedAnswers: true }),
		createDbMixin("operational_metrics", [{ fields: { metrics_key: 1 }, unique: true }, { fields: { company_id: 1 } }]),
		// metrics belong to companies (scoping, cleaning, deletion cascade); KPIs read the statements too
		createCompanyScopedMixin("domains"),
		createCacheCleanerMixin(["finance"]),
	],

	methods: {
		moduleOf(industry: string): IndustryModule {
			const module = industryModule(industry);
			if (!module)
				throw missing(
					`No industry module '${industry}'; the modules: ${industryModules()
						.map(m => m.id)
						.join(", ")}`,
				);
			return module;
		},

		/** The company's appetite tiers, by KPI name. */
		async appetitesOf(companyId: string): Promise<Record<string, Appetite>> {
			const docs = await this.appetites.find({ query: { company_id: companyId } });
			return Object.fromEntries(docs.map(d => [String(d.kpi), d.appetite as Appetite]));
		},

		/** The deletion cascade: the metrics (the mixin's default) and the appetites. */
		async onCompanyDeleted(companyId: string): Promise<void> {
			await this.store.removeMany({ company_id: companyId });
			await this.appetites.removeMany({ company_id: companyId });
		},

		publicRecord(doc: OperationalMetrics & { metrics_key?: string }): OperationalMetrics {
			const { metrics_key: _key, ...record } = doc;
			return record;
		},

		/** The statements' part of the KPIs, from the finance analysis of the same period; empty when there is none. */
		async financeFigures(ctx: DomainsContext, companyId: string, industry: string, periodEnd: string): Promise<{ figures: FinanceFigures; warning?: string }> {
			try {
				const a = await call(ctx, Finance.actions.computeAnalysis, { company_id: companyId, industry, period_end: periodEnd });
				const growth = a.trends.growth.revenue.find(g => g.period_end === a.period_end)?.value ?? null;
				return {
					figures: {
						operating_margin: a.ratios.profitability.operating_margin,
						inventory_turnover: a.ratios.efficiency.inventory_turnover,
						fcf_margin: a.ratios.cash_flow.fcf_margin,
						revenue_growth: growth,
					},
				};
			} catch (err) {
				if ((err as { code?: number }).code !== 404) throw err;
				return { figures: {}, warning: `no statement for ${periodEnd}: the KPIs computed from the statements are not assessed` };
			}
		},
	},

	actions: {
		listDomains: {
			openapi: {
				summary: "List industry modules",
				response: "IndustryModule",
				list: true,
				description: "Each industry's operational metrics, KPIs (with cited thresholds) and regulations (docs/domains.md).",
			},
			rest: "GET /domains",
			role: "viewer",
			params: { $$strict: true, ...pageParams() },
			cache: { keys: ["page", "page_size"] },
			handler(ctx: DomainsContext<{ page?: number; page_size?: number }>) {
				return pageOfAll(industryModules().map(describeModule), ctx.params.page ?? 1, ctx.params.page_size ?? 20);
			},
		},

		getDomain: {
			openapi: { summary: "Get an industry module", response: "IndustryModule" },
			rest: "GET /domains/:industry",
			role: "viewer",
			params: { $$strict: true, industry: { type: "string", min: 1, max: 40 } },
			cache: { keys: ["industry"] },
			handler(ctx: DomainsContext<{ industry: string }>) {
				return describeModule(this.moduleOf(ctx.params.industry));
			},
		},

		/** Creates or replaces the company's metrics for one period (201 or 200), validated against its industry's module. */
		recordMetrics: {
			openapi: {
				summary: "Record operational metrics",
				example: { period_end: "2026-12-31", metrics: { cet1_capital: 40, tier1_capital: 50, total_capital: 70, risk_weighted_assets: 1000 } },
				response: "OperationalMetrics",
				status: 201,
				alternate_status: 200,
				description: "A company's operational metrics for a period, checked against its industry's module; 201 for a new period, 200 when it replaces one.",
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/operational-metrics",
			permission: ["write", "financial_data"],
			params: {
				$$strict: true,
				id: idParam,
				period_end: isoDateParam("period_end"),
				period_days: { type: "number", integer: true, min: 1, max: 366, optional: true, default: 365 },
				metrics: { type: "record", key: { type: "string", max: 64 }, value: { type: "any" } },
			},
			async handler(ctx: DomainsContext<{ id: string; period_end: string; period_days: number; metrics: Record<string, unknown> }>) {
				const { id, period_end, period_days, metrics } = ctx.params;
				const company = await this.company(ctx, id);
				const module = this.moduleOf(company.industry);
				const problems = checkMetrics(module, metrics);
				if (problems.length) throw unprocessable(`Invalid ${module.id} metrics: ${problems.map(p => `${p.field} ${p.message}`).join("; ")}`, problems);
				const key = metricsKey(company.id, period_end);
				return this.locks.run(key, async () => {
					const existing = await this.findEntity<OperationalMetrics>({ metrics_key: key });
					const now = nowIso();
					const fields = {
						company_id: company.id,
						industry: module.id,
						period_end,
						period_days,
						metrics: metrics as Record<string, number>,
						metrics_key: key,
						updated_at: now,
					};
					let saved: OperationalMetrics;
					if (existing) saved = (await this.updateEntity<OperationalMetrics>(existing.id, fields))!;
					else {
						saved = await this.insertEntity<OperationalMetrics>({ _id: this.idForKey(key), ...fields, created_at: now });
						ctx.meta.$statusCode = 201;
						// one record per company and period: the list filtered to its period is where it lives
						ctx.meta.$location = `/api/v1/companies/${company.id}/operational-metrics?period_end=${period_end}`;
					}
					const record = this.publicRecord(saved);
					emit(ctx, Domains.events.metricsRecorded, { record, by: principalOf(ctx).id });
					await announceCompanyDataChanged(this.broker, { company_id: company.id, source: "operational_metrics", period_end });
					return record;
				});
			},
		},

		listMetrics: {
			openapi: { summary: "List a company's operational metrics", response: "OperationalMetrics", list: true },
			rest: "GET /companies/:id/operational-metrics",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam, period_end: isoDateParam("period_end", true), ...listParams(["period_end", "updated_at"]) },
			cache: { keys: ["id", "period_end", "page", "page_size", "sort", ...COMPANY_SCOPE_KEYS] },
			async handler(ctx: DomainsContext<{ id: string; period_end?: string; page?: number; page_size?: number; sort?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const query: Record<string, unknown> = { company_id: company.id };
				if (ctx.params.period_end) query.period_end = ctx.params.period_end;
				const found = await this.findPage<OperationalMetrics>(query, ctx.params, "-period_end");
				return { ...found, rows: found.rows.map(r => this.publicRecord(r)) };
			},
		},

		/** The company's KPIs for a period (default: its latest metrics), each with value, unit, threshold, status and inputs. */
		kpis: {
			openapi: {
				summary: "Get a company's KPIs",
				response: "Kpis",
				description: "Each KPI's value, unit, threshold, status (good / watch / bad / not_assessed) and inputs, for the latest period or `period_end`.",
			},
			rest: "GET /companies/:id/kpis",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam, period_end: isoDateParam("period_end", true) },
			cache: { keys: ["id", "period_end", ...COMPANY_SCOPE_KEYS], ttl: 3600 },
			async handler(ctx: DomainsContext<{ id: string; period_end?: string }>): Promise<CompanyKpis> {
				const company = await this.company(ctx, ctx.params.id);
				return call(ctx, Domains.actions.computeKpis, { company_id: company.id, industry: company.industry, period_end: ctx.params.period_end });
			},
		},

		/** The company's appetite for one KPI in three tiers (regulatory minimum, internal limit, early warning); replaces the previous. */
		setAppetite: {
			openapi: {
				summary: "Set the appetite for a KPI",
				example: { regulatory_minimum: 1, internal_limit: 1.1, early_warning: 1.15 },
				response: "KpiAppetite",
				description: "Three tiers: regulatory minimum, internal limit, early warning; KPIs say which they breach.",
			},
			rest: "PUT /companies/:id/kpi-appetite/:kpi",
			permission: ["admin", "risk_assessments"],
			params: {
				$$strict: true,
				id: idParam,
				kpi: { type: "string", min: 1, max: 64 },
				...Object.fromEntries(APPETITE_TIERS.map(t => [t, { type: "number", finite: true, optional: true }])),
			},
			async handler(ctx: DomainsContext<Appetite & { id: string; kpi: string }>) {
				const { id, kpi: name, ...tiers } = ctx.params;
				const company = await this.company(ctx, id);
				const module = this.moduleOf(company.industry);
				const kpi = module.kpis.find(k => k.name === name);
				if (!kpi) throw missing(`No KPI '${name}' for ${module.id}; its KPIs: ${module.kpis.map(k => k.name).join(", ")}`, { kpis: module.kpis.map(k => k.name) });
				const appetite: Appetite = Object.fromEntries(APPETITE_TIERS.filter(t => tiers[t] != null).map(t => [t, tiers[t]]));
				const problems = checkAppetite(kpi, appetite);
				if (problems.length) throw unprocessable(`Invalid appetite for ${name}: ${problems.map(p => `${p.field} ${p.message}`).join("; ")}`, problems);
				const key = naturalKey(company.id, name);
				await this.locks.run(key, async () => {
					const existing = await this.appetites.findOne({ appetite_key: key });
					const fields = { company_id: company.id, kpi: name, appetite, appetite_key: key, updated_at: nowIso(), by: principalOf(ctx).id };
					if (existing) await this.appetites.updateById(existing._id, { $set: fields });
					else await this.appetites.insert({ ...fields, created_at: nowIso() });
				});
				emit(ctx, Domains.events.appetiteSet, { company_id: company.id, kpi: name, appetite, by: principalOf(ctx).id });
				return { company_id: company.id, kpi: name, ...appetite };
			},
		},

		getAppetite: {
			openapi: { summary: "Get a company's KPI appetite", response: "KpiAppetites" },
			rest: "GET /companies/:id/kpi-appetite",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam, ...pageParams() },
			async handler(ctx: DomainsContext<{ id: string; page?: number; page_size?: number }>) {
				const company = await this.company(ctx, ctx.params.id);
				const appetites = await this.appetitesOf(company.id);
				const rows = Object.entries(appetites)
					.map(([kpi, tiers]) => ({ kpi, ...tiers }))
					.sort((a, b) => a.kpi.localeCompare(b.kpi));
				return { company_id: company.id, ...pageOfAll(rows, ctx.params.page ?? 1, ctx.params.page_size ?? 20) };
			},
		},

		/** The KPIs themselves, cached per company, industry and period; callers check visibility first (compliance, risk). */
		computeKpis: {
			visibility: "public",
			params: { company_id: idParam, industry: { type: "string" }, period_end: isoDateParam("period_end", true) },
			cache: { keys: ["company_id", "industry", "period_end"], ttl: 3600 },
			async handler(ctx: DomainsContext<{ company_id: string; industry: string; period_end?: string }>): Promise<CompanyKpis> {
				const { company_id, industry, period_end } = ctx.params;
				const module = this.moduleOf(industry);
				const records = await this.findEntities<OperationalMetrics>({ query: { company_id }, sort: ["-period_end"] });
				const record = period_end ? records.find(r => r.period_end === period_end) : records[0];
				if (period_end && !record)
					throw missing(`No operational metrics for ${period_end}; the company's periods: ${records.map(r => r.period_end).join(", ") || "none"}`, {
						periods: records.map(r => r.period_end),
					});
				const warnings: string[] = [];
				if (!record) warnings.push("no operational metrics recorded: the KPIs computed from them are not assessed");
				const periodEnd = record?.period_end ?? null;
				// the statements' figures only for modules whose KPIs read them (an analysis is not free)
				const readsStatements = module.kpis.some(k => k.inputs.some(i => i.startsWith("finance.")));
				const finance = periodEnd && readsStatements ? await this.financeFigures(ctx, company_id, industry, periodEnd) : { figures: {} };
				if (finance.warning) warnings.push(finance.warning);
				const kpis = evaluateKpis(
					module,
					{ metrics: record?.metrics ?? {}, period_days: record?.period_days ?? 365, finance: finance.figures },
					await this.appetitesOf(company_id),
				);
				return { company_id, industry: module.id, period_end: periodEnd, period_days: record?.period_days ?? null, kpis, warnings };
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
	},

	async started() {
		await atStartup(this, "domains: the channel's stream", () => ensureChannel(this.broker, Companies.channels.dataChanged));
	},
});

export default DomainsService;
