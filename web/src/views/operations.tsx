/** Operations (super_admin): the services and whether a node runs each, the nodes, the latest workflows with their steps, the audit trail and its verification. */
import { useState } from "preact/hooks";
import { get } from "../api";
import { Badge, ErrorBox, Loaded, fmt, useLoad } from "../components";

export function Operations() {
	const state = useLoad(async () => {
		const [ready, nodes, workflows, audit] = await Promise.all([
			get("/health/ready").catch(err => ({ error: err })),
			get<{ rows: any[] }>("/health/nodes").then(p => p.rows),
			get<{ rows: any[] }>("/workflows?page_size=20").then(p => p.rows),
			get<{ rows: any[] }>("/audit?page_size=30").then(p => p.rows),
		]);
		return { ready, nodes, workflows, audit };
	}, []);
	const [verification, setVerification] = useState<any>(null);
	const [error, setError] = useState<Error | null>(null);
	return (
		<section>
			<h1>Operations</h1>
			<Loaded state={state}>
				{({ ready, nodes, workflows, audit }) => (
					<>
						<section aria-labelledby="services">
							<h2 id="services">
								Services <Badge value={ready.status ?? "unavailable"} />
							</h2>
							{ready.services && (
								<ul class="services">
									{Object.entries(ready.services as Record<string, boolean>).map(([name, up]) => (
										<li>
											{name} <Badge value={up ? "up" : "down"} />
										</li>
									))}
								</ul>
							)}
						</section>
						<section aria-labelledby="nodes">
							<h2 id="nodes">Nodes</h2>
							<table aria-label="Nodes">
								<thead>
									<tr>
										<th>Node</th>
										<th>State</th>
										<th>Host</th>
										<th class="num">CPU</th>
										<th>Services</th>
									</tr>
								</thead>
								<tbody>
									{nodes.map(n => (
										<tr>
											<td>{n.id}</td>
											<td>
												<Badge value={n.available ? "up" : "down"} />
											</td>
											<td>{n.hostname ?? "—"}</td>
											<td class="num">{n.cpu == null ? "—" : `${n.cpu} %`}</td>
											<td>{n.services.join(", ")}</td>
										</tr>
									))}
								</tbody>
							</table>
						</section>
						<section aria-labelledby="workflows">
							<h2 id="workflows">Workflows</h2>
							<table aria-label="Workflows">
								<thead>
									<tr>
										<th>Started</th>
										<th>Company</th>
										<th>State</th>
										<th>Steps</th>
									</tr>
								</thead>
								<tbody>
									{workflows.map(w => (
										<tr>
											<td>{fmt.date(w.started_at)}</td>
											<td>{w.company_id}</td>
											<td>
												<Badge value={w.state} />
											</td>
											<td>
												{w.steps.map((s: any) => (
													<span class="step">
														{s.name} <Badge value={s.state} />{" "}
													</span>
												))}
											</td>
										</tr>
									))}
								</tbody>
							</table>
						</section>
						<section aria-labelledby="audit">
							<h2 id="audit">Audit trail</h2>
							<button
								type="button"
								onClick={async () => {
									try {
										setVerification(await get("/audit/verify"));
									} catch (err) {
										setError(err as Error);
									}
								}}
							>
								Verify the chain
							</button>
							{verification && (
								<p role="status" class={verification.ok ? "ok" : "error"}>
									{verification.ok ? "The chain holds" : `Broken at ${verification.first_broken?.seq}: ${verification.first_broken?.reason}`}:{" "}
									{verification.entries_checked} entries checked, head {verification.head_seq}
								</p>
							)}
							{error && <ErrorBox error={error} />}
							<table aria-label="Audit entries">
								<thead>
									<tr>
										<th class="num">Seq</th>
										<th>At</th>
										<th>Action</th>
										<th>Actor</th>
									</tr>
								</thead>
								<tbody>
									{audit.map(e => (
										<tr>
											<td class="num">{e.seq}</td>
											<td>{e.at ?? e.timestamp}</td>
											<td>{e.action}</td>
											<td>{e.actor?.username ?? e.actor ?? ""}</td>
										</tr>
									))}
								</tbody>
							</table>
						</section>
					</>
				)}
			</Loaded>
		</section>
	);
}
