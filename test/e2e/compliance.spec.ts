/**
 * Compliance through HTTP: the catalogue, a bank's Basel III record from its own figures, re-evaluated by
 * itself when they change, attestations with evidence, scoping and roles.
 */
import { LIQUIDITY_POLICY_LIBRARY } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let viewer: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "grc-analyst", role: "analyst", domains: ["financial_services", "technology"] })).token;
	viewer = (await platform.createUser(admin, { username: "grc-viewer", role: "viewer", domains: ["financial_services"] })).token;
	outsider = (await platform.createUser(admin, { username: "grc-outsider", role: "analyst", domains: ["healthcare"] })).token;
});
afterAll(() => platform.stop());

const company = async (body: object) => (await platform.request("POST", "/companies", { token: admin, body })).body as { id: string };
const capital = (cet1: number) => ({
	cet1_capital: cet1,
	tier1_capital: 95,
	total_capital: 120,
	risk_weighted_assets: 1000,
	leverage_exposure: 2000,
	hqla: 150,
	net_cash_outflows_30d: 100,
	available_stable_funding: 110,
	required_stable_funding: 100,
});
const basel = async (companyId: string, token = viewer) => {
	const res = await platform.request("GET", `/companies/${companyId}/compliance-records`, { token });
	return res.body.rows?.find((r: { regulation_type: string }) => r.regulation_type === "basel_iii");
};

describe("the regulation catalogue", () => {
	it("lists regulations per industry, with their requirements, thresholds and sources", async () => {
		const res = await platform.request("GET", "/regulations?industry=financial_services", { token: viewer });
		expect(res.body.rows.map((r: { id: string }) => r.id)).toEqual(["basel_iii", "aml_kyc", "sox", "iso_27001", "gdpr"]);
		const cet1 = res.body.rows[0].requirements.find((r: { id: string }) => r.id === "cet1_minimum");
		expect(cet1).toMatchObject({ kind: "rule", figure: { kpi: "cet1_ratio" }, op: ">=", threshold: 0.045, full: 0.07, source: expect.stringMatching(/Basel III/) });
		expect((await platform.request("GET", "/regulations?industry=mining", { token: viewer })).status).toBe(422);
	});
});

describe("a bank's Basel III record", () => {
	it("below CET1 4.5 %: non-compliant with the violation and an earlier review; raising capital clears it without a re-run", async () => {
		const bank = await company({ name: "Thin Capital Bank", industry: "financial_services" });
		await platform.request("POST", `/companies/${bank.id}/operational-metrics`, { token: analyst, body: { period_end: "2024-12-31", metrics: capital(40) } });
		const res = await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "basel_iii" } });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ regulation_type: "basel_iii", compliance_status: "non_compliant", company_id: bank.id });
		expect(res.body.violations).toContainEqual({ requirement: "cet1_minimum", observed: 0.04, threshold: 0.045, severity: "high" });
		const cet1 = res.body.requirements.find((r: { id: string }) => r.id === "cet1_minimum");
		expect(cet1.evidence).toMatchObject({ figure: "kpi:cet1_ratio", period_end: "2024-12-31", inputs: { cet1_capital: 40, risk_weighted_assets: 1000 } });
		const reviewInDays = (Date.parse(res.body.next_review) - Date.parse(res.body.assessed_at)) / 86_400_000;
		expect(reviewInDays).toBeLessThan(50); // quarterly cadence, halved
		// the capital plan is not attested yet: never a pass
		expect(res.body.requirements.find((r: { id: string }) => r.id === "capital_plan")).toMatchObject({ status: "not_assessed", reason: "not attested" });

		// raising capital: the record follows by itself (the durable channel), no evaluate call
		await platform.request("POST", `/companies/${bank.id}/operational-metrics`, { token: analyst, body: { period_end: "2024-12-31", metrics: capital(80) } });
		const after = await eventually(
			"the record re-evaluated",
			() => basel(bank.id),
			r => r?.violations.every((v: { requirement: string }) => v.requirement !== "cet1_minimum"),
		);
		expect(after.requirements.find((r: { id: string }) => r.id === "cet1_minimum")).toMatchObject({ status: "met", observed: 0.08 });
		expect(after.compliance_status).toBe("partially_compliant"); // the capital plan is still not attested

		// attesting the capital plan, with evidence, makes it compliant (board minutes of ten days ago)
		const minutes = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
		const attested = await platform.request("PATCH", `/compliance-records/${after.id}/attestations/capital_plan`, {
			token: analyst,
			body: { answer: true, evidence: `Board minutes ${minutes}, item 4`, effective_date: minutes },
		});
		expect(attested.status).toBe(200);
		expect(attested.body.compliance_status).toBe("compliant");
		expect(attested.body.requirements.find((r: { id: string }) => r.id === "capital_plan").attestation).toMatchObject({
			answer: true,
			evidence: `Board minutes ${minutes}, item 4`,
			effective_date: minutes,
		});
		const review = (Date.parse(attested.body.next_review) - Date.parse(attested.body.assessed_at)) / 86_400_000;
		expect(review).toBeGreaterThan(85); // the full quarter again
	});

	it("422 for a regulation that does not apply or does not exist, and for a past expiry; 404 for an unknown attestation", async () => {
		const bank = await company({ name: "Strict Bank", industry: "financial_services" });
		const hipaa = await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "hipaa" } });
		expect(hipaa.status).toBe(422);
		expect(hipaa.body.data[0].message).toMatch(/basel_iii/);
		expect((await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "nope" } })).status).toBe(422);
		const record = (await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "aml_kyc" } })).body;
		expect(record.compliance_status).toBe("not_assessed");
		const past = await platform.request("PATCH", `/compliance-records/${record.id}/attestations/sanctions_screening`, {
			token: analyst,
			body: { answer: true, evidence: "policy v3", expires_at: "2020-01-01T00:00:00Z" },
		});
		expect(past.status).toBe(422);
		const unknown = await platform.request("PATCH", `/compliance-records/${record.id}/attestations/capital_plan`, { token: analyst, body: { answer: true, evidence: "x" } });
		expect(unknown.status).toBe(404);
		expect(unknown.body.data.attestations).toContain("sanctions_screening");
	});

	it("scoping and roles as everywhere", async () => {
		const bank = await company({ name: "Private Bank", industry: "financial_services" });
		const record = (await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "gdpr" } })).body;
		expect((await platform.request("GET", `/companies/${bank.id}/compliance-records`, { token: outsider })).status).toBe(404);
		expect((await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: outsider, body: { regulation_type: "gdpr" } })).status).toBe(404);
		expect((await platform.request("PATCH", `/compliance-records/${record.id}/attestations/dpo`, { token: outsider, body: { answer: true, evidence: "x" } })).status).toBe(404);
		expect((await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: viewer, body: { regulation_type: "gdpr" } })).status).toBe(403);
		expect((await platform.request("PATCH", `/compliance-records/${record.id}/attestations/dpo`, { token: viewer, body: { answer: true, evidence: "x" } })).status).toBe(403);
		expect((await platform.request("GET", `/companies/${bank.id}/compliance-records`, { token: viewer })).body.rows).toHaveLength(1);
	});
});

describe("the officer's portfolio view", () => {
	it("lists every company in the caller's domains with its records by status, worst first", async () => {
		const weak = await company({ name: "AAA Weak Bank", industry: "financial_services" });
		await platform.request("POST", `/companies/${weak.id}/operational-metrics`, { token: analyst, body: { period_end: "2024-12-31", metrics: capital(30) } });
		await platform.request("POST", `/companies/${weak.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "basel_iii" } });
		const hospital = await company({ name: "Hidden Hospital", industry: "healthcare" });
		await platform.request("POST", `/companies/${hospital.id}/compliance/evaluate`, { token: admin, body: { regulation_type: "hipaa" } });
		const res = await platform.request("GET", "/compliance/summary?page_size=100", { token: viewer });
		expect(res.status).toBe(200);
		expect(res.body.rows.map((r: { name: string }) => r.name)).not.toContain("Hidden Hospital");
		expect(res.body.rows[0]).toMatchObject({ worst_status: "non_compliant" });
		const row = res.body.rows.find((r: { name: string }) => r.name === "AAA Weak Bank");
		expect(row).toMatchObject({ records: 1, by_status: { non_compliant: 1 }, overdue_reviews: [] });
		// what each figure counts: companies by their worst record, records by theirs
		expect(res.body.companies_by_status.non_compliant).toBeGreaterThanOrEqual(1);
		expect(Object.values(res.body.companies_by_status as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(res.body.companies);
		expect(Object.values(res.body.records_by_status as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(res.body.records);
		// a company without records is not assessed, not null
		const bare = await company({ name: "ZZZ Bare Bank", industry: "financial_services" });
		const after = (await platform.request("GET", "/compliance/summary?page_size=100", { token: viewer })).body;
		expect(after.rows.find((r: { company_id: string }) => r.company_id === bare.id)).toMatchObject({ records: 0, worst_status: "not_assessed" });
		expect(after.companies_by_status.not_assessed).toBe(res.body.companies_by_status.not_assessed + 1);
	});
});

describe("frameworks imported from a CISO Assistant library", () => {
	const library = LIQUIDITY_POLICY_LIBRARY;

	it("become regulations: a data rule evaluated on the company's KPI, the rest attested; scoped to the industries given", async () => {
		const body = { content: library, industries: ["financial_services"], cadence_months: 6 };
		expect((await platform.request("POST", "/frameworks", { token: analyst, body })).status).toBe(403);
		const imported = await platform.request("POST", "/frameworks", { token: admin, body });
		expect(imported.body).toMatchObject({ id: "liquidity_policy", urn: "urn:example:risk:framework:liquidity-policy", requirements: 2, rules: 1, attestations: 1 });
		expect((await platform.request("POST", "/frameworks", { token: admin, body: { ...body, content: "objects: {}" } })).status).toBe(422);
		expect((await platform.request("GET", "/regulations?industry=financial_services", { token: viewer })).body.rows.map((r: { id: string }) => r.id)).toContain(
			"liquidity_policy",
		);
		expect((await platform.request("GET", "/regulations?industry=technology", { token: viewer })).body.rows.map((r: { id: string }) => r.id)).not.toContain("liquidity_policy");

		const bank = await company({ name: "Framework Bank", industry: "financial_services" });
		await platform.request("POST", `/companies/${bank.id}/operational-metrics`, {
			token: analyst,
			body: { period_end: "2024-12-31", metrics: { hqla: 105, net_cash_outflows_30d: 100 } },
		});
		const record = (await platform.request("POST", `/companies/${bank.id}/compliance/evaluate`, { token: analyst, body: { regulation_type: "liquidity_policy" } })).body;
		expect(record.compliance_status).toBe("non_compliant");
		expect(record.requirements[0]).toMatchObject({ id: "1_1", urn: "urn:example:risk:req_node:liquidity-policy:1.1", status: "not_met", observed: 1.05, threshold: 1.1 });
		const next = (Date.parse(record.next_review) - Date.parse(record.assessed_at)) / 86_400_000;
		expect(next).toBeGreaterThan(85); // a 6-month cadence, halved
		expect(next).toBeLessThan(95);
	});
});
