/** Risk scores: factors between safe and distress levels, weights renormalised over what exists, the 5×5 grid, acceptances. */
import { analyze } from "../../domains/finance/analysis";
import { acceptanceStatus, assessAutomatic, conditionBroken, factorScore, gridLevel, gridScore, levelOfScore, type Acceptance } from "../../domains/risk/scoring";
import { DEFAULT_MATRIX, impactOfExposure, likelihoodOfScore, matrixLevel, parseMatrixLibrary } from "../../domains/risk/matrix";
import type { StatementData } from "../../models/statement";
import { mertonDistanceToDefault } from "../../domains/market/risk";
import type { PriceRow } from "../../domains/market/prices";

const statement = (
	period_end: string,
	f: {
		ca: number;
		cl: number;
		cash: number;
		ar: number;
		ta: number;
		tl: number;
		eq: number;
		re: number;
		ltd: number;
		std: number;
		rev: number;
		oi: number;
		ie: number;
		ni: number;
	},
): StatementData => ({
	statement_type: "annual",
	period_end,
	fiscal_year: Number(period_end.slice(0, 4)),
	fiscal_period: "FY",
	currency: "USD",
	balance_sheet: {
		total_current_assets: f.ca,
		total_current_liabilities: f.cl,
		cash_and_equivalents: f.cash,
		accounts_receivable: f.ar,
		total_assets: f.ta,
		total_liabilities: f.tl,
		total_equity: f.eq,
		retained_earnings: f.re,
		long_term_debt: f.ltd,
		short_term_debt: f.std,
	},
	income_statement: { revenue: f.rev, operating_income: f.oi, interest_expense: f.ie, net_income: f.ni },
	cash_flow: {},
});
const healthy = statement("2023-12-31", { ca: 600, cl: 200, cash: 150, ar: 100, ta: 1500, tl: 500, eq: 1000, re: 600, ltd: 200, std: 50, rev: 2000, oi: 300, ie: 20, ni: 220 });
const weak = statement("2023-12-31", { ca: 180, cl: 240, cash: 10, ar: 60, ta: 1500, tl: 1300, eq: 200, re: -300, ltd: 900, std: 200, rev: 1200, oi: -40, ie: 90, ni: -150 });
const analysis = (s: StatementData) => analyze({ company_id: "c1", industry: "technology", statements: [s] })!;

describe("factor scores", () => {
	it("map the value from safe (0) to distress (100), either direction, clamped", () => {
		expect(factorScore(2, 2, 1)).toBe(0);
		expect(factorScore(1.5, 2, 1)).toBe(50);
		expect(factorScore(0.5, 2, 1)).toBe(100);
		expect(factorScore(1.75, 0.5, 3)).toBe(50); // debt to equity: higher is worse
		expect(levelOfScore(24.9)).toBe("low");
		expect(levelOfScore(75)).toBe("critical");
	});
});

describe("automatic assessments", () => {
	it("liquidity: each factor's value, weight and contribution, the score their weighted sum", () => {
		const a = assessAutomatic("liquidity", analysis(healthy));
		// current 3.0 (safe), quick (150 + 100) / 200 = 1.25 (safe), cash 0.75 (safe)
		expect(a).toMatchObject({ risk_score: 0, level: "low" });
		const w = assessAutomatic("liquidity", analysis(weak));
		const current = factorScore(180 / 240, 2, 1); // 0.75 → 100
		const quick = factorScore(70 / 240, 1, 0.5); // 0.29 → 100
		const cash = factorScore(10 / 240, 0.5, 0.1); // 0.04 → 100
		expect(w.risk_factors.map(f => f.factor_score)).toEqual([current, quick, cash]);
		expect(w.risk_score).toBeCloseTo(0.4 * current + 0.35 * quick + 0.25 * cash, 1);
		expect(w.level).toBe("critical");
		expect(w.risk_factors.reduce((s, f) => s + f.contribution!, 0)).toBeCloseTo(w.risk_score!, 0);
	});

	it("a deteriorating statement raises the credit/distress score", () => {
		const before = assessAutomatic("credit_distress", analysis(healthy)).risk_score!;
		const after = assessAutomatic("credit_distress", analysis(weak)).risk_score!;
		expect(after).toBeGreaterThan(before);
		expect(assessAutomatic("credit_distress", analysis(weak)).risk_factors[0]).toMatchObject({ name: "altman_primary", safe: 2.6, distress: 1.1 });
	});

	it("weights are renormalised over the factors that have values; none: not assessed", () => {
		const noCoverage = statement("2023-12-31", {
			ca: 600,
			cl: 200,
			cash: 150,
			ar: 100,
			ta: 1500,
			tl: 500,
			eq: 1000,
			re: 600,
			ltd: 200,
			std: 50,
			rev: 2000,
			oi: 300,
			ie: 0,
			ni: 220,
		});
		const a = assessAutomatic("leverage", analysis(noCoverage));
		expect(a.risk_factors.find(f => f.name === "interest_coverage")).toMatchObject({ factor_score: null, reason: "no value in the analysis" });
		const dte = factorScore(250 / 1000, 0.5, 3);
		const dr = factorScore(500 / 1500, 0.4, 0.8);
		expect(a.risk_score).toBeCloseTo((0.4 * dte + 0.35 * dr) / 0.75, 1);
		const empty = { ...healthy, balance_sheet: {}, income_statement: {} };
		expect(assessAutomatic("profitability", analysis(empty))).toMatchObject({ risk_score: null, level: null });
	});
});

/** A year of weekday closes up to `end`, alternating ±`swing` around `close` (so the volatility is known), ending at `close`. */
function pricesTo(end: string, close: number, swing: number): PriceRow[] {
	const rows: PriceRow[] = [];
	for (let t = Date.parse(end) - 400 * 86_400_000; t <= Date.parse(end); t += 86_400_000) {
		const day = new Date(t);
		if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
		rows.push({ date: day.toISOString().slice(0, 10), open: close, high: close, low: close, close, volume: 1 });
	}
	rows.forEach((r, i) => (r.close = (rows.length - 1 - i) % 2 ? close * (1 - swing) : close));
	return rows;
}

describe("the Merton distance to default in the credit/distress assessment", () => {
	const withShares = (s: StatementData, shares: number): StatementData => ({ ...s, balance_sheet: { ...s.balance_sheet, shares_outstanding: shares } });
	const credit = (s: StatementData, prices?: PriceRow[]) => assessAutomatic("credit_distress", analyze({ company_id: "c1", industry: "technology", statements: [s], prices })!);

	it("is a factor from the company's prices: its default probability between 0.5 % and 20 %", () => {
		// weak: 10 shares at 20 = market value 200 against a default point of 200 + ½ 900 = 650, swinging 8 % a day
		const prices = pricesTo("2023-12-31", 20, 0.08);
		const a = credit(withShares(weak, 10), prices);
		const factor = a.risk_factors.find(f => f.name === "merton_default_probability")!;
		const closes = prices.filter(r => r.date > "2022-12-31").map(r => r.close);
		const returns = closes.slice(1).map((c, i) => Math.log(c / closes[i]));
		const mean = returns.reduce((x, r) => x + r, 0) / returns.length;
		const sigmaE = Math.sqrt(returns.reduce((x, r) => x + (r - mean) ** 2, 0) / (returns.length - 1)) * Math.sqrt(252);
		const expected = mertonDistanceToDefault({
			equity: 200,
			equityVolatility: sigmaE,
			shortTermDebt: 200,
			longTermDebt: 900,
			pastYearReturn: closes[closes.length - 1] / closes[0] - 1,
		});
		expect(factor.value).toBeCloseTo(expected.default_probability!, 10);
		expect(factor.value).toBeGreaterThan(0.2); // a volatile small equity cushion over heavy debt
		expect(factor).toMatchObject({ safe: 0.005, distress: 0.2, weight: 0.3, factor_score: 100 });
		expect(a.risk_factors.reduce((x, f) => x + (f.contribution ?? 0), 0)).toBeCloseTo(a.risk_score!, 0);

		// healthy: a market value of 10,000 over a default point of 150, calm prices: no default in sight
		const calm = credit(withShares(healthy, 500), pricesTo("2023-12-31", 20, 0.005));
		expect(calm.risk_factors.find(f => f.name === "merton_default_probability")).toMatchObject({ factor_score: 0 });
	});

	it("without prices or shares it carries no weight and says why", () => {
		const noPrices = credit(weak);
		expect(noPrices.risk_factors.find(f => f.name === "merton_default_probability")).toMatchObject({
			value: null,
			applied_weight: null,
			reason: expect.stringContaining("no prices"),
		});
		const noShares = credit(weak, pricesTo("2023-12-31", 20, 0.08));
		expect(noShares.risk_factors.find(f => f.name === "merton_default_probability")).toMatchObject({
			value: null,
			reason: expect.stringContaining("no market value of equity"),
		});
		// the accounts' factors alone, as before prices existed
		expect(noShares.risk_score).toBe(noPrices.risk_score);
	});
});

describe("the 5×5 grid and acceptances", () => {
	it("ISO 27005-style levels, the default matrix's grid the same as data", () => {
		expect([gridLevel(1, 4), gridLevel(3, 3), gridLevel(4, 4), gridLevel(5, 4)]).toEqual(["low", "medium", "high", "critical"]);
		for (let l = 1; l <= 5; l++) for (let i = 1; i <= 5; i++) expect(matrixLevel(DEFAULT_MATRIX, l, i).name).toBe(gridLevel(l, i));
		expect(gridScore(5, 5)).toBe(100);
		expect(gridScore(2, 4)).toBe(32);
		expect(gridScore(2, 2, 3, 3)).toBeCloseTo(44.4, 1);
	});

	it("an acceptance is revoked when it expires or when the residual level rises above the one approved", () => {
		const acceptance: Acceptance = {
			by: "u",
			at: "2025-01-01T00:00:00Z",
			expires_at: "2026-01-01T00:00:00Z",
			rationale: "r",
			approved: { residual_likelihood: 2, residual_impact: 4, level: "medium", level_index: 1 },
		};
		const now = new Date("2025-06-01T00:00:00Z");
		const at = (l: number, i: number) => {
			const level = matrixLevel(DEFAULT_MATRIX, l, i);
			return { level: level.name, level_index: level.index };
		};
		expect(acceptanceStatus(acceptance, at(2, 4), now)).toEqual({ status: "active" });
		expect(acceptanceStatus(acceptance, at(3, 3), now)).toEqual({ status: "active" }); // still medium
		expect(acceptanceStatus(acceptance, at(4, 4), now)).toEqual({ status: "revoked", reason: "the residual level rose from medium to high" });
		expect(acceptanceStatus(acceptance, at(2, 4), new Date("2026-02-01T00:00:00Z")).status).toBe("revoked");
	});
});

describe("risk matrices from a CISO Assistant library", () => {
	const library = `
urn: urn:example:risk:library:three
name: Three by three
objects:
  risk_matrix:
    - urn: urn:example:risk:matrix:three
      ref_id: three
      name: three by three
      probability:
        - { abbreviation: L, name: Low }
        - { abbreviation: M, name: Medium }
        - { abbreviation: H, name: High }
      impact:
        - { name: Low }
        - { name: Medium }
        - { name: High }
      risk:
        - { name: Acceptable, hexcolor: "#BBF7D0" }
        - { name: Tolerable }
        - { name: Unacceptable }
      grid:
        - [0, 0, 1]
        - [0, 1, 2]
        - [1, 2, 2]
`;

	it("reads objects.risk_matrix: levels, risk levels and the grid of risk indices", () => {
		const { matrices, problems } = parseMatrixLibrary(library);
		expect(problems).toEqual([]);
		expect(matrices[0]).toMatchObject({
			urn: "urn:example:risk:matrix:three",
			name: "three by three",
			risk: [{ name: "Acceptable", hexcolor: "#BBF7D0" }, { name: "Tolerable" }, { name: "Unacceptable" }],
		});
		expect(matrixLevel(matrices[0], 3, 2)).toEqual({ index: 2, name: "Unacceptable" });
	});

	it("names what is wrong: a grid of the wrong size, a cell that is no risk level, no matrix, no YAML", () => {
		expect(parseMatrixLibrary(library.replace("- [1, 2, 2]", "- [1, 2]")).problems[0]).toMatchObject({ field: "objects.risk_matrix[0].grid[2]", type: "grid" });
		expect(parseMatrixLibrary(library.replace("- [0, 0, 1]", "- [0, 0, 7]")).problems[0]).toMatchObject({ field: "objects.risk_matrix[0].grid[0][2]" });
		expect(parseMatrixLibrary("urn: x\nobjects: {}\n").problems[0].message).toMatch(/no objects.risk_matrix/);
		expect(parseMatrixLibrary("a: [unclosed").problems[0].type).toBe("yaml");
	});
});

describe("an acceptance until a KPI breaches", () => {
	const condition = { kpi: "lcr", tier: "internal_limit" as const };
	it("is broken by a breach of its tier or a worse one, or by a bad KPI without appetite; never by a missing value", () => {
		expect(conditionBroken(condition, { value: 1.12, status: "watch", breached: "early_warning" })).toBeNull();
		expect(conditionBroken(condition, { value: 1.05, status: "bad", breached: "internal_limit" })).toBe("lcr breached its internal_limit (1.05)");
		expect(conditionBroken(condition, { value: 0.9, status: "bad", breached: "regulatory_minimum" })).toMatch(/regulatory_minimum/);
		expect(conditionBroken(condition, { value: 0.9, status: "bad", breached: null })).toBe("lcr is bad (0.9)");
		expect(conditionBroken(condition, { value: null, status: "not_assessed", breached: null })).toBeNull();
		expect(conditionBroken(condition, undefined)).toBeNull();
	});
});

describe("impact bands: automatic risks on the grid", () => {
	it("the exposure's share of the measure picks the impact level, the score the likelihood", () => {
		// default bands: 1 %, 5 %, 10 %, 25 % of equity
		expect(impactOfExposure(DEFAULT_MATRIX, 0, 1000)).toBe(1);
		expect(impactOfExposure(DEFAULT_MATRIX, 10, 1000)).toBe(1); // exactly 1 %
		expect(impactOfExposure(DEFAULT_MATRIX, 50.1, 1000)).toBe(3);
		expect(impactOfExposure(DEFAULT_MATRIX, 900, 1000)).toBe(5);
		expect(impactOfExposure(DEFAULT_MATRIX, 10, null)).toBeNull();
		expect(impactOfExposure(DEFAULT_MATRIX, 10, -5)).toBeNull(); // negative equity: no share to speak of
		expect([0, 19.9, 20, 99.9, 100].map(s => likelihoodOfScore(DEFAULT_MATRIX, s))).toEqual([1, 1, 2, 5, 5]);
	});

	it("an imported matrix's bands must rise and fit its impact levels", () => {
		const three = parseMatrixLibrary(
			[
				"objects:",
				"  risk_matrix:",
				"    - urn: urn:example:risk:matrix:banded",
				"      name: banded",
				"      probability: [{ name: L }, { name: M }, { name: H }]",
				"      impact: [{ name: L }, { name: M }, { name: H }]",
				"      risk: [{ name: ok }, { name: not ok }]",
				"      grid: [[0, 0, 1], [0, 1, 1], [1, 1, 1]]",
				"      impact_bands: { measure: cash, upper_bounds: [0.1, 0.05] }",
			].join("\n"),
		);
		expect(three.problems[0]).toMatchObject({ field: "objects.risk_matrix[0].impact_bands", type: "impactBands" });
	});
});
