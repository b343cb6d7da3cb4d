/**
 * `npm run bench:reports` (issue 25): seconds per company report and per 100-company portfolio report, PDF and
 * XLSX, on the platform as `npm start` runs it (one process, embedded store, the default ML model trained and in
 * production), from `POST /reports` to the job's success as a client polling every 25 ms sees it, beside the
 * job's own time on the reports node (started → finished). Tesla's imported filing (15 years of annual and
 * quarterly periods) for the company report; Tesla and 99 companies with five synthetic annual statements each,
 * reviewed, for the portfolio. Goals: a company report under 2 s, a 100-company portfolio under 20 s. The baseline
 * in the same run: the JSON reads a client would make for the same contents through the gateway, so the ratio is
 * what the job, its rendering and its storage add to reading.
 */
import fs from "node:fs";
import path from "node:path";
import { syntheticStatements } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, ROOT, save, startPlatformProcess, waitForDefaultModel } from "./harness";

const RUNS = Number(process.env.RUNS ?? 5);
const PORTFOLIO = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => Math.round(ms) / 1000;

async function main() {
	const platform = await startPlatformProcess({ ML_DEFAULT_MODEL: "true" });
	try {
		const api = `${platform.url}/api/v1`;
		const { token } = await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD });
		const headers = { authorization: `Bearer ${token}` };
		await waitForDefaultModel(api, headers);

		const tesla = await json("POST", `${api}/companies`, { name: "Tesla, Inc.", ticker: "TSLA", cik: "1318605", industry: "manufacturing" }, headers);
		await json("POST", `${api}/companies/${tesla.id}/import/sec`, JSON.parse(fs.readFileSync(path.join(ROOT, "data/sec-companyfacts/tesla.json"), "utf8")), headers);
		const series = syntheticStatements(PORTFOLIO - 1, 5);
		const ids = [tesla.id];
		for (let i = 0; i < series.length; i++) {
			const co = await json("POST", `${api}/companies`, { name: `Portfolio company ${String(i + 1).padStart(3, "0")}`, industry: "manufacturing" }, headers);
			ids.push(co.id);
			for (const statement of series[i]) await json("POST", `${api}/companies/${co.id}/statements`, statement, headers);
		}
		// every company reviewed (its analysis, risks, compliance and plan in its overview) before measuring
		for (let waited = 0; ; waited += 1000) {
			const running = await json("GET", `${api}/workflows?state=running&page_size=1`, undefined, headers);
			if (running.total === 0) break;
			if (waited > 600_000) throw new Error("reviews still running after 10 minutes");
			await new Promise(r => setTimeout(r, 1000));
		}

		/** One report from request to success: the client's seconds and the job's own. */
		const timed = async (body: object) => {
			const started = Date.now();
			const queued = await json("POST", `${api}/reports`, body, headers);
			for (;;) {
				const report = await json("GET", `${api}/reports/${queued.id}`, undefined, headers);
				if (report.state === "failed") throw new Error(`report failed: ${report.error}`);
				if (report.state === "succeeded")
					return {
						client_ms: Date.now() - started,
						job_ms: Date.parse(report.finished_at) - Date.parse(report.started_at),
						bytes: report.file.size as number,
						id: queued.id as string,
					};
				await new Promise(r => setTimeout(r, 25));
			}
		};
		/** The baseline: the same contents read as JSON through the gateway, in parallel, as a client would (cached as theirs would be). */
		const companyReads = () =>
			Promise.all(
				[
					`/companies/${tesla.id}`,
					`/companies/${tesla.id}/analysis`,
					`/companies/${tesla.id}/ratios/history?statement_type=annual&ratios=profitability.gross_margin,profitability.operating_margin,profitability.net_margin,profitability.roa,profitability.roe,liquidity.current_ratio,liquidity.quick_ratio,leverage.debt_to_equity`,
					`/companies/${tesla.id}/kpis`,
					`/companies/${tesla.id}/risk-assessments?page_size=100`,
					`/companies/${tesla.id}/risk-matrix`,
					`/companies/${tesla.id}/compliance-records?page_size=100`,
					`/companies/${tesla.id}/strategic-plans?page_size=100`,
					`/companies/${tesla.id}/statements?page_size=100`,
				].map(p => json("GET", `${api}${p}`, undefined, headers)),
			);
		const portfolioReads = () => json("GET", `${api}/overviews?company_ids=${ids.join(",")}`, undefined, headers);
		const readMs = async (reads: () => Promise<unknown>) => {
			const times: number[] = [];
			for (let i = 0; i < RUNS + 1; i++) {
				const started = Date.now();
				await reads();
				if (i) times.push(Date.now() - started);
			}
			return median(times);
		};
		const measure = async (name: string, body: object, runs: number, reads: () => Promise<unknown>) => {
			const results = [];
			await timed(body); // warms the reads' caches and the renderer's modules
			for (let i = 0; i < runs; i++) results.push(await timed(body));
			const baseline = await readMs(reads);
			const row = {
				report: name,
				runs,
				seconds_median: seconds(median(results.map(r => r.client_ms))),
				seconds_max: seconds(Math.max(...results.map(r => r.client_ms))),
				job_seconds_median: seconds(median(results.map(r => r.job_ms))),
				reads_seconds_median: seconds(baseline),
				over_reads: Math.round((median(results.map(r => r.client_ms)) / baseline) * 10) / 10,
				bytes: results[0].bytes,
			};
			console.log(JSON.stringify(row));
			return { row, last: results[results.length - 1] };
		};
		const company = await measure("company, PDF", { kind: "company", company_id: tesla.id, format: "pdf" }, RUNS, companyReads);
		const companyXlsx = await measure("company, XLSX", { kind: "company", company_id: tesla.id, format: "xlsx" }, RUNS, companyReads);
		const portfolioRuns = Math.max(3, Math.ceil(RUNS / 2));
		const portfolio = await measure(`portfolio of ${ids.length}, PDF`, { kind: "portfolio", scope: { company_ids: ids }, format: "pdf" }, portfolioRuns, portfolioReads);
		const portfolioXlsx = await measure(`portfolio of ${ids.length}, XLSX`, { kind: "portfolio", scope: { company_ids: ids }, format: "xlsx" }, portfolioRuns, portfolioReads);
		// the last files, to look at
		fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
		for (const [name, r] of [
			["company.pdf", company.last],
			["portfolio.pdf", portfolio.last],
		] as const) {
			const res = await fetch(`${api}/reports/${r.id}/file`, { headers });
			fs.writeFileSync(path.join(__dirname, "results", name), Buffer.from(await res.arrayBuffer()));
		}
		const result = {
			machine: machine(),
			date: new Date().toISOString().slice(0, 10),
			configuration: "npm start (one process, embedded store, default ML model in production)",
			rows: [company.row, companyXlsx.row, portfolio.row, portfolioXlsx.row],
			goals: { company_seconds: 2, portfolio_100_seconds: 20 },
		};
		save("reports", result);
		console.log("| report | runs | s (median) | s (max) | job s (median) | its reads as JSON, s | report / reads | bytes |\n|---|---:|---:|---:|---:|---:|---:|---:|");
		for (const r of result.rows)
			console.log(
				`| ${r.report} | ${r.runs} | ${r.seconds_median} | ${r.seconds_max} | ${r.job_seconds_median} | ${r.reads_seconds_median} | ${r.over_reads} | ${r.bytes.toLocaleString("en-US")} |`,
			);
	} finally {
		await platform.stop();
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
