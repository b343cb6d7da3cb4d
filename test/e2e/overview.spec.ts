/**
 * The company overview through HTTP: posting a statement runs the whole company review, and the overview
 * shows it (the analysis highlights, risk level, compliance status per regulation, plans and open actions),
 * each figure the same as the service that owns it answers; it follows later events, is served from the
 * cache, and folding the company's audit trail again from nothing gives the same overview.
 */
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let domainAdmin: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "overview-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	domainAdmin = (await platform.createUser(admin, { username: "overview-admin", role: "domain_admin", domains: ["manufacturing"] })).token;
	outsider = (await platform.createUser(admin, { username: "overview-outsider", role: "domain_admin", domains: ["technology"] })).token;
});
afterAll(() => platform.stop());

const overview = async (companyId: string, token = analyst) => (await platform.request("GET", `/companies/${companyId}/overview`, { token })).body;

describe("the company overview", () => {
	let co: string;
	let planId: string;

	it("shows the whole company review a posted statement ran, with the figures the services answer", async () => {
		co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Overseen Works", industry: "manufacturing" } })).body.id;
		// before anything is folded in: the company, nothing else
		expect(await overview(co)).toMatchObject({ company_id: co, company: { name: "Overseen Works", industry: "manufacturing" }, analysis: null, workflow: null });
		await platform.request("POST", `/companies/${co}/compliance/evaluate`, { token: analyst, body: { regulation_type: "iso_9001" } });
		const plan = await platform.request("POST", `/companies/${co}/strategic-plans`, {
			token: analyst,
			body: {
				title: "Turnaround",
				action_plan: [
					{ title: "Refinance the term loan", owner: "CFO", due_date: "2020-06-30" },
					{ title: "Sell the idle plant", owner: "COO", due_date: "2099-01-01" },
				],
			},
		});
		planId = plan.body.id;
		await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2022-12-31", { revenue: 1800 }) });
		await eventually(
			"the first review",
			() => platform.request("GET", `/workflows?company_id=${co}`, { token: analyst }),
			r => r.body.rows[0]?.state === "succeeded",
			300,
			50,
		);
		await platform.request("POST", `/companies/${co}/statements`, { token: analyst, body: annualStatement("2023-12-31") });

		const seen = await eventually(
			"the second review in the overview",
			() => overview(co),
			o => o.workflow?.state === "succeeded" && o.analysis?.period_end === "2023-12-31" && o.plans.rows.some((p: { review?: boolean }) => p.review),
			300,
			50,
		);
		const workflows = (await platform.request("GET", `/workflows?company_id=${co}`, { token: analyst })).body.rows;
		expect(workflows).toHaveLength(2);
		expect(seen.workflow).toMatchObject({
			id: workflows[0].id,
			state: "succeeded",
			trigger: "statements",
			steps: { analysis: { state: "succeeded" }, risk: { state: "succeeded" }, compliance: { state: "succeeded" }, swot: { state: "succeeded" } },
		});
		expect(seen.statements.latest_period_end).toBe("2023-12-31");

		const analysis = (await platform.request("GET", `/companies/${co}/analysis`, { token: analyst })).body;
		expect(seen.analysis).toMatchObject({
			period_end: "2023-12-31",
			altman: { variant: analysis.scores.altman.primary, z: analysis.scores.altman[analysis.scores.altman.primary], zone: analysis.scores.altman.zone },
			piotroski: { score: analysis.scores.piotroski.score, of: analysis.scores.piotroski.signals_available },
			ratios: { current_ratio: analysis.ratios.liquidity.current_ratio, net_margin: analysis.ratios.profitability.net_margin },
		});
		expect(seen.analysis.revenue_growth).toEqual({ period_end: "2023-12-31", value: expect.closeTo(2000 / 1800 - 1, 6) });

		const risks = (await platform.request("GET", `/companies/${co}/risk-assessments?page_size=100`, { token: analyst })).body.rows;
		expect(seen.risk.assessments.map((a: { risk_type: string; level: string }) => [a.risk_type, a.level]).sort()).toEqual(
			risks.map((a: { risk_type: string; level: string }) => [a.risk_type, a.level]).sort(),
		);
		const ranks = ["low", "medium", "high", "critical"];
		expect(seen.risk.level).toBe(ranks[Math.max(...risks.map((a: { level: string }) => ranks.indexOf(a.level)))]);

		const records = (await platform.request("GET", `/companies/${co}/compliance-records`, { token: analyst })).body.rows;
		expect(seen.compliance.regulations.iso_9001.status).toBe(records.find((r: { regulation_type: string }) => r.regulation_type === "iso_9001").compliance_status);
		expect(seen.compliance.status).toBe(seen.compliance.regulations.iso_9001.status);

		expect(seen.plans.by_status).toEqual({ draft: 2 });
		expect(seen.plans.open_actions.map((a: { title: string; overdue: boolean; plan_id: string }) => [a.title, a.overdue, a.plan_id])).toEqual([
			["Refinance the term loan", true, planId],
			["Sell the idle plant", false, planId],
		]);
		expect(seen.plans.overdue_actions).toBe(1);
	});

	it("follows the events after it: a plan submitted for review", async () => {
		expect((await platform.request("POST", `/strategic-plans/${planId}/transitions`, { token: analyst, body: { to: "under_review" } })).status).toBe(200);
		const seen = await eventually(
			"the transition in the overview",
			() => overview(co),
			o => o.plans.by_status.under_review === 1,
		);
		expect(seen.plans.rows.find((p: { id: string }) => p.id === planId)).toMatchObject({ status: "under_review", open_actions: 2 });
	});

	it("is answered from the cache, cleaned when the overview moves", async () => {
		const cacher = platform.broker.cacher!;
		const key = `overview.projection:"${co}"`; // Moleculer keys a string param by its JSON
		// once the trail is quiet, a read leaves the stored overview in the cache
		const cached = await eventually(
			"the overview cached",
			async () => (await overview(co), await cacher.get(key)),
			value => value != null,
		);
		expect(cached).toMatchObject({ company_id: co, plans: { [planId]: { status: "under_review" } } });
		const before = cached as { compliance: { iso_9001: { assessed_at: string } } };
		expect((await platform.request("POST", `/companies/${co}/compliance/evaluate`, { token: analyst, body: { regulation_type: "iso_9001" } })).status).toBe(200);
		await eventually(
			"the cached overview cleaned",
			() => cacher.get(key),
			value => value == null,
		);
		const after = await overview(co);
		expect(after.compliance.regulations.iso_9001.assessed_at > before.compliance.iso_9001.assessed_at).toBe(true);
	});

	it("is the same when folded again from the company's audit trail, from nothing", async () => {
		const live = await overview(co);
		const rebuilt = await platform.request("POST", `/companies/${co}/overview/rebuild`, { token: domainAdmin });
		expect(rebuilt.status).toBe(200);
		expect(rebuilt.body.entries_folded).toBeGreaterThan(10);
		expect(rebuilt.body.overview).toEqual(live);
		expect(await overview(co)).toEqual(live);
	});

	it("is readable within the caller's domains only; rebuilding is an admin's", async () => {
		expect((await platform.request("GET", `/companies/${co}/overview`, { token: outsider })).status).toBe(404);
		expect((await platform.request("POST", `/companies/${co}/overview/rebuild`, { token: outsider })).status).toBe(404);
		expect((await platform.request("POST", `/companies/${co}/overview/rebuild`, { token: analyst })).status).toBe(403);
		expect((await platform.request("GET", `/companies/${co}/overview`)).status).toBe(401);
	});

	it("comes for many companies in one call, each as it comes alone, only those the caller may see", async () => {
		const tech = (await platform.request("POST", "/companies", { token: admin, body: { name: "Elsewhere Tech", industry: "technology" } })).body.id;
		const both = (await platform.request("GET", `/overviews?company_ids=${co},${tech},nosuchcompany`, { token: analyst })).body;
		expect(both.rows).toEqual([await overview(co)]);
		expect(both.not_found).toEqual([tech, "nosuchcompany"]);
		expect((await platform.request("GET", `/overviews?company_ids=${co},${tech}`, { token: admin })).body.rows.map((o: { company_id: string }) => o.company_id)).toEqual([
			co,
			tech,
		]);
		const tooMany = await platform.request("GET", `/overviews?company_ids=${Array.from({ length: 101 }, (_, i) => `c${i}`).join(",")}`, { token: analyst });
		expect(tooMany.status).toBe(422);
		expect(tooMany.body.message).toBe("At most 100 companies per call");
		expect((await platform.request("GET", "/overviews?company_ids=a;b", { token: analyst })).status).toBe(422);
	});
});
