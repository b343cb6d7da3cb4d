/** A company's risks: the heat map (inherent or residual; a cell opens its risks), automatic assessments with their factors, acceptances, appetite. */
import { useState } from "preact/hooks";
import { get } from "../api";
import { Badge, HeatMap, Loaded, Table, fmt, useLoad } from "../components";
import { CompanyHeader, CompanyNav } from "./company";

export function RiskPage({ id }: { id: string }) {
	const [view, setView] = useState<"inherent" | "residual">("residual");
	const [cell, setCell] = useState<[number, number] | null>(null);
	const state = useLoad(async () => {
		const company = await get(`/companies/${id}`);
		const [matrix, assessments, appetite] = await Promise.all([
			get(`/companies/${id}/risk-matrix`),
			get<{ rows: any[] }>(`/companies/${id}/risk-assessments?page_size=100`),
			get<{ rows: any[] }>(`/companies/${id}/kpi-appetite`).catch(() => ({ rows: [] })),
		]);
		return { company, matrix, assessments: assessments.rows, appetite: appetite.rows };
	}, [id]);
	return (
		<Loaded state={state} what="company">
			{({ company, matrix, assessments, appetite }) => {
				const manual = assessments.filter(a => a.method === "manual");
				const automatic = assessments.filter(a => a.method === "automatic");
				const inCell = cell ? manual.filter(a => a[view]?.likelihood === cell[0] + 1 && a[view]?.impact === cell[1] + 1) : [];
				return (
					<article>
						<CompanyHeader company={company} />
						<CompanyNav id={id} here="/risk" />
						<section aria-labelledby="heatmap">
							<h2 id="heatmap">
								{matrix.matrix.name} <span class="muted">({matrix.count} risks)</span>
							</h2>
							<div class="toggle" role="group" aria-label="Risk shown">
								{(["inherent", "residual"] as const).map(v => (
									<button
										type="button"
										aria-pressed={view === v}
										onClick={() => {
											setView(v);
											setCell(null);
										}}
									>
										{v}
									</button>
								))}
							</div>
							<HeatMap
								levels={matrix.levels}
								counts={matrix[view]}
								probability={matrix.probability.map((p: { name: string }) => p.name)}
								impact={matrix.impact.map((p: { name: string }) => p.name)}
								selected={cell}
								onSelect={setCell}
							/>
							{cell && (
								<div class="cell-risks" role="region" aria-label="Risks of the cell">
									<h3>
										{matrix.probability[cell[0]].name} × {matrix.impact[cell[1]].name}
									</h3>
									<ul>
										{inCell.map(a => (
											<li>
												<strong>{a.title}</strong> ({fmt.label(a.risk_type)}) <Badge value={a[view].level} />
												{a.treatment ? ` · ${a.treatment.strategy}, ${a.treatment.owner}` : ""}
												{a.acceptance ? (
													<>
														{" "}
														· accepted until {fmt.date(a.acceptance.expires_at)} <Badge value={a.acceptance.status} />
													</>
												) : null}
											</li>
										))}
									</ul>
								</div>
							)}
						</section>
						{manual.length > 0 && (
							<section aria-labelledby="register">
								<h2 id="register">Risk register</h2>
								<Table
									label="Risk register"
									rows={manual}
									columns={[
										{ label: "Risk", cell: a => a.title },
										{ label: "Type", cell: a => fmt.label(a.risk_type) },
										{ label: "Inherent", cell: a => <Badge value={a.inherent?.level} /> },
										{ label: "Residual", cell: a => <Badge value={a.residual?.level} /> },
										{
											label: "Treatment",
											cell: a =>
												a.treatment ? `${a.treatment.strategy}, ${a.treatment.owner}${a.treatment.due_date ? ` by ${a.treatment.due_date}` : ""}` : "—",
										},
										{
											label: "Acceptance",
											cell: a =>
												a.acceptance ? (
													<>
														<Badge value={a.acceptance.status} /> by {a.acceptance.by} until {fmt.date(a.acceptance.expires_at)}
														{a.acceptance.reason ? ` (${a.acceptance.reason})` : ""}
													</>
												) : (
													"—"
												),
										},
									]}
								/>
							</section>
						)}
						<section aria-labelledby="automatic">
							<h2 id="automatic">Automatic assessments</h2>
							{automatic.length === 0 && <p class="muted">None yet: they follow the company's statements.</p>}
							{automatic.map(a => (
								<details class="assessment">
									<summary>
										{fmt.label(a.risk_type)}: {fmt.num(a.risk_score, 1)} <Badge value={a.level} />
									</summary>
									<Table
										label={`${a.risk_type} factors`}
										rows={a.risk_factors as any[]}
										columns={[
											{ label: "Factor", cell: f => <span title={f.reason ?? f.source}>{fmt.label(f.name)}</span> },
											{ label: "Value", numeric: true, cell: f => fmt.num(f.value, 4) },
											{ label: "Safe → distress", numeric: true, cell: f => `${fmt.num(f.safe, 3)} → ${fmt.num(f.distress, 3)}` },
											{ label: "Weight", numeric: true, cell: f => fmt.num(f.weight) },
											{ label: "Applied", numeric: true, cell: f => fmt.pct(f.applied_weight, 0) },
											{ label: "Contribution", numeric: true, cell: f => (f.contribution == null ? (f.reason ?? "—") : fmt.num(f.contribution, 1)) },
										]}
									/>
								</details>
							))}
						</section>
						{appetite.length > 0 && (
							<section aria-labelledby="appetite">
								<h2 id="appetite">Appetite per KPI</h2>
								<Table
									label="Appetite"
									rows={appetite}
									columns={[
										{ label: "KPI", cell: a => fmt.label(a.kpi) },
										{ label: "Regulatory minimum", numeric: true, cell: a => fmt.num(a.regulatory_minimum) },
										{ label: "Internal limit", numeric: true, cell: a => fmt.num(a.internal_limit) },
										{ label: "Early warning", numeric: true, cell: a => fmt.num(a.early_warning) },
									]}
								/>
							</section>
						)}
					</article>
				);
			}}
		</Loaded>
	);
}
