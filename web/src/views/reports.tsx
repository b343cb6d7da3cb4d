/** Reports: those the user may read, with their progress and files, and the report schedules with their runs (docs/reports.md). */
import { useState } from "preact/hooks";
import { api, atLeast, get, user } from "../api";
import { Badge, ErrorBox, Loaded, Table, fmt, saveFile, useLoad } from "../components";
import { Link } from "../router";

interface Report {
	id: string;
	kind: "company" | "portfolio";
	format: "pdf" | "xlsx";
	company_id?: string;
	scope?: { industry?: string; company_ids?: string[] };
	state: string;
	progress: number;
	stage?: string;
	error?: string;
	file?: { filename: string; size: number; sha256: string };
	schedule_id?: string;
	created_by: string;
	created_at: string;
	expires_at: string;
}

interface Schedule {
	id: string;
	name: string;
	kind: string;
	format: string;
	cron: string;
	next_run: string | null;
	created_by: string;
	company_id?: string;
	scope?: { industry?: string; company_ids?: string[] };
}

const subjectOf = (r: { kind: string; company_id?: string; scope?: { industry?: string; company_ids?: string[] } }) =>
	r.kind === "company" ? (
		<Link to={`/companies/${r.company_id}`}>company</Link>
	) : r.scope?.industry ? (
		`${fmt.label(r.scope.industry)} companies`
	) : r.scope?.company_ids ? (
		`${r.scope.company_ids.length} companies`
	) : (
		"every company you see"
	);

function Download({ report }: { report: Report }) {
	const [error, setError] = useState<Error | null>(null);
	if (report.state !== "succeeded" || !report.file) return <span class="muted">—</span>;
	const file = report.file;
	return (
		<>
			<button type="button" onClick={() => saveFile(`/reports/${report.id}/file`, file.filename).catch(setError)}>
				Download <span class="visually-hidden">{file.filename}</span>
			</button>
			{error && <ErrorBox error={error} />}
		</>
	);
}

export function ReportsPage() {
	const [changed, setChanged] = useState(0);
	const state = useLoad(async () => {
		const [reports, schedules] = await Promise.all([
			get<{ rows: Report[]; total: number }>("/reports?page_size=100"),
			get<{ rows: Schedule[] }>("/report-schedules?page_size=100"),
		]);
		return { reports, schedules: schedules.rows };
	}, [changed]);
	const me = user.value;
	return (
		<section>
			<h1>Reports</h1>
			<p class="muted">Company and portfolio reports as PDF or XLSX: request one from a company's page or the portfolio. Each is kept for the platform's retention period.</p>
			<Loaded state={state} what="reports">
				{({ reports, schedules }) => (
					<>
						<h2>Made</h2>
						{reports.rows.length === 0 ? (
							<p class="muted">No report yet.</p>
						) : (
							<Table
								label="Reports"
								rows={reports.rows}
								columns={[
									{ label: "Requested", cell: r => fmt.date(r.created_at) },
									{ label: "Kind", cell: r => `${r.kind} (${r.format.toUpperCase()})` },
									{ label: "Of", cell: r => subjectOf(r) },
									{ label: "By", cell: r => (r.schedule_id ? `${r.created_by} (scheduled)` : r.created_by) },
									{
										label: "State",
										cell: r =>
											r.state === "running" || r.state === "queued" ? `${r.stage ?? r.state} ${Math.round(r.progress * 100)} %` : <Badge value={r.state} />,
									},
									{ label: "Size", numeric: true, cell: r => (r.file ? `${fmt.num(r.file.size / 1024, 0)} KB` : "—") },
									{ label: "Kept until", cell: r => fmt.date(r.expires_at) },
									{ label: "File", cell: r => (r.state === "failed" ? <span title={r.error}>{r.error?.slice(0, 60)}</span> : <Download report={r} />) },
								]}
							/>
						)}
						<h2>Schedules</h2>
						{schedules.length === 0 ? (
							<p class="muted">No schedule: `POST /report-schedules` makes one (docs/reports.md).</p>
						) : (
							<Table
								label="Report schedules"
								rows={schedules}
								columns={[
									{ label: "Name", cell: s => s.name },
									{ label: "Kind", cell: s => `${s.kind} (${s.format.toUpperCase()})` },
									{ label: "Of", cell: s => subjectOf(s) },
									{ label: "Cron (UTC)", cell: s => <code>{s.cron}</code> },
									{ label: "Next run", cell: s => (s.next_run ? s.next_run.replace("T", " ").slice(0, 16) : "—") },
									{ label: "Owner", cell: s => s.created_by },
									{
										label: "",
										cell: s =>
											s.created_by === me?.username || atLeast("domain_admin") ? (
												<button type="button" onClick={() => void api("DELETE", `/report-schedules/${s.id}`).then(() => setChanged(n => n + 1))}>
													Delete <span class="visually-hidden">schedule {s.name}</span>
												</button>
											) : null,
									},
								]}
							/>
						)}
					</>
				)}
			</Loaded>
		</section>
	);
}
