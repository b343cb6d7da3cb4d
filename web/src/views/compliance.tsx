/** A company's compliance: status per regulation, requirements with their evidence, attestations due and expired. */
import { get } from "../api";
import { Badge, Loaded, fmt, useLoad } from "../components";
import { CompanyHeader, CompanyNav } from "./company";

export function CompliancePage({ id }: { id: string }) {
	const state = useLoad(async () => {
		const company = await get(`/companies/${id}`);
		const records = await get<{ rows: any[] }>(`/companies/${id}/compliance-records?page_size=100`);
		return { company, records: records.rows };
	}, [id]);
	return (
		<Loaded state={state} what="company">
			{({ company, records }) => (
				<article>
					<CompanyHeader company={company} />
					<CompanyNav id={id} here="/compliance" />
					{records.length === 0 && <p class="muted">No regulation evaluated yet.</p>}
					{records.map(r => {
						const now = Date.now();
						const attestations = r.requirements.filter((q: any) => q.kind === "attestation");
						return (
							<section aria-label={r.regulation_type}>
								<h2>
									{r.regulation_type.toUpperCase()} <Badge value={r.compliance_status} />
								</h2>
								<p class="muted">
									Assessed {fmt.date(r.assessed_at)}, next review {fmt.date(r.next_review)}; {r.violations.length} violations
								</p>
								<table aria-label={`${r.regulation_type} requirements`}>
									<thead>
										<tr>
											<th>Requirement</th>
											<th>Status</th>
											<th>Evidence</th>
										</tr>
									</thead>
									<tbody>
										{r.requirements.map((q: any) => (
											<tr>
												<td>{q.text}</td>
												<td>
													<Badge value={q.status} />
												</td>
												<td>
													{q.kind === "rule" ? (
														<Evidence requirement={q} />
													) : r.attestations[q.id] ? (
														`${r.attestations[q.id].evidence} — ${r.attestations[q.id].by}, until ${fmt.date(r.attestations[q.id].expires_at)}${Date.parse(r.attestations[q.id].expires_at) < now ? " (expired)" : ""}`
													) : (
														"attestation due"
													)}
												</td>
											</tr>
										))}
									</tbody>
								</table>
								{attestations.length > 0 && (
									<p class="muted">
										Attestations: {attestations.filter((q: any) => !r.attestations[q.id]).length} due,{" "}
										{attestations.filter((q: any) => r.attestations[q.id] && Date.parse(r.attestations[q.id].expires_at) < now).length} expired
									</p>
								)}
							</section>
						);
					})}
				</article>
			)}
		</Loaded>
	);
}

/** A rule's evidence: the figure observed against the threshold, the computation (formula, inputs, period) and its hash. */
function Evidence({ requirement: q }: { requirement: any }) {
	const e = q.evidence;
	return (
		<>
			observed {fmt.num(q.observed, 4)} against {fmt.num(q.threshold, 4)}
			{q.reason ? ` (${q.reason})` : ""}
			{e && (
				<details>
					<summary>computation</summary>
					<p>
						{e.figure} = {e.formula ?? e.figure} for {e.period_end ?? "—"} (rule {e.rule}, formulas {e.formula_version})
					</p>
					{e.inputs && (
						<ul>
							{Object.entries(e.inputs as Record<string, number | null>).map(([name, v]) => (
								<li>
									{fmt.label(name)}: {fmt.num(v, 0)}
								</li>
							))}
						</ul>
					)}
					<p class="muted">
						sha256 <code>{e.sha256}</code>
					</p>
				</details>
			)}
		</>
	);
}
