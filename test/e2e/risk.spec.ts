/**
 * Risk through HTTP: automatic financial assessments that explain themselves and follow the statements by
 * themselves; manual risks on the 5×5 grid with treatment and acceptance; the matrix; scoping and roles.
 */
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let viewer: string;
let domainAdmin: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "risk-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	viewer = (await platform.createUser(admin, { username: "risk-viewer", role: "viewer", domains: ["manufacturing"] })).token;
	domainAdmin = (await platform.createUser(admin, { username: "risk-admin", role: "domain_admin", domains: ["manufacturing"] })).token;
	outsider = (await platform.createUser(admin, { username: "risk-outsider", role: "analyst", domains: ["technology"] })).token;
});
afterAll(() => platform.stop());

const company = async (body: object) => (await platform.request("POST", "/companies", { token: admin, body })).body as { id: string };
const creditScore = async (id: string) => {
	const rows = (await platform.request("GET", `/companies/${id}/risk-assessments?method=automatic`, { token: viewer })).body.rows as Array<{
		risk_type: string;
		risk_score: number;
	}>;
	return rows.find(r => r.risk_type === "credit_distress")?.risk_score;
};

describe("automatic financial assessments", () => {
	it("score the analysis with factors that explain the score, and follow a deteriorating statement by themselves", async () => {
		const co = await company({ name: "Risky Works", industry: "manufacturing" });
		const created = (await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: annualStatement("2023-12-31") })).body;
		const res = await platform.request("POST", `/companies/${co.id}/risk-assessments/auto`, { token: analyst });
		expect(res.status).toBe(200);
		expect(res.body.rows.map((r: { risk_type: string }) => r.risk_type)).toEqual(["credit_distress", "liquidity", "leverage", "profitability"]);
		const liquidity = res.body.rows[1];
		expect(liquidity).toMatchObject({ method: "automatic", period_end: "2023-12-31" });
		// current ratio 500 / 250 = 2.0: exactly the safe level, no risk from it
		expect(liquidity.risk_factors[0]).toMatchObject({ name: "current_ratio", value: 2, weight: 0.4, factor_score: 0, contribution: 0 });
		const before = await creditScore(co.id);

		// the statement deteriorates: losses, no retained earnings; the assessment follows without a call
		await platform.request("PATCH", `/statements/${created.id}`, {
			token: analyst,
			body: { income_statement: { operating_income: -200, net_income: -400 }, balance_sheet: { retained_earnings: -500, total_current_assets: 260 } },
		});
		const after = await eventually(
			"credit/distress re-scored",
			() => creditScore(co.id),
			s => s !== before,
		);
		// the four are written one after the other: wait for the last (profitability) too
		await eventually(
			"profitability re-scored",
			async () =>
				(await platform.request("GET", `/companies/${co.id}/risk-assessments?method=automatic&risk_type=profitability`, { token: viewer })).body.rows[0]?.risk_score,
			score => score === 100,
		);
		expect(after).toBeGreaterThan(before!);
		// on the default matrix (impact bands: shares of equity) the automatic risks land by score and exposure
		const view = (await platform.request("GET", `/companies/${co.id}/risk-matrix`, { token: viewer })).body;
		const rows = (await platform.request("GET", `/companies/${co.id}/risk-assessments?method=automatic`, { token: viewer })).body.rows;
		const credit = rows.find((r: { risk_type: string }) => r.risk_type === "credit_distress");
		expect(credit.exposure).toEqual({ formula: "total_liabilities", value: 700 });
		expect(credit.measures.equity).toBe(800);
		const placed = view.automatic.flat().reduce((a: number, b: number) => a + b, 0);
		expect(placed).toBe(3); // leverage has no debt figures: not placed
		// credit/distress (700 / 800 of equity) and profitability (the 400 loss, 400 / 800) both beyond 25 %
		expect(rows.find((r: { risk_type: string }) => r.risk_type === "profitability")).toMatchObject({ risk_score: 100, exposure: { value: 400 } });
		expect(view.automatic[Math.min(4, Math.floor(credit.risk_score / 20))][4]).toBe(2);
	});
});

describe("manual risks", () => {
	let co: { id: string };
	beforeAll(async () => {
		co = await company({ name: "Grid Works", industry: "manufacturing" });
	});

	it("sit on the 5×5 grid, inherent and residual, with a treatment and an owner; the matrix counts them", async () => {
		const res = await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
			token: analyst,
			body: {
				risk_type: "operational",
				title: "Single supplier for castings",
				likelihood: 4,
				impact: 4,
				residual_likelihood: 2,
				residual_impact: 4,
				mitigation_strategies: ["qualify a second supplier"],
				treatment: { strategy: "mitigate", owner: "Head of procurement", due_date: "2026-06-30" },
			},
		});
		expect(res.status).toBe(201);
		expect(res.headers.get("location")).toBe(`/api/v1/risk-assessments/${res.body.id}`);
		expect(res.body).toMatchObject({ method: "manual", inherent: { level: "high" }, residual: { likelihood: 2, impact: 4, level: "medium" }, risk_score: 32, level: "medium" });
		const higher = await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
			token: analyst,
			body: { risk_type: "strategic", title: "x", likelihood: 2, impact: 2, residual_likelihood: 3 },
		});
		expect(higher.status).toBe(422);
		expect(higher.body.data[0].field).toBe("residual_likelihood");
		const matrix = (await platform.request("GET", `/companies/${co.id}/risk-matrix`, { token: viewer })).body;
		expect(matrix.residual[1][3]).toBe(1); // likelihood 2, impact 4
		expect(matrix.inherent[3][3]).toBe(1);
		expect(matrix.levels[4][4]).toBe("critical");
	});

	it("a domain_admin accepts a residual risk until a date; a viewer or analyst cannot; a higher residual level revokes it", async () => {
		const risk = (
			await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
				token: analyst,
				body: { risk_type: "strategic", title: "New entrant", likelihood: 3, impact: 3 },
			})
		).body;
		const body = { rationale: "Within appetite for 2026", expires_at: "2099-01-01T00:00:00Z" };
		expect((await platform.request("POST", `/risk-assessments/${risk.id}/accept`, { token: viewer, body })).status).toBe(403);
		expect((await platform.request("POST", `/risk-assessments/${risk.id}/accept`, { token: analyst, body })).status).toBe(403);
		const accepted = await platform.request("POST", `/risk-assessments/${risk.id}/accept`, { token: domainAdmin, body });
		expect(accepted.status).toBe(200);
		expect(accepted.body.acceptance).toMatchObject({ status: "active", approved: { residual_likelihood: 3, residual_impact: 3, level: "medium" } });
		expect(accepted.body.treatment.strategy).toBe("accept");
		const worse = await platform.request("PATCH", `/risk-assessments/${risk.id}`, {
			token: analyst,
			body: { likelihood: 5, impact: 4, residual_likelihood: 5, residual_impact: 4 },
		});
		expect(worse.body.acceptance).toMatchObject({ status: "revoked", reason: "the residual level rose from medium to critical" });
		expect((await platform.request("POST", `/risk-assessments/${risk.id}/accept`, { token: domainAdmin, body: { ...body, expires_at: "2001-01-01T00:00:00Z" } })).status).toBe(
			422,
		);
	});

	it("an acceptance may hold until a KPI breaches a tier of the company's appetite, and is revoked by itself when it does", async () => {
		const plant = await company({ name: "Safety Works", industry: "manufacturing" });
		const incidents = (n: number) =>
			platform.request("POST", `/companies/${plant.id}/operational-metrics`, {
				token: analyst,
				body: { period_end: "2024-12-31", metrics: { recordable_incidents: n, hours_worked: 400_000 } },
			});
		await incidents(2); // TRIR 2 × 200,000 / 400,000 = 1
		expect(
			(
				await platform.request("PUT", `/companies/${plant.id}/kpi-appetite/trir`, {
					token: domainAdmin,
					body: { regulatory_minimum: 5, internal_limit: 4, early_warning: 3 },
				})
			).status,
		).toBe(200);
		const risk = (
			await platform.request("POST", `/companies/${plant.id}/risk-assessments`, {
				token: analyst,
				body: { risk_type: "operational", title: "Forklift traffic", likelihood: 3, impact: 3 },
			})
		).body;
		const accepted = await platform.request("POST", `/risk-assessments/${risk.id}/accept`, {
			token: domainAdmin,
			body: { rationale: "Accepted while injuries stay within our limit", expires_at: "2099-01-01T00:00:00Z", until_kpi: { kpi: "trir", tier: "internal_limit" } },
		});
		expect(accepted.body.acceptance).toMatchObject({ status: "active", until_kpi: { kpi: "trir", tier: "internal_limit" } });
		await incidents(9); // TRIR 4.5: beyond the internal limit of 4
		const after = (await platform.request("GET", `/risk-assessments/${risk.id}`, { token: viewer })).body;
		expect(after.acceptance).toMatchObject({ status: "revoked", reason: "trir breached its internal_limit (4.5)" });
	});

	it("scoping and roles as everywhere", async () => {
		const risk = (
			await platform.request("POST", `/companies/${co.id}/risk-assessments`, { token: analyst, body: { risk_type: "cyber", title: "Ransomware", likelihood: 3, impact: 5 } })
		).body;
		expect((await platform.request("GET", `/risk-assessments/${risk.id}`, { token: outsider })).status).toBe(404);
		expect((await platform.request("GET", `/companies/${co.id}/risk-matrix`, { token: outsider })).status).toBe(404);
		expect(
			(await platform.request("POST", `/companies/${co.id}/risk-assessments`, { token: viewer, body: { risk_type: "cyber", title: "x", likelihood: 1, impact: 1 } })).status,
		).toBe(403);
		expect((await platform.request("GET", `/risk-assessments/${risk.id}`, { token: viewer })).body.title).toBe("Ransomware");
		// lists are paged as everywhere: {rows, total, page, page_size, total_pages}
		const page = (await platform.request("GET", `/companies/${co.id}/risk-assessments?page_size=1&sort=-assessed_at`, { token: viewer })).body;
		expect(page).toMatchObject({ page: 1, page_size: 1, total: expect.any(Number), total_pages: page.total });
		expect(page.rows).toHaveLength(1);
		expect((await platform.request("GET", `/companies/${co.id}/risk-assessments?sort=colour`, { token: viewer })).status).toBe(422);
	});
});

describe("the officer's portfolio view", () => {
	it("lists every company in the caller's domains with its risks by level, worst first, paged", async () => {
		const calm = await company({ name: "Calm Works", industry: "manufacturing" });
		const hot = await company({ name: "Hot Works", industry: "manufacturing" });
		const hidden = await company({ name: "Hidden Tech", industry: "technology" });
		const post = (id: string, likelihood: number, impact: number) =>
			platform.request("POST", `/companies/${id}/risk-assessments`, {
				token: admin,
				body: { risk_type: "operational", title: `L${likelihood} I${impact}`, likelihood, impact },
			});
		await post(calm.id, 1, 2);
		await post(hot.id, 5, 5);
		await post(hot.id, 2, 2);
		await post(hidden.id, 5, 5);
		const res = await platform.request("GET", "/risk/summary?page_size=100", { token: viewer });
		expect(res.status).toBe(200);
		const names = res.body.rows.map((r: { name: string }) => r.name);
		expect(names).not.toContain("Hidden Tech");
		expect(names.indexOf("Hot Works")).toBeLessThan(names.indexOf("Calm Works"));
		expect(res.body.rows[0]).toMatchObject({ worst_level: "critical", worst_score: 100 });
		const hotRow = res.body.rows.find((r: { name: string }) => r.name === "Hot Works");
		expect(hotRow).toMatchObject({ assessments: 2, by_level: { critical: 1, low: 1 } });
		// what each figure counts: companies by their worst risk, assessments by theirs; none is not_assessed
		expect(res.body.companies_by_level.critical).toBeGreaterThanOrEqual(1);
		expect(res.body.assessments_by_level.critical).toBeGreaterThanOrEqual(1);
		expect(Object.values(res.body.companies_by_level as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(res.body.companies);
		expect(Object.values(res.body.assessments_by_level as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(res.body.assessments);
		const bare = await company({ name: "Bare Works", industry: "manufacturing" });
		const after = (await platform.request("GET", "/risk/summary?page_size=100", { token: viewer })).body;
		expect(after.rows.find((r: { company_id: string }) => r.company_id === bare.id)).toMatchObject({ assessments: 0, worst_level: "not_assessed", worst_score: null });
		const firstPage = (await platform.request("GET", "/risk/summary?page_size=1", { token: viewer })).body;
		expect(firstPage).toMatchObject({ page: 1, page_size: 1, total: after.total });
		expect(firstPage.rows).toHaveLength(1);
	});
});

describe("risk matrices as data", () => {
	const library = [
		"urn: urn:example:risk:library:three",
		"name: Three by three",
		"objects:",
		"  risk_matrix:",
		"    - urn: urn:example:risk:matrix:three",
		"      name: three by three",
		"      probability: [{ name: Low }, { name: Medium }, { name: High }]",
		"      impact: [{ name: Low }, { name: Medium }, { name: High }]",
		"      risk: [{ name: Acceptable }, { name: Tolerable }, { name: Unacceptable }]",
		"      grid: [[0, 0, 1], [0, 1, 2], [1, 2, 2]]",
	].join("\n");

	it("a domain_admin imports a CISO Assistant library; assessments on it take its levels; the matrix view counts them", async () => {
		expect((await platform.request("POST", "/risk-matrices", { token: analyst, body: { content: library } })).status).toBe(403);
		const bad = await platform.request("POST", "/risk-matrices", { token: domainAdmin, body: { content: library.replace("[1, 2, 2]", "[1, 2]") } });
		expect(bad.status).toBe(422);
		expect(bad.body.data[0].field).toBe("objects.risk_matrix[0].grid[2]");
		const imported = await platform.request("POST", "/risk-matrices", { token: domainAdmin, body: { content: library } });
		expect(imported.body.imported).toEqual([{ urn: "urn:example:risk:matrix:three", name: "three by three", domain: "manufacturing", size: "3×3" }]);
		expect((await platform.request("GET", "/risk-matrices", { token: viewer })).body.rows.map((m: { urn: string }) => m.urn)).toEqual([
			"urn:bizops:risk:matrix:default-5x5",
			"urn:example:risk:matrix:three",
		]);
		const co = await company({ name: "Matrix Works", industry: "manufacturing" });
		const risk = await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
			token: analyst,
			body: { risk_type: "operational", title: "Press failure", matrix: "urn:example:risk:matrix:three", likelihood: 3, impact: 2 },
		});
		expect(risk.body).toMatchObject({ matrix: "urn:example:risk:matrix:three", level: "Unacceptable", residual: { likelihood: 3, impact: 2, level_index: 2 } });
		const outside = await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
			token: analyst,
			body: { risk_type: "operational", title: "x", matrix: "urn:example:risk:matrix:three", likelihood: 4, impact: 1 },
		});
		expect(outside.status).toBe(422);
		expect(outside.body.data[0].field).toBe("likelihood");
		const view = (await platform.request("GET", `/companies/${co.id}/risk-matrix?matrix=urn:example:risk:matrix:three`, { token: viewer })).body;
		expect(view.residual).toEqual([
			[0, 0, 0],
			[0, 0, 0],
			[0, 1, 0],
		]);
		expect(view.levels[2][2]).toBe("Unacceptable");
		expect((await platform.request("GET", `/companies/${co.id}/risk-matrix?matrix=urn:nope:x`, { token: viewer })).status).toBe(422);
	});
});
