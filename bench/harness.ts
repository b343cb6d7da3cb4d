/**
 * Benchmark plumbing: start the platform as its own process (as `npm start` does), a bare http baseline,
 * and run autocannon against them from this process, so server and load generator get a core each.
 */
import { fork, spawn, type ChildProcess } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";

const autocannon = require("autocannon");

export const ROOT = path.resolve(__dirname, "..");
export const ADMIN_PASSWORD = "bench-admin-password";

export interface LoadResult {
	name: string;
	requests_per_sec: number;
	latency_p50_ms: number;
	latency_p99_ms: number;
	latency_avg_ms: number;
	errors: number;
	non_2xx: number;
	total: number;
}

export interface Started {
	url: string;
	/** The platform's DATA_DIR (startPlatformProcess). */
	dataDir?: string;
	child: ChildProcess;
	stop(): Promise<void>;
}

function freePort(): number {
	return 20000 + Math.floor(Math.random() * 12000); // below the ephemeral range (32768+), as in test/helpers/cluster.ts
}

async function waitFor(url: string, timeoutMs = 30000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		try {
			const res = await fetch(url);
			if (res.status === 200) return;
		} catch {
			/* not up yet */
		}
		await new Promise(r => setTimeout(r, 200));
	}
	throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
	return () =>
		new Promise(resolve => {
			if (child.exitCode != null) return resolve();
			child.once("exit", () => resolve());
			child.kill("SIGTERM");
			setTimeout(() => child.kill("SIGKILL"), 10000).unref();
		});
}

/** The whole platform in one process on the embedded store, as `npm start` runs it. */
export async function startPlatformProcess(env: Record<string, string> = {}): Promise<Started> {
	const port = freePort();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-bench-"));
	const child = spawn(
		process.execPath,
		[
			"--disable-warning=DEP0174",
			"--experimental-async-context-frame",
			"-r",
			"@swc-node/register",
			"bin/runner.ts",
			"--config",
			"moleculer.config.ts",
			"--mask",
			"**/*.service.ts",
			"services",
		],
		{
			cwd: ROOT,
			env: {
				...process.env,
				NODE_ENV: "development",
				PORT: String(port),
				DATA_DIR: dataDir,
				// its key-encryption key beside its data, not in the checkout's ./secrets
				ENCRYPTION_KEY_FILE: path.join(dataDir, "secrets", "encryption-keys.json"),
				BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
				LOG_LEVEL: "warn",
				METRICS_PORT: String(port + 1),
				// the default ML model trains in a worker on first start: not while another bench measures
				ML_DEFAULT_MODEL: "false",
				...env,
			},
			stdio: ["ignore", "inherit", "inherit"],
		},
	);
	const url = `http://127.0.0.1:${port}`;
	await waitFor(`${url}/api/v1/health/ready`);
	return { url, dataDir, child, stop: stopper(child) };
}

/** Until the default ML model is in production (it trains on first start, as a user's first `npm start` does). */
export async function waitForDefaultModel(api: string, headers: Record<string, string>): Promise<void> {
	for (let waited = 0; ; waited += 2000) {
		const models = await json("GET", `${api}/ml/models?page_size=100`, undefined, headers);
		if (models.rows.some((m: { aliases: { production: number | null } }) => m.aliases.production != null)) return;
		if (waited > 600_000) throw new Error("the default model was not in production after 10 minutes");
		await new Promise(r => setTimeout(r, 2000));
	}
}

/** A bare Node http server answering `body` (the hardware's floor). */
export function startBareServer(body: string): Promise<Started> {
	return startForked("bare-server.js", { BODY: body });
}

/** The framework's floor: a minimal moleculer-web route returning `body`, metrics off (or on). */
export function startFloorServer(body: string, metrics = false): Promise<Started> {
	return startForked("floor-server.js", { BODY: body, METRICS: metrics ? "1" : "0" });
}

async function startForked(script: string, env: Record<string, string>): Promise<Started> {
	const child = fork(path.join(__dirname, script), [], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const port: number = await new Promise((resolve, reject) => {
		child.once("message", (m: any) => resolve(m.port));
		child.once("exit", code => reject(new Error(`bare server exited ${code}`)));
	});
	return { url: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}

export async function run(
	name: string,
	url: string,
	opts: { headers?: Record<string, string>; connections?: number; duration?: number; method?: string; body?: string; paths?: string[] } = {},
): Promise<LoadResult> {
	// `paths`: each request goes to the next of them in turn (many companies rather than one)
	let next = 0;
	const requests = opts.paths ? [{ setupRequest: (req: { path: string }) => ({ ...req, path: opts.paths![next++ % opts.paths!.length] }) }] : undefined;
	const options = { url, connections: opts.connections ?? 50, headers: opts.headers, method: opts.method ?? "GET", body: opts.body, requests };
	await autocannon({ ...options, duration: 5 }); // warm-up: JIT, caches, keep-alive sockets
	const r = await autocannon({ ...options, duration: opts.duration ?? 10 });
	return {
		name,
		requests_per_sec: Math.round(r.requests.average),
		latency_p50_ms: r.latency.p50,
		latency_p99_ms: r.latency.p99,
		latency_avg_ms: r.latency.average,
		errors: r.errors + r.timeouts,
		non_2xx: r.non2xx,
		total: r.requests.total,
	};
}

export async function json(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
	const res = await fetch(url, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
	const parsed = await res.json();
	if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(parsed)}`);
	return parsed;
}

export function table(results: LoadResult[], baseline?: Record<string, number>): string {
	const lines = ["| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | vs bare http |", "|---|---:|---:|---:|---:|---:|---:|"];
	for (const r of results) {
		const ratio = baseline?.[r.name] ? (r.requests_per_sec / baseline[r.name]).toFixed(2) : "";
		lines.push(`| ${r.name} | ${r.requests_per_sec} | ${r.latency_p50_ms} | ${r.latency_p99_ms} | ${r.errors} | ${r.non_2xx} | ${ratio} |`);
	}
	return lines.join("\n");
}

export function machine(): string {
	return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export function save(name: string, data: unknown): void {
	fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
	fs.writeFileSync(path.join(__dirname, "results", `${name}.json`), JSON.stringify(data, null, 2));
}
