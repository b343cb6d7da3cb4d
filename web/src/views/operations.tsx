/** Operations (super_admin): the services and whether a node runs each, the nodes, the latest workflows with their steps, the audit trail and its verification. */
import { useState } from "preact/hooks";
import { get } from "../api";
import { Badge, ErrorBox, Loaded, Table, fmt, useLoad } from "../components";

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
							<Table
								label="Nodes"
								rows={nodes}
								columns={[
									{ label: "Node", cell: n => n.id },
									{ label: "State", cell: n => <Badge value={n.available ? "up" : "down"} /> },
									{ label: "Host", cell: n => n.hostname ?? "—" },
									{ label: "CPU", numeric: true, cell: n => (n.cpu == null ? "—" : `${n.cpu} %`) },
									{ label: "Services", cell: n => n.services.join(", ") },
								]}
							/>
						</section>
						<section aria-labelledby="workflows">
							<h2 id="workflows">Workflows</h2>
							<Table
								label="Workflows"
								rows={workflows}
								columns={[
									{ label: "Started", cell: w => fmt.date(w.started_at) },
									{ label: "Company", cell: w => w.company_id },
									{ label: "State", cell: w => <Badge value={w.state} /> },
									{
										label: "Steps",
										cell: w =>
											w.steps.map((s: any) => (
												<span class="step">
													{s.name} <Badge value={s.state} />{" "}
												</span>
											)),
									},
								]}
							/>
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
							<Table
								label="Audit entries"
								rows={audit}
								columns={[
									{ label: "Seq", numeric: true, cell: e => e.seq },
									{ label: "At", cell: e => e.at ?? e.timestamp },
									{ label: "Action", cell: e => e.action },
									{ label: "Actor", cell: e => e.actor?.username ?? e.actor ?? "" },
								]}
							/>
						</section>
					</>
				)}
			</Loaded>
		</section>
	);
}
