/** Models: the registry's models; a model's versions with their metrics side by side, aliases and their history, deploy and rollback for those allowed, jobs with live progress, monitoring. */
import { useEffect, useState } from "preact/hooks";
import { atLeast, get, post } from "../api";
import { Badge, CurveChart, ErrorBox, Loaded, Table, fmt, useLoad } from "../components";
import { Link } from "../router";

export function MlModels() {
	const state = useLoad(() => get<{ rows: any[] }>("/ml/models?page_size=100").then(p => p.rows), []);
	return (
		<section>
			<h1>Models</h1>
			<Loaded state={state}>
				{models =>
					models.length === 0 ? (
						<p class="muted">No models yet.</p>
					) : (
						<Table
							label="Models"
							rows={models}
							columns={[
								{ label: "Model", cell: m => <Link to={`/ml/models/${m.id}`}>{m.name}</Link> },
								{ label: "Domain", cell: m => m.domain },
								{ label: "Type", cell: m => fmt.label(m.model_type) },
								{ label: "Production", numeric: true, cell: m => m.aliases.production ?? "—" },
								{ label: "Staging", numeric: true, cell: m => m.aliases.staging ?? "—" },
								{ label: "Latest", numeric: true, cell: m => m.latest_version },
								{ label: "Status", cell: m => <Badge value={m.status} /> },
							]}
						/>
					)
				}
			</Loaded>
		</section>
	);
}

const METRICS = ["roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy", "brier"] as const;

export function MlModelPage({ id }: { id: string }) {
	const state = useLoad(async () => {
		const model = await get(`/ml/models/${id}`);
		const [versions, history, jobs, monitoring] = await Promise.all([
			get<{ rows: any[] }>(`/ml/models/${id}/versions?page_size=20`).then(p => p.rows),
			get<{ rows: any[] }>(`/ml/models/${id}/history?page_size=20`).then(p => p.rows),
			get<{ rows: any[] }>(`/ml/jobs?model_id=${id}&page_size=10`).then(p => p.rows),
			// monitoring is of the production version: none before one is deployed
			model.aliases.production == null ? null : get(`/ml/models/${id}/monitoring`).catch(() => null),
		]);
		return { model, versions, history, jobs, monitoring };
	}, [id]);
	// jobs still running are shown live: the page reloads every two seconds while one is
	const running = state.data?.jobs.some(j => j.state === "queued" || j.state === "running");
	useEffect(() => {
		if (!running) return;
		const timer = setInterval(state.reload, 2000);
		return () => clearInterval(timer);
	}, [running]);
	return (
		<Loaded state={state} what="model">
			{({ model, versions, history, jobs, monitoring }) => (
				<article>
					<h1>
						{model.name} <Badge value={model.status} />
					</h1>
					<p class="muted">
						{fmt.label(model.model_type)} · domain {model.domain} · production <strong data-alias="production">{model.aliases.production ?? "none"}</strong> · staging{" "}
						<strong data-alias="staging">{model.aliases.staging ?? "none"}</strong>
					</p>
					<Versions model={model} versions={versions} onChanged={state.reload} />
					<section aria-labelledby="history">
						<h2 id="history">Alias history</h2>
						<ul class="history">
							{history.map(t => (
								<li>
									{fmt.date(t.at)} {t.action} {t.alias}: {t.from_version ?? "none"} → {t.to_version ?? "none"} by {t.actor} — {t.reason}
									{t.forced ? " (forced)" : ""}
								</li>
							))}
						</ul>
					</section>
					{jobs.length > 0 && (
						<section aria-labelledby="jobs">
							<h2 id="jobs">Training jobs</h2>
							<Table
								label="Jobs"
								rows={jobs}
								columns={[
									{ label: "Job", cell: j => fmt.date(j.created_at) },
									{
										label: "State",
										cell: j => (
											<>
												<Badge value={j.state} /> {j.error ?? ""}
											</>
										),
									},
									{
										label: "Progress",
										cell: j => (
											<>
												<progress max={1} value={j.progress} aria-label="progress" /> {fmt.pct(j.progress, 0)}
											</>
										),
									},
									{ label: "Version", numeric: true, cell: j => j.version ?? "—" },
								]}
							/>
						</section>
					)}
					{monitoring && <Monitoring monitoring={monitoring} />}
				</article>
			)}
		</Loaded>
	);
}

function Versions({ model, versions, onChanged }: { model: any; versions: any[]; onChanged(): void }) {
	const [error, setError] = useState<Error | null>(null);
	const [shown, setShown] = useState<number | null>(model.aliases.production ?? versions[0]?.version ?? null);
	const curves = versions.find(v => v.version === shown)?.metrics.curves;
	const move = async (path: string, body: object, what: string) => {
		const reason = window.prompt(`Why ${what}?`);
		if (!reason) return;
		try {
			await post(path, { ...body, reason });
			setError(null);
			onChanged();
		} catch (err) {
			setError(err as Error);
		}
	};
	return (
		<section aria-labelledby="versions">
			<h2 id="versions">Versions</h2>
			<div class="scroll" tabIndex={0} role="region" aria-label="Versions, scrollable">
				<table aria-label="Versions">
					<thead>
						<tr>
							<th>Version</th>
							<th>Deployment</th>
							{METRICS.map(m => (
								<th class="num">{m.replace("_", " ")}</th>
							))}
							<th class="num">Test rows</th>
							<th />
						</tr>
					</thead>
					<tbody>
						{versions.map(v => (
							<tr data-version={v.version}>
								<td>
									<button type="button" class="link" aria-pressed={shown === v.version} onClick={() => setShown(v.version)}>
										{v.version}
									</button>
								</td>
								<td>
									<Badge value={v.deployment_status} />
								</td>
								{METRICS.map(m => (
									<td class="num">{fmt.num(v.metrics.test[m], 3)}</td>
								))}
								<td class="num">{v.metrics.test.rows}</td>
								<td class="actions">
									{atLeast("domain_admin") && model.aliases.production !== v.version && model.status === "active" && (
										<button
											type="button"
											class="deploy"
											onClick={() =>
												move(`/ml/models/${model.id}/versions/${v.version}/deploy`, { alias: "production" }, `deploy version ${v.version} to production`)
											}
										>
											Deploy to production
										</button>
									)}
									{atLeast("analyst") && model.aliases.staging !== v.version && model.aliases.production !== v.version && model.status === "active" && (
										<button
											type="button"
											onClick={() => move(`/ml/models/${model.id}/versions/${v.version}/deploy`, { alias: "staging" }, `stage version ${v.version}`)}
										>
											Stage
										</button>
									)}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
			{atLeast("domain_admin") && model.previous_production != null && (
				<button type="button" onClick={() => move(`/ml/models/${model.id}/rollback`, {}, `roll production back to version ${model.previous_production}`)}>
					Roll back to version {model.previous_production}
				</button>
			)}
			{error && <ErrorBox error={error} />}
			{shown != null && (
				<div class="charts" aria-label={`Curves of version ${shown}`}>
					{curves ? (
						<>
							<CurveChart title={`ROC, version ${shown}`} x="false-positive rate" y="true-positive rate" points={curves.roc} />
							<CurveChart title={`Precision-recall, version ${shown}`} x="recall" y="precision" points={curves.pr} />
						</>
					) : (
						<p class="muted">Version {shown} has no curves (trained before they were kept, or its hold-out has one class).</p>
					)}
				</div>
			)}
		</section>
	);
}

function Monitoring({ monitoring }: { monitoring: any }) {
	return (
		<section aria-labelledby="monitoring">
			<h2 id="monitoring">Monitoring</h2>
			<p>
				Realised: {monitoring.realised.companies_scored} companies scored, {monitoring.realised.with_outcome} with an outcome; ROC AUC{" "}
				{monitoring.realised.roc_auc == null ? (monitoring.realised.reason ?? "—") : fmt.num(monitoring.realised.roc_auc, 3)}
			</p>
			{monitoring.drift.features.length > 0 && (
				<Table
					label="Drift"
					rows={monitoring.drift.features as any[]}
					columns={[
						{ label: "Feature", cell: f => f.feature },
						{ label: "PSI", numeric: true, cell: f => fmt.num(f.psi, 3) },
						{ label: "Level", cell: f => <Badge value={f.level} /> },
					]}
				/>
			)}
		</section>
	);
}
