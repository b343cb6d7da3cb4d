/**
 * Tables answered as files (docs/api.md, "Exports"): `?format=csv|xlsx` or an Accept header asking for CSV or
 * XLSX on a GET whose answer is a table (a list, KPIs, a history) gives the same rows (the same filters, scoping and page) as a CSV
 * (domains/presentation/table.ts) or an XLSX workbook written by exceljs with typed cells: numbers as numbers,
 * fractions as numbers with a percentage format, dates and times as dates, booleans as booleans; the header row
 * frozen and bold, columns as wide as their content.
 */
import ExcelJS from "exceljs";
import { csvOf, isFractionField, ISO_DATE, ISO_DATE_TIME, neutralised, tableOf, type Table } from "../domains/presentation/table";

export const EXPORT_FORMATS = {
	csv: { type: "text/csv; charset=utf-8", extension: "csv" },
	xlsx: { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extension: "xlsx" },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** The export a request asks for: `?format=`, else its Accept header naming CSV or XLSX first; null for JSON. */
export function exportFormatOf(query: Record<string, unknown> | undefined, accept: string | undefined): ExportFormat | "unknown" | null {
	const asked = query?.format;
	if (asked != null) return asked === "csv" || asked === "xlsx" ? asked : asked === "json" ? null : "unknown";
	const first = (accept ?? "").split(",")[0].trim().split(";")[0].toLowerCase();
	if (first === "text/csv") return "csv";
	if (first === EXPORT_FORMATS.xlsx.type) return "xlsx";
	return null;
}

interface SeriesPoint {
	period_end: string;
	statement_type?: string;
	fiscal_period?: string;
	value: unknown;
}

const isSeries = (v: unknown): v is Record<string, SeriesPoint[]> =>
	!!v &&
	typeof v === "object" &&
	!Array.isArray(v) &&
	Object.values(v).every(points => Array.isArray(points) && points.every(p => p && typeof p === "object" && "period_end" in p && "value" in p));

/** Series by name (a line item's or a ratio's history) as one row per period, a column per series. */
function periodsOf(series: Record<string, SeriesPoint[]>): Array<Record<string, unknown>> {
	const rows = new Map<string, Record<string, unknown>>();
	for (const [name, points] of Object.entries(series))
		for (const p of points) {
			const key = `${p.period_end}|${p.statement_type ?? ""}`;
			if (!rows.has(key)) rows.set(key, { period_end: p.period_end, statement_type: p.statement_type ?? null, fiscal_period: p.fiscal_period ?? null });
			rows.get(key)![name] = p.value;
		}
	return [...rows.values()];
}

/**
 * The rows of an answer that is a table: a page's rows (or an array), a company's KPIs, and the histories of line
 * items or ratios (one row per period); null for an answer that is not a table.
 */
export function listItemsOf(data: unknown): unknown[] | null {
	if (Array.isArray(data)) return data;
	if (!data || typeof data !== "object") return null;
	const d = data as { rows?: unknown; kpis?: unknown; items?: unknown; ratios?: unknown };
	if (Array.isArray(d.rows)) return d.rows;
	if (Array.isArray(d.kpis)) return d.kpis;
	const series = d.items ?? d.ratios;
	if (isSeries(series)) return periodsOf(series);
	return null;
}

/** The most characters a cell may hold (Excel's specifications and limits). */
export const XLSX_CELL_MAX = 32_767;

/**
 * Adds a sheet of typed cells to the workbook: ISO dates and times as dates, formula-like text neutralised, text
 * cut at XLSX_CELL_MAX; `numberFormat` gives a column's number format (a percentage, a multiple); the header row
 * bold and frozen, columns as wide as their content (at most 60).
 */
export function addTableSheet(workbook: ExcelJS.Workbook, sheetName: string, table: Table, numberFormat: (column: number) => string | undefined): ExcelJS.Worksheet {
	const sheet = workbook.addWorksheet(sheetName.slice(0, 31) || "export", { views: [{ state: "frozen", ySplit: 1 }] });
	sheet.addRow(table.columns).font = { bold: true };
	const widths = table.columns.map(c => c.length);
	for (const row of table.rows) {
		const cells = row.map(cell => {
			if (typeof cell === "string") {
				if (ISO_DATE.test(cell)) return new Date(`${cell}T00:00:00Z`);
				if (ISO_DATE_TIME.test(cell)) return new Date(cell);
				const text = neutralised(cell);
				// Excel opens no cell longer than this (a version's training history as JSON can be)
				return text.length > XLSX_CELL_MAX ? `${text.slice(0, XLSX_CELL_MAX - 1)}…` : text;
			}
			return cell ?? null;
		});
		const added = sheet.addRow(cells);
		cells.forEach((cell, i) => {
			const target = added.getCell(i + 1);
			if (cell instanceof Date) target.numFmt = ISO_DATE.test(String(row[i])) ? "yyyy-mm-dd" : "yyyy-mm-dd hh:mm:ss";
			else if (typeof cell === "number") {
				const format = numberFormat(i);
				if (format) target.numFmt = format;
			}
			widths[i] = Math.max(widths[i], Math.min(60, String(row[i] ?? "").length));
		});
	}
	sheet.columns.forEach((column, i) => (column.width = Math.max(8, widths[i] + 2)));
	return sheet;
}

async function xlsxOf(table: Table, sheetName: string): Promise<Buffer> {
	const workbook = new ExcelJS.Workbook();
	addTableSheet(workbook, sheetName, table, i => (isFractionField(table.columns[i]) ? "0.00%" : undefined));
	return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The items as a file of the format: its bytes and content type. */
export async function exportOf(items: unknown[], format: ExportFormat, sheetName: string): Promise<{ body: Buffer; type: string }> {
	const table = tableOf(items);
	const body = format === "csv" ? Buffer.from(csvOf(table), "utf8") : await xlsxOf(table, sheetName);
	return { body, type: EXPORT_FORMATS[format].type };
}
