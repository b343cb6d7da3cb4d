/**
 * The company overview's fold: a hand-written audit trail gives the overview a user reads; folding it in two
 * parts, twice, or again from nothing gives the same; a run's events out of order and an older run's late
 * news do not move it back; a deleted company stays deleted.
 */
import { emptyOverview, overviewView } from "../../domains/overview/projection";
import { applyEntry, foldEntries, type OverviewEntry } from "../../lib/overview-fold";

const CO = "c1";
const at = (minute: number) => `2026-11-27T10:${String(minute).padStart(2, "0")}:00.000Z`;
const highlights = {
	period_end: "2023-12-31",
	statement_type: "annual",
	currency: "USD",
	altman: { variant: "z_prime", z: 1.7, zone: "grey" },
	piotroski: { score: 7, of: 8 },
	beneish: null,
	ratios: { current_ratio: 2, debt_to_equity: 0.875, net_margin: 0.135, roe: 0.3375 },
	revenue_growth: { period_end: "2023-12-31", value: 0.1 },
	warnings: 0,
};
const run = { workflow_id: "w1", started_at: at(5), company_id: CO };
const plan = (status: string, updated: number) => ({
	id: "p1",
	title: "Turnaround",
	status,
	score: 0.5,
	grade: "yellow",
	updated_at: at(updated),
	open_actions: [
		{ id: "a1", title: "Refinance", owner: "CFO", due_date: "2026-01-31", status: "open" },
		{ id: "a2", title: "Sell the plant", owner: "COO", due_date: "2027-06-30", status: "in_progress" },
	],
});

const trail: OverviewEntry[] = [
	{ seq: 1, action: "companies.created", at: at(1), company_id: CO, payload: { company: { id: CO, name: "Works", industry: "manufacturing" } } },
	{ seq: 2, action: "strategy.plan.created", at: at(2), company_id: CO, payload: { id: "p1", company_id: CO, plan: plan("draft", 2) } },
	{ seq: 3, action: "finance.statement.created", at: at(3), company_id: CO, payload: { statement: { company_id: CO, period_end: "2023-12-31" } } },
	{ seq: 4, action: "orchestrator.workflow.started", at: at(5), company_id: CO, payload: { ...run, trigger: "statements", steps: ["analysis", "risk", "compliance"] } },
	{ seq: 5, action: "orchestrator.step.succeeded", at: at(6), company_id: CO, payload: { ...run, step: "analysis", attempts: 1, result: { highlights } } },
	{
		seq: 6,
		action: "risk.assessment.created",
		at: at(7),
		company_id: CO,
		payload: {
			company_id: CO,
			automatic: [
				{ id: "r1", risk_type: "liquidity", risk_score: 20, level: "low", assessed_at: at(7) },
				{ id: "r2", risk_type: "leverage", risk_score: 55, level: "high", assessed_at: at(7) },
			],
		},
	},
	{ seq: 7, action: "orchestrator.step.succeeded", at: at(7), company_id: CO, payload: { ...run, step: "risk", attempts: 2 } },
	{
		seq: 8,
		action: "compliance.record.updated",
		at: at(8),
		company_id: CO,
		payload: {
			record: { company_id: CO, regulation_type: "iso_9001", compliance_status: "partially_compliant", violations: [{}], assessed_at: at(8), next_review: "2027-05-27" },
		},
	},
	{ seq: 9, action: "orchestrator.step.succeeded", at: at(9), company_id: CO, payload: { ...run, step: "compliance", attempts: 1 } },
	{ seq: 10, action: "orchestrator.workflow.completed", at: at(9), company_id: CO, payload: { ...run, steps: ["analysis", "risk", "compliance"] } },
	{
		seq: 11,
		action: "strategy.plan.transitioned",
		at: at(10),
		company_id: CO,
		payload: { id: "p1", company_id: CO, from: "draft", to: "under_review", plan: plan("under_review", 10) },
	},
];

describe("the company overview fold", () => {
	it("gives the overview of a hand-written trail", () => {
		const view = overviewView(foldEntries(emptyOverview(CO), trail), "2026-11-27");
		expect(view.company).toEqual({ name: "Works", industry: "manufacturing", ticker: null });
		expect(view.statements).toEqual({ latest_period_end: "2023-12-31", last_change_at: at(3) });
		expect(view.analysis).toEqual({ ...highlights, as_of: at(6) });
		// the highest level of the assessments
		expect(view.risk.level).toBe("high");
		expect(view.risk.assessments.map(a => [a.risk_type, a.level])).toEqual([
			["leverage", "high"],
			["liquidity", "low"],
		]);
		expect(view.compliance).toEqual({
			status: "partially_compliant",
			regulations: { iso_9001: { status: "partially_compliant", violations: 1, assessed_at: at(8), next_review: "2027-05-27" } },
		});
		expect(view.plans.by_status).toEqual({ under_review: 1 });
		// overdue on the day asked: due 2026-01-31, open
		expect(view.plans.open_actions.map(a => [a.id, a.overdue])).toEqual([
			["a1", true],
			["a2", false],
		]);
		expect(view.plans.overdue_actions).toBe(1);
		expect(view.workflow).toEqual({
			id: "w1",
			state: "succeeded",
			trigger: "statements",
			started_at: at(5),
			finished_at: at(9),
			steps: { analysis: { state: "succeeded", attempts: 1 }, risk: { state: "succeeded", attempts: 2 }, compliance: { state: "succeeded", attempts: 1 } },
		});
		expect(view.as_of).toEqual({ seq: 11, at: at(10) });
	});

	it("gives the same folded in parts, folded twice, or again from nothing", () => {
		const once = foldEntries(emptyOverview(CO), trail);
		const inParts = foldEntries(foldEntries(emptyOverview(CO), trail.slice(0, 5)), trail.slice(5));
		expect(inParts).toEqual(once);
		// entries it holds already change nothing (a re-read after a crash)
		expect(foldEntries(once, trail)).toBe(once);
		expect(foldEntries(emptyOverview(CO), [...trail].reverse())).toEqual(once);
	});

	it("keeps a run's state moving forward when its events are appended out of order", () => {
		const [started, analysis] = [trail[3], trail[4]];
		const completed = trail[9];
		const swapped = foldEntries(emptyOverview(CO), [
			{ ...completed, seq: 1 },
			{ ...analysis, seq: 2 },
			{ ...started, seq: 3 },
		]);
		expect(swapped.workflow).toMatchObject({ id: "w1", state: "succeeded", trigger: "statements", steps: { analysis: { state: "succeeded" }, risk: { state: "pending" } } });
	});

	it("ignores an older run's late news, and an older assessment or plan version than the one it has", () => {
		const folded = foldEntries(emptyOverview(CO), trail);
		const newer = applyEntry(folded, {
			seq: 12,
			action: "orchestrator.workflow.started",
			at: at(20),
			company_id: CO,
			payload: { workflow_id: "w2", started_at: at(20), company_id: CO, trigger: "statements", steps: ["analysis"] },
		});
		const late = foldEntries(newer, [
			{ seq: 13, action: "orchestrator.workflow.failed", at: at(21), company_id: CO, payload: { ...run, step: "risk", attempts: 3 } },
			{ seq: 14, action: "strategy.plan.updated", at: at(21), company_id: CO, payload: { id: "p1", company_id: CO, plan: plan("draft", 3) } },
			{
				seq: 15,
				action: "risk.assessment.updated",
				at: at(21),
				company_id: CO,
				payload: { assessment: { id: "r2", risk_type: "leverage", method: "automatic", risk_score: 10, level: "low", assessed_at: at(1) } },
			},
		]);
		expect(late.workflow).toMatchObject({ id: "w2", state: "running" });
		expect(late.plans.p1.status).toBe("under_review");
		expect(late.risks.r2.level).toBe("high");
		expect(late.seq).toBe(15);
	});

	it("settles on one of two runs started in the same millisecond, whatever the order of their events", () => {
		const runA = { workflow_id: "wA", started_at: at(40), company_id: CO };
		const runB = { workflow_id: "wB", started_at: at(40), company_id: CO };
		const events = (run: typeof runA, first: number): OverviewEntry[] => [
			{ seq: first, action: "orchestrator.workflow.started", at: at(40), company_id: CO, payload: { ...run, trigger: "statements", steps: ["analysis"] } },
			{ seq: first + 1, action: "orchestrator.step.succeeded", at: at(41), company_id: CO, payload: { ...run, step: "analysis", attempts: 1 } },
			{ seq: first + 2, action: "orchestrator.workflow.completed", at: at(42), company_id: CO, payload: { ...run, steps: ["analysis"] } },
		];
		const [a, b] = [events(runA, 1), events(runB, 4)];
		// interleaved both ways: the same run (wB) shown, completed
		for (const order of [
			[a[0], b[0], a[1], b[1], a[2], b[2]],
			[b[0], a[0], b[1], a[1], b[2], a[2]],
		]) {
			const folded = foldEntries(
				emptyOverview(CO),
				order.map((e, i) => ({ ...e, seq: i + 1 })),
			);
			expect(folded.workflow).toMatchObject({ id: "wB", state: "succeeded", steps: { analysis: { state: "succeeded" } } });
		}
	});

	it("keeps a deleted company deleted", () => {
		const deleted = foldEntries(emptyOverview(CO), [
			...trail,
			{ seq: 12, action: "companies.deleted", at: at(30), company_id: CO, payload: { company: { id: CO, name: "Works", industry: "manufacturing" } } },
			{ seq: 13, action: "finance.statement.deleted", at: at(31), company_id: CO, payload: { statement: { company_id: CO, period_end: "2023-12-31" } } },
		]);
		expect(deleted).toMatchObject({ deleted: true, company: null, analysis: null, plans: {}, seq: 13 });
	});
});
