/**
 * A real bizops cluster on loopback for the e2e suite: private nats-server, redis-server and CongoDB
 * processes (so a test may kill and restart them), and bizops nodes started as `npm start` starts them,
 * each with its own SERVICES. Everything is bounded in time and stopped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";

const ROOT = path.resolve(__dirname, "../..");
export const NATS_BIN = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find(f => fs.existsSync(f));
export const REDIS_BIN = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find(f => fs.existsSync(f));

/** Whether the suite can run here; when not, it says why. */
export function clusterPrerequisites(): string | null {
	if (!NATS_BIN) return "nats-server is not installed";
	if (!REDIS_BIN) return "redis-server is not installed";
	return null;
}

// below Linux's ephemeral range (32768+), where outgoing connections (NATS, Redis, MongoDB clients) take their
// local ports: a probe cannot see those, and a server then fails to listen there (EADDRINUSE)
let nextPort = 21000 + Math.floor(Math.random() * 9000);
export function freePort(): number {
	for (;;) {
		if (nextPort >= 32000) nextPort = 21000;
		const port = nextPort++;
		// a synchronous probe: is anything listening there?
		const r = spawnSync(process.execPath, ["-e", `require("net").connect(${port},"127.0.0.1").on("connect",()=>process.exit(1)).on("error",()=>process.exit(0))`]);
		if (r.status === 0) return port;
	}
}

export function waitForPort(port: number, timeoutMs = 10000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	return new Promise((resolve, reject) => {
		const attempt = () => {
			const socket = net.connect(port, "127.0.0.1");
			socket.once("connect", () => {
				socket.destroy();
				resolve();
			});
			socket.once("error", () => {
				socket.destroy();
				if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${timeoutMs} ms`));
				else setTimeout(attempt, 100);
			});
		};
		attempt();
	});
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20000, everyMs = 200): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	while (Date.now() < deadline) {
		try {
			const v = await fn();
			if (v) return v;
		} catch (err) {
			last = err;
		}
		await new Promise(r => setTimeout(r, everyMs));
	}
	throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export interface Proc {
	name: string;
	child: ChildProcess;
	log: string[];
	/** SIGTERM and wait for the exit (SIGKILL after `graceMs`). */
	stop(graceMs?: number): Promise<void>;
	kill(): Promise<void>;
	exited: Promise<number | null>;
}

/** Every process this helper started, killed when the test file ends whatever happened (a failed beforeAll included). */
const started = new Set<(sig: NodeJS.Signals) => void>();
if (typeof afterAll === "function")
	afterAll(() => {
		for (const signal of started) signal("SIGKILL");
		started.clear();
	});

/** `group`: the child leads its own process group (npm and the node it starts), signalled as a whole. */
function track(name: string, child: ChildProcess, group = false): Proc {
	const signal = (sig: NodeJS.Signals) => {
		try {
			if (group && child.pid) process.kill(-child.pid, sig);
			else child.kill(sig);
		} catch {
			/* already gone */
		}
	};
	started.add(signal);
	const log: string[] = [];
	const keep = (d: Buffer) => {
		log.push(...d.toString().split("\n").filter(Boolean));
		if (log.length > 400) log.splice(0, log.length - 400);
	};
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);
	const childExited = new Promise<number | null>(resolve => child.once("exit", code => resolve(code)));
	// npm exits at once on a signal while the node it started may still be draining: wait for the whole group
	const exited = group
		? childExited.then(async code => {
				const alive = () => {
					try {
						process.kill(-child.pid!, 0);
						return true;
					} catch {
						return false;
					}
				};
				while (alive()) await new Promise(r => setTimeout(r, 50));
				return code;
			})
		: childExited;
	const stop = async (graceMs = 15000) => {
		if (child.exitCode != null || child.signalCode != null) return;
		signal("SIGTERM");
		const timer = setTimeout(() => signal("SIGKILL"), graceMs);
		await exited;
		clearTimeout(timer);
	};
	const kill = async () => {
		if (child.exitCode != null || child.signalCode != null) return;
		signal("SIGKILL");
		await exited;
	};
	return { name, child, log, stop, kill, exited };
}

/** A private nats-server as production runs it: JetStream on (kept in `storeDir`) and, given, user and password. */
export async function startNats(port: number, opts: { storeDir?: string; user?: string; password?: string } = {}): Promise<Proc> {
	const args = ["-a", "127.0.0.1", "-p", String(port)];
	if (opts.storeDir) args.push("-js", "-sd", opts.storeDir);
	if (opts.user) args.push("--user", opts.user, "--pass", opts.password ?? "");
	const p = track("nats", spawn(NATS_BIN!, args, { stdio: ["ignore", "pipe", "pipe"] }));
	await waitForPort(port);
	return p;
}

export async function startRedis(port: number): Promise<Proc> {
	const p = track("redis", spawn(REDIS_BIN!, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] }));
	await waitForPort(port);
	return p;
}

export async function startCongo(port: number, dataDir: string): Promise<Proc> {
	const p = track("mongo", spawn(process.execPath, [path.join(__dirname, "congo-server.mjs"), String(port), dataDir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] }));
	await waitForPort(port);
	return p;
}

export interface NodeProc extends Proc {
	url?: string;
	healthUrl: string;
	metricsUrl: string;
}

/**
 * A node started as a user starts one, ready (its health probe answers 200) within 30 s. A start that fails is
 * reported with the node's last log lines and tried once more from scratch: on a busy machine one slow start
 * must not fail every test of a suite that shares the cluster.
 */
export async function startNode(name: string, services: string, env: Record<string, string>): Promise<NodeProc> {
	try {
		return await startNodeOnce(name, services, env);
	} catch (err) {
		console.warn(`\n!!!!!!!! node ${name} did not start; starting it once more !!!!!!!!\n${(err as Error).message}\n`);
		return startNodeOnce(name, services, env);
	}
}

async function startNodeOnce(name: string, services: string, env: Record<string, string>): Promise<NodeProc> {
	const port = freePort();
	const healthPort = freePort();
	const metricsPort = freePort();
	// exactly as a user starts a node from the sources: `SERVICES=… npm start`
	const child = spawn("npm", ["start", "--silent"], {
		cwd: ROOT,
		detached: true,
		env: {
			...process.env,
			NODE_ENV: "test",
			LOG_LEVEL: "warn",
			DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), `bizops-${name}-`)),
			SERVICES: services,
			NODE_ID: name,
			PORT: String(port),
			HEALTH_PORT: String(healthPort),
			METRICS_ENABLED: "true",
			METRICS_PORT: String(metricsPort),
			...env,
		},
		stdio: ["ignore", "pipe", "pipe"],
	});
	const p = track(name, child, true) as NodeProc;
	p.healthUrl = `http://127.0.0.1:${healthPort}/health/ready`;
	p.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
	if (services.split(",").includes("api")) p.url = `http://127.0.0.1:${port}/api/v1`;
	try {
		await waitFor(`${name} ready`, async () => (await fetch(p.healthUrl)).status === 200, 30000);
	} catch (err) {
		await p.kill(); // a node that never became ready must not outlive the suite
		throw new Error(`${(err as Error).message}\n${p.log.slice(-30).join("\n")}`, { cause: err });
	}
	return p;
}

/** How many calls of `action` this node has handled, from its Prometheus metrics. */
export async function handledCount(node: NodeProc, action: string): Promise<number> {
	const text = await (await fetch(node.metricsUrl)).text();
	let total = 0;
	for (const line of text.split("\n")) if (line.startsWith("bizops_action_duration_count{") && line.includes(`action="${action}"`)) total += Number(line.split(" ").pop());
	return total;
}

/**
 * Query strings for pages never asked before (page ≤ 1000, page_size ≤ 100, the limits of list params): the
 * gateways answer a repeated read themselves, so a read meant to reach a service must be a new one.
 */
export function unaskedPages(): () => string {
	let asked = 0;
	return () => {
		const n = asked++;
		return `page=${(n % 1000) + 1}&page_size=${(Math.floor(n / 1000) % 100) + 1}`;
	};
}

export interface HttpAnswer {
	status: number;
	body: any;
	headers: Headers;
}

/** A JSON request to a node of the cluster, bounded in time; the body parsed when it is JSON. */
export async function http(base: string, method: string, urlPath: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<HttpAnswer> {
	const headers: Record<string, string> = {};
	if (opts.token) headers.authorization = `Bearer ${opts.token}`;
	if (opts.body !== undefined) headers["content-type"] = "application/json";
	const res = await fetch(`${base}${urlPath}`, {
		method,
		headers,
		body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
		signal: AbortSignal.timeout(opts.timeoutMs ?? 15000),
	});
	const text = await res.text();
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		/* keep text */
	}
	return { status: res.status, body, headers: res.headers };
}

/**
 * TCP connections that the processes of a node's process group (`npm start` and the node under it) hold
 * open to a local port, read from /proc (Linux): what a store sees of the node.
 */
export function connectionsTo(node: Proc, port: number): number {
	const inodes = new Set<string>();
	for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
		if (!fs.existsSync(table)) continue;
		for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
			const cols = line.trim().split(/\s+/);
			// remote address (hex ip:port), state 01 = ESTABLISHED, inode
			if (cols.length > 9 && parseInt(cols[2].split(":")[1], 16) === port && cols[3] === "01") inodes.add(cols[9]);
		}
	}
	let count = 0;
	for (const pid of fs.readdirSync("/proc").filter(d => /^\d+$/.test(d))) {
		try {
			const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
			const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
			if (pgrp !== node.child.pid) continue;
			for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
				const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
				const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
				if (inode && inodes.has(inode)) count++;
			}
		} catch {
			/* the process ended meanwhile */
		}
	}
	return count;
}
