/**
 * Issue 3: (1) analysis computation in-process over 10,000 statements; (2) the analysis endpoint cold
 * (first request per company) and cached, beside the cached company read in the same run; (3) the SEC
 * import of the Tesla companyfacts document through HTTP.
 */
import fs from "fs";
import path from "path";
import { analyze, peerStatsOf } from "../domains/finance/analysis";
import { computeRatios, figuresOf } from "../domains/finance/ratios";
import { parseCompanyFacts } from "../domains/finance/sec";
import { syntheticStatements } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, run, save, startPlatformProcess, table, type LoadResult } from "./harness";

const TESLA = path.resolve(__dirname, "../data/sec-companyfacts/tesla.json");

function inProcess(): { statements: number; ms: number; per_sec: number } {
	const data = syntheticStatements(2000, 5); // 10,000 statements
	const peers = peerStatsOf(
		"manufacturing",
		data.slice(0, 50).map((s, i) => ({ company_id: `c${i}`, ratios: computeRatios(figuresOf(s[s.length - 1])) })),
	);
	const runOnce = () => {
		let n = 0;
		for (let c = 0; c < data.length; c++) {
			for (const s of data[c]) {
				const a = analyze({ company_id: `c${c}`, industry: "manufacturing", statements: data[c], period_end: s.period_end, peers });
				if (a) n++;
			}
		}
		return n;
	};
	runOnce(); // warm-up
	const t0 = process.hrtime.bigint();
	const n = runOnce();
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	return { statements: n, ms: Math.round(ms), per_sec: Math.round((n / ms) * 1000) };
}

async function overHttp() {
	const platform = await startPlatformProcess({ RATE_LIMIT_DEFAULT: "100000000", RATE_LIMIT_PREMIUM: "100000000" });
	try {
		const api = `${platform.url}/api/v1`;
		const token = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
		const auth = { authorization: `Bearer ${token}` };

		// SEC import of Tesla (2.7 MB), into fresh companies
		const body = fs.readFileSync(TESLA, "utf8");
		const importMs: number[] = [];
		for (let i = 0; i < 10; i++) {
			const co = await json("POST", `${api}/companies`, { name: `Tesla ${i}`, industry: "manufacturing", cik: "1318605" }, auth);
			const t0 = performance.now();
			const res = await fetch(`${api}/companies/${co.id}/import/sec`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body });
			await res.json();
			importMs.push(performance.now() - t0);
		}
		const sorted = [...importMs].sort((a, b) => a - b);

		// 200 companies × 5 annual statements for the cold analyses
		const data = syntheticStatements(200, 5);
		const ids: string[] = [];
		for (let c = 0; c < data.length; c++) {
			const co = await json("POST", `${api}/companies`, { name: `Bench ${c}`, industry: "technology" }, auth);
			for (const s of data[c]) await json("POST", `${api}/companies/${co.id}/statements`, s, auth);
			ids.push(co.id);
		}
		const coldMs: number[] = [];
		const t0 = performance.now();
		let next = 0;
		await Promise.all(
			Array.from({ length: 10 }, async () => {
				while (next < ids.length) {
					const id = ids[next++];
					const s = performance.now();
					const res = await fetch(`${api}/companies/${id}/analysis`, { headers: auth });
					await res.json();
					if (res.status !== 200) throw new Error(`analysis ${id}: ${res.status}`);
					coldMs.push(performance.now() - s);
				}
			}),
		);
		const coldTotal = performance.now() - t0;
		coldMs.sort((a, b) => a - b);

		const results: LoadResult[] = [];
		results.push(await run("GET /companies/:id (JWT, cached)", `${api}/companies/${ids[0]}`, { headers: auth }));
		results.push(await run("GET /companies/:id/analysis (JWT, cached)", `${api}/companies/${ids[0]}/analysis`, { headers: auth }));
		return {
			import_tesla_ms: { median: Math.round(sorted[5]), max: Math.round(sorted[sorted.length - 1]), runs: importMs.map(Math.round) },
			cold_analysis: {
				companies: ids.length,
				concurrency: 10,
				per_sec: Math.round((ids.length / coldTotal) * 1000),
				p50_ms: Math.round(coldMs[coldMs.length >> 1]),
				p99_ms: Math.round(coldMs[Math.floor(coldMs.length * 0.99)]),
			},
			results,
		};
	} finally {
		await platform.stop();
	}
}

async function main() {
	const compute = inProcess();
	const t0 = performance.now();
	parseCompanyFacts(JSON.parse(fs.readFileSync(TESLA, "utf8")));
	const parseMs = Math.round(performance.now() - t0);
	const http = await overHttp();
	console.log(`\n${machine()}\n`);
	console.log(`analysis in-process: ${compute.statements} statements in ${compute.ms} ms = ${compute.per_sec} analyses/s`);
	console.log(
		`Tesla companyfacts: read + JSON.parse + map in-process ${parseMs} ms; HTTP import median ${http.import_tesla_ms.median} ms, max ${http.import_tesla_ms.max} ms (10 runs)`,
	);
	console.log(`cold analysis over HTTP: ${http.cold_analysis.per_sec} companies/s at concurrency 10, p50 ${http.cold_analysis.p50_ms} ms, p99 ${http.cold_analysis.p99_ms} ms`);
	console.log(`\n${table(http.results)}`);
	save("finance", { machine: machine(), compute, tesla_parse_ms: parseMs, ...http });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
