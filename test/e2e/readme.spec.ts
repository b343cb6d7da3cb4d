/**
 * The README's API examples run as written, in order, in a fresh shell (bash, curl and node, as a user has
 * them): the company's id is taken from the create answer, each step prints what it got; a failed login stops
 * the script with its message before anything is written.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
const MARKER = "<!-- run as written, in order, by test/e2e/readme.spec.ts -->";
const script = /```bash\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(MARKER)))![1];

let platform: Platform;
beforeAll(async () => {
	platform = await startPlatform();
});
afterAll(() => platform.stop());

/** Runs the script in a fresh bash (no profile), asynchronously: the platform answers in this process. */
function runScript(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise(resolve => {
		const child = spawn("bash", ["--noprofile", "--norc", "-c", script], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", ...env } });
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", d => (stdout += d));
		child.stderr.on("data", d => (stderr += d));
		child.on("close", code => resolve({ code, stdout, stderr }));
	});
}

describe("the README's examples", () => {
	it("are found in the README (the block after the marker)", () => {
		expect(readme).toContain(MARKER);
		expect(script).toMatch(/^set -euo pipefail/);
	});

	it("run in order: log in, create a company, post two statements, read its analysis, the list and the overview", async () => {
		const res = await runScript({ API: `${platform.url}/api/v1`, BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
		expect(res.stderr).toBe("");
		expect(res.code).toBe(0);
		const [first, second, scores, total, statements] = res.stdout.trim().split("\n");
		expect([first, second]).toEqual(["2023-12-31", "2024-12-31"]);
		expect(JSON.parse(scores)).toMatchObject({ altman: { zone: expect.any(String) }, piotroski: { score: expect.any(Number) } });
		expect(total).toBe("1");
		// folded from the audit trail a moment after the statements: one of them, or none yet
		expect(["2024-12-31", "2023-12-31", null]).toContain(JSON.parse(statements).latest_period_end);
		// what the script made is there
		const token = await platform.login("admin", ADMIN_PASSWORD);
		const companies = (await platform.request("GET", "/companies?ticker=ACME", { token })).body.rows;
		expect(companies).toHaveLength(1);
		expect((await platform.request("GET", `/companies/${companies[0].id}/statements`, { token })).body.total).toBe(2);
	});

	it("stop at a failed login with its message, writing nothing", async () => {
		const res = await runScript({ API: `${platform.url}/api/v1`, BIZOPS_ADMIN_PASSWORD: "not-the-password" });
		expect(res.code).not.toBe(0);
		expect(res.stderr.trim()).toBe("401 INVALID_CREDENTIALS: Invalid username or password");
		expect(res.stdout).toBe("");
	});
});
