/**
 * Prices and the market figures they give, on a real filer: Apple's 10-K figures (SEC companyfacts through the
 * SEC connector) and its daily prices 2013–2018 (data/prices/AAPL.csv, split-adjusted like the share counts its
 * latest filings restated), checked against values worked out here from the files themselves.
 */
import fs from "node:fs";
import path from "node:path";
import { startFakeSec, type FakeSec } from "../helpers/fake-sec";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

const CSV = fs.readFileSync(path.resolve(__dirname, "../../data/prices/AAPL.csv"), "utf8");
const rows = CSV.trim()
	.split("\n")
	.slice(1)
	.map(line => {
		const [date, open, high, low, close, volume] = line.split(",");
		return { date, open: +open, high: +high, low: +low, close: +close, volume: +volume };
	});

let fake: FakeSec;
let platform: Platform;
let token: string;
let apple: { id: string };

beforeAll(async () => {
	fake = await startFakeSec();
	platform = await startPlatform({ env: { SEC_USER_AGENT: "bizops-tests ops@example.com", SEC_DATA_BASE_URL: fake.url, SEC_FILES_BASE_URL: fake.url } });
	token = await platform.login("admin", ADMIN_PASSWORD);
	// SIC 3571 (electronic computers) lies in SEC's manufacturing division: Altman's original z applies
	apple = (await platform.request("POST", "/companies/from-sec", { token, body: { ticker: "AAPL", industry: "manufacturing" } })).body.company;
});
afterAll(async () => {
	await platform.stop();
	await fake.close();
});

describe("daily prices", () => {
	it("take a CSV of daily prices and give them back by day, week or month", async () => {
		const up = await platform.request("POST", `/companies/${apple.id}/prices`, { token, body: { content: CSV } });
		expect(up.status).toBe(200);
		expect(up.body).toMatchObject({ rows: 1259, from: "2013-02-08", to: "2018-02-07", created: 1259, updated: 0 });
		// again: nothing changes
		expect((await platform.request("POST", `/companies/${apple.id}/prices`, { token, body: { content: CSV } })).body).toMatchObject({
			created: 0,
			updated: 0,
			unchanged: 1259,
		});
		// the write is in the audit trail like any other (the second, which changed nothing, is not)
		const audited = await eventually(
			"the price upload's audit entry",
			async () => (await platform.request("GET", `/audit?company_id=${apple.id}&action=finance.prices.uploaded`, { token })).body.rows,
			(rows: unknown[]) => rows.length > 0,
			200,
		);
		expect(audited).toHaveLength(1);
		expect(audited[0]).toMatchObject({ action: "finance.prices.uploaded", company_id: apple.id });
		const days = (await platform.request("GET", `/companies/${apple.id}/prices?from=2017-09-25&to=2017-09-29`, { token })).body.rows;
		expect(days.map((r: { date: string }) => r.date)).toEqual(["2017-09-25", "2017-09-26", "2017-09-27", "2017-09-28", "2017-09-29"]);
		// a month's bar: first open, highest high, lowest low, last close, the volumes added
		const september = rows.filter(r => r.date.startsWith("2017-09"));
		const month = (await platform.request("GET", `/companies/${apple.id}/prices?from=2017-09-01&to=2017-09-30&interval=month`, { token })).body.rows;
		expect(month).toEqual([
			{
				date: "2017-09-29",
				open: september[0].open,
				high: Math.max(...september.map(r => r.high)),
				low: Math.min(...september.map(r => r.low)),
				close: 154.12,
				volume: september.reduce((s, r) => s + r.volume, 0),
			},
		]);
	});

	it("refuse a CSV that is not prices, naming the line, and store none of it", async () => {
		const bad = await platform.request("POST", `/companies/${apple.id}/prices`, {
			token,
			body: { content: "Date,Open,High,Low,Close,Volume\n2019-01-02,10,11,9,10.5,100\n2019-01-03,10,11,9,12,100\n" },
		});
		expect(bad.status).toBe(422);
		expect(bad.body.message).toBe("Not a price CSV: line 3: open and close must lie between low and high");
		const noHeader = await platform.request("POST", `/companies/${apple.id}/prices`, { token, body: { content: "a,b\n1,2\n" } });
		expect(noHeader.body.message).toMatch(/line 1: the header has no date, open, high, low, close, volume column/);
		expect((await platform.request("GET", `/companies/${apple.id}/prices?from=2019-01-01`, { token })).body.rows).toEqual([]);
	});
});

describe("market figures", () => {
	it("give market capitalisation, volatility, drawdown and the Merton distance to default at each fiscal year end", async () => {
		const market = (await platform.request("GET", `/companies/${apple.id}/market`, { token })).body.periods;
		const fy2017 = market.find((p: { period_end: string }) => p.period_end === "2017-09-30");
		// the close of Friday 29 September 2017, × the 5,126,201,000 shares of the 10-K's balance sheet
		expect(fy2017).toMatchObject({ price_date: "2017-09-29", close: 154.12, shares_outstanding: 5_126_201_000 });
		expect(fy2017.market_cap).toBeCloseTo(154.12 * 5_126_201_000, 0);
		// the year to the period end: daily log returns' standard deviation × √252, the largest fall from a peak
		const year = rows.filter(r => r.date > "2016-09-30" && r.date <= "2017-09-30").map(r => r.close);
		const returns = year.slice(1).map((c, i) => Math.log(c / year[i]));
		const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
		const sigma = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1)) * Math.sqrt(252);
		expect(fy2017.volatility).toBeCloseTo(sigma, 10);
		let peak = 0;
		let drawdown = 0;
		for (const c of year) drawdown = Math.max(drawdown, (peak = Math.max(peak, c)) === c ? 0 : (peak - c) / peak, drawdown);
		expect(fy2017.max_drawdown).toBeCloseTo(drawdown, 10);
		// Bharath & Shumway: F = short-term debt + ½ long-term debt from the 10-K, σ_V from σ_E, drift = the year's return
		const statement = (await platform.request("GET", `/companies/${apple.id}/statements?statement_type=annual&from=2017-09-30&to=2017-09-30`, { token })).body.rows[0];
		const F = statement.balance_sheet.short_term_debt + 0.5 * statement.balance_sheet.long_term_debt;
		const E = fy2017.market_cap;
		const sigmaV = (E / (E + F)) * sigma + (F / (E + F)) * (0.05 + 0.25 * sigma);
		const mu = year[year.length - 1] / year[0] - 1;
		const dd = (Math.log((E + F) / F) + mu - sigmaV ** 2 / 2) / sigmaV;
		expect(fy2017.inputs.default_point).toBe(F);
		expect(fy2017.distance_to_default).toBeCloseTo(dd, 8);
		expect(fy2017.default_probability).toBeLessThan(1e-6);
		// every fiscal year the prices cover, FY2013–FY2017, checked the same way: the close on or before the year end ×
		// the 10-K's shares, and the distance to default on the year's closes and the 10-K's debt
		const annual = (await platform.request("GET", `/companies/${apple.id}/statements?statement_type=annual&from=2013-01-01&to=2017-12-31`, { token })).body.rows;
		expect(annual.map((s: { period_end: string }) => s.period_end).sort()).toEqual(["2013-09-28", "2014-09-27", "2015-09-26", "2016-09-24", "2017-09-30"]);
		for (const s of annual) {
			const at = market.find((p: { period_end: string }) => p.period_end === s.period_end);
			const close = rows.filter(r => r.date <= s.period_end).pop()!;
			expect(at).toMatchObject({ price_date: close.date, close: close.close, shares_outstanding: s.balance_sheet.shares_outstanding });
			expect(at.market_cap).toBeCloseTo(close.close * s.balance_sheet.shares_outstanding, 0);
			const from = new Date(Date.parse(s.period_end) - 365 * 86_400_000).toISOString().slice(0, 10);
			const closes = rows.filter(r => r.date > from && r.date <= s.period_end).map(r => r.close);
			const rs = closes.slice(1).map((c, i) => Math.log(c / closes[i]));
			const m = rs.reduce((x, r) => x + r, 0) / rs.length;
			const sE = Math.sqrt(rs.reduce((x, r) => x + (r - m) ** 2, 0) / (rs.length - 1)) * Math.sqrt(252);
			const debt = (s.balance_sheet.short_term_debt ?? 0) + 0.5 * (s.balance_sheet.long_term_debt ?? 0);
			const equity = close.close * s.balance_sheet.shares_outstanding;
			const sV = (equity / (equity + debt)) * sE + (debt / (equity + debt)) * (0.05 + 0.25 * sE);
			const drift = closes[closes.length - 1] / closes[0] - 1;
			expect(at.volatility).toBeCloseTo(sE, 10);
			expect(at.distance_to_default).toBeCloseTo((Math.log((equity + debt) / debt) + drift - sV ** 2 / 2) / sV, 8);
		}

		// before the prices begin: no market figures, and why
		const fy2012 = market.find((p: { period_end: string }) => p.period_end === "2012-09-29");
		expect(fy2012).toMatchObject({
			close: null,
			market_cap: null,
			distance_to_default: null,
			null_reason: "no close on or up to ten days before 2012-09-29 (the prices run from 2013-02-08 to 2018-02-07)",
		});
	});

	it("make the analysis's Altman score the original z, on the market value of equity", async () => {
		const a = (await platform.request("GET", `/companies/${apple.id}/analysis?period_end=2017-09-30`, { token })).body;
		expect(a.scores.altman.primary).toBe("z");
		const s = (await platform.request("GET", `/companies/${apple.id}/statements?statement_type=annual&from=2017-09-30&to=2017-09-30`, { token })).body.rows[0];
		const { balance_sheet: b, income_statement: i } = s;
		// Altman (1968): 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 1.0 X5, X4 = market value of equity / total liabilities
		const z =
			(1.2 * (b.total_current_assets - b.total_current_liabilities)) / b.total_assets +
			(1.4 * b.retained_earnings) / b.total_assets +
			(3.3 * i.operating_income) / b.total_assets +
			(0.6 * (154.12 * b.shares_outstanding)) / b.total_liabilities +
			(1.0 * i.revenue) / b.total_assets;
		expect(a.scores.altman.z).toBeCloseTo(z, 6);
		// the multiples on the same market value: 790.05 bn over net income 48,351 M and equity
		const marketCap = 154.12 * b.shares_outstanding;
		expect(a.ratios.valuation.price_to_earnings).toBeCloseTo(marketCap / i.net_income, 8);
		expect(a.ratios.valuation.price_to_earnings).toBeCloseTo(16.34, 2);
		expect(a.ratios.valuation.price_to_book).toBeCloseTo(marketCap / b.total_equity, 8);
		expect(a.ratios.valuation.dividend_yield).toBeCloseTo(s.cash_flow.dividends_paid / marketCap, 10);
		expect(a.warnings.join(" ")).not.toMatch(/no market data/);
	});

	it("join the automatic credit/distress assessment as a factor, once the prices arrive", async () => {
		// Apple's FY2016 and FY2017 10-K figures as a company of their own, so its latest period lies within the prices
		const annual = (await platform.request("GET", `/companies/${apple.id}/statements?statement_type=annual&from=2016-09-24&to=2017-09-30`, { token })).body.rows;
		expect(annual.map((s: { period_end: string }) => s.period_end).sort()).toEqual(["2016-09-24", "2017-09-30"]);
		const copy = (await platform.request("POST", "/companies", { token, body: { name: "Apple FY2017", industry: "manufacturing" } })).body;
		for (const { statement_type, period_end, fiscal_year, fiscal_period, currency, balance_sheet, income_statement, cash_flow } of annual) {
			const body = { statement_type, period_end, fiscal_year, fiscal_period, currency, balance_sheet, income_statement, cash_flow };
			expect((await platform.request("POST", `/companies/${copy.id}/statements`, { token, body })).status).toBe(201);
		}
		const creditFactor = async () => {
			const rows = (await platform.request("GET", `/companies/${copy.id}/risk-assessments?method=automatic`, { token })).body.rows;
			const credit = rows.find((r: { risk_type: string }) => r.risk_type === "credit_distress");
			return credit?.risk_factors.find((f: { name: string }) => f.name === "merton_default_probability");
		};
		// the statements' review scores the company without a market view, and says why
		const before = await eventually("the company's review", creditFactor, f => f != null, 500);
		expect(before).toMatchObject({ value: null, applied_weight: null, reason: "no prices for the company (POST /companies/:id/prices)" });

		await platform.request("POST", `/companies/${copy.id}/prices`, { token, body: { content: CSV } });
		// the price upload's review scores it again, the distance to default's probability among the factors
		const fy2017 = (await platform.request("GET", `/companies/${copy.id}/market`, { token })).body.periods.find((p: { period_end: string }) => p.period_end === "2017-09-30");
		const after = await eventually("the review after the prices", creditFactor, f => f?.value != null, 500);
		expect(after).toMatchObject({ value: fy2017.default_probability, safe: 0.005, distress: 0.2, weight: 0.3, factor_score: 0 });
		expect(after.applied_weight).toBeGreaterThan(0);
		expect(after.source).toMatch(/Bharath & Shumway/);
	});

	it("go with their company", async () => {
		const gone = (await platform.request("POST", "/companies", { token, body: { name: "Short-lived Co", industry: "technology" } })).body;
		await platform.request("POST", `/companies/${gone.id}/prices`, { token, body: { content: "Date,Open,High,Low,Close,Volume\n2019-01-02,10,11,9,10.5,100\n" } });
		const finance = platform.broker.getLocalService("finance") as unknown as { prices: { count(p: object): Promise<number> } };
		expect(await finance.prices.count({ query: { company_id: gone.id } })).toBe(1);
		expect((await platform.request("DELETE", `/companies/${gone.id}`, { token })).status).toBe(200);
		await eventually(
			"the prices deleted with their company",
			() => finance.prices.count({ query: { company_id: gone.id } }),
			n => n === 0,
		);
	});
});
