/**
 * Every ratio and score of docs/formulas.md on a worked example whose expected values are written out here as
 * arithmetic from the formulas, plus the null cases.
 */
import { analyze, benchmarkOf, peerStatsOf, trendsOf } from "../../domains/finance/analysis";
import { identityWarnings, normalizeStatement } from "../../domains/finance/checks";
import { computeRatios, figuresOf } from "../../domains/finance/ratios";
import { altman, beneish, dupont, piotroski, zoneOf } from "../../domains/finance/scores";
import type { StatementData } from "../../models/statement";

const annual = (period_end: string, parts: Partial<StatementData>): StatementData => ({
	statement_type: "annual",
	period_end,
	fiscal_year: Number(period_end.slice(0, 4)),
	fiscal_period: "FY",
	currency: "USD",
	balance_sheet: {},
	income_statement: {},
	cash_flow: {},
	...parts,
});

// t: the analysed year
const t = annual("2023-12-31", {
	balance_sheet: {
		cash_and_equivalents: 100,
		short_term_investments: 50,
		accounts_receivable: 150,
		inventory: 200,
		total_current_assets: 500,
		property_plant_equipment_net: 800,
		total_assets: 1500,
		accounts_payable: 100,
		short_term_debt: 50,
		total_current_liabilities: 250,
		long_term_debt: 400,
		total_liabilities: 700,
		retained_earnings: 300,
		total_equity: 800,
		shares_outstanding: 100,
	},
	income_statement: {
		revenue: 2000,
		cost_of_revenue: 1200,
		sga_expense: 300,
		depreciation_and_amortization: 100,
		operating_income: 400,
		interest_expense: 40,
		income_before_tax: 360,
		income_tax_expense: 90,
		net_income: 270,
	},
	cash_flow: { operating_cash_flow: 350, capital_expenditure: 150 },
	market: { market_cap: 2400 },
});
// t−1
const p1 = annual("2022-12-31", {
	balance_sheet: {
		cash_and_equivalents: 80,
		accounts_receivable: 140,
		inventory: 180,
		total_current_assets: 450,
		property_plant_equipment_net: 750,
		total_assets: 1400,
		total_current_liabilities: 260,
		long_term_debt: 420,
		total_liabilities: 680,
		retained_earnings: 200,
		total_equity: 720,
		shares_outstanding: 100,
	},
	income_statement: {
		revenue: 1800,
		cost_of_revenue: 1100,
		sga_expense: 280,
		depreciation_and_amortization: 90,
		operating_income: 340,
		interest_expense: 42,
		income_before_tax: 298,
		net_income: 223,
	},
	cash_flow: { operating_cash_flow: 300, capital_expenditure: 140 },
});
// t−2
const p2 = annual("2021-12-31", {
	balance_sheet: { total_assets: 1300, total_current_assets: 400, total_current_liabilities: 250, long_term_debt: 430 },
	income_statement: { revenue: 1600, cost_of_revenue: 1000, net_income: 180 },
});

const f = figuresOf(t);

describe("ratios (docs/formulas.md)", () => {
	const r = computeRatios(f);

	it("liquidity", () => {
		expect(r.liquidity.current_ratio).toBeCloseTo(500 / 250, 10); // 2
		expect(r.liquidity.quick_ratio).toBeCloseTo((100 + 50 + 150) / 250, 10); // 1.2
		expect(r.liquidity.cash_ratio).toBeCloseTo((100 + 50) / 250, 10); // 0.6
		expect(r.liquidity.working_capital).toBe(500 - 250); // 250
	});

	it("profitability (gross_profit derived as revenue − cost_of_revenue)", () => {
		expect(r.profitability.gross_margin).toBeCloseTo((2000 - 1200) / 2000, 10); // 0.4
		expect(r.profitability.operating_margin).toBeCloseTo(400 / 2000, 10); // 0.2
		expect(r.profitability.net_margin).toBeCloseTo(270 / 2000, 10); // 0.135
		expect(r.profitability.roa).toBeCloseTo(270 / 1500, 10); // 0.18
		expect(r.profitability.roe).toBeCloseTo(270 / 800, 10); // 0.3375
	});

	it("leverage", () => {
		expect(r.leverage.debt_ratio).toBeCloseTo(700 / 1500, 10); // 0.4667
		expect(r.leverage.debt_to_equity).toBeCloseTo((50 + 400) / 800, 10); // 0.5625
		expect(r.leverage.equity_multiplier).toBeCloseTo(1500 / 800, 10); // 1.875
		expect(r.leverage.interest_coverage).toBeCloseTo(400 / 40, 10); // 10
	});

	it("efficiency", () => {
		expect(r.efficiency.asset_turnover).toBeCloseTo(2000 / 1500, 10); // 1.3333
		expect(r.efficiency.inventory_turnover).toBeCloseTo(1200 / 200, 10); // 6
		expect(r.efficiency.receivables_turnover).toBeCloseTo(2000 / 150, 10); // 13.333
		expect(r.efficiency.days_sales_outstanding).toBeCloseTo(365 / (2000 / 150), 10); // 27.375
	});

	it("cash flow", () => {
		expect(r.cash_flow.free_cash_flow).toBe(350 - 150); // 200
		expect(r.cash_flow.fcf_margin).toBeCloseTo((350 - 150) / 2000, 10); // 0.1
	});

	it("explains each ratio with its formula and inputs", () => {
		const explain = {};
		computeRatios(f, explain);
		expect(explain).toMatchObject({
			liquidity: { current_ratio: { formula: "total_current_assets / total_current_liabilities", inputs: { total_current_assets: 500, total_current_liabilities: 250 } } },
		});
	});

	it("null, never 0, NaN or Infinity, for a missing input or a zero denominator", () => {
		const bare = computeRatios(
			figuresOf(
				annual("2023-12-31", {
					balance_sheet: { total_current_assets: 100, total_current_liabilities: 0, total_assets: 0 },
					income_statement: { revenue: 0, net_income: 5 },
				}),
			),
		);
		expect(bare.liquidity.current_ratio).toBeNull(); // zero denominator
		expect(bare.liquidity.working_capital).toBe(100); // 100 − 0 is a real value
		expect(bare.liquidity.quick_ratio).toBeNull(); // cash missing
		expect(bare.profitability.net_margin).toBeNull(); // revenue 0
		expect(bare.profitability.roa).toBeNull(); // total_assets 0
		expect(bare.profitability.roe).toBeNull(); // total_equity missing
		expect(bare.efficiency.days_sales_outstanding).toBeNull();
		expect(bare.leverage.debt_to_equity).toBeNull(); // debts missing
		for (const group of Object.values(bare)) for (const v of Object.values(group)) expect(v === null || Number.isFinite(v)).toBe(true);
	});

	it("counts a missing short_term_investments as 0 when the other terms exist", () => {
		const s = computeRatios(figuresOf(annual("2023-12-31", { balance_sheet: { cash_and_equivalents: 60, accounts_receivable: 40, total_current_liabilities: 50 } })));
		expect(s.liquidity.quick_ratio).toBeCloseTo((60 + 0 + 40) / 50, 10); // 2
		expect(s.liquidity.cash_ratio).toBeCloseTo((60 + 0) / 50, 10); // 1.2
	});
});

describe("Altman z, z′, z″", () => {
	const x1 = (500 - 250) / 1500;
	const x2 = 300 / 1500;
	const x3 = 400 / 1500;
	const x4m = 2400 / 700;
	const x4b = 800 / 700;
	const x5 = 2000 / 1500;

	it("computes all three variants and picks z for manufacturing with market data", () => {
		const a = altman(f, "manufacturing");
		expect(a.z).toBeCloseTo(1.2 * x1 + 1.4 * x2 + 3.3 * x3 + 0.6 * x4m + 1.0 * x5, 10); // 4.7505
		expect(a.z_prime).toBeCloseTo(0.717 * x1 + 0.847 * x2 + 3.107 * x3 + 0.42 * x4b + 0.998 * x5, 10); // 2.9281
		expect(a.z_double_prime).toBeCloseTo(6.56 * x1 + 3.26 * x2 + 6.72 * x3 + 1.05 * x4b, 10); // 4.7373
		expect(a.primary).toBe("z");
		expect(a.zone).toBe("safe"); // 4.75 > 2.99
	});

	it("uses z′ for manufacturing without market data and z″ elsewhere", () => {
		const noMarket = figuresOf({ ...t, market: undefined });
		const m = altman(noMarket, "manufacturing");
		expect(m.z).toBeNull();
		expect(m.primary).toBe("z_prime");
		expect(m.zone).toBe("safe"); // 2.928 > 2.90
		const tech = altman(f, "technology");
		expect(tech.primary).toBe("z_double_prime");
		expect(tech.zone).toBe("safe"); // 4.737 > 2.60
	});

	it("takes EBIT from income_before_tax + interest_expense without operating_income, and market cap from price × shares", () => {
		const g = figuresOf({ ...t, income_statement: { ...t.income_statement, operating_income: undefined }, market: { share_price: 30 } });
		expect(g.ebit).toBe(360 + 40);
		expect(g.market_cap).toBe(30 * 100);
		expect(altman(g, "manufacturing").components.x4_market).toBeCloseTo(3000 / 700, 10);
	});

	it("zones: below the low cut-off distress, between grey (inclusive), above safe", () => {
		expect(zoneOf(1.8, "z")).toBe("distress");
		expect(zoneOf(1.81, "z")).toBe("grey");
		expect(zoneOf(2.99, "z")).toBe("grey");
		expect(zoneOf(3, "z")).toBe("safe");
		expect(zoneOf(1.2, "z_prime")).toBe("distress");
		expect(zoneOf(2.6, "z_double_prime")).toBe("grey");
		expect(zoneOf(null, "z")).toBeNull();
	});
});

describe("Piotroski F-score", () => {
	it("scores all nine signals with two prior years", () => {
		const p = piotroski(f, figuresOf(p1), figuresOf(p2));
		// roa_t = 270/1400 = 0.1929 > 0; cfo = 350/1400 = 0.25 > 0; roa_t−1 = 223/1300 = 0.1715 < 0.1929
		// accrual 0.25 > 0.1929; lever 400/((1500+1400)/2) = 0.2759 < 420/((1400+1300)/2) = 0.3111
		// current 2 > 450/260 = 1.7308; shares 100 ≤ 100; margin 0.4 > 700/1800 = 0.3889; turn 2000/1400 = 1.4286 > 1800/1300 = 1.3846
		expect(p.signals).toEqual({
			F_ROA: true,
			F_CFO: true,
			F_DELTA_ROA: true,
			F_ACCRUAL: true,
			F_DELTA_LEVER: true,
			F_DELTA_LIQUID: true,
			F_EQ_OFFER: true,
			F_DELTA_MARGIN: true,
			F_DELTA_TURN: true,
		});
		expect(p.score).toBe(9);
		expect(p.signals_available).toBe(9);
	});

	it("counts false signals, and leaves out signals whose inputs are missing", () => {
		const worse = figuresOf({ ...t, balance_sheet: { ...t.balance_sheet, shares_outstanding: 120 }, cash_flow: { operating_cash_flow: 100 } });
		const p = piotroski(worse, figuresOf(p1), null);
		// cfo = 100/1400 = 0.0714 < roa 0.1929 → F_ACCRUAL false; shares rose → F_EQ_OFFER false
		// without t−2: roa_t−1, lever_t−1 and turnover_t−1 are unknown
		expect(p.signals.F_ACCRUAL).toBe(false);
		expect(p.signals.F_EQ_OFFER).toBe(false);
		expect(p.signals.F_DELTA_ROA).toBeNull();
		expect(p.signals.F_DELTA_LEVER).toBeNull();
		expect(p.signals.F_DELTA_TURN).toBeNull();
		expect(p.signals_available).toBe(6);
		expect(p.score).toBe(4); // F_ROA, F_CFO, F_DELTA_LIQUID, F_DELTA_MARGIN
	});

	it("has no score at all (not the worst, 0) when no signal can be computed", () => {
		expect(piotroski(f, null, null)).toMatchObject({ score: null, signals_available: 0 });
		// with a prior year there are signals, and the score counts those that hold
		const withPrior = piotroski(f, figuresOf(p1), null);
		expect(withPrior.signals_available).toBeGreaterThan(0);
		expect(withPrior.score).toBe(Object.values(withPrior.signals).filter(s => s === true).length);
	});
});

describe("Beneish M-score", () => {
	it("computes the eight indices and M against the prior year", () => {
		const b = beneish(f, figuresOf(p1));
		const DSRI = 150 / 2000 / (140 / 1800);
		const GMI = (1800 - 1100) / 1800 / ((2000 - 1200) / 2000);
		const AQI = (1 - (500 + 800) / 1500) / (1 - (450 + 750) / 1400);
		const SGI = 2000 / 1800;
		const DEPI = 90 / (90 + 750) / (100 / (100 + 800));
		const SGAI = 300 / 2000 / (280 / 1800);
		const LVGI = (250 + 400) / 1500 / ((260 + 420) / 1400);
		const TATA = (270 - 350) / 1500;
		expect(b.indices.DSRI).toBeCloseTo(DSRI, 10);
		expect(b.indices.GMI).toBeCloseTo(GMI, 10);
		expect(b.indices.AQI).toBeCloseTo(AQI, 10);
		expect(b.indices.SGI).toBeCloseTo(SGI, 10);
		expect(b.indices.DEPI).toBeCloseTo(DEPI, 10);
		expect(b.indices.SGAI).toBeCloseTo(SGAI, 10);
		expect(b.indices.LVGI).toBeCloseTo(LVGI, 10);
		expect(b.indices.TATA).toBeCloseTo(TATA, 10);
		const M = -4.84 + 0.92 * DSRI + 0.528 * GMI + 0.404 * AQI + 0.892 * SGI + 0.115 * DEPI - 0.172 * SGAI + 4.679 * TATA - 0.327 * LVGI;
		expect(b.m_score).toBeCloseTo(M, 10); // −2.6676
		expect(b.likely_manipulator).toBe(false); // −2.67 ≤ −1.78
	});

	it("flags M above −1.78, and is null without a prior year or an index", () => {
		// receivables balloon and accruals are large: DSRI and TATA push M up
		const suspicious = figuresOf({ ...t, balance_sheet: { ...t.balance_sheet, accounts_receivable: 600 }, cash_flow: { operating_cash_flow: -200 } });
		expect(beneish(suspicious, figuresOf(p1)).likely_manipulator).toBe(true);
		expect(beneish(f, null)).toMatchObject({ m_score: null, likely_manipulator: null });
		const noSga = figuresOf({ ...t, income_statement: { ...t.income_statement, sga_expense: undefined } });
		expect(beneish(noSga, figuresOf(p1)).m_score).toBeNull();
	});
});

describe("DuPont", () => {
	it("decomposes ROE in three and five steps", () => {
		const d = dupont(f);
		expect(d.three_step.net_margin).toBeCloseTo(270 / 2000, 10);
		expect(d.three_step.asset_turnover).toBeCloseTo(2000 / 1500, 10);
		expect(d.three_step.equity_multiplier).toBeCloseTo(1500 / 800, 10);
		expect(d.three_step.roe).toBeCloseTo(270 / 800, 10); // 0.135 × 1.3333 × 1.875 = 0.3375
		expect(d.five_step.tax_burden).toBeCloseTo(270 / 360, 10); // 0.75
		expect(d.five_step.interest_burden).toBeCloseTo(360 / 400, 10); // 0.9
		expect(d.five_step.ebit_margin).toBeCloseTo(400 / 2000, 10); // 0.2
		expect(d.five_step.roe).toBeCloseTo(270 / 800, 10);
	});
});

describe("trends", () => {
	it("year-over-year growth, margin changes and CAGR", () => {
		const tr = trendsOf([p2, p1, t].map(s => ({ period_end: s.period_end, figures: figuresOf(s) })));
		expect(tr.periods).toEqual(["2021-12-31", "2022-12-31", "2023-12-31"]);
		expect(tr.growth.revenue.map(g => g.value)).toEqual([expect.closeTo((1800 - 1600) / 1600, 10), expect.closeTo((2000 - 1800) / 1800, 10)]);
		expect(tr.margin_change.gross_margin[1].value).toBeCloseTo((2000 - 1200) / 2000 - (1800 - 1100) / 1800, 10);
		expect(tr.cagr.revenue!.value).toBeCloseTo(Math.pow(2000 / 1600, 1 / 2) - 1, 3); // over 2 years: 0.1180
		expect(tr.growth.operating_cash_flow[0].value).toBeNull(); // t−2 has no operating cash flow
	});

	it("measures growth against |previous| and gives no CAGR across a sign change", () => {
		const loss = annual("2022-12-31", { income_statement: { net_income: -100 } });
		const gain = annual("2023-12-31", { income_statement: { net_income: 50 } });
		const tr = trendsOf([loss, gain].map(s => ({ period_end: s.period_end, figures: figuresOf(s) })));
		expect(tr.growth.net_income[0].value).toBeCloseTo((50 - -100) / 100, 10); // 1.5
		expect(tr.cagr.net_income).toBeNull();
	});
});

describe("analysis", () => {
	it("analyses the latest annual period by default, or the one asked for", () => {
		const a = analyze({ company_id: "c1", industry: "manufacturing", statements: [t, p2, p1] })!;
		expect(a.period_end).toBe("2023-12-31");
		expect(a.scores.piotroski!.score).toBe(9);
		expect(a.trends.periods).toHaveLength(3);
		const earlier = analyze({ company_id: "c1", industry: "manufacturing", statements: [t, p2, p1], period_end: "2022-12-31" })!;
		expect(earlier.period_end).toBe("2022-12-31");
		expect(earlier.trends.periods).toEqual(["2021-12-31", "2022-12-31"]);
		expect(analyze({ company_id: "c1", industry: "manufacturing", statements: [t], period_end: "1999-12-31" })).toBeNull();
	});

	const peerGroup = (margins: Record<string, number>) =>
		peerStatsOf(
			"manufacturing",
			Object.entries(margins).map(([company_id, nm]) => ({
				company_id,
				ratios: computeRatios(figuresOf(annual("2023-12-31", { income_statement: { revenue: 100, net_income: nm * 100 } }))),
			})),
		);

	it("benchmarks against peers: median and percentile", () => {
		const b = benchmarkOf(computeRatios(f), peerGroup({ a: 0.1, b: 0.2, c: 0.3 }));
		expect(b.peer_count).toBe(3);
		// net margin 0.135: one of three peers (0.1) is below; the median of 0.1, 0.2, 0.3 is 0.2
		expect(b.ratios["profitability.net_margin"]).toEqual({ value: 0.135, median: 0.2, percentile: 1 / 3 });
		expect(b.ratios["liquidity.current_ratio"]).toEqual({ value: 2, median: null, percentile: null });
	});

	it("leaves the company itself out of its peer group", () => {
		// peers a 0.1, b 0.2, c 0.3, and the company itself ("me") at 0.05 in its latest statement
		const b = benchmarkOf(computeRatios(f), peerGroup({ a: 0.1, b: 0.2, me: 0.05, c: 0.3 }), "me");
		expect(b.peer_count).toBe(3);
		expect(b.ratios["profitability.net_margin"]).toEqual({ value: 0.135, median: 0.2, percentile: 1 / 3 });
		// with an even peer group the median is the mean of the middle two: (0.1 + 0.2) / 2
		const even = benchmarkOf(computeRatios(f), peerGroup({ a: 0.1, b: 0.2, me: 0.4 }), "me");
		expect(even.ratios["profitability.net_margin"]).toEqual({ value: 0.135, median: expect.closeTo(0.15, 12), percentile: 1 / 2 });
	});
});

describe("statement checks", () => {
	it("derives fiscal_year and fiscal_period, and rejects contradictions", () => {
		expect(normalizeStatement({ statement_type: "annual", period_end: "2024-01-31" }).statement).toMatchObject({ fiscal_year: 2024, fiscal_period: "FY", currency: "USD" });
		expect(normalizeStatement({ statement_type: "annual", period_end: "2024-01-31", fiscal_year: 2023 }).problems[0].field).toBe("fiscal_year");
		expect(normalizeStatement({ statement_type: "annual", period_end: "2023-02-30" }).problems[0].field).toBe("period_end");
		expect(normalizeStatement({ statement_type: "quarterly", period_end: "2023-03-31" }).problems[0].field).toBe("fiscal_period");
	});

	it("warns, without rejecting, when assets ≠ liabilities + equity beyond 1 %", () => {
		expect(identityWarnings(t)).toEqual([]); // 1500 = 700 + 800
		const minority = { ...t, balance_sheet: { ...t.balance_sheet, total_equity: 750 } };
		expect(identityWarnings(minority)).toEqual([expect.stringMatching(/total_assets \(1500\) differs from total_liabilities \+ total_equity \(1450\)/)]);
		const withinOnePercent = { ...t, balance_sheet: { ...t.balance_sheet, total_equity: 790 } };
		expect(identityWarnings(withinOnePercent)).toEqual([]);
	});
});

describe("quarterly statements: scores on trailing twelve months", () => {
	const quarter = (period_end: string, fiscal_period: string, revenue: number, netIncome: number, ocf: number, totalAssets: number): StatementData => ({
		statement_type: "quarterly",
		period_end,
		fiscal_year: Number(period_end.slice(0, 4)),
		fiscal_period,
		currency: "USD",
		balance_sheet: {
			total_current_assets: 400 + totalAssets / 10,
			total_current_liabilities: 200,
			total_assets: totalAssets,
			total_liabilities: 600,
			retained_earnings: 250,
			total_equity: totalAssets - 600,
		},
		income_statement: { revenue, cost_of_revenue: revenue * 0.6, operating_income: revenue * 0.2, net_income: netIncome },
		cash_flow: { operating_cash_flow: ocf, capital_expenditure: 30 },
	});
	const q1 = quarter("2024-03-31", "Q1", 480, 60, 80, 1450);
	const q2 = quarter("2024-06-30", "Q2", 500, 65, 85, 1480);
	const q3 = quarter("2024-09-30", "Q3", 510, 70, 90, 1500);
	const q4 = quarter("2024-12-31", "Q4", 530, 75, 95, 1550);
	// the annual statement twelve months before the last quarter, listed after unrelated ones so position cannot stand in for date
	const fy2023 = annual("2023-12-31", {
		balance_sheet: {
			total_current_assets: 520,
			total_current_liabilities: 210,
			total_assets: 1400,
			total_liabilities: 620,
			retained_earnings: 200,
			total_equity: 780,
			long_term_debt: 300,
		},
		income_statement: { revenue: 1800, cost_of_revenue: 1100, operating_income: 330, net_income: 200 },
		cash_flow: { operating_cash_flow: 300 },
	});
	const fy2021 = annual("2021-12-31", { balance_sheet: { total_assets: 1000 }, income_statement: { revenue: 1000, net_income: 10 } });

	it("computes Altman, Piotroski and Beneish on the four quarters (flows summed, balances at the end), against the year before by date", () => {
		const a = analyze({ company_id: "c1", industry: "technology", statements: [q3, fy2021, q1, q4, fy2023, q2], period_end: "2024-12-31" })!;
		expect(a.statement_type).toBe("quarterly");
		expect(a.period).toMatchObject({ basis: "quarterly", scores_basis: "ttm", ttm_quarters: ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"] });
		expect(a.period.compared_with).toEqual({ t_minus_1: "2023-12-31", t_minus_2: null });
		// TTM by hand: revenue 480+500+510+530 = 2020; EBIT 0.2 × 2020 = 404; balances of Q4
		const ttmRevenue = 2020;
		const ebit = 0.2 * ttmRevenue;
		const x1 = (400 + 155 - 200) / 1550;
		const x2 = 250 / 1550;
		const x3 = ebit / 1550;
		const x4 = (1550 - 600) / 600;
		expect(a.scores.altman!.z_double_prime).toBeCloseTo(6.56 * x1 + 3.26 * x2 + 6.72 * x3 + 1.05 * x4, 10);
		// Piotroski on TTM net income 270 and OCF 350 over total assets twelve months before (1400)
		const roa = (60 + 65 + 70 + 75) / 1400;
		expect(a.scores.piotroski!.signals.F_ROA).toBe(roa > 0);
		expect(a.scores.piotroski!.signals.F_ACCRUAL).toBe((80 + 85 + 90 + 95) / 1400 > roa);
		expect(a.scores.piotroski!.signals.F_DELTA_MARGIN).toBe(0.4 > (1800 - 1100) / 1800);
		expect(a.scores.beneish!.indices.SGI).toBeCloseTo(ttmRevenue / 1800, 10);
		// flow/flow ratios stay the quarter's; flow/balance ones are on the TTM and say so
		expect(a.ratios.profitability.net_margin).toBeCloseTo(75 / 530, 10);
		expect(a.ratios.profitability.roa).toBeCloseTo(270 / 1550, 10);
		expect(a.ratio_details.profitability.roa.basis).toBe("ttm");
		expect(a.ratio_details.profitability.net_margin.basis).toBe("quarterly");
		expect(a.scores.dupont.basis).toBe("ttm");
	});

	it("with three quarters: the scores are null and a warning names the missing quarter", () => {
		const a = analyze({ company_id: "c1", industry: "technology", statements: [q1, q3, q4, fy2023], period_end: "2024-12-31" })!;
		expect(a.scores).toMatchObject({ altman: null, piotroski: null, beneish: null });
		expect(a.period.scores_basis).toBeNull();
		expect(a.warnings.join(" ")).toMatch(/quarters ending about 2024-06-30 are missing/);
		// flow/balance ratios fall back to the quarter's own figures, labelled so
		expect(a.ratios.profitability.roa).toBeCloseTo(75 / 1550, 10);
		expect(a.ratio_details.profitability.roa.basis).toBe("quarterly");
		expect(a.ratios.efficiency.days_sales_outstanding).toBeNull();
		expect(a.scores.dupont.basis).toBe("quarterly");
	});
});

describe("comparisons by date, reasons, units", () => {
	it("compares with the statement twelve months earlier, not the previous one in the list", () => {
		// 2022 is missing: 2021 is not t−1 of 2023
		const a = analyze({ company_id: "c1", industry: "manufacturing", statements: [t, p2] })!;
		expect(a.period.compared_with).toEqual({ t_minus_1: null, t_minus_2: "2021-12-31" });
		expect(a.scores.beneish!.m_score).toBeNull();
		expect(a.scores.beneish!.null_reasons.SGI).toBe("no statement twelve months earlier (t−1)");
		expect(a.scores.piotroski!.signals.F_DELTA_ROA).toBeNull();
		expect(a.warnings.join(" ")).toMatch(/no statement twelve months before 2023-12-31/);
	});

	it("Beneish's GMI uses the reported gross profit first, as the gross margin ratio does", () => {
		const reported = annual("2023-12-31", { ...t, income_statement: { ...t.income_statement, gross_profit: 900 } });
		const b = beneish(figuresOf(reported), figuresOf(p1));
		expect(b.indices.GMI).toBeCloseTo((1800 - 1100) / 1800 / (900 / 2000), 10);
	});

	it("says each ratio's unit and why a value is null", () => {
		const sparse = annual("2023-12-31", { balance_sheet: { total_assets: 100, total_equity: 0 }, income_statement: { revenue: 50 } });
		const a = analyze({ company_id: "c1", industry: "technology", statements: [sparse] })!;
		expect(a.ratio_details.leverage.debt_to_equity).toMatchObject({ unit: "times", null_reason: "missing short_term_debt, long_term_debt" });
		expect(a.ratio_details.leverage.equity_multiplier).toMatchObject({ unit: "times", null_reason: "a denominator is zero" });
		expect(a.ratio_details.profitability.net_margin).toMatchObject({ unit: "fraction", null_reason: "missing net_income" });
		expect(a.ratio_details.efficiency.days_sales_outstanding.unit).toBe("days");
		expect(a.ratio_details.cash_flow.free_cash_flow.unit).toBe("currency");
		expect(a.ratio_details.efficiency.asset_turnover.null_reason).toBeUndefined();
		expect(a.scores.altman!.null_reasons.z_double_prime).toMatch(/^missing total_current_assets, total_current_liabilities, retained_earnings, ebit, total_liabilities$/);
		expect(a.scores.altman!.definition.variants.z_double_prime).toEqual({
			coefficients: { x1: 6.56, x2: 3.26, x3: 6.72, x4_book: 1.05 },
			distress_below: 1.1,
			safe_above: 2.6,
		});
		expect(a.scores.piotroski!.definitions.F_EQ_OFFER).toBe("shares_outstanding did not rise");
		expect(a.scores.piotroski!.null_reasons.F_EQ_OFFER).toBe("missing shares_outstanding (t), the t−1 statement");
		expect(a.scores.beneish!.definition.threshold).toBe(-1.78);
	});

	it("warns when the benchmark has no peers", () => {
		const a = analyze({ company_id: "c1", industry: "technology", statements: [t], peers: peerStatsOf("technology", []) })!;
		expect(a.benchmark!.peer_count).toBe(0);
		expect(a.warnings.join(" ")).toMatch(/no other company of the technology industry/);
	});
});
