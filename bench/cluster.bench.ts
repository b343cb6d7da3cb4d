/**
 * Issue 4: the cached company read and the cached analysis through a gateway node that calls `companies`
 * and `finance` on other nodes over NATS (Redis cacher, as in production), beside the same two reads on
 * the single-process platform, in the same run. autocannon -c 50 -d 10 after a 5 s warm-up.
 */
import fs from "fs";
import os from "os";
import path from "path";
import { freePort, startNats, startNode, startRedis, waitFor } from "../test/helpers/cluster";
import { annualStatement } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, run, save, startPlatformProcess, table, type LoadResult } from "./harness";

async function seed(api: string, token: string) {
	const auth = { authorization: `Bearer ${token}` };
	const company = await json("POST", `${api}/companies`, { name: "Bench Cluster Co", industry: "technology" }, auth);
	for (const year of [2020, 2021, 2022, 2023, 2024]) {
		await json("POST", `${api}/companies/${company.id}/statements`, annualStatement(`${year}-12-31`, { revenue: 2000 + year }), auth);
	}
	return { auth, id: company.id as string };
}

async function measure(label: string, api: string): Promise<LoadResult[]> {
	const token = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
	const { auth, id } = await seed(api, token);
	// a freshly started process serves its first load slower even after run()'s own warm-up: one discarded pass
	await run("warm-up", `${api}/companies/${id}/analysis`, { headers: auth, duration: 5 });
	return [
		await run(`${label}: GET /companies/:id (cached)`, `${api}/companies/${id}`, { headers: auth }),
		await run(`${label}: GET /companies/:id/analysis (cached)`, `${api}/companies/${id}/analysis`, { headers: auth }),
	];
}

async function main() {
	const results: LoadResult[] = [];

	const single = await startPlatformProcess({ RATE_LIMIT_PREMIUM: "100000000" });
	try {
		results.push(...(await measure("single process", `${single.url}/api/v1`)));
	} finally {
		await single.stop();
	}

	const natsPort = freePort();
	const redisPort = freePort();
	const nats = await startNats(natsPort, { storeDir: fs.mkdtempSync(path.join(os.tmpdir(), "bizops-bench-nats-")) });
	const redis = await startRedis(redisPort);
	const env = {
		NODE_ENV: "development",
		LOG_LEVEL: "warn",
		NAMESPACE: `bench-${process.pid}`,
		TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
		CACHER: `redis://127.0.0.1:${redisPort}`,
		JWT_SECRET_KEY: "bench-secret-bench-secret-bench-secret",
		BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
		RATE_LIMIT_PREMIUM: "100000000",
	};
	const nodes = [
		await startNode(
			"core",
			"auth,companies,flags,domains,compliance,risk,strategy,audit,orchestrator,overview,ml.registry,ml.datasets,ml.evaluation,ml.prediction,ml.training,integration,reports",
			env,
		),
		await startNode("finance", "finance", env),
		await startNode("gateway", "api", env),
	];
	try {
		const api = nodes[2].url!;
		await waitFor(
			"the gateway sees every service",
			async () => ((await (await fetch(`${api}/health/ready`)).json()) as { missing_services?: string[] }).missing_services?.length === 0,
			30000,
		);
		results.push(...(await measure("gateway → NATS", api)));
	} finally {
		await Promise.all(nodes.map(n => n.stop(5000)));
		await Promise.all([nats.stop(), redis.stop()]);
	}

	console.log(`\n${machine()}; gateway, core (auth, companies, flags, domains, compliance, risk) and finance as three processes on NATS, Redis cacher\n`);
	console.log(table(results));
	const rate = (name: string) => results.find(r => r.name === name)!.requests_per_sec;
	console.log("\n| target (issue 9): over NATS ≥ 0.5 of the single process | measured | met |\n|---|---:|---|");
	for (const read of ["GET /companies/:id (cached)", "GET /companies/:id/analysis (cached)"]) {
		const ratio = rate(`gateway → NATS: ${read}`) / rate(`single process: ${read}`);
		console.log(`| ${read} | ${ratio.toFixed(2)} | ${ratio >= 0.5 ? "yes" : "**no**"} |`);
	}
	save("cluster", { machine: machine(), results });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
