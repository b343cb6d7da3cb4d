/** The portfolio: the companies the user may see, with search and filters, their scores, risk and compliance, sortable. */
import { useState } from "preact/hooks";
import { atLeast, get } from "../api";
import { Badge, Loaded, ReportButtons, SortableTable, fmt, useLoad, type Column } from "../components";
import { Link } from "../router";

interface Company {
	id: string;
	name: string;
	ticker?: string | null;
	industry: string;
	country?: string | null;
}
interface Overview {
	company_id: string;
	statements: { latest_period_end: string | null; last_change_at: string | null };
	analysis: { altman: { variant: string; z: number | null; zone: string | null } | null; piotroski: { score: number | null; of: number } | null } | null;
	risk: { level: string | null };
	compliance: { status: string | null };
	workflow: { started_at: string; state: string } | null;
}
interface Row extends Company {
	overview?: Overview;
}

const ZONES = ["distress", "grey", "safe"];
const LEVELS = ["critical", "high", "medium", "low"];

/** Every company matching the filters, a hundred per page, each page's overviews in one call. */
async function loadPortfolio(q: string, industry: string, country: string): Promise<Row[]> {
	const params = new URLSearchParams({ page_size: "100" });
	if (q) params.set("q", q);
	if (industry) params.set("industry", industry);
	if (country) params.set("country", country);
	const rows: Row[] = [];
	for (let page = 1; page <= 10; page++) {
		params.set("page", String(page));
		const found = await get<{ rows: Company[]; total: number }>(`/companies?${params}`);
		if (found.rows.length) {
			const overviews = await get<{ rows: Overview[] }>(`/overviews?company_ids=${found.rows.map(r => r.id).join(",")}`);
			const byCompany = new Map(overviews.rows.map(o => [o.company_id, o]));
			rows.push(...found.rows.map(r => ({ ...r, overview: byCompany.get(r.id) })));
		}
		if (page * 100 >= found.total) break;
	}
	return rows;
}

export function Portfolio() {
	const [filters, setFilters] = useState({ q: "", industry: "", country: "" });
	const industries = useLoad(() => get<{ rows: Array<{ id: string; name: string }> }>("/domains?page_size=100").then(p => p.rows), []);
	const state = useLoad(() => loadPortfolio(filters.q, filters.industry, filters.country), [filters.q, filters.industry, filters.country]);
	const columns: Column<Row>[] = [
		{ key: "name", label: "Company", value: r => r.name.toLowerCase(), render: r => <Link to={`/companies/${r.id}`}>{r.name}</Link> },
		{ key: "ticker", label: "Ticker", value: r => r.ticker ?? null },
		{ key: "industry", label: "Industry", value: r => r.industry, render: r => fmt.label(r.industry) },
		{ key: "country", label: "Country", value: r => r.country ?? null },
		{
			key: "zone",
			label: "Altman zone",
			value: r => (r.overview?.analysis?.altman?.zone ? ZONES.indexOf(r.overview.analysis.altman.zone) : null),
			render: r => (
				<>
					<Badge value={r.overview?.analysis?.altman?.zone} /> {fmt.score(r.overview?.analysis?.altman?.z)}
				</>
			),
		},
		{
			key: "piotroski",
			label: "Piotroski",
			numeric: true,
			value: r => r.overview?.analysis?.piotroski?.score ?? null,
			render: r => (r.overview?.analysis?.piotroski ? `${r.overview.analysis.piotroski.score ?? "—"} / ${r.overview.analysis.piotroski.of}` : "—"),
		},
		{
			key: "risk",
			label: "Risk level",
			value: r => (r.overview?.risk.level ? LEVELS.indexOf(r.overview.risk.level) : null),
			render: r => <Badge value={r.overview?.risk.level} />,
		},
		{ key: "compliance", label: "Compliance", value: r => r.overview?.compliance.status ?? null, render: r => <Badge value={r.overview?.compliance.status} /> },
		{ key: "review", label: "Last review", value: r => r.overview?.workflow?.started_at ?? null, render: r => fmt.date(r.overview?.workflow?.started_at) },
	];
	return (
		<section>
			<h1>Portfolio</h1>
			{atLeast("analyst") && (
				<ReportButtons
					body={{ kind: "portfolio", scope: filters.industry ? { industry: filters.industry } : {} }}
					what={filters.industry ? `the ${filters.industry.replace(/_/g, " ")} companies` : "every company you see"}
				/>
			)}
			<form
				class="filters"
				role="search"
				onSubmit={e => {
					e.preventDefault();
					const f = new FormData(e.currentTarget as HTMLFormElement);
					setFilters({ q: String(f.get("q") ?? ""), industry: String(f.get("industry") ?? ""), country: String(f.get("country") ?? "").toUpperCase() });
				}}
			>
				<label>
					Search <input name="q" type="search" placeholder="Company name" defaultValue={filters.q} />
				</label>
				<label>
					Industry
					<select name="industry" defaultValue={filters.industry}>
						<option value="">All</option>
						{(industries.data ?? []).map(d => (
							<option value={d.id}>{d.name}</option>
						))}
					</select>
				</label>
				<label>
					Country <input name="country" size={3} maxLength={2} placeholder="US" defaultValue={filters.country} />
				</label>
				<button type="submit">Filter</button>
			</form>
			<Loaded state={state}>
				{rows => (
					<>
						<Summary rows={rows} />
						{rows.length ? <SortableTable label="Companies" rows={rows} columns={columns} /> : <p class="muted">No company matches.</p>}
					</>
				)}
			</Loaded>
		</section>
	);
}

function Summary({ rows }: { rows: Row[] }) {
	const count = (values: Array<string | null | undefined>, names: string[]) =>
		[...names, "none"].map(name => [name, values.filter(v => (v ?? "none") === name).length] as const).filter(([, n]) => n > 0);
	const zones = count(
		rows.map(r => r.overview?.analysis?.altman?.zone),
		ZONES,
	);
	const levels = count(
		rows.map(r => r.overview?.risk.level),
		LEVELS,
	);
	return (
		<div class="summary" aria-label="Summary">
			<div>
				<strong>{rows.length}</strong> companies
			</div>
			<div>
				Altman zones:{" "}
				{zones.map(([z, n]) => (
					<span>
						<Badge value={z === "none" ? null : z} /> {n}{" "}
					</span>
				))}
			</div>
			<div>
				Risk levels:{" "}
				{levels.map(([l, n]) => (
					<span>
						<Badge value={l === "none" ? null : l} /> {n}{" "}
					</span>
				))}
			</div>
		</div>
	);
}
