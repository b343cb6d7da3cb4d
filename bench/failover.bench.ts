/**
 * Issue 7, item 2: what a dead finance node costs clients, on real processes (gateway, core, two finance
 * replicas on authenticated NATS with JetStream, Redis, CongoDB), with the production failover settings.
 *
 * - baseline: six concurrent readers for 6 s, no node killed (the same run's reference);
 * - replica killed: the same load, one finance replica SIGKILLed 2 s in, 6 s more; latencies of every read
 *   in flight at the kill or sent after it; the replica restarted between rounds;
 * - no node left: one replica stopped, the other SIGKILLed; how long a read takes to answer, and with what.
 */
import fs from "fs";
import os from "os";
import path from "path";
import { freePort, handledCount, startCongo, startNats, startNode, startRedis, unaskedPages, waitFor, type NodeProc } from "../test/helpers/cluster";
import { ADMIN_PASSWORD, json, machine, save } from "./harness";

const ROUNDS = Number(process.env.FAILOVER_ROUNDS ?? 3);

interface Window {
	reads: number;
	failed: number;
	p50: number;
	p99: number;
	max: number;
}

/** The first few failed answers of the run, printed with the results. */
const failures: string[] = [];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
/** Each read asks a page not asked before, so the gateway's answer cache never serves it and it reaches finance. */
const freshPage = unaskedPages();

/** Six readers for `ms`; `during(at)` runs at 2 s; latencies counted from `from()` on (0: all). */
async function load(api: string, token: string, companyId: string, ms: number, during?: () => Promise<void>): Promise<Window> {
	const latencies: number[] = [];
	let failed = 0;
	let from = 0;
	let stop = false;
	const readers = Array.from({ length: 6 }, async () => {
		while (!stop) {
			const started = Date.now();
			// a page not asked before: the gateway answers a repeated read itself, and this measures calls to finance
			const status = await fetch(`${api}/companies/${companyId}/statements?${freshPage()}`, {
				headers: { authorization: `Bearer ${token}` },
				signal: AbortSignal.timeout(15000),
			})
				.then(async r => {
					const body = await r.text();
					if (r.status !== 200 && failures.length < 5) failures.push(`${r.status} ${body.slice(0, 200)}`);
					return r.status;
				})
				.catch(err => (failures.length < 5 && failures.push(String(err)), 0));
			if (Date.now() > from) {
				latencies.push(Date.now() - started);
				if (status !== 200) failed++;
			}
		}
	});
	if (during) {
		await new Promise(r => setTimeout(r, 2000));
		from = Date.now();
		await during();
		await new Promise(r => setTimeout(r, ms - 2000));
	} else await new Promise(r => setTimeout(r, ms));
	stop = true;
	await Promise.all(readers);
	latencies.sort((a, b) => a - b);
	return { reads: latencies.length, failed, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies[latencies.length - 1] };
}

async function main() {
	const natsDir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-bench-nats-"));
	const [natsPort, redisPort, mongoPort] = [freePort(), freePort(), freePort()];
	const nats = await startNats(natsPort, { storeDir: natsDir, user: "bizops", password: "bench-nats-password" });
	const redis = await startRedis(redisPort);
	const mongo = await startCongo(mongoPort, fs.mkdtempSync(path.join(os.tmpdir(), "bizops-bench-congo-")));
	const env = {
		NODE_ENV: "production",
		LOG_LEVEL: "error",
		NAMESPACE: `failover-${process.pid}`,
		TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
		NATS_USER: "bizops",
		NATS_PASSWORD: "bench-nats-password",
		CACHER: `redis://127.0.0.1:${redisPort}`,
		MONGO_URI: `mongodb://127.0.0.1:${mongoPort}/bizops`,
		JWT_SECRET_KEY: "bench-secret-bench-secret-bench-secret",
		BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
		RATE_LIMIT_DEFAULT: "100000000",
		RATE_LIMIT_PREMIUM: "100000000",
		TRACING_EXPORTER: "",
	};
	const core = await startNode("core", "auth,companies,flags,domains,compliance,risk,strategy,audit,orchestrator,ml.registry,ml.evaluation,ml.prediction,ml.training", env);
	let fin1 = await startNode("fin1", "finance", env);
	let fin2 = await startNode("fin2", "finance", env);
	const gw = await startNode("gw", "api", env);
	const results: Record<string, unknown> = { machine: machine(), rounds: ROUNDS };
	try {
		const api = gw.url!;
		await waitFor(
			"the gateway sees every service",
			async () => ((await (await fetch(`${api}/health/ready`)).json()) as { missing_services?: string[] }).missing_services?.length === 0,
			30000,
		);
		const token = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
		const auth = { authorization: `Bearer ${token}` };
		const company = await json("POST", `${api}/companies`, { name: "Failover Co", industry: "technology" }, auth);
		await json(
			"POST",
			`${api}/companies/${company.id}/statements`,
			{ statement_type: "annual", period_end: "2024-12-31", balance_sheet: { total_assets: 100 }, income_statement: { revenue: 50 }, cash_flow: {} },
			auth,
		);

		const baseline = await load(api, token, company.id, 6000);
		const killed: Window[] = [];
		for (let round = 0; round < ROUNDS; round++) {
			killed.push(await load(api, token, company.id, 8000, () => fin2.kill()));
			fin2 = await startNode("fin2", "finance", env);
			await waitFor("fin2 takes traffic", async () => {
				for (let i = 0; i < 10; i++) await fetch(`${api}/companies/${company.id}/statements?${freshPage()}`, { headers: auth });
				return (await handledCount(fin2, "finance.listStatements")) > 0;
			});
		}
		const noNode: Array<{ status: number; ms: number }> = [];
		for (let round = 0; round < ROUNDS; round++) {
			await fin2.stop();
			// the read is sent as the last node dies, not once it is gone
			const killing = fin1.kill();
			const started = Date.now();
			const res = await fetch(`${api}/companies/${company.id}/statements?${freshPage()}`, { headers: auth, signal: AbortSignal.timeout(30000) });
			noNode.push({ status: res.status, ms: Date.now() - started });
			await killing;
			[fin1, fin2] = [await startNode("fin1", "finance", env), await startNode("fin2", "finance", env)];
			await waitFor("finance back", async () => (await fetch(`${api}/companies/${company.id}/statements`, { headers: auth })).status === 200, 30000);
		}
		Object.assign(results, { baseline, killed, noNode });

		console.log(`\n${machine()}; gateway, core and two finance replicas on NATS (JetStream, credentials), Redis, CongoDB; production failover settings\n`);
		console.log("| scenario | reads | failed | p50 ms | p99 ms | max ms | p99 vs baseline |");
		console.log("|---|---:|---:|---:|---:|---:|---:|");
		const row = (name: string, w: Window) => console.log(`| ${name} | ${w.reads} | ${w.failed} | ${w.p50} | ${w.p99} | ${w.max} | ${(w.p99 / baseline.p99).toFixed(1)} |`);
		row("baseline (no kill)", baseline);
		killed.forEach((w, i) => row(`finance replica SIGKILLed, round ${i + 1}`, w));
		console.log(`\nno finance node left (SIGKILL): ${noNode.map(r => `${r.status} after ${r.ms} ms`).join("; ")}`);
		if (failures.length) console.log(`\nfirst failed answers: ${failures.join(" | ")}`);
		save("failover", results);
	} finally {
		await Promise.all([gw, fin1, fin2, core].map((n: NodeProc) => n.stop(5000)));
		await Promise.all([nats.stop(), redis.stop(), mongo.stop()]);
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
