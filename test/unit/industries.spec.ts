/** The industry modules' KPIs on hand-computed examples, at their thresholds' edges, and with inputs missing. */
import { checkAppetite, checkMetrics, evaluateKpis, statusOf, type KpiInputs, type KpiResult } from "../../domains/industries/module";
import { industryModule, industryModules } from "../../domains/industries/registry";

const kpisOf = (industry: string, metrics: Record<string, number>, extra: Partial<KpiInputs> = {}) => {
	const results = evaluateKpis(industryModule(industry)!, { metrics, period_days: 365, finance: {}, ...extra });
	return Object.fromEntries(results.map(r => [r.name, r])) as Record<string, KpiResult>;
};

describe("the registry", () => {
	it("finds the four shipped modules, one per folder", () => {
		expect(industryModules().map(m => m.id)).toEqual(["financial_services", "healthcare", "manufacturing", "technology"]);
		for (const m of industryModules()) for (const k of m.kpis) expect(k.source).toBeTruthy();
	});
});

describe("financial services (Basel III)", () => {
	const bank = {
		cet1_capital: 60,
		tier1_capital: 75,
		total_capital: 95,
		risk_weighted_assets: 1000,
		leverage_exposure: 2500,
		hqla: 120,
		net_cash_outflows_30d: 100,
		gross_loans: 800,
		non_performing_loans: 32,
		loan_loss_reserves: 24,
		operating_expenses: 55,
		operating_revenue: 100,
	};

	it("computes each ratio from its inputs", () => {
		const k = kpisOf("financial_services", bank);
		expect(k.cet1_ratio.value).toBeCloseTo(0.06, 12);
		expect(k.cet1_ratio.status).toBe("watch"); // between the 4.5 % minimum and 7 % with the buffer
		expect(k.tier1_ratio).toMatchObject({ value: 0.075, status: "watch" });
		expect(k.total_capital_ratio.value).toBeCloseTo(0.095, 12);
		expect(k.leverage_ratio).toMatchObject({ value: 0.03, status: "good" }); // exactly at the 3 % minimum
		expect(k.lcr).toMatchObject({ value: 1.2, status: "good" });
		expect(k.npl_ratio).toMatchObject({ value: 0.04, status: "watch" });
		expect(k.npl_coverage).toMatchObject({ value: 0.75, status: "informational", threshold: null });
		expect(k.efficiency_ratio).toMatchObject({ value: 0.55, status: "good" });
		expect(k.nsfr).toMatchObject({ value: null, status: "not_assessed", reason: "missing available_stable_funding, required_stable_funding" });
	});

	it("is good, watch or bad exactly at the Basel edges", () => {
		expect(kpisOf("financial_services", { cet1_capital: 70, risk_weighted_assets: 1000 }).cet1_ratio.status).toBe("good"); // 7.0 %
		expect(kpisOf("financial_services", { cet1_capital: 45, risk_weighted_assets: 1000 }).cet1_ratio.status).toBe("watch"); // 4.5 %
		expect(kpisOf("financial_services", { cet1_capital: 44.9, risk_weighted_assets: 1000 }).cet1_ratio.status).toBe("bad");
		expect(kpisOf("financial_services", { tier1_capital: 29.99, leverage_exposure: 1000 }).leverage_ratio.status).toBe("bad");
	});

	it("refuses metrics that are unknown, negative or inconsistent, naming each", () => {
		const module = industryModule("financial_services")!;
		expect(checkMetrics(module, { cet1_capital: 10, patient_days: 3 })[0]).toMatchObject({ field: "metrics.patient_days", type: "metricUnknown" });
		expect(checkMetrics(module, { hqla: -1 })[0]).toMatchObject({ field: "metrics.hqla", type: "numberMin" });
		expect(checkMetrics(module, { hqla: "lots" })[0]).toMatchObject({ field: "metrics.hqla", type: "number" });
		expect(checkMetrics(module, { cet1_capital: 80, tier1_capital: 75 })[0]).toMatchObject({ field: "metrics.cet1_capital", type: "metricConsistency" });
		expect(checkMetrics(module, bank)).toEqual([]);
	});
});

describe("healthcare", () => {
	it("days cash on hand, occupancy (a band), length of stay, and the operating margin from the statements", () => {
		const k = kpisOf(
			"healthcare",
			{ unrestricted_cash: 40_000_000, operating_expenses: 110_000_000, depreciation: 10_000_000, patient_days: 62_050, staffed_beds: 200, discharges: 12_410 },
			{ finance: { operating_margin: 0.03 } },
		);
		expect(k.days_cash_on_hand.value).toBeCloseTo(40_000_000 / (100_000_000 / 365), 9); // 146 days
		expect(k.days_cash_on_hand.status).toBe("watch");
		expect(k.occupancy_rate.value).toBeCloseTo(62_050 / (200 * 365), 12); // 0.85: the top of the good band
		expect(k.occupancy_rate.status).toBe("good");
		expect(k.average_length_of_stay.value).toBeCloseTo(5, 12);
		expect(k.operating_margin).toMatchObject({ value: 0.03, status: "good" });
		expect(kpisOf("healthcare", { patient_days: 65_700, staffed_beds: 200 }).occupancy_rate.status).toBe("watch"); // 0.90: the top of the watch band
		expect(kpisOf("healthcare", { patient_days: 67_160, staffed_beds: 200 }).occupancy_rate.status).toBe("bad"); // 0.92
	});

	it("a quarter counts its own days", () => {
		const k = kpisOf("healthcare", { patient_days: 15_000, staffed_beds: 200 }, { period_days: 91 });
		expect(k.occupancy_rate.value).toBeCloseTo(15_000 / (200 * 91), 12);
	});
});

describe("manufacturing", () => {
	it("OEE = availability × performance × quality, first-pass yield, TRIR", () => {
		const m = {
			planned_production_time: 480,
			run_time: 420,
			ideal_cycle_time: 1,
			total_count: 400,
			good_count: 380,
			first_pass_good_count: 372,
			recordable_incidents: 3,
			hours_worked: 200_000,
		};
		const k = kpisOf("manufacturing", m);
		const oee = (420 / 480) * ((1 * 400) / 420) * (380 / 400); // 0.7917
		expect(k.oee.value).toBeCloseTo(oee, 12);
		expect(k.oee.status).toBe("watch");
		expect(k.first_pass_yield).toMatchObject({ value: 0.93, status: "watch" });
		expect(k.trir).toMatchObject({ value: 3, status: "good" }); // exactly 3.0
		expect(k.inventory_turnover).toMatchObject({ status: "not_assessed", reason: "missing finance.inventory_turnover" });
	});
});

describe("technology", () => {
	it("ARR, NRR, LTV/CAC, CAC payback, rule of 40", () => {
		const m = {
			mrr: 110_000,
			starting_mrr: 100_000,
			expansion_mrr: 15_000,
			contraction_mrr: 2_000,
			churned_mrr: 3_000,
			starting_customers: 500,
			churned_customers: 60,
			cac: 3_000,
			arpa: 200,
			gross_margin: 0.8,
		};
		const k = kpisOf("technology", m, { finance: { revenue_growth: 0.3, fcf_margin: 0.1 } });
		expect(k.arr.value).toBe(1_320_000);
		expect(k.net_revenue_retention).toMatchObject({ value: 1.1, status: "good" });
		expect(k.gross_revenue_retention.value).toBeCloseTo(0.95, 12);
		expect(k.logo_churn.value).toBeCloseTo(0.12, 12);
		const monthlyChurn = 0.12 / (365 / (365.25 / 12)); // 365 days are 11.99 months
		expect(k.ltv_to_cac.value).toBeCloseTo((200 * 0.8) / monthlyChurn / 3_000, 9); // 5.33
		expect(k.ltv_to_cac.status).toBe("good");
		expect(k.cac_payback_months.value).toBeCloseTo(3_000 / 160, 12); // 18.75 months
		expect(k.cac_payback_months.status).toBe("watch");
		expect(k.rule_of_40.value).toBeCloseTo(40, 9);
		expect(k.rule_of_40.status).toBe("good"); // exactly 40
	});
});

describe("status bands", () => {
	it("higher, lower and range, inclusive at the edges", () => {
		expect(statusOf(1, { direction: "higher", good: 1, watch: 0.5 })).toBe("good");
		expect(statusOf(0.5, { direction: "higher", good: 1, watch: 0.5 })).toBe("watch");
		expect(statusOf(5, { direction: "lower", good: 3, watch: 5 })).toBe("watch");
		expect(statusOf(5.01, { direction: "lower", good: 3, watch: 5 })).toBe("bad");
		expect(statusOf(0.5, { direction: "range", good: [0.65, 0.85], watch: [0.5, 0.9] })).toBe("watch");
		expect(statusOf(0.91, { direction: "range", good: [0.65, 0.85], watch: [0.5, 0.9] })).toBe("bad");
	});
});

describe("appetite in three tiers", () => {
	const lcr = industryModule("financial_services")!.kpis.find(k => k.name === "lcr")!;
	const appetite = { regulatory_minimum: 1, internal_limit: 1.1, early_warning: 1.15 };
	const withLcr = (value: number) =>
		evaluateKpis(industryModule("financial_services")!, { metrics: { hqla: value * 100, net_cash_outflows_30d: 100 }, period_days: 365, finance: {} }, { lcr: appetite }).find(
			k => k.name === "lcr",
		)!;

	it("names the most serious tier breached; exactly at a tier is not a breach; the status never looser than the module's", () => {
		expect(withLcr(1.2)).toMatchObject({ status: "good", appetite: { ...appetite, breached: null } });
		expect(withLcr(1.15).appetite!.breached).toBeNull();
		expect(withLcr(1.12)).toMatchObject({ status: "watch", appetite: { breached: "early_warning" } });
		expect(withLcr(1.05)).toMatchObject({ status: "bad", appetite: { breached: "internal_limit" } });
		expect(withLcr(0.95)).toMatchObject({ status: "bad", appetite: { breached: "regulatory_minimum" } });
	});

	it("tiers must be in order along the KPI's direction, and the KPI must have one", () => {
		expect(checkAppetite(lcr, appetite)).toEqual([]);
		expect(checkAppetite(lcr, { regulatory_minimum: 1, internal_limit: 0.9 })[0]).toMatchObject({ field: "internal_limit", type: "appetiteOrder" });
		const npl = industryModule("financial_services")!.kpis.find(k => k.name === "npl_ratio")!; // lower is better
		expect(checkAppetite(npl, { regulatory_minimum: 0.08, internal_limit: 0.05, early_warning: 0.04 })).toEqual([]);
		expect(checkAppetite(npl, { regulatory_minimum: 0.04, internal_limit: 0.05 })[0].field).toBe("internal_limit");
		const occupancy = industryModule("healthcare")!.kpis.find(k => k.name === "occupancy_rate")!;
		expect(checkAppetite(occupancy, { early_warning: 0.8 })[0].type).toBe("appetiteKpi");
		expect(checkAppetite(lcr, {})[0].type).toBe("required");
	});
});
