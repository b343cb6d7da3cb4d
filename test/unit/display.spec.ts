/** Figures as a person reads them (issue 21, item 7): values rounded to their unit, thresholds as sentences, risk weights as applied. */
import { displayOf, thresholdText } from "../../domains/presentation/display";
import { evaluateKpis } from "../../domains/industries/module";
import { industryModule } from "../../domains/industries/registry";
import { assessAutomatic } from "../../domains/risk/scoring";
import { analyze } from "../../domains/finance/analysis";
import { draftSwot } from "../../domains/strategy/swot";

describe("display", () => {
	it("rounds a value to what its unit can tell, keeping nothing of the float's noise", () => {
		expect(displayOf(0.7599999999999999, "fraction")).toBe("76.0 %");
		expect(displayOf(1.8499999, "times")).toBe("1.85×");
		expect(displayOf(45.25, "days")).toBe("45.3 days");
		expect(displayOf(1234567.89, "currency")).toBe("1,234,568");
		expect(displayOf(12.5, "currency")).toBe("12.50");
		expect(displayOf(3.04, "rate", "200,000 h")).toBe("3.0 per 200,000 h");
		expect(displayOf(null, "fraction")).toBeNull();
		expect(displayOf(Infinity, "times")).toBeNull();
	});

	it("says a threshold as a sentence", () => {
		expect(thresholdText({ direction: "lower", good: 3, watch: 5 }, "rate", "200,000 h")).toBe("good at or below 3.0, watch up to 5.0, bad above 5.0 (per 200,000 h)");
		expect(thresholdText({ direction: "higher", good: 0.85, watch: 0.6 }, "fraction")).toBe("good at or above 85.0 %, watch from 60.0 %, bad below 60.0 %");
		expect(thresholdText({ direction: "range", good: [1, 2], watch: [0.5, 3] }, "times")).toBe("good from 1.00× to 2.00×, watch from 0.50× to 3.00×, bad outside");
	});

	it("shows a KPI with its value rounded and its threshold in words, and the SWOT reads them as a sentence", () => {
		const manufacturing = industryModule("manufacturing")!;
		const metrics = { run_time: 380, planned_production_time: 400, ideal_cycle_time: 1, total_count: 320, good_count: 304, recordable_incidents: 8, hours_worked: 400000 };
		const kpis = evaluateKpis(manufacturing, { metrics, finance: {} } as never);
		const oee = kpis.find(k => k.name === "oee")!;
		expect(oee.value).toBeCloseTo(0.76, 10);
		expect(oee.display).toBe("76.0 %");
		const trir = kpis.find(k => k.name === "trir")!;
		expect(trir).toMatchObject({
			value: 4,
			display: "4.0 per 200,000 h",
			status: "watch",
			threshold_text: "good at or below 3.0, watch up to 5.0, bad above 5.0 (per 200,000 h)",
		});
		const bad = evaluateKpis(manufacturing, { metrics: { ...metrics, recordable_incidents: 14 }, finance: {} } as never).find(k => k.name === "trir")!;
		const swot = draftSwot({ kpis: { period_end: "2024-12-31", kpis: [bad] }, risks: [], compliance: [] } as never);
		expect(swot.weaknesses.map(w => w.detail)).toContain("trir 7.0 per 200,000 h: bad (good at or below 3.0, watch up to 5.0, bad above 5.0 (per 200,000 h))");
	});

	it("gives every ratio a display, and every scored risk factor the weight it carries in the score (they add up to 1)", () => {
		const statement = {
			statement_type: "annual",
			period_end: "2024-12-31",
			currency: "USD",
			balance_sheet: { total_assets: 1500, total_current_assets: 600, total_current_liabilities: 300, total_liabilities: 800, total_equity: 700, retained_earnings: 300 },
			income_statement: { revenue: 2000, cost_of_revenue: 1200, operating_income: 180, net_income: 120 },
			cash_flow: { operating_cash_flow: 200, capital_expenditure: 60 },
		};
		const analysis = analyze({ company_id: "c1", industry: "manufacturing", statements: [statement as never] })!;
		expect(analysis.ratio_details.profitability.net_margin.display).toBe("6.0 %");
		expect(analysis.ratio_details.liquidity.current_ratio.display).toBe("2.00×");
		const assessment = assessAutomatic("leverage", analysis);
		const scored = assessment.risk_factors.filter(f => f.applied_weight != null);
		expect(scored.length).toBeGreaterThan(0);
		expect(scored.reduce((sum, f) => sum + f.applied_weight!, 0)).toBeCloseTo(1, 10);
		// a factor without a value carries no weight; the others' shares grow accordingly
		for (const f of assessment.risk_factors.filter(x => x.factor_score == null)) expect(f.applied_weight).toBeNull();
	});
});
