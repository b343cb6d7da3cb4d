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
		// the conflict names the statement that holds the period, so the client can PUT or PATCH it
		expect(dup.body.data).toMatchObject({ field: "period_end", id: created.body.id });
		expect(dup.body.message).toContain(`/api/v1/statements/${created.body.id}`);
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
		expect(first.body.ratio_details.profitability.net_margin).toMatchObject({ unit: "fraction", basis: "annual", inputs: { net_income: 270, revenue: 2000 } });
		expect(first.body.company).toEqual({ id: co.id, name: "Analysed Co", ticker: null, industry: "technology" });
		expect(first.body.scores.altman.primary).toBe("z_double_prime");
		expect(first.body.trends.growth.revenue[0].value).toBeCloseTo((2000 - 1800) / 1800, 10);
		// cached now; a changed statement must show at once
		await platform.request("PUT", `/statements/${created.id}`, { token: analyst, body: statement("2023-12-31", { net_income: 500 }) });
		const second = await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst });
		expect(second.body.ratios.profitability.net_margin).toBeCloseTo(500 / 2000, 10);
		const earlier = await platform.request("GET", `/companies/${co.id}/analysis?period_end=2022-12-31`, { token: analyst });
		expect(earlier.body.ratios.profitability.net_margin).toBeCloseTo(200 / 1800, 10);
		const noPeriod = await platform.request("GET", `/companies/${co.id}/analysis?period_end=2001-12-31`, { token: analyst });
		expect(noPeriod.status).toBe(404);
		expect(noPeriod.body.message).toBe("No statement for period 2001-12-31; the company's periods: 2022-12-31 (annual), 2023-12-31 (annual)");
		expect(noPeriod.body.data.periods).toEqual([
			{ period_end: "2022-12-31", statement_type: "annual" },
			{ period_end: "2023-12-31", statement_type: "annual" },
		]);
		expect((await platform.request("GET", `/companies/${co.id}/analysis?period_end=yesterday`, { token: analyst })).status).toBe(422);
	});

	it("analyses a quarterly statement on its own figures; its scores need the four quarters, and say which are missing", async () => {
		const co = await company({ name: "Quarterly Co", industry: "technology" });
		await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2022-12-31") });
		const q1 = await platform.request("POST", `/companies/${co.id}/statements`, {
			token: analyst,
			body: { ...statement("2023-03-31", { revenue: 500, net_income: 50 }), statement_type: "quarterly", fiscal_period: "Q1" },
		});
		expect(q1.status).toBe(201);
		const res = await platform.request("GET", `/companies/${co.id}/analysis?period_end=2023-03-31`, { token: analyst });
		expect(res.body).toMatchObject({ period_end: "2023-03-31", statement_type: "quarterly", period: { basis: "quarterly", scores_basis: null } });
		expect(res.body.ratios.profitability.net_margin).toBeCloseTo(50 / 500, 10);
		// one quarter's flows against annual zones would read as distress: no scores, and why
		expect(res.body.scores).toMatchObject({ altman: null, piotroski: null, beneish: null });
		expect(res.body.warnings.join(" ")).toMatch(/quarters ending about 2022-06-30, 2022-09-30, 2022-12-31 are missing/);
		expect(res.body.trends.periods).toEqual(["2022-12-31"]);
		// without period_end it is the latest annual statement
		expect((await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst })).body.period_end).toBe("2022-12-31");
		// a quarterly statement needs its quarter
		const noQuarter = await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: { ...statement("2023-06-30"), statement_type: "quarterly" } });
		expect(noQuarter.status).toBe(422);
		expect(noQuarter.body.data[0].field).toBe("fiscal_period");
	});

	it("scores four quarters on their trailing twelve months, as computed by hand", async () => {
		const co = await company({ name: "TTM Co", industry: "technology" });
		const quarter = (period_end: string, fiscal_period: string, revenue: number, net_income: number) => ({
			statement_type: "quarterly",
			period_end,
			fiscal_period,
			balance_sheet: { total_current_assets: 600, total_current_liabilities: 300, total_assets: 2000, total_liabilities: 900, retained_earnings: 400, total_equity: 1100 },
			income_statement: { revenue, operating_income: revenue / 4, net_income },
			cash_flow: { operating_cash_flow: net_income * 2 },
		});
		for (const q of [quarter("2024-03-31", "Q1", 400, 40), quarter("2024-06-30", "Q2", 420, 45), quarter("2024-09-30", "Q3", 440, 50), quarter("2024-12-31", "Q4", 460, 55)])
			expect((await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: q })).status).toBe(201);
		const res = await platform.request("GET", `/companies/${co.id}/analysis?period_end=2024-12-31`, { token: analyst });
		expect(res.body.period).toMatchObject({ scores_basis: "ttm", ttm_quarters: ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"] });
		// z″ = 6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4 with EBIT over the four quarters: (400+420+440+460)/4 = 430
		const zpp = 6.56 * (300 / 2000) + 3.26 * (400 / 2000) + 6.72 * (430 / 2000) + 1.05 * (1100 / 900);
		expect(res.body.scores.altman.z_double_prime).toBeCloseTo(zpp, 10);
		expect(res.body.scores.altman.zone).toBe(zpp > 2.6 ? "safe" : zpp < 1.1 ? "distress" : "grey");
		// ROA is a flow over a balance: TTM net income 190 over total assets 2000, labelled ttm
		expect(res.body.ratios.profitability.roa).toBeCloseTo(190 / 2000, 10);
		expect(res.body.ratio_details.profitability.roa.basis).toBe("ttm");
		expect(res.body.ratios.profitability.net_margin).toBeCloseTo(55 / 460, 10);
	});

	it("takes back a statement as GET gives it (PUT), changes some line items (PATCH), and removes one with null", async () => {
		const co = await company({ name: "Edited Co", industry: "technology" });
		const created = (await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2023-12-31") })).body;
		const read = (await platform.request("GET", `/statements/${created.id}`, { token: analyst })).body;
		const back = await platform.request("PUT", `/statements/${created.id}`, {
			token: analyst,
			body: { ...read, income_statement: { ...read.income_statement, revenue: 2100 } },
		});
		expect(back.status).toBe(200);
		expect(back.body).toMatchObject({ id: created.id, company_id: co.id, created_at: created.created_at });
		expect(back.body.income_statement.revenue).toBe(2100);

		const patched = await platform.request("PATCH", `/statements/${created.id}`, {
			token: analyst,
			body: { income_statement: { net_income: 300, interest_expense: null }, balance_sheet: { inventory: 120 } },
		});
		expect(patched.body).toMatchObject({ id: created.id });
		expect(patched.body.income_statement).toEqual({ revenue: 2100, cost_of_revenue: 1200, operating_income: 400, net_income: 300 });
		expect(patched.body.balance_sheet.inventory).toBe(120);
		expect(patched.body.balance_sheet.total_assets).toBe(1500);
		const analysis = await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst });
		expect(analysis.body.ratios.profitability.net_margin).toBeCloseTo(300 / 2100, 10);
		expect(analysis.body.ratio_details.leverage.interest_coverage.null_reason).toBe("missing interest_expense");

		const bad = await platform.request("PATCH", `/statements/${created.id}`, { token: analyst, body: { income_statement: { revenue: -5, profit: 1 } } });
		expect(bad.status).toBe(422);
		expect(bad.body.data.map((e: { field: string }) => e.field).sort()).toEqual(["income_statement.profit", "income_statement.revenue"]);
		expect(JSON.stringify(bad.body.data)).toContain("profit"); // the unknown line item is named
		// moving it onto a period another statement holds names that statement
		const other = (await platform.request("POST", `/companies/${co.id}/statements`, { token: analyst, body: statement("2022-12-31") })).body;
		const clash = await platform.request("PATCH", `/statements/${created.id}`, { token: analyst, body: { period_end: "2022-12-31" } });
		expect(clash.status).toBe(409);
		expect(clash.body.data.id).toBe(other.id);
		expect((await platform.request("PATCH", `/statements/${created.id}`, { token: outsider, body: { income_statement: { revenue: 1 } } })).status).toBe(404);
	});

	it("benchmarks against the other companies of the industry once there are five, against the dated reference medians before (issue 21, item 3)", async () => {
		const a = await company({ name: "Peer A", industry: "financial_services" });
		const b = await company({ name: "Peer B", industry: "financial_services" });
		await platform.request("POST", `/companies/${a.id}/statements`, { token: admin, body: statement("2023-12-31", { net_income: 100 }) });
		await platform.request("POST", `/companies/${b.id}/statements`, { token: admin, body: statement("2023-12-31", { net_income: 300 }) });
		// the user's companies only (no shipped reference filers): one peer is no industry median; the published
		// reference stands in, labelled and dated, without a percentile
		const one = (await platform.request("GET", `/companies/${a.id}/analysis?reference_peers=false`, { token: admin })).body;
		expect(one.benchmark).toMatchObject({ industry: "financial_services", peer_count: 1, basis: "reference", min_peers: 5 });
		expect(one.benchmark.ratios["profitability.net_margin"]).toEqual({ value: 100 / 2000, median: 0.158, percentile: null, reference_median: 0.158 });
		expect(one.benchmark.reference).toEqual({ source: expect.stringMatching(/S&P 500 sector medians, Financials$/), as_of: "2012-03-31" });
		expect(one.warnings).toContainEqual(
			expect.stringMatching(
				/^only 1 other company of the financial_services industry has an annual statement \(a peer median needs 5\): benchmarked against the reference medians/,
			),
		);
		// by default the shipped reference filers of the industry are peers too, dated: the drafted SWOT says what it compared with
		const withReference = (await platform.request("GET", `/companies/${a.id}/analysis`, { token: admin })).body.benchmark;
		expect(withReference).toMatchObject({ basis: "peers", reference_set: { source: expect.stringMatching(/fiscal 2009/), as_of: "FY2009", peers: 69 } });
		expect(withReference.peer_count).toBe(1 + 69);
		const draft = (await platform.request("POST", `/companies/${a.id}/strategic-plans/draft`, { token: admin, body: {} })).body;
		const items = [...draft.swot_analysis.strengths, ...draft.swot_analysis.weaknesses].filter((i: { evidence?: { source: string } }) => i.evidence?.source === "benchmark");
		expect(items.length).toBeGreaterThan(0);
		for (const item of items) expect(item.detail).toMatch(/against the median of 70 financial_services peers \(69 of them US 10-K filers of fiscal 2009 .*, as of FY2009\)/);
		// five peers of the user's own: theirs
		for (const net of [200, 400, 500, 600]) {
			const peer = await company({ name: `Peer ${net}`, industry: "financial_services" });
			await platform.request("POST", `/companies/${peer.id}/statements`, { token: admin, body: statement("2023-12-31", { net_income: net }) });
		}
		const five = (await platform.request("GET", `/companies/${a.id}/analysis?reference_peers=false`, { token: admin })).body;
		expect(five.benchmark).toMatchObject({ peer_count: 5, basis: "peers" });
		expect(five.benchmark.ratios["profitability.net_margin"]).toEqual({ value: 100 / 2000, median: 400 / 2000, percentile: 0, reference_median: 0.158 });
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
		expect(analysis.body.company).toMatchObject({ name: "Tesla, Inc.", ticker: "TSLA" });
		expect(analysis.body.ratios.profitability.net_margin).toBeCloseTo(5519000000 / 53823000000, 10);
		// the further line items of the 10-K filed 2022-02-07: DebtCurrent 1,088 M, LongTermDebt 4,254 M, StockholdersEquity 30,189 M
		expect(stored.body.balance_sheet).toMatchObject({ short_term_debt: 1088000000, long_term_debt: 4254000000, shares_outstanding: 1033507611 });
		expect(stored.body.income_statement).toMatchObject({ sga_expense: 4517000000, depreciation_and_amortization: 1910000000, eps_basic: 5.6 });
		expect(analysis.body.ratios.leverage.debt_to_equity).toBeCloseTo((1088000000 + 4254000000) / 30189000000, 10);
		// shares: 960 M at 2020-12-31 (CommonStockSharesOutstanding), 1,034 M for 2021 (the cover page's count: the 10-K dates its balance-sheet count 2021-12-30): they rose
		expect(analysis.body.scores.piotroski.signals.F_EQ_OFFER).toBe(false);
		expect(analysis.body.period.compared_with).toEqual({ t_minus_1: "2020-12-31", t_minus_2: "2019-12-31" });
		// Beneish M against 2020, every input from the two 10-K years
		const [t, p] = [
			{ ar: 1913e6, rev: 53823e6, gp: 13606e6, ca: 27100e6, ppe: 18884e6, ta: 62131e6, dep: 1910e6, sga: 4517e6, cl: 19705e6, ltd: 4254e6, ni: 5519e6, cfo: 11497e6 },
			{ ar: 1886e6, rev: 31536e6, gp: 6630e6, ca: 26717e6, ppe: 12747e6, ta: 52148e6, dep: 1570e6, sga: 3145e6, cl: 14248e6, ltd: 8462e6 },
		];
		const DSRI = t.ar / t.rev / (p.ar / p.rev);
		const GMI = p.gp / p.rev / (t.gp / t.rev);
		const AQI = (1 - (t.ca + t.ppe) / t.ta) / (1 - (p.ca + p.ppe) / p.ta);
		const SGI = t.rev / p.rev;
		const DEPI = p.dep / (p.dep + p.ppe) / (t.dep / (t.dep + t.ppe));
		const SGAI = t.sga / t.rev / (p.sga / p.rev);
		const TATA = (t.ni - t.cfo) / t.ta;
		const LVGI = (t.cl + t.ltd) / t.ta / ((p.cl + p.ltd) / p.ta);
		const M = -4.84 + 0.92 * DSRI + 0.528 * GMI + 0.404 * AQI + 0.892 * SGI + 0.115 * DEPI - 0.172 * SGAI + 4.679 * TATA - 0.327 * LVGI;
		expect(analysis.body.scores.beneish.m_score).toBeCloseTo(M, 10);
		expect(analysis.body.scores.beneish.likely_manipulator).toBe(M > -1.78);
	});

	it("imports Snowflake's years ending 31 January", async () => {
		const co = await company({ name: "Snowflake", industry: "technology", cik: "1640147" });
		const res = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, rawBody: doc("snowflake.json") });
		expect(res.status).toBe(200);
		type Imported = { statement_type: string; period_end: string; fiscal_period: string };
		const years = res.body.periods.filter((p: Imported) => p.statement_type === "annual");
		expect(years.every((p: Imported) => p.period_end.endsWith("-01-31"))).toBe(true);
		// and its quarters (10-Q), counted from its fiscal year end: the quarter ending 30 April is its Q1
		const quarters = res.body.periods.filter((p: Imported) => p.statement_type === "quarterly");
		expect(quarters.find((p: Imported) => p.period_end === "2024-04-30")).toMatchObject({ fiscal_period: "Q1", fiscal_year: 2024 });
		expect(quarters.find((p: Imported) => p.period_end === "2025-01-31")).toMatchObject({ fiscal_period: "Q4", fiscal_year: 2025 });
		const fy = years.find((p: Imported) => p.period_end === "2025-01-31");
		expect(fy.fiscal_year).toBe(2025);
		// the mapped line items its 10-K lacks, per period
		expect(fy.missing).toEqual(["inventory", "short_term_debt", "long_term_debt", "dividends_paid"]);
		expect(fy.tags.sga_expense).toBe("SellingAndMarketingExpense+GeneralAndAdministrativeExpense");
		const analysis = (await platform.request("GET", `/companies/${co.id}/analysis`, { token: analyst })).body;
		expect(analysis.ratio_details.leverage.debt_to_equity.null_reason).toBe("missing short_term_debt, long_term_debt");
		expect(analysis.scores.beneish.m_score).toBeNull();
		expect(analysis.scores.beneish.null_reasons.LVGI).toBe("missing long_term_debt (t), long_term_debt (t−1)");
		// shares on the 10-Ks' cover pages (Snowflake tags no balance-sheet count): 334.2 M (March 2024) → 334.1 M
		// (March 2025), bought back: no new equity (the weighted averages, 328.0 M → 332.7 M, would have said otherwise)
		expect(analysis.scores.piotroski.signals.F_EQ_OFFER).toBe(true);
	});

	it("imports Logistic Properties of the Americas, an IFRS 20-F filer, and analyses it as far as its figures go", async () => {
		const co = await company({ name: "Logistic Properties of the Americas", industry: "financial_services", ticker: "LPA", cik: "1997711" });
		const lpaAnalyst = (await platform.createUser(admin, { username: "lpa-analyst", role: "analyst", domains: ["financial_services"] })).token;
		const res = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: lpaAnalyst, rawBody: doc("logistic-properties-americas.json") });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ taxonomy: "ifrs-full", currency: "USD", created: 4 });
		const fy2023 = res.body.periods.find((p: { period_end: string }) => p.period_end === "2023-12-31");
		expect(fy2023.missing).toEqual(["accounts_receivable", "inventory", "cost_of_revenue", "gross_profit"]);
		const stored = (await platform.request("GET", `/statements/${fy2023.id}`, { token: lpaAnalyst })).body;
		expect(stored.currency).toBe("USD");
		expect(stored.balance_sheet).toMatchObject({
			total_assets: 590825310,
			total_equity: 260942917,
			short_term_debt: 16703098,
			long_term_debt: 269854235,
			shares_outstanding: 168142740,
		});
		expect(stored.income_statement).toMatchObject({ revenue: 39436343, net_income: 7156005, interest_expense: 22557977 });
		const analysis = (await platform.request("GET", `/companies/${co.id}/analysis?period_end=2023-12-31`, { token: lpaAnalyst })).body;
		expect(analysis.currency).toBe("USD");
		expect(analysis.ratios.leverage.debt_to_equity).toBeCloseTo((16703098 + 269854235) / 260942917, 10);
		expect(analysis.ratios.profitability.roe).toBeCloseTo(7156005 / 260942917, 10);
		expect(analysis.scores.piotroski.signals.F_EQ_OFFER).toBe(true); // 168,142,740 shares both years
		// no receivables in its filings: Beneish cannot be computed, and says why
		expect(analysis.scores.beneish.m_score).toBeNull();
		expect(analysis.scores.beneish.null_reasons.DSRI).toBe("missing accounts_receivable (t), accounts_receivable (t−1)");
		expect(analysis.ratio_details.profitability.gross_margin.null_reason).toBe("missing gross_profit");
	});

	it("refuses a document in two currencies, a document for another CIK, a malformed and a truncated one, writing nothing", async () => {
		const co = await company({ name: "Refused Filer", industry: "technology", cik: "1999999" });
		const twoCurrencies = JSON.parse(doc("logistic-properties-americas.json"));
		twoCurrencies.facts["ifrs-full"].Revenue.units.EUR = twoCurrencies.facts["ifrs-full"].Revenue.units.USD;
		const mixed = await platform.request("POST", `/companies/${co.id}/import/sec`, { token: analyst, body: twoCurrencies });
		expect(mixed.status).toBe(422);
		expect(mixed.body.message).toMatch(/2 currencies \(EUR, USD\)/);
		expect(mixed.body.data[0]).toMatchObject({ field: "facts.ifrs-full", type: "secCurrency" });

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
