/**
 * Metric gates (docs/ml.md): a version reaches production only when its metrics meet the model's gates — its
 * hold-out metrics' floors, and for a model on statement ratios the share of the reference filers it labels
 * positive, a ceiling (reference.ts).
 */
import type { GATE_METRICS } from "../../models/ml";
import type { ClassificationMetrics } from "./metrics";
import type { ReferenceCheck } from "./reference";

/** The metrics a model's gates may name (models/ml.ts GATE_METRICS). */
export type GateMetric = (typeof GATE_METRICS)[number];

/** Gates that are ceilings (lower is better); the others are floors. */
const CEILINGS = new Set<GateMetric>(["brier", "reference_positive_share"]);

/** What a version's gates are judged on: its hold-out metrics and, when it was checked, the reference filers' positive share. */
export function gateValues(metrics: { test: ClassificationMetrics; reference?: ReferenceCheck }): Partial<Record<GateMetric, number | null>> {
	return { ...metrics.test, reference_positive_share: metrics.reference?.labelled_positive_share ?? null };
}

/** The gates a version fails. A missing metric fails its gate. */
export function failedGates(
	values: Partial<Record<GateMetric, number | null>>,
	gates: Partial<Record<GateMetric, number>>,
): Array<{ metric: GateMetric; required: number; actual: number | null; message: string }> {
	const failed = [];
	for (const [metric, required] of Object.entries(gates) as Array<[GateMetric, number]>) {
		if (required == null) continue;
		const actual = values[metric] ?? null;
		const ceiling = CEILINGS.has(metric);
		const ok = actual != null && (ceiling ? actual <= required : actual >= required);
		if (!ok) failed.push({ metric, required, actual, message: `${metric} ${actual ?? "n/a"} ${ceiling ? ">" : "<"} ${required}` });
	}
	return failed;
}
