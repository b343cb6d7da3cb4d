/**
 * Business metrics on Moleculer's metric registry, exported by its Prometheus reporter next to the
 * built-in ones. A service declares the counters it owns; later services add theirs the same way.
 */
import { REVIEW_STEPS } from "../domains/orchestration/workflow";
import { MODEL_TYPES } from "../domains/ml/model-types";
import { defineMixin } from "../lib/service";
import { industries } from "../models/industry";

export interface CounterSpec {
	name: string;
	description: string;
	labelNames?: string[];
	/** The label sets exported at 0 from the start (a counter without labels always is), so a rate or an alert has a series before the first event. */
	initial?: () => Array<Record<string, string>>;
}

const product = (a: string[], b: string[], [ka, kb]: [string, string]) => a.flatMap(x => b.map(y => ({ [ka]: x, [kb]: y })));

/** The counters each service owns (Prometheus: dots become underscores, e.g. bizops_logins_failed_total). */
export const BUSINESS_COUNTERS = {
	loginsFailed: { name: "bizops.logins.failed.total", description: "Failed logins" },
	// its endpoints are the gateway's routes: the gateway exports them at 0 when it starts
	requestsRateLimited: { name: "bizops.requests.rate_limited.total", description: "Requests refused with 429", labelNames: ["endpoint"] },
	analysesComputed: {
		name: "bizops.analyses.computed.total",
		description: "Analyses computed (cache misses)",
		labelNames: ["industry"],
		initial: () => industries().map(industry => ({ industry })),
	},
	secImports: {
		name: "bizops.sec.imports.total",
		description: "SEC companyfacts imports, imported or rejected",
		labelNames: ["outcome"],
		initial: () => ["imported", "rejected"].map(outcome => ({ outcome })),
	},
	mlTrainingJobs: {
		name: "bizops.ml.training_jobs.total",
		description: "ML training jobs finished, by model type and outcome",
		labelNames: ["model_type", "outcome"],
		initial: () => product([...MODEL_TYPES], ["succeeded", "failed", "cancelled"], ["model_type", "outcome"]),
	},
	// its models are known when a prediction node loads them: exported at 0 then
	mlPredictedRows: { name: "bizops.ml.predicted_rows.total", description: "Rows scored by ML production versions", labelNames: ["model"] },
	mlAliasChanges: {
		name: "bizops.ml.alias_changes.total",
		description: "ML alias moves (deploy, rollback), by alias and action",
		labelNames: ["alias", "action"],
		initial: () => product(["production", "staging"], ["deploy", "rollback"], ["alias", "action"]),
	},
	workflowSteps: {
		name: "bizops.workflow.steps.total",
		description: "Company review steps run, by step and outcome (succeeded, retried, failed)",
		labelNames: ["step", "outcome"],
		initial: () => product([...REVIEW_STEPS], ["succeeded", "retried", "failed"], ["step", "outcome"]),
	},
	auditAppends: { name: "bizops.audit.appends.total", description: "Entries appended to the audit trail" },
	secRequests: {
		name: "bizops.sec.requests.total",
		description: "Requests to SEC EDGAR by outcome: ok, not_modified (answered from the cache), not_found, retried, rate_exceeded (all SEC traffic paused), failed",
		labelNames: ["outcome"],
		initial: () => ["ok", "not_modified", "not_found", "retried", "rate_exceeded", "failed"].map(outcome => ({ outcome })),
	},
	priceRequests: {
		name: "bizops.prices.requests.total",
		description: "Requests to the daily price provider by outcome: ok, not_modified, not_found, retried, rate_exceeded (all its traffic paused), failed",
		labelNames: ["outcome"],
		initial: () => ["ok", "not_modified", "not_found", "retried", "rate_exceeded", "failed"].map(outcome => ({ outcome })),
	},
} satisfies Record<string, CounterSpec>;

export function createBusinessMetricsMixin(counters: CounterSpec[]) {
	return defineMixin()({
		methods: {
			countMetric(spec: CounterSpec, labels?: Record<string, string>, value = 1): void {
				if (this.broker.isMetricsEnabled()) this.broker.metrics.increment(spec.name, labels, value);
			},
		},
		created() {
			if (!this.broker.isMetricsEnabled()) return;
			for (const { initial, ...c } of counters as CounterSpec[]) {
				if (!this.broker.metrics.getMetric(c.name)) this.broker.metrics.register({ type: "counter", rate: true, ...c });
				for (const labels of initial?.() ?? (c.labelNames?.length ? [] : [{}])) this.broker.metrics.increment(c.name, labels, 0);
			}
		},
	});
}
