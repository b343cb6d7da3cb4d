/**
 * Logs for a log shipper (issue 26, docs/operations.md "Logs"): `npm start` in production mode (NATS with
 * credentials, MongoDB, Redis) writes nothing but JSON lines in the Elastic Common Schema, and one request's id is
 * on the lines of every service the request reached; no token or password is written.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { ADMIN_PASSWORD } from "../helpers/platform";
import { clusterPrerequisites, freePort, http, startCongo, startNats, startRedis, waitFor, type Proc } from "../helpers/cluster";

const missing = clusterPrerequisites();
if (missing && process.env.CI) throw new Error(`Logs suite cannot run in CI: ${missing}`);
if (missing) console.warn(`\n!!!!!!!! SKIPPING the production logs e2e suite: ${missing} (it runs, and must pass, in CI) !!!!!!!!\n`);
const describeServers = missing ? describe.skip : describe;

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");
const JWT_SECRET = "logs-suite-secret-logs-suite-secret-0123";
const NATS_PASSWORD = "logs-suite-nats-password";

describeServers("JSON logs of npm start in production", () => {
	let servers: Proc[] = [];
	let node: ReturnType<typeof spawn>;
	const stdout: string[] = [];
	const stderr: string[] = [];
	let api: string;

	beforeAll(async () => {
		const [natsPort, redisPort, mongoPort, port] = [freePort(), freePort(), freePort(), freePort()];
		servers = await Promise.all([
			startNats(natsPort, { user: "bizops", password: NATS_PASSWORD, storeDir: fs.mkdtempSync(path.join(os.tmpdir(), "bizops-nats-")) }),
			startRedis(redisPort),
			startCongo(mongoPort, fs.mkdtempSync(path.join(os.tmpdir(), "bizops-congo-"))),
		]);
		node = spawn("npm", ["start", "--silent"], {
			cwd: ROOT,
			detached: true,
			env: {
				...process.env,
				NODE_ENV: "production",
				LOG_LEVEL: "debug",
				NAMESPACE: `logs-${process.pid}`,
				NODE_ID: "logs-node",
				PORT: String(port),
				HEALTH_PORT: String(freePort()),
				METRICS_PORT: String(freePort()),
				DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "bizops-logs-")),
				TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
				NATS_USER: "bizops",
				NATS_PASSWORD,
				CACHER: `redis://127.0.0.1:${redisPort}`,
				MONGO_URI: `mongodb://127.0.0.1:${mongoPort}/bizops`,
				JAEGER_HOST: "127.0.0.1",
				JWT_SECRET_KEY: JWT_SECRET,
				BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
				ML_DEFAULT_MODEL: "false",
				// production's integration nodes refuse to start without it (SEC's fair-access rules)
				SEC_USER_AGENT: "Bizops Tests tests@example.com",
			},
			stdio: ["ignore", "pipe", "pipe"],
		});
		readline.createInterface({ input: node.stdout! }).on("line", line => stdout.push(line));
		readline.createInterface({ input: node.stderr! }).on("line", line => stderr.push(line));
		api = `http://127.0.0.1:${port}/api/v1`;
		await waitFor(
			"the platform ready",
			async () => {
				if (node.exitCode != null) throw new Error(`npm start exited (${node.exitCode}):\n${[...stdout.slice(-5), ...stderr.slice(-10)].join("\n")}`);
				return (await http(api, "GET", "/health/ready")).status === 200;
			},
			90_000,
			250,
		);
	}, 120_000);

	afterAll(async () => {
		if (node?.pid && node.exitCode == null && node.signalCode == null) {
			const exited = new Promise(resolve => node.once("exit", resolve));
			try {
				process.kill(-node.pid, "SIGTERM");
			} catch {
				/* gone */
			}
			await exited;
		}
		await Promise.all(servers.map(s => s.stop(3000)));
	}, 60_000);

	it("writes every line as JSON with the ECS fields, and one request's id on every service it reached", async () => {
		const login = await http(api, "POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } });
		expect(login.status).toBe(200);
		const token = login.body.token as string;
		const requestId = `logs-test-${process.pid}`;
		const res = await fetch(`${api}/companies`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-request-id": requestId },
			body: JSON.stringify({ name: "Logged Co", industry: "technology" }),
		});
		expect(res.status).toBe(201);
		expect(res.headers.get("x-request-id")).toBe(requestId);
		const lines = await waitFor(
			"the request's lines from the gateway and the companies service",
			async () => {
				const mine = stdout.map(l => JSON.parse(l) as Record<string, unknown>).filter(l => l["http.request.id"] === requestId);
				const services = new Set(mine.map(l => l["service.name"]));
				return services.has("api") && services.has("companies") ? mine : null;
			},
			20_000,
		);
		// every line of stdout and stderr so far is a JSON object with the ECS fields
		expect(stderr).toEqual([]);
		expect(stdout.length).toBeGreaterThan(20);
		for (const line of stdout) {
			const entry = JSON.parse(line) as Record<string, unknown>;
			expect(entry).toMatchObject({ "ecs.version": expect.any(String), "log.level": expect.any(String), "service.name": expect.any(String), message: expect.any(String) });
			expect(Number.isNaN(Date.parse(entry["@timestamp"] as string))).toBe(false);
			expect(entry["service.environment"]).toBe("production");
		}
		// the request's own fields: its id as the trace id, the action, the user
		const created = lines.find(l => l["event.action"] === "companies.create")!;
		expect(created).toMatchObject({ "trace.id": requestId, "user.name": "admin", "service.node.name": "logs-node" });
		// secrets never: the access token, the refresh token, the JWT and NATS secrets, the admin's password
		const all = stdout.join("\n") + stderr.join("\n");
		for (const secret of [token, login.body.refresh_token as string, JWT_SECRET, NATS_PASSWORD, ADMIN_PASSWORD]) expect(all).not.toContain(secret);
	});
});
