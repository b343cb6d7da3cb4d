/**
 * Daily prices: a CSV as price providers and spreadsheets write it (a header naming date, open, high, low,
 * close, adj close and volume, in any order and case; `Date,Open,High,Low,Close,Adj Close,Volume` or
 * `date,open,high,low,close,volume,Name`), the close on or before a date, and weekly or monthly bars.
 */
import { isIsoDate, type FieldProblem } from "../finance/checks";

export interface PriceRow {
	date: string;
	open: number;
	high: number;
	low: number;
	close: number;
	/** The close adjusted for dividends and splits, when the source gives it. */
	adj_close?: number;
	volume: number;
}

export const PRICE_INTERVALS = ["day", "week", "month"] as const;
export type PriceInterval = (typeof PRICE_INTERVALS)[number];

/** Rows a CSV may hold: 80 years of trading days. */
export const MAX_PRICE_ROWS = 20_000;
/** Characters a price CSV may have: 20,000 rows of a provider's widest CSV (Tiingo's 13 columns, about 150 characters a row) fit. */
export const MAX_PRICE_CSV_CHARS = 4_000_000;

const COLUMNS: Record<string, keyof PriceRow> = {
	date: "date",
	open: "open",
	high: "high",
	low: "low",
	close: "close",
	"adj close": "adj_close",
	adj_close: "adj_close",
	adjclose: "adj_close",
	volume: "volume",
};
const REQUIRED: Array<keyof PriceRow> = ["date", "open", "high", "low", "close", "volume"];

/** The rows of a price CSV, oldest first, and what is wrong with it (each problem names its line); all or nothing. */
export function parsePriceCsv(text: string, maxRows = MAX_PRICE_ROWS): { rows: PriceRow[]; problems: FieldProblem[] } {
	const lines = text.split(/\r?\n/);
	const header = (lines.shift() ?? "").split(",").map(h => h.trim().toLowerCase());
	const at = new Map<keyof PriceRow, number>();
	header.forEach((h, i) => COLUMNS[h] && !at.has(COLUMNS[h]) && at.set(COLUMNS[h], i));
	const absent = REQUIRED.filter(c => !at.has(c));
	if (absent.length)
		return {
			rows: [],
			problems: [{ field: "content", message: `line 1: the header has no ${absent.join(", ")} column (Date,Open,High,Low,Close,Adj Close,Volume)`, type: "priceHeader" }],
		};
	const rows: PriceRow[] = [];
	const problems: FieldProblem[] = [];
	const seen = new Set<string>();
	for (let i = 0; i < lines.length && problems.length < 10; i++) {
		const line = lines[i];
		if (!line.trim()) continue;
		const where = `line ${i + 2}`;
		if (rows.length >= maxRows) {
			problems.push({ field: "content", message: `${where}: more than ${maxRows} rows`, type: "priceRows" });
			break;
		}
		const cells = line.split(",").map(c => c.trim());
		// a timestamp at midnight (some providers' JSON-minded CSVs) is its day
		const raw = cells[at.get("date")!];
		const date = /^\d{4}-\d{2}-\d{2}T00:00/.test(raw ?? "") ? raw.slice(0, 10) : raw;
		if (!isIsoDate(date)) {
			problems.push({ field: "content", message: `${where}: date '${String(date).slice(0, 20)}' is not YYYY-MM-DD`, type: "priceDate" });
			continue;
		}
		if (seen.has(date)) {
			problems.push({ field: "content", message: `${where}: ${date} is there twice`, type: "priceDate" });
			continue;
		}
		seen.add(date);
		const row = { date } as PriceRow;
		let bad = false;
		for (const column of ["open", "high", "low", "close", "adj_close", "volume"] as const) {
			if (!at.has(column)) continue;
			const cell = cells[at.get(column)!];
			const value = Number(cell);
			if (cell === "" || cell == null || !Number.isFinite(value) || value < 0) {
				problems.push({ field: "content", message: `${where}: ${column} '${String(cell).slice(0, 20)}' is not a number of 0 or more`, type: "priceValue" });
				bad = true;
				break;
			}
			(row as unknown as Record<string, number>)[column] = value;
		}
		if (bad) continue;
		if (row.low > row.high || row.close > row.high || row.close < row.low || row.open > row.high || row.open < row.low) {
			problems.push({ field: "content", message: `${where}: open and close must lie between low and high`, type: "priceRange" });
			continue;
		}
		rows.push(row);
	}
	if (!rows.length && !problems.length) problems.push({ field: "content", message: "no price rows", type: "priceRows" });
	rows.sort((a, b) => (a.date < b.date ? -1 : 1));
	return { rows: problems.length ? [] : rows, problems };
}

/** The last row on or before `date` and at most `maxGapDays` before it (a market closed for the weekend or a holiday). */
export function closeOnOrBefore(rows: PriceRow[], date: string, maxGapDays = 10): PriceRow | null {
	let lo = 0;
	let hi = rows.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (rows[mid].date <= date) lo = mid + 1;
		else hi = mid;
	}
	const row = rows[lo - 1];
	if (!row) return null;
	return (Date.parse(date) - Date.parse(row.date)) / 86_400_000 <= maxGapDays ? row : null;
}

const weekOf = (date: string) => {
	const d = new Date(`${date}T00:00:00Z`);
	const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000);
	return monday.toISOString().slice(0, 10);
};

/** Bars of a week (from Monday) or a calendar month: first open, highest high, lowest low, last close, summed volume, dated by their last day. */
export function downsample(rows: PriceRow[], interval: PriceInterval): PriceRow[] {
	if (interval === "day") return rows;
	const keyOf = interval === "week" ? weekOf : (d: string) => d.slice(0, 7);
	const out: PriceRow[] = [];
	let key: string | null = null;
	for (const r of rows) {
		const k = keyOf(r.date);
		const bar = out[out.length - 1];
		if (k !== key || !bar) {
			out.push({ ...r });
			key = k;
			continue;
		}
		bar.date = r.date;
		bar.high = Math.max(bar.high, r.high);
		bar.low = Math.min(bar.low, r.low);
		bar.close = r.close;
		if (r.adj_close != null) bar.adj_close = r.adj_close;
		bar.volume += r.volume;
	}
	return out;
}
