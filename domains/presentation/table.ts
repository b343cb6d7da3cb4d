/**
 * A list the API answers as a table a spreadsheet opens (docs/api.md, "Exports"): one row per item, one column
 * per field, nested objects flattened into dotted columns (`altman.zone`), arrays of scalars joined with "; ",
 * deeper structures as JSON. CSV as RFC 4180 says (CRLF, fields with a comma, quote or line break quoted, quotes
 * doubled), with the cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
 * return) neutralised by a leading apostrophe (OWASP, "CSV Injection").
 */

export type Cell = string | number | boolean | null;

export interface Table {
	columns: string[];
	rows: Cell[][];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function flatten(value: unknown, prefix: string, out: Map<string, Cell>, depth: number): void {
	if (isPlainObject(value) && depth < 3) {
		for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out, depth + 1);
		return;
	}
	if (value == null) out.set(prefix, null);
	else if (typeof value === "number") out.set(prefix, Number.isFinite(value) ? value : null);
	else if (typeof value === "string" || typeof value === "boolean") out.set(prefix, value);
	else if (Array.isArray(value) && value.every(v => v == null || ["string", "number", "boolean"].includes(typeof v))) out.set(prefix, value.join("; "));
	else out.set(prefix, JSON.stringify(value));
}

/** The items as a table: columns in the order fields first appear. */
export function tableOf(items: unknown[]): Table {
	const flat = items.map(item => {
		const out = new Map<string, Cell>();
		flatten(item, "", out, 0);
		return out;
	});
	const columns: string[] = [];
	const seen = new Set<string>();
	for (const row of flat)
		for (const key of row.keys())
			if (!seen.has(key)) {
				seen.add(key);
				columns.push(key);
			}
	return { columns, rows: flat.map(row => columns.map(c => (row.has(c) ? row.get(c)! : null))) };
}

/** A text cell a spreadsheet would not evaluate: one starting like a formula gets a leading apostrophe. */
export const neutralised = (text: string): string => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

function csvField(cell: Cell): string {
	if (cell == null) return "";
	const text = typeof cell === "string" ? neutralised(cell) : String(cell);
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as RFC 4180 CSV (a header line, CRLF line ends). */
export function csvOf(table: Table): string {
	return [table.columns, ...table.rows].map(row => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/**
 * Fields that are fractions (a margin, a return, a share, a probability) and read as percentages in a spreadsheet,
 * by their name's last part; ratios that are multiples (current_ratio, debt_to_equity) are not among them.
 */
export const isFractionField = (column: string): boolean =>
	/(^|_)(margin|roe|roa|roic|growth|share|yield|probability|percentile|weight|volatility|drawdown|return|rate)$/.test(column.split(".").pop() ?? "");

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
