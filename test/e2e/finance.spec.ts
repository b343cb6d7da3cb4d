/** Statements, SEC import and analysis through HTTP against the running gateway. */
import fs from "fs";
import path from "path";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

const DATA = path.resolve(__dirname, "../../data/sec-companyfacts");
const doc = (name: string) => fs.readFileSync(path.join(DATA, name), "utf8");

let platform: Platform;
let admin: string;
let analyst: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "fin-analyst", role: "analyst", domains: ["manufacturing", "technology"] })).token;
	outsider = (await platform.createUser(admin, { username: "fin-outsider", role: "analyst", domains: ["healthcare"] })).token;
});
afterAll(() => platform.stop());

const company = async (body: object) => (await platform.request("POST", "/companies", { token: admin, body })).body as { id: string };

const statement = annualStatement;

describe("statements", () => {
	let co: { id: string };
	beforeAll(async () => {
		co = await company({ name: "Statement Co", industry: "manufacturing" });
	});

	it("creates, lists, reads, replaces and deletes; one per company, type and period_end", async () => {
		const created = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2022-12-31") });
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({ company_id: co.id, fiscal_year: 2022, fiscal_period: "FY", currency: "USD", warnings: [] });
		const dup = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2022-12-31") });
		expect(dup.status).toBe(409);
		await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2023-12-31") });
		const list = await platform.request("GET", `/companies/${co.id}/statements?statement_type=annual&from=2023-01-01`, { token: analyst });
		expect(list.body.rows.map((s: { period_end: string }) => s.period_end)).toEqual(["2023-12-31"]);
		const all = await platform.request("GET", `/companies/${co.id}/statements`, { token: analyst });
		expect(all.body.rows.map((s: { period_end: string }) => s.period_end)).toEqual(["2023-12-31", "2022-12-31"]);
		const replaced = await platform.request("PUT", `/statements/${created.body.id}`, { token: analyst, body: { ...statement("2022-12-31", { revenue: 1900 }) } });
		expect(replaced.status).toBe(200);
		expect((await platform.request("GET", `/statements/${created.body.id}`, { token: analyst })).body.income_statement.revenue).toBe(1900);
		expect((await platform.request("DELETE", `/statements/${created.body.id}`, { token: analyst })).status).toBe(403); // deleting is admin
		expect((await platform.request("DELETE", `/statements/${created.body.id}`, { token: admin })).status).toBe(200);
		expect((await platform.request("GET", `/statements/${created.body.id}`, { token: admin })).status).toBe(404);
	});

	it("422 with the offending fields: unknown line items, non-numbers, impossible negatives, bad dates; nothing written", async () => {
		const bad = {
			statement_type: "annual",
			period_end: "2021-02-30",
			balance_sheet: { total_assets: -5, goodwil: 3 },
			income_statement: { revenue: "2000" },
		};
		const res = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: bad });
		expect(res.status).toBe(422);
		const fields = res.body.data.map((d: { field?: string; actual?: string }) => d.field || d.actual);
		expect(fields).toEqual(expect.arrayContaining(["balance_sheet.total_assets", "income_statement.revenue"]));
		expect(JSON.stringify(res.body.data)).toContain("goodwil");
		const date = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: { ...statement("2021-12-31"), period_end: "2021-02-30" } });
		expect(date.status).toBe(422);
		expect(date.body.data[0].field).toBe("period_end");
		const total = (await platform.request("GET", `/companies/${co.id}/statements`, { token: analyst })).body.total;
		expect(total).toBe(1);
	});

	it("a period left free by a PUT that moved its statement can be created again", async () => {
		const moving = await company({ name: "Moving Co", industry: "manufacturing" });
		const first = (await platform.request("POST", `/companies/${moving.id}/statements`, { token: analyst, body: statement("2022-12-31") })).body;
		expect((await platform.request("PUT", `/statements/${first.id}`, { token: analyst, body: statement("2021-12-31") })).status).toBe(200);
		const again = await platform.request("POST", `/companies/${moving.id}/statements`, { token: analyst, body: statement("2022-12-31") });
		expect(again.status).toBe(201);
		expect((await platform.request("POST", `/companies/${moving.id}/statements`, { token: analyst, body: statement("2022-12-31") })).status).toBe(409);
	});

	it("validates every date as a calendar date: 2021-02-30 does not exist", async () => {
		const bad = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2021-02-30") });
		expect(bad.status).toBe(422);
		expect(bad.body.data.map((d: { field: string }) => d.field)).toEqual(["period_end"]);
		expect(bad.body.data[0].message).toMatch(/calendar date/);
		for (const query of ["from=2021-02-30", "to=2021-04-31", "from=2021-13-01"]) {
			const res = await platform.request("GET", `/companies/${co.id}/statements?${query}`, { token: analyst });
			expect(res.status).toBe(422);
			expect(res.body.data[0].field).toBe(query.split("=")[0]);
		}
		expect((await platform.request("GET", `/companies/${co.id}/analysis?period_end=2023-02-29`, { token: analyst })).status).toBe(422);
		// a real leap day is a date
		expect((await platform.request("GET", `/companies/${co.id}/statements?from=2024-02-29`, { token: analyst })).status).toBe(200);
	});

	it("stores an empty statement with a warning, and its analysis scores nothing rather than the worst", async () => {
		const empty = await company({ name: "Empty Books", industry: "manufacturing" });
		const res = await platform.request("POST", `/companies/${empty.id}/statements`, { token: analyst, body: { statement_type: "annual", period_end: "2023-12-31" } });
		expect(res.status).toBe(201);
		expect(res.body.warnings.join(" ")).toMatch(/no line items/);
		const analysis = await platform.request("GET", `/companies/${empty.id}/analysis`, { token: analyst });
		expect(analysis.status).toBe(200);
		expect(analysis.body.scores.piotroski).toMatchObject({ score: null, signals_available: 0 });
		expect(analysis.body.warnings.join(" ")).toMatch(/no line items/);
	});

	it("a deleted company takes its statements with it; when the cascade cannot be sent, the company stays", async () => {
		const doomed = await company({ name: "Doomed Co", industry: "manufacturing" });
		const st = (await platform.request("POST", `/companies/${doomed.id}/statements`, { token: analyst, body: statement("2023-12-31") })).body;
		const broker = platform.broker as unknown as { sendToChannel(c: string, p: unknown): Promise<void> };
		const send = broker.sendToChannel;
		broker.sendToChannel = () => Promise.reject(new Error("JetStream unavailable"));
		try {
			const refused = await platform.request("DELETE", `/companies/${doomed.id}`, { token: admin });
			expect(refused.status).toBe(503);
		} finally {
			broker.sendToChannel = send;
		}
		expect((await platform.request("GET", `/companies/${doomed.id}`, { token: admin })).status).toBe(200);
		expect((await platform.request("GET", `/statements/${st.id}`, { token: admin })).status).toBe(200);

		expect((await platform.request("DELETE", `/companies/${doomed.id}`, { token: admin })).status).toBe(200);
		expect((await platform.request("GET", `/companies/${doomed.id}`, { token: admin })).status).toBe(404);
		// the cascade is asynchronous (a durable channel), and quick in one process
		for (let i = 0; i < 50 && (await platform.request("GET", `/statements/${st.id}`, { token: admin })).status !== 404; i++) await new Promise(r => setTimeout(r, 50));
		expect((await platform.request("GET", `/statements/${st.id}`, { token: admin })).status).toBe(404);
	});

	it("stores a broken accounting identity with a warning instead of rejecting it", async () => {
		const body = statement("2020-12-31");
		body.balance_sheet.total_equity = 700; // 1500 vs 700 + 700
		const res = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body });
		expect(res.status).toBe(201);
		expect(res.body.warnings[0]).toMatch(/total_assets/);
	});

	it("a viewer cannot write and another domain sees nothing (404)", async () => {
		const viewer = (await platform.createUser(admin, { username: "fin-viewer", role: "viewer", domains: ["manufacturing"] })).token;
		expect((await platform.request("POST", `/companies/${co.id}/statements`, { token: viewer, body: statement("2019-12-31") })).status).toBe(403);
		expect((await platform.request("GET", `/companies/${co.id}/statements`, { token: viewer })).status).toBe(200);
		expect((await platform.request("GET", `/companies/${co.id}/statements`, { token: outsider })).status).toBe(404);
		expect((await platform.request("POST", `/companies/${co.id}/statements`, { token: outsider, body: statement("2019-12-31") })).status).toBe(404);
		const one = (await platform.request("GET", `/companies/${co.id}/statements`, { token: admin })).body.rows[0];
		expect((await platform.request("GET", `/statements/${one.id}`, { token: outsider })).status).toBe(404);
		expect((await platform.request("PUT", `/statements/${one.id}`, { token: outsider, body: statement(one.period_end) })).status).toBe(404);
		expect((await platform.request("GET", `/companies/${co.id}/analysis`, { token: outsider })).status).toBe(404);
	});
});

describe("analysis", () => {
	it("POST a statement → analysis → PUT a changed statement → the analysis changes", async () => {
		const co = await company({ name: "Analysed Co", industry: "technology" });
		expect((await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst })).status).toBe(404); // nothing to analyse yet
		await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2022-12-31", { revenue: 1800, net_income: 200 }) });
		const created = (await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2023-12-31") })).body;
		const first = await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst });
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({ company_id: co.id, period_end: "2023-12-31" });
		expect(first.body.ratios.profitability.net_margin).toBeCloseTo(270 / 2000, 10);
		expect(first.body.inputs.profitability.net_margin.inputs).toEqual({ net_income: 270, revenue: 2000 });
		expect(first.body.scores.altman.primary).toBe("z_double_prime");
		expect(first.body.trends.growth.revenue[0].value).toBeCloseTo((2000 - 1800) / 1800, 10);
		// cached now; a changed statement must show at once
		await platform.request("PUT", `/statements/${created.id}`, { token: analyst, body: statement("2023-12-31", { net_income: 500 }) });
		const second = await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst });
		expect(second.body.ratios.profitability.net_margin).toBeCloseTo(500 / 2000, 10);
		const earlier = await platform.request("GET", `/companies/${co.id}/analysis?period_end=2022-12-31`, { token: analyst });
		expect(earlier.body.ratios.profitability.net_margin).toBeCloseTo(200 / 1800, 10);
		expect((await platform.request("GET", `/companies/${co.id}/analysis?period_end=2001-12-31`, { token: analyst })).status).toBe(404);
		expect((await platform.request("GET", `/companies/${co.id}/analysis?period_end=yesterday`, { token: analyst })).status).toBe(422);
	});

	it("analyses a quarterly statement on its own figures, with the annual history before it", async () => {
		const co = await company({ name: "Quarterly Co", industry: "technology" });
		await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2022-12-31") });
		const q1 = await platform.request("POST", `/companies/${co.id}/statements`, {
			token: analyst,
			body: { ...statement("2023-03-31", { revenue: 500, net_income: 50 }), statement_type: "quarterly", fiscal_period: "Q1" },
		});
		expect(q1.status).toBe(201);
		const res = await platform.request("GET", `/companies/${co.id}/analysis?period_end=2023-03-31`, { token: analyst });
		expect(res.body).toMatchObject({ period_end: "2023-03-31", statement_type: "quarterly" });
		expect(res.body.ratios.profitability.net_margin).toBeCloseTo(50 / 500, 10);
		expect(res.body.trends.periods).toEqual(["2022-12-31"]);
		// without period_end it is the latest annual statement
		expect((await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst })).body.period_end).toBe("2022-12-31");
		// a quarterly statement needs its quarter
		const noQuarter = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: { ...statement("2023-06-30"), statement_type: "quarterly" } });
		expect(noQuarter.status).toBe(422);
		expect(noQuarter.body.data[0].field).toBe("fiscal_period");
	});

	it("benchmarks against the other companies of the industry", async () => {
		const a = await company({ name: "Peer A", industry: "financial_services" });
		const b = await company({ name: "Peer B", industry: "financial_services" });
		await platform.request("POST", `/companies/${a.id}/statements`, { token: admin, body: statement("2023-12-31", { net_income: 100 }) });
		await platform.request("POST", `/companies/${b.id}/statements`, { token: admin, body: statement("2023-12-31", { net_income: 300 }) });
		const res = await platform.request("GET", `/companies/${a.id}/analysis`, { token: admin });
		expect(res.body.benchmark).toMatchObject({ industry: "financial_services", peer_count: 1 });
		expect(res.body.benchmark.ratios["profitability.net_margin"]).toEqual({ value: 100 / 2000, median: 300 / 2000, percentile: 0 });
	});

	it("analyses a portfolio in one call, with a per-company status", async () => {
		const ids: string[] = [];
		for (let i = 0; i < 12; i++) {
			const co = await company({ name: `Portfolio ${i}`, industry: "technology" });
			await platform.request("POST", `/companies/${co.id}/statements`, { token: admin, body: statement("2023-12-31", { net_income: 100 + i }) });
			ids.push(co.id);
		}
		const hidden = await company({ name: "Hidden", industry: "healthcare" });
		const res = await platform.request("POST", "/analysis/portfolio", { token: analyst, body: { company_ids: [...ids, hidden.id, "no-such-company"] } });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ count: 14, succeeded: 12, failed: 2 });
		expect(res.body.results[3].analysis.ratios.profitability.net_margin).toBeCloseTo(103 / 2000, 10);
		expect(res.body.results[12]).toMatchObject({ company_id: hidden.id, status: 404 });
		expect(res.body.results[13].status).toBe(404);
		const tooMany = await platform.request("POST", "/analysis/portfolio", { token: analyst, body: { company_ids: Array.from({ length: 501 }, (_, i) => `c${i}`) } });
		expect(tooMany.status).toBe(422);
	});
});

describe("SEC companyfacts import", () => {
	const count = async (id: string) => (await platform.request("GET", `/companies/${id}/statements?page_size=100`, { token: admin })).body.total;

	it("imports Tesla's annual statements, and again without duplicates", async () => {
		const co = await company({ name: "Tesla, Inc.", industry: "manufacturing", ticker: "TSLA", cik: "1318605" });
		const first = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("tesla.json") });
		expect(first.status).toBe(200);
		expect(first.body.created).toBeGreaterThanOrEqual(10);
		expect(first.body.updated).toBe(0);
		const fy2021 = first.body.periods.find((p: { period_end: string }) => p.period_end === "2021-12-31");
		expect(fy2021).toMatchObject({ action: "created", fiscal_year: 2021 });
		expect(fy2021.found).toEqual(expect.arrayContaining(["total_assets", "revenue", "net_income", "operating_cash_flow"]));
		expect(Array.isArray(fy2021.missing)).toBe(true);
		const stored = await platform.request("GET", `/statements/${fy2021.id}`, { token: analyst });
		expect(stored.body.income_statement.revenue).toBe(53823000000);
		const n = await count(co.id);
		expect(n).toBe(first.body.created);

		const again = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("tesla.json") });
		expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: n });
		expect(await count(co.id)).toBe(n);

		const analysis = await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst });
		expect(analysis.body.period_end).toBe("2021-12-31");
		expect(analysis.body.ratios.profitability.net_margin).toBeCloseTo(5519000000 / 53823000000, 10);
	});

	it("imports Snowflake's years ending 31 January", async () => {
		const co = await company({ name: "Snowflake", industry: "technology", cik: "1640147" });
		const res = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("snowflake.json") });
		expect(res.status).toBe(200);
		expect(res.body.periods.every((p: { period_end: string }) => p.period_end.endsWith("-01-31"))).toBe(true);
		const fy = res.body.periods.find((p: { period_end: string }) => p.period_end === "2025-01-31");
		expect(fy.fiscal_year).toBe(2025);
	});

	it("refuses an IFRS 20-F document, a document for another CIK, a malformed and a truncated one, writing nothing", async () => {
		const co = await company({ name: "LPA", industry: "technology", cik: "1997711" });
		const ifrs = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("logistic-properties-americas.json") });
		expect(ifrs.status).toBe(422);
		expect(ifrs.body.data[0].message).toMatch(/ifrs-full/);

		const wrongCik = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("tesla.json") });
		expect(wrongCik.status).toBe(422);
		expect(wrongCik.body.data[0].field).toBe("cik");

		const other = await company({ name: "No CIK Co", industry: "manufacturing" });
		const tesla = JSON.parse(doc("tesla.json"));
		tesla.facts["us-gaap"].NetIncomeLoss.units.USD[5].val = "a lot"; // one bad fact in an otherwise good document
		const malformed = await platform.request("POST", `/companies/${other.id}/import/sec`, { token: analyst, body: tesla });
		expect(malformed.status).toBe(422);
		expect(malformed.body.data[0].field).toBe("facts.us-gaap.NetIncomeLoss.units.USD[5].val");

		const text = doc("tesla.json");
		const truncated = await platform.request("POST", `/companies/${other.id}/import/sec`, { token: analyst, rawBody: text.slice(0, text.length / 2) });
		expect(truncated.status).toBe(400);

		expect(await count(co.id)).toBe(0);
		expect(await count(other.id)).toBe(0);
	});

	it("names the import route's own limit (50mb) for a larger body, with or without a declared length, and wants JSON", async () => {
		const co = await company({ name: "Huge Filer", industry: "manufacturing" });
		const huge = Buffer.alloc(60 * 1024 * 1024, 0x20); // 60 MB of JSON white space
		const declared = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: huge as unknown as string });
		expect(declared.status).toBe(413);
		expect(declared.body.message).toMatch(/larger than 50mb/);
		// chunked: no Content-Length, so the limit is enforced while the body is read
		const chunks = (async function* () {
			for (let i = 0; i < 60; i++) yield Buffer.alloc(1024 * 1024, 0x20);
		})();
		const res = await fetch(`${platform.url}/api/v1/companies/${co.id}/import/sec`, {
			method: "POST",
			headers: { authorization: `Bearer ${analyst}`, "content-type": "application/json" },
			body: chunks as any,
			duplex: "half",
		} as RequestInit);
		expect(res.status).toBe(413);
		expect(((await res.json()) as { message: string }).message).toMatch(/larger than 50mb/);

		const form = await platform.request("POST", `/companies/${co.id}/import/sec`, {
			token: analyst,
			rawBody: "cik=1318605",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		expect(form.status).toBe(415);
		expect(await count(co.id)).toBe(0);
	});

	it("is refused while the sec_import flag is off for the caller", async () => {
		const co = await company({ name: "Flagged", industry: "manufacturing" });
		await platform.request("PUT", "/flags/sec_import", { token: admin, body: { enabled: false } });
		try {
			const res = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("tesla.json") });
			expect(res.status).toBe(403);
		} finally {
			await platform.request("PUT", "/flags/sec_import", { token: admin, body: { enabled: true } });
		}
	});
});
