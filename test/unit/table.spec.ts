/** Lists as tables and CSV: flattening, RFC 4180 quoting, formula neutralisation, which fields are fractions. */
import ExcelJS from "exceljs";
import { csvOf, isFractionField, neutralised, tableOf } from "../../domains/presentation/table";
import { exportOf, XLSX_CELL_MAX } from "../../lib/exports";

describe("a list as a table", () => {
	it("flattens nested objects into dotted columns, joins lists of values, keeps deeper ones as JSON", () => {
		const t = tableOf([
			{ id: "a", altman: { zone: "grey", z: 1.7 }, tags: ["x", "y"], factors: [{ name: "f" }] },
			{ id: "b", extra: true, altman: null },
		]);
		expect(t.columns).toEqual(["id", "altman.zone", "altman.z", "tags", "factors", "extra", "altman"]);
		expect(t.rows[0]).toEqual(["a", "grey", 1.7, "x; y", '[{"name":"f"}]', null, null]);
		expect(t.rows[1]).toEqual(["b", null, null, null, null, true, null]);
	});

	it("writes RFC 4180: quotes around commas, quotes and line breaks, quotes doubled, CRLF", () => {
		expect(
			csvOf({
				columns: ["a", "b"],
				rows: [
					["x,y", 'say "hi"'],
					["line\nbreak", 3],
				],
			}),
		).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",3\r\n');
	});

	it("neutralises what a spreadsheet would run as a formula", () => {
		for (const f of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]) expect(neutralised(f)).toBe(`'${f}`);
		expect(neutralised("Acme")).toBe("Acme");
		expect(csvOf({ columns: ["n"], rows: [["=HYPERLINK(1)"]] })).toBe("n\r\n'=HYPERLINK(1)\r\n");
	});

	it("knows fractions by their name, not multiples", () => {
		expect(["net_margin", "analysis.ratios.roe", "revenue_growth", "default_probability", "dividend_yield"].every(isFractionField)).toBe(true);
		expect(["current_ratio", "debt_to_equity", "revenue", "z"].some(isFractionField)).toBe(false);
	});
});

describe("an XLSX export", () => {
	it("cuts a cell at the length Excel opens, and keeps the rest of the row", async () => {
		const { body } = await exportOf([{ id: "v1", history: "x".repeat(40_000), rows: 80 }], "xlsx", "versions");
		const book = new ExcelJS.Workbook();
		await book.xlsx.load(body as never);
		const row = book.worksheets[0].getRow(2);
		expect(String(row.getCell(2).value).length).toBe(XLSX_CELL_MAX);
		expect(row.getCell(3).value).toBe(80);
	});
});
