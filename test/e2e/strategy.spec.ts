/**
 * Strategic plans through HTTP: market analysis checks, OKR scores from check-ins (with their history),
 * overdue actions, the status workflow (invalid moves 409, approval by a domain_admin only), scoping.
 */
import fs from "fs";
import path from "path";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let domainAdmin: string;
let viewer: string;
let outsider: string;
let companyId: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "plan-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	domainAdmin = (await platform.createUser(admin, { username: "plan-admin", role: "domain_admin", domains: ["manufacturing"] })).token;
	viewer = (await platform.createUser(admin, { username: "plan-viewer", role: "viewer", domains: ["manufacturing"] })).token;
	outsider = (await platform.createUser(admin, { username: "plan-outsider", role: "domain_admin", domains: ["technology"] })).token;
	companyId = (await platform.request("POST", "/companies", { token: admin, body: { name: "Planned Works", industry: "manufacturing" } })).body.id;
});
afterAll(() => platform.stop());

const plan = {
	title: "2027 plan",
	market_analysis: {
		tam: 1_000_000,
		sam: 200_000,
		som: 20_000,
		growth_rate: 0.06,
		five_forces: { competitive_rivalry: { rating: "high", factors: ["three national producers"] }, buyer_power: { rating: "medium" } },
		competitors: [{ name: "Rival Steel", market_share: 0.3 }],
	},
	objectives: [
		{
			title: "Fix the balance sheet",
			key_results: [
				{ description: "debt to equity", start: 2, target: 1 },
				{ description: "current ratio", start: 1, target: 1.5, weight: 2 },
			],
		},
	],
	action_plan: [
		{ title: "Refinance the term loan", owner: "CFO", due_date: "2020-06-30", objective_id: "o1" },
		{ title: "Sell the idle plant", owner: "COO", due_date: "2099-01-01" },
	],
};

describe("strategic plans", () => {
	let planId: string;

	it("are drafted by an analyst, with OKRs scored and overdue actions flagged", async () => {
		const res = await platform.request("POST", `/companies/${companyId}/strategic-plans`, { token: analyst, body: plan });
		expect(res.status).toBe(201);
		expect(res.headers.get("location")).toBe(`/api/v1/strategic-plans/${res.body.id}`);
		planId = res.body.id;
		expect(res.body).toMatchObject({ status: "draft", created_by: "plan-analyst", next_statuses: ["under_review", "archived"] });
		expect(res.body.objectives[0]).toMatchObject({ id: "o1", score: 0, grade: "red" });
		expect(res.body.objectives[0].key_results.map((k: { id: string; current: number }) => [k.id, k.current])).toEqual([
			["kr1", 2],
			["kr2", 1],
		]);
		expect(res.body.action_plan.map((a: { overdue: boolean }) => a.overdue)).toEqual([true, false]);
		expect(res.body.summary).toMatchObject({ open_actions: 2, overdue_actions: 1 });
	});

	it("refuse a market analysis where SAM exceeds TAM, and an action linked to no objective (422)", async () => {
		const bad = await platform.request("POST", `/companies/${companyId}/strategic-plans`, { token: analyst, body: { ...plan, market_analysis: { tam: 100, sam: 500 } } });
		expect(bad.status).toBe(422);
		expect(bad.body.data.map((d: { field: string }) => d.field)).toContain("market_analysis.sam");
		const orphan = await platform.request("POST", `/companies/${companyId}/strategic-plans`, {
			token: analyst,
			body: { title: "x", action_plan: [{ title: "t", owner: "o", objective_id: "o9" }] },
		});
		expect(orphan.status).toBe(422);
		expect(orphan.body.message).toMatch(/names objective 'o9'/);
	});

	it("score objectives from check-ins, keeping their history", async () => {
		await platform.request("POST", `/strategic-plans/${planId}/objectives/o1/key-results/kr1/check-ins`, { token: analyst, body: { value: 1.6, note: "Q1" } });
		const res = await platform.request("POST", `/strategic-plans/${planId}/objectives/o1/key-results/kr2/check-ins`, { token: analyst, body: { value: 1.5 } });
		expect(res.status).toBe(201);
		// kr1: (1.6 − 2) / (1 − 2) = 0.4; kr2: 1.0 with weight 2 → (0.4 + 2) / 3 = 0.8 → green
		expect(res.body.objectives[0]).toMatchObject({ score: 0.8, grade: "green" });
		const kr1 = res.body.objectives[0].key_results[0];
		expect(kr1).toMatchObject({ current: 1.6, progress: 0.4, check_ins: [{ value: 1.6, note: "Q1", by: "plan-analyst" }] });
		expect((await platform.request("POST", `/strategic-plans/${planId}/objectives/o1/key-results/kr9/check-ins`, { token: analyst, body: { value: 1 } })).status).toBe(404);
	});

	it("move through the workflow: submitted by an analyst, approved by a domain_admin only; invalid moves are 409", async () => {
		const move = (token: string, to: string) => platform.request("POST", `/strategic-plans/${planId}/transitions`, { token, body: { to, reason: `to ${to}` } });
		const skip = await move(domainAdmin, "approved");
		expect(skip.status).toBe(409);
		expect(skip.body.data).toEqual({ status: "draft", allowed: ["under_review", "archived"] });
		expect((await move(viewer, "under_review")).status).toBe(403);
		expect((await move(analyst, "under_review")).status).toBe(200);
		const selfApproval = await move(analyst, "approved");
		expect(selfApproval.status).toBe(403);
		expect(selfApproval.body.message).toMatch(/needs a domain_admin/);
		// under review, the plan is not edited
		expect((await platform.request("PATCH", `/strategic-plans/${planId}`, { token: analyst, body: { title: "changed" } })).status).toBe(409);
		expect((await move(domainAdmin, "approved")).status).toBe(200);
		const active = await move(domainAdmin, "active");
		expect(active.body).toMatchObject({ status: "active", next_statuses: ["completed", "archived"] });
		expect(active.body.transitions.map((t: { from: string; to: string; by: string }) => [t.from, t.to, t.by])).toEqual([
			["draft", "under_review", "plan-analyst"],
			["under_review", "approved", "plan-admin"],
			["approved", "active", "plan-admin"],
		]);
		expect((await move(domainAdmin, "draft")).status).toBe(409);
	});

	it("are listed per company and hidden from other domains", async () => {
		const list = (await platform.request("GET", `/companies/${companyId}/strategic-plans?status=active`, { token: viewer })).body;
		expect(list.rows.map((p: { id: string }) => p.id)).toEqual([planId]);
		expect((await platform.request("GET", `/strategic-plans/${planId}`, { token: outsider })).status).toBe(404);
		expect((await platform.request("GET", `/companies/${companyId}/strategic-plans`, { token: outsider })).status).toBe(404);
	});
});

describe("a SWOT drafted from the company's figures", () => {
	let teslaId: string;

	beforeAll(async () => {
		teslaId = (await platform.request("POST", "/companies", { token: admin, body: { name: "Tesla, Inc.", industry: "manufacturing", ticker: "TSLA", cik: "1318605" } })).body
			.id;
		const doc = fs.readFileSync(path.join(__dirname, "..", "..", "data", "sec-companyfacts", "tesla.json"), "utf8");
		expect((await platform.request("POST", `/companies/${teslaId}/import/sec`, { token: analyst, rawBody: doc })).status).toBe(200);
		// a peer, so the benchmark has a median to compare with
		const peer = (await platform.request("POST", "/companies", { token: admin, body: { name: "Peer Motors", industry: "manufacturing" } })).body.id;
		await platform.request("POST", `/companies/${peer}/statements`, { token: analyst, body: annualStatement("2021-12-31") });
		await platform.request("POST", `/companies/${teslaId}/risk-assessments`, {
			token: analyst,
			body: { risk_type: "operational", title: "Battery supply", likelihood: 5, impact: 5 },
		});
	}, 60_000);

	it("states for every item its evidence, which traces to the company's analysis", async () => {
		const analysis = (await platform.request("GET", `/companies/${teslaId}/analysis`, { token: analyst })).body;
		const res = await platform.request("POST", `/companies/${teslaId}/strategic-plans/draft`, {
			token: analyst,
			body: {
				market_analysis: {
					tam: 3_000_000,
					sam: 800_000,
					som: 80_000,
					growth_rate: 0.12,
					five_forces: { threat_of_new_entry: { rating: "low", factors: ["capital intensity"] } },
				},
			},
		});
		expect(res.status).toBe(201);
		const plan = res.body;
		expect(plan).toMatchObject({ status: "draft", drafted_from: { analysis_period: analysis.period_end, missing: [] } });
		const all = [...plan.swot_analysis.strengths, ...plan.swot_analysis.weaknesses, ...plan.swot_analysis.opportunities, ...plan.swot_analysis.threats];
		expect(all.length).toBeGreaterThan(3);
		for (const item of all)
			expect(item).toMatchObject({
				title: expect.any(String),
				impact: expect.stringMatching(/^(low|medium|high)$/),
				evidence: { source: expect.any(String), metric: expect.any(String) },
			});
		// a benchmark item carries Tesla's ratio and the peers' median, as the analysis has them
		const benchmarked = all.filter((i: { evidence: { source: string } }) => i.evidence.source === "benchmark");
		expect(benchmarked.length).toBeGreaterThan(0);
		for (const item of benchmarked) {
			const entry = analysis.benchmark.ratios[item.evidence.metric];
			expect(item.evidence).toMatchObject({ value: entry.value, benchmark: entry.median, period: analysis.period_end });
		}
		// the Altman item carries the analysis's score and zone edges
		const altman = all.find((i: { evidence: { metric: string } }) => i.evidence.metric.startsWith("altman."));
		expect(altman.evidence.value).toBe(analysis.scores.altman[analysis.scores.altman.primary]);
		// the manual risk at 5 × 5 is a threat; the growing market and the low threat of entry are opportunities
		expect(plan.swot_analysis.threats.map((t: { evidence: { metric: string } }) => t.evidence.metric)).toContain("risk.operational");
		expect(plan.swot_analysis.opportunities.map((o: { evidence: { metric: string } }) => o.evidence.metric)).toEqual(
			expect.arrayContaining(["market.growth_rate", "market.som_share_of_sam", "five_forces.threat_of_new_entry"]),
		);
	});

	it("changes with the figures: a restated statement gives another draft", async () => {
		const first = (await platform.request("POST", `/companies/${teslaId}/strategic-plans/draft`, { token: analyst, body: {} })).body;
		const latest = (await platform.request("GET", `/companies/${teslaId}/statements?statement_type=annual&page_size=1`, { token: analyst })).body.rows[0];
		await platform.request("PATCH", `/statements/${latest.id}`, { token: analyst, body: { income_statement: { net_income: -latest.income_statement.net_income * 3 } } });
		const second = (await platform.request("POST", `/companies/${teslaId}/strategic-plans/draft`, { token: analyst, body: {} })).body;
		const netMargin = (p: { swot_analysis: Record<string, Array<{ evidence: { metric: string; value: number } }>> }) =>
			Object.values(p.swot_analysis)
				.flat()
				.find(i => i.evidence.metric === "profitability.net_margin");
		expect(netMargin(second)?.evidence.value).not.toBe(netMargin(first)?.evidence.value);
		expect(second.swot_analysis.weaknesses.map((w: { evidence: { metric: string } }) => w.evidence.metric)).toContain("profitability.net_margin");
	});
});

describe("key results bound to the company's figures", () => {
	it("start from the figure and check themselves in from every new statement", async () => {
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Bound Works", industry: "manufacturing" } })).body.id;
		// net margin 270 / 2000 = 0.135
		await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2023-12-31") });
		const created = await platform.request("POST", `/companies/${co}/strategic-plans`, {
			token: analyst,
			body: {
				title: "Margins",
				objectives: [
					{
						title: "Profitable growth",
						key_results: [{ description: "net margin", start: 0.1, target: 0.2, binding: { kind: "ratio", metric: "profitability.net_margin" } }],
					},
				],
			},
		});
		expect(created.status).toBe(201);
		const kr = created.body.objectives[0].key_results[0];
		expect(kr.current).toBeCloseTo(0.135);
		expect(kr.progress).toBeCloseTo(0.35);
		expect(kr.check_ins[0]).toMatchObject({ by: "system", note: "from analysis profitability.net_margin (2023-12-31)" });

		// the next year's statement: net margin 400 / 2000 = 0.2, the target
		await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2024-12-31", { net_income: 400 }) });
		const plan = await eventually(
			"the key result checked in by itself",
			async () => (await platform.request("GET", `/strategic-plans/${created.body.id}`, { token: analyst })).body,
			p => p.objectives[0].key_results[0].check_ins.length === 2,
		);
		expect(plan.objectives[0]).toMatchObject({ score: 1, grade: "green" });
		expect(plan.objectives[0].key_results[0].check_ins[1]).toMatchObject({ value: 0.2, by: "system", note: "from analysis profitability.net_margin (2024-12-31)" });
	});

	it("refuse a binding of an unknown kind (422)", async () => {
		const res = await platform.request("POST", `/companies/${companyId}/strategic-plans`, {
			token: analyst,
			body: { title: "x", objectives: [{ title: "o", key_results: [{ description: "d", start: 0, target: 1, binding: { kind: "mood", metric: "x" } }] }] },
		});
		expect(res.status).toBe(422);
		expect(res.body.data[0].field).toMatch(/binding\.kind/);
	});
});
