/** OKR scoring on hand-computed examples, the plan workflow's moves and roles, and the market's nesting. */
import { grade, keyResultProgress, objectiveScore } from "../../domains/strategy/okr";
import { isOverdue, marketIssues, PLAN_STATUSES, transitionRole } from "../../domains/strategy/plan";

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
