/** Distress, quality and manipulation scores of docs/formulas.md, on the flat figures of `ratios.ts`. */
import { add, div, mul, sub, weighted, type Value } from "./math";
import { nullReason, ratio, type Figures } from "./ratios";

export type AltmanVariant = "z" | "z_prime" | "z_double_prime";
export type Zone = "distress" | "grey" | "safe";

export interface Altman {
	z: Value;
	z_prime: Value;
	z_double_prime: Value;
	primary: AltmanVariant;
	zone: Zone | null;
	components: { x1: Value; x2: Value; x3: Value; x4_market: Value; x4_book: Value; x5: Value };
	/** Why a variant is null. */
	null_reasons: Partial<Record<AltmanVariant, string>>;
	definition: typeof ALTMAN_DEFINITION;
}

/** Zone cut-offs [distress below, safe above] per variant. */
export const ALTMAN_ZONES: Record<AltmanVariant, [number, number]> = {
	z: [1.81, 2.99],
	z_prime: [1.23, 2.9],
	z_double_prime: [1.1, 2.6],
};

const ALTMAN_WEIGHTS = {
	z: { x1: 1.2, x2: 1.4, x3: 3.3, x4_market: 0.6, x5: 1.0 },
	z_prime: { x1: 0.717, x2: 0.847, x3: 3.107, x4_book: 0.42, x5: 0.998 },
	z_double_prime: { x1: 6.56, x2: 3.26, x3: 6.72, x4_book: 1.05 },
} as const;

/** What the numbers mean, sent beside them. */
export const ALTMAN_DEFINITION = {
	components: {
		x1: "working_capital / total_assets",
		x2: "retained_earnings / total_assets",
		x3: "EBIT / total_assets (EBIT = operating_income, else income_before_tax + interest_expense)",
		x4_market: "market_cap / total_liabilities",
		x4_book: "total_equity / total_liabilities",
		x5: "revenue / total_assets",
	},
	variants: {
		z: { coefficients: ALTMAN_WEIGHTS.z, distress_below: ALTMAN_ZONES.z[0], safe_above: ALTMAN_ZONES.z[1] },
		z_prime: { coefficients: ALTMAN_WEIGHTS.z_prime, distress_below: ALTMAN_ZONES.z_prime[0], safe_above: ALTMAN_ZONES.z_prime[1] },
		z_double_prime: { coefficients: ALTMAN_WEIGHTS.z_double_prime, distress_below: ALTMAN_ZONES.z_double_prime[0], safe_above: ALTMAN_ZONES.z_double_prime[1] },
	},
	primary: "z for manufacturing with market data, z_prime for manufacturing without, z_double_prime otherwise",
	source: "Altman (1968), J. Finance 23(4); Altman (2000), Predicting financial distress of companies",
};

export function zoneOf(score: Value, variant: AltmanVariant): Zone | null {
	if (score == null) return null;
	const [low, high] = ALTMAN_ZONES[variant];
	return score < low ? "distress" : score > high ? "safe" : "grey";
}

/** Altman (1968) J. Finance 23(4) z; z′ and z″ from Altman (2000), "Predicting financial distress of companies: revisiting the Z-score and ZETA models". */
export function altman(f: Figures, industry: string): Altman {
	const ta = f.total_assets;
	const x1 = div(sub(f.total_current_assets, f.total_current_liabilities), ta);
	const x2 = div(f.retained_earnings, ta);
	const x3 = div(f.ebit, ta);
	const x4Market = div(f.market_cap, f.total_liabilities);
	const x4Book = div(f.total_equity, f.total_liabilities);
	const x5 = div(f.revenue, ta);
	const components = { x1, x2, x3, x4_market: x4Market, x4_book: x4Book, x5 };
	const score = (v: AltmanVariant) => {
		const weights: Record<string, number> = ALTMAN_WEIGHTS[v];
		return weighted(
			Object.values(weights),
			Object.keys(weights).map(k => components[k as keyof typeof components]),
		);
	};
	const z = score("z");
	const zPrime = score("z_prime");
	const zDoublePrime = score("z_double_prime");
	const primary: AltmanVariant = industry === "manufacturing" ? (f.market_cap != null ? "z" : "z_prime") : "z_double_prime";
	const scores = { z, z_prime: zPrime, z_double_prime: zDoublePrime };
	const inputs: Record<AltmanVariant, string[]> = {
		z: ["total_current_assets", "total_current_liabilities", "retained_earnings", "ebit", "market_cap", "total_liabilities", "revenue", "total_assets"],
		z_prime: ["total_current_assets", "total_current_liabilities", "retained_earnings", "ebit", "total_equity", "total_liabilities", "revenue", "total_assets"],
		z_double_prime: ["total_current_assets", "total_current_liabilities", "retained_earnings", "ebit", "total_equity", "total_liabilities", "total_assets"],
	};
	const nullReasons: Altman["null_reasons"] = {};
	for (const v of Object.keys(scores) as AltmanVariant[]) if (scores[v] == null) nullReasons[v] = nullReason(f, inputs[v]);
	return {
		...scores,
		primary,
		zone: zoneOf(scores[primary], primary),
		components: { x1, x2, x3, x4_market: x4Market, x4_book: x4Book, x5 },
		null_reasons: nullReasons,
		definition: ALTMAN_DEFINITION,
	};
}

export const PIOTROSKI_SIGNALS = ["F_ROA", "F_CFO", "F_DELTA_ROA", "F_ACCRUAL", "F_DELTA_LEVER", "F_DELTA_LIQUID", "F_EQ_OFFER", "F_DELTA_MARGIN", "F_DELTA_TURN"] as const;
export type PiotroskiSignal = (typeof PIOTROSKI_SIGNALS)[number];

export interface Piotroski {
	/** Signals that hold, out of `signals_available`; null when none can be computed (0 would read as the worst). */
	score: number | null;
	signals: Record<PiotroskiSignal, boolean | null>;
	signals_available: number;
	/** Why a signal is null. */
	null_reasons: Partial<Record<PiotroskiSignal, string>>;
	definitions: typeof PIOTROSKI_DEFINITIONS;
}

/** Each signal (1 when it holds); t is the analysed period, t−1 and t−2 the periods twelve and twenty-four months before. */
export const PIOTROSKI_DEFINITIONS: Record<PiotroskiSignal, string> = {
	F_ROA: "roa_t > 0, roa_t = net_income_t / total_assets_t−1",
	F_CFO: "operating_cash_flow_t / total_assets_t−1 > 0",
	F_DELTA_ROA: "roa_t > roa_t−1",
	F_ACCRUAL: "operating_cash_flow_t / total_assets_t−1 > roa_t",
	F_DELTA_LEVER: "long_term_debt / average total_assets falls",
	F_DELTA_LIQUID: "current_ratio rises",
	F_EQ_OFFER: "shares_outstanding did not rise",
	F_DELTA_MARGIN: "gross_margin rises",
	F_DELTA_TURN: "revenue_t / total_assets_t−1 rises",
};

/** The inputs of each signal, per period, for the reason a signal is null. */
const PIOTROSKI_INPUTS: Record<PiotroskiSignal, Array<[period: "t" | "t−1" | "t−2", item: string]>> = {
	F_ROA: [
		["t", "net_income"],
		["t−1", "total_assets"],
	],
	F_CFO: [
		["t", "operating_cash_flow"],
		["t−1", "total_assets"],
	],
	F_DELTA_ROA: [
		["t", "net_income"],
		["t−1", "total_assets"],
		["t−1", "net_income"],
		["t−2", "total_assets"],
	],
	F_ACCRUAL: [
		["t", "operating_cash_flow"],
		["t", "net_income"],
		["t−1", "total_assets"],
	],
	F_DELTA_LEVER: [
		["t", "long_term_debt"],
		["t", "total_assets"],
		["t−1", "long_term_debt"],
		["t−1", "total_assets"],
		["t−2", "total_assets"],
	],
	F_DELTA_LIQUID: [
		["t", "total_current_assets"],
		["t", "total_current_liabilities"],
		["t−1", "total_current_assets"],
		["t−1", "total_current_liabilities"],
	],
	F_EQ_OFFER: [
		["t", "shares_outstanding"],
		["t−1", "shares_outstanding"],
	],
	F_DELTA_MARGIN: [
		["t", "gross_profit"],
		["t", "revenue"],
		["t−1", "gross_profit"],
		["t−1", "revenue"],
	],
	F_DELTA_TURN: [
		["t", "revenue"],
		["t−1", "total_assets"],
		["t−1", "revenue"],
		["t−2", "total_assets"],
	],
};

const gt = (a: Value, b: Value): boolean | null => (a == null || b == null ? null : a > b);
const lt = (a: Value, b: Value): boolean | null => (a == null || b == null ? null : a < b);
const le = (a: Value, b: Value): boolean | null => (a == null || b == null ? null : a <= b);
const avg = (a: Value | undefined, b: Value | undefined): Value => div(add(a, b), 2);

/**
 * Piotroski (2000) J. Accounting Research 38, "Value Investing: The Use of Historical Financial Statement
 * Information to Separate Winners from Losers"; t, t−1, t−2 are consecutive annual periods (docs/formulas.md).
 */
export function piotroski(t: Figures, p1: Figures | null, p2: Figures | null): Piotroski {
	const ta1 = p1?.total_assets ?? null;
	const ta2 = p2?.total_assets ?? null;
	const roa = div(t.net_income, ta1);
	const roaPrev = p1 ? div(p1.net_income, ta2) : null;
	const cfo = div(t.operating_cash_flow, ta1);
	const leverage = div(t.long_term_debt, avg(t.total_assets, ta1));
	const leveragePrev = p1 ? div(p1.long_term_debt, avg(ta1, ta2)) : null;
	const grossMargin = (f: Figures | null) => (f ? ratio("gross_margin", f) : null);
	const currentRatio = (f: Figures | null) => (f ? ratio("current_ratio", f) : null);
	const turnover = div(t.revenue, ta1);
	const turnoverPrev = p1 ? div(p1.revenue, ta2) : null;
	const signals: Record<PiotroskiSignal, boolean | null> = {
		F_ROA: gt(roa, 0),
		F_CFO: gt(cfo, 0),
		F_DELTA_ROA: gt(roa, roaPrev),
		F_ACCRUAL: gt(cfo, roa),
		F_DELTA_LEVER: lt(leverage, leveragePrev),
		F_DELTA_LIQUID: gt(currentRatio(t), currentRatio(p1)),
		F_EQ_OFFER: le(t.shares_outstanding ?? null, p1?.shares_outstanding ?? null),
		F_DELTA_MARGIN: gt(grossMargin(t), grossMargin(p1)),
		F_DELTA_TURN: gt(turnover, turnoverPrev),
	};
	let score = 0;
	let available = 0;
	for (const k of PIOTROSKI_SIGNALS) {
		const s = signals[k];
		if (s == null) continue;
		available++;
		if (s) score++;
	}
	const periods = { t, "t−1": p1, "t−2": p2 };
	const nullReasons: Piotroski["null_reasons"] = {};
	for (const k of PIOTROSKI_SIGNALS) {
		if (signals[k] != null) continue;
		const missing = PIOTROSKI_INPUTS[k]
			.filter(([period, item]) => periods[period]?.[item] == null)
			.map(([period, item]) => (periods[period] ? `${item} (${period})` : `the ${period} statement`));
		nullReasons[k] = missing.length ? `missing ${[...new Set(missing)].join(", ")}` : "a denominator is zero";
	}
	return { score: available === 0 ? null : score, signals, signals_available: available, null_reasons: nullReasons, definitions: PIOTROSKI_DEFINITIONS };
}

type BeneishIndex = "DSRI" | "GMI" | "AQI" | "SGI" | "DEPI" | "SGAI" | "TATA" | "LVGI";

export interface Beneish {
	m_score: Value;
	likely_manipulator: boolean | null;
	indices: Record<BeneishIndex, Value>;
	/** Why an index (and so the M-score) is null. */
	null_reasons: Partial<Record<BeneishIndex | "m_score", string>>;
	definition: typeof BENEISH_DEFINITION;
}

const BENEISH_WEIGHTS: Record<BeneishIndex, number> = { DSRI: 0.92, GMI: 0.528, AQI: 0.404, SGI: 0.892, DEPI: 0.115, SGAI: -0.172, TATA: 4.679, LVGI: -0.327 };
const BENEISH_INTERCEPT = -4.84;
const BENEISH_THRESHOLD = -1.78;

/** What the numbers mean, sent beside them; t is the analysed period, t−1 the one twelve months before. */
export const BENEISH_DEFINITION = {
	m_score: "−4.84 + Σ coefficient × index; likely_manipulator when M > −1.78",
	intercept: BENEISH_INTERCEPT,
	coefficients: BENEISH_WEIGHTS,
	threshold: BENEISH_THRESHOLD,
	indices: {
		DSRI: "(accounts_receivable / revenue)_t / (…)_t−1",
		GMI: "gross_margin_t−1 / gross_margin_t (gross_profit reported, else revenue − cost_of_revenue)",
		AQI: "(1 − (total_current_assets + property_plant_equipment_net) / total_assets)_t / (…)_t−1",
		SGI: "revenue_t / revenue_t−1",
		DEPI: "(D&A / (D&A + property_plant_equipment_net))_t−1 / (…)_t",
		SGAI: "(sga_expense / revenue)_t / (…)_t−1",
		TATA: "(net_income − operating_cash_flow)_t / total_assets_t",
		LVGI: "((total_current_liabilities + long_term_debt) / total_assets)_t / (…)_t−1",
	} satisfies Record<BeneishIndex, string>,
	source: "Beneish (1999), Financial Analysts Journal 55(5)",
};

const BENEISH_INPUTS: Record<BeneishIndex, string[]> = {
	DSRI: ["accounts_receivable", "revenue"],
	GMI: ["gross_profit", "revenue"],
	AQI: ["total_current_assets", "property_plant_equipment_net", "total_assets"],
	SGI: ["revenue"],
	DEPI: ["depreciation_and_amortization", "property_plant_equipment_net"],
	SGAI: ["sga_expense", "revenue"],
	TATA: ["net_income", "operating_cash_flow", "total_assets"],
	LVGI: ["total_current_liabilities", "long_term_debt", "total_assets"],
};

/** Beneish (1999) Financial Analysts Journal 55(5), "The Detection of Earnings Manipulation": the 8-variable M-score, cut-off −1.78. */
export function beneish(t: Figures, p: Figures | null): Beneish {
	const grossMargin = (f: Figures) => ratio("gross_margin", f);
	const softAssets = (f: Figures) => sub(1, div(add(f.total_current_assets, f.property_plant_equipment_net), f.total_assets));
	const depreciationRate = (f: Figures) => div(f.depreciation_and_amortization, add(f.depreciation_and_amortization, f.property_plant_equipment_net));
	const leverage = (f: Figures) => div(add(f.total_current_liabilities, f.long_term_debt), f.total_assets);
	const indices: Record<BeneishIndex, Value> = {
		DSRI: p ? div(div(t.accounts_receivable, t.revenue), div(p.accounts_receivable, p.revenue)) : null,
		GMI: p ? div(grossMargin(p), grossMargin(t)) : null,
		AQI: p ? div(softAssets(t), softAssets(p)) : null,
		SGI: p ? div(t.revenue, p.revenue) : null,
		DEPI: p ? div(depreciationRate(p), depreciationRate(t)) : null,
		SGAI: p ? div(div(t.sga_expense, t.revenue), div(p.sga_expense, p.revenue)) : null,
		TATA: div(sub(t.net_income, t.operating_cash_flow), t.total_assets),
		LVGI: p ? div(leverage(t), leverage(p)) : null,
	};
	const names = Object.keys(BENEISH_WEIGHTS) as BeneishIndex[];
	const m = weighted(
		names.map(k => BENEISH_WEIGHTS[k]),
		names.map(k => indices[k]),
	);
	const mScore = m == null ? null : m + BENEISH_INTERCEPT;
	const nullReasons: Beneish["null_reasons"] = {};
	for (const k of names) {
		if (indices[k] != null) continue;
		if (!p && k !== "TATA") {
			nullReasons[k] = "no statement twelve months earlier (t−1)";
			continue;
		}
		const inputs = BENEISH_INPUTS[k];
		const missing = [...inputs.filter(i => t[i] == null).map(i => `${i} (t)`), ...(k === "TATA" ? [] : inputs.filter(i => p![i] == null).map(i => `${i} (t−1)`))];
		nullReasons[k] = missing.length ? `missing ${missing.join(", ")}` : "a denominator is zero";
	}
	if (mScore == null) nullReasons.m_score = `needs every index; null: ${names.filter(k => indices[k] == null).join(", ")}`;
	return { m_score: mScore, likely_manipulator: mScore == null ? null : mScore > BENEISH_THRESHOLD, indices, null_reasons: nullReasons, definition: BENEISH_DEFINITION };
}

export interface DuPont {
	three_step: { net_margin: Value; asset_turnover: Value; equity_multiplier: Value; roe: Value };
	five_step: { tax_burden: Value; interest_burden: Value; ebit_margin: Value; asset_turnover: Value; equity_multiplier: Value; roe: Value };
}

/** DuPont analysis (CFA Institute, "Financial Analysis Techniques"): ROE as a product of three and five factors. */
export function dupont(f: Figures): DuPont {
	const netMargin = ratio("net_margin", f);
	const assetTurnover = ratio("asset_turnover", f);
	const equityMultiplier = ratio("equity_multiplier", f);
	const taxBurden = div(f.net_income, f.income_before_tax);
	const interestBurden = div(f.income_before_tax, f.ebit);
	const ebitMargin = div(f.ebit, f.revenue);
	return {
		three_step: { net_margin: netMargin, asset_turnover: assetTurnover, equity_multiplier: equityMultiplier, roe: mul(netMargin, assetTurnover, equityMultiplier) },
		five_step: {
			tax_burden: taxBurden,
			interest_burden: interestBurden,
			ebit_margin: ebitMargin,
			asset_turnover: assetTurnover,
			equity_multiplier: equityMultiplier,
			roe: mul(taxBurden, interestBurden, ebitMargin, assetTurnover, equityMultiplier),
		},
	};
}
