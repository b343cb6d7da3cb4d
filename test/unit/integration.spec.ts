/** The SEC EDGAR connector's domain: SIC codes to industries, tickers, submissions, SEC's refusal page. */
import fs from "node:fs";
import path from "node:path";
import { filerOfSubmissions, findTicker, isRateThresholdPage, looksLikeHtml, paddedCik, plainCik } from "../../domains/integration/edgar";
import { industryOfSic, SIC_RANGES } from "../../domains/integration/sic";

const DATA = path.resolve(__dirname, "../../data/sec-edgar");
const read = (f: string) => fs.readFileSync(path.join(DATA, f), "utf8");

describe("SIC → industry", () => {
	it.each([
		[3711, "manufacturing"], // Tesla: motor vehicles
		[3674, "technology"], // semiconductors
		[7372, "technology"], // prepackaged software
		[2834, "healthcare"], // pharmaceutical preparations
		[6022, "financial_services"], // state commercial banks
		[6798, "financial_services"], // real estate investment trusts
		[2011, "manufacturing"], // meat packing
	])("SIC %i is %s", (sic, industry) => expect(industryOfSic(sic)).toBe(industry));

	it("leaves a SIC outside every module to the caller", () => {
		for (const sic of [4700, 5331, 1311, 9995]) expect(industryOfSic(sic)).toBeNull();
	});

	it("names only industries the platform has modules for", () => {
		expect(new Set(SIC_RANGES.map(r => r.industry))).toEqual(new Set(["technology", "healthcare", "financial_services", "manufacturing"]));
	});
});

describe("SEC EDGAR's answers", () => {
	it("pads and strips CIKs as SEC's paths and the platform write them", () => {
		expect(paddedCik("1318605")).toBe("0001318605");
		expect(paddedCik(320193)).toBe("0000320193");
		expect(plainCik("0001318605")).toBe("1318605");
	});

	it("finds a ticker's CIK in company_tickers.json, case-insensitively", () => {
		const doc = JSON.parse(read("company_tickers.json"));
		expect(findTicker(doc, "tsla")).toEqual({ cik: "1318605", ticker: "TSLA", title: "Tesla, Inc." });
		expect(findTicker(doc, "MRVL")?.cik).toBe("1835632");
		expect(findTicker(doc, "NOPE")).toBeNull();
	});

	it("reads a filer from its submissions", () => {
		const tesla = filerOfSubmissions(JSON.parse(read("submissions/CIK0001318605.json")));
		expect(tesla).toMatchObject({ cik: "1318605", name: "Tesla, Inc.", tickers: ["TSLA"], sic: 3711, fiscal_year_end: "1231", country: "US" });
		expect(tesla.former_names).toEqual([{ name: "TESLA MOTORS INC", from: "2005-02-17", to: "2017-01-27" }]);
		expect(() => filerOfSubmissions({ filings: {} })).toThrow(/no cik and name/);
	});

	it("knows SEC's threshold page and an HTML answer for what they are", () => {
		expect(isRateThresholdPage(read("fixtures/rate-exceeded-403.html"))).toBe(true);
		expect(isRateThresholdPage(read("company_tickers.json").slice(0, 1000))).toBe(false);
		expect(looksLikeHtml("text/html; charset=utf-8", "")).toBe(true);
		expect(looksLikeHtml("application/json", "<!DOCTYPE html><html>")).toBe(true);
		expect(looksLikeHtml("application/json", '{"cik": 1}')).toBe(false);
	});
});
