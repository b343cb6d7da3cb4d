/**
 * Tabular data sets for binary classification (docs/ml.md): CSV with a header row (RFC 4180) or Weka ARFF.
 * Every feature is numeric; `?` and empty cells are missing values, kept as NaN for the model's pipeline to
 * handle, never dropped. The label has exactly two classes.
 */
import { createHash } from "node:crypto";

import { DATASET_FORMATS, type DatasetFormat } from "../../models/ml";

export { DATASET_FORMATS, type DatasetFormat };

/**
 * Size limits: what the platform will parse and train on, enforced while reading (the first row or cell past a
 * limit stops the parse, with its line): a file cannot grow memory or time beyond what they allow.
 */
export const DATASET_LIMITS = {
	max_rows: 200_000,
	max_columns: 500,
	/** rows × columns: 10 M cells are 80 MB of numbers. */
	max_cells: 10_000_000,
	max_bytes: 64 * 1024 * 1024,
	/** A column's name, and a label value. */
	max_name_length: 200,
	max_label_length: 100,
} as const;

export interface DatasetIssue {
	field: string;
	message: string;
	type?: string;
}

export class DatasetError extends Error {
	constructor(
		message: string,
		readonly issues: DatasetIssue[],
	) {
		super(message);
	}
}

export interface ColumnSummary {
	name: string;
	type: "numeric" | "label";
	missing: number;
	min?: number | null;
	max?: number | null;
	mean?: number | null;
}

export interface ParsedDataset {
	features: string[];
	label: string;
	/** Class values as written in the file: [negative, positive]. */
	classes: [string, string];
	/** Row-major feature values, NaN where missing. */
	x: Float64Array[];
	/** 1 for the positive class. */
	y: Uint8Array;
}

export interface DatasetSummary {
	rows: number;
	columns: ColumnSummary[];
	features: string[];
	label: string;
	classes: [string, string];
	positive_class: string;
	class_balance: Record<string, number>;
	missing_values: Record<string, number>;
	missing_total: number;
	sha256: string;
}

export interface DatasetSource {
	format: DatasetFormat;
	label: string;
	content: string;
	/** Which of the label's two values is the event to predict; default "1"/"true"/"yes" when present, else the rarer class. */
	positive_class?: string;
}

export const sha256 = (content: string | Uint8Array) => createHash("sha256").update(content).digest("hex");

const MISSING = new Set(["", "?"]);
/** Names a spreadsheet would run as a formula (OWASP, CSV injection), and names that are an object's own machinery. */
const FORMULA_PREFIX = /^[=+\-@\t\r]/;
const RESERVED_NAMES = new Set(["__proto__", "constructor", "prototype"]);

/** What is wrong with a column name or label value, or null: too long, a formula a spreadsheet would run (a number is fine). */
function textIssue(value: string, max: number): string | null {
	if (value.length > max) return `is ${value.length} characters long: at most ${max}`;
	if (FORMULA_PREFIX.test(value) && !Number.isFinite(Number(value))) return "starts with =, +, -, @ or a control character (a spreadsheet would run it as a formula)";
	return null;
}
const shown = (value: string) => (value.length > 40 ? `${value.slice(0, 40)}…` : value);

interface Row {
	cells: string[];
	/** 1-based line where the record starts, for messages. */
	line: number;
}

/**
 * The CSV records of `text` from `start` (RFC 4180: quoted fields, doubled quotes, CRLF or LF), one at a time,
 * so a caller can stop at a limit without the rest ever being split.
 */
export function* csvRecords(text: string, delimiter = ",", start = 0, firstLine = 1): Generator<Row> {
	let field = "";
	let record: string[] = [];
	let quoted = false;
	let line = firstLine;
	let recordLine = line;
	for (let i = start; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i++;
				} else quoted = false;
			} else {
				if (ch === "\n") line++;
				field += ch;
			}
		} else if (ch === '"' && field === "") quoted = true;
		else if (ch === delimiter) {
			record.push(field);
			field = "";
		} else if (ch === "\n" || ch === "\r") {
			if (ch === "\r" && text[i + 1] === "\n") i++;
			record.push(field);
			if (record.length > 1 || record[0] !== "") yield { cells: record, line: recordLine };
			record = [];
			field = "";
			line++;
			recordLine = line;
		} else field += ch;
	}
	if (field !== "" || record.length) {
		record.push(field);
		if (record.length > 1 || record[0] !== "") yield { cells: record, line: recordLine };
	}
}

/** Splits CSV text into records (all of them: for small texts). */
export function parseCsvRecords(text: string, delimiter = ","): string[][] {
	return [...csvRecords(text, delimiter)].map(r => r.cells);
}

interface Table {
	header: string[];
	rows: Iterable<Row>;
}

/** The lines of `text` from `start`, one at a time (never the whole file split at once). */
function* lines(text: string, start = 0): Generator<{ text: string; line: number; next: number }> {
	let line = 1;
	for (let pos = start; pos < text.length; line++) {
		let end = text.indexOf("\n", pos);
		if (end < 0) end = text.length;
		yield { text: text.slice(pos, end > pos && text[end - 1] === "\r" ? end - 1 : end), line, next: end + 1 };
		pos = end + 1;
	}
}

function arffTable(text: string): Table {
	const header: string[] = [];
	let dataStart = -1;
	let dataLine = 0;
	for (const { text: raw, line, next } of lines(text)) {
		const trimmed = raw.trim();
		if (!trimmed || trimmed.startsWith("%")) continue;
		const lower = trimmed.slice(0, 10).toLowerCase();
		if (lower.startsWith("@attribute")) {
			// the count first: a header of 100,000 attributes stops at the 501st
			if (header.length >= DATASET_LIMITS.max_columns)
				throw new DatasetError(`More than ${DATASET_LIMITS.max_columns} columns: at most ${DATASET_LIMITS.max_columns} are accepted`, [
					{ field: "content", message: `line ${line}: attribute ${header.length + 1}, past the limit of ${DATASET_LIMITS.max_columns} columns` },
				]);
			const m = /^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/i.exec(trimmed);
			if (!m) throw new DatasetError(`ARFF line ${line}: cannot read the attribute declaration`, [{ field: "content", message: `line ${line}: ${trimmed.slice(0, 80)}` }]);
			header.push(m[1].replace(/^['"]|['"]$/g, ""));
		} else if (lower.startsWith("@data")) {
			dataStart = next;
			dataLine = line;
			break;
		}
	}
	if (dataStart < 0) throw new DatasetError("The ARFF file has no @data section", [{ field: "content", message: "no @data section" }]);
	function* rows(): Generator<Row> {
		for (const { text: raw, line } of lines(text, dataStart)) {
			const trimmed = raw.trim();
			if (!trimmed || trimmed.startsWith("%")) continue;
			if (trimmed.startsWith("{"))
				throw new DatasetError("Sparse ARFF data is not supported", [
					{ field: "content", message: `line ${line + dataLine}: sparse rows ({index value, …}) are not supported` },
				]);
			const [record] = csvRecords(trimmed);
			yield { cells: (record?.cells ?? [""]).map(v => v.trim().replace(/^'(.*)'$/, "$1")), line: line + dataLine };
		}
	}
	return { header, rows: rows() };
}

function csvTable(text: string): Table {
	const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	const records = csvRecords(text, ",", start);
	const first = records.next();
	const header = first.done ? [] : first.value.cells.map(h => h.trim());
	function* rows(): Generator<Row> {
		for (const r of records) yield { cells: r.cells.map(v => v.trim()), line: r.line };
	}
	return { header, rows: rows() };
}

/** The header's problems, checked before any row is read: the count first, then each name (a Set finds duplicates). */
function headerIssues(header: string[], label: string): DatasetIssue[] {
	const issues: DatasetIssue[] = [];
	if (header.length > DATASET_LIMITS.max_columns) return [{ field: "content", message: `${header.length} columns: at most ${DATASET_LIMITS.max_columns} are accepted` }];
	if (header.length < 2) issues.push({ field: "content", message: "a data set needs a label column and at least one feature column" });
	const seen = new Set<string>();
	for (let i = 0; i < header.length && issues.length < 20; i++) {
		const name = header[i];
		if (!name) issues.push({ field: "content", message: `column ${i + 1} has no name` });
		else if (seen.has(name)) issues.push({ field: "content", message: `column '${shown(name)}' appears twice in the header` });
		else if (RESERVED_NAMES.has(name)) issues.push({ field: "content", message: `column ${i + 1} is named '${name}', a reserved name: rename it` });
		else {
			const problem = textIssue(name, DATASET_LIMITS.max_name_length);
			if (problem) issues.push({ field: "content", message: `column ${i + 1}'s name '${shown(name)}' ${problem}` });
		}
		seen.add(name);
	}
	if (!seen.has(label))
		issues.push({
			field: "label",
			message: `no column named '${shown(label)}'; the columns are ${header.slice(0, 10).map(shown).join(", ")}${header.length > 10 ? ", …" : ""}`,
		});
	return issues;
}

function choosePositive(values: string[], counts: Map<string, number>, wanted?: string): [string, string] {
	if (wanted != null) {
		const other = values.find(v => v !== wanted)!;
		return [other, wanted];
	}
	const conventional = values.find(v => ["1", "true", "yes"].includes(v.toLowerCase()));
	const positive = conventional ?? [...values].sort((a, b) => counts.get(a)! - counts.get(b)! || a.localeCompare(b))[0];
	return [values.find(v => v !== positive)!, positive];
}

/** Parses and checks a data set; throws DatasetError naming every problem (column, row) it finds, or the first row past a limit. */
export function parseDataset(source: DatasetSource): { data: ParsedDataset; summary: DatasetSummary } {
	if (!source.content.trim()) throw new DatasetError("The file is empty", [{ field: "content", message: "the file is empty" }]);
	const labelProblem = textIssue(source.label, DATASET_LIMITS.max_name_length);
	if (labelProblem) throw new DatasetError(`label: '${shown(source.label)}' ${labelProblem}`, [{ field: "label", message: `'${shown(source.label)}' ${labelProblem}` }]);
	const table = source.format === "arff" ? arffTable(source.content) : csvTable(source.content);
	const { header } = table;
	const issues = headerIssues(header, source.label);
	if (issues.length) throw new DatasetError(issues[0].message, issues);

	const labelIndex = header.indexOf(source.label);
	const features = header.filter((_, i) => i !== labelIndex);
	const featureIndex = header.map((_, i) => i).filter(i => i !== labelIndex);
	const maxRows = Math.min(DATASET_LIMITS.max_rows, Math.floor(DATASET_LIMITS.max_cells / header.length));
	const x: Float64Array[] = [];
	const labels: string[] = [];
	const missing = new Array<number>(features.length).fill(0);
	const nonNumeric = new Map<number, { line: number; value: string; count: number }>();
	for (const { cells: record, line } of table.rows) {
		if (x.length + 1 > maxRows) {
			const why =
				maxRows === DATASET_LIMITS.max_rows
					? `at most ${DATASET_LIMITS.max_rows} rows are accepted`
					: `at most ${DATASET_LIMITS.max_cells} cells are accepted (${maxRows} rows of ${header.length} columns)`;
			throw new DatasetError(`Too many rows: line ${line} is row ${x.length + 1}; ${why}`, [
				{ field: "content", message: `line ${line}: row ${x.length + 1}, past the limit (${why})` },
			]);
		}
		if (record.length !== header.length) {
			issues.push({ field: "content", message: `line ${line}: ${record.length} cells where the header has ${header.length}` });
			if (issues.length >= 20) break;
			continue;
		}
		const row = new Float64Array(features.length);
		for (let f = 0; f < featureIndex.length; f++) {
			const cell = record[featureIndex[f]];
			if (MISSING.has(cell)) {
				row[f] = NaN;
				missing[f]++;
				continue;
			}
			const value = Number(cell);
			if (!Number.isFinite(value)) {
				const seen = nonNumeric.get(f);
				if (seen) seen.count++;
				else nonNumeric.set(f, { line, value: cell, count: 1 });
				row[f] = NaN;
			} else row[f] = value;
		}
		const label = record[labelIndex];
		const labelIssue = MISSING.has(label) ? null : textIssue(label, DATASET_LIMITS.max_label_length);
		if (labelIssue) {
			issues.push({ field: "label", message: `line ${line}: the label '${shown(label)}' ${labelIssue}` });
			if (issues.length >= 20) break;
			continue;
		}
		x.push(row);
		labels.push(label);
	}
	for (const [f, seen] of nonNumeric)
		issues.push({
			field: `columns.${features[f]}`,
			type: "number",
			message: `column '${shown(features[f])}' is not numeric: line ${seen.line} holds '${shown(seen.value)}'${seen.count > 1 ? ` (and ${seen.count - 1} more cells)` : ""}`,
		});
	if (!x.length && !issues.length) issues.push({ field: "content", message: "the file has a header but no rows" });
	const missingLabels = labels.filter(l => MISSING.has(l)).length;
	if (missingLabels) issues.push({ field: "label", message: `${missingLabels} rows have no value in the label column '${source.label}'` });
	const counts = new Map<string, number>();
	for (const l of labels) if (!MISSING.has(l)) counts.set(l, (counts.get(l) ?? 0) + 1);
	const values = [...counts.keys()].sort();
	if (!issues.length && values.length < 2)
		issues.push({ field: "label", message: `the label column '${source.label}' holds one class only (${values[0] ?? "none"}): a classifier needs two` });
	if (values.length > 2)
		issues.push({
			field: "label",
			message: `the label column '${source.label}' holds ${values.length} classes (${values.slice(0, 5).map(shown).join(", ")}): only binary labels are supported`,
		});
	if (source.positive_class != null && values.length === 2 && !counts.has(source.positive_class))
		issues.push({ field: "positive_class", message: `'${shown(source.positive_class)}' is not a value of the label column (${values.join(", ")})` });
	if (issues.length) throw new DatasetError(issues[0].message, issues);

	const classes = choosePositive(values, counts, source.positive_class);
	const y = new Uint8Array(labels.length);
	for (let r = 0; r < labels.length; r++) y[r] = labels[r] === classes[1] ? 1 : 0;
	const columns: ColumnSummary[] = features.map((name, f) => {
		let min = Infinity;
		let max = -Infinity;
		let sum = 0;
		let n = 0;
		for (const row of x) {
			const v = row[f];
			if (Number.isNaN(v)) continue;
			if (v < min) min = v;
			if (v > max) max = v;
			sum += v;
			n++;
		}
		return { name, type: "numeric", missing: missing[f], min: n ? min : null, max: n ? max : null, mean: n ? sum / n : null };
	});
	columns.splice(labelIndex, 0, { name: source.label, type: "label", missing: 0 });
	const missingValues = Object.fromEntries(features.map((name, f) => [name, missing[f]]));
	return {
		data: { features, label: source.label, classes, x, y },
		summary: {
			rows: x.length,
			columns,
			features,
			label: source.label,
			classes,
			positive_class: classes[1],
			class_balance: Object.fromEntries(values.map(v => [v, counts.get(v)!])),
			missing_values: missingValues,
			missing_total: missing.reduce((a, b) => a + b, 0),
			sha256: sha256(source.content),
		},
	};
}

/** Keeps the named columns, in that order (each must exist). */
export function projectColumns(data: ParsedDataset, features: string[]): ParsedDataset {
	const index = features.map(f => data.features.indexOf(f));
	const absent = features.filter((_, i) => index[i] < 0);
	if (absent.length)
		throw new DatasetError(
			`The data set lacks the model's feature columns: ${absent.slice(0, 5).join(", ")}${absent.length > 5 ? ", …" : ""}`,
			absent.map(a => ({ field: `columns.${a}`, message: `no column '${a}'` })),
		);
	return { ...data, features, x: data.x.map(row => Float64Array.from(index, i => row[i])) };
}
