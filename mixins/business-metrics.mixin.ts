/**
 * Business metrics on Moleculer's metric registry, exported by its Prometheus reporter next to the
 * built-in ones. A service declares the counters it owns; later services add theirs the same way.
 */
import { defineMixin } from "../lib/service";

export interface CounterSpec {
	name: string;
	description: string;
	labelNames?: string[];
}

/** The counters each service owns (Prometheus: dots become underscores, e.g. bizops_logins_failed_total). */
export const BUSINESS_COUNTERS = {
	loginsFailed: { name: "bizops.logins.failed.total", description: "Failed logins" },
	requestsRateLimited: { name: "bizops.requests.rate_limited.total", description: "Requests refused with 429", labelNames: ["endpoint"] },
	analysesComputed: { name: "bizops.analyses.computed.total", description: "Analyses computed (cache misses)", labelNames: ["industry"] },
	secImports: { name: "bizops.sec.imports.total", description: "SEC companyfacts imports", labelNames: ["outcome"] },
	mlTrainingJobs: { name: "bizops.ml.training_jobs.total", description: "ML training jobs finished, by model type and outcome", labelNames: ["model_type", "outcome"] },
	mlPredictedRows: { name: "bizops.ml.predicted_rows.total", description: "Rows scored by ML production versions", labelNames: ["model"] },
	mlAliasChanges: { name: "bizops.ml.alias_changes.total", description: "ML alias moves (deploy, rollback), by alias and action", labelNames: ["alias", "action"] },
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
			for (const c of counters) {
				if (!this.broker.metrics.getMetric(c.name)) this.broker.metrics.register({ type: "counter", rate: true, ...c });
			}
		},
	});
}
