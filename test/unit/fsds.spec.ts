/**
 * SEC's Financial Statement Data Sets shipped in data/sec-fsds (the FY2009 10-Ks of 2010q1) through the SEC
 * import's mapping, spot-checked against their rows; and the reference filers the distress model is checked on.
 */
import fs from "fs";
import path from "path";
import { companyFactsOfFilings, readTsv } from "../../domains/finance/fsds";
import { parseCompanyFacts } from "../../domains/finance/sec";
import { DISTRESS_FEATURE_NAMES } from "../../domains/ml/distress";
import { coverageFloor, inputCoverage } from "../../domains/ml/coverage";
import { REFERENCE_PEERS_FILE, referenceFilers } from "../../lib/reference-filers";
import { referencePeersJson } from "../../bin/reference-peers";

const DIR = path.resolve(__dirname, "../../data/sec-fsds");
const sub = readTsv(fs.readFileSync(path.join(DIR, "2010q1-10k-sub.tsv"), "utf8"));
const num = readTsv(fs.readFileSync(path.join(DIR, "2010q1-10k-num.tsv"), "utf8"));
const documents = companyFactsOfFilings(sub, num);
const statementOf = (adsh: string, end: string) => {
	const { document } = documents.find(d => d.filing.adsh === adsh)!;
	return parseCompanyFacts(document).periods.find(p => p.period_end === end)!;
};

describe("SEC Financial Statement Data Sets as companyfacts", () => {
	it("hold the 10-K filings of 2010q1, dated by their balance sheet", () => {
		expect(documents).toHaveLength(389);
		expect(documents.find(d => d.filing.cik === "18230")!.filing).toMatchObject({
			name: "CATERPILLAR INC",
			sic: "3531",
			form: "10-K",
			period: "2009-12-31",
			filed: "2010-02-19",
		});
	});

	it("map through the import's tags: Caterpillar's FY2009 revenue, and its pre-2011 income-before-tax tag", () => {
		const cat = statementOf("0000018230-10-000092", "2009-12-31");
		// num.txt: Revenues 32,396,000,000 (qtrs 4) wins over SalesRevenueNet 29,540,000,000
		expect(cat.statement.income_statement.revenue).toBe(32396000000);
		expect(cat.tags.income_before_tax).toBe("IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments");
		expect(cat.statement.income_statement.income_before_tax).toBe(569000000);
		expect(cat.statement.balance_sheet.total_liabilities).toBe(50738000000); // its own Liabilities tag
		// the prior year comes from the same filing
		expect(statementOf("0000018230-10-000092", "2008-12-31").statement.income_statement.revenue).toBeGreaterThan(0);
	});

	it("derive total liabilities as liabilities and equity less equity when a filer tags no total (Motorola)", () => {
		const motorola = statementOf("0001047469-10-000905", "2009-12-31");
		// 25,603,000,000 − 9,883,000,000 (equity with non-controlling interests)
		expect(motorola.statement.balance_sheet.total_liabilities).toBe(25603000000 - 9883000000);
		expect(motorola.tags.total_liabilities).toBe("LiabilitiesAndStockholdersEquity-StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest");
	});
});

describe("the reference filers", () => {
	const { filers, unreadable } = referenceFilers();

	it("are the non-financial FY2009 filers, with Altman's zone and the distress model's inputs", () => {
		expect(filers.length + unreadable).toBe(documents.filter(d => !(Number(d.filing.sic) >= 6000 && Number(d.filing.sic) < 6800)).length);
		expect(unreadable).toBeLessThan(10);
		const zones = new Set(filers.map(f => f.altman_zone));
		expect(zones).toEqual(new Set(["distress", "grey", "safe", null]));
		expect(Object.keys(filers[0].values)).toEqual(DISTRESS_FEATURE_NAMES);
	});

	it("mostly give enough of the model's inputs to be scored", () => {
		const floor = coverageFloor(0.0062);
		const sufficient = filers.filter(
			f =>
				inputCoverage(
					DISTRESS_FEATURE_NAMES,
					DISTRESS_FEATURE_NAMES.map(n => f.values[n] ?? NaN),
					floor,
				).sufficient,
		);
		expect(sufficient.length / filers.length).toBeGreaterThan(0.75);
	});
});

describe("the reference peer set", () => {
	it("is shipped as the filings give it (run `npm run reference-peers` after changing the mapping or the ratios)", () => {
		expect(fs.readFileSync(REFERENCE_PEERS_FILE, "utf8")).toBe(referencePeersJson());
		const { industries } = JSON.parse(referencePeersJson());
		expect(Object.fromEntries(Object.entries(industries).map(([k, v]) => [k, (v as unknown[]).length]))).toEqual({
			manufacturing: 87,
			technology: 51,
			healthcare: 35,
			financial_services: 69,
		});
	});
});
