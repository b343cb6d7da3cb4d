/**
 * Issue 20: the abuse the attack pass found, replayed against the platform as `npm start` runs it (one process,
 * embedded store, the default ML model trained and deployed first), measured from outside: for each scenario the
 * audit records lost (must be 0), the longest a liveness probe (`GET /health/live`, sent back to back) waited
 * — the event loop's longest stall as a client sees it (goal ≤ 100 ms) — against the same probe on the idle
 * platform in the same run, and the platform process's peak resident memory.
 */
import { fork } from "child_process";
import fs from "fs";
import path from "path";
import { ADMIN_PASSWORD, json, machine, save, startPlatformProcess } from "./harness";
import { bigFrameworkLibrary } from "../test/helpers/fixtures";

interface Measured {
	scenario: string;
	outcome: string;
	audit_lost: number | null;
	longest_probe_ms: number;
	probes: number;
	rss_before_mb: number;
	rss_peak_mb: number;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The resident memory of a process, bytes (Linux /proc). */
function rssOf(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function main() {
	const platform = await startPlatformProcess({ ML_DEFAULT_MODEL: "true" });
	const pid = platform.child.pid!;
	const api = `${platform.url}/api/v1`;
	const request = async (method: string, path: string, token?: string, body?: unknown) => {
		const res = await fetch(`${api}${path}`, {
			method,
			headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
			body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
		});
		const text = await res.text();
		let parsed: any = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			/* text */
		}
		return { status: res.status, body: parsed };
	};
	const results: Measured[] = [];

	// the prober runs in a process of its own: nothing this process does (building 48 MB bodies) counts as a stall
	const prober = fork(path.join(__dirname, "liveness-prober.js"), [], { env: { ...process.env, PROBE_URL: `${api}/health/live` } });
	await new Promise(resolve => prober.once("message", resolve));
	const probe = {
		start: () => prober.send("start"),
		stop: () => new Promise<{ longest_ms: number; probes: number }>(resolve => (prober.once("message", resolve), prober.send("stop"))),
	};

	/** Runs `fn` while probing liveness back to back (another process) and sampling the platform's memory. */
	async function measure(scenario: string, fn: () => Promise<{ outcome: string; audit_lost?: number | null }>) {
		const before = rssOf(pid);
		let peak = before;
		const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
		probe.start();
		let result: { outcome: string; audit_lost?: number | null };
		let probed: { longest_ms: number; probes: number };
		try {
			result = await fn();
		} finally {
			probed = await probe.stop();
			clearInterval(sampler);
		}
		peak = Math.max(peak, rssOf(pid));
		const row = {
			scenario,
			outcome: result.outcome,
			audit_lost: result.audit_lost ?? null,
			longest_probe_ms: Math.round(probed.longest_ms),
			probes: probed.probes,
			rss_before_mb: mb(before),
			rss_peak_mb: mb(peak),
		};
		console.log(JSON.stringify(row));
		results.push(row);
		return row;
	}

	/** `n` calls, `parallel` at a time; their answers. */
	async function flood<T>(n: number, parallel: number, send: (i: number) => Promise<T>): Promise<T[]> {
		const out: T[] = [];
		let next = 0;
		await Promise.all(
			Array.from({ length: parallel }, async () => {
				while (next < n) out.push(await send(next++));
			}),
		);
		return out;
	}

	async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const v = await probe();
			if (ok(v) || Date.now() > deadline) return v;
			await new Promise(r => setTimeout(r, 250));
		}
	}

	const admin = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
	const user = async (username: string, role: string, domains: string[]) => {
		await json("POST", `${api}/users`, { username, password: `${username}-password-1`, role, domains }, { authorization: `Bearer ${admin}` });
		return (await json("POST", `${api}/auth/login`, { username, password: `${username}-password-1` })).token as string;
	};
	const analyst = await user("bench-analyst", "analyst", ["technology"]);
	const flooder = await user("bench-flooder", "analyst", ["technology"]);
	const mlAdmin = await user("bench-ml", "domain_admin", ["manufacturing"]);
	// the default model is trained on first start: measured once it is in production, as a user meets it
	await until(
		"the default model in production",
		async () => (await request("GET", "/ml/models?name=distress", admin)).body.rows?.[0]?.aliases?.production,
		v => v === 1,
		180_000,
	);
	const auditEntries = async (query: string) => {
		const rows: any[] = [];
		for (let page = 1; ; page++) {
			const body = (await request("GET", `/audit?${query}&page_size=100&page=${page}`, admin)).body;
			rows.push(...body.rows);
			if (page >= body.total_pages) return rows;
		}
	};

	await measure("idle (the baseline)", async () => {
		await new Promise(r => setTimeout(r, 5000));
		return { outcome: "nothing sent" };
	});

	await measure("3,000 anonymous GET /companies at 32 at once, with 20 company creations by an analyst", async () => {
		const [statuses, created] = await Promise.all([
			flood(3000, 32, async () => (await request("GET", "/companies")).status),
			flood(20, 4, async i => (await request("POST", "/companies", analyst, { name: `Flood ${i}`, industry: "technology" })).body.id as string),
		]);
		const entries = await until(
			"the creations audited",
			async () => new Set((await auditEntries("action=companies.created&actor=bench-analyst")).map(e => e.entity.id)),
			ids => created.every(id => ids.has(id)),
			60_000,
		);
		const lost = created.filter(id => !entries.has(id)).length;
		return { outcome: `${statuses.filter(s => s === 401).length} × 401; ${20 - lost} of 20 creations audited`, audit_lost: lost };
	});

	await measure("2,000 GET /companies by one analyst at 32 at once (rate limit 1,000 a minute)", async () => {
		const statuses = await flood(2000, 32, async () => (await request("GET", "/companies", flooder)).status);
		const limited = statuses.filter(s => s === 429).length;
		// the first refusal is recorded at once, the rest when their minute ends
		const rows = await until(
			"the 429s counted",
			async () => (await auditEntries("action=gateway.request.denied&actor=bench-flooder")).filter(e => e.payload.status === 429),
			found => found.reduce((n, r) => n + r.payload.count, 0) >= limited,
			90_000,
		);
		const counted = rows.reduce((n, r) => n + r.payload.count, 0);
		return { outcome: `${limited} × 429 in ${rows.length} audit entries counting ${counted}`, audit_lost: limited - counted };
	});

	const upload = (content: string, label: string, format = "csv") => request("POST", "/ml/datasets", mlAdmin, { name: "abuse", format, label, content });
	const answered = (r: { status: number; body: any }) => `${r.status}: ${String(r.body.message ?? "").slice(0, 90)}`;
	await measure("a 48 MB CSV of one-cell rows (a,y / 1 × 16 M)", async () => ({ outcome: answered(await upload("a,y\n" + "1\n".repeat(16_000_000), "y")) }));
	await measure("a 9.5 M-row CSV (38 MB)", async () => ({ outcome: answered(await upload("a,y\n" + "1,0\n".repeat(9_500_000), "y")) }));
	const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(",");
	await measure("a 100,000-column CSV header (1 MB)", async () => ({ outcome: answered(await upload(`${header}\n${"1,".repeat(99_999)}1\n`, "c0")) }));
	const attributes = Array.from({ length: 100_000 }, (_, i) => `@attribute c${i} numeric`).join("\n");
	await measure("an ARFF of 100,000 attributes", async () => ({ outcome: answered(await upload(`@relation wide\n${attributes}\n@data\n`, "c0", "arff")) }));

	// the largest a data set may be: what a valid upload costs the process
	const wide = Array.from({ length: 40 }, (_, i) => `f${i}`);
	const largest = [[...wide, "y"].join(","), ...Array.from({ length: 200_000 }, (_, r) => [...wide.map((_, c) => (r * (c + 3)) % 997), r % 2].join(","))].join("\n");
	await measure(`the largest data set accepted: 200,000 rows × 41 columns (${mb(largest.length)} MB)`, async () => {
		const r = await request("POST", "/ml/datasets", mlAdmin, { name: "largest", format: "csv", label: "y", content: largest });
		return { outcome: r.status === 201 ? `201 (${r.body.rows} rows)` : answered(r) };
	});

	// evaluation: a model of 30 columns, evaluated five times at once on a data set of 150,000 rows
	const columns = Array.from({ length: 30 }, (_, i) => `x${i}`);
	const rowsOf = (n: number) =>
		[
			[...columns, "y"].join(","),
			...Array.from({ length: n }, (_, r) => {
				const xs = columns.map((_, c) => ((r * (c + 7)) % 1000) / 100);
				return [...xs, xs[0] + xs[1] > 10 ? 1 : 0].join(",");
			}),
		].join("\n");
	const small = (await request("POST", "/ml/datasets", mlAdmin, { name: "eval-small", format: "csv", label: "y", content: rowsOf(2000) })).body;
	const large = (await request("POST", "/ml/datasets", mlAdmin, { name: "eval-large", format: "csv", label: "y", content: rowsOf(150_000) })).body;
	const model = (await request("POST", "/ml/models", mlAdmin, { name: "abuse-lr", model_type: "logistic_regression" })).body;
	const job = (await request("POST", `/ml/models/${model.id}/train`, mlAdmin, { dataset_id: small.id, hyperparameters: { epochs: 2, batch_size: 256 } })).body;
	await until(
		"the model trained",
		async () => (await request("GET", `/ml/jobs/${job.id}`, mlAdmin)).body.state,
		s => s === "succeeded" || s === "failed",
		120_000,
	);
	await measure("five evaluations at once of a version on 150,000 rows × 30 columns", async () => {
		const answers = await Promise.all(Array.from({ length: 5 }, () => request("POST", `/ml/models/${model.id}/versions/1/evaluate`, mlAdmin, { dataset_id: large.id })));
		return { outcome: answers.map(a => (a.status === 200 ? `200 (${a.body.metrics.rows} rows)` : answered(a))).join("; ") };
	});

	const bomb = "objects: " + "[".repeat(499_000) + "]".repeat(499_000);
	await measure("1 MB of nested YAML brackets to POST /frameworks", async () => ({
		outcome: answered(await request("POST", "/frameworks", admin, { content: bomb, industries: "all" })),
	}));
	await measure("1 MB of nested YAML brackets to POST /risk-matrices", async () => ({ outcome: answered(await request("POST", "/risk-matrices", admin, { content: bomb })) }));
	const big = bigFrameworkLibrary(6000);
	await measure(`a real framework library of ${Math.round(big.length / 1024)} KB (6,000 requirements)`, async () => {
		const r = await request("POST", "/frameworks", admin, { content: big, industries: "all" });
		return { outcome: r.status === 200 ? `200 (${r.body.requirements} requirements)` : answered(r) };
	});

	const verify = (await request("GET", "/audit/verify", admin)).body;
	prober.kill();
	await platform.stop();

	const idle = results[0].longest_probe_ms;
	console.log(`\n${machine()}; the platform as npm start runs it (embedded, default model deployed), probed with GET /health/live back to back\n`);
	console.log("| scenario | answer | audit records lost | longest probe | × idle | RSS before → peak |");
	console.log("|---|---|---:|---:|---:|---:|");
	for (const r of results)
		console.log(
			`| ${r.scenario} | ${r.outcome} | ${r.audit_lost ?? "–"} | ${r.longest_probe_ms} ms | ${(r.longest_probe_ms / Math.max(1, idle)).toFixed(1)} | ${r.rss_before_mb} → ${r.rss_peak_mb} MB |`,
		);
	console.log(`\naudit trail after the run: ok ${verify.ok}, ${verify.entries_checked} entries, ${verify.unappended?.count ?? "?"} unappended`);
	save("abuse", { machine: machine(), results, verify: { ok: verify.ok, entries: verify.entries_checked, unappended: verify.unappended?.count } });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
