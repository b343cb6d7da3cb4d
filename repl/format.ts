/** How the operator commands print: aligned tables and one-line errors, never JSON dumps or stack traces. */

/** A cell as text: null/undefined as "-", lists joined, numbers as they are. */
function cell(value: unknown): string {
	if (value == null) return "-";
	if (Array.isArray(value)) return value.length ? value.map(cell).join(", ") : "-";
	if (typeof value === "object")
		return Object.entries(value as Record<string, unknown>)
			.map(([k, v]) => `${k}: ${cell(v)}`)
			.join(", ");
	return String(value);
}

/** A text table: a header, a rule, one line per row, columns padded to their widest cell. */
export function formatTable(rows: Array<Record<string, unknown>>, columns: string[] = rows.length ? Object.keys(rows[0]) : []): string {
	if (!rows.length) return "(none)";
	const cells = rows.map(r => columns.map(c => cell(r[c])));
	const widths = columns.map((c, i) => Math.max(c.length, ...cells.map(row => row[i].length)));
	const line = (values: string[]) =>
		values
			.map((v, i) => v.padEnd(widths[i]))
			.join("  ")
			.trimEnd();
	return [line(columns), line(widths.map(w => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** Key and value, one per line, keys aligned. */
export function formatFields(fields: Record<string, unknown>): string {
	const width = Math.max(...Object.keys(fields).map(k => k.length));
	return Object.entries(fields)
		.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`)
		.join("\n");
}

/** An error as one line: what it is and why (its code when it has one), no stack. */
export function oneLine(err: unknown): string {
	const e = err as { name?: string; message?: string; code?: unknown };
	const message = String(e?.message ?? err).split("\n")[0];
	return `error${typeof e?.code === "number" ? ` ${e.code}` : ""}: ${message}`;
}

/** A number to `digits` decimals, or "-". */
export function fixed(value: number | null | undefined, digits = 2): string {
	return value == null || !Number.isFinite(value) ? "-" : value.toFixed(digits);
}
