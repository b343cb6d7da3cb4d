/** SEC companyfacts → annual statements on the three real documents shipped in data/sec-companyfacts, spot-checked against their facts. */
import fs from "fs";
import path from "path";
import { figuresOf, ratio } from "../../domains/finance/ratios";
import { IFRS_MAPPINGS, parseCompanyFacts, SecDocumentError, US_GAAP_MAPPINGS } from "../../domains/finance/sec";

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
		expect([...p.found, ...p.missing].sort()).toEqual(US_GAAP_MAPPINGS.map(m => m.item).sort());
		expect(p.missing).toEqual(["dividends_paid", "share_repurchases"]);
	});

	it("counts marketable securities as short-term investments, so the quick ratio has them (0.996, not 0.989)", () => {
		const p = period(imp, "2021-12-31");
		expect(p.statement.balance_sheet.short_term_investments).toBe(131000000);
		expect(p.tags.short_term_investments).toBe("MarketableSecuritiesCurrent");
		expect(ratio("quick_ratio", figuresOf(p.statement))!.toFixed(3)).toBe("0.996");
	});

	it("maps the further line items as the 10-K reports them (filed 2022-02-07)", () => {
		const s = period(imp, "2021-12-31").statement;
		expect(s.balance_sheet).toMatchObject({
			short_term_debt: 1088000000, // DebtCurrent
			long_term_debt: 4254000000, // LongTermDebt (no LongTermDebtNoncurrent)
			property_plant_equipment_net: 18884000000,
			goodwill: 200000000,
			intangible_assets: 257000000,
			// no CommonStockSharesOutstanding at 2021-12-31 (the 10-K dates it 2021-12-30): the cover page's count of 31 January 2022
			shares_outstanding: 1033507611,
		});
		expect(s.income_statement).toMatchObject({
			sga_expense: 4517000000,
			research_and_development: 2593000000,
			depreciation_and_amortization: 1910000000, // Depreciation, the first of the D&A tags present
			eps_basic: 5.6,
			eps_diluted: 4.9,
		});
		expect(s.cash_flow).toMatchObject({ investing_cash_flow: -7868000000, financing_cash_flow: -5203000000 });
		// 2020's shares come from the instant tag, reported at 2020-12-31 in the same filing
		expect(period(imp, "2020-12-31").statement.balance_sheet.shares_outstanding).toBe(960000000);
		expect(period(imp, "2020-12-31").tags.shares_outstanding).toBe("CommonStockSharesOutstanding");
	});
});

describe("Tesla's quarters (10-Q)", () => {
	const imp = parseCompanyFacts(load("tesla.json"));
	const quarter = (end: string) => imp.quarters.find(p => p.period_end === end)!;

	it("takes a quarter's own figures from its 10-Q, dated by start and end", () => {
		// Q3 2022 (10-Q filed 2022-10-24): revenue 21,454 M, net income 3,292 M; total assets 74,426 M at 30 September
		expect(quarter("2022-09-30").statement).toMatchObject({
			statement_type: "quarterly",
			fiscal_period: "Q3",
			fiscal_year: 2022,
			income_statement: { revenue: 21_454e6, net_income: 3_292e6 },
			balance_sheet: { total_assets: 74_426e6 },
		});
	});

	it("derives the fourth quarter as the year less the first nine months, and takes its balance sheet from the 10-K", () => {
		// 2021: 53,823 M for the year (10-K) − 10,389 − 11,958 − 13,757 (10-Qs) = 17,719 M
		const q4 = quarter("2021-12-31");
		expect(q4.statement).toMatchObject({ fiscal_period: "Q4", income_statement: { revenue: 53_823e6 - 10_389e6 - 11_958e6 - 13_757e6 } });
		expect(q4.statement.income_statement.revenue).toBe(17_719e6);
		expect(q4.statement.balance_sheet.total_assets).toBe(period(imp, "2021-12-31").statement.balance_sheet.total_assets);
		expect(q4.statement.source?.accession?.length).toBeGreaterThan(1);
	});

	it("takes year-to-date cash flows apart: a quarter is its year-to-date less the quarter before", () => {
		// operating cash flow, six months to 2022-06-30: 6,346 M; first quarter: 3,995 M → the second: 2,351 M
		expect(quarter("2022-03-31").statement.cash_flow.operating_cash_flow).toBe(3_995e6);
		expect(quarter("2022-06-30").statement.cash_flow.operating_cash_flow).toBe(6_346e6 - 3_995e6);
	});

	it("numbers the quarters of each fiscal year, four a year", () => {
		const of2021 = imp.quarters.filter(q => q.period_end.startsWith("2021-")).map(q => q.statement.fiscal_period);
		expect(of2021).toEqual(["Q1", "Q2", "Q3", "Q4"]);
		for (const q of imp.quarters) expect(q.statement.statement_type).toBe("quarterly");
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

	it("sums selling and marketing with general and administrative when no SG&A tag is reported", () => {
		const p = period(imp, "2025-01-31");
		expect(p.statement.income_statement.sga_expense).toBe(1672092000 + 412262000);
		expect(p.tags.sga_expense).toBe("SellingAndMarketingExpense+GeneralAndAdministrativeExpense");
		expect(p.statement.balance_sheet.short_term_investments).toBe(2008873000); // AvailableForSaleSecuritiesDebtSecuritiesCurrent
		expect(p.statement.cash_flow.share_repurchases).toBe(1932333000);
		expect(p.missing).toEqual(["inventory", "short_term_debt", "long_term_debt", "dividends_paid"]);
		// no InterestExpense tag: the newer InterestExpenseNonoperating
		expect(p.statement.income_statement.interest_expense).toBe(2759000);
		expect(p.tags.interest_expense).toBe("InterestExpenseNonoperating");
	});
});

describe("shares outstanding from the cover page (dei:EntityCommonStockSharesOutstanding)", () => {
	const imp = parseCompanyFacts(load("snowflake.json"));

	it("count a filer's shares where its balance sheet tags none: the report's own cover, dated weeks after the period end", () => {
		// Snowflake tags no CommonStockSharesOutstanding; its 10-K for the year to 31 January 2021 counted 288.7 M on 1 March
		const fy2021 = period(imp, "2021-01-31");
		expect(fy2021.statement.balance_sheet.shares_outstanding).toBe(288_700_000);
		expect(fy2021.tags.shares_outstanding).toBe("dei:EntityCommonStockSharesOutstanding");
		expect(fy2021.statement.source!.accession).toContain("0001640147-21-000073");
		// the quarter to 30 April 2021: its 10-Q's cover of 14 May, not the annual report's
		const q1 = imp.quarters.find(q => q.period_end === "2021-04-30")!;
		expect(q1.statement.balance_sheet.shares_outstanding).toBe(296_100_000);
	});

	it("never take a count from another period's report, nor the balance sheet's count when there is one", () => {
		// Tesla's balance sheet counts 960 M at 2020-12-31: the cover of 2021 (1,033 M) is not used for it
		const tesla = parseCompanyFacts(load("tesla.json"));
		expect(period(tesla, "2020-12-31").statement.balance_sheet.shares_outstanding).toBe(960_000_000);
		expect(period(tesla, "2020-12-31").tags.shares_outstanding).toBe("CommonStockSharesOutstanding");
		// the year to 31 January 2020 came only as the comparative of a later 10-K, whose cover (March 2021) counts
		// other shares: that year keeps the weighted average it reported (44.8 M, before the IPO)
		expect(period(imp, "2020-01-31").tags.shares_outstanding).toBe("WeightedAverageNumberOfSharesOutstandingBasic");
		expect(period(imp, "2020-01-31").statement.balance_sheet.shares_outstanding).toBe(44_847_442);
	});
});

describe("Logistic Properties of the Americas (CIK 1997711, IFRS, 20-F)", () => {
	const doc = load("logistic-properties-americas.json");
	const imp = parseCompanyFacts(doc);

	it("reads ifrs-full facts of 20-F filings, in the facts' currency", () => {
		expect(imp).toMatchObject({ cik: "1997711", taxonomy: "ifrs-full", currency: "USD" });
		expect(imp.periods.map(p => p.period_end)).toEqual(["2021-12-31", "2022-12-31", "2023-12-31", "2024-12-31"]);
		const p = period(imp, "2023-12-31");
		expect(p.statement.currency).toBe("USD");
		expect(p.statement.balance_sheet).toMatchObject({
			total_assets: 590825310,
			total_equity: 260942917, // Equity
			short_term_debt: 16703098, // CurrentPortionOfLongtermBorrowings (no CurrentBorrowings)
			long_term_debt: 269854235, // LongtermBorrowings
			shares_outstanding: 168142740,
		});
		expect(p.statement.income_statement).toMatchObject({
			revenue: 39436343,
			operating_income: 34184829,
			interest_expense: 22557977,
			net_income: 7156005,
			sga_expense: 1531337,
		});
		// the 20-F filed 2025-04-02 restated 2023's EPS (0.019 in the one filed 2024-04-26): the latest filing wins
		expect(p.statement.income_statement.eps_basic).toBe(0.11);
		expect(p.statement.cash_flow).toMatchObject({ operating_cash_flow: 17199470, capital_expenditure: 126476 }); // CashFlowsFromUsedInOperations
		expect(p.missing).toEqual(["accounts_receivable", "inventory", "cost_of_revenue", "gross_profit"]);
		expect([...p.found, ...p.missing].sort()).toEqual(IFRS_MAPPINGS.map(m => m.item).sort());
	});

	it("refuses a document whose monetary facts come in two currencies, naming them", () => {
		const twoCurrencies = structuredClone(doc);
		twoCurrencies.facts["ifrs-full"].Revenue.units.EUR = twoCurrencies.facts["ifrs-full"].Revenue.units.USD;
		expect(() => parseCompanyFacts(twoCurrencies)).toThrow(SecDocumentError);
		try {
			parseCompanyFacts(twoCurrencies);
		} catch (err) {
			expect((err as SecDocumentError).message).toMatch(/2 currencies \(EUR, USD\)/);
			expect((err as SecDocumentError).problems[0]).toMatchObject({ field: "facts.ifrs-full", type: "secCurrency", actual: ["EUR", "USD"] });
		}
	});

	it("takes a whole document in another currency as that currency", () => {
		const inEuros = structuredClone(doc);
		for (const tag of Object.values<{ units: Record<string, unknown> }>(inEuros.facts["ifrs-full"])) {
			if (tag.units.USD) {
				tag.units.EUR = tag.units.USD;
				delete tag.units.USD;
			}
			if (tag.units["USD/shares"]) tag.units["EUR/shares"] = tag.units["USD/shares"];
		}
		const p = period(parseCompanyFacts(inEuros), "2023-12-31");
		expect(p.statement.currency).toBe("EUR");
		expect(p.statement.balance_sheet.total_assets).toBe(590825310);
		expect(p.statement.income_statement.eps_basic).toBe(0.11);
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
