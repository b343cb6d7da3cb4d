/**
 * Risk scores (docs/risk.md). Automatic financial risks score 0–100 from the finance analysis: each factor
 * maps its value between a safe and a distress level onto 0–100, weighted, so the score explains itself
 * (factor value, weight, contribution). Manual risks sit on a 5×5 likelihood × impact grid with
 * ISO/IEC 27005-style levels, inherent and residual.
 */
import type { Analysis } from "../finance/analysis";
import type { Value } from "../finance/math";

export const AUTOMATIC_RISK_TYPES = ["credit_distress", "liquidity", "leverage", "profitability"] as const;
export type AutomaticRiskType = (typeof AUTOMATIC_RISK_TYPES)[number];
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

interface FactorDef {
	name: string;
	value(a: Analysis): Value;
	/** Levels for the analysis at hand: at `safe` the factor adds 0, at `distress` 100, linear between. */
	levels(a: Analysis): { safe: number; distress: number } | null;
	weight: number;
	source: string;
	/** Why the value is missing, when the analysis says (default: "no value in the analysis"). */
	missing?(a: Analysis): string | undefined;
}

export interface RiskFactor {
	name: string;
	value: Value;
	safe: number | null;
	distress: number | null;
	/** The factor's weight as defined, before the factors without a value are left out. */
	weight: number;
	/** The weight it carries in the score: its share of the weights of the factors that have a value (they add up to 1); null when it has none. */
	applied_weight: number | null;
	/** 0–100: where the value lies between safe and distress. */
	factor_score: number | null;
	/** Points of the risk score this factor adds. */
	contribution: number | null;
	source: string;
	reason?: string;
}

const RATIOS = "convention: levels read from CFA Institute, Financial Analysis Techniques";
const fixed = (safe: number, distress: number) => () => ({ safe, distress });

const FACTORS: Record<AutomaticRiskType, FactorDef[]> = {
	credit_distress: [
		{
			name: "altman_primary",
			value: a => (a.scores.altman ? a.scores.altman[a.scores.altman.primary] : null),
			levels: a => {
				const variant = a.scores.altman ? a.scores.altman.definition.variants[a.scores.altman.primary] : null;
				return variant ? { safe: variant.safe_above, distress: variant.distress_below } : null;
			},
			weight: 0.5,
			source: "Altman (1968, 2000): the primary variant's zones",
		},
		{
			name: "piotroski_share",
			value: a => (a.scores.piotroski?.score != null && a.scores.piotroski.signals_available ? a.scores.piotroski.score / a.scores.piotroski.signals_available : null),
			levels: fixed(8 / 9, 2 / 9),
			weight: 0.3,
			source: "Piotroski (2000): 8–9 of 9 strong, 0–2 weak",
		},
		{ name: "interest_coverage", value: a => a.ratios.leverage.interest_coverage, levels: fixed(8, 1.5), weight: 0.2, source: RATIOS },
		{
			// the market's view beside the accounts': a one-year default probability from the share price
			name: "merton_default_probability",
			value: a => a.market?.default_probability ?? null,
			levels: fixed(0.005, 0.2),
			weight: 0.3,
			source: "Bharath & Shumway (2008), naive Merton model (docs/formulas.md); levels: the investment-grade edge (0.5 %, between Moody's average one-year default rates of Baa and Ba) to deep speculative grade (20 %, Moody's Caa–C)",
			missing: a => (a.market ? a.market.null_reason : "no prices for the company (POST /companies/:id/prices)"),
		},
	],
	liquidity: [
		{ name: "current_ratio", value: a => a.ratios.liquidity.current_ratio, levels: fixed(2, 1), weight: 0.4, source: RATIOS },
		{ name: "quick_ratio", value: a => a.ratios.liquidity.quick_ratio, levels: fixed(1, 0.5), weight: 0.35, source: RATIOS },
		{ name: "cash_ratio", value: a => a.ratios.liquidity.cash_ratio, levels: fixed(0.5, 0.1), weight: 0.25, source: RATIOS },
	],
	leverage: [
		{ name: "debt_to_equity", value: a => a.ratios.leverage.debt_to_equity, levels: fixed(0.5, 3), weight: 0.4, source: RATIOS },
		{ name: "debt_ratio", value: a => a.ratios.leverage.debt_ratio, levels: fixed(0.4, 0.8), weight: 0.35, source: RATIOS },
		{ name: "interest_coverage", value: a => a.ratios.leverage.interest_coverage, levels: fixed(8, 1.5), weight: 0.25, source: RATIOS },
	],
	profitability: [
		{ name: "net_margin", value: a => a.ratios.profitability.net_margin, levels: fixed(0.1, -0.05), weight: 0.35, source: RATIOS },
		{ name: "roa", value: a => a.ratios.profitability.roa, levels: fixed(0.08, -0.02), weight: 0.35, source: RATIOS },
		{ name: "operating_margin", value: a => a.ratios.profitability.operating_margin, levels: fixed(0.15, 0), weight: 0.3, source: RATIOS },
	],
};

/** Where `value` lies from `safe` (0) to `distress` (100), clamped; either direction. */
export function factorScore(value: number, safe: number, distress: number): number {
	const t = (value - safe) / (distress - safe);
	return Math.round(Math.min(1, Math.max(0, t)) * 1000) / 10;
}

export function levelOfScore(score: number): RiskLevel {
	return score < 25 ? "low" : score < 50 ? "medium" : score < 75 ? "high" : "critical";
}

/**
 * The money at stake in an automatic risk (convention): liquidity, the current shortfall (current liabilities
 * beyond current assets); leverage, the debt; profitability, the loss; credit/distress, the liabilities.
 */
export const EXPOSURES: Record<AutomaticRiskType, { formula: string; value(a: Analysis): Value }> = {
	liquidity: {
		formula: "max(0, total_current_liabilities − total_current_assets)",
		value: a => (a.key_figures.working_capital == null ? null : Math.max(0, -a.key_figures.working_capital)),
	},
	leverage: { formula: "short_term_debt + long_term_debt", value: a => a.key_figures.debt },
	profitability: { formula: "max(0, −net_income)", value: a => (a.key_figures.net_income == null ? null : Math.max(0, -a.key_figures.net_income)) },
	credit_distress: { formula: "total_liabilities", value: a => a.key_figures.total_liabilities },
};

/** The measures impact bands are shares of. */
export const measuresOf = (a: Analysis): Record<"equity" | "ebitda" | "cash", Value> => ({
	equity: a.key_figures.total_equity,
	ebitda: a.key_figures.ebitda,
	cash: a.key_figures.cash_and_equivalents,
});

export interface AutomaticAssessment {
	risk_type: AutomaticRiskType;
	risk_score: number | null;
	level: RiskLevel | null;
	risk_factors: RiskFactor[];
	period_end: string;
	reason?: string;
}

/** The default ML distress model's answer for the company (ml.prediction), when there is one. */
export interface MlDistress {
	probability: number | null;
	model_version?: number;
	reason?: string;
}

/**
 * The distress model's probability as a credit/distress factor: 5 % (around the Polish data set's base rate
 * of bankruptcy within a year) adds nothing, 50 % the full weight (docs/risk.md).
 */
export const ML_DISTRESS_FACTOR = {
	name: "ml_distress_probability",
	safe: 0.05,
	distress: 0.5,
	weight: 0.3,
	source: "default distress model (ml.prediction), Polish bankruptcy data (UCI)",
} as const;

function mlDistressFactor(ml: MlDistress): RiskFactor {
	const { name, safe, distress, weight } = ML_DISTRESS_FACTOR;
	const source = ml.model_version != null ? `${ML_DISTRESS_FACTOR.source}, version ${ml.model_version}` : ML_DISTRESS_FACTOR.source;
	if (ml.probability == null)
		return { name, value: null, safe, distress, weight, applied_weight: null, factor_score: null, contribution: null, source, reason: ml.reason ?? "no prediction" };
	return { name, value: ml.probability, safe, distress, weight, applied_weight: null, factor_score: factorScore(ml.probability, safe, distress), contribution: null, source };
}

/**
 * One automatic assessment: the weighted factors that have values (their weights renormalised); null when none
 * has. Credit/distress takes the ML distress probability as one more factor when it is given.
 */
export function assessAutomatic(riskType: AutomaticRiskType, analysis: Analysis, ml?: MlDistress): AutomaticAssessment {
	const factors: RiskFactor[] = FACTORS[riskType].map(def => {
		const value = def.value(analysis);
		const levels = def.levels(analysis);
		if (value == null || !levels)
			return {
				name: def.name,
				value,
				safe: levels?.safe ?? null,
				distress: levels?.distress ?? null,
				weight: def.weight,
				applied_weight: null,
				factor_score: null,
				contribution: null,
				source: def.source,
				reason: def.missing?.(analysis) ?? "no value in the analysis",
			};
		return {
			name: def.name,
			value,
			safe: levels.safe,
			distress: levels.distress,
			weight: def.weight,
			applied_weight: null,
			factor_score: factorScore(value, levels.safe, levels.distress),
			contribution: null,
			source: def.source,
		};
	});
	if (riskType === "credit_distress" && ml) factors.push(mlDistressFactor(ml));
	const scored = factors.filter(f => f.factor_score != null);
	const totalWeight = scored.reduce((sum, f) => sum + f.weight, 0);
	if (!scored.length)
		return { risk_type: riskType, risk_score: null, level: null, risk_factors: factors, period_end: analysis.period_end, reason: "no factor has a value: not assessed" };
	for (const f of scored) {
		f.applied_weight = f.weight / totalWeight;
		f.contribution = Math.round(((f.weight * f.factor_score!) / totalWeight) * 10) / 10;
	}
	const score = Math.round(scored.reduce((sum, f) => sum + (f.weight * f.factor_score!) / totalWeight, 0) * 10) / 10;
	return { risk_type: riskType, risk_score: score, level: levelOfScore(score), risk_factors: factors, period_end: analysis.period_end };
}

/** ISO/IEC 27005-style levels on the default 5×5 grid: likelihood × impact 1–4 low, 5–9 medium, 10–16 high, 17–25 critical. */
export function gridLevel(likelihood: number, impact: number): RiskLevel {
	const product = likelihood * impact;
	return product <= 4 ? "low" : product <= 9 ? "medium" : product <= 16 ? "high" : "critical";
}

/** A grid position as a 0–100 score: likelihood × impact over the grid's largest product (5 × 5: × 4). */
export const gridScore = (likelihood: number, impact: number, probabilityLevels = 5, impactLevels = 5): number =>
	Math.round(((likelihood * impact) / (probabilityLevels * impactLevels)) * 1000) / 10;

export interface Acceptance {
	by: string;
	at: string;
	expires_at: string;
	rationale: string;
	/** The risk state approved: a higher residual level (by its rank in the matrix) revokes the acceptance. */
	approved: { residual_likelihood: number; residual_impact: number; level: string; level_index: number };
	/** Revoked too when this KPI of the company breaches this tier of its appetite (or, without appetite, turns bad). */
	until_kpi?: { kpi: string; tier: "regulatory_minimum" | "internal_limit" | "early_warning" };
}

/** What the condition of an acceptance reads: the KPI's current value, status and appetite breach. */
export interface KpiState {
	value: number | null;
	status: string;
	breached: "regulatory_minimum" | "internal_limit" | "early_warning" | null;
}

const TIER_SEVERITY = { early_warning: 0, internal_limit: 1, regulatory_minimum: 2 } as const;

/** Whether a KPI's state breaks an acceptance's condition: its appetite breached at the tier or worse, or, with no appetite, bad. */
export function conditionBroken(condition: NonNullable<Acceptance["until_kpi"]>, state: KpiState | undefined): string | null {
	if (!state || state.value == null) return null; // not assessed: nothing shows a breach
	if (state.breached && TIER_SEVERITY[state.breached] >= TIER_SEVERITY[condition.tier]) return `${condition.kpi} breached its ${state.breached} (${state.value})`;
	if (!state.breached && state.status === "bad") return `${condition.kpi} is bad (${state.value})`;
	return null;
}

/** Whether an acceptance still holds: revoked when it expired or when the residual level rose above the one approved. */
export function acceptanceStatus(acceptance: Acceptance, residual: { level: string; level_index: number }, now: Date): { status: "active" | "revoked"; reason?: string } {
	if (Date.parse(acceptance.expires_at) <= now.getTime()) return { status: "revoked", reason: `expired on ${acceptance.expires_at}` };
	if (residual.level_index > acceptance.approved.level_index)
		return { status: "revoked", reason: `the residual level rose from ${acceptance.approved.level} to ${residual.level}` };
	return { status: "active" };
}
