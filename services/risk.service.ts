/**
 * risk: a company's risk assessments (docs/risk.md). Automatic financial assessments (credit/distress,
 * liquidity, leverage, profitability) score the finance analysis and refresh themselves when the company's
 * statements change (the durable `companies.data.changed` channel); manual operational and strategic risks sit
 * on a 5×5 likelihood × impact grid, inherent and residual, with a treatment and an owner, accepted by a
 * domain_admin until a date or until the residual level rises.
 */
import type { Context } from "moleculer";
import type { Analysis } from "../domains/finance/analysis";
import {
	acceptanceStatus,
	assessAutomatic,
	AUTOMATIC_RISK_TYPES,
	gridLevel,
	gridScore,
	type Acceptance,
	type AutomaticAssessment,
	type RiskFactor,
	type RiskLevel,
} from "../domains/risk/scoring";
import { KeyedLock } from "../lib/keyed-lock";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { defineService, NOT_RETRIED } from "../lib/service";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin } from "../mixins/db.mixin";
import { isoDateParam, isoDateTimeParam, nowIso, pageOfAll, pageParams } from "../models/common";
import { conflict, unprocessable } from "../models/errors";
import { COMPANY_DATA_CHANGED_CHANNEL, type CompanyDataChanged } from "../models/events";

type RiskContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $location?: string }>;

export const MANUAL_RISK_TYPES = ["operational", "strategic", "compliance", "cyber", "market"] as const;
const TREATMENTS = ["mitigate", "accept", "transfer", "avoid"] as const;

export interface RiskAssessment {
	id: string;
	company_id: string;
	risk_type: string;
	method: "automatic" | "manual";
	title?: string;
	risk_score: number | null;
	level: RiskLevel | null;
	risk_factors: RiskFactor[];
	mitigation_strategies: string[];
	/** Manual: the grid, before and after mitigation. */
	inherent?: { likelihood: number; impact: number; level: RiskLevel };
	residual?: { likelihood: number; impact: number; level: RiskLevel };
	treatment?: { strategy: (typeof TREATMENTS)[number]; owner: string; due_date?: string };
	acceptance?: Acceptance & { status: "active" | "revoked"; reason?: string };
	period_end?: string;
	assessed_at: string;
	expires_at: string;
	created_at: string;
	updated_at: string;
}

const idParam = { type: "string", min: 1, max: 64 } as const;
const gridParam = { type: "number", integer: true, min: 1, max: 5 } as const;
/** How long an automatic assessment holds before it is stale (it is refreshed by every statement change). */
const AUTOMATIC_VALIDITY_DAYS = 90;
/** Manual assessments are reviewed at least yearly. */
const MANUAL_VALIDITY_DAYS = 365;
const AS_RISK = { meta: { user: servicePrincipal("risk") } };
const daysFrom = (from: Date, days: number) => new Date(from.getTime() + days * 86_400_000).toISOString();
const automaticKey = (companyId: string, riskType: string) => `${companyId}|auto|${riskType}`;

const manualFields = {
	risk_type: { type: "enum", values: [...MANUAL_RISK_TYPES] },
	title: { type: "string", min: 1, max: 200 },
	likelihood: gridParam,
	impact: gridParam,
	residual_likelihood: { ...gridParam, optional: true },
	residual_impact: { ...gridParam, optional: true },
	mitigation_strategies: { type: "array", items: { type: "string", min: 1, max: 500 }, max: 20, optional: true },
	treatment: {
		type: "object",
		strict: true,
		optional: true,
		props: { strategy: { type: "enum", values: [...TREATMENTS] }, owner: { type: "string", min: 1, max: 200 }, due_date: isoDateParam("treatment.due_date", true) },
	},
} as const;

type ManualInput = {
	risk_type: string;
	title: string;
	likelihood: number;
	impact: number;
	residual_likelihood?: number;
	residual_impact?: number;
	mitigation_strategies?: string[];
	treatment?: RiskAssessment["treatment"];
};

const RiskService = defineService<{ locks: KeyedLock }>()({
	name: "risk",
	settings: { rest: "/" },
	mixins: [
		createDbMixin("risk_assessments", [{ fields: { assessment_key: 1 }, unique: true, sparse: true }, { fields: { company_id: 1 } }]),
		createCompanyScopedMixin("risk"),
		// automatic assessments read the finance analysis
		createCacheCleanerMixin(["finance"]),
	],

	methods: {
		/** A manual assessment's grid fields, checked (the residual is what remains after mitigation: never above the inherent). */
		manualGrid(input: ManualInput) {
			const residualLikelihood = input.residual_likelihood ?? input.likelihood;
			const residualImpact = input.residual_impact ?? input.impact;
			const problems = [
				...(residualLikelihood > input.likelihood
					? [{ field: "residual_likelihood", message: `cannot exceed the inherent likelihood (${input.likelihood})`, type: "numberMax" }]
					: []),
				...(residualImpact > input.impact ? [{ field: "residual_impact", message: `cannot exceed the inherent impact (${input.impact})`, type: "numberMax" }] : []),
			];
			if (problems.length) throw unprocessable("The residual risk is what remains after mitigation: it cannot exceed the inherent risk", problems);
			const residualLevel = gridLevel(residualLikelihood, residualImpact);
			return {
				inherent: { likelihood: input.likelihood, impact: input.impact, level: gridLevel(input.likelihood, input.impact) },
				residual: { likelihood: residualLikelihood, impact: residualImpact, level: residualLevel },
				risk_score: gridScore(residualLikelihood, residualImpact),
				level: residualLevel,
			};
		},

		/** The assessment as answered: an acceptance's status is worked out now (expired, or the residual level rose). */
		publicAssessment(doc: RiskAssessment & { assessment_key?: string }): RiskAssessment {
			const { assessment_key: _key, ...assessment } = doc;
			if (assessment.acceptance && assessment.residual) {
				const { status, reason } = acceptanceStatus(assessment.acceptance, assessment.residual.likelihood, assessment.residual.impact, new Date());
				assessment.acceptance = { ...assessment.acceptance, status, ...(reason ? { reason } : {}) };
				if (!reason) delete assessment.acceptance.reason;
			}
			return assessment;
		},

		/** Scores the company's latest analysis into the four automatic assessments and stores them. */
		async assessAutomatically(analysis: Analysis): Promise<RiskAssessment[]> {
			const now = new Date();
			const saved: RiskAssessment[] = [];
			for (const riskType of AUTOMATIC_RISK_TYPES) {
				const result: AutomaticAssessment = assessAutomatic(riskType, analysis);
				const key = automaticKey(analysis.company_id, riskType);
				const fields = {
					company_id: analysis.company_id,
					risk_type: riskType,
					method: "automatic",
					risk_score: result.risk_score,
					level: result.level,
					risk_factors: result.risk_factors,
					mitigation_strategies: [],
					period_end: result.period_end,
					assessed_at: now.toISOString(),
					expires_at: daysFrom(now, AUTOMATIC_VALIDITY_DAYS),
					assessment_key: key,
					updated_at: now.toISOString(),
				};
				const doc = await this.locks.run(key, async () => {
					const existing = await this.findEntity<RiskAssessment>({ assessment_key: key });
					return existing
						? this.updateEntity<RiskAssessment>(existing.id, fields)
						: this.insertEntity<RiskAssessment>({ _id: this.idForKey(key), ...fields, created_at: now.toISOString() });
				});
				saved.push(this.publicAssessment(doc!));
			}
			this.broker.emit("risk.assessment.created", {
				company_id: analysis.company_id,
				automatic: saved.map(a => ({ id: a.id, risk_type: a.risk_type, risk_score: a.risk_score })),
			});
			return saved;
		},

		async manualAssessment(ctx: RiskContext, id: string): Promise<RiskAssessment> {
			const assessment = await this.ownedEntity<RiskAssessment>(ctx, id, "Risk assessment");
			if (assessment.method !== "manual")
				throw conflict("An automatic assessment follows the company's figures: it is not edited or accepted by hand", { id, method: "automatic" });
			return assessment;
		},
	},

	actions: {
		list: {
			rest: "GET /companies/:id/risk-assessments",
			permission: ["read", "risk_assessments"],
			params: {
				$$strict: true,
				id: idParam,
				risk_type: { type: "string", max: 40, optional: true },
				method: { type: "enum", values: ["automatic", "manual"], optional: true },
			},
			cache: { keys: ["id", "risk_type", "method", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: RiskContext<{ id: string; risk_type?: string; method?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const query: Record<string, unknown> = { company_id: company.id };
				if (ctx.params.risk_type) query.risk_type = ctx.params.risk_type;
				if (ctx.params.method) query.method = ctx.params.method;
				const rows = await this.findEntities<RiskAssessment>({ query, sort: ["-risk_score"] });
				return { rows: rows.map(r => this.publicAssessment(r)) };
			},
		},

		create: {
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/risk-assessments",
			permission: ["write", "risk_assessments"],
			params: { $$strict: true, id: idParam, ...manualFields },
			async handler(ctx: RiskContext<ManualInput & { id: string }>) {
				const { id, ...input } = ctx.params;
				const company = await this.company(ctx, id);
				const grid = this.manualGrid(input);
				const now = new Date();
				const saved = await this.insertEntity<RiskAssessment>({
					company_id: company.id,
					risk_type: input.risk_type,
					method: "manual",
					title: input.title,
					...grid,
					risk_factors: [],
					mitigation_strategies: input.mitigation_strategies ?? [],
					...(input.treatment ? { treatment: input.treatment } : {}),
					assessed_at: now.toISOString(),
					expires_at: daysFrom(now, MANUAL_VALIDITY_DAYS),
					created_at: now.toISOString(),
					updated_at: now.toISOString(),
				});
				const assessment = this.publicAssessment(saved);
				ctx.emit("risk.assessment.created", { assessment, by: principalOf(ctx).id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/risk-assessments/${assessment.id}`;
				return assessment;
			},
		},

		/** Scores the company's latest analysis now (they also refresh by themselves when its statements change). */
		assessNow: {
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/risk-assessments/auto",
			permission: ["write", "risk_assessments"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: RiskContext<{ id: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const analysis = await ctx.call<Analysis, object>("finance.computeAnalysis", {
					company_id: company.id,
					industry: company.industry,
					name: company.name,
					ticker: company.ticker ?? null,
				});
				return { rows: await this.assessAutomatically(analysis) };
			},
		},

		get: {
			rest: "GET /risk-assessments/:id",
			permission: ["read", "risk_assessments"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: RiskContext<{ id: string }>) {
				return this.publicAssessment(await this.ownedEntity<RiskAssessment>(ctx, ctx.params.id, "Risk assessment"));
			},
		},

		update: {
			rest: "PATCH /risk-assessments/:id",
			permission: ["write", "risk_assessments"],
			params: { $$strict: true, id: idParam, ...Object.fromEntries(Object.entries(manualFields).map(([k, rule]) => [k, { ...rule, optional: true }])) },
			async handler(ctx: RiskContext<Partial<ManualInput> & { id: string }>) {
				const { id, ...change } = ctx.params;
				const current = await this.manualAssessment(ctx, id);
				const merged: ManualInput = {
					risk_type: change.risk_type ?? current.risk_type,
					title: change.title ?? current.title ?? "",
					likelihood: change.likelihood ?? current.inherent!.likelihood,
					impact: change.impact ?? current.inherent!.impact,
					residual_likelihood: change.residual_likelihood ?? current.residual?.likelihood,
					residual_impact: change.residual_impact ?? current.residual?.impact,
				};
				const grid = this.manualGrid(merged);
				const now = nowIso();
				const saved = await this.updateEntity<RiskAssessment>(id, {
					...grid,
					risk_type: merged.risk_type,
					title: merged.title,
					...(change.mitigation_strategies ? { mitigation_strategies: change.mitigation_strategies } : {}),
					...(change.treatment ? { treatment: change.treatment } : {}),
					assessed_at: now,
					updated_at: now,
				});
				const assessment = this.publicAssessment(saved!);
				ctx.emit("risk.assessment.updated", { assessment, by: principalOf(ctx).id });
				return assessment;
			},
		},

		/** A domain_admin accepts the residual risk until a date; the acceptance records the state it approved. */
		accept: {
			retryPolicy: NOT_RETRIED,
			rest: "POST /risk-assessments/:id/accept",
			permission: ["admin", "risk_assessments"],
			params: { $$strict: true, id: idParam, rationale: { type: "string", min: 1, max: 2000 }, expires_at: isoDateTimeParam("expires_at") },
			async handler(ctx: RiskContext<{ id: string; rationale: string; expires_at: string }>) {
				const current = await this.manualAssessment(ctx, ctx.params.id);
				if (Date.parse(ctx.params.expires_at) <= Date.now())
					throw unprocessable("An acceptance must end in the future", [
						{ field: "expires_at", message: "must be in the future", type: "dateMin", actual: ctx.params.expires_at },
					]);
				const residual = current.residual!;
				const acceptance: Acceptance = {
					by: principalOf(ctx).id,
					at: nowIso(),
					expires_at: new Date(ctx.params.expires_at).toISOString(),
					rationale: ctx.params.rationale,
					approved: { residual_likelihood: residual.likelihood, residual_impact: residual.impact, level: residual.level },
				};
				const saved = await this.updateEntity<RiskAssessment>(current.id, {
					acceptance,
					treatment: { ...(current.treatment ?? { owner: principalOf(ctx).username }), strategy: "accept" },
					updated_at: nowIso(),
				});
				const assessment = this.publicAssessment(saved!);
				ctx.emit("risk.assessment.accepted", { assessment, by: principalOf(ctx).id });
				return assessment;
			},
		},

		/** For an officer: every company in the caller's domains with its risks by level, worst first. */
		summary: {
			rest: "GET /risk/summary",
			permission: ["read", "risk_assessments"],
			params: { $$strict: true, ...pageParams() },
			cache: { keys: ["page", "page_size", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: RiskContext<{ page?: number; page_size?: number }>) {
				const { page = 1, page_size: pageSize = 20 } = ctx.params;
				const companies = await this.companiesInScope(ctx);
				const assessments = companies.length ? await this.findEntities<RiskAssessment>({ query: { company_id: { $in: companies.map(c => c.id) } } }) : [];
				const byCompany = new Map<string, RiskAssessment[]>();
				for (const a of assessments) byCompany.set(a.company_id, [...(byCompany.get(a.company_id) ?? []), a]);
				const counts: Record<RiskLevel | "not_assessed", number> = { critical: 0, high: 0, medium: 0, low: 0, not_assessed: 0 };
				const rows = companies.map(c => {
					const own = byCompany.get(c.id) ?? [];
					const byLevel: Record<RiskLevel | "not_assessed", number> = { critical: 0, high: 0, medium: 0, low: 0, not_assessed: 0 };
					for (const a of own) byLevel[a.level ?? "not_assessed"]++;
					for (const [level, n] of Object.entries(byLevel)) counts[level as RiskLevel | "not_assessed"] += n;
					const worst = own.reduce<RiskAssessment | null>((w, a) => (a.risk_score != null && (w == null || a.risk_score > w.risk_score!) ? a : w), null);
					return {
						company_id: c.id,
						name: c.name,
						industry: c.industry,
						assessments: own.length,
						by_level: byLevel,
						worst_level: worst?.level ?? null,
						worst_score: worst?.risk_score ?? null,
						worst_risk: worst ? { id: worst.id, risk_type: worst.risk_type, title: worst.title ?? null } : null,
					};
				});
				rows.sort((a, b) => (b.worst_score ?? -1) - (a.worst_score ?? -1) || a.name.localeCompare(b.name));
				return { companies: companies.length, counts, ...pageOfAll(rows, page, pageSize) };
			},
		},

		/** Counts of the company's manual risks per cell of the 5×5 grid (residual, and inherent). */
		matrix: {
			rest: "GET /companies/:id/risk-matrix",
			permission: ["read", "risk_assessments"],
			params: { $$strict: true, id: idParam },
			cache: { keys: ["id", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: RiskContext<{ id: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const manual = await this.findEntities<RiskAssessment>({ query: { company_id: company.id, method: "manual" } });
				const grid = () => Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => 0));
				const residual = grid();
				const inherent = grid();
				for (const a of manual) {
					if (a.residual) residual[a.residual.likelihood - 1][a.residual.impact - 1]++;
					if (a.inherent) inherent[a.inherent.likelihood - 1][a.inherent.impact - 1]++;
				}
				const levels = Array.from({ length: 5 }, (_, l) => Array.from({ length: 5 }, (_, i) => gridLevel(l + 1, i + 1)));
				return { company_id: company.id, likelihood: [1, 2, 3, 4, 5], impact: [1, 2, 3, 4, 5], levels, residual, inherent, count: manual.length };
			},
		},
	},

	channels: {
		[COMPANY_DATA_CHANGED_CHANNEL]: {
			group: "risk",
			/** New statements: the company's automatic assessments (if it has any) are scored again. Idempotent. */
			async handler(payload: CompanyDataChanged) {
				if (payload.source !== "statements") return;
				const automatic = await this.findEntities<RiskAssessment>({ query: { company_id: payload.company_id, method: "automatic" }, limit: 1 });
				if (!automatic.length) return;
				const company = await this.broker.call<{ id: string; industry: string }, object>("companies.get", { id: payload.company_id }, AS_RISK).catch(() => null);
				if (!company) return;
				const analysis = await this.broker.call<Analysis, object>("finance.computeAnalysis", { company_id: company.id, industry: company.industry }, AS_RISK).catch(err => {
					if ((err as { code?: number }).code === 404) return null; // no statements left
					throw err;
				});
				if (analysis) await this.assessAutomatically(analysis);
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
	},
});

export default RiskService;
