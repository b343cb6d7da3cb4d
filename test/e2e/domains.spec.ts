/**
 * The industry hub through HTTP: the modules, a company's operational metrics validated against its industry,
 * its KPIs from metrics and statements, scoping and RBAC; and a fifth industry defined in this file alone.
 */
import { div } from "../../domains/finance/math";
import type { IndustryModule } from "../../domains/industries/module";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

// an industry that exists only here: one module, nothing else changed
const energy: IndustryModule = {
	id: "energy",
	name: "Energy",
	metrics: {
		capacity_mwh: { unit: "count", description: "Energy the plants could produce over the period" },
		generated_mwh: { unit: "count", description: "Energy produced over the period" },
	},
	consistency: m => (m.generated_mwh > m.capacity_mwh ? [{ field: "metrics.generated_mwh", message: "cannot exceed capacity_mwh" }] : []),
	kpis: [
		{
			name: "capacity_factor",
			unit: "fraction",
			formula: "generated_mwh / capacity_mwh",
			inputs: ["generated_mwh", "capacity_mwh"],
			compute: ({ metrics: m }) => div(m.generated_mwh, m.capacity_mwh),
			threshold: { direction: "higher", good: 0.5, watch: 0.3 },
			source: "convention (test module)",
		},
	],
	regulations: [],
};

let platform: Platform;
let admin: string;
let analyst: string;
let viewer: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform({ industryModules: [energy] });
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "hub-analyst", role: "analyst", domains: ["financial_services", "healthcare", "energy"] })).token;
	viewer = (await platform.createUser(admin, { username: "hub-viewer", role: "viewer", domains: ["financial_services"] })).token;
	outsider = (await platform.createUser(admin, { username: "hub-outsider", role: "analyst", domains: ["technology"] })).token;
});
afterAll(() => platform.stop());

const company = async (body: object) => (await platform.request("POST", "/companies", { token: admin, body })).body as { id: string };
const postMetrics = (token: string, id: string, body: object) => platform.request("POST", `/companies/${id}/operational-metrics`, { token, body });

describe("industry modules", () => {
	it("lists the modules with their metrics, KPIs (thresholds and sources) and regulations", async () => {
		const res = await platform.request("GET", "/domains", { token: viewer });
		expect(res.status).toBe(200);
		expect(res.body.rows.map((m: { id: string }) => m.id)).toEqual(["financial_services", "healthcare", "manufacturing", "technology", "energy"]);
		const bank = (await platform.request("GET", "/domains/financial_services", { token: viewer })).body;
		expect(bank.kpis.find((k: { name: string }) => k.name === "cet1_ratio")).toMatchObject({
			formula: "cet1_capital / risk_weighted_assets",
			threshold: { direction: "higher", good: 0.07, watch: 0.045 },
			source: expect.stringMatching(/Basel III/),
		});
		expect(bank.regulations).toContain("basel_iii");
		const unknown = await platform.request("GET", "/domains/mining", { token: viewer });
		expect(unknown.status).toBe(404);
		expect(unknown.body.message).toMatch(/financial_services, healthcare, manufacturing, technology, energy/);
	});
});

describe("operational metrics and KPIs", () => {
	let bank: { id: string };
	beforeAll(async () => {
		bank = await company({ name: "Hub Bank", industry: "financial_services" });
	});

	it("records a period's metrics (201, then 200 when replaced) and computes the KPIs from them", async () => {
		const first = await postMetrics(analyst, bank.id, {
			period_end: "2024-12-31",
			metrics: { cet1_capital: 40, tier1_capital: 50, total_capital: 70, risk_weighted_assets: 1000, hqla: 130, net_cash_outflows_30d: 100 },
		});
		expect(first.status).toBe(201);
		expect(first.body).toMatchObject({ company_id: bank.id, industry: "financial_services", period_end: "2024-12-31", period_days: 365 });
		let kpis = (await platform.request("GET", `/companies/${bank.id}/kpis`, { token: viewer })).body;
		const cet1 = kpis.kpis.find((k: { name: string }) => k.name === "cet1_ratio");
		expect(cet1).toMatchObject({ value: 0.04, unit: "fraction", status: "bad", inputs: { cet1_capital: 40, risk_weighted_assets: 1000 } });
		expect(kpis.kpis.find((k: { name: string }) => k.name === "lcr")).toMatchObject({ value: 1.3, status: "good" });
		expect(kpis.kpis.find((k: { name: string }) => k.name === "nsfr")).toMatchObject({
			status: "not_assessed",
			reason: "missing available_stable_funding, required_stable_funding",
		});
		// raising capital shows at once (the cached KPIs are cleaned by the write)
		const replaced = await postMetrics(analyst, bank.id, {
			period_end: "2024-12-31",
			metrics: { cet1_capital: 80, tier1_capital: 90, total_capital: 110, risk_weighted_assets: 1000 },
		});
		expect(replaced.status).toBe(200);
		expect(replaced.body.id).toBe(first.body.id);
		kpis = (await platform.request("GET", `/companies/${bank.id}/kpis?period_end=2024-12-31`, { token: viewer })).body;
		expect(kpis.kpis.find((k: { name: string }) => k.name === "cet1_ratio")).toMatchObject({ value: 0.08, status: "good" });
		const list = (await platform.request("GET", `/companies/${bank.id}/operational-metrics`, { token: viewer })).body;
		expect(list.rows).toHaveLength(1);
		const none = await platform.request("GET", `/companies/${bank.id}/kpis?period_end=2023-12-31`, { token: viewer });
		expect(none.status).toBe(404);
		expect(none.body.data.periods).toEqual(["2024-12-31"]);
	});

	it("422 for metrics the industry does not have, impossible values and inconsistent ones, naming each; nothing written", async () => {
		const res = await postMetrics(analyst, bank.id, { period_end: "2023-12-31", metrics: { patient_days: 5, hqla: -1, cet1_capital: 90, tier1_capital: 80 } });
		expect(res.status).toBe(422);
		expect(res.body.data.map((p: { field: string }) => p.field).sort()).toEqual(["metrics.hqla", "metrics.patient_days"]);
		const inconsistent = await postMetrics(analyst, bank.id, { period_end: "2023-12-31", metrics: { cet1_capital: 90, tier1_capital: 80 } });
		expect(inconsistent.status).toBe(422);
		expect(inconsistent.body.data[0]).toMatchObject({ field: "metrics.cet1_capital", type: "metricConsistency" });
		expect((await postMetrics(analyst, bank.id, { period_end: "2023-02-30", metrics: {} })).status).toBe(422);
		expect((await platform.request("GET", `/companies/${bank.id}/operational-metrics`, { token: viewer })).body.total).toBe(1);
	});

	it("takes KPIs that come from the statements from the same period's analysis", async () => {
		const hospital = await company({ name: "Hub Hospital", industry: "healthcare" });
		await postMetrics(analyst, hospital.id, { period_end: "2023-12-31", metrics: { patient_days: 58_400, staffed_beds: 200, discharges: 11_680 } });
		let kpis = (await platform.request("GET", `/companies/${hospital.id}/kpis`, { token: analyst })).body;
		expect(kpis.kpis.find((k: { name: string }) => k.name === "operating_margin")).toMatchObject({ status: "not_assessed" });
		expect(kpis.warnings.join(" ")).toMatch(/no statement for 2023-12-31/);
		expect(kpis.kpis.find((k: { name: string }) => k.name === "occupancy_rate").value).toBeCloseTo(0.8, 12);
		await platform.request("POST", `/companies/${hospital.id}/statements`, { token: analyst, body: annualStatement("2023-12-31") });
		kpis = (await platform.request("GET", `/companies/${hospital.id}/kpis`, { token: analyst })).body;
		expect(kpis.kpis.find((k: { name: string }) => k.name === "operating_margin")).toMatchObject({ value: 400 / 2000, status: "good" });
	});

	it("scoping and roles as everywhere: another domain's company is 404, a viewer cannot record", async () => {
		expect((await platform.request("GET", `/companies/${bank.id}/kpis`, { token: outsider })).status).toBe(404);
		expect((await postMetrics(outsider, bank.id, { period_end: "2024-12-31", metrics: {} })).status).toBe(404);
		expect((await postMetrics(viewer, bank.id, { period_end: "2024-12-31", metrics: {} })).status).toBe(403);
		expect((await platform.request("GET", "/domains")).status).toBe(401);
	});
});

describe("appetite per KPI", () => {
	it("a domain_admin sets three tiers for a KPI; the KPI then says which it breaches", async () => {
		const bank = await company({ name: "Appetite Bank", industry: "financial_services" });
		await postMetrics(analyst, bank.id, { period_end: "2024-12-31", metrics: { hqla: 112, net_cash_outflows_30d: 100 } });
		const tiers = { regulatory_minimum: 1, internal_limit: 1.1, early_warning: 1.15 };
		expect((await platform.request("PUT", `/companies/${bank.id}/kpi-appetite/lcr`, { token: analyst, body: tiers })).status).toBe(403);
		const domainAdmin = (await platform.createUser(admin, { username: "hub-admin", role: "domain_admin", domains: ["financial_services"] })).token;
		const set = await platform.request("PUT", `/companies/${bank.id}/kpi-appetite/lcr`, { token: domainAdmin, body: tiers });
		expect(set.status).toBe(200);
		const lcr = (await platform.request("GET", `/companies/${bank.id}/kpis`, { token: viewer })).body.kpis.find((k: { name: string }) => k.name === "lcr");
		expect(lcr).toMatchObject({ value: 1.12, status: "watch", appetite: { ...tiers, breached: "early_warning" } });
		expect((await platform.request("GET", `/companies/${bank.id}/kpi-appetite`, { token: viewer })).body.rows).toEqual([{ kpi: "lcr", ...tiers }]);
		const disordered = await platform.request("PUT", `/companies/${bank.id}/kpi-appetite/lcr`, { token: domainAdmin, body: { regulatory_minimum: 1, internal_limit: 0.9 } });
		expect(disordered.status).toBe(422);
		expect(disordered.body.data[0].field).toBe("internal_limit");
		expect((await platform.request("PUT", `/companies/${bank.id}/kpi-appetite/roe`, { token: domainAdmin, body: tiers })).status).toBe(404);
	});
});

describe("a fifth industry, defined in this test alone", () => {
	it("is an industry for companies and users, with its metrics validated and its KPIs computed", async () => {
		const plant = await company({ name: "Windfarm", industry: "energy" });
		expect(plant.id).toBeTruthy();
		expect((await postMetrics(analyst, plant.id, { period_end: "2024-12-31", metrics: { capacity_mwh: 100, generated_mwh: 120 } })).status).toBe(422);
		expect((await postMetrics(analyst, plant.id, { period_end: "2024-12-31", metrics: { capacity_mwh: 100, generated_mwh: 35 } })).status).toBe(201);
		const kpis = (await platform.request("GET", `/companies/${plant.id}/kpis`, { token: analyst })).body;
		expect(kpis).toMatchObject({ industry: "energy", kpis: [{ name: "capacity_factor", value: 0.35, status: "watch" }] });
		// a user scoped to another industry does not see it
		expect((await platform.request("GET", `/companies/${plant.id}/kpis`, { token: viewer })).status).toBe(404);
		const unknown = await platform.request("POST", "/companies", { token: admin, body: { name: "Mine", industry: "mining" } });
		expect(unknown.status).toBe(422);
		expect(unknown.body.data[0].message).toMatch(/industry: must be one of .*energy/);
	});
});
