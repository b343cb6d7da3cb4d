/** A company's risks: the heat map (inherent or residual; a cell opens its risks), automatic assessments with their factors, acceptances, appetite. */
import { useState } from "preact/hooks";
import { get } from "../api";
import { Badge, HeatMap, Loaded, fmt, useLoad } from "../components";
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
								<table aria-label="Risk register">
									<thead>
										<tr>
											<th>Risk</th>
											<th>Type</th>
											<th>Inherent</th>
											<th>Residual</th>
											<th>Treatment</th>
											<th>Acceptance</th>
										</tr>
									</thead>
									<tbody>
										{manual.map(a => (
											<tr>
												<td>{a.title}</td>
												<td>{fmt.label(a.risk_type)}</td>
												<td>
													<Badge value={a.inherent?.level} />
												</td>
												<td>
													<Badge value={a.residual?.level} />
												</td>
												<td>
													{a.treatment
														? `${a.treatment.strategy}, ${a.treatment.owner}${a.treatment.due_date ? ` by ${a.treatment.due_date}` : ""}`
														: "—"}
												</td>
												<td>
													{a.acceptance ? (
														<>
															<Badge value={a.acceptance.status} /> by {a.acceptance.by} until {fmt.date(a.acceptance.expires_at)}
															{a.acceptance.reason ? ` (${a.acceptance.reason})` : ""}
														</>
													) : (
														"—"
													)}
												</td>
											</tr>
										))}
									</tbody>
								</table>
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
									<table aria-label={`${a.risk_type} factors`}>
										<thead>
											<tr>
												<th>Factor</th>
												<th class="num">Value</th>
												<th class="num">Safe → distress</th>
												<th class="num">Weight</th>
												<th class="num">Applied</th>
												<th class="num">Contribution</th>
											</tr>
										</thead>
										<tbody>
											{a.risk_factors.map((f: any) => (
												<tr title={f.reason ?? f.source}>
													<td>{fmt.label(f.name)}</td>
													<td class="num">{fmt.num(f.value, 4)}</td>
													<td class="num">
														{fmt.num(f.safe, 3)} → {fmt.num(f.distress, 3)}
													</td>
													<td class="num">{fmt.num(f.weight)}</td>
													<td class="num">{fmt.pct(f.applied_weight, 0)}</td>
													<td class="num">{f.contribution == null ? (f.reason ?? "—") : fmt.num(f.contribution, 1)}</td>
												</tr>
											))}
										</tbody>
									</table>
								</details>
							))}
						</section>
						{appetite.length > 0 && (
							<section aria-labelledby="appetite">
								<h2 id="appetite">Appetite per KPI</h2>
								<table aria-label="Appetite">
									<thead>
										<tr>
											<th>KPI</th>
											<th class="num">Regulatory minimum</th>
											<th class="num">Internal limit</th>
											<th class="num">Early warning</th>
										</tr>
									</thead>
									<tbody>
										{appetite.map(a => (
											<tr>
												<td>{fmt.label(a.kpi)}</td>
												<td class="num">{fmt.num(a.regulatory_minimum)}</td>
												<td class="num">{fmt.num(a.internal_limit)}</td>
												<td class="num">{fmt.num(a.early_warning)}</td>
											</tr>
										))}
									</tbody>
								</table>
							</section>
						)}
					</article>
				);
			}}
		</Loaded>
	);
}
