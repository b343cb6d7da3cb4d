/**
 * A report as a document of sections (docs/reports.md): what it says, independent of the file it becomes. The
 * same document is rendered as a PDF (tables and charts drawn as vector graphics) and as an XLSX workbook (one
 * sheet per table, a chart as the table of its data), so both formats always carry the same numbers.
 */
import type { Cell } from "../presentation/table";

/** How a column's values are typed and shown: a fraction prints as a percentage, a date as a date. */
export type ColumnUnit = "text" | "number" | "integer" | "fraction" | "times" | "money" | "date";

export interface ReportColumn {
	label: string;
	unit: ColumnUnit;
}

export interface ReportTable {
	kind: "table";
	title: string;
	columns: ReportColumn[];
	rows: Cell[][];
	/** Said under the table (where its figures come from, why one is missing). */
	note?: string;
}

/** A line or bar chart: one value per category and series (null where a series has none). */
export interface SeriesChart {
	kind: "line" | "bar";
	title: string;
	categories: string[];
	series: Array<{ name: string; values: Array<number | null> }>;
	unit: ColumnUnit;
}

/** A risk matrix's grid: counts per cell (rows: likelihood from low to high; columns: impact), each cell's level named. */
export interface HeatMap {
	kind: "heatmap";
	title: string;
	likelihood: string[];
	impact: string[];
	counts: number[][];
	levels: string[][];
	/** The matrix's level names from lowest to highest (they colour the cells). */
	level_order: string[];
}

export interface ReportText {
	kind: "text";
	text: string;
}

/** Label and value pairs (a cover, a score's reading). */
export interface ReportFacts {
	kind: "facts";
	title?: string;
	items: Array<[string, string]>;
}

export type ReportBlock = ReportTable | SeriesChart | HeatMap | ReportText | ReportFacts;

export interface ReportSection {
	heading: string;
	blocks: ReportBlock[];
}

export interface ReportDocument {
	title: string;
	subtitle: string;
	/** The cover's facts: who, what period, when, which platform version. */
	cover: Array<[string, string]>;
	sections: ReportSection[];
}

/** The charts of a document: in a workbook, each becomes the table of its data. */
export function isChart(block: ReportBlock): block is SeriesChart | HeatMap {
	return block.kind === "line" || block.kind === "bar" || block.kind === "heatmap";
}

/** A chart's data as a table (a workbook has no charts of its own: exceljs writes none). */
export function chartTable(chart: SeriesChart | HeatMap): ReportTable {
	if (chart.kind === "heatmap")
		return {
			kind: "table",
			title: chart.title,
			columns: [{ label: "likelihood \\ impact", unit: "text" }, ...chart.impact.map(label => ({ label, unit: "integer" as const }))],
			rows: chart.likelihood.map((label, i) => [label, ...chart.counts[i]]),
		};
	return {
		kind: "table",
		title: chart.title,
		columns: [{ label: "period", unit: "text" }, ...chart.series.map(s => ({ label: s.name, unit: chart.unit }))],
		rows: chart.categories.map((category, i) => [category, ...chart.series.map(s => s.values[i] ?? null)]),
	};
}

/** A value as the PDF prints it for its unit ("12.3 %", "1.85×", "1,234,567"); "—" for none. */
export function formatCell(value: Cell, unit: ColumnUnit): string {
	if (value == null || value === "") return "—";
	if (typeof value !== "number") return String(value);
	if (!Number.isFinite(value)) return "—";
	switch (unit) {
		case "fraction":
			return `${(value * 100).toFixed(1)} %`;
		case "times":
			return `${value.toFixed(2)}×`;
		case "integer":
		case "money":
			return Math.round(value).toLocaleString("en-US");
		case "number":
			return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en-US") : String(Math.round(value * 1000) / 1000);
		default:
			return String(value);
	}
}
