/**
 * Operating behaviour through HTTP: rate limits with tiers and 429 + Retry-After; data, tokens and
 * revocations surviving a restart on the same DATA_DIR; feature flags changed at run time.
 */
import { spawn } from "child_process";
import fs from "fs";
import path from "path";
import { monitoredMetricNames } from "../helpers/monitoring";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, tempDataDir, type Platform } from "../helpers/platform";
import { servicePrincipal } from "../../lib/principal";

describe("rate limiting", () => {
	let platform: Platform;
	let admin: string;
	beforeAll(async () => {
		platform = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "5", RATE_LIMIT_PREMIUM: "8", RATE_LIMIT_ANONYMOUS: "6" } });
		admin = await platform.login("admin", ADMIN_PASSWORD);
	});
	afterAll(() => platform.stop());

	it("429 with Retry-After once a client's per-minute budget for an endpoint is used", async () => {
		const { token } = await platform.createUser(admin, { username: "busy", role: "viewer", domains: ["technology"] });
		const statuses: number[] = [];
		for (let i = 0; i < 5; i++) statuses.push((await platform.request("GET", "/companies", { token })).status);
		expect(statuses).toEqual([200, 200, 200, 200, 200]);
		const limited = await platform.request("GET", "/companies", { token });
		expect(limited.status).toBe(429);
		expect(limited.body.code).toBe(429);
		const retryAfter = Number(limited.headers.get("retry-after"));
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(retryAfter).toBeLessThanOrEqual(60);
		expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
		// the budget is per endpoint: another one still answers
		expect((await platform.request("GET", "/auth/me", { token })).status).toBe(200);
		// and per client: another user is unaffected
		const other = await platform.createUser(admin, { username: "calm", role: "viewer", domains: ["technology"] });
		expect((await platform.request("GET", "/companies", { token: other.token })).status).toBe(200);
	});

	it("limits anonymous callers per IP, but never the health probes", async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 7; i++) statuses.push((await platform.request("GET", "/openapi.json")).status);
		expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
		for (let i = 0; i < 5; i++) expect((await platform.request("GET", "/health/live")).status).toBe(200);
	});

	it("counts anonymous callers by socket address, ignoring X-Forwarded-For unless TRUST_PROXY is set", async () => {
		// the budget of /docs for this address: 6 per minute
		const spoofed: number[] = [];
		for (let i = 0; i < 7; i++) spoofed.push((await platform.request("GET", "/docs", { headers: { "x-forwarded-for": `10.0.0.${i}` } })).status);
		expect(spoofed[6]).toBe(429);
		const proxied = await startPlatform({ env: { RATE_LIMIT_ANONYMOUS: "2", TRUST_PROXY: "true" } });
		try {
			const from = (ip: string) => proxied.request("GET", "/docs", { headers: { "x-forwarded-for": `${ip}, 172.16.0.1` } });
			expect([(await from("198.51.100.1")).status, (await from("198.51.100.1")).status, (await from("198.51.100.1")).status]).toEqual([200, 200, 429]);
			expect((await from("198.51.100.2")).status).toBe(200);
		} finally {
			await proxied.stop();
		}
	});

	it("gives the premium tier its own, larger limit", async () => {
		const { token } = await platform.createUser(admin, { username: "vip", role: "viewer", domains: ["technology"], tier: "premium" });
		const statuses: number[] = [];
		for (let i = 0; i < 9; i++) statuses.push((await platform.request("GET", "/companies", { token })).status);
		expect(statuses.filter(s => s === 200)).toHaveLength(8);
		expect(statuses[8]).toBe(429);
	});
});

describe("configuration", () => {
	it("is each broker's own, read as it starts: two platforms configured differently serve side by side in one process", async () => {
		const [strict, loose] = await Promise.all([
			startPlatform({ env: { RATE_LIMIT_DEFAULT: "2", RATE_LIMIT_PREMIUM: "2", JWT_EXPIRATION: "600" } }),
			startPlatform({ env: { RATE_LIMIT_DEFAULT: "1000", RATE_LIMIT_PREMIUM: "1000", JWT_EXPIRATION: "1200" } }),
		]);
		try {
			// the auth service's setting
			const logins = await Promise.all([strict, loose].map(p => p.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })));
			expect(logins.map(l => l.body.expires_in)).toEqual([600, 1200]);
			// the gateway's: the same requests, each platform's own budget
			const statuses = async (p: Platform) => {
				const seen: number[] = [];
				for (let i = 0; i < 3; i++) seen.push((await p.request("GET", "/flags", { token: logins[p === strict ? 0 : 1].body.token })).status);
				return seen;
			};
			expect(await statuses(strict)).toEqual([200, 200, 429]);
			expect(await statuses(loose)).toEqual([200, 200, 200]);
			expect((await loose.request("GET", "/flags", { token: logins[1].body.token })).headers.get("x-ratelimit-limit")).toBe("1000");
		} finally {
			await Promise.all([strict.stop(), loose.stop()]);
		}
	});
});

describe("restart on the same DATA_DIR", () => {
	it("keeps data, tokens, refresh tokens and revocations", async () => {
		const dataDir = tempDataDir();
		let platform = await startPlatform({ dataDir });
		const login = (await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body;
		const revoked = await platform.login("admin", ADMIN_PASSWORD);
		await platform.request("POST", "/auth/logout", { token: revoked });
		const company = (await platform.request("POST", "/companies", { token: login.token, body: { name: "Durable", industry: "technology" } })).body;
		await platform.stop();

		// a different admin password on restart must not matter: bootstrap only runs with no users
		platform = await startPlatform({ dataDir, env: { BIZOPS_ADMIN_PASSWORD: "some-other-password" } });
		try {
			expect((await platform.request("GET", `/companies/${company.id}`, { token: login.token })).body.name).toBe("Durable");
			expect((await platform.request("GET", "/auth/me", { token: revoked })).status).toBe(401);
			expect((await platform.request("POST", "/auth/refresh", { body: { refresh_token: login.refresh_token } })).status).toBe(200);
			await expect(platform.login("admin", ADMIN_PASSWORD)).resolves.toEqual(expect.any(String));
		} finally {
			await platform.stop();
		}
	});
});

describe("the embedded store's files", () => {
	it("are readable by their owner only: the folder 0700, every file 0600, also after a compaction", async () => {
		const dataDir = path.join(tempDataDir(), "store");
		fs.mkdirSync(dataDir, { mode: 0o755 });
		fs.chmodSync(dataDir, 0o755);
		// the shipped data sets registered, as npm start does: their files are blobs
		const platform = await startPlatform({ dataDir, env: { ML_SHIPPED_DATASETS: "true" } });
		try {
			const token = await platform.login("admin", ADMIN_PASSWORD);
			await platform.request("POST", "/companies", { token, body: { name: "Private Co", industry: "technology" } });
			const users: any = platform.broker.getLocalService("auth");
			await new Promise<void>(resolve => {
				users.adapter.db.once("compaction.done", () => resolve());
				void users.adapter.db.compactDatafileAsync();
			});
			await new Promise(r => setTimeout(r, 50));
			expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
			const files = fs.readdirSync(dataDir);
			expect(files).toEqual(expect.arrayContaining(["users.db", "companies.db", "jwt.secret", "blobs"]));
			// the ML data sets and artifacts (blobs/): the folder 0700, each blob 0600, like the rest
			const blobs = fs.readdirSync(path.join(dataDir, "blobs")).map(f => path.join("blobs", f));
			expect(blobs.length).toBeGreaterThan(0);
			for (const f of [...files, ...blobs]) {
				const stat = fs.statSync(path.join(dataDir, f));
				expect([f, stat.mode & 0o777]).toEqual([f, stat.isDirectory() ? 0o700 : 0o600]);
			}
		} finally {
			await platform.stop();
		}
	});
});

describe("feature flags", () => {
	let platform: Platform;
	let admin: string;
	beforeAll(async () => {
		platform = await startPlatform();
		admin = await platform.login("admin", ADMIN_PASSWORD);
	});
	afterAll(() => platform.stop());

	it("seeds the flags of config/feature_flags.yaml and evaluates them for the caller", async () => {
		const list = await platform.request("GET", "/flags", { token: admin });
		expect(list.status).toBe(200);
		expect(list.body).toMatchObject({ total: 2, page: 1, page_size: 20, total_pages: 1 });
		expect(list.body.rows.map((f: { name: string }) => f.name)).toEqual(["portfolio_analysis", "sec_import"]);
		const mine = await platform.request("GET", "/flags/evaluate", { token: admin });
		expect(mine.body).toMatchObject({ sec_import: true });
	});

	it("lets only a super_admin change a flag, and the change is seen at once", async () => {
		const { token } = await platform.createUser(admin, { username: "flag-viewer", role: "viewer", domains: ["*"] });
		expect((await platform.request("PUT", "/flags/sec_import", { token, body: { enabled: false } })).status).toBe(403);
		expect((await platform.request("GET", "/flags", { token })).status).toBe(403);
		expect((await platform.request("GET", "/flags/evaluate", { token })).body.sec_import).toBe(true);
		const off = await platform.request("PUT", "/flags/sec_import", { token: admin, body: { enabled: false } });
		expect(off.status).toBe(200);
		expect((await platform.request("GET", "/flags/evaluate", { token })).body.sec_import).toBe(false);
		const me = (await platform.request("GET", "/auth/me", { token })).body;
		await platform.request("PUT", "/flags/sec_import", { token: admin, body: { enabled: true, rollout_percentage: 0, whitelist: [me.username] } });
		expect((await platform.request("GET", "/flags/evaluate", { token })).body.sec_import).toBe(true);
		expect((await platform.request("GET", "/flags/evaluate", { token: admin })).body.sec_import).toBe(false);
	});

	it("422 for a bad flag change, including a day that does not exist or a ramp that ends before it starts", async () => {
		const res = await platform.request("PUT", "/flags/sec_import", { token: admin, body: { rollout_percentage: 150, colour: "red" } });
		expect(res.status).toBe(422);
		const feb30 = await platform.request("PUT", "/flags/sec_import", { token: admin, body: { gradual_rollout: { start: "2021-02-30", end: "2021-03-30" } } });
		expect(feb30.status).toBe(422);
		expect(feb30.body.data[0].field).toBe("gradual_rollout.start");
		const backwards = await platform.request("PUT", "/flags/sec_import", { token: admin, body: { gradual_rollout: { start: "2027-01-01T00:00:00Z", end: "2026-01-01" } } });
		expect(backwards.status).toBe(422);
		const ramp = await platform.request("PUT", "/flags/sec_import", { token: admin, body: { gradual_rollout: { start: "2026-01-01", end: "2026-12-31T12:00:00+02:00" } } });
		expect(ramp.status).toBe(200);
		expect(ramp.body.gradual_rollout).toEqual({ start: "2026-01-01T00:00:00.000Z", end: "2026-12-31T10:00:00.000Z" });
		await platform.request("PUT", "/flags/sec_import", { token: admin, body: { gradual_rollout: null } });
	});

	it("never creates a flag by changing or reading one: unknown flags are a 404, creation is a POST", async () => {
		const before = (await platform.request("GET", "/flags", { token: admin })).body.total;
		const typo = await platform.request("PUT", "/flags/sec_imprt", { token: admin, body: { enabled: false } });
		expect(typo.status).toBe(404);
		expect(typo.body.message).toMatch(/sec_imprt/);
		expect((await platform.request("GET", "/flags/sec_imprt", { token: admin })).status).toBe(404);
		expect((await platform.request("GET", "/flags", { token: admin })).body.total).toBe(before);

		const read = await platform.request("GET", "/flags/sec_import", { token: admin });
		expect(read.status).toBe(200);
		expect((await platform.request("GET", "/flags/sec_import", { token: admin })).body.updated_at).toBe(read.body.updated_at);

		const created = await platform.request("POST", "/flags", { token: admin, body: { name: "new_reports", description: "Reports v2", enabled: true, rollout_percentage: 10 } });
		expect(created.status).toBe(201);
		expect(created.headers.get("location")).toBe("/api/v1/flags/new_reports");
		expect(created.body).toMatchObject({ name: "new_reports", enabled: true, rollout_percentage: 10, whitelist: [] });
		expect((await platform.request("POST", "/flags", { token: admin, body: { name: "new_reports" } })).status).toBe(409);
		expect((await platform.request("GET", "/flags", { token: admin })).body.total).toBe(before + 1);
		const { token } = await platform.createUser(admin, { username: "flag-maker", role: "domain_admin", domains: ["*"] });
		expect((await platform.request("POST", "/flags", { token, body: { name: "mine" } })).status).toBe(403);
	});
});

describe("the embedded platform's REPL (npm run start:repl)", () => {
	it("acts as the operator for Moleculer's own call, and reads a flag without writing it", async () => {
		const repl = spawn("npm", ["run", "--silent", "start:repl"], {
			cwd: path.resolve(__dirname, "../.."),
			env: { ...process.env, NODE_ENV: "test", PORT: "0", DATA_DIR: tempDataDir(), BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: "warn" },
			stdio: ["pipe", "pipe", "pipe"],
			detached: true,
		});
		let out = "";
		repl.stdout.on("data", d => (out += d));
		repl.stderr.on("data", d => (out += d));
		const until = async (what: string, re: RegExp) => {
			for (let i = 0; i < 150 && !re.test(out); i++) await new Promise(r => setTimeout(r, 100));
			if (!re.test(out)) throw new Error(`no ${what} in:\n${out.slice(-2000)}`);
		};
		try {
			await until("prompt", /bizops \$/);
			repl.stdin.write("call companies.list\n");
			await until("list", /total_pages/);
			expect(out).not.toMatch(/Authentication required/);
			repl.stdin.write("flags sec_imprt --off\n");
			await until("flag answer", /flags sec_imprt: .*not found/i);
		} finally {
			try {
				process.kill(-repl.pid!, "SIGKILL");
			} catch {
				/* gone */
			}
		}
	}, 30000);
});

/** The value of one series in a Prometheus text scrape (the node's own labels aside), or NaN when it is not there. */
function sample(text: string, name: string, labels: Record<string, string>): number {
	for (const line of text.split("\n")) {
		const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
		if (!m || m[1] !== name) continue;
		const found = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map(l => [l[1], l[2]]));
		const { namespace: _ns, nodeID: _node, ...own } = found;
		if (JSON.stringify(Object.entries(own).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(m[3]);
	}
	return NaN;
}

describe("metrics", () => {
	it("export every business counter at 0 from the start, count a rejected import as rejected, and export every metric the dashboard and alerts read", async () => {
		const port = String(30000 + Math.floor(Math.random() * 2000));
		const platform = await startPlatform({ env: { METRICS_ENABLED: "true", METRICS_PORT: port } });
		try {
			const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
			const before = await scrape();
			for (const [name, labels] of [
				["bizops_logins_failed_total", {}],
				["bizops_sec_imports_total", { outcome: "rejected" }],
				["bizops_sec_imports_total", { outcome: "imported" }],
				["bizops_analyses_computed_total", { industry: "healthcare" }],
				["bizops_ml_training_jobs_total", { model_type: "dense", outcome: "failed" }],
				["bizops_ml_alias_changes_total", { alias: "production", action: "rollback" }],
				["bizops_workflow_steps_total", { step: "risk", outcome: "retried" }],
				["bizops_requests_rate_limited_total", { endpoint: "GET /api/v1/companies" }],
				["bizops_workflows_oldest_running_seconds", {}],
			] as const)
				expect(sample(before, name, labels)).toBe(0);
			expect(sample(before, "bizops_audit_appends_total", {})).toBeGreaterThanOrEqual(0);

			const token = await platform.login("admin", ADMIN_PASSWORD);
			const co = (await platform.request("POST", "/companies", { token, body: { name: "Imported badly", industry: "technology" } })).body;
			expect((await platform.request("POST", `/companies/${co.id}/import/sec`, { token, rawBody: "{not json" })).status).toBe(400);
			expect((await platform.request("POST", `/companies/${co.id}/import/sec`, { token, body: { cik: 1, facts: {} } })).status).toBe(422);
			// a statement's company review: each step counted once, and its events appended to the audit trail
			const appended = sample(await scrape(), "bizops_audit_appends_total", {});
			await platform.request("POST", `/companies/${co.id}/statements`, { token, body: annualStatement("2023-12-31") });
			await eventually(
				"the review's steps counted",
				async () => scrape(),
				text => ["analysis", "risk", "compliance", "swot"].every(step => sample(text, "bizops_workflow_steps_total", { step, outcome: "succeeded" }) === 1),
			);
			await platform.request("GET", "/health/ready");
			const after = await scrape();
			expect(sample(after, "bizops_audit_appends_total", {})).toBeGreaterThan(appended);
			expect(sample(after, "bizops_sec_imports_total", { outcome: "rejected" })).toBe(2);
			const exported = new Set([...after.matchAll(/^([a-z_]+)(?:\{| )/gm)].map(m => m[1]));
			// a model's predicted rows are exported from when a prediction node serves it: none here (ml-distress.spec.ts checks it)
			expect(monitoredMetricNames().filter(name => !exported.has(name))).toEqual(["bizops_ml_predicted_rows_total"]);
		} finally {
			await platform.stop();
		}
	});

	it("count and time every action and every HTTP request by route and status, and count errors by code", async () => {
		const port = String(30000 + Math.floor(Math.random() * 2000)); // below the ephemeral range
		const platform = await startPlatform({ env: { METRICS_ENABLED: "true", METRICS_PORT: port } });
		try {
			const token = await platform.login("admin", ADMIN_PASSWORD);
			const co = (await platform.request("POST", "/companies", { token, body: { name: "Metered", industry: "technology" } })).body;
			// the creation's audit entry and its fold into the overview are written first: a write anywhere clears the
			// gateway's answer cache, and these come a moment after the creation's answer
			await eventually(
				"the creation folded into the overview",
				async () =>
					((await platform.broker.call("overview.projection", { company_id: co.id }, { meta: { user: servicePrincipal("overview") } })) as { seq: number } | null)?.seq ??
					0,
				seq => seq > 0,
			);
			for (let i = 0; i < 3; i++) await platform.request("GET", `/companies/${co.id}`, { token });
			await platform.request("GET", "/companies/does-not-exist", { token });
			const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
			const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
			expect(value(/^bizops_http_duration_bucket\{[^}]*method="GET",route="\/api\/v1\/companies\/:id",status="200",le="\+Inf"\} (\d+)$/m)).toBe(3);
			expect(value(/^bizops_http_duration_bucket\{[^}]*method="GET",route="\/api\/v1\/companies\/:id",status="404",le="\+Inf"\} (\d+)$/m)).toBe(1);
			// the first read and the 404 reach the action; the two repeats are answered by the gateway's answer cache
			expect(value(/^bizops_action_duration_bucket\{[^}]*action="companies.get",le="\+Inf"\} (\d+)$/m)).toBe(2);
			expect(value(/^bizops_action_errors_total\{[^}]*action="companies.get",code="404"\} (\d+)$/m)).toBe(1);
			// the gateway's own handler is measured per request above, not per action
			expect(text).not.toMatch(/action="api\.rest"/);
			// histograms carry _sum and _count (the +Inf bucket's count), for averages and rates (issue 21, item 10)
			expect(value(/^bizops_http_duration_count\{[^}]*method="GET",route="\/api\/v1\/companies\/:id",status="200"\} (\d+)$/m)).toBe(3);
			expect(value(/^bizops_http_duration_sum\{[^}]*method="GET",route="\/api\/v1\/companies\/:id",status="200"\} ([\d.]+)$/m)).toBeGreaterThan(0);
			expect(value(/^bizops_action_duration_count\{[^}]*action="companies.get"\} (\d+)$/m)).toBe(2);
			// _total is a counter's suffix: no gauge carries it
			const gauges = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map(m => m[1]);
			expect(gauges).toContain("moleculer_registry_nodes_online");
			expect(gauges.filter(name => name.endsWith("_total"))).toEqual([]);
		} finally {
			await platform.stop();
		}
	});
});
