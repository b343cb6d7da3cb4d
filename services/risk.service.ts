/**
 * risk: a company's risk assessments (docs/risk.md). Automatic financial assessments (credit/distress,
 * liquidity, leverage, profitability) score the finance analysis and are scored again when the company's
 * statements change (the company review's risk step, services/orchestrator.service.ts); manual operational and strategic risks sit
 * on a 5×5 likelihood × impact grid, inherent and residual, with a treatment and an owner, accepted by a
 * domain_admin until a date or until the residual level rises.
 */
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import type { Context } from "moleculer";
import type { Analysis } from "../domains/finance/analysis";
import { DEFAULT_MATRIX, impactOfExposure, likelihoodOfScore, matrixLevel, parseMatrixLibrary, positionsOutside, type RiskMatrix } from "../domains/risk/matrix";
import { ALL_DOMAINS, canChangeOwned, canSeeIndustry } from "../domains/identity/rbac";
import {
	acceptanceStatus,
	assessAutomatic,
	AUTOMATIC_RISK_TYPES,
	conditionBroken,
	EXPOSURES,
	gridScore,
	measuresOf,
	type Acceptance,
	type AutomaticAssessment,
	type KpiState,
	type MlDistress,
} from "../domains/risk/scoring";
import { KeyedLock } from "../lib/keyed-lock";
import { ownerDomainOrThrow, principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { clientErrorOf, inlineOrInWorker, LIBRARY_PARSE_LIMITS } from "../lib/worker-thread";
import { defineService, NOT_RETRIED } from "../lib/service";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, createStoreMixin, naturalKey } from "../mixins/db.mixin";
import { createEncryptedStoresMixin } from "../mixins/encrypted-stores.mixin";
import { isoDateParam, isoDateTimeParam, listParams, nowIso, pageOfAll, pageParams } from "../models/common";
import { conflict, forbidden, unprocessable } from "../models/errors";
import { Companies, Domains, Finance, MlPrediction, MlRegistry, Risk } from "../contracts";
import { TREATMENTS, type GridPosition, type RiskAssessment, type RiskMatrixEntry } from "../contracts/risk";
import { call, emit } from "../lib/contract-calls";

type RiskContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $location?: string }>;

export const MANUAL_RISK_TYPES = ["operational", "strategic", "compliance", "cyber", "market"] as const;

const idParam = { type: "string", min: 1, max: 64 } as const;
const gridParam = { type: "number", integer: true, min: 1, max: 10 } as const;
/** How long an automatic assessment holds before it is stale (it is refreshed by every statement change). */
const AUTOMATIC_VALIDITY_DAYS = 90;
/** Manual assessments are reviewed at least yearly. */
const MANUAL_VALIDITY_DAYS = 365;
const AS_RISK = { meta: { user: servicePrincipal("risk") } };
const daysFrom = (from: Date, days: number) => new Date(from.getTime() + days * 86_400_000).toISOString();
const automaticKey = (companyId: string, riskType: string) => naturalKey(companyId, "auto", riskType);
/** Earlier acceptances kept on an assessment. */
const ACCEPTANCES_KEPT = 20;

/** A matrix imported before matrices had owners is shared. */
const matrixDomain = (m: { domain?: string }) => m.domain ?? ALL_DOMAINS;

const manualFields = {
	risk_type: { type: "enum", values: [...MANUAL_RISK_TYPES] },
	matrix: { type: "string", min: 1, max: 200, optional: true },
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
	matrix?: string;
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
	metadata: { description: "Risk assessments, automatic and by hand, and risk matrices" },
	settings: { rest: "/" },
	mixins: [
		createStoreMixin("matrices", "risk_matrices", [{ fields: { urn: 1 }, unique: true }], { cachedAnswers: true }),
		createDbMixin("risk_assessments", [{ fields: { assessment_key: 1 }, unique: true, sparse: true }, { fields: { company_id: 1 } }]),
		createEncryptedStoresMixin({ risk_assessments: "store" }),
		createPersonalDataMixin("risk assessments", {
			username: ["created_by"],
			mentions: { store: ["treatment.owner", "acceptance.by", "acceptance_history[].by"], matrices: ["imported_by"] },
		}),
		createCompanyScopedMixin("risk"),
		// automatic assessments read the finance analysis; acceptances may hold until a KPI breaches
		createCacheCleanerMixin(["finance", "domains"]),
	],

	methods: {
		/** A manual assessment's grid fields on its matrix, checked (the residual is what remains after mitigation: never above the inherent). */
		async manualGrid(input: ManualInput, industry: string) {
			const matrix = await this.matrixByUrn(input.matrix ?? DEFAULT_MATRIX.urn, industry);
			const problems: Array<{ field: string; message: string; type: string }> = [];
			const within = (field: string, value: number | undefined, levels: number) => {
				if (value != null && value > levels) problems.push({ field, message: `${matrix.name} has ${levels} levels`, type: "numberMax" });
			};
			within("likelihood", input.likelihood, matrix.probability.length);
			within("impact", input.impact, matrix.impact.length);
			within("residual_likelihood", input.residual_likelihood, matrix.probability.length);
			within("residual_impact", input.residual_impact, matrix.impact.length);
			if (problems.length) throw unprocessable(`Outside the ${matrix.name} grid`, problems);
			const residualLikelihood = input.residual_likelihood ?? input.likelihood;
			const residualImpact = input.residual_impact ?? input.impact;
			if (residualLikelihood > input.likelihood)
				problems.push({ field: "residual_likelihood", message: `cannot exceed the inherent likelihood (${input.likelihood})`, type: "numberMax" });
			if (residualImpact > input.impact) problems.push({ field: "residual_impact", message: `cannot exceed the inherent impact (${input.impact})`, type: "numberMax" });
			if (problems.length) throw unprocessable("The residual risk is what remains after mitigation: it cannot exceed the inherent risk", problems);
			const position = (likelihood: number, impact: number): GridPosition => {
				const level = matrixLevel(matrix, likelihood, impact);
				return { likelihood, impact, level: level.name, level_index: level.index };
			};
			const residual = position(residualLikelihood, residualImpact);
			return {
				matrix: matrix.urn,
				inherent: position(input.likelihood, input.impact),
				residual,
				risk_score: gridScore(residualLikelihood, residualImpact, matrix.probability.length, matrix.impact.length),
				level: residual.level,
			};
		},

		/** The matrices a company of `industry` may use: the default, the shared ones and its domain's. */
		async usableMatrices(industry: string): Promise<RiskMatrixEntry[]> {
			return (await this.matrices.find({ sort: ["urn"] })).map(({ _id, ...m }) => m as RiskMatrixEntry).filter(m => [ALL_DOMAINS, industry].includes(matrixDomain(m)));
		},

		/** A risk matrix by URN that a company of `industry` may use: the default, or one imported; a 422 naming those it may use otherwise. */
		async matrixByUrn(urn: string, industry: string): Promise<RiskMatrix> {
			if (urn === DEFAULT_MATRIX.urn) return DEFAULT_MATRIX;
			const usable = await this.usableMatrices(industry);
			const found = usable.find(m => m.urn === urn);
			if (found) return found;
			const known = [DEFAULT_MATRIX.urn, ...usable.map(m => m.urn)];
			throw unprocessable(`No risk matrix ${urn}`, [{ field: "matrix", message: `must be one of ${known.join(", ")}`, type: "enumValue" }]);
		},

		/** The assessment as answered: an acceptance's status is worked out now (expired, or the residual level rose). */
		publicAssessment(doc: RiskAssessment & { assessment_key?: string }): RiskAssessment {
			const { assessment_key: _key, ...assessment } = doc;
			if (assessment.acceptance && assessment.residual) {
				const { status, reason } = acceptanceStatus(assessment.acceptance, assessment.residual, new Date());
				assessment.acceptance = { ...assessment.acceptance, status, ...(reason ? { reason } : {}) };
				if (!reason) delete assessment.acceptance.reason;
			}
			return assessment;
		},

		/** An acceptance as kept in the history: what was given, without the status worked out when it was read. */
		storedAcceptance(acceptance: NonNullable<RiskAssessment["acceptance"]>): Acceptance {
			const { status: _status, reason: _reason, ...given } = acceptance;
			return given;
		},

		/** Scores a company's automatic assessments again (when it has any). Idempotent. */
		async reassess(companyId: string): Promise<void> {
			const automatic = await this.findEntities<RiskAssessment>({ query: { company_id: companyId, method: "automatic" }, limit: 1 });
			if (!automatic.length) return;
			const company = await call(this.broker, Companies.actions.get, { id: companyId }, AS_RISK).catch(() => null);
			if (!company) return;
			const analysis = await call(this.broker, Finance.actions.computeAnalysis, { company_id: company.id, industry: company.industry }, AS_RISK).catch(err => {
				if ((err as { code?: number }).code === 404) return null; // no statements left
				throw err;
			});
			if (analysis) await this.assessAutomatically(analysis);
		},

		/** The default distress model's probability for the company; a reason instead when ML is not running or has no model yet. */
		async mlDistress(companyId: string): Promise<MlDistress> {
			try {
				return await call(this.broker, MlPrediction.actions.distress, { company_id: companyId }, { ...AS_RISK, timeout: 5000, retries: 0 });
			} catch (err) {
				if ((err as Error).name === "ServiceNotFoundError") return { probability: null, reason: "no node runs ml.prediction" };
				return { probability: null, reason: `ML prediction failed: ${(err as Error).message}` };
			}
		},

		/** Scores the company's latest analysis into the four automatic assessments and stores them. */
		async assessAutomatically(analysis: Analysis): Promise<RiskAssessment[]> {
			const now = new Date();
			const saved: RiskAssessment[] = [];
			const ml = await this.mlDistress(analysis.company_id);
			// one cache cleaning for the four
			await this.store.batch(async () => {
				for (const riskType of AUTOMATIC_RISK_TYPES) {
					const result: AutomaticAssessment = assessAutomatic(riskType, analysis, ml);
					const key = automaticKey(analysis.company_id, riskType);
					const fields = {
						company_id: analysis.company_id,
						industry: analysis.company.industry,
						risk_type: riskType,
						method: "automatic",
						risk_score: result.risk_score,
						level: result.level,
						risk_factors: result.risk_factors,
						mitigation_strategies: [],
						exposure: { formula: EXPOSURES[riskType].formula, value: EXPOSURES[riskType].value(analysis) },
						measures: measuresOf(analysis),
						period_end: result.period_end,
						assessed_at: now.toISOString(),
						expires_at: daysFrom(now, AUTOMATIC_VALIDITY_DAYS),
						assessment_key: key,
						updated_at: now.toISOString(),
					};
					const doc = await this.locks.run(key, async () => {
						const existing = await this.findEntity<RiskAssessment>({ assessment_key: key });
						return this.toEntity<RiskAssessment>(
							existing ? await this.store.updateById(existing.id, { $set: fields }) : await this.store.insertKeyed(key, { ...fields, created_at: now.toISOString() }),
						);
					});
					saved.push(this.publicAssessment(doc!));
				}
			});
			emit(this.broker, Risk.events.assessmentCreated, {
				company_id: analysis.company_id,
				automatic: saved.map(a => ({ id: a.id, risk_type: a.risk_type, method: a.method, risk_score: a.risk_score, level: a.level, assessed_at: a.assessed_at })),
			});
			return saved;
		},

		/** Acceptances that hold until a KPI breaches: revoked now if it does (the company's current KPIs, read once). */
		async withKpiConditions(companyId: string, assessments: RiskAssessment[]): Promise<RiskAssessment[]> {
			const conditional = assessments.filter(a => a.acceptance?.until_kpi && a.acceptance.status === "active");
			if (!conditional.length) return assessments;
			const company = await call(this.broker, Companies.actions.get, { id: companyId }, AS_RISK);
			const kpis = await call(this.broker, Domains.actions.computeKpis, { company_id: companyId, industry: company.industry }, AS_RISK);
			const state = (name: string): KpiState | undefined => {
				const k = kpis.kpis.find(x => x.name === name);
				return k ? { value: k.value, status: k.status, breached: k.appetite?.breached ?? null } : undefined;
			};
			for (const a of conditional) {
				const broken = conditionBroken(a.acceptance!.until_kpi!, state(a.acceptance!.until_kpi!.kpi));
				if (broken) a.acceptance = { ...a.acceptance!, status: "revoked", reason: broken };
			}
			return assessments;
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
			openapi: { summary: "List a company's risk assessments", response: "RiskAssessment", list: true },
			rest: "GET /companies/:id/risk-assessments",
			permission: ["read", "risk_assessments"],
			params: {
				$$strict: true,
				id: idParam,
				risk_type: { type: "string", max: 40, optional: true },
				method: { type: "enum", values: ["automatic", "manual"], optional: true },
				...listParams(["risk_score", "assessed_at", "risk_type", "updated_at"]),
			},
			cache: { keys: ["id", "risk_type", "method", "page", "page_size", "sort", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: RiskContext<{ id: string; risk_type?: string; method?: string; page?: number; page_size?: number; sort?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const query: Record<string, unknown> = { company_id: company.id };
				if (ctx.params.risk_type) query.risk_type = ctx.params.risk_type;
				if (ctx.params.method) query.method = ctx.params.method;
				const found = await this.findPage<RiskAssessment>(query, ctx.params, "-risk_score");
				return {
					...found,
					rows: await this.withKpiConditions(
						company.id,
						found.rows.map(r => this.publicAssessment(r)),
					),
				};
			},
		},

		create: {
			openapi: {
				summary: "Assess a risk by hand",
				example: {
					risk_type: "operational",
					title: "Single supplier for castings",
					likelihood: 4,
					impact: 4,
					residual_likelihood: 2,
					residual_impact: 4,
					mitigation_strategies: ["Qualify a second supplier"],
				},
				response: "RiskAssessment",
				description: "An operational or strategic risk on the 5×5 grid: inherent and residual likelihood and impact, treatment, mitigation.",
				status: 201,
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/risk-assessments",
			permission: ["write", "risk_assessments"],
			params: { $$strict: true, id: idParam, ...manualFields },
			async handler(ctx: RiskContext<ManualInput & { id: string }>) {
				const { id, ...input } = ctx.params;
				const company = await this.company(ctx, id);
				const grid = await this.manualGrid(input, company.industry);
				const now = new Date();
				const saved = await this.insertEntity<RiskAssessment>({
					company_id: company.id,
					industry: company.industry,
					risk_type: input.risk_type,
					method: "manual",
					title: input.title,
					created_by: principalOf(ctx).username,
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
				emit(ctx, Risk.events.assessmentCreated, { assessment, by: principalOf(ctx).id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/risk-assessments/${assessment.id}`;
				return assessment;
			},
		},

		/** Scores the company's latest analysis now (the company review also does after every statement change). */
		assessNow: {
			openapi: {
				summary: "Re-assess a company's financial risks now",
				response: "RiskAssessments",
				description: "The four automatic assessments (credit/distress with the ML distress probability, liquidity, leverage, profitability), each explaining its score.",
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/risk-assessments/auto",
			permission: ["write", "risk_assessments"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: RiskContext<{ id: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const analysis = await call(ctx, Finance.actions.computeAnalysis, { company_id: company.id, industry: company.industry });
				return { rows: await this.assessAutomatically(analysis) };
			},
		},

		get: {
			openapi: { summary: "Get a risk assessment", response: "RiskAssessment" },
			rest: "GET /risk-assessments/:id",
			permission: ["read", "risk_assessments"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: RiskContext<{ id: string }>) {
				const assessment = this.publicAssessment(await this.ownedEntity<RiskAssessment>(ctx, ctx.params.id, "Risk assessment"));
				return (await this.withKpiConditions(assessment.company_id, [assessment]))[0];
			},
		},

		update: {
			openapi: {
				summary: "Change a risk assessment",
				example: { residual_likelihood: 1, mitigation_strategies: ["Second supplier qualified"] },
				response: "RiskAssessment",
				errors: [409],
			},
			rest: "PATCH /risk-assessments/:id",
			permission: ["write", "risk_assessments"],
			params: { $$strict: true, id: idParam, ...Object.fromEntries(Object.entries(manualFields).map(([k, rule]) => [k, { ...rule, optional: true }])) },
			async handler(ctx: RiskContext<Partial<ManualInput> & { id: string }>) {
				const { id, ...change } = ctx.params;
				const current = await this.manualAssessment(ctx, id);
				const merged: ManualInput = {
					risk_type: change.risk_type ?? current.risk_type,
					matrix: change.matrix ?? current.matrix,
					title: change.title ?? current.title ?? "",
					likelihood: change.likelihood ?? current.inherent!.likelihood,
					impact: change.impact ?? current.inherent!.impact,
					residual_likelihood: change.residual_likelihood ?? current.residual?.likelihood,
					residual_impact: change.residual_impact ?? current.residual?.impact,
				};
				const company = await this.company(ctx, current.company_id);
				const grid = await this.manualGrid(merged, company.industry);
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
				emit(ctx, Risk.events.assessmentUpdated, { assessment, by: principalOf(ctx).id });
				return assessment;
			},
		},

		/** A domain_admin accepts the residual risk until a date; the acceptance records the state it approved. */
		accept: {
			openapi: {
				summary: "Accept a risk",
				example: { rationale: "Within appetite for 2026", expires_at: "2026-12-31T00:00:00Z" },
				response: "RiskAssessment",
				description:
					"A domain_admin other than the one who assessed it accepts the residual risk, with a reason, until a date or until a KPI breaches. A live acceptance is not replaced (409); an ended one moves to `acceptance_history`. The treatment keeps its strategy unless `strategy` is given.",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /risk-assessments/:id/accept",
			permission: ["admin", "risk_assessments"],
			params: {
				$$strict: true,
				id: idParam,
				rationale: { type: "string", min: 1, max: 2000 },
				expires_at: isoDateTimeParam("expires_at"),
				strategy: { type: "enum", values: [...TREATMENTS], optional: true },
				until_kpi: {
					type: "object",
					strict: true,
					optional: true,
					props: {
						kpi: { type: "string", min: 1, max: 64 },
						tier: { type: "enum", values: ["regulatory_minimum", "internal_limit", "early_warning"], default: "internal_limit" },
					},
				},
			},
			async handler(ctx: RiskContext<{ id: string; rationale: string; expires_at: string; until_kpi?: Acceptance["until_kpi"]; strategy?: (typeof TREATMENTS)[number] }>) {
				const user = principalOf(ctx);
				const found = await this.manualAssessment(ctx, ctx.params.id);
				// four eyes, per person: who assessed a risk does not accept it (COSO 2013, segregation of duties)
				if (found.created_by && found.created_by === user.username)
					throw forbidden("You assessed this risk: another domain_admin accepts it (who proposes does not approve)", { created_by: found.created_by });
				if (Date.parse(ctx.params.expires_at) <= Date.now())
					throw unprocessable("An acceptance must end in the future", [
						{ field: "expires_at", message: "must be in the future", type: "dateMin", actual: ctx.params.expires_at },
					]);
				return this.locks.run(`accept|${found.id}`, async () => {
					const [current] = await this.withKpiConditions(found.company_id, [this.publicAssessment((await this.findEntityById<RiskAssessment>(found.id))!)]);
					// one acceptance at a time: a live one is not silently replaced
					if (current.acceptance?.status === "active")
						throw conflict(
							`The risk is accepted already, by ${current.acceptance.by} until ${current.acceptance.expires_at}: a new acceptance waits until that one ends`,
							{
								acceptance: { by: current.acceptance.by, at: current.acceptance.at, expires_at: current.acceptance.expires_at },
							},
						);
					const residual = current.residual!;
					const acceptance: Acceptance = {
						by: user.id,
						at: nowIso(),
						expires_at: new Date(ctx.params.expires_at).toISOString(),
						rationale: ctx.params.rationale,
						approved: { residual_likelihood: residual.likelihood, residual_impact: residual.impact, level: residual.level, level_index: residual.level_index },
						...(ctx.params.until_kpi ? { until_kpi: ctx.params.until_kpi } : {}),
					};
					// the treatment keeps its strategy unless the request changes it; a risk without one is retained (accept)
					const treatment = current.treatment
						? { ...current.treatment, ...(ctx.params.strategy ? { strategy: ctx.params.strategy } : {}) }
						: { owner: user.username, strategy: ctx.params.strategy ?? "accept" };
					const previous = current.acceptance ? [this.storedAcceptance(current.acceptance)] : [];
					const saved = await this.updateEntity<RiskAssessment>(current.id, {
						acceptance,
						acceptance_history: [...(current.acceptance_history ?? []), ...previous].slice(-ACCEPTANCES_KEPT),
						treatment,
						updated_at: nowIso(),
					});
					const [assessment] = await this.withKpiConditions(current.company_id, [this.publicAssessment(saved!)]);
					emit(ctx, Risk.events.assessmentAccepted, { assessment, by: user.id });
					return assessment;
				});
			},
		},

		/** For an officer: every company in the caller's domains with its risks by level, worst first. */
		summary: {
			openapi: {
				summary: "Risk across the portfolio",
				response: "RiskSummary",
				description:
					"Every company in the caller's domains by its worst risk, worst first (a company without a scored risk is `not_assessed`): `companies_by_level` counts companies, `assessments_by_level` assessments.",
			},
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
				// the four levels of automatic and default-matrix risks; an imported matrix's levels are counted under their own names
				const levels = (): Record<string, number> => ({ critical: 0, high: 0, medium: 0, low: 0, not_assessed: 0 });
				// two different counts, each named for what it counts: companies (by their worst risk) and assessments
				const companiesByLevel = levels();
				const assessmentsByLevel = levels();
				const rows = companies.map(c => {
					const own = byCompany.get(c.id) ?? [];
					const byLevel = levels();
					for (const a of own) byLevel[a.level ?? "not_assessed"] = (byLevel[a.level ?? "not_assessed"] ?? 0) + 1;
					for (const [level, n] of Object.entries(byLevel)) assessmentsByLevel[level] = (assessmentsByLevel[level] ?? 0) + n;
					const worst = own.reduce<RiskAssessment | null>((w, a) => (a.risk_score != null && (w == null || a.risk_score > w.risk_score!) ? a : w), null);
					// a company with no scored risk is not assessed
					const worstLevel = worst?.level ?? "not_assessed";
					companiesByLevel[worstLevel] = (companiesByLevel[worstLevel] ?? 0) + 1;
					return {
						company_id: c.id,
						name: c.name,
						industry: c.industry,
						assessments: own.length,
						by_level: byLevel,
						worst_level: worstLevel,
						worst_score: worst?.risk_score ?? null,
						worst_risk: worst ? { id: worst.id, risk_type: worst.risk_type, title: worst.title ?? null } : null,
					};
				});
				rows.sort((a, b) => (b.worst_score ?? -1) - (a.worst_score ?? -1) || a.name.localeCompare(b.name));
				return {
					companies: companies.length,
					companies_by_level: companiesByLevel,
					assessments: assessments.length,
					assessments_by_level: assessmentsByLevel,
					...pageOfAll(rows, page, pageSize),
				};
			},
		},

		/** Counts of the company's manual risks per cell of a matrix's grid (residual, and inherent), with each cell's level. */
		matrix: {
			openapi: { summary: "Get a company's risk matrix", response: "RiskMatrixView", description: "Its assessments placed on the matrix's grid." },
			rest: "GET /companies/:id/risk-matrix",
			permission: ["read", "risk_assessments"],
			params: { $$strict: true, id: idParam, matrix: { type: "string", min: 1, max: 200, optional: true } },
			cache: { keys: ["id", "matrix", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: RiskContext<{ id: string; matrix?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const matrix = await this.matrixByUrn(ctx.params.matrix ?? DEFAULT_MATRIX.urn, company.industry);
				const manual = (await this.findEntities<RiskAssessment>({ query: { company_id: company.id, method: "manual" } })).filter(
					a => (a.matrix ?? DEFAULT_MATRIX.urn) === matrix.urn,
				);
				const grid = () => matrix.probability.map(() => matrix.impact.map(() => 0));
				const residual = grid();
				const inherent = grid();
				// a position the grid does not have (never written: imports keep every position in use) is not counted
				const count = (cells: number[][], p?: { likelihood: number; impact: number }) => {
					if (p && cells[p.likelihood - 1]?.[p.impact - 1] !== undefined) cells[p.likelihood - 1][p.impact - 1]++;
				};
				for (const a of manual) {
					count(residual, a.residual);
					count(inherent, a.inherent);
				}
				const levels = matrix.grid.map(row => row.map(index => matrix.risk[index].name));
				// automatic risks land on a matrix with impact bands: likelihood from the score, impact from the exposure
				let automatic: number[][] | null = null;
				if (matrix.impact_bands) {
					automatic = grid();
					const auto = await this.findEntities<RiskAssessment>({ query: { company_id: company.id, method: "automatic" } });
					for (const a of auto) {
						if (a.risk_score == null || a.exposure?.value == null || !a.measures) continue;
						const impact = impactOfExposure(matrix, a.exposure.value, a.measures[matrix.impact_bands.measure]);
						if (impact != null) automatic[likelihoodOfScore(matrix, a.risk_score) - 1][impact - 1]++;
					}
				}
				return {
					company_id: company.id,
					matrix: { urn: matrix.urn, name: matrix.name, impact_bands: matrix.impact_bands ?? null },
					automatic,
					probability: matrix.probability,
					impact: matrix.impact,
					risk: matrix.risk,
					levels,
					residual,
					inherent,
					count: manual.length,
				};
			},
		},

		/** Risk matrices: the default and those imported. */
		listMatrices: {
			openapi: { summary: "List risk matrices", response: "RiskMatrix", list: true },
			rest: "GET /risk-matrices",
			role: "viewer",
			params: { $$strict: true, ...pageParams() },
			cache: { keys: ["page", "page_size", "#user.role", "#user.domains"] },
			async handler(ctx: RiskContext<{ page?: number; page_size?: number }>) {
				const user = principalOf(ctx);
				// the shared ones and those of the caller's domains
				const imported = (await this.matrices.find({ sort: ["urn"] }))
					.map(({ _id, ...m }) => ({ ...(m as RiskMatrixEntry), domain: matrixDomain(m) }))
					.filter(m => m.domain === ALL_DOMAINS || canSeeIndustry(user, m.domain));
				return pageOfAll([{ ...DEFAULT_MATRIX, domain: ALL_DOMAINS }, ...imported], ctx.params.page ?? 1, ctx.params.page_size ?? 20);
			},
		},

		/**
		 * Imports the risk matrices of a CISO Assistant library (its YAML text) into a domain (`domain`, else the
		 * caller's only one; shared (`*`) by a super_admin); all or nothing. A URN imported again is replaced, by its
		 * domain only, and only by a matrix that keeps every grid position the domain's risks are on.
		 */
		importMatrices: {
			openapi: {
				summary: "Import risk matrices",
				example: { content: "urn: urn:example:risk:library:three\nname: Three by three\nobjects:\n  risk_matrix: …", domain: "healthcare" },
				response: "RiskMatricesImported",
				description:
					"The matrices belong to `domain` (the caller's only domain by default; `*`, shared by every domain, is a super_admin's). A URN another domain imported is 409; replacing a matrix in use needs one that keeps every grid position its risks are on (409 naming them).",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /risk-matrices",
			permission: ["admin", "risk_assessments"],
			params: { $$strict: true, content: { type: "string", min: 1, max: 1_000_000 }, domain: { type: "string", min: 1, max: 64, optional: true } },
			async handler(ctx: RiskContext<{ content: string; domain?: string }>) {
				const user = principalOf(ctx);
				const domain = ownerDomainOrThrow(user, ctx.params.domain);
				const { matrices, problems } = await inlineOrInWorker(
					ctx.params.content.length,
					"risk.matrix-library",
					{ text: ctx.params.content },
					() => parseMatrixLibrary(ctx.params.content),
					LIBRARY_PARSE_LIMITS,
				).catch(err => {
					throw clientErrorOf(err, "content", "Parsing this library");
				});
				if (problems.length) throw unprocessable(`Not an importable risk matrix library: ${problems[0].field} ${problems[0].message}`, problems);
				if (matrices.some(m => m.urn === DEFAULT_MATRIX.urn))
					throw unprocessable("The default matrix cannot be replaced", [{ field: "urn", message: "is the default's", type: "urn" }]);
				return this.locks.run("matrices", async () => {
					// every check before any write: all or nothing
					const existing = new Map<string, RiskMatrixEntry & { _id: unknown }>();
					for (const matrix of matrices) {
						const stored = (await this.matrices.findOne({ urn: matrix.urn })) as (RiskMatrixEntry & { _id: unknown }) | null;
						if (!stored) continue;
						const owner = matrixDomain(stored);
						if (owner !== domain || !canChangeOwned(user, owner))
							throw conflict(
								`Risk matrix ${matrix.urn} belongs to ${owner === ALL_DOMAINS ? "every domain (shared)" : "another domain"}: import it under another URN`,
								{
									urn: matrix.urn,
								},
							);
						const inUse = await this.findEntities<RiskAssessment>({ query: { method: "manual", matrix: matrix.urn } });
						const outside = positionsOutside(
							matrix,
							inUse.flatMap(a => [a.inherent, a.residual].filter((p): p is GridPosition => !!p)),
						);
						if (outside.length)
							throw conflict(
								`Risk matrix ${matrix.urn} is in use: the new one lacks the grid positions ${outside.map(p => `${p.likelihood}×${p.impact}`).join(", ")} that ${inUse.length} risks are on`,
								{ urn: matrix.urn, positions: outside },
							);
						existing.set(matrix.urn, stored);
					}
					const now = nowIso();
					await this.matrices.batch(async () => {
						for (const matrix of matrices) {
							const doc = { ...matrix, domain, imported_by: user.username, imported_at: now };
							const stored = existing.get(matrix.urn);
							if (stored) await this.matrices.updateById(stored._id, { $set: doc });
							else await this.matrices.insert(doc);
						}
					});
					emit(ctx, Risk.events.matricesImported, { urns: matrices.map(m => m.urn), domain, by: user.id });
					return { imported: matrices.map(m => ({ urn: m.urn, name: m.name, domain, size: `${m.probability.length}×${m.impact.length}` })) };
				});
			},
		},
	},

	channels: {
		[MlRegistry.channels.aliasChanged.name]: {
			group: "risk",
			/** A new production version of the default distress model: every automatic credit/distress assessment is scored again with it. */
			async handler(payload) {
				if (payload.alias !== "production") return;
				const model = await call(this.broker, MlRegistry.actions.get, { id: payload.model_id }, AS_RISK).catch(() => null);
				if (!model || model.name !== "distress" || model.domain !== "*") return;
				const assessed = await this.findEntities<RiskAssessment>({ query: { method: "automatic", risk_type: "credit_distress" } });
				for (const { company_id } of assessed) await this.reassess(company_id);
				if (assessed.length) this.logger.info(`Distress model v${payload.version} in production: ${assessed.length} companies' automatic risks scored again`);
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
	},
});

export default RiskService;
