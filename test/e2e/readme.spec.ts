/**
 * The README's API examples run as written, in order, in a fresh shell (bash, curl and node, as a user has
 * them): the company's id is taken from the answers, each step prints what it got, the ML example trains,
 * deploys and predicts; run twice, the second run reuses what the first made; a failed login or a missing
 * password stops the script with a message that says what to do, before anything is written. And the log of
 * `npm start` through all of it (the default model's first training included) fits on one screen with nothing
 * an operator would not want to read (issue 21, items 8 and 17).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";
import { clusterPrerequisites, http, startNode, waitFor, type NodeProc } from "../helpers/cluster";

const ROOT = path.resolve(__dirname, "../..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const MARKER = "<!-- run as written, in order, by test/e2e/readme.spec.ts -->";
const ML_MARKER = "<!-- run as written, after the block above (its API, AUTH and field), by test/e2e/readme.spec.ts -->";
const blockAfter = (marker: string) => /```bash\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(marker)))![1];
const script = blockAfter(MARKER);
const mlScript = blockAfter(ML_MARKER);

jest.setTimeout(120_000);

let platform: Platform;
beforeAll(async () => {
	platform = await startPlatform();
});
afterAll(() => platform.stop());

/** Runs the script in a fresh bash (no profile) from the project's folder, asynchronously: the platform answers in this process. */
function runScript(text: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise(resolve => {
		const child = spawn("bash", ["--noprofile", "--norc", "-c", text], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", ...env } });
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", d => (stdout += d));
		child.stderr.on("data", d => (stderr += d));
		child.on("close", code => resolve({ code, stdout, stderr }));
	});
}

describe("the README's examples", () => {
	it("are found in the README (the blocks after the markers)", () => {
		expect(readme).toContain(MARKER);
		expect(readme).toContain(ML_MARKER);
		expect(script).toMatch(/^set -euo pipefail/);
	});

	it("run in order: log in, create a company, post two statements, read its analysis, the list and the overview; then train, deploy and predict", async () => {
		const res = await runScript(script + mlScript, { API: `${platform.url}/api/v1`, BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
		expect(res.stderr).toBe("");
		expect(res.code).toBe(0);
		const [first, second, scores, total, statements, rocAuc, deployed, label] = res.stdout.trim().split("\n");
		expect([first, second]).toEqual(["2023-12-31", "2024-12-31"]);
		expect(JSON.parse(scores)).toMatchObject({ altman: { zone: expect.any(String) }, piotroski: { score: expect.any(Number) } });
		expect(total).toBe("1");
		// folded from the audit trail a moment after the statements: one of them, or none yet
		expect(["2024-12-31", "2023-12-31", null]).toContain(JSON.parse(statements).latest_period_end);
		expect(Number(rocAuc)).toBeGreaterThan(0.8);
		expect(deployed).toBe("1");
		expect(["0", "1"]).toContain(label);
		// what the script made is there
		const token = await platform.login("admin", ADMIN_PASSWORD);
		const companies = (await platform.request("GET", "/companies?ticker=ACME", { token })).body.rows;
		expect(companies).toHaveLength(1);
		expect((await platform.request("GET", `/companies/${companies[0].id}/statements`, { token })).body.total).toBe(2);
	});

	it("run again, reusing what the first run made", async () => {
		const res = await runScript(script + mlScript, { API: `${platform.url}/api/v1`, BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
		expect(res.stderr).toBe("");
		expect(res.code).toBe(0);
		const lines = res.stdout.trim().split("\n");
		expect(lines.slice(0, 2)).toEqual(["2023-12-31", "2024-12-31"]);
		expect(lines[3]).toBe("1");
		// a second version of the same model, to production
		expect(lines[6]).toBe("2");
		const token = await platform.login("admin", ADMIN_PASSWORD);
		expect((await platform.request("GET", "/companies?ticker=ACME", { token })).body.total).toBe(1);
		expect((await platform.request("GET", "/ml/datasets?name=my-set", { token })).body.total).toBe(1);
	});

	it("stop at a failed login with its message, writing nothing", async () => {
		const res = await runScript(script, { API: `${platform.url}/api/v1`, BIZOPS_ADMIN_PASSWORD: "not-the-password" });
		expect(res.code).not.toBe(0);
		expect(res.stderr.trim()).toBe("401 INVALID_CREDENTIALS: Invalid username or password");
		expect(res.stdout).toBe("");
	});

	it("say what to set when the password is not given, and where the platform should be when it is not there, without a stack trace", async () => {
		const unset = await runScript(script, { API: `${platform.url}/api/v1` });
		expect(unset.code).not.toBe(0);
		expect(unset.stderr).toMatch(/BIZOPS_ADMIN_PASSWORD: set it to the admin password/);
		expect(unset.stderr).not.toMatch(/\n\s+at /);
		const nowhere = await runScript(script, { API: "http://127.0.0.1:9/api/v1", BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
		expect(nowhere.code).not.toBe(0);
		expect(nowhere.stderr.trim()).toBe("no JSON answer: is the platform running, and API right?");
	});
});

const missing = clusterPrerequisites();
if (missing && process.env.CI) throw new Error(`the log check cannot run in CI: ${missing}`);
if (missing) console.warn(`\n!!!!!!!! SKIPPING the npm start log check: ${missing} (it runs, and must pass, in CI) !!!!!!!!\n`);
const describeProcess = missing ? describe.skip : describe;

describeProcess("the log of npm start", () => {
	let node: NodeProc;
	afterAll(() => node?.stop(5000));

	it("fits on one screen through the start, the default model's first training, the walk-through and a training job, with nothing an operator would not read", async () => {
		// every service, as npm start runs them, at the default log level, training the default model on first start
		const services = fs
			.readdirSync(path.join(ROOT, "services"))
			.filter(f => f.endsWith(".service.ts"))
			.map(f => f.replace(/\.service\.ts$/, ""))
			.join(",");
		node = await startNode("logs", services, { LOG_LEVEL: "info", ML_SHIPPED_DATASETS: "true", ML_DEFAULT_MODEL: "true", BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
		const admin = (await http(node.url!, "POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body.token;
		await waitFor(
			"the default model in production",
			async () => (await http(node.url!, "GET", "/ml/models?name=distress", { token: admin })).body.rows?.[0]?.aliases?.production === 1,
			60_000,
		);
		const res = await runScript(script + mlScript, { API: node.url!, BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
		expect(res.code).toBe(0);
		const log = node.log.filter(line => line.trim());
		expect(log.length).toBeLessThanOrEqual(30);
		const noise = [
			/DEP0174|DeprecationWarning/,
			/wasm streaming|falling back to ArrayBuffer/,
			/service is registered|Service '.*' started/,
			/Register route|=> |Generate aliases/,
			/is not registered/,
			/vnone/,
		];
		expect(log.filter(line => noise.some(re => re.test(line)))).toEqual([]);
		// what an operator does want: the node up, the platform started, each training job, each model moved to production
		for (const wanted of [
			/API Gateway listening on/,
			/started successfully/,
			/Training job \S+ of model 'distress' .*succeeded/,
			/Model 'distress' \(shared\): v1 in production/,
			/Training job \S+ of model 'bankruptcy-gbt' .*succeeded/,
			/Model 'bankruptcy-gbt' \(manufacturing\): v1 in production/,
		])
			expect(log.some(line => wanted.test(line))).toBe(true);
	});
});
