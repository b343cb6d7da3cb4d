/** SEC companyfacts → annual statements on the three real documents shipped in data/sec-companyfacts, spot-checked against their facts. */
import fs from "fs";
import path from "path";
import { parseCompanyFacts, SecDocumentError } from "../../domains/finance/sec";

const DATA = path.resolve(__dirname, "../../data/sec-companyfacts");
const load = (name: string) => JSON.parse(fs.readFileSync(path.join(DATA, name), "utf8"));
const period = (imp: ReturnType<typeof parseCompanyFacts>, end: string) => imp.periods.find(p => p.period_end === end)!;

describe("Tesla (CIK 1318605, calendar years)", () => {
	const imp = parseCompanyFacts(load("tesla.json"));

	it("yields one annual statement per fiscal year end", () => {
		expect(imp.cik).toBe("1318605");
		expect(imp.entity_name).toBe("Tesla, Inc.");
		const ends = imp.periods.map(p => p.period_end);
		expect(ends).toEqual([...ends].sort());
		expect(ends.every(e => e.endsWith("-12-31"))).toBe(true);
		expect(ends).toEqual(expect.arrayContaining(["2019-12-31", "2020-12-31", "2021-12-31"]));
	});

	it("matches the 10-K figures for 2021", () => {
		const s = period(imp, "2021-12-31").statement;
		expect(s).toMatchObject({ statement_type: "annual", fiscal_year: 2021, fiscal_period: "FY", currency: "USD" });
		expect(s.balance_sheet).toMatchObject({ total_assets: 62131000000, total_equity: 30189000000, total_current_assets: 27100000000 });
		expect(s.income_statement).toMatchObject({ revenue: 53823000000, net_income: 5519000000 });
		expect(s.cash_flow).toMatchObject({ operating_cash_flow: 11497000000, capital_expenditure: 6482000000 });
		expect(s.source).toMatchObject({ type: "sec_companyfacts", cik: "1318605", filed: "2022-02-07" });
	});

	it("takes only 350–380-day durations: 2020 revenue is the year, not the Q4 the 10-K also reports", () => {
		// the 10-K filed 2021-02-08 reports Revenues 2020-10-01..2020-12-31 = 10,744,000,000 (92 days) and 2020-01-01..2020-12-31 = 31,536,000,000
		expect(period(imp, "2020-12-31").statement.income_statement.revenue).toBe(31536000000);
	});

	it("lets the latest filing win for the same tag and end (restated figures)", () => {
		// Assets at 2015-12-31: 8,092,460,000 in the 10-K filed 2016-02-24, restated 8,067,939,000 in the one filed 2017-03-01
		expect(period(imp, "2015-12-31").statement.balance_sheet.total_assets).toBe(8067939000);
	});

	it("reports which line items were found, from which tag, and which are missing", () => {
		const p = period(imp, "2021-12-31");
		expect(p.found).toEqual(expect.arrayContaining(["total_assets", "revenue", "net_income"]));
		expect(p.tags.revenue).toBe("Revenues");
		expect([...p.found, ...p.missing].sort()).toHaveLength(21);
	});
});

describe("Snowflake (CIK 1640147, fiscal years ending 31 January)", () => {
	const imp = parseCompanyFacts(load("snowflake.json"));

	it("dates statements by the period end, never by fy: the year to 2025-01-31 is fiscal_year 2025", () => {
		const ends = imp.periods.map(p => p.period_end);
		expect(ends.every(e => e.endsWith("-01-31"))).toBe(true);
		const s = period(imp, "2025-01-31").statement;
		expect(s.fiscal_year).toBe(2025);
		expect(s.balance_sheet.total_assets).toBe(9033938000);
		expect(s.income_statement.revenue).toBe(3626396000); // RevenueFromContractWithCustomerExcludingAssessedTax: no Revenues tag
		expect(s.income_statement.net_income).toBe(-1285640000);
		expect(period(imp, "2025-01-31").tags.revenue).toBe("RevenueFromContractWithCustomerExcludingAssessedTax");
		expect(period(imp, "2024-01-31").statement.balance_sheet.total_equity).toBe(5180308000);
	});
});

describe("Logistic Properties of the Americas (IFRS, 20-F)", () => {
	it("is refused with the reason: no us-gaap facts from 10-K filings", () => {
		expect(() => parseCompanyFacts(load("logistic-properties-americas.json"))).toThrow(SecDocumentError);
		try {
			parseCompanyFacts(load("logistic-properties-americas.json"));
		} catch (err) {
			expect((err as SecDocumentError).problems[0].message).toMatch(/ifrs-full/);
		}
	});
});

describe("malformed documents", () => {
	it("names the offending field", () => {
		const bad = { cik: 1, entityName: "X", facts: { "us-gaap": { Assets: { units: { USD: [{ end: "2020-12-31", val: "lots", form: "10-K", filed: "2021-01-01" }] } } } } };
		expect(() => parseCompanyFacts(bad)).toThrow(SecDocumentError);
		try {
			parseCompanyFacts(bad);
		} catch (err) {
			expect((err as SecDocumentError).problems[0].field).toBe("facts.us-gaap.Assets.units.USD[0].val");
		}
		expect(() => parseCompanyFacts({ cik: "abc", facts: {} })).toThrow(/Malformed/);
		expect(() => parseCompanyFacts([])).toThrow(SecDocumentError);
	});
});
