/**
 * strategy: a company's strategic plans (docs/strategy.md): SWOT, market analysis (TAM ≥ SAM ≥ SOM, Porter's
 * five forces, competitors), objectives as OKRs scored from their key results, action items flagged when
 * overdue, and the status workflow draft → under_review → approved → active → completed | archived, with
 * who may make each move (an analyst drafts and submits, a domain_admin approves). Key results are checked in
 * with a history.
 */
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import type { Context } from "moleculer";
import { roleRank } from "../domains/identity/rbac";
import { grade, keyResultProgress, objectiveScore } from "../domains/strategy/okr";
import { BINDING_KINDS, boundValue, type BindingSources } from "../domains/strategy/bindings";
import { draftSwot } from "../domains/strategy/swot";
import {
	FIVE_FORCES,
	FORCE_RATINGS,
	isOverdue,
	marketIssues,
	PLAN_STATUSES,
	proposersOf,
	transitionRole,
	type MarketAnalysis,
	type PlanDigest,
	type PlanStatus,
} from "../domains/strategy/plan";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { defineService, NOT_RETRIED } from "../lib/service";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, createStoreMixin, type Doc } from "../mixins/db.mixin";
import { createEncryptedStoresMixin } from "../mixins/encrypted-stores.mixin";
import { isoDateParam, listParams, nowIso, pageParams } from "../models/common";
import { conflict, forbidden, missing, notFound, unprocessable } from "../models/errors";
import { Companies, Compliance, Domains, Finance, Risk, Strategy } from "../contracts";
import type { ActionContract } from "../contracts/contract";
import { ACTION_STATUSES, type ActionItem, type CheckIn, type PlanView, type StoredKeyResult, type StrategicPlan } from "../contracts/strategy";
import { call, emit } from "../lib/contract-calls";

type StrategyContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $location?: string }>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const AS_STRATEGY = { meta: { user: servicePrincipal("strategy") } };
/** Plans whose bound key results still follow their figures. */
const LIVE_STATUSES: PlanStatus[] = ["draft", "under_review", "approved", "active"];
const text = (max: number, optional = true) => ({ type: "string", min: 1, max, optional }) as const;
/** An optional list of strict objects (fastest-validator), `min` to `max` long. */
const listOf = (props: Record<string, unknown>, max: number, min = 0, optional = true) =>
	({ type: "array", min, max, optional, items: { type: "object", strict: true, props } }) as const;
const SWOT_ITEM = {
	type: "object",
	strict: true,
	props: {
		title: text(300, false),
		detail: text(2000),
		impact: { type: "enum", values: ["low", "medium", "high"], optional: true },
		evidence: { type: "object", optional: true },
	},
} as const;

/** Check-ins a key result keeps on the plan: the rest of its history is in the check-in store, paged. */
const CHECK_INS_KEPT = 10;
/** A check-in's note. */
const NOTE_MAX = 500;

type ObjectiveInput = { id?: string; title: string; key_results: Array<Omit<StoredKeyResult, "id" | "check_ins" | "current"> & { id?: string; current?: number }> };
type ActionInput = Omit<ActionItem, "id" | "status"> & { id?: string; status?: ActionItem["status"] };
type PlanInput = {
	title?: string;
	swot_analysis?: StrategicPlan["swot_analysis"];
	market_analysis?: MarketAnalysis;
	objectives?: ObjectiveInput[];
	action_plan?: ActionInput[];
};

const planFields = {
	swot_analysis: {
		type: "object",
		strict: true,
		optional: true,
		props: Object.fromEntries(["strengths", "weaknesses", "opportunities", "threats"].map(k => [k, { type: "array", items: SWOT_ITEM, max: 50, optional: true }])),
	},
	market_analysis: {
		type: "object",
		strict: true,
		optional: true,
		props: {
			tam: { type: "number", min: 0, optional: true },
			sam: { type: "number", min: 0, optional: true },
			som: { type: "number", min: 0, optional: true },
			growth_rate: { type: "number", min: -1, max: 100, optional: true },
			five_forces: {
				type: "object",
				strict: true,
				optional: true,
				props: Object.fromEntries(
					FIVE_FORCES.map(f => [
						f,
						{
							type: "object",
							strict: true,
							optional: true,
							props: { rating: { type: "enum", values: [...FORCE_RATINGS] }, factors: { type: "array", items: text(500, false), max: 20, optional: true } },
						},
					]),
				),
			},
			competitors: listOf(
				{
					name: text(200, false),
					market_share: { type: "number", min: 0, max: 1, optional: true },
					strengths: { type: "array", items: text(500, false), max: 20, optional: true },
					weaknesses: { type: "array", items: text(500, false), max: 20, optional: true },
				},
				50,
			),
		},
	},
	objectives: listOf(
		{
			id: text(40),
			title: text(300, false),
			key_results: listOf(
				{
					id: text(40),
					description: text(500, false),
					unit: text(40),
					start: { type: "number" },
					target: { type: "number" },
					current: { type: "number", optional: true },
					weight: { type: "number", positive: true, max: 100, optional: true },
					binding: { type: "object", strict: true, optional: true, props: { kind: { type: "enum", values: [...BINDING_KINDS] }, metric: text(100, false) } },
				},
				10,
				1,
				false,
			),
		},
		20,
	),
	action_plan: listOf(
		{
			id: text(40),
			title: text(300, false),
			owner: text(200, false),
			due_date: isoDateParam("action_plan[].due_date", true),
			status: { type: "enum", values: [...ACTION_STATUSES], optional: true },
			objective_id: text(40),
		},
		200,
	),
} as const;

const StrategyService = defineService()({
	name: "strategy",
	metadata: { description: "Strategic plans: SWOT, market analysis, OKRs, action items" },
	settings: { rest: "/" },
	mixins: [
		createDbMixin("strategic_plans", [{ fields: { company_id: 1 } }]),
		createEncryptedStoresMixin({ strategic_plans: "store", strategic_plan_check_ins: "checkIns" }),
		createPersonalDataMixin("strategic plans", {
			username: ["created_by"],
			mentions: { store: ["transitions[].by", "action_plan[].owner", "objectives[].key_results[].check_ins[].by"], checkIns: ["by"] },
		}),
		// each check-in a row of its own: a plan's document stays small however often its key results are checked in
		createStoreMixin("checkIns", "strategic_plan_check_ins", [{ fields: { plan_id: 1, objective_id: 1, key_result_id: 1, at: -1 } }, { fields: { company_id: 1 } }]),
		createCompanyScopedMixin("strategy"),
	],

	methods: {
		/** Objectives and action items as stored: ids given where missing, check-in history kept for key results that stay. */
		normalise(input: PlanInput, previous?: StrategicPlan): Pick<StrategicPlan, "objectives" | "action_plan"> | Partial<StrategicPlan> {
			const out: Partial<StrategicPlan> = {};
			if (input.objectives) {
				const before = new Map((previous?.objectives ?? []).flatMap(o => o.key_results.map(kr => [`${o.id}/${kr.id}`, kr] as const)));
				out.objectives = input.objectives.map((o, i) => {
					const id = o.id ?? `o${i + 1}`;
					return {
						id,
						title: o.title,
						key_results: o.key_results.map((kr, j) => {
							const krId = kr.id ?? `kr${j + 1}`;
							const kept = before.get(`${id}/${krId}`);
							return { ...kr, id: krId, current: kr.current ?? kept?.current ?? kr.start, check_ins: kept?.check_ins ?? [] };
						}),
					};
				});
			}
			if (input.action_plan) out.action_plan = input.action_plan.map((a, i) => ({ ...a, id: a.id ?? `a${i + 1}`, status: a.status ?? "open" }));
			const objectives = out.objectives ?? previous?.objectives ?? [];
			const actions = out.action_plan ?? previous?.action_plan ?? [];
			const issues = [
				...marketIssues(input.market_analysis ?? {}),
				...actions
					.filter(a => a.objective_id && !objectives.some(o => o.id === a.objective_id))
					.map(a => ({
						field: `action_plan.${a.id}.objective_id`,
						message: `action item '${a.title}' names objective '${a.objective_id}', which the plan does not have`,
					})),
			];
			const duplicate = objectives.map(o => o.id).find((id, i, all) => all.indexOf(id) !== i);
			if (duplicate) issues.push({ field: "objectives", message: `objective id '${duplicate}' appears twice` });
			if (issues.length) throw unprocessable(issues[0].message, issues);
			return out;
		},

		/**
		 * A draft whose SWOT is drafted from the company's figures (its latest analysis and peer benchmark, KPIs,
		 * risk assessments, compliance records) and the market analysis, read with the caller's rights; a source
		 * the caller cannot read, or no node serves, is left out and named. `review`: the company review's own
		 * draft, updated in place.
		 */
		async draftPlan(
			ctx: StrategyContext,
			companyId: string,
			options: { title: string; industry: string; market_analysis?: MarketAnalysis; review?: boolean },
		): Promise<StrategicPlan> {
			const missingSources: string[] = [];
			const read = async <P, A>(source: string, action: ActionContract<string, P, A>, params: P): Promise<A | null> => {
				try {
					return await call(ctx, action, params);
				} catch (err) {
					const code = (err as { code?: number }).code;
					// no statements yet (404), not the caller's to read (403), no node serving it (503): drafted without it
					if (code === 404 || code === 403 || code === 503 || (err as Error).name === "ServiceNotFoundError") {
						missingSources.push(`${source}: ${(err as Error).message}`);
						return null;
					}
					throw err;
				}
			};
			const [analysis, kpis, risks, compliance] = await Promise.all([
				read("analysis", Finance.actions.analysis, { id: companyId }),
				read("kpis", Domains.actions.kpis, { id: companyId }),
				read("risks", Risk.actions.list, { id: companyId, page_size: 100 }),
				read("compliance", Compliance.actions.listRecords, { id: companyId, page_size: 100 }),
			]);
			const swot = draftSwot({ analysis, kpis, risks: risks?.rows ?? [], compliance: compliance?.rows ?? [], market: options.market_analysis });
			const now = nowIso();
			const drafted_from = {
				analysis_period: analysis?.period_end ?? null,
				kpi_period: kpis?.period_end ?? null,
				risk_assessments: risks?.rows.length ?? 0,
				compliance_records: compliance?.rows.length ?? 0,
				missing: missingSources,
			};
			// the company review keeps one draft up to date rather than adding one per change
			const existing = options.review ? await this.findEntity<StrategicPlan>({ company_id: companyId, status: "draft", review: true }) : null;
			if (existing) return (await this.updateEntity<StrategicPlan>(existing.id, { swot_analysis: swot, drafted_from, updated_at: now }))!;
			return this.insertEntity<StrategicPlan>({
				company_id: companyId,
				industry: options.industry,
				title: options.title,
				status: "draft",
				swot_analysis: swot,
				market_analysis: options.market_analysis ?? {},
				objectives: [],
				action_plan: [],
				transitions: [],
				drafted_from,
				...(options.review ? { review: true } : {}),
				created_by: principalOf(ctx).username,
				created_at: now,
				updated_at: now,
			});
		},

		/** The figures the company's bound key results read, fetched once per kind needed. */
		async bindingSources(companyId: string, kinds: Set<string>): Promise<BindingSources> {
			const read = <P, A>(action: ActionContract<string, P, A>, params: P) => call(this.broker, action, params, AS_STRATEGY).catch(() => null);
			const [analysis, kpis, risks, compliance] = await Promise.all([
				kinds.has("ratio") ? read(Finance.actions.analysis, { id: companyId }) : null,
				kinds.has("kpi") ? read(Domains.actions.kpis, { id: companyId }) : null,
				kinds.has("risk_score") ? read(Risk.actions.list, { id: companyId, page_size: 100 }) : null,
				kinds.has("compliance") ? read(Compliance.actions.listRecords, { id: companyId, page_size: 100 }) : null,
			]);
			return { analysis, kpis, risks: risks?.rows ?? [], compliance: compliance?.rows ?? [] };
		},

		/**
		 * Checks in every bound key result of the company's live plans whose figure moved (by "system", noting the
		 * source and period). Idempotent: a figure that did not move adds nothing.
		 */
		async refreshBindings(companyId: string): Promise<void> {
			const plans = (await this.findEntities<StrategicPlan>({ query: { company_id: companyId, status: { $in: LIVE_STATUSES } } })).filter(p =>
				p.objectives.some(o => o.key_results.some(kr => kr.binding)),
			);
			if (!plans.length) return;
			const kinds = new Set(plans.flatMap(p => p.objectives.flatMap(o => o.key_results.flatMap(kr => (kr.binding ? [kr.binding.kind] : [])))));
			const sources = await this.bindingSources(companyId, kinds);
			for (const plan of plans) {
				const now = nowIso();
				let changed = false;
				const checkedIn: Array<{ objective: string; key_result: string; value: number }> = [];
				for (const o of plan.objectives)
					for (const kr of o.key_results) {
						if (!kr.binding) continue;
						const bound = boundValue(kr.binding, sources);
						if (bound.value == null || bound.value === kr.current) continue;
						kr.current = bound.value;
						await this.recordCheckIn(plan, o.id, kr, {
							value: bound.value,
							note: `from ${bound.source}${bound.period ? ` (${bound.period})` : ""}`.slice(0, NOTE_MAX),
							by: "system",
							at: now,
						});
						changed = true;
						checkedIn.push({ objective: o.id, key_result: kr.id, value: bound.value });
					}
				if (!changed) continue;
				const saved = (await this.updateEntity<StrategicPlan>(plan.id, { objectives: plan.objectives, updated_at: now }))!;
				for (const c of checkedIn.splice(0))
					emit(this.broker, Strategy.events.keyResultCheckedIn, { id: plan.id, company_id: companyId, ...c, automatic: true, plan: this.planDigest(saved) });
			}
		},

		/**
		 * Adds a check-in to a key result: stored as a row of its own (with any check-ins the plan held from before
		 * there was a store), and the key result keeps the last CHECK_INS_KEPT. Changes `kr` in place.
		 */
		async recordCheckIn(plan: StrategicPlan, objectiveId: string, kr: StoredKeyResult, checkIn: CheckIn): Promise<void> {
			const row = (c: CheckIn) => ({
				plan_id: plan.id,
				company_id: plan.company_id,
				...(plan.industry ? { industry: plan.industry } : {}),
				objective_id: objectiveId,
				key_result_id: kr.id,
				value: c.value,
				...(c.note ? { note: c.note } : {}),
				by: c.by,
				at: c.at,
			});
			const kept: CheckIn[] = [];
			for (const earlier of kr.check_ins) kept.push(earlier.id ? earlier : { ...earlier, id: String((await this.checkIns.insert(row(earlier)))._id) });
			const stored = await this.checkIns.insert(row(checkIn));
			kr.check_ins = [...kept, { ...checkIn, id: String(stored._id) }].slice(-CHECK_INS_KEPT);
		},

		/** A deleted company's plans and their check-ins (at least once: idempotent). */
		async onCompanyDeleted(companyId: string): Promise<void> {
			await this.checkIns.removeMany({ company_id: companyId });
			await this.store.removeMany({ company_id: companyId });
		},

		/** What a plan's events carry of it (the company overview is kept from them): status, score, open actions. */
		planDigest(plan: StrategicPlan): PlanDigest {
			const { summary } = this.publicPlan(plan);
			return {
				id: plan.id,
				title: plan.title,
				status: plan.status,
				...(plan.review ? { review: true } : {}),
				score: summary.score,
				grade: summary.grade,
				open_actions: plan.action_plan.filter(a => a.status === "open" || a.status === "in_progress"),
				updated_at: plan.updated_at,
			};
		},

		/** The plan with what is computed from it: progress, scores and grades, overdue actions, the moves open to it. */
		publicPlan(plan: StrategicPlan): PlanView {
			const today = nowIso().slice(0, 10);
			const objectives = plan.objectives.map(o => ({
				...o,
				key_results: o.key_results.map(kr => ({ ...kr, progress: Math.round(keyResultProgress(kr) * 1000) / 1000 })),
				...objectiveScore(o),
			}));
			const scored = objectives.filter(o => o.score != null);
			const score = scored.length ? Math.round((scored.reduce((s, o) => s + o.score!, 0) / scored.length) * 1000) / 1000 : null;
			const action_plan = plan.action_plan.map(a => ({ ...a, overdue: isOverdue(a, today) }));
			return {
				...plan,
				objectives,
				action_plan,
				summary: {
					score,
					grade: score == null ? null : grade(score),
					open_actions: action_plan.filter(a => a.status === "open" || a.status === "in_progress").length,
					overdue_actions: action_plan.filter(a => a.overdue).length,
				},
				next_statuses: PLAN_STATUSES.filter(s => transitionRole(plan.status, s)),
			};
		},
	},

	actions: {
		create: {
			openapi: {
				summary: "Create a strategic plan",
				response: "StrategicPlan",
				description: "SWOT, market analysis (TAM ≥ SAM ≥ SOM), OKRs and action items.",
				status: 201,
				example: {
					title: "2027 plan",
					objectives: [{ title: "Fix the balance sheet", key_results: [{ description: "current ratio", start: 1, target: 1.5 }] }],
					action_plan: [{ title: "Refinance the term loan", owner: "CFO", due_date: "2027-06-30" }],
				},
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/strategic-plans",
			permission: ["write", "strategic_plans"],
			params: { $$strict: true, id: idParam, title: text(300, false), ...planFields },
			async handler(ctx: StrategyContext<PlanInput & { id: string; title: string }>) {
				const { id, ...input } = ctx.params;
				const company = await this.company(ctx, id);
				const now = nowIso();
				const plan = await this.insertEntity<StrategicPlan>({
					company_id: company.id,
					industry: company.industry,
					title: input.title,
					status: "draft",
					swot_analysis: { strengths: [], weaknesses: [], opportunities: [], threats: [], ...input.swot_analysis },
					market_analysis: input.market_analysis ?? {},
					objectives: [],
					action_plan: [],
					...this.normalise(input),
					transitions: [],
					created_by: principalOf(ctx).username,
					created_at: now,
					updated_at: now,
				});
				emit(ctx, Strategy.events.planCreated, { id: plan.id, company_id: company.id, by: principalOf(ctx).id, plan: this.planDigest(plan) });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/strategic-plans/${plan.id}`;
				// bound key results start from their figure's value now
				await this.refreshBindings(company.id);
				return this.publicPlan((await this.findEntityById<StrategicPlan>(plan.id))!);
			},
		},

		/**
		 * `{title?, market_analysis?}`: a new draft whose SWOT is drafted from the company's figures (its latest
		 * analysis and peer benchmark, KPIs, risk assessments, compliance records) and the market analysis, each
		 * item with its evidence. A source the caller cannot read, or no node serves, is left out and named.
		 */
		draft: {
			openapi: {
				summary: "Draft a plan from the company's figures",
				example: { title: "2027 draft", market_analysis: { tam: 1000000, sam: 200000, som: 20000 } },
				response: "StrategicPlan",
				description: "A SWOT drafted from the analysis, benchmarks, KPIs, risks, compliance records and market analysis, each item with its evidence.",
				status: 201,
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/strategic-plans/draft",
			permission: ["write", "strategic_plans"],
			params: { $$strict: true, id: idParam, title: text(300), market_analysis: planFields.market_analysis },
			async handler(ctx: StrategyContext<{ id: string; title?: string; market_analysis?: MarketAnalysis }>) {
				const company = await this.company(ctx, ctx.params.id);
				const issues = marketIssues(ctx.params.market_analysis ?? {});
				if (issues.length) throw unprocessable(issues[0].message, issues);
				const plan = await this.draftPlan(ctx, company.id, {
					title: ctx.params.title ?? `Draft plan ${nowIso().slice(0, 10)}`,
					industry: company.industry,
					market_analysis: ctx.params.market_analysis,
				});
				emit(ctx, Strategy.events.planCreated, { id: plan.id, company_id: company.id, drafted: true, by: principalOf(ctx).id, plan: this.planDigest(plan) });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/strategic-plans/${plan.id}`;
				return this.publicPlan(plan);
			},
		},

		/** The company review's step (orchestrator): the company's review draft, its SWOT drafted again. */
		reviewDraft: {
			visibility: "public",
			retryPolicy: NOT_RETRIED,
			permission: ["write", "strategic_plans"],
			params: { $$strict: true, company_id: idParam },
			async handler(ctx: StrategyContext<{ company_id: string }>) {
				const company = await this.company(ctx, ctx.params.company_id);
				const plan = await this.draftPlan(ctx, company.id, { title: "Company review draft", industry: company.industry, review: true });
				const event = plan.created_at === plan.updated_at ? Strategy.events.planCreated : Strategy.events.planUpdated;
				emit(ctx, event, { id: plan.id, company_id: company.id, drafted: true, changed: ["swot_analysis"], plan: this.planDigest(plan) });
				const counts = Object.fromEntries(Object.entries(plan.swot_analysis).map(([k, v]) => [k, v.length]));
				return { plan_id: plan.id, swot: counts, drafted_from: plan.drafted_from };
			},
		},

		list: {
			openapi: { summary: "List a company's strategic plans", response: "StrategicPlan", list: true, description: "Filter `status`." },
			rest: "GET /companies/:id/strategic-plans",
			permission: ["read", "strategic_plans"],
			params: {
				$$strict: true,
				id: idParam,
				status: { type: "enum", values: [...PLAN_STATUSES], optional: true },
				...listParams(["created_at", "updated_at", "title", "status"]),
			},
			cache: { keys: ["id", "status", "page", "page_size", "sort", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: StrategyContext<{ id: string; status?: PlanStatus; page?: number; page_size?: number; sort?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const query: Record<string, unknown> = { company_id: company.id };
				if (ctx.params.status) query.status = ctx.params.status;
				const found = await this.findPage<StrategicPlan>(query, ctx.params, "-updated_at");
				return { ...found, rows: found.rows.map(p => this.publicPlan(p)) };
			},
		},

		get: {
			openapi: {
				summary: "Get a strategic plan",
				response: "StrategicPlan",
				description: "With each key result's progress, each objective's score and grade, overdue actions and the moves open to it.",
			},
			rest: "GET /strategic-plans/:id",
			permission: ["read", "strategic_plans"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: StrategyContext<{ id: string }>) {
				return this.publicPlan(await this.ownedEntity<StrategicPlan>(ctx, ctx.params.id, "Strategic plan"));
			},
		},

		/** Changes the plan's content (not its status): while it is a draft, or active (objectives and actions move on). */
		update: {
			openapi: { summary: "Change a strategic plan", example: { title: "2027 plan (v2)" }, response: "StrategicPlan", errors: [409] },
			retryPolicy: NOT_RETRIED,
			rest: "PATCH /strategic-plans/:id",
			permission: ["write", "strategic_plans"],
			params: { $$strict: true, id: idParam, title: text(300), ...planFields },
			async handler(ctx: StrategyContext<PlanInput & { id: string }>) {
				const { id, ...input } = ctx.params;
				const plan = await this.ownedEntity<StrategicPlan>(ctx, id, "Strategic plan");
				if (plan.status !== "draft" && plan.status !== "active")
					throw conflict(`A plan that is ${plan.status} is not edited: send it back to draft first (or activate it)`, { status: plan.status });
				const set: Partial<StrategicPlan> = { ...this.normalise(input, plan), updated_at: nowIso() };
				if (input.title) set.title = input.title;
				if (input.swot_analysis) set.swot_analysis = { ...plan.swot_analysis, ...input.swot_analysis };
				if (input.market_analysis) set.market_analysis = input.market_analysis;
				const updated = (await this.updateEntity<StrategicPlan>(id, set))!;
				emit(ctx, Strategy.events.planUpdated, { id, company_id: plan.company_id, changed: Object.keys(input), by: principalOf(ctx).id, plan: this.planDigest(updated) });
				if (input.objectives) await this.refreshBindings(plan.company_id);
				return this.publicPlan((await this.findEntityById<StrategicPlan>(id))!);
			},
		},

		/** `{to, reason?}`: moves the plan along its workflow; a move the workflow has not is 409, a role too low for it 403. */
		transition: {
			openapi: {
				summary: "Move a plan along its workflow",
				response: "StrategicPlan",
				description:
					"draft → under_review → approved → active → completed | archived; an analyst submits, a domain_admin approves. A move the workflow has not is 409 listing the allowed ones.",
				errors: [409],
				example: { to: "under_review" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /strategic-plans/:id/transitions",
			permission: ["write", "strategic_plans"],
			params: { $$strict: true, id: idParam, to: { type: "enum", values: [...PLAN_STATUSES] }, reason: text(1000) },
			async handler(ctx: StrategyContext<{ id: string; to: PlanStatus; reason?: string }>) {
				const user = principalOf(ctx);
				const plan = await this.ownedEntity<StrategicPlan>(ctx, ctx.params.id, "Strategic plan");
				const { to, reason } = ctx.params;
				const needed = transitionRole(plan.status, to);
				if (!needed) {
					const open = PLAN_STATUSES.filter(s => transitionRole(plan.status, s));
					throw conflict(`A ${plan.status} plan cannot become ${to}${open.length ? `: it may become ${open.join(", ")}` : ""}`, { status: plan.status, allowed: open });
				}
				if (roleRank(user.role) < roleRank(needed)) throw forbidden(`Moving a plan from ${plan.status} to ${to} needs a ${needed}`);
				// four eyes, per person: who wrote or submitted a plan does not approve it (COSO 2013, segregation of duties)
				const proposers = proposersOf(plan);
				if (to === "approved" && proposers.includes(user.username))
					throw forbidden(`You ${plan.created_by === user.username ? "created" : "submitted"} this plan: another ${needed} approves it (who proposes does not approve)`, {
						proposers,
					});
				const now = nowIso();
				const move = { from: plan.status, to, by: user.username, role: user.role, ...(reason ? { reason } : {}), at: now };
				// the move applies only to the status it was checked against (two reviewers at once: one wins)
				const moved = await this.store.updateMany(
					{ _id: this.storedId(plan.id), status: plan.status },
					{ $set: { status: to, updated_at: now }, $push: { transitions: move } },
				);
				if (moved !== 1) throw conflict("The plan moved meanwhile: read it again", { id: plan.id });
				const transitioned = (await this.findEntityById<StrategicPlan>(plan.id))!;
				emit(ctx, Strategy.events.planTransitioned, { id: plan.id, company_id: plan.company_id, from: plan.status, to, by: user.id, plan: this.planDigest(transitioned) });
				return this.publicPlan(transitioned);
			},
		},

		/** `{value, note?}`: a key result's new current value, kept in its check-in history. */
		checkIn: {
			openapi: {
				summary: "Check in a key result",
				response: "StrategicPlan",
				description: `The key result's new value, kept in its history (the plan shows the last ${CHECK_INS_KEPT}; GET …/check-ins pages through all of them). A note is at most ${NOTE_MAX} characters.`,
				status: 201,
				example: { value: 1.2, note: "Q1 close" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /strategic-plans/:id/objectives/:objective/key-results/:key_result/check-ins",
			permission: ["write", "strategic_plans"],
			params: { $$strict: true, id: idParam, objective: text(40, false), key_result: text(40, false), value: { type: "number" }, note: text(NOTE_MAX) },
			async handler(ctx: StrategyContext<{ id: string; objective: string; key_result: string; value: number; note?: string }>) {
				const plan = await this.ownedEntity<StrategicPlan>(ctx, ctx.params.id, "Strategic plan");
				if (plan.status === "completed" || plan.status === "archived") throw conflict(`A ${plan.status} plan takes no check-ins`, { status: plan.status });
				const objective = plan.objectives.find(o => o.id === ctx.params.objective);
				const kr = objective?.key_results.find(k => k.id === ctx.params.key_result);
				if (!objective || !kr)
					throw missing(`The plan has no key result ${ctx.params.objective}/${ctx.params.key_result}`, {
						key_results: plan.objectives.flatMap(o => o.key_results.map(k => `${o.id}/${k.id}`)),
					});
				const checkIn: CheckIn = { value: ctx.params.value, ...(ctx.params.note ? { note: ctx.params.note } : {}), by: principalOf(ctx).username, at: nowIso() };
				kr.current = ctx.params.value;
				await this.recordCheckIn(plan, objective.id, kr, checkIn);
				const saved = await this.updateEntity<StrategicPlan>(plan.id, { objectives: plan.objectives, updated_at: checkIn.at });
				emit(ctx, Strategy.events.keyResultCheckedIn, {
					id: plan.id,
					company_id: plan.company_id,
					objective: objective.id,
					key_result: kr.id,
					value: checkIn.value,
					by: principalOf(ctx).id,
					plan: this.planDigest(saved!),
				});
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/strategic-plans/${plan.id}/check-ins/${kr.check_ins[kr.check_ins.length - 1].id}`;
				return this.publicPlan(saved!);
			},
		},

		/** One check-in of a plan (where a check-in's 201 points). */
		getCheckIn: {
			openapi: { summary: "Get a check-in", response: "CheckIn", description: "One check-in of the plan's key results, with the key result it is for." },
			rest: "GET /strategic-plans/:id/check-ins/:check_in",
			permission: ["read", "strategic_plans"],
			params: { $$strict: true, id: idParam, check_in: idParam },
			async handler(ctx: StrategyContext<{ id: string; check_in: string }>) {
				const plan = await this.ownedEntity<StrategicPlan>(ctx, ctx.params.id, "Strategic plan");
				const found = this.checkIns.entity<Doc>(await this.checkIns.findById(ctx.params.check_in).catch(() => null));
				if (!found || found.plan_id !== plan.id) throw notFound("Check-in", ctx.params.check_in);
				const { plan_id: _p, company_id: _c, ...checkIn } = found;
				return checkIn;
			},
		},

		/** A key result's whole check-in history, newest first, paged. */
		listCheckIns: {
			openapi: { summary: "List a key result's check-ins", response: "CheckIn", list: true, description: "Every check-in of the key result, newest first." },
			rest: "GET /strategic-plans/:id/objectives/:objective/key-results/:key_result/check-ins",
			permission: ["read", "strategic_plans"],
			params: { $$strict: true, id: idParam, objective: text(40, false), key_result: text(40, false), ...pageParams() },
			async handler(ctx: StrategyContext<{ id: string; objective: string; key_result: string; page?: number; page_size?: number }>) {
				const plan = await this.ownedEntity<StrategicPlan>(ctx, ctx.params.id, "Strategic plan");
				const kr = plan.objectives.find(o => o.id === ctx.params.objective)?.key_results.find(k => k.id === ctx.params.key_result);
				if (!kr)
					throw missing(`The plan has no key result ${ctx.params.objective}/${ctx.params.key_result}`, {
						key_results: plan.objectives.flatMap(o => o.key_results.map(k => `${o.id}/${k.id}`)),
					});
				// check-ins the plan held from before there was a store are not rows yet: they show with the rest
				const legacy = kr.check_ins.filter(c => !c.id);
				const query = { plan_id: plan.id, objective_id: ctx.params.objective, key_result_id: ctx.params.key_result };
				const page = await this.checkIns.page<Doc>(query, ctx.params, "-at");
				const rows = page.rows.map(({ plan_id: _p, company_id: _c, objective_id: _o, key_result_id: _k, ...c }) => c);
				if (!legacy.length) return { ...page, rows };
				const all = [...rows, ...legacy].sort((a, b) => String(b.at).localeCompare(String(a.at)));
				return { ...page, total: page.total + legacy.length, rows: all.slice(0, page.page_size) };
			},
		},
	},

	channels: {
		[Companies.channels.dataChanged.name]: {
			group: "strategy",
			/** New statements or operational metrics: bound key results follow their ratios and KPIs. */
			async handler(payload) {
				await this.refreshBindings(payload.company_id);
			},
		},
	},

	events: {
		// risk and compliance re-score after the figures change: bound key results follow them too
		async [Risk.events.assessmentCreated.name](ctx) {
			const companyId = "assessment" in ctx.params ? ctx.params.assessment.company_id : ctx.params.company_id;
			await this.refreshBindings(companyId).catch(err => this.logger.warn(`Bound key results of ${companyId}: ${(err as Error).message}`));
		},
		async [Compliance.events.recordUpdated.name](ctx) {
			const companyId = ctx.params.record.company_id;
			await this.refreshBindings(companyId).catch(err => this.logger.warn(`Bound key results of ${companyId}: ${(err as Error).message}`));
		},
	},
});

export default StrategyService;
