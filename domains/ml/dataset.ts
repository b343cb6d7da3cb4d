/**
 * Tabular data sets for binary classification (docs/ml.md): CSV with a header row (RFC 4180) or Weka ARFF.
 * Every feature is numeric; `?` and empty cells are missing values, kept as NaN for the model's pipeline to
 * handle, never dropped. The label has exactly two classes.
 */
import { createHash } from "node:crypto";

export const DATASET_FORMATS = ["csv", "arff"] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** Size limits: what the platform will parse and train on. */
export const DATASET_LIMITS = { max_rows: 200_000, max_columns: 500, max_bytes: 64 * 1024 * 1024 } as const;

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

/** Splits CSV text into records (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function parseCsvRecords(text: string, delimiter = ","): string[][] {
	const records: string[][] = [];
	let field = "";
	let record: string[] = [];
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i++;
				} else quoted = false;
			} else field += ch;
		} else if (ch === '"' && field === "") quoted = true;
		else if (ch === delimiter) {
			record.push(field);
			field = "";
		} else if (ch === "\n" || ch === "\r") {
			if (ch === "\r" && text[i + 1] === "\n") i++;
			record.push(field);
			if (record.length > 1 || record[0] !== "") records.push(record);
			record = [];
			field = "";
		} else field += ch;
	}
	if (field !== "" || record.length) {
		record.push(field);
		if (record.length > 1 || record[0] !== "") records.push(record);
	}
	return records;
}

interface Table {
	header: string[];
	records: string[][];
	/** The line number (1-based) of each record, for messages. */
	lines?: number[];
}

function parseArff(text: string): Table {
	const header: string[] = [];
	const records: string[][] = [];
	const lines = text.split(/\r?\n/);
	let inData = false;
	const lineNumbers: number[] = [];
	for (let n = 0; n < lines.length; n++) {
		const line = lines[n].trim();
		if (!line || line.startsWith("%")) continue;
		if (!inData) {
			const lower = line.toLowerCase();
			if (lower.startsWith("@attribute")) {
				const m = /^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/i.exec(line);
				if (!m) throw new DatasetError(`ARFF line ${n + 1}: cannot read the attribute declaration`, [{ field: "content", message: `line ${n + 1}: ${line.slice(0, 80)}` }]);
				header.push(m[1].replace(/^['"]|['"]$/g, ""));
			} else if (lower.startsWith("@data")) inData = true;
			continue;
		}
		if (line.startsWith("{"))
			throw new DatasetError("Sparse ARFF data is not supported", [{ field: "content", message: `line ${n + 1}: sparse rows ({index value, …}) are not supported` }]);
		records.push(parseCsvRecords(line, ",")[0].map(v => v.trim().replace(/^'(.*)'$/, "$1")));
		lineNumbers.push(n + 1);
	}
	if (!inData) throw new DatasetError("The ARFF file has no @data section", [{ field: "content", message: "no @data section" }]);
	return { header, records, lines: lineNumbers };
}

function parseCsv(text: string): Table {
	const records = parseCsvRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
	const header = (records.shift() ?? []).map(h => h.trim());
	return { header, records: records.map(r => r.map(v => v.trim())), lines: records.map((_, i) => i + 2) };
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

/** Parses and checks a data set; throws DatasetError naming every problem (column, row) it finds. */
export function parseDataset(source: DatasetSource): { data: ParsedDataset; summary: DatasetSummary } {
	if (!source.content.trim()) throw new DatasetError("The file is empty", [{ field: "content", message: "the file is empty" }]);
	const table = source.format === "arff" ? parseArff(source.content) : parseCsv(source.content);
	const { header, records } = table;
	const issues: DatasetIssue[] = [];
	if (header.length < 2) issues.push({ field: "content", message: "a data set needs a label column and at least one feature column" });
	const duplicate = header.find((h, i) => header.indexOf(h) !== i);
	if (duplicate != null) issues.push({ field: "content", message: `column '${duplicate}' appears twice in the header` });
	const empty = header.findIndex(h => !h);
	if (empty >= 0) issues.push({ field: "content", message: `column ${empty + 1} has no name` });
	const labelIndex = header.indexOf(source.label);
	if (labelIndex < 0)
		issues.push({ field: "label", message: `no column named '${source.label}'; the columns are ${header.slice(0, 10).join(", ")}${header.length > 10 ? ", …" : ""}` });
	if (!records.length) issues.push({ field: "content", message: "the file has a header but no rows" });
	if (records.length > DATASET_LIMITS.max_rows) issues.push({ field: "content", message: `${records.length} rows: at most ${DATASET_LIMITS.max_rows} are accepted` });
	if (header.length > DATASET_LIMITS.max_columns) issues.push({ field: "content", message: `${header.length} columns: at most ${DATASET_LIMITS.max_columns} are accepted` });
	if (issues.length) throw new DatasetError(issues[0].message, issues);

	const features = header.filter((_, i) => i !== labelIndex);
	const featureIndex = header.map((_, i) => i).filter(i => i !== labelIndex);
	const x: Float64Array[] = new Array(records.length);
	const labels: string[] = new Array(records.length);
	const missing = new Array<number>(features.length).fill(0);
	const nonNumeric = new Map<number, { line: number; value: string; count: number }>();
	for (let r = 0; r < records.length; r++) {
		const record = records[r];
		const line = table.lines?.[r] ?? r + 2;
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
		x[r] = row;
		labels[r] = record[labelIndex];
	}
	for (const [f, seen] of nonNumeric)
		issues.push({
			field: `columns.${features[f]}`,
			type: "number",
			message: `column '${features[f]}' is not numeric: line ${seen.line} holds '${seen.value.slice(0, 40)}'${seen.count > 1 ? ` (and ${seen.count - 1} more cells)` : ""}`,
		});
	const missingLabels = labels.filter(l => l != null && MISSING.has(l)).length;
	if (missingLabels) issues.push({ field: "label", message: `${missingLabels} rows have no value in the label column '${source.label}'` });
	const counts = new Map<string, number>();
	for (const l of labels) if (l != null && !MISSING.has(l)) counts.set(l, (counts.get(l) ?? 0) + 1);
	const values = [...counts.keys()].sort();
	if (!issues.length && values.length < 2)
		issues.push({ field: "label", message: `the label column '${source.label}' holds one class only (${values[0] ?? "none"}): a classifier needs two` });
	if (values.length > 2)
		issues.push({
			field: "label",
			message: `the label column '${source.label}' holds ${values.length} classes (${values.slice(0, 5).join(", ")}): only binary labels are supported`,
		});
	if (source.positive_class != null && values.length === 2 && !counts.has(source.positive_class))
		issues.push({ field: "positive_class", message: `'${source.positive_class}' is not a value of the label column (${values.join(", ")})` });
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
			rows: records.length,
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
