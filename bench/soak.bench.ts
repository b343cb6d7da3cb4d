/**
 * `npm run soak` (issue 27, item 4): a mixed load held for SOAK_MINUTES (30) on the platform as `npm start` runs it
 * (one process, embedded store, the default ML model trained and served) and on a cluster (gateway, core, finance
 * and ML nodes over NATS, Redis cacher, a store per node), one after the other. Open loop at SOAK_RATE requests a
 * second: cached and uncached reads, annual statements posted (each starting a company review), predictions,
 * sign-ins, an SEC import a minute (a local SEC serving recorded answers) and one training job after a minute.
 * Every 10 s it records each node's RSS, heap and event-loop delay (from its /metrics), p50/p99 per route, errors
 * and the stores' size on disk; it writes the samples (bench/results/soak-<topology>.json) and plots of memory,
 * event-loop delay and p99 over time (bench/soak/<topology>-*.svg), and checks the goals. `npm run bench:soak`
 * is the 3-minute run. SOAK_TOPOLOGY=embedded or cluster runs one of them.
 */
import * as echarts from "echarts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseDataset, projectColumns } from "../domains/ml/dataset";
import { DISTRESS_FEATURE_NAMES } from "../domains/ml/distress";
import { freePort, startNats, startNode, startRedis, waitFor, type NodeProc, type Proc } from "../test/helpers/cluster";
import { startFakeSec } from "../test/helpers/fake-sec";
import { annualStatement } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, ROOT, save, startPlatformProcess, waitForDefaultModel } from "./harness";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SOAK_RATE ?? 40);
const TOPOLOGIES = (process.env.SOAK_TOPOLOGY ?? "embedded,cluster").split(",") as Array<"embedded" | "cluster">;
const SAMPLE_MS = 10_000;
/** What the growth and p99 goals compare against: the first 5 minutes (a third of a shorter run). */
const SETTLE_MS = Math.min(5 * 60_000, (MINUTES * 60_000) / 3);
/** Requests in flight at most: past it a request is counted as shed rather than queued without bound. */
const MAX_IN_FLIGHT = 400;
const COMPANIES = 40;
const GOALS = { rssGrowth: 0.1, p99VsSettled: 2, eventLoopP99Ms: 50 };

/** The mix: a route and its weight in the open-loop schedule. */
const MIX: Array<[Route, number]> = [
	["GET /companies/:id", 35],
	["GET /companies/:id/analysis", 20],
	["GET /companies", 10],
	["GET /companies/:id/overview", 10],
	["POST /ml/models/:id/predict", 15],
	["POST /companies/:id/statements", 5],
	["POST /auth/login", 5],
];
type Route =
	| "GET /companies/:id"
	| "GET /companies/:id/analysis"
	| "GET /companies"
	| "GET /companies/:id/overview"
	| "POST /ml/models/:id/predict"
	| "POST /companies/:id/statements"
	| "POST /auth/login"
	| "POST /companies/from-sec"
	| "POST /ml/models/:id/train";

interface NodeSample {
	node: string;
	rss_mb: number;
	heap_used_mb: number;
	event_loop_p99_ms: number;
	event_loop_max_ms: number;
}
interface Window {
	/** Seconds since the load started, at the window's end. */
	t: number;
	nodes: NodeSample[];
	store_mb: number;
	routes: Record<string, { count: number; p50_ms: number; p99_ms: number; errors_5xx: number; failed: number; other_4xx: number }>;
	shed: number;
}

interface Target {
	api: string;
	/** Where each node's metrics are, by name. */
	metrics: Record<string, string>;
	/** The folders holding the stores. */
	dataDirs: string[];
	stop(): Promise<void>;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function dirBytes(dir: string): number {
	let total = 0;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		try {
			total += entry.isDirectory() ? dirBytes(full) : fs.statSync(full).size;
		} catch {
			/* a file replaced while we looked (NeDB compaction) */
		}
	}
	return total;
}

/** One value of a Prometheus text exposition, by metric name (with or without a unit suffix) and label text. */
function metricValue(text: string, name: string, labels = ""): number {
	const re = new RegExp(`^${name}(?:_bytes)?(?:\\{([^}]*)\\})? ([0-9.eE+-]+)`, "gm");
	for (const m of text.matchAll(re)) if (!labels || (m[1] ?? "").includes(labels)) return Number(m[2]);
	return NaN;
}

async function sampleNode(node: string, url: string): Promise<NodeSample> {
	const text = await (await fetch(url)).text();
	return {
		node,
		rss_mb: mb(metricValue(text, "process_memory_rss")),
		heap_used_mb: mb(metricValue(text, "process_memory_heap_size_used")),
		event_loop_p99_ms: metricValue(text, "bizops_event_loop_delay_ms", 'quantile="0.99"'),
		event_loop_max_ms: metricValue(text, "bizops_event_loop_delay_ms", 'quantile="1"'),
	};
}

async function startEmbedded(secEnv: Record<string, string>): Promise<Target> {
	const metricsPort = freePort();
	const platform = await startPlatformProcess({ ...secEnv, ML_DEFAULT_MODEL: "true", METRICS_ENABLED: "true", METRICS_PORT: String(metricsPort) });
	return {
		api: `${platform.url}/api/v1`,
		metrics: { platform: `http://127.0.0.1:${metricsPort}/metrics` },
		dataDirs: [platform.dataDir!],
		stop: platform.stop,
	};
}

async function startCluster(secEnv: Record<string, string>): Promise<Target> {
	const servers: Proc[] = [];
	const natsPort = freePort();
	const redisPort = freePort();
	servers.push(await startNats(natsPort, { storeDir: fs.mkdtempSync(path.join(os.tmpdir(), "bizops-soak-nats-")) }));
	servers.push(await startRedis(redisPort));
	const env = {
		...secEnv,
		NODE_ENV: "development",
		LOG_LEVEL: "warn",
		NAMESPACE: `soak-${process.pid}`,
		TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
		CACHER: `redis://127.0.0.1:${redisPort}`,
		JWT_SECRET_KEY: "soak-secret-soak-secret-soak-secret-1",
		BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
		ML_DEFAULT_MODEL: "true",
	};
	const groups: Array<[string, string]> = [
		["core", "auth,companies,flags,domains,compliance,risk,strategy,audit,orchestrator,overview,integration,reports"],
		["finance", "finance"],
		["ml", "ml.registry,ml.datasets,ml.evaluation,ml.prediction,ml.training"],
		["gateway", "api"],
	];
	const nodes: NodeProc[] = [];
	const dataDirs: string[] = [];
	try {
		for (const [name, services] of groups) {
			const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bizops-soak-${name}-`));
			dataDirs.push(dataDir);
			nodes.push(await startNode(name, services, { ...env, DATA_DIR: dataDir }));
		}
		const api = nodes.find(n => n.url)!.url!;
		await waitFor(
			"the gateway sees every service",
			async () => ((await (await fetch(`${api}/health/ready`)).json()) as { missing_services?: string[] }).missing_services?.length === 0,
			60_000,
		);
		return {
			api,
			metrics: Object.fromEntries(nodes.map((n, i) => [groups[i][0], n.metricsUrl])),
			dataDirs,
			async stop() {
				await Promise.all(nodes.map(n => n.stop(10_000)));
				await Promise.all(servers.map(s => s.stop()));
			},
		};
	} catch (err) {
		await Promise.all(nodes.map(n => n.stop(5000)));
		await Promise.all(servers.map(s => s.stop()));
		throw err;
	}
}

/** A request's outcome by route, for the current window. */
class Recorder {
	private latencies = new Map<string, number[]>();
	private outcomes = new Map<string, { errors_5xx: number; failed: number; other_4xx: number }>();
	/** Every latency of the baseline and of the rest of the run, by route: the p99 goal compares the two periods. */
	readonly periods = { baseline: new Map<string, number[]>(), after: new Map<string, number[]>() };
	shed = 0;

	constructor(private readonly started: number) {}

	record(route: string, ms: number, status: number | null): void {
		const period = this.periods[Date.now() - this.started < SETTLE_MS ? "baseline" : "after"];
		if (!period.has(route)) period.set(route, []);
		period.get(route)!.push(ms);
		let l = this.latencies.get(route);
		if (!l) this.latencies.set(route, (l = []));
		let o = this.outcomes.get(route);
		if (!o) this.outcomes.set(route, (o = { errors_5xx: 0, failed: 0, other_4xx: 0 }));
		if (status == null) o.failed++;
		else if (status >= 500) o.errors_5xx++;
		// a rate limit on sign-ins is the platform doing its job, not an error of the soak
		else if (status >= 400 && status !== 429) o.other_4xx++;
		l.push(ms);
	}

	take(): Window["routes"] {
		const out: Window["routes"] = {};
		for (const [route, l] of this.latencies) {
			l.sort((a, b) => a - b);
			out[route] = { count: l.length, p50_ms: Math.round(percentile(l, 0.5) * 10) / 10, p99_ms: Math.round(percentile(l, 0.99) * 10) / 10, ...this.outcomes.get(route)! };
		}
		this.latencies = new Map();
		this.outcomes = new Map();
		return out;
	}
}

async function soak(topology: "embedded" | "cluster", secEnv: Record<string, string>, predictionRow: Record<string, number | null>) {
	const target = topology === "embedded" ? await startEmbedded(secEnv) : await startCluster(secEnv);
	try {
		const api = target.api;
		const admin = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
		const adminAuth = { authorization: `Bearer ${admin}` };
		await waitForDefaultModel(api, adminAuth);
		const analyst = { username: "soak-analyst", password: "soak-password-123" };
		await json("POST", `${api}/users`, { ...analyst, role: "analyst", domains: ["technology", "manufacturing", "healthcare", "financial_services"] }, adminAuth);
		const companies: Array<{ id: string; nextYear: number }> = [];
		const industries = ["technology", "manufacturing", "healthcare", "financial_services"];
		for (let i = 0; i < COMPANIES; i++) {
			const c = await json("POST", `${api}/companies`, { name: `Soak ${i}`, industry: industries[i % 4], country: "US", currency: "USD" }, adminAuth);
			await json("POST", `${api}/companies/${c.id}/statements`, annualStatement("2000-12-31", { revenue: 1000 + i }), adminAuth);
			companies.push({ id: c.id, nextYear: 2001 });
		}
		const model = (await json("GET", `${api}/ml/models?name=distress`, undefined, adminAuth)).rows[0];
		const datasetId = (await json("GET", `${api}/ml/models/${model.id}/versions/1`, undefined, adminAuth)).dataset_id;

		let inFlight = 0;
		const send = (route: Route, method: string, url: string, body?: unknown, token: string | null = admin) => {
			if (inFlight >= MAX_IN_FLIGHT) return void recorder.shed++;
			inFlight++;
			const started = performance.now();
			fetch(`${api}${url}`, {
				method,
				headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: AbortSignal.timeout(60_000),
			})
				.then(
					async res => {
						await res.arrayBuffer();
						recorder.record(route, performance.now() - started, res.status);
					},
					() => recorder.record(route, performance.now() - started, null),
				)
				.finally(() => inFlight--);
		};
		const total = MIX.reduce((a, [, w]) => a + w, 0);
		let secImports = 0;
		const fire = () => {
			let pick = Math.random() * total;
			const route = MIX.find(([, w]) => (pick -= w) < 0)![0];
			const company = companies[Math.floor(Math.random() * companies.length)];
			switch (route) {
				case "GET /companies/:id":
					return send(route, "GET", `/companies/${company.id}`);
				case "GET /companies/:id/analysis":
					return send(route, "GET", `/companies/${company.id}/analysis`);
				case "GET /companies":
					return send(route, "GET", `/companies?page_size=20`);
				case "GET /companies/:id/overview":
					return send(route, "GET", `/companies/${company.id}/overview`);
				case "POST /ml/models/:id/predict":
					return send(route, "POST", `/ml/models/${model.id}/predict`, { rows: [predictionRow] });
				case "POST /companies/:id/statements":
					return send(route, "POST", `/companies/${company.id}/statements`, annualStatement(`${company.nextYear++}-12-31`, { revenue: 1000 + company.nextYear }));
				case "POST /auth/login":
					return send(route, "POST", "/auth/login", analyst, null);
			}
		};

		const windows: Window[] = [];
		const started = Date.now();
		const recorder = new Recorder(started);
		const end = started + MINUTES * 60_000;
		console.log(`${topology}: ${MINUTES} min at ${RATE} requests/s`);
		let fired = 0;
		const tick = setInterval(() => {
			// open loop: as many as the elapsed time asks for, whatever the answers take
			const due = Math.floor(((Date.now() - started) / 1000) * RATE);
			while (fired < due) {
				fired++;
				fire();
			}
		}, 20);
		const minute = setInterval(() => {
			const i = secImports++;
			send("POST /companies/from-sec", "POST", "/companies/from-sec", { ticker: `SOAK${i}` });
		}, 60_000);
		// one training job, after the baseline: what it does to the other routes counts against the goals
		const training = setTimeout(
			() => send("POST /ml/models/:id/train", "POST", `/ml/models/${model.id}/train`, { dataset_id: datasetId }),
			SETTLE_MS + (MINUTES * 60_000 - SETTLE_MS) / 2,
		);
		try {
			while (Date.now() < end) {
				await new Promise(r => setTimeout(r, SAMPLE_MS - ((Date.now() - started) % SAMPLE_MS)));
				const nodes = await Promise.all(Object.entries(target.metrics).map(([name, url]) => sampleNode(name, url)));
				const window: Window = {
					t: Math.round((Date.now() - started) / 1000),
					nodes,
					store_mb: mb(target.dataDirs.reduce((a, d) => a + dirBytes(d), 0)),
					routes: recorder.take(),
					shed: recorder.shed,
				};
				recorder.shed = 0;
				windows.push(window);
				const reads = window.routes["GET /companies/:id"];
				console.log(
					`${topology} ${window.t}s: ${nodes.map(n => `${n.node} rss ${n.rss_mb} MB heap ${n.heap_used_mb} MB loop p99 ${n.event_loop_p99_ms} ms`).join("; ")}; store ${window.store_mb} MB; company read p99 ${reads?.p99_ms} ms; in flight ${inFlight}`,
				);
			}
		} finally {
			clearInterval(tick);
			clearInterval(minute);
			clearTimeout(training);
		}
		await waitFor("the last requests answered", async () => inFlight === 0, 120_000, 200).catch(() => undefined);
		const trained = (await json("GET", `${api}/ml/jobs?model_id=${model.id}`, undefined, adminAuth)).rows.map((j: { state: string }) => j.state);
		const p99s = (period: Map<string, number[]>) =>
			Object.fromEntries(
				[...period].map(([route, l]) => [
					route,
					Math.round(
						percentile(
							l.sort((a, b) => a - b),
							0.99,
						) * 10,
					) / 10,
				]),
			);
		return { topology, windows, p99: { baseline: p99s(recorder.periods.baseline), after: p99s(recorder.periods.after) }, training_jobs: trained, sec_imports: secImports };
	} finally {
		await target.stop();
	}
}

type SoakResult = Awaited<ReturnType<typeof soak>>;

/** The goals, measured on one topology's windows. */
function verdict(r: SoakResult) {
	const settledIndex = Math.max(1, Math.round(SETTLE_MS / SAMPLE_MS)) - 1;
	const nodeNames = r.windows[0].nodes.map(n => n.node);
	const rssOf = (name: string) => r.windows.map(w => w.nodes.find(n => n.node === name)!.rss_mb);
	// growth: the last minute's RSS (its median) against the baseline's end; a peak (the training job's) is reported beside it
	const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
	const rssGrowth = Object.fromEntries(nodeNames.map(name => [name, median(rssOf(name).slice(-6)) / rssOf(name)[settledIndex] - 1]));
	const rssPeak = Object.fromEntries(nodeNames.map(name => [name, Math.max(...rssOf(name))]));
	// per route: the p99 of every request after the baseline against the baseline's (the SEC import and the one training job are too few)
	const p99Ratio = Object.fromEntries(
		Object.keys(r.p99.after)
			.filter(route => MIX.some(([m]) => m === route))
			.map(route => [route, r.p99.after[route] / Math.max(1, r.p99.baseline[route] ?? 0)]),
	);
	const sum = (f: (o: Window["routes"][string]) => number) => r.windows.reduce((a, w) => a + Object.values(w.routes).reduce((b, o) => b + f(o), 0), 0);
	const loopP99 = Math.max(...r.windows.flatMap(w => w.nodes.map(n => n.event_loop_p99_ms)));
	return {
		rssGrowth,
		rssPeak,
		p99Ratio,
		errors5xx: sum(o => o.errors_5xx),
		failed: sum(o => o.failed),
		other4xx: sum(o => o.other_4xx),
		shed: r.windows.reduce((a, w) => a + w.shed, 0),
		requests: sum(o => o.count),
		loopP99,
		met: {
			rss: Object.values(rssGrowth).every(g => g < GOALS.rssGrowth),
			errors: sum(o => o.errors_5xx) === 0 && sum(o => o.failed) === 0,
			p99: Object.values(p99Ratio).every(x => x <= GOALS.p99VsSettled),
			loop: loopP99 < GOALS.eventLoopP99Ms,
		},
	};
}

function lineChart(title: string, unit: string, x: number[], series: Array<{ name: string; values: number[] }>): string {
	const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: 900, height: 320 });
	try {
		chart.setOption({
			animation: false,
			title: { text: title, left: "center", textStyle: { fontSize: 13 } },
			legend: { top: 24, textStyle: { fontSize: 10 } },
			grid: { left: 60, right: 20, top: 60, bottom: 40 },
			xAxis: { type: "value", name: "minutes", nameLocation: "middle", nameGap: 24, min: 0, max: Math.ceil(Math.max(...x)) },
			yAxis: { type: "value", name: unit },
			series: series.map(s => ({ name: s.name, type: "line", showSymbol: false, data: s.values.map((v, i) => [x[i], v]) })),
		});
		return chart.renderToSVGString();
	} finally {
		chart.dispose();
	}
}

function plots(r: SoakResult): string[] {
	const dir = path.join(__dirname, "soak");
	fs.mkdirSync(dir, { recursive: true });
	const x = r.windows.map(w => Math.round((w.t / 60) * 100) / 100);
	const nodes = r.windows[0].nodes.map(n => n.node);
	const of = (name: string, f: (n: NodeSample) => number) => r.windows.map(w => f(w.nodes.find(n => n.node === name)!));
	const routes = MIX.map(([route]) => route);
	const files: Array<[string, string]> = [
		[
			`${r.topology}-memory.svg`,
			lineChart(`${r.topology}: RSS and heap used per node`, "MB", x, [
				...nodes.map(n => ({ name: `${n} RSS`, values: of(n, s => s.rss_mb) })),
				...nodes.map(n => ({ name: `${n} heap`, values: of(n, s => s.heap_used_mb) })),
				{ name: "stores on disk", values: r.windows.map(w => w.store_mb) },
			]),
		],
		[
			`${r.topology}-event-loop.svg`,
			lineChart(`${r.topology}: event-loop delay per node (10 s windows)`, "ms", x, [
				...nodes.map(n => ({ name: `${n} p99`, values: of(n, s => s.event_loop_p99_ms) })),
				...nodes.map(n => ({ name: `${n} max`, values: of(n, s => s.event_loop_max_ms) })),
			]),
		],
		[
			`${r.topology}-p99.svg`,
			lineChart(
				`${r.topology}: p99 per route (10 s windows)`,
				"ms",
				x,
				routes.filter(route => route !== "POST /auth/login").map(route => ({ name: route, values: r.windows.map(w => w.routes[route]?.p99_ms ?? 0) })),
			),
		],
	];
	for (const [file, svg] of files) fs.writeFileSync(path.join(dir, file), svg);
	return files.map(([file]) => `bench/soak/${file}`);
}

async function main() {
	const sec = await startFakeSec();
	const MARVELL = 1835632;
	for (let i = 0; i < 200; i++) sec.alias(9_200_000 + i, `SOAK${i}`, MARVELL);
	const secEnv = {
		SEC_USER_AGENT: "bizops-soak ops@example.com",
		SEC_DATA_BASE_URL: sec.url,
		SEC_FILES_BASE_URL: sec.url,
		RATE_LIMIT_DEFAULT: "1000000",
		RATE_LIMIT_PREMIUM: "1000000",
	};
	const polish = parseDataset({
		format: "arff",
		label: "bankruptcy",
		positive_class: "1",
		content: fs.readFileSync(path.join(ROOT, "data/polish-bankruptcy/1year.arff"), "utf8"),
	}).data;
	const projected = projectColumns(polish, DISTRESS_FEATURE_NAMES);
	const predictionRow = Object.fromEntries(DISTRESS_FEATURE_NAMES.map((f, i) => [f, Number.isNaN(projected.x[0][i]) ? null : projected.x[0][i]]));
	const results: Array<SoakResult & { verdict: ReturnType<typeof verdict>; plots: string[] }> = [];
	try {
		for (const topology of TOPOLOGIES) {
			const r = await soak(topology, secEnv, predictionRow);
			results.push({ ...r, verdict: verdict(r), plots: plots(r) });
			save(`soak-${topology}`, { machine: machine(), minutes: MINUTES, rate: RATE, ...results.at(-1) });
		}
	} finally {
		await sec.close();
	}
	console.log(`\n${machine()}; ${MINUTES} min at ${RATE} requests/s; the first ${SETTLE_MS / 60_000} min is the baseline\n`);
	console.log(
		"| topology | requests | 5xx | failed | shed | RSS growth after the baseline (peak) per node | worst p99 vs baseline | event-loop p99 (max) | training | SEC imports |",
	);
	console.log("|---|---:|---:|---:|---:|---|---|---:|---|---:|");
	for (const r of results) {
		const v = r.verdict;
		const growth = Object.entries(v.rssGrowth)
			.map(([n, g]) => `${n} ${(g * 100).toFixed(1)} % (${v.rssPeak[n]} MB)`)
			.join(", ");
		const [worstRoute, worst] = Object.entries(v.p99Ratio).sort((a, b) => b[1] - a[1])[0] ?? ["-", 0];
		console.log(
			`| ${r.topology} | ${v.requests} | ${v.errors5xx} | ${v.failed} | ${v.shed} | ${growth} | ${worst.toFixed(2)}× (${worstRoute}) | ${v.loopP99} ms | ${r.training_jobs.join(", ")} | ${r.sec_imports} |`,
		);
	}
	console.log("\n| topology | route | p99 in the baseline, ms | p99 after it, ms | ratio |\n|---|---|---:|---:|---:|");
	for (const r of results)
		for (const [route, ratio] of Object.entries(r.verdict.p99Ratio))
			console.log(`| ${r.topology} | ${route} | ${r.p99.baseline[route]} | ${r.p99.after[route]} | ${ratio.toFixed(2)} |`);
	console.log("\n| goal | " + results.map(r => r.topology).join(" | ") + " |\n|---|" + results.map(() => "---|").join(""));
	const row = (goal: string, key: keyof ReturnType<typeof verdict>["met"]) =>
		console.log(`| ${goal} | ${results.map(r => (r.verdict.met[key] ? "met" : "**not met**")).join(" | ")} |`);
	row(`RSS growth < ${GOALS.rssGrowth * 100} % after the baseline`, "rss");
	row("zero 5xx and failed requests", "errors");
	row(`p99 within ${GOALS.p99VsSettled}× of the baseline, every route`, "p99");
	row(`event-loop delay p99 < ${GOALS.eventLoopP99Ms} ms`, "loop");
	console.log(`\nplots: ${results.flatMap(r => r.plots).join(", ")}`);
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
