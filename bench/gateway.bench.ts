/**
 * The gateway against the framework's floor, in one run (so the ratios hold on any machine): a bare Node
 * http server and a minimal moleculer-web route (metrics off, then on) answering the same JSON, then bizops
 * (one process, embedded store, its Prometheus metrics on) serving the authenticated cached company read,
 * the cached analysis and the liveness probe. Rate limiting stays on; the bench client's limit is raised.
 */
import { annualStatement } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, run, save, startBareServer, startFloorServer, startPlatformProcess, waitForDefaultModel, type LoadResult, type Started } from "./harness";

/** Issue 27's goals: the default configuration (ML model served), the variant without it, the liveness probe. */
const TARGETS = { companyVsFloor: 0.6, companyP99Ms: 15, companyWithoutMlVsFloor: 0.7, liveVsFloor: 0.8, analysisVsCompany: 0.9 };

async function measure(name: string, start: () => Promise<Started>, path = ""): Promise<LoadResult> {
	const server = await start();
	try {
		return await run(name, `${server.url}${path}`);
	} finally {
		await server.stop();
	}
}

/**
 * bizops as a user starts it (the default ML model trained and served), its Prometheus metrics on, the bench
 * client's rate limit raised; `env` for a variant.
 */
async function measureBizops(results: LoadResult[], label: string, env: Record<string, string>, scenarios: "all" | "company"): Promise<string> {
	const platform = await startPlatformProcess({ RATE_LIMIT_DEFAULT: "100000000", METRICS_ENABLED: "true", ML_DEFAULT_MODEL: "true", ...env });
	try {
		const api = `${platform.url}/api/v1`;
		const admin = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
		if (env.ML_DEFAULT_MODEL !== "false") await waitForDefaultModel(api, { authorization: `Bearer ${admin}` });
		await json("POST", `${api}/users`, { username: "bench", password: "bench-password-123", role: "analyst", domains: ["technology"] }, { authorization: `Bearer ${admin}` });
		const token = (await json("POST", `${api}/auth/login`, { username: "bench", password: "bench-password-123" })).token;
		const auth = { authorization: `Bearer ${token}` };
		const company = await json("POST", `${api}/companies`, { name: "Bench Corp", industry: "technology", ticker: "BNCH", country: "US", currency: "USD" }, auth);
		for (const year of [2021, 2022, 2023]) await json("POST", `${api}/companies/${company.id}/statements`, annualStatement(`${year}-12-31`, { revenue: 2000 + year }), auth);
		const companyBody = JSON.stringify(await json("GET", `${api}/companies/${company.id}`, undefined, auth));
		// a freshly started process serves its first load slower even after run()'s own warm-up: one discarded pass
		await run("warm-up", `${api}/companies/${company.id}/analysis`, { headers: auth, duration: 5 });
		results.push(await run(`bizops${label}: GET /companies/:id (JWT, cached)`, `${api}/companies/${company.id}`, { headers: auth }));
		if (scenarios === "all") {
			results.push(await run(`bizops${label}: GET /companies/:id/analysis (JWT, cached)`, `${api}/companies/${company.id}/analysis`, { headers: auth }));
			results.push(await run(`bizops${label}: GET /health/live`, `${api}/health/live`));
		}
		return companyBody;
	} finally {
		await platform.stop();
	}
}

async function main() {
	const results: LoadResult[] = [];
	const companyBody = await measureBizops(results, "", {}, "all");
	// what the benches before issue 27 measured: no ML model trained or served
	await measureBizops(results, " without the ML model", { ML_DEFAULT_MODEL: "false" }, "all");
	// the step before the gateway's answer cache, in the same run
	await measureBizops(results, " without the answer cache", { ANSWER_CACHE_TTL: "0" }, "company");
	// the embedded default opens a local socket for the REPL (a transporter of its own): what it costs, in the same run
	await measureBizops(results, " without the local socket", { LOCAL_SOCKET: "false" }, "company");
	results.push(await measure("minimal moleculer-web route, metrics off (the floor)", () => startFloorServer(companyBody)));
	results.push(await measure("minimal moleculer-web route, metrics on", () => startFloorServer(companyBody, true)));
	results.push(await measure("bare Node http", () => startBareServer(companyBody)));

	const by = (prefix: string) => results.find(r => r.name.startsWith(prefix))!;
	const floor = by("minimal moleculer-web route, metrics off");
	const company = by("bizops: GET /companies/:id (JWT");
	const analysis = by("bizops: GET /companies/:id/analysis");
	const withoutMl = by("bizops without the ML model: GET /companies/:id (JWT");
	const live = by("bizops: GET /health/live");
	console.log(`\n${machine()}; autocannon -c 50 -d 10 (after a 5 s warm-up); every server its own process\n`);
	console.log("| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | vs floor |");
	console.log("|---|---:|---:|---:|---:|---:|---:|");
	for (const r of results)
		console.log(
			`| ${r.name} | ${r.requests_per_sec} | ${r.latency_p50_ms} | ${r.latency_p99_ms} | ${r.errors} | ${r.non_2xx} | ${(r.requests_per_sec / floor.requests_per_sec).toFixed(2)} |`,
		);
	const checks = [
		[
			`company read ≥ ${TARGETS.companyVsFloor} of the floor`,
			company.requests_per_sec / floor.requests_per_sec >= TARGETS.companyVsFloor,
			(company.requests_per_sec / floor.requests_per_sec).toFixed(2),
		],
		[`company read p99 ≤ ${TARGETS.companyP99Ms} ms`, company.latency_p99_ms <= TARGETS.companyP99Ms, `${company.latency_p99_ms} ms`],
		[
			`company read without the ML model ≥ ${TARGETS.companyWithoutMlVsFloor} of the floor`,
			withoutMl.requests_per_sec / floor.requests_per_sec >= TARGETS.companyWithoutMlVsFloor,
			(withoutMl.requests_per_sec / floor.requests_per_sec).toFixed(2),
		],
		[
			`liveness probe ≥ ${TARGETS.liveVsFloor} of the floor`,
			live.requests_per_sec / floor.requests_per_sec >= TARGETS.liveVsFloor,
			(live.requests_per_sec / floor.requests_per_sec).toFixed(2),
		],
		[
			`cached analysis ≥ ${TARGETS.analysisVsCompany} of the company read`,
			analysis.requests_per_sec / company.requests_per_sec >= TARGETS.analysisVsCompany,
			(analysis.requests_per_sec / company.requests_per_sec).toFixed(2),
		],
		["zero errors", results.every(r => r.errors === 0 && r.non_2xx === 0), String(results.reduce((n, r) => n + r.errors + r.non_2xx, 0))],
	] as const;
	console.log("\n| target | measured | met |\n|---|---:|---|");
	for (const [what, ok, value] of checks) console.log(`| ${what} | ${value} | ${ok ? "yes" : "**no**"} |`);
	save("gateway", { machine: machine(), results, targets: TARGETS });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
