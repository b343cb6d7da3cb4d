/**
 * The company review: posting a statement runs analysis → risk → compliance → SWOT draft to completion, each
 * step with its state, timing and result; a step that keeps failing is retried, then fails the workflow by
 * name while the steps before keep their results; one workflow per change.
 */
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "review-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	outsider = (await platform.createUser(admin, { username: "review-outsider", role: "analyst", domains: ["technology"] })).token;
});
afterAll(() => platform.stop());

const workflows = async (companyId: string, token = analyst) => (await platform.request("GET", `/workflows?company_id=${companyId}`, { token })).body;

describe("the company review workflow", () => {
	it("runs analysis, risk, compliance and a SWOT draft after a statement is posted", async () => {
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Reviewed Works", industry: "manufacturing" } })).body.id;
		await platform.request("POST", `/companies/${co}/compliance/evaluate`, { token: analyst, body: { regulation_type: "iso_9001" } });
		await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2023-12-31") });
		const page = await eventually(
			"the review to finish",
			() => workflows(co),
			p => p.rows.length === 1 && p.rows[0].state !== "running",
			300,
			50,
		);
		const wf = page.rows[0];
		expect(wf).toMatchObject({
			type: "company_review",
			company_id: co,
			industry: "manufacturing",
			state: "succeeded",
			trigger: { source: "statements", period_end: "2023-12-31" },
		});
		expect(wf.steps.map((s: { name: string; state: string; attempts: number }) => [s.name, s.state, s.attempts])).toEqual([
			["analysis", "succeeded", 1],
			["risk", "succeeded", 1],
			["compliance", "succeeded", 1],
			["swot", "succeeded", 1],
		]);
		for (const s of wf.steps) expect(s.duration_ms).toBeGreaterThanOrEqual(0);
		expect(wf.steps[0].result).toMatchObject({ period_end: "2023-12-31", highlights: { period_end: "2023-12-31", altman: { zone: expect.any(String) } } });
		// every regulation of the industry is evaluated, not only those someone evaluated by hand (issue 21, item 6)
		const applicable = (await platform.request("GET", "/regulations?industry=manufacturing&page_size=100", { token: analyst })).body.rows.map((r: { id: string }) => r.id);
		expect(applicable.length).toBeGreaterThan(1);
		expect(wf.steps[2].result).toMatchObject({ evaluated: applicable.length });
		expect(Object.keys(wf.steps[2].result.statuses).sort()).toEqual([...applicable].sort());
		const records = (await platform.request("GET", `/companies/${co}/compliance-records?page_size=100`, { token: analyst })).body.rows;
		expect(records.map((r: { regulation_type: string }) => r.regulation_type).sort()).toEqual([...applicable].sort());
		// the SWOT step keeps one review draft per company, refreshed by each review
		const plans = (await platform.request("GET", `/companies/${co}/strategic-plans`, { token: analyst })).body;
		expect(plans.rows.filter((p: { review?: boolean }) => p.review)).toHaveLength(1);
		expect(wf.steps[3].result.plan_id).toBe(plans.rows.find((p: { review?: boolean }) => p.review).id);
		// readable one by one, and only within the caller's domains
		expect((await platform.request("GET", `/workflows/${wf.id}`, { token: analyst })).body.id).toBe(wf.id);
		expect((await platform.request("GET", `/workflows/${wf.id}`, { token: outsider })).status).toBe(404);
		expect((await platform.request("GET", `/workflows?company_id=${co}`, { token: outsider })).status).toBe(404);
		// without a company: every review of the caller's domains (the web app's operations view), none of another's
		expect((await platform.request("GET", "/workflows", { token: analyst })).body.rows.map((w: { id: string }) => w.id)).toContain(wf.id);
		expect((await platform.request("GET", "/workflows", { token: admin })).body.rows.map((w: { id: string }) => w.id)).toContain(wf.id);
		expect((await platform.request("GET", "/workflows", { token: outsider })).body.rows.map((w: { industry: string }) => w.industry)).not.toContain("manufacturing");
	});

	it("leaves the analysis with the company's name and ticker, whoever computed it first (issue 21, item 1)", async () => {
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Named Works", industry: "manufacturing", ticker: "NAMD" } })).body.id;
		await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2023-12-31") });
		// the review's steps (risk, compliance) compute the analysis first, without asking for the name
		await eventually(
			"the review to finish",
			() => workflows(co),
			p => p.rows.length === 1 && p.rows[0].state === "succeeded",
			300,
			50,
		);
		const analysis = (await platform.request("GET", `/companies/${co}/analysis`, { token: analyst })).body;
		expect(analysis.company).toMatchObject({ id: co, name: "Named Works", ticker: "NAMD", industry: "manufacturing" });
		const portfolio = (await platform.request("POST", "/analysis/portfolio", { token: analyst, body: { company_ids: [co] } })).body;
		expect(portfolio.results[0].analysis.company).toMatchObject({ name: "Named Works", ticker: "NAMD" });
		// a rename shows at once
		await platform.request("PATCH", `/companies/${co}`, { token: admin, body: { name: "Renamed Works" } });
		expect((await platform.request("GET", `/companies/${co}/analysis`, { token: analyst })).body.company.name).toBe("Renamed Works");
	});

	it("retries a failing step, then fails the workflow naming it, keeping the results before it", async () => {
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Failing Review Co", industry: "manufacturing" } })).body.id;
		// risk is down: its step cannot succeed
		const risk = platform.broker.getLocalService("risk")!;
		await platform.broker.destroyService(risk);
		try {
			await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2023-12-31") });
			const wf = (
				await eventually(
					"the review to fail",
					() => workflows(co),
					p => p.rows[0]?.state === "failed",
					300,
					50,
				)
			).rows[0];
			expect(wf.failed_step).toBe("risk");
			expect(wf.steps.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
				["analysis", "succeeded"],
				["risk", "failed"],
				["compliance", "skipped"],
				["swot", "skipped"],
			]);
			expect(wf.steps[1].attempts).toBe(3);
			expect(wf.steps[1].error).toMatch(/risk/);
			expect(wf.steps[0].result.period_end).toBe("2023-12-31");
		} finally {
			platform.broker.createService(require("../../services/risk.service").default);
		}
	});
});
