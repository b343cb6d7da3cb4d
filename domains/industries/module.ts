/**
 * An industry module (docs/domains.md): the operational metrics a company of the industry reports per period,
 * the KPIs computed from them (and from its statements) with cited thresholds, and the regulations that
 * apply. Each module is one folder under domains/industries/; registry.ts finds them.
 */
import { displayOf, thresholdText } from "../presentation/display";
import type { Value } from "../finance/math";

export interface MetricDef {
	unit: "currency" | "count" | "hours" | "minutes" | "days" | "fraction";
	description: string;
	/** Counts are whole numbers. */
	integer?: boolean;
	/** Fractions lie in [0, 1]. */
	max?: number;
}

/** What the statements contribute to KPIs (from the finance analysis of the same period). */
export interface FinanceFigures {
	operating_margin?: Value;
	inventory_turnover?: Value;
	fcf_margin?: Value;
	/** Year-over-year revenue growth, as a fraction. */
	revenue_growth?: Value;
}

export interface KpiInputs {
	metrics: Record<string, number>;
	/** Days the period covers (365 for a year). */
	period_days: number;
	finance: FinanceFigures;
}

/**
 * good / watch bands: `higher` is good at or above `good`, watch at or above `watch`; `lower` the reverse;
 * `range` good inside [good[0], good[1]], watch inside [watch[0], watch[1]]. Null: the KPI is informational.
 */
export type Threshold = { direction: "higher" | "lower"; good: number; watch: number } | { direction: "range"; good: [number, number]; watch: [number, number] };

export interface KpiDef {
	name: string;
	unit: "fraction" | "times" | "days" | "months" | "currency" | "rate" | "points";
	/** What a `rate` is per (e.g. "200,000 h"), for its display. */
	per?: string;
	formula: string;
	/** The metrics (or `finance.<figure>`) it reads; any missing one makes it not_assessed. */
	inputs: string[];
	compute(inputs: KpiInputs): Value;
	threshold: Threshold | null;
	/** Where the threshold comes from: a regulation, a paper, or "convention: …". */
	source: string;
}

export interface IndustryModule {
	id: string;
	name: string;
	metrics: Record<string, MetricDef>;
	/** Checks across metrics (e.g. good units within total units): the problems, as 422 fields. */
	consistency?(metrics: Record<string, number>): Array<{ field: string; message: string }>;
	kpis: KpiDef[];
	/** The regulation_type ids that apply to the industry's companies. */
	regulations: string[];
	/**
	 * Published medians of finance ratios for the industry (keys as the benchmark's: `profitability.net_margin`),
	 * shown beside the platform's own peer medians: a reference that holds when the platform has few peers.
	 */
	benchmark_medians?: { source: string; as_of: string; ratios: Record<string, number> };
}

/** Where the shipped modules' reference medians come from (quarterly margins, first quarter of 2012). */
export const SP500_SECTOR_MEDIANS = 'Bloomberg News, "Summary of First Quarter Margins for S&P 500 Stocks by Sectors" (11 May 2012): S&P 500 sector medians';

export type KpiStatus = "good" | "watch" | "bad" | "not_assessed" | "informational";

/**
 * A company's appetite for one KPI, in three tiers (e.g. LCR 100 / 110 / 115 %): the regulatory minimum, its
 * own internal limit, and an early warning before it. Each is optional; in the KPI's direction they are in
 * that order (for a KPI where higher is better: minimum ≤ limit ≤ warning).
 */
export interface Appetite {
	regulatory_minimum?: number;
	internal_limit?: number;
	early_warning?: number;
}
export const APPETITE_TIERS = ["regulatory_minimum", "internal_limit", "early_warning"] as const;
export type AppetiteTier = (typeof APPETITE_TIERS)[number];

export interface KpiResult {
	name: string;
	value: Value;
	unit: KpiDef["unit"];
	/** The value as a person reads it ("76.0 %", "3.2 per 200,000 h"); null without a value. */
	display: string | null;
	/** The threshold as a sentence ("good at or below 3.0, watch up to 5.0, bad above 5.0"); null when informational. */
	threshold_text: string | null;
	formula: string;
	threshold: Threshold | null;
	status: KpiStatus;
	inputs: Record<string, Value>;
	/** Why it is not assessed. */
	reason?: string;
	source: string;
	/** The company's own tiers for this KPI, and the most serious one the value breaches (null: none). */
	appetite?: Appetite & { breached: AppetiteTier | null };
}

/** A company's KPIs for one period (GET /companies/:id/kpis). */
export interface CompanyKpis {
	company_id: string;
	industry: string;
	period_end: string | null;
	period_days: number | null;
	kpis: KpiResult[];
	warnings: string[];
}

/** The status of a value against a threshold; exactly at a band's edge is inside it. */
export function statusOf(value: number, threshold: Threshold): "good" | "watch" | "bad" {
	if (threshold.direction === "range") {
		const inside = ([lo, hi]: [number, number]) => value >= lo && value <= hi;
		return inside(threshold.good) ? "good" : inside(threshold.watch) ? "watch" : "bad";
	}
	if (threshold.direction === "higher") return value >= threshold.good ? "good" : value >= threshold.watch ? "watch" : "bad";
	return value <= threshold.good ? "good" : value <= threshold.watch ? "watch" : "bad";
}

function inputValue(name: string, inputs: KpiInputs): Value {
	if (name.startsWith("finance.")) return inputs.finance[name.slice("finance.".length) as keyof FinanceFigures] ?? null;
	return inputs.metrics[name] ?? null;
}

/** The most serious tier `value` breaches (beyond a tier in the bad direction; exactly at it is not a breach). */
export function appetiteBreach(value: number, direction: "higher" | "lower", appetite: Appetite): AppetiteTier | null {
	const breaches = (tier: number | undefined) => tier != null && (direction === "higher" ? value < tier : value > tier);
	return APPETITE_TIERS.find(t => breaches(appetite[t])) ?? null;
}

/** Problems with an appetite for a KPI: it must have a direction, and its tiers must be in order along it. */
export function checkAppetite(kpi: KpiDef, appetite: Appetite): Array<{ field: string; message: string; type: string }> {
	if (!kpi.threshold || kpi.threshold.direction === "range")
		return [{ field: "kpi", message: `${kpi.name} has no direction (better higher or lower): no appetite tiers`, type: "appetiteKpi" }];
	const given = APPETITE_TIERS.filter(t => appetite[t] != null);
	if (!given.length) return [{ field: "regulatory_minimum", message: "give at least one tier", type: "required" }];
	const higher = kpi.threshold.direction === "higher";
	const problems = [];
	for (let i = 1; i < given.length; i++) {
		const [a, b] = [appetite[given[i - 1]]!, appetite[given[i]]!];
		if (higher ? b < a : b > a)
			problems.push({
				field: given[i],
				message: `must be ${higher ? "at least" : "at most"} ${given[i - 1]} (${a}) for ${kpi.name}, where ${higher ? "higher" : "lower"} is better`,
				type: "appetiteOrder",
			});
	}
	return problems;
}

/** A KPI's status against the company's appetite, when it has one: early warning breached → watch, a limit or the minimum → bad. */
const APPETITE_STATUS: Record<AppetiteTier, "watch" | "bad"> = { early_warning: "watch", internal_limit: "bad", regulatory_minimum: "bad" };

/** Every KPI of the module on one period's metrics; missing inputs make a KPI not_assessed, never a pass. */
export function evaluateKpis(module: IndustryModule, inputs: KpiInputs, appetites: Record<string, Appetite> = {}): KpiResult[] {
	return module.kpis.map(kpi => {
		const used = Object.fromEntries(kpi.inputs.map(n => [n, inputValue(n, inputs)]));
		const missing = kpi.inputs.filter(n => used[n] == null);
		const base = {
			name: kpi.name,
			unit: kpi.unit,
			formula: kpi.formula,
			threshold: kpi.threshold,
			threshold_text: kpi.threshold ? thresholdText(kpi.threshold, kpi.unit, kpi.per) : null,
			inputs: used,
			source: kpi.source,
		};
		if (missing.length) return { ...base, value: null, display: null, status: "not_assessed" as const, reason: `missing ${missing.join(", ")}` };
		const value = kpi.compute(inputs);
		if (value == null) return { ...base, value: null, display: null, status: "not_assessed" as const, reason: "a denominator is zero" };
		const status = kpi.threshold ? statusOf(value, kpi.threshold) : ("informational" as const);
		const appetite = appetites[kpi.name];
		const shown = { ...base, display: displayOf(value, kpi.unit, kpi.per) };
		if (!appetite || !kpi.threshold || kpi.threshold.direction === "range") return { ...shown, value, status };
		const breached = appetiteBreach(value, kpi.threshold.direction, appetite);
		// the company's own tiers are stricter than the module's bands, never looser
		const worse = (a: KpiStatus, b: KpiStatus) => (["good", "watch", "bad"].indexOf(a) >= ["good", "watch", "bad"].indexOf(b) ? a : b);
		return { ...shown, value, status: breached ? worse(status, APPETITE_STATUS[breached]) : status, appetite: { ...appetite, breached } };
	});
}

/** Problems with a period's metrics against the module: unknown names, wrong kinds of numbers, inconsistencies. */
export function checkMetrics(module: IndustryModule, metrics: Record<string, unknown>): Array<{ field: string; message: string; type: string; actual?: unknown }> {
	const problems: Array<{ field: string; message: string; type: string; actual?: unknown }> = [];
	const known = Object.keys(module.metrics);
	for (const [name, value] of Object.entries(metrics)) {
		const def = module.metrics[name];
		const field = `metrics.${name}`;
		if (!def) {
			problems.push({ field, message: `not a ${module.id} metric; known: ${known.join(", ")}`, type: "metricUnknown", actual: name });
			continue;
		}
		if (typeof value !== "number" || !Number.isFinite(value)) problems.push({ field, message: "must be a finite number", type: "number", actual: value });
		else if (value < 0) problems.push({ field, message: "cannot be negative", type: "numberMin", actual: value });
		else if (def.integer && !Number.isInteger(value)) problems.push({ field, message: "must be a whole number", type: "numberInteger", actual: value });
		else if (def.max != null && value > def.max) problems.push({ field, message: `must be at most ${def.max}`, type: "numberMax", actual: value });
	}
	if (!problems.length && module.consistency) for (const p of module.consistency(metrics as Record<string, number>)) problems.push({ ...p, type: "metricConsistency" });
	return problems;
}

/** A pair of metrics where the first may not exceed the second, when both are given. */
export function notAbove(metrics: Record<string, number>, part: string, whole: string): Array<{ field: string; message: string }> {
	return metrics[part] != null && metrics[whole] != null && metrics[part] > metrics[whole]
		? [{ field: `metrics.${part}`, message: `cannot exceed ${whole} (${metrics[whole]})` }]
		: [];
}
