/** Distress, quality and manipulation scores of docs/formulas.md, on the flat figures of `ratios.ts`. */
import { add, div, mul, sub, weighted, type Value } from "./math";
import { ratio, type Figures } from "./ratios";

export type AltmanVariant = "z" | "z_prime" | "z_double_prime";
export type Zone = "distress" | "grey" | "safe";

export interface Altman {
	z: Value;
	z_prime: Value;
	z_double_prime: Value;
	primary: AltmanVariant;
	zone: Zone | null;
	components: { x1: Value; x2: Value; x3: Value; x4_market: Value; x4_book: Value; x5: Value };
}

/** Zone cut-offs [distress below, safe above] per variant. */
export const ALTMAN_ZONES: Record<AltmanVariant, [number, number]> = {
	z: [1.81, 2.99],
	z_prime: [1.23, 2.9],
	z_double_prime: [1.1, 2.6],
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
	const z = weighted([1.2, 1.4, 3.3, 0.6, 1.0], [x1, x2, x3, x4Market, x5]);
	const zPrime = weighted([0.717, 0.847, 3.107, 0.42, 0.998], [x1, x2, x3, x4Book, x5]);
	const zDoublePrime = weighted([6.56, 3.26, 6.72, 1.05], [x1, x2, x3, x4Book]);
	const primary: AltmanVariant = industry === "manufacturing" ? (f.market_cap != null ? "z" : "z_prime") : "z_double_prime";
	const scores = { z, z_prime: zPrime, z_double_prime: zDoublePrime };
	return {
		...scores,
		primary,
		zone: zoneOf(scores[primary], primary),
		components: { x1, x2, x3, x4_market: x4Market, x4_book: x4Book, x5 },
	};
}

export const PIOTROSKI_SIGNALS = ["F_ROA", "F_CFO", "F_DELTA_ROA", "F_ACCRUAL", "F_DELTA_LEVER", "F_DELTA_LIQUID", "F_EQ_OFFER", "F_DELTA_MARGIN", "F_DELTA_TURN"] as const;
export type PiotroskiSignal = (typeof PIOTROSKI_SIGNALS)[number];

export interface Piotroski {
	/** Signals that hold, out of `signals_available`; null when none can be computed (0 would read as the worst). */
	score: number | null;
	signals: Record<PiotroskiSignal, boolean | null>;
	signals_available: number;
}

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
	return { score: available === 0 ? null : score, signals, signals_available: available };
}

export interface Beneish {
	m_score: Value;
	likely_manipulator: boolean | null;
	indices: { DSRI: Value; GMI: Value; AQI: Value; SGI: Value; DEPI: Value; SGAI: Value; LVGI: Value; TATA: Value };
}

/** Beneish (1999) Financial Analysts Journal 55(5), "The Detection of Earnings Manipulation": the 8-variable M-score, cut-off −1.78. */
export function beneish(t: Figures, p: Figures | null): Beneish {
	const grossMargin = (f: Figures) => div(sub(f.revenue, f.cost_of_revenue), f.revenue);
	const softAssets = (f: Figures) => sub(1, div(add(f.total_current_assets, f.property_plant_equipment_net), f.total_assets));
	const depreciationRate = (f: Figures) => div(f.depreciation_and_amortization, add(f.depreciation_and_amortization, f.property_plant_equipment_net));
	const leverage = (f: Figures) => div(add(f.total_current_liabilities, f.long_term_debt), f.total_assets);
	const indices = {
		DSRI: p ? div(div(t.accounts_receivable, t.revenue), div(p.accounts_receivable, p.revenue)) : null,
		GMI: p ? div(grossMargin(p), grossMargin(t)) : null,
		AQI: p ? div(softAssets(t), softAssets(p)) : null,
		SGI: p ? div(t.revenue, p.revenue) : null,
		DEPI: p ? div(depreciationRate(p), depreciationRate(t)) : null,
		SGAI: p ? div(div(t.sga_expense, t.revenue), div(p.sga_expense, p.revenue)) : null,
		LVGI: p ? div(leverage(t), leverage(p)) : null,
		TATA: div(sub(t.net_income, t.operating_cash_flow), t.total_assets),
	};
	const m = weighted(
		[0.92, 0.528, 0.404, 0.892, 0.115, -0.172, 4.679, -0.327],
		[indices.DSRI, indices.GMI, indices.AQI, indices.SGI, indices.DEPI, indices.SGAI, indices.TATA, indices.LVGI],
	);
	const mScore = m == null ? null : m - 4.84;
	return { m_score: mScore, likely_manipulator: mScore == null ? null : mScore > -1.78, indices };
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
