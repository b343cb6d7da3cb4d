/** Metric gates (docs/ml.md): a version reaches production only when its hold-out metrics meet the model's floors. */
import type { ClassificationMetrics } from "./metrics";

export type GateMetric = "roc_auc" | "pr_auc" | "f1" | "precision" | "recall" | "accuracy" | "brier";

/** The gates a version fails: each a floor, except brier (lower is better), a ceiling. A missing metric fails its gate. */
export function failedGates(
	metrics: ClassificationMetrics,
	gates: Partial<Record<GateMetric, number>>,
): Array<{ metric: GateMetric; required: number; actual: number | null; message: string }> {
	const failed = [];
	for (const [metric, required] of Object.entries(gates) as Array<[GateMetric, number]>) {
		if (required == null) continue;
		const actual = metrics[metric];
		const ok = actual != null && (metric === "brier" ? actual <= required : actual >= required);
		if (!ok) failed.push({ metric, required, actual, message: `${metric} ${actual ?? "n/a"} ${metric === "brier" ? ">" : "<"} ${required}` });
	}
	return failed;
}
