/**
 * The operator commands (repl/), run against a platform as the REPL runs them: tables, not JSON dumps; scores
 * with their scale; cache-clear refuses a service that does not exist; the risk, compliance, workflow, ML and
 * audit commands; a failing command is one line, never a stack trace.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { formatTable } from "../../repl/format";
import { loadReplCommands, operatorView } from "../../repl";
import { annualStatement } from "../helpers/fixtures";
import { startNode, type NodeProc } from "../helpers/cluster";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let companyId: string;
const commands = loadReplCommands();

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	companyId = (await platform.request("POST", "/companies", { token: admin, body: { name: "Console Works", industry: "manufacturing", ticker: "CONW" } })).body.id;
	await platform.request("POST", `/companies/${companyId}/compliance/evaluate`, { token: admin, body: { regulation_type: "iso_9001" } });
	for (const year of [2021, 2022, 2023])
		await platform.request("POST", `/companies/${companyId}/statements`, { token: admin, body: annualStatement(`${year}-12-31`, { revenue: 1600 + 200 * (year - 2021) }) });
	await eventually(
		"the reviews done",
		() => platform.request("GET", `/workflows?company_id=${companyId}&state=succeeded`, { token: admin }),
		r => r.body.total === 3,
		300,
		50,
	);
});
afterAll(() => platform.stop());

/** What a command prints, as the REPL would run it (on the operator's view of the broker). */
async function run(name: string, args: Record<string, unknown> = {}): Promise<string> {
	const command = commands.find(c => c.command.split(" ")[0] === name)!;
	const lines: string[] = [];
	const spy = jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
	try {
		await command.action(operatorView(platform.broker), { options: {}, ...args }, {});
	} finally {
		spy.mockRestore();
	}
	return lines.join("\n");
}

const noJson = (out: string) => expect(out).not.toMatch(/^\s*[{}[\]]/m);

describe("the operator commands", () => {
	it("formatTable pads columns under a header and a rule", () => {
		expect(
			formatTable([
				{ a: "x", bb: 10 },
				{ a: "longer", bb: null },
			]),
		).toBe(["a       bb", "------  --", "x       10", "longer  -"].join("\n"));
		expect(formatTable([])).toBe("(none)");
	});

	it("health: the nodes and their services as a table, then readiness and warnings", async () => {
		const out = await run("health");
		expect(out).toMatch(new RegExp(`^${platform.broker.nodeID} \\(this\\)\\s+yes\\s+.*\\bfinance\\b`, "m"));
		expect(out).toMatch(/^readiness\s+ready$/m);
		expect(out).toMatch(/^no warnings$/m);
		noJson(out);
	});

	it("company: by ticker, with each score on its scale", async () => {
		const out = await run("company", { idOrTicker: "conw" });
		const a = (await platform.request("GET", `/companies/${companyId}/analysis`, { token: admin })).body;
		const symbol = { z: "Z", z_prime: "Z′", z_double_prime: "Z″" }[a.scores.altman.primary as "z"];
		expect(out).toMatch(/^name\s+Console Works$/m);
		expect(out.split("\n")).toContain(`Altman          ${symbol} ${a.scores.altman[a.scores.altman.primary].toFixed(2)} ${a.scores.altman.zone}`);
		expect(out.split("\n")).toContain(`Piotroski F     ${a.scores.piotroski.score} / ${a.scores.piotroski.signals_available}`);
		expect(out).toMatch(/^net margin\s+\d+\.\d %$/m);
		noJson(out);
		expect(await run("company", { idOrTicker: "NOPE" })).toBe("no company 'NOPE' (give its id or ticker)");
	});

	it("risk, compliance and workflows of a company as tables", async () => {
		const risk = await run("risk", { idOrTicker: "CONW" });
		for (const type of ["credit_distress", "leverage", "liquidity", "profitability"])
			expect(risk).toMatch(new RegExp(`^${type}\\s+automatic\\s+-\\s+\\d+\\.\\d\\s+(low|medium|high|critical)\\s+2023-12-31`, "m"));
		const compliance = await run("compliance", { idOrTicker: "CONW" });
		expect(compliance).toMatch(/^regulation\s+status\s+violations\s+assessed\s+next review$/m);
		expect(compliance).toMatch(/^iso_9001\s+(compliant|partially_compliant|non_compliant|not_assessed)\s+\d+/m);
		const workflows = await run("workflows", { idOrTicker: companyId });
		expect(workflows.split("\n").filter(l => /\ssucceeded\s+analysis succeeded, risk succeeded, compliance succeeded, swot succeeded\s/.test(l))).toHaveLength(3);
		for (const out of [risk, compliance, workflows]) noJson(out);
	});

	it("ml-models and ml-jobs list the registry and the training queue", async () => {
		const created = await platform.request("POST", "/ml/models", { token: admin, body: { name: "console-lr", domain: "manufacturing", model_type: "logistic_regression" } });
		expect(created.status).toBe(201);
		expect(await run("ml-models")).toMatch(new RegExp(`^${created.body.id}\\s+console-lr\\s+logistic_regression\\s+manufacturing\\s+-\\s+-\\s+`, "m"));
		expect(await run("ml-jobs", { modelId: created.body.id })).toBe("(none)");
		// every job, without naming a model (issue 21, item 14)
		const dataset = await platform.request("POST", "/ml/datasets", {
			token: admin,
			body: { name: "console-set", domain: "manufacturing", format: "csv", label: "y", content: "a,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n7,0\n8,1\n9,0\n10,1\n" },
		});
		const job = await platform.request("POST", `/ml/models/${created.body.id}/train`, {
			token: admin,
			body: { dataset_id: dataset.body.id, hyperparameters: { max_iterations: 1 } },
		});
		expect(job.status).toBe(202);
		expect(await run("ml-jobs")).toMatch(new RegExp(`^${job.body.id}\\s+${created.body.id}\\s+`, "m"));
	});

	it("backup writes a backup that backup-verify accepts, and names the file changed in one that was altered", async () => {
		const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-repl-backup-")), "backup");
		expect(await run("backup", { dir })).toMatch(/^backed up \d+ collections \(\d+ documents\) and \d+ blobs to .*; audit chain head \d+$/);
		expect(await run("backup-verify", { dir })).toMatch(/^backup in .* verifies: \d+ collections, made .*, audit chain head \d+$/);
		fs.appendFileSync(path.join(dir, "collections/companies.ndjson"), "{}\n");
		expect(await run("backup-verify", { dir })).toMatch(/does NOT verify:\n- collections\/companies\.ndjson: its SHA-256 is not the manifest's/);
	});

	it("encryption shows the keys and the re-encryption; encryption-rotate makes new data keys", async () => {
		expect(await run("encryption")).toMatch(
			/^key-encryption key \S+: 0 days old, 1 in the key file\ndata keys: \d+ active over \d+ scopes; wrapped by \S+\nre-encryption: none/,
		);
		const rotated = await run("encryption-rotate", { scope: "platform" });
		expect(rotated).toMatch(/^rotated: platform\/v2\n/);
		expect(rotated).toMatch(/re-encryption: waiting/);
	});

	it("audit-verify says whether the chain is intact", async () => {
		expect(await run("audit-verify")).toMatch(/^audit trail intact: \d+ entries checked, head at \d+$/);
	});

	it("cache-clear refuses a service that does not exist, and clears one that does", async () => {
		const refused = await run("cache-clear", { service: "financ" });
		expect(refused).toMatch(/^unknown service 'financ' \(services: .*\bfinance\b.*\): nothing cleared$/);
		expect(await run("cache-clear", { service: "finance" })).toBe("cleared: finance");
	});

	it("a failing command prints one line, not a stack trace", async () => {
		const risk = platform.broker.getLocalService("risk")!;
		await platform.broker.destroyService(risk);
		const out = await run("risk", { idOrTicker: "CONW" });
		expect(out.split("\n")).toHaveLength(1);
		expect(out).toMatch(/^error( \d+)?: /);
		expect(out).not.toMatch(/\n\s+at /);
	});
});

describe("npm run repl beside a running npm start (embedded)", () => {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-repl-"));
	let node: NodeProc;
	beforeAll(async () => {
		node = await startNode("embedded-repl", "api,auth,companies,flags", { DATA_DIR: dataDir, BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD });
	}, 60_000);
	afterAll(() => node?.stop(5000));

	/** `npm run repl` with `lines` typed in, one after another once the prompt is back; its screen and exit code. */
	function replSession(env: Record<string, string>, lines: string[]): Promise<{ code: number | null; out: string }> {
		return new Promise(resolve => {
			const child = spawn("npm", ["run", "repl", "--silent"], { cwd: path.resolve(__dirname, "../.."), env: { ...process.env, NODE_ENV: "test", ...env }, stdio: "pipe" });
			let out = "";
			let prompts = 0;
			const onOutput = (chunk: Buffer) => {
				out += chunk.toString();
				// each prompt: the next line, then the end of input
				const seen = out.split("bizops $").length - 1;
				while (prompts < seen) {
					const next = lines[prompts++];
					if (next === undefined) child.stdin.end();
					else child.stdin.write(`${next}\n`);
				}
			};
			child.stdout.on("data", onOutput);
			child.stderr.on("data", onOutput);
			child.on("exit", code => resolve({ code, out }));
		});
	}

	it("attaches through the platform's local socket: health shows its node and services, cache-clear reaches them", async () => {
		const journal = path.join(dataDir, "channels", "journal.jsonl");
		const before = fs.statSync(journal).ino;
		const { code, out } = await replSession({ DATA_DIR: dataDir }, ["health", "cache-clear companies"]);
		// the REPL runs no channels: the platform's journal is the file the platform appends to, not rewritten under it
		expect(fs.statSync(journal).ino).toBe(before);
		expect(code).toBe(0);
		expect(out).toMatch(/^embedded-repl\s+yes\s+api, auth, companies, flags$/m);
		expect(out).toMatch(/^transporter\s+local$/m);
		expect(out).toMatch(/^(bizops \$ )?cleared: companies$/m);
		// the REPL's own start-up lines stay out of the operator's way
		expect(out).not.toMatch(/INFO/);
	}, 60_000);

	it("is the platform's only door: the socket is the user's alone, and a connection without the token is closed", async () => {
		const socket = path.join(dataDir, "bizops.sock");
		expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
		expect(fs.statSync(path.join(dataDir, "repl.token")).mode & 0o777).toBe(0o600);
		const closed = await new Promise<boolean>(resolve => {
			const c = net.connect(socket, () => {
				const topic = Buffer.from("$hello");
				const token = Buffer.alloc(32, 7);
				const head = Buffer.alloc(5);
				head.writeUInt32BE(1 + topic.length + token.length, 0);
				head.writeUInt8(topic.length, 4);
				c.write(Buffer.concat([head, topic, token]));
			});
			c.on("close", () => resolve(true));
			setTimeout(() => resolve(false), 5000).unref();
		});
		expect(closed).toBe(true);
		expect(node.log.some(l => /a connection without the token was refused/.test(l))).toBe(true);
		// a first frame announcing megabytes is not waited for: closed on its length alone
		const oversized = await new Promise<boolean>(resolve => {
			const c = net.connect(socket, () => {
				const head = Buffer.alloc(4);
				head.writeUInt32BE(50 * 1024 * 1024, 0);
				c.write(head);
			});
			c.on("close", () => resolve(true));
			setTimeout(() => resolve(false), 2000).unref();
		});
		expect(oversized).toBe(true);
	});

	it("with LOCAL_SOCKET=false the platform opens no socket, and readiness says there is no transporter", async () => {
		const quiet = await startPlatform({ env: { LOCAL_SOCKET: "false" } });
		try {
			expect((await quiet.request("GET", "/health/ready")).body).toMatchObject({ status: "ready", transporter: "none" });
			expect(fs.readdirSync(quiet.dataDir).filter(f => f === "bizops.sock" || f === "repl.token")).toEqual([]);
		} finally {
			await quiet.stop();
		}
		expect((await platform.request("GET", "/health/ready")).body.transporter).toBe("local");
	});

	it("says where no platform runs, and how to start one", async () => {
		const empty = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-repl-none-"));
		const { code, out } = await replSession({ DATA_DIR: empty }, []);
		expect(code).toBe(1);
		expect(out).toMatch(/No platform is running on .*bizops-repl-none-.*: start it with `npm start`/);
	}, 30_000);
});
