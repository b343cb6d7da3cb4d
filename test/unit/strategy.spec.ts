/** OKR scoring on hand-computed examples, the plan workflow's moves and roles, and the market's nesting. */
import { grade, keyResultProgress, objectiveScore } from "../../domains/strategy/okr";
import { isOverdue, marketIssues, PLAN_STATUSES, transitionRole } from "../../domains/strategy/plan";
import { draftSwot } from "../../domains/strategy/swot";
import { boundValue } from "../../domains/strategy/bindings";

describe("OKRs", () => {
	it("score a key result as (current − start) / (target − start), clamped to [0, 1], for raise and reduce targets", () => {
		expect(keyResultProgress({ start: 10, target: 20, current: 15 })).toBe(0.5);
		expect(keyResultProgress({ start: 10, target: 20, current: 25 })).toBe(1);
		expect(keyResultProgress({ start: 10, target: 20, current: 5 })).toBe(0);
		// reduce debt to equity from 2.0 to 1.0: at 1.4 it is 60 % there
		expect(keyResultProgress({ start: 2, target: 1, current: 1.4 })).toBeCloseTo(0.6);
		expect(keyResultProgress({ start: 5, target: 5, current: 5 })).toBe(1);
		expect(keyResultProgress({ start: 5, target: 5, current: 4 })).toBe(0);
	});

	it("score an objective as the weighted mean of its key results and grade it green ≥ 0.7, yellow ≥ 0.4, red below", () => {
		// progress 0.5 (weight 1), 1.0 (weight 2), 0.25 (weight 1): (0.5 + 2 + 0.25) / 4 = 0.6875 → yellow
		const objective = {
			key_results: [
				{ id: "a", description: "", start: 0, target: 10, current: 5 },
				{ id: "b", description: "", start: 0, target: 4, current: 4, weight: 2 },
				{ id: "c", description: "", start: 100, target: 80, current: 95 },
			],
		};
		expect(objectiveScore(objective)).toEqual({ score: 0.688, grade: "yellow" });
		expect(grade(0.7)).toBe("green");
		expect(grade(0.4)).toBe("yellow");
		expect(grade(0.39)).toBe("red");
		expect(objectiveScore({ key_results: [] })).toEqual({ score: null, grade: null });
	});
});

describe("the plan workflow", () => {
	it("lets an analyst draft and submit, a domain_admin approve, activate and complete", () => {
		expect(transitionRole("draft", "under_review")).toBe("analyst");
		expect(transitionRole("under_review", "approved")).toBe("domain_admin");
		expect(transitionRole("under_review", "draft")).toBe("domain_admin");
		expect(transitionRole("approved", "active")).toBe("domain_admin");
		expect(transitionRole("active", "completed")).toBe("domain_admin");
	});

	it("has no other moves: skipping review, reopening an archived plan, going back from completed", () => {
		expect(transitionRole("draft", "approved")).toBeNull();
		expect(transitionRole("draft", "active")).toBeNull();
		expect(transitionRole("completed", "active")).toBeNull();
		for (const to of PLAN_STATUSES) expect(transitionRole("archived", to)).toBeNull();
	});
});

describe("the market analysis and action items", () => {
	it("needs TAM ≥ SAM ≥ SOM, naming the field that breaks it", () => {
		expect(marketIssues({ tam: 100, sam: 50, som: 10 })).toEqual([]);
		expect(marketIssues({ tam: 100, sam: 150 }).map(i => i.field)).toEqual(["market_analysis.sam"]);
		expect(marketIssues({ tam: 100, sam: 50, som: 60 }).map(i => i.field)).toEqual(["market_analysis.som"]);
		expect(marketIssues({ tam: 100, som: 120 }).map(i => i.field)).toEqual(["market_analysis.som"]);
	});

	it("flags open action items past their due date", () => {
		expect(isOverdue({ due_date: "2026-01-01", status: "open" }, "2026-06-01")).toBe(true);
		expect(isOverdue({ due_date: "2026-01-01", status: "done" }, "2026-06-01")).toBe(false);
		expect(isOverdue({ due_date: "2026-12-01", status: "open" }, "2026-06-01")).toBe(false);
		expect(isOverdue({ status: "open" }, "2026-06-01")).toBe(false);
	});
});

describe("the drafted SWOT", () => {
	const analysis = (ratios: Record<string, { value: number; median: number }>) =>
		({
			period_end: "2024-12-31",
			benchmark: { industry: "manufacturing", peer_count: 5, ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, { ...v, percentile: 0.5 }])) },
			scores: { altman: null, piotroski: null },
			trends: { growth: {} },
		}) as unknown as Parameters<typeof draftSwot>[0]["analysis"];

	it("holds each ratio against the peer median: 10 % better is a strength, worse a weakness; a lower debt ratio is better", () => {
		const swot = draftSwot({
			analysis: analysis({
				"profitability.net_margin": { value: 0.12, median: 0.06 }, // +100 %: high
				"liquidity.current_ratio": { value: 1.05, median: 1.0 }, // +5 %: not significant
				"leverage.debt_ratio": { value: 0.7, median: 0.5 }, // 40 % worse: medium
			}),
			kpis: null,
			risks: [],
			compliance: [],
		});
		expect(swot.strengths.map(s => [s.evidence.metric, s.impact])).toEqual([["profitability.net_margin", "high"]]);
		expect(swot.weaknesses.map(s => [s.evidence.metric, s.impact])).toEqual([["leverage.debt_ratio", "medium"]]);
		expect(swot.weaknesses[0].evidence).toEqual({ source: "benchmark", metric: "leverage.debt_ratio", value: 0.7, benchmark: 0.5, period: "2024-12-31" });
	});

	it("makes threats of high risks and non-compliance, and reads the market", () => {
		const swot = draftSwot({
			analysis: null,
			kpis: null,
			risks: [
				{ risk_type: "liquidity", method: "automatic", risk_score: 80, level: "critical" },
				{ risk_type: "leverage", method: "automatic", risk_score: 20, level: "low" },
			],
			compliance: [{ regulation_type: "basel_iii", compliance_status: "non_compliant" }],
			market: { growth_rate: -0.02, five_forces: { buyer_power: { rating: "high" }, supplier_power: { rating: "medium" } } },
		});
		expect(swot.threats.map(t => t.evidence.metric).sort()).toEqual(["compliance.basel_iii", "five_forces.buyer_power", "market.growth_rate", "risk.liquidity"]);
		expect(swot.opportunities).toEqual([]);
	});
});

describe("bound key results", () => {
	it("read their figure: a ratio, a KPI, a risk score, a compliance status as 1 / 0.5 / 0", () => {
		const sources = {
			analysis: { period_end: "2024-12-31", ratios: { profitability: { net_margin: 0.08 } } },
			kpis: { period_end: "2024-12-31", kpis: [{ name: "oee", value: 0.71 }] },
			risks: [{ risk_type: "liquidity", risk_score: 42.5, period_end: "2024-12-31" }],
			compliance: [{ regulation_type: "iso_9001", compliance_status: "partially_compliant", assessed_at: "2025-01-10T08:00:00Z" }],
		} as unknown as Parameters<typeof boundValue>[1];
		expect(boundValue({ kind: "ratio", metric: "profitability.net_margin" }, sources)).toEqual({
			value: 0.08,
			source: "analysis profitability.net_margin",
			period: "2024-12-31",
		});
		expect(boundValue({ kind: "kpi", metric: "oee" }, sources).value).toBe(0.71);
		expect(boundValue({ kind: "risk_score", metric: "liquidity" }, sources).value).toBe(42.5);
		expect(boundValue({ kind: "compliance", metric: "iso_9001" }, sources)).toEqual({ value: 0.5, source: "compliance iso_9001", period: "2025-01-10" });
		expect(boundValue({ kind: "ratio", metric: "liquidity.cash_ratio" }, sources).value).toBeNull();
	});
});
