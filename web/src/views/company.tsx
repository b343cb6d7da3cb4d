/** A company: its header, scores and what drives them, ratio trends, benchmark, KPIs, market figures, latest review; and its statements. */
import { atLeast, get, post } from "../api";
import { Badge, ErrorBox, Loaded, ReportButtons, Table, TrendChart, fmt, useLoad } from "../components";
import { Link } from "../router";
import { useState } from "preact/hooks";

interface Company {
	id: string;
	name: string;
	ticker?: string | null;
	industry: string;
	cik?: string | null;
	country?: string | null;
}

/** The ratios drawn as trends, with whether they are fractions. */
const TRENDS: Array<[string, string, boolean]> = [
	["profitability.net_margin", "Net margin", true],
	["profitability.operating_margin", "Operating margin", true],
	["profitability.roe", "Return on equity", true],
	["liquidity.current_ratio", "Current ratio", false],
	["leverage.debt_to_equity", "Debt to equity", false],
	["efficiency.asset_turnover", "Asset turnover", false],
];

/** What each of Altman's variants is for (docs/formulas.md). */
const ALTMAN_VARIANTS: Record<string, string> = {
	z: "the original, on the market value of equity (public manufacturers)",
	z_prime: "z′, on the book value of equity (no market value)",
	z_double_prime: "z″, without sales (non-manufacturers)",
};

export function CompanyNav({ id, here }: { id: string; here: string }) {
	const links: Array<[string, string]> = [
		["", "Overview"],
		["/statements", "Statements"],
		["/risk", "Risk"],
		["/compliance", "Compliance"],
		["/plans", "Plans"],
	];
	return (
		<nav class="tabs" aria-label="Company">
			{links.map(([to, label]) => (
				<Link to={`/companies/${id}${to}`} class={here === to ? "current" : ""}>
					{label}
				</Link>
			))}
		</nav>
	);
}

export function CompanyHeader({ company, latest }: { company: Company; latest?: string | null }) {
	return (
		<header class="company">
			<h1>{company.name}</h1>
			<dl class="facts">
				<dt>Ticker</dt>
				<dd>{company.ticker ?? "—"}</dd>
				<dt>Industry</dt>
				<dd>{fmt.label(company.industry)}</dd>
				<dt>CIK</dt>
				<dd>{company.cik ?? "—"}</dd>
				{latest !== undefined && (
					<>
						<dt>Latest period</dt>
						<dd>{fmt.date(latest)}</dd>
					</>
				)}
			</dl>
		</header>
	);
}

export function CompanyPage({ id }: { id: string }) {
	const state = useLoad(async () => {
		const company = await get<Company>(`/companies/${id}`);
		const [analysis, history, kpis, market, overview] = await Promise.all([
			get(`/companies/${id}/analysis`).catch(err => ({ error: err })),
			get(`/companies/${id}/ratios/history?statement_type=annual&ratios=${TRENDS.map(t => t[0]).join(",")}`).catch(() => null),
			get(`/companies/${id}/kpis`).catch(() => null),
			get(`/companies/${id}/market`).catch(() => null),
			get(`/companies/${id}/overview`).catch(() => null),
		]);
		return { company, analysis, history, kpis, market, overview };
	}, [id]);
	return (
		<Loaded state={state} what="company">
			{({ company, analysis, history, kpis, market, overview }) => (
				<article>
					<CompanyHeader company={company} latest={analysis?.period_end ?? null} />
					<CompanyNav id={id} here="" />
					{analysis?.error ? <ErrorBox error={analysis.error} /> : <Scores analysis={analysis} />}
					{history && <Trends history={history} />}
					{analysis?.benchmark && <Benchmark benchmark={analysis.benchmark} />}
					{kpis && <Kpis kpis={kpis} />}
					{market && <Market market={market} currency={analysis?.currency} />}
					{overview?.workflow && <Review workflow={overview.workflow} />}
					{atLeast("analyst") && <ReportButtons body={{ kind: "company", company_id: id }} what={company.name} />}
					{company.cik && atLeast("analyst") && <SecRefresh id={id} />}
				</article>
			)}
		</Loaded>
	);
}

function Scores({ analysis }: { analysis: any }) {
	const { altman, piotroski, beneish } = analysis.scores;
	return (
		<section aria-labelledby="scores">
			<h2 id="scores">
				Scores{" "}
				<span class="muted">
					({analysis.period_end}, {analysis.statement_type})
				</span>
			</h2>
			<div class="cards">
				<div class="card" data-score="altman">
					<h3>Altman {altman ? (altman.primary === "z" ? "z" : altman.primary === "z_prime" ? "z′" : "z″") : ""}</h3>
					{altman ? (
						<>
							<p class="big">
								<span class="value">{fmt.score(altman[altman.primary])}</span> <Badge value={altman.zone} />
							</p>
							<p class="muted">{ALTMAN_VARIANTS[altman.primary] ?? altman.primary}</p>
						</>
					) : (
						<p class="muted">Not computed</p>
					)}
				</div>
				<div class="card" data-score="piotroski">
					<h3>Piotroski F</h3>
					{piotroski ? (
						<>
							<p class="big">
								{piotroski.score ?? "—"} / {piotroski.signals_available}
							</p>
							<ul class="signals">
								{Object.entries(piotroski.signals ?? {}).map(([name, ok]) => (
									<li class={ok == null ? "na" : ok ? "yes" : "no"}>
										{ok == null ? "·" : ok ? "✓" : "✗"} {name}
									</li>
								))}
							</ul>
						</>
					) : (
						<p class="muted">Not computed</p>
					)}
				</div>
				<div class="card" data-score="beneish">
					<h3>Beneish M</h3>
					{beneish ? (
						<p class="big">
							{fmt.score(beneish.m_score)}{" "}
							{beneish.likely_manipulator == null ? "" : beneish.likely_manipulator ? <Badge value="likely_manipulator" /> : <Badge value="unlikely" />}
						</p>
					) : (
						<p class="muted">Not computed</p>
					)}
				</div>
			</div>
			{analysis.warnings?.length > 0 && (
				<details>
					<summary>{analysis.warnings.length} warnings</summary>
					<ul>
						{analysis.warnings.map((w: string) => (
							<li>{w}</li>
						))}
					</ul>
				</details>
			)}
		</section>
	);
}

function Trends({ history }: { history: { ratios: Record<string, Array<{ period_end: string; value: number | null }>> } }) {
	return (
		<section aria-labelledby="trends">
			<h2 id="trends">Ratio trends</h2>
			<div class="charts">
				{TRENDS.filter(([path]) => history.ratios[path]?.some(p => p.value != null)).map(([path, title, percent]) => (
					<TrendChart title={title} percent={percent} points={history.ratios[path].map(p => ({ date: p.period_end, value: p.value }))} />
				))}
			</div>
		</section>
	);
}

function Benchmark({ benchmark }: { benchmark: any }) {
	return (
		<section aria-labelledby="benchmark">
			<h2 id="benchmark">Benchmark</h2>
			<p>
				Against <strong>{benchmark.peer_count}</strong> peers of {fmt.label(benchmark.industry)}
				{benchmark.reference_set ? ` (${benchmark.reference_set.peers} of them ${benchmark.reference_set.source}, as of ${benchmark.reference_set.as_of})` : ""}; basis:{" "}
				{benchmark.basis}.
			</p>
			<Table
				label="Benchmark"
				rows={Object.entries(benchmark.ratios as Record<string, { value: number | null; median: number | null; percentile: number | null }>)}
				columns={[
					{ label: "Ratio", cell: ([name]) => fmt.label(name.split(".")[1]) },
					{ label: "Company", numeric: true, cell: ([, r]) => fmt.num(r.value, 3) },
					{ label: "Median", numeric: true, cell: ([, r]) => fmt.num(r.median, 3) },
					{ label: "Percentile", numeric: true, cell: ([, r]) => fmt.pct(r.percentile, 0) },
				]}
			/>
		</section>
	);
}

function Kpis({ kpis }: { kpis: any }) {
	if (!kpis.kpis?.length) return null;
	return (
		<section aria-labelledby="kpis">
			<h2 id="kpis">KPIs {kpis.period_end ? <span class="muted">({kpis.period_end})</span> : null}</h2>
			<Table
				label="KPIs"
				rows={kpis.kpis as any[]}
				columns={[
					{ label: "KPI", cell: k => fmt.label(k.name) },
					{ label: "Value", numeric: true, cell: k => k.display ?? fmt.num(k.value) },
					{ label: "Threshold", cell: k => k.threshold_text ?? "" },
					{ label: "Status", cell: k => <Badge value={k.status} /> },
				]}
			/>
		</section>
	);
}

function Market({ market, currency }: { market: any; currency?: string }) {
	const priced: any[] = (market.periods ?? []).filter((p: any) => p.market_cap != null);
	if (!priced.length) return null;
	return (
		<section aria-labelledby="market">
			<h2 id="market">Market</h2>
			<Table
				label="Market figures"
				rows={priced}
				columns={[
					{ label: "Period end", cell: p => p.period_end },
					{ label: "Close", numeric: true, cell: p => fmt.num(p.close) },
					{ label: "Market cap", numeric: true, cell: p => fmt.money(p.market_cap, currency) },
					{ label: "Volatility", numeric: true, cell: p => fmt.pct(p.volatility) },
					{ label: "Distance to default", numeric: true, cell: p => fmt.num(p.distance_to_default) },
				]}
			/>
		</section>
	);
}

function Review({ workflow }: { workflow: any }) {
	return (
		<section aria-labelledby="review">
			<h2 id="review">Latest review</h2>
			<p>
				Started {fmt.date(workflow.started_at)}: <Badge value={workflow.state} />{" "}
				{Object.entries(workflow.steps ?? {}).map(([name, s]: [string, any]) => (
					<span class="step">
						{name} <Badge value={s.state} />{" "}
					</span>
				))}
			</p>
		</section>
	);
}

function SecRefresh({ id }: { id: string }) {
	const [state, setState] = useState<{ busy?: boolean; error?: Error; done?: string }>({});
	return (
		<section>
			<button
				type="button"
				disabled={state.busy}
				onClick={async () => {
					setState({ busy: true });
					try {
						const res = await post(`/companies/${id}/sec-refresh`);
						setState({ done: `Imported: ${res.import?.created ?? 0} new, ${res.import?.updated ?? 0} changed` });
					} catch (err) {
						setState({ error: err as Error });
					}
				}}
			>
				Refresh from SEC EDGAR
			</button>
			{state.error && <ErrorBox error={state.error} />}
			{state.done && <p role="status">{state.done}</p>}
		</section>
	);
}

const SECTIONS = ["balance_sheet", "income_statement", "cash_flow"] as const;

export function StatementsPage({ id }: { id: string }) {
	const state = useLoad(async () => {
		const company = await get<Company>(`/companies/${id}`);
		const statements = await get<{ rows: any[] }>(`/companies/${id}/statements?statement_type=annual&page_size=100&sort=-period_end`);
		return { company, statements: statements.rows };
	}, [id]);
	return (
		<Loaded state={state} what="company">
			{({ company, statements }) => (
				<article>
					<CompanyHeader company={company} latest={statements[0]?.period_end} />
					<CompanyNav id={id} here="/statements" />
					{statements.length === 0 && <p class="muted">No statements yet.</p>}
					{SECTIONS.map(section => {
						const items = [...new Set(statements.flatMap(s => Object.keys(s[section] ?? {})))];
						if (!items.length) return null;
						return (
							<section aria-labelledby={section}>
								<h2 id={section}>{fmt.label(section)}</h2>
								<div class="scroll" tabIndex={0} role="region" aria-label={`${fmt.label(section)}, scrollable`}>
									<table aria-label={fmt.label(section)}>
										<thead>
											<tr>
												<th>Line item</th>
												{statements.map(s => (
													<th class="num">{s.period_end}</th>
												))}
											</tr>
										</thead>
										<tbody>
											{items.map(item => (
												<tr>
													<td>{fmt.label(item)}</td>
													{statements.map(s => (
														<td class="num">{fmt.num(s[section]?.[item], 0)}</td>
													))}
												</tr>
											))}
										</tbody>
									</table>
								</div>
							</section>
						);
					})}
				</article>
			)}
		</Loaded>
	);
}
