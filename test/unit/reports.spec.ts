/**
 * The reports' documents (domains/reports/) and their layout rules: what moved between two portfolio reports,
 * distributions, a company with nothing yet, a chart as a workbook's table, values as the PDF prints them, and
 * table columns that fit the page without breaking a word.
 */
import ExcelJS from "exceljs";
import { companyReport, type CompanyReportData } from "../../domains/reports/company-report";
import { chartTable, formatCell, type SeriesChart } from "../../domains/reports/document";
import { distribution, movesBetween, portfolioReport, type PortfolioRow } from "../../domains/reports/portfolio-report";
import { columnWidths, renderXlsx } from "../../lib/report-render";

const row = (id: string, over: Partial<PortfolioRow> = {}): PortfolioRow => ({
	company_id: id,
	name: `Company ${id}`,
	ticker: null,
	industry: "manufacturing",
	period_end: "2023-12-31",
	altman_z: 2,
	zone: "grey",
	risk_level: "medium",
	compliance_status: "compliant",
	overdue_actions: 0,
	...over,
});

describe("portfolio moves", () => {
	it("names each change of zone, risk level and compliance, and companies that came in or left", () => {
		const before = [row("a"), row("b"), row("c")];
		const now = [row("a", { zone: "distress", risk_level: "high" }), row("b"), row("d")];
		expect(movesBetween(before, now)).toEqual([
			{ company_id: "a", name: "Company a", what: "zone", before: "grey", now: "distress" },
			{ company_id: "a", name: "Company a", what: "risk_level", before: "medium", now: "high" },
			{ company_id: "d", name: "Company d", what: "scope", before: null, now: "in" },
			{ company_id: "c", name: "Company c", what: "scope", before: "in", now: null },
		]);
		expect(movesBetween(now, now)).toEqual([]);
	});

	it("counts every company once, those without a value as none", () => {
		const rows = [row("a"), row("b", { zone: "safe" }), row("c", { zone: null }), row("d", { zone: "safe" })];
		expect(distribution(rows, "zone", ["safe", "grey", "distress"])).toEqual([
			["safe", 2],
			["grey", 1],
			["distress", 0],
			["none", 1],
		]);
	});

	it("says so when there is no earlier report, and lists the moves when there is", () => {
		const base = { scope: "manufacturing companies", generated_at: "2026-12-07T10:00:00Z", generated_by: "ana", platform_version: "0.1.0" };
		const first = portfolioReport({ ...base, rows: [row("a")], previous: null });
		const movers = first.sections.find(s => s.heading === "Moved since the last report")!;
		expect(movers.blocks).toEqual([{ kind: "text", text: "The first report of this scope: nothing to compare with." }]);
		const second = portfolioReport({ ...base, rows: [row("a", { zone: "safe" })], previous: { generated_at: "2026-12-01T10:00:00Z", rows: [row("a")] } });
		const table = second.sections.find(s => s.heading === "Moved since the last report")!.blocks[0];
		expect(table).toMatchObject({ kind: "table", rows: [["Company a", "zone", "grey", "safe"]] });
		expect(second.cover).toContainEqual(["Companies", "1"]);
	});
});

describe("company report", () => {
	it("of a company with no statement, risk, record or plan says what is missing in each part", () => {
		const data: CompanyReportData = {
			company: { id: "c1", name: "Empty Co", industry: "technology" },
			analysis: null,
			ratio_history: {},
			kpis: null,
			risks: [],
			matrix: null,
			compliance: [],
			plan: null,
			statements: [],
			generated_at: "2026-12-07T10:00:00Z",
			generated_by: "ana",
			platform_version: "0.1.0",
		};
		const doc = companyReport(data);
		expect(doc.title).toBe("Empty Co");
		expect(doc.cover).toContainEqual(["Period", "no statement"]);
		const texts = doc.sections.flatMap(s => s.blocks.filter(b => b.kind === "text").map(b => (b as { text: string }).text));
		expect(texts).toEqual(
			expect.arrayContaining(["No statement: nothing to score.", "No annual statement: no trend.", "No scored risk.", "No regulation assessed.", "No plan."]),
		);
		expect(doc.sections.map(s => s.heading)).toEqual(["Scores", "Ratio trends (annual)", "Benchmark", "KPIs", "Risk", "Compliance", "Strategic plan", "Sources"]);
	});
});

describe("rendering rules", () => {
	it("prints values by their unit", () => {
		expect(formatCell(0.1234, "fraction")).toBe("12.3 %");
		expect(formatCell(1.849, "times")).toBe("1.85×");
		expect(formatCell(1234567.4, "money")).toBe("1,234,567");
		expect(formatCell(-2.64712, "number")).toBe("-2.647");
		expect(formatCell(null, "number")).toBe("—");
		expect(formatCell(Number.NaN, "fraction")).toBe("—");
	});

	it("gives a chart's data as a table, one row per category", () => {
		const chart: SeriesChart = {
			kind: "line",
			title: "Margins",
			categories: ["2022", "2023"],
			series: [
				{ name: "net", values: [0.1, null] },
				{ name: "gross", values: [0.3, 0.35] },
			],
			unit: "fraction",
		};
		expect(chartTable(chart)).toEqual({
			kind: "table",
			title: "Margins",
			columns: [
				{ label: "period", unit: "text" },
				{ label: "net", unit: "fraction" },
				{ label: "gross", unit: "fraction" },
			],
			rows: [
				["2022", 0.1, 0.3],
				["2023", null, 0.35],
			],
		});
	});

	it("lays table columns across the page, none narrower than its longest word", () => {
		const header = ["status", "formula"];
		const rows = [
			["not_assessed", "availability × performance × quality; availability = run_time / planned_production_time, performance = ideal_cycle_time × total_count / run_time"],
		];
		const widths = columnWidths(header, rows, 515);
		expect(widths.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(515 - 2 * 8);
		expect(widths[0]).toBeGreaterThanOrEqual("not_assessed".length * 4.4);
		expect(widths[1]).toBeGreaterThan(widths[0]);
		// more words than the page holds: shrunk in proportion, still on the page
		const crowded = columnWidths(
			Array.from({ length: 12 }, (_, i) => `column_with_a_long_name_${i}`),
			[],
			515,
		);
		expect(crowded.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(515 - 12 * 8);
	});

	it("writes a workbook whose sheet names are valid and unique, its cells typed by their unit", async () => {
		const doc = portfolioReport({
			scope: "x",
			rows: [row("a"), row("b", { altman_z: 1.2345 })],
			previous: null,
			generated_at: "2026-12-07T10:00:00Z",
			generated_by: "ana",
			platform_version: "0.1.0",
		});
		doc.sections.push({
			heading: "Extra",
			blocks: [
				{ kind: "table", title: "Companies in scope", columns: [{ label: "share", unit: "fraction" }], rows: [[0.5]] },
				{ kind: "table", title: "a/b: [c]*?", columns: [{ label: "n", unit: "integer" }], rows: [[3]] },
			],
		});
		const workbook = new ExcelJS.Workbook();
		await workbook.xlsx.load((await renderXlsx(doc)) as unknown as ArrayBuffer);
		const names = workbook.worksheets.map(s => s.name);
		expect(new Set(names.map(n => n.toLowerCase())).size).toBe(names.length);
		expect(names).toEqual(expect.arrayContaining(["Cover", "Companies in scope", "Companies in scope 2", "a b c"]));
		for (const name of names) expect(name).not.toMatch(/[:\\/?*[\]]/);
		const companies = workbook.getWorksheet("Companies in scope")!;
		expect(companies.getRow(3).getCell(5).value).toBe(1.2345);
		expect(companies.getRow(2).getCell(4).value).toEqual(new Date("2023-12-31T00:00:00Z"));
		expect(workbook.getWorksheet("Companies in scope 2")!.getRow(2).getCell(1).numFmt).toBe("0.0%");
	});
});
