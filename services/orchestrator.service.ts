/**
 * orchestrator: the company review (docs/orchestrator.md). A change of a company's statements (posted,
 * changed, deleted, imported; the durable `companies.data.changed` channel) starts one workflow per change
 * (keyed by its change id, however often the message is delivered): analysis, then automatic risk
 * re-assessment, then compliance re-evaluation, then a refreshed SWOT draft — the steps for the company's
 * industry from config/workflows.yaml. Each step's state is stored before it runs, its success with the next
 * step's start (one write per transition); a step is retried
 * with backoff, then fails the workflow (naming it; the steps before keep their results, those after are
 * skipped). A workflow whose node stops is taken over once its lease lapses and resumes at its first
 * unfinished step: a finished step never runs twice.
 */
import { readConfigYaml } from "../config/files";
import type { Context } from "moleculer";
import { configOf, type Config } from "../config";
import { backoffMs, configIssues, nextStep, REVIEW_STEPS, stepsFor, type ReviewStep, type WorkflowConfig } from "../domains/orchestration/workflow";
import { analysisHighlights } from "../domains/finance/analysis";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { visibleIndustries } from "../domains/identity/rbac";
import { defineService } from "../lib/service";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, naturalKey, type Doc } from "../mixins/db.mixin";
import { listParams, nowIso } from "../models/common";
import { Companies, Compliance, Finance, Orchestrator, Risk, Strategy } from "../contracts";
import { REVIEWED_SOURCES, type CompanyDataChanged } from "../contracts/companies";
import type { AnalysisStepResult, StepOutcome, Workflow } from "../contracts/orchestrator";
import { call, emit } from "../lib/contract-calls";

type OrchestratorContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

const AS_ORCHESTRATOR = { meta: { user: servicePrincipal("orchestrator") } };
const idParam = { type: "string", min: 1, max: 64 } as const;
const RESUME_POLL_MS = 2000;
const MEASURE_MS = 15000;
/** A stalled workflow keeps this growing: what the WorkflowStalled alert watches (deploy/alerts.yml). */
const OLDEST_RUNNING_GAUGE = {
	name: "bizops.workflows.oldest_running_seconds",
	type: "gauge",
	description: "Age in seconds of the oldest company review still running (0 when none is)",
} as const;

/** The steps per industry (config/workflows.yaml, from the source tree or next to dist/) and the run settings (WORKFLOW_*); refused at start when unsound. */
export function readWorkflowConfig(settings: Config["workflows"]): WorkflowConfig {
	const doc = (readConfigYaml("workflows.yaml") ?? {}) as Partial<WorkflowConfig>;
	const config = { company_review: doc.company_review ?? { default: [...REVIEW_STEPS] }, ...settings };
	const issues = configIssues(config);
	if (issues.length) throw new Error(`config/workflows.yaml: ${issues.join("; ")}`);
	return config as WorkflowConfig;
}

const OrchestratorService = defineService<{ workflows: WorkflowConfig; running: Set<string>; timer?: NodeJS.Timeout; measureTimer?: NodeJS.Timeout; stopping: boolean }>()({
	name: "orchestrator",
	metadata: { description: "The company review run after every statement change" },
	settings: { rest: "/" },
	mixins: [
		createDbMixin("workflows", [{ fields: { company_id: 1 } }, { fields: { state: 1 } }]),
		createCompanyScopedMixin("orchestrator"),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.workflowSteps]),
	],

	methods: {
		/** The workflow of this change, created once (a redelivered change finds the one it started). */
		async startReview(change: CompanyDataChanged): Promise<Workflow | null> {
			const key = naturalKey("company_review", change.company_id, String(change.change_id));
			const existing = await this.store.findByKey(key);
			if (existing) return this.toEntity<Workflow>(existing);
			const company = await call(this.broker, Companies.actions.get, { id: change.company_id }, AS_ORCHESTRATOR).catch(() => null);
			if (!company) return null; // deleted meanwhile: nothing to review
			const now = nowIso();
			let created: Workflow;
			try {
				created = this.toEntity<Workflow>(
					// started: not cleaned (the first step's save is)
					(await this.store.uncached().insertKeyed(key, {
						type: "company_review",
						company_id: company.id,
						industry: company.industry,
						trigger: { source: change.source, change_id: change.change_id, ...(change.period_end ? { period_end: change.period_end } : {}) },
						state: "running",
						steps: stepsFor(this.workflows, company.industry).map(name => ({ name, state: "pending", attempts: 0 })),
						started_at: now,
						created_at: now,
						updated_at: now,
					})) as Doc,
				)!;
			} catch {
				// the same change delivered twice at once: the other delivery created it
				return this.toEntity<Workflow>(await this.store.findByKey(key));
			}
			emit(this.broker, Orchestrator.events.workflowStarted, {
				workflow_id: created.id,
				started_at: created.started_at,
				company_id: created.company_id,
				trigger: change.source,
				change_id: change.change_id,
				steps: created.steps.map(s => s.name),
			});
			return created;
		},

		/** Takes the workflow (no other node holds a live lease on it); false when another node runs it. */
		async claim(wf: Workflow): Promise<boolean> {
			const now = nowIso();
			const won = await this.store
				.uncached()
				.updateMany(
					{ _id: this.storedId(wf.id), state: "running", $or: [{ lease_until: { $exists: false } }, { lease_until: { $lt: now } }, { node: this.broker.nodeID }] },
					{ $set: { node: this.broker.nodeID, lease_until: new Date(Date.now() + this.workflows.lease_ms).toISOString(), updated_at: now } },
				);
			if (won !== 1) return false;
			wf.node = this.broker.nodeID;
			return true;
		},

		async save(wf: Workflow, set: Partial<Workflow>): Promise<void> {
			Object.assign(wf, set, { updated_at: nowIso(), lease_until: new Date(Date.now() + this.workflows.lease_ms).toISOString() });
			const { id, ...doc } = wf;
			await this.store.updateById(id, { $set: doc });
		},

		/** One step's work, through the services' actions, as the orchestrator; a short summary of what it did. */
		async runStep(wf: Workflow, step: ReviewStep): Promise<unknown> {
			switch (step) {
				case "analysis": {
					const a = await call(this.broker, Finance.actions.computeAnalysis, { company_id: wf.company_id, industry: wf.industry }, AS_ORCHESTRATOR);
					return { period_end: a.period_end, highlights: analysisHighlights(a) } satisfies AnalysisStepResult;
				}
				case "risk": {
					const r = await call(this.broker, Risk.actions.assessNow, { id: wf.company_id }, AS_ORCHESTRATOR);
					return { assessments: r.rows.map(a => ({ risk_type: a.risk_type, risk_score: a.risk_score, level: a.level })) };
				}
				case "compliance": {
					// every regulation that applies to the company's industry (a new company's first statement gets its
					// first evaluation), and any other it has a record of
					const applicable = await call(this.broker, Compliance.actions.listRegulations, { industry: wf.industry, page_size: 100 }, AS_ORCHESTRATOR);
					const records = await call(this.broker, Compliance.actions.listRecords, { id: wf.company_id, page_size: 100 }, AS_ORCHESTRATOR);
					const types = [...new Set([...applicable.rows.map(r => r.id), ...records.rows.map(r => r.regulation_type)])];
					const statuses: Record<string, string> = {};
					for (const type of types) {
						const evaluated = await call(this.broker, Compliance.actions.evaluate, { id: wf.company_id, regulation_type: type }, AS_ORCHESTRATOR);
						statuses[type] = evaluated.compliance_status;
					}
					return { evaluated: types.length, statuses };
				}
				case "swot":
					return call(this.broker, Strategy.actions.reviewDraft, { company_id: wf.company_id }, AS_ORCHESTRATOR);
			}
		},

		/** What follows a step's success once its state is stored: its count and its event. */
		stepStored(wf: Workflow, step: Workflow["steps"][number]): void {
			this.countMetric(BUSINESS_COUNTERS.workflowSteps, { step: step.name, outcome: "succeeded" });
			emit(this.broker, Orchestrator.events.stepSucceeded, {
				workflow_id: wf.id,
				started_at: wf.started_at,
				company_id: wf.company_id,
				attempts: step.attempts,
				// runStep's analysis result is an AnalysisStepResult (checked where it is made)
				...({ step: step.name, result: step.result } as StepOutcome),
			});
		},

		/**
		 * Runs the workflow from its first unfinished step to the end (or its failure). One write per transition: a
		 * step's success is stored with the next step's start (or the workflow's end), not in a write of its own.
		 */
		async run(wf: Workflow): Promise<void> {
			if (wf.state !== "running" || this.running.has(wf.id) || !(await this.claim(wf))) return;
			this.running.add(wf.id);
			/** The step that succeeded last, its state not stored yet. */
			let succeeded: Workflow["steps"][number] | null = null;
			try {
				for (let step = nextStep(wf.steps); step && !this.stopping; step = nextStep(wf.steps)) {
					const started = Date.now();
					let done = false;
					while (!done && !this.stopping) {
						step.attempts++;
						step.state = "running";
						step.started_at ??= nowIso();
						await this.save(wf, { steps: wf.steps });
						if (succeeded) this.stepStored(wf, succeeded);
						succeeded = null;
						try {
							step.result = await this.runStep(wf, step.name);
							Object.assign(step, { state: "succeeded", finished_at: nowIso(), duration_ms: Date.now() - started });
							delete step.error;
							succeeded = step;
							done = true;
						} catch (err) {
							step.error = (err as Error).message;
							if (step.attempts < this.workflows.max_attempts) {
								this.logger.warn(`Workflow ${wf.id}: step ${step.name} failed (attempt ${step.attempts}), retrying: ${step.error}`);
								this.countMetric(BUSINESS_COUNTERS.workflowSteps, { step: step.name, outcome: "retried" });
								await this.save(wf, { steps: wf.steps });
								await new Promise(resolve => setTimeout(resolve, backoffMs(this.workflows.retry_base_ms, step!.attempts + 1)));
								continue;
							}
							Object.assign(step, { state: "failed", finished_at: nowIso(), duration_ms: Date.now() - started });
							this.countMetric(BUSINESS_COUNTERS.workflowSteps, { step: step.name, outcome: "failed" });
							for (const later of wf.steps) if (later.state === "pending") later.state = "skipped";
							await this.save(wf, { steps: wf.steps, state: "failed", failed_step: step.name, finished_at: nowIso() });
							emit(this.broker, Orchestrator.events.workflowFailed, {
								workflow_id: wf.id,
								started_at: wf.started_at,
								company_id: wf.company_id,
								step: step.name,
								attempts: step.attempts,
								error: step.error,
							});
							return;
						}
					}
				}
				const finished = !this.stopping && !nextStep(wf.steps);
				// the last step's success with the workflow's end; stopping, it is stored so that it does not run again
				if (finished) await this.save(wf, { state: "succeeded", finished_at: nowIso() });
				else if (succeeded) await this.save(wf, { steps: wf.steps });
				if (succeeded) this.stepStored(wf, succeeded);
				if (finished)
					emit(this.broker, Orchestrator.events.workflowCompleted, {
						workflow_id: wf.id,
						started_at: wf.started_at,
						company_id: wf.company_id,
						steps: wf.steps.map(s => s.name),
					});
			} finally {
				this.running.delete(wf.id);
			}
		},

		/** The age of the oldest running workflow, for the stalled-workflow alert. */
		async measureRunning(): Promise<void> {
			if (!this.broker.isMetricsEnabled()) return;
			const [oldest] = await this.findEntities<Workflow>({ query: { state: "running" }, sort: ["started_at"], limit: 1 });
			this.broker.metrics.set(OLDEST_RUNNING_GAUGE.name, oldest ? Math.max(0, (Date.now() - Date.parse(oldest.started_at)) / 1000) : 0);
		},

		/** Workflows whose node stopped (lease lapsed): resumed here at their first unfinished step. */
		async resumeStalled(): Promise<void> {
			const stalled = await this.findEntities<Workflow>({ query: { state: "running", lease_until: { $lt: nowIso() } }, limit: 20 });
			for (const wf of stalled) await this.run(wf);
		},
	},

	actions: {
		list: {
			openapi: {
				summary: "List company reviews",
				description:
					"The company review runs after every statement or price change: analysis → risk → compliance → SWOT draft (docs/orchestrator.md). A company's (`company_id`), or, without it, every review of the companies of the caller's domains, newest first. Filter `state`.",
				response: "Workflow",
				list: true,
			},
			rest: "GET /workflows",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				company_id: { ...idParam, optional: true },
				state: { type: "enum", values: ["running", "succeeded", "failed"], optional: true },
				...listParams(["started_at"]),
			},
			async handler(ctx: OrchestratorContext<{ company_id?: string; state?: string; page?: number; page_size?: number; sort?: string }>) {
				const query: Doc = {};
				if (ctx.params.company_id) query.company_id = (await this.company(ctx, ctx.params.company_id)).id;
				else {
					// every review of the companies of the caller's domains (the operations view's list)
					const industries = visibleIndustries(principalOf(ctx));
					if (industries) query.industry = { $in: industries };
				}
				if (ctx.params.state) query.state = ctx.params.state;
				return this.findPage<Workflow>(query, ctx.params, "-started_at");
			},
		},

		get: {
			openapi: { summary: "Get a review", description: "Each step's state, attempts, timing, result or error.", response: "Workflow" },
			rest: "GET /workflows/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: OrchestratorContext<{ id: string }>) {
				return this.ownedEntity<Workflow>(ctx, ctx.params.id, "Workflow");
			},
		},
	},

	channels: {
		[Companies.channels.dataChanged.name]: {
			group: "orchestrator",
			async handler(change) {
				if (!REVIEWED_SOURCES.includes(change.source) || !change.change_id) return;
				const wf = await this.startReview(change);
				if (wf) await this.run(wf);
			},
		},
	},

	created() {
		if (this.broker.isMetricsEnabled() && !this.broker.metrics.getMetric(OLDEST_RUNNING_GAUGE.name)) this.broker.metrics.register({ ...OLDEST_RUNNING_GAUGE });
		this.workflows = readWorkflowConfig(configOf(this.broker).workflows);
		this.running = new Set();
		this.stopping = false;
	},

	async started() {
		this.timer = setInterval(() => this.resumeStalled().catch(err => this.logger.warn(`Resuming workflows: ${(err as Error).message}`)), RESUME_POLL_MS);
		this.timer.unref();
		const measure = () => this.measureRunning().catch(err => this.logger.warn(`Measuring workflows: ${(err as Error).message}`));
		this.measureTimer = setInterval(measure, MEASURE_MS);
		this.measureTimer.unref();
		await measure();
	},

	async stopped() {
		this.stopping = true;
		clearInterval(this.timer);
		clearInterval(this.measureTimer);
	},
});

export default OrchestratorService;
