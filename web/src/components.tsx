/** The pieces every view uses: loading and error states, tables that sort, badges, small charts, the heat map. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import uPlot from "uplot";
import { ApiError, file, get, post } from "./api";
import { Link } from "./router";

/** Loads `load()` when `deps` change: its value, or the error it threw. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: ApiError | Error; loading: boolean; reload(): void } {
	const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: true });
	const [tick, setTick] = useState(0);
	useEffect(() => {
		let live = true;
		setState(s => ({ ...s, loading: true }));
		load().then(
			data => live && setState({ data, loading: false }),
			error => live && setState({ error, loading: false }),
		);
		return () => {
			live = false;
		};
	}, [...deps, tick]);
	return { ...state, reload: () => setTick(t => t + 1) };
}

/** A request's state: loading, the API's message for an error (404 the not-found page), else the content. */
export function Loaded<T>(props: { state: { data?: T; error?: Error; loading: boolean }; children: (data: T) => ComponentChildren; what?: string }) {
	const { data, error, loading } = props.state;
	if (error) return error instanceof ApiError && error.status === 404 ? <NotFound what={props.what} message={error.message} /> : <ErrorBox error={error} />;
	if (loading && data === undefined)
		return (
			<p class="muted" aria-busy="true">
				Loading…
			</p>
		);
	return <>{props.children(data as T)}</>;
}

const STATUS_WORDS: Record<number, string> = {
	401: "Signed out",
	403: "Not allowed",
	404: "Not found",
	409: "Conflict",
	422: "Not accepted",
	429: "Too many requests",
};

export function ErrorBox({ error }: { error: Error }) {
	const status = error instanceof ApiError ? error.status : 0;
	return (
		<div class="error" role="alert">
			<strong>{STATUS_WORDS[status] ?? (status ? `Error ${status}` : "Error")}</strong>: {error.message}
		</div>
	);
}

export function NotFound({ what, message }: { what?: string; message?: string }) {
	return (
		<section class="not-found">
			<h1>Not found</h1>
			<p>{message ?? `There is no such ${what ?? "page"}, or it is not yours to see.`}</p>
			<p>
				<Link to="/">Back to the portfolio</Link>
			</p>
		</section>
	);
}

export const fmt = {
	num: (v: number | null | undefined, digits = 2) => (v == null ? "—" : v.toLocaleString("en-US", { maximumFractionDigits: digits })),
	/** A score as scores are quoted: a fixed number of decimals (Altman's 1.70, Beneish's −2.65). */
	score: (v: number | null | undefined, digits = 2) => (v == null ? "—" : v.toFixed(digits).replace("-", "−")),
	pct: (v: number | null | undefined, digits = 1) => (v == null ? "—" : `${(v * 100).toFixed(digits)} %`),
	money: (v: number | null | undefined, currency = "USD") =>
		v == null
			? "—"
			: Math.abs(v) >= 1e9
				? `${(v / 1e9).toFixed(2)} bn ${currency}`
				: Math.abs(v) >= 1e6
					? `${(v / 1e6).toFixed(1)} M ${currency}`
					: `${v.toLocaleString("en-US")} ${currency}`,
	date: (v: string | null | undefined) => (v ? v.slice(0, 10) : "—"),
	label: (v: string) => v.replace(/_/g, " "),
};

/** A status word as a coloured badge (zones, levels, compliance statuses, KPI statuses). */
export function Badge({ value }: { value: string | null | undefined }) {
	if (!value) return <span class="badge none">—</span>;
	return <span class={`badge b-${value.replace(/[^a-z_]/gi, "")}`}>{fmt.label(value)}</span>;
}

/** A plain table: a header per column, a row per item, numbers right-aligned. */
export function Table<T>(props: { label: string; rows: T[]; columns: Array<{ label: string; numeric?: boolean; cell(row: T): ComponentChildren }>; rowClass?(row: T): string }) {
	return (
		<table aria-label={props.label}>
			<thead>
				<tr>
					{props.columns.map(c => (
						<th class={c.numeric ? "num" : ""}>{c.label}</th>
					))}
				</tr>
			</thead>
			<tbody>
				{props.rows.map(row => (
					<tr class={props.rowClass?.(row) ?? ""}>
						{props.columns.map(c => (
							<td class={c.numeric ? "num" : ""}>{c.cell(row)}</td>
						))}
					</tr>
				))}
			</tbody>
		</table>
	);
}

export interface Column<T> {
	key: string;
	label: string;
	value(row: T): string | number | null | undefined;
	render?(row: T): ComponentChildren;
	numeric?: boolean;
}

/** A table whose column headers sort it (a button each: keyboard and screen readers see the order). */
export function SortableTable<T>(props: { rows: T[]; columns: Column<T>[]; initial?: string; label: string }) {
	const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: props.initial ?? props.columns[0].key, dir: 1 });
	const column = props.columns.find(c => c.key === sort.key) ?? props.columns[0];
	const rows = [...props.rows].sort((a, b) => {
		const [x, y] = [column.value(a), column.value(b)];
		if (x == null) return 1;
		if (y == null) return -1;
		return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
	});
	return (
		<table aria-label={props.label}>
			<thead>
				<tr>
					{props.columns.map(c => (
						<th key={c.key} class={c.numeric ? "num" : ""} aria-sort={c.key === sort.key ? (sort.dir === 1 ? "ascending" : "descending") : "none"}>
							<button type="button" class="sort" onClick={() => setSort(s => ({ key: c.key, dir: s.key === c.key ? (-s.dir as 1 | -1) : 1 }))}>
								{c.label}
								{c.key === sort.key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
							</button>
						</th>
					))}
				</tr>
			</thead>
			<tbody>
				{rows.map((row, i) => (
					<tr key={i}>
						{props.columns.map(c => (
							<td key={c.key} class={c.numeric ? "num" : ""}>
								{c.render ? c.render(row) : (c.value(row) ?? "—")}
							</td>
						))}
					</tr>
				))}
			</tbody>
		</table>
	);
}

/** A small line chart of one series over dates (uPlot, drawn on a canvas). */
export function TrendChart({ title, points, percent }: { title: string; points: Array<{ date: string; value: number | null }>; percent?: boolean }) {
	const box = useRef<HTMLDivElement>(null);
	useEffect(() => {
		if (!box.current) return;
		const xs = points.map(p => Date.parse(p.date) / 1000);
		const ys = points.map(p => (p.value == null ? null : percent ? p.value * 100 : p.value));
		const chart = new uPlot(
			{
				width: 300,
				height: 140,
				legend: { show: false },
				cursor: { show: true },
				scales: { x: { time: true } },
				axes: [{ size: 30 }, { size: 58, values: (_u, vals) => vals.map(v => (percent ? `${v}%` : String(v))) }],
				series: [{}, { label: title, stroke: "#1f5fa8", width: 2, points: { show: true, size: 5 } }],
			},
			[xs, ys as number[]],
			box.current,
		);
		return () => chart.destroy();
	}, [points, title, percent]);
	return (
		<figure class="chart">
			<figcaption>{title}</figcaption>
			<div ref={box} role="img" aria-label={`${title} over ${points.length} periods`} />
		</figure>
	);
}

/** A curve of points on 0–1 axes (a version's ROC or precision-recall curve), drawn with uPlot. */
export function CurveChart({ title, x, y, points }: { title: string; x: string; y: string; points: Array<[number, number]> }) {
	const box = useRef<HTMLDivElement>(null);
	useEffect(() => {
		if (!box.current) return;
		const chart = new uPlot(
			{
				width: 300,
				height: 260,
				legend: { show: false },
				scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
				axes: [
					{ label: x, size: 40 },
					{ label: y, size: 50 },
				],
				series: [{}, { label: title, stroke: "#1f5fa8", width: 2 }],
			},
			[points.map(p => p[0]), points.map(p => p[1])],
			box.current,
		);
		return () => chart.destroy();
	}, [points, title, x, y]);
	return (
		<figure class="chart">
			<figcaption>{title}</figcaption>
			<div ref={box} role="img" aria-label={`${title}: ${y} against ${x}, ${points.length} points`} />
		</figure>
	);
}

/**
 * The risk grid as CISO Assistant draws it: likelihood rows (highest on top) by impact columns, each cell the
 * colour of its level and the count of risks in it; a cell with risks is a button that opens them.
 */
export function HeatMap(props: {
	levels: string[][];
	counts: number[][];
	probability: string[];
	impact: string[];
	selected?: [number, number] | null;
	onSelect(cell: [number, number]): void;
}) {
	const rows = props.levels.map((_, i) => props.levels.length - 1 - i);
	return (
		<div class="heatmap" style={{ gridTemplateColumns: `8rem repeat(${props.impact.length}, 1fr)` }} role="grid" aria-label="Risk heat map">
			{rows.map(l => (
				<div class="hm-row" role="row">
					<div class="axis" role="rowheader">
						{props.probability[l]}
					</div>
					{props.impact.map((_, i) => {
						const n = props.counts[l]?.[i] ?? 0;
						const selected = props.selected?.[0] === l && props.selected?.[1] === i;
						return (
							<div class="hm-cell" role="gridcell">
								<button
									type="button"
									class={`cell lvl-${props.levels[l][i].toLowerCase().replace(/[^a-z]/g, "")}${selected ? " selected" : ""}`}
									disabled={n === 0}
									aria-label={`likelihood ${props.probability[l]}, impact ${props.impact[i]}: ${n} risk${n === 1 ? "" : "s"} (${props.levels[l][i]})`}
									onClick={() => props.onSelect([l, i])}
								>
									{n || ""}
								</button>
							</div>
						);
					})}
				</div>
			))}
			<div class="hm-row" role="row">
				<div role="columnheader" class="axis bottom">
					<span class="visually-hidden">Likelihood by impact</span>
				</div>
				{props.impact.map(name => (
					<div class="axis bottom" role="columnheader">
						{name}
					</div>
				))}
			</div>
		</div>
	);
}

/** A file the API answers, saved by the browser under `name` (fetched with the session's token: a plain link has none). */
export async function saveFile(apiPath: string, name: string): Promise<void> {
	const blob = await file(apiPath);
	const link = document.createElement("a");
	link.href = URL.createObjectURL(blob);
	link.download = name;
	link.click();
	setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

interface ReportJob {
	id: string;
	state: "queued" | "running" | "succeeded" | "failed";
	progress: number;
	stage?: string;
	error?: string;
	file?: { filename: string };
}

/**
 * Buttons that have a report made (docs/reports.md): the job is requested, its progress shown while a reports node
 * makes it, and the file saved once it is done. `body` says which report (`kind`, `company_id` or `scope`).
 */
export function ReportButtons({ body, what }: { body: Record<string, unknown>; what: string }) {
	const [state, setState] = useState<{ busy?: boolean; error?: Error; status?: string }>({});
	const make = async (format: "pdf" | "xlsx") => {
		setState({ busy: true, status: `Requesting the ${format.toUpperCase()} report…` });
		try {
			let job = await post<ReportJob>("/reports", { ...body, format });
			while (job.state === "queued" || job.state === "running") {
				setState({ busy: true, status: `Making the ${format.toUpperCase()} report: ${job.stage ?? job.state}, ${Math.round(job.progress * 100)} %` });
				await new Promise(resolve => setTimeout(resolve, 500));
				job = await get<ReportJob>(`/reports/${job.id}`);
			}
			if (job.state === "failed") throw new Error(`The report failed: ${job.error ?? "no reason given"}`);
			const name = job.file?.filename ?? `report.${format}`;
			await saveFile(`/reports/${job.id}/file`, name);
			setState({ status: `Saved ${name}` });
		} catch (err) {
			setState({ error: err as Error });
		}
	};
	return (
		<section class="reports" aria-label={`Reports of ${what}`}>
			<button type="button" disabled={state.busy} onClick={() => void make("pdf")}>
				PDF report
			</button>{" "}
			<button type="button" disabled={state.busy} onClick={() => void make("xlsx")}>
				XLSX report
			</button>
			{state.status && <p role="status">{state.status}</p>}
			{state.error && <ErrorBox error={state.error} />}
		</section>
	);
}
