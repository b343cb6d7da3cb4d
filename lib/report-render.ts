/**
 * A report document (domains/reports/document.ts) as a file (docs/reports.md): a PDF laid out by pdfmake with
 * charts drawn by ECharts' server-side SVG renderer (vector graphics, no browser), or an XLSX workbook written
 * by exceljs (a sheet per table, a chart as the table of its data: exceljs writes no chart). Runs in a worker
 * thread (lib/report-threads.ts): a thousand-company table is pages of layout.
 */
import path from "node:path";
import ExcelJS from "exceljs";
import * as echarts from "echarts";
import {
	chartTable,
	formatCell,
	isChart,
	type ColumnUnit,
	type HeatMap,
	type ReportBlock,
	type ReportDocument,
	type ReportTable,
	type SeriesChart,
} from "../domains/reports/document";
import { addTableSheet } from "./exports";

export const REPORT_FORMATS = {
	pdf: { type: "application/pdf", extension: "pdf" },
	xlsx: { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extension: "xlsx" },
} as const;
export type ReportFormat = keyof typeof REPORT_FORMATS;

/** pdfmake 0.3's server build (no types published for 0.3): the calls made here. */
interface PdfMake {
	setFonts(fonts: Record<string, Record<string, string>>): void;
	setUrlAccessPolicy(allow: (url: string) => boolean): void;
	setLocalAccessPolicy(allow: (file: string) => boolean): void;
	createPdf(definition: object): { getBuffer(): Promise<Buffer> };
}

let pdfmake: PdfMake | undefined;
/** pdfmake with Roboto (its own, for text beyond Latin-1: −, ×, Σ) and no file or URL reached but the fonts. */
function pdf(): PdfMake {
	if (pdfmake) return pdfmake;
	const fonts = path.dirname(require.resolve("pdfmake/fonts/Roboto/Roboto-Regular.ttf"));
	const maker = require("pdfmake") as PdfMake;
	maker.setFonts({
		Roboto: {
			normal: path.join(fonts, "Roboto-Regular.ttf"),
			bold: path.join(fonts, "Roboto-Medium.ttf"),
			italics: path.join(fonts, "Roboto-Italic.ttf"),
			bolditalics: path.join(fonts, "Roboto-MediumItalic.ttf"),
		},
	});
	maker.setUrlAccessPolicy(() => false);
	maker.setLocalAccessPolicy(file => path.resolve(file).startsWith(fonts + path.sep));
	return (pdfmake = maker);
}

const PAGE_WIDTH = 515; // A4 (595 pt) less 40 pt margins
const PALETTE = ["#2f6fb0", "#d9822b", "#3a9a5b", "#b0413e", "#7b5ea7"];

/** The axis label of a value in the unit. */
const axisLabel = (unit: ColumnUnit) => (v: number) => (unit === "fraction" ? `${Math.round(v * 100)} %` : unit === "times" ? `${v}×` : v.toLocaleString("en-US"));

/** A line or bar chart as SVG, drawn by ECharts without a DOM (server-side rendering). */
export function chartSvg(chart: SeriesChart, width = PAGE_WIDTH, height = 200): string {
	const instance = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
	try {
		instance.setOption({
			animation: false,
			color: PALETTE,
			textStyle: { fontFamily: "Roboto, sans-serif" },
			grid: { left: 56, right: 16, top: chart.series.length > 1 ? 28 : 12, bottom: 28 },
			legend: chart.series.length > 1 ? { top: 0, textStyle: { fontSize: 10 } } : undefined,
			xAxis: { type: "category", data: chart.categories, axisLabel: { fontSize: 9 } },
			yAxis: { type: "value", axisLabel: { fontSize: 9, formatter: axisLabel(chart.unit) } },
			series: chart.series.map(s => ({
				name: s.name,
				type: chart.kind,
				data: s.values,
				connectNulls: false,
				...(chart.kind === "bar" ? { barMaxWidth: 36, label: { show: true, position: "top", fontSize: 9 } } : { symbolSize: 4 }),
			})),
		});
		return instance.renderToSVGString();
	} finally {
		instance.dispose();
	}
}

/** A cell's fill by its level's rank among the matrix's levels: green (lowest) to red (highest). */
function levelColour(level: string, order: string[]): string {
	const rank = Math.max(0, order.indexOf(level));
	const t = order.length > 1 ? rank / (order.length - 1) : 0;
	const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
	// from #a8d5a2 (green) to #e8837c (red)
	return `#${[mix(0xa8, 0xe8), mix(0xd5, 0x83), mix(0xa2, 0x7c)].map(c => c.toString(16).padStart(2, "0")).join("")}`;
}

const NUMERIC: ReadonlySet<ColumnUnit> = new Set(["number", "integer", "fraction", "times", "money"]);

/** About the width of a character of the tables' 8 pt Roboto, in points. */
const CHAR_PT = 4.4;

/**
 * Column widths in points that fill the page: every column at least as wide as its longest word (no word broken),
 * the rest shared by how much longer its texts are (a text counted up to 40 characters: beyond, it wraps), so no
 * column runs off the page and a short one is not squeezed.
 */
export function columnWidths(header: string[], rows: string[][], width = PAGE_WIDTH): number[] {
	// the cells' padding (4 pt each side) comes out of the page's width
	const available = width - header.length * 8;
	const texts = header.map((label, i) => [label, ...rows.map(r => r[i])]);
	const word = texts.map(column => Math.ceil(Math.max(3, ...column.flatMap(t => t.split(/\s+/).map(w => w.length))) * CHAR_PT));
	const text = texts.map((column, i) => Math.max(word[i], Math.max(...column.map(t => Math.min(40, t.length))) * CHAR_PT));
	const least = word.reduce((a, b) => a + b, 0);
	if (least >= available) return word.map(w => Math.floor((w * available) / least));
	const extra = text.map((t, i) => t - word[i]);
	const extras = extra.reduce((a, b) => a + b, 0);
	return word.map((w, i) => w + Math.floor((available - least) * (extras ? extra[i] / extras : 1 / header.length)));
}

function pdfTable(t: ReportTable): object[] {
	const texts = t.rows.map(row => row.map((cell, i) => formatCell(cell, t.columns[i].unit)));
	const header = t.columns.map(c => ({ text: c.label, style: "th", alignment: NUMERIC.has(c.unit) ? "right" : "left" }));
	const body = texts.map(row => row.map((text, i) => ({ text, alignment: NUMERIC.has(t.columns[i].unit) ? "right" : "left" })));
	return [
		{ text: t.title, style: "h3" },
		{
			table: {
				headerRows: 1,
				widths: columnWidths(
					t.columns.map(c => c.label),
					texts,
				),
				body: [header, ...body],
			},
			layout: "lightHorizontalLines",
			style: "table",
		},
		...(t.note ? [{ text: t.note, style: "note" }] : []),
	];
}

function pdfHeatMap(h: HeatMap): object[] {
	// likelihood from high (top) to low, as a matrix is read
	const rows = h.likelihood.map((label, i) => [
		{ text: label, style: "th" },
		...h.impact.map((_, j) => ({ text: String(h.counts[i][j] || ""), alignment: "center", fillColor: levelColour(h.levels[i][j], h.level_order), bold: h.counts[i][j] > 0 })),
	]);
	return [
		{ text: h.title, style: "h3" },
		{
			table: {
				headerRows: 1,
				widths: ["auto", ...h.impact.map(() => "*")],
				body: [[{ text: "likelihood \\ impact", style: "th" }, ...h.impact.map(i => ({ text: i, style: "th", alignment: "center" }))], ...rows.reverse()],
			},
			style: "table",
		},
		{ text: `Levels, lowest to highest: ${h.level_order.join(", ")}.`, style: "note" },
	];
}

function pdfBlock(block: ReportBlock): object[] {
	switch (block.kind) {
		case "table":
			return pdfTable(block);
		case "line":
		case "bar":
			return [
				{ text: block.title, style: "h3" },
				{ svg: chartSvg(block), width: PAGE_WIDTH },
			];
		case "heatmap":
			return pdfHeatMap(block);
		case "facts":
			return [
				...(block.title ? [{ text: block.title, style: "h3" }] : []),
				{ table: { widths: [140, "*"], body: block.items.map(([k, v]) => [{ text: k, bold: true }, v]) }, layout: "noBorders", style: "table" },
			];
		case "text":
			return [{ text: block.text, style: "p" }];
	}
}

export async function renderPdf(doc: ReportDocument): Promise<Buffer> {
	const definition = {
		pageSize: "A4",
		pageMargins: [40, 40, 40, 48],
		info: { title: `${doc.title}: ${doc.subtitle}`, creator: "bizops", producer: "bizops (pdfmake)" },
		defaultStyle: { font: "Roboto", fontSize: 9 },
		styles: {
			title: { fontSize: 22, bold: true, margin: [0, 120, 0, 6] },
			subtitle: { fontSize: 13, color: "#444", margin: [0, 0, 0, 24] },
			h2: { fontSize: 14, bold: true, margin: [0, 16, 0, 6] },
			h3: { fontSize: 10, bold: true, margin: [0, 8, 0, 4] },
			th: { bold: true, fillColor: "#eeeeee" },
			table: { fontSize: 8, margin: [0, 0, 0, 6] },
			note: { fontSize: 7.5, italics: true, color: "#555", margin: [0, 0, 0, 6] },
			p: { margin: [0, 2, 0, 6] },
		},
		footer: (page: number, pages: number) => ({ text: `${doc.title} · ${doc.subtitle} · page ${page} of ${pages}`, fontSize: 7, color: "#777", margin: [40, 16, 40, 0] }),
		content: [
			{ text: doc.title, style: "title" },
			{ text: doc.subtitle, style: "subtitle" },
			{ table: { widths: [140, "*"], body: doc.cover.map(([k, v]) => [{ text: k, bold: true }, v]) }, layout: "noBorders" },
			...doc.sections.flatMap((section, i) => [{ text: section.heading, style: "h2", ...(i === 0 ? { pageBreak: "before" } : {}) }, ...section.blocks.flatMap(pdfBlock)]),
		],
	};
	return pdf().createPdf(definition).getBuffer();
}

/** Sheet names: at most 31 characters, none of : \ / ? * [ ], unique in the workbook. */
function sheetNamer(): (name: string) => string {
	const used = new Set<string>();
	return name => {
		const base =
			name
				.replace(/[:\\/?*[\]]/g, " ")
				.replace(/\s+/g, " ")
				.slice(0, 28)
				.trim() || "sheet";
		let candidate = base;
		for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${base} ${n}`;
		used.add(candidate.toLowerCase());
		return candidate;
	};
}

const NUMBER_FORMATS: Partial<Record<ColumnUnit, string>> = { fraction: "0.0%", times: '0.00"×"', money: "#,##0", integer: "0", number: "#,##0.###" };

export async function renderXlsx(doc: ReportDocument): Promise<Buffer> {
	const workbook = new ExcelJS.Workbook();
	workbook.creator = "bizops";
	workbook.title = `${doc.title}: ${doc.subtitle}`;
	const name = sheetNamer();
	// the cover, then what each section says in words; every table (and every chart's data) on a sheet of its own
	const notes: Array<[string, string]> = [["report", doc.title], ["", doc.subtitle], ...doc.cover];
	const tables: ReportTable[] = [];
	for (const section of doc.sections)
		for (const block of section.blocks) {
			if (block.kind === "table") {
				tables.push(block);
				if (block.note) notes.push([section.heading, `${block.title}: ${block.note}`]);
			} else if (isChart(block)) tables.push(chartTable(block));
			else if (block.kind === "text") notes.push([section.heading, block.text]);
			else for (const [k, v] of block.items) notes.push([section.heading, `${k}: ${v}`]);
		}
	addTableSheet(workbook, name("Cover"), { columns: ["item", "value"], rows: notes }, () => undefined);
	for (const table of tables)
		addTableSheet(workbook, name(table.title), { columns: table.columns.map(c => c.label), rows: table.rows }, i => NUMBER_FORMATS[table.columns[i].unit]);
	return Buffer.from(await workbook.xlsx.writeBuffer());
}

export function renderReport(doc: ReportDocument, format: ReportFormat): Promise<Buffer> {
	return format === "pdf" ? renderPdf(doc) : renderXlsx(doc);
}
