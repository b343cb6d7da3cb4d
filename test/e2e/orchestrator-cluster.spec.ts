/**
 * The company review across real processes (NATS JetStream, MongoDB): the orchestrator node is killed while a
 * workflow waits on a step, another orchestrator node takes the workflow over once its lease lapses and
 * finishes it, without running again the steps that had finished.
 */
import fs from "fs";
import os from "os";
import path from "path";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD } from "../helpers/platform";
import { clusterPrerequisites, freePort, startCongo, startNats, startNode, waitFor, type NodeProc, type Proc, http } from "../helpers/cluster";

const missing = clusterPrerequisites();
if (missing && process.env.CI) throw new Error(`orchestrator cluster suite cannot run in CI: ${missing}`);
if (missing) console.warn(`\n!!!!!!!! SKIPPING the orchestrator cluster suite: ${missing} (it runs, and must pass, in CI) !!!!!!!!\n`);
const describeCluster = missing ? describe.skip : describe;

jest.setTimeout(150_000);

describeCluster("the company review on real processes", () => {
	let servers: Proc[] = [];
	const nodes: NodeProc[] = [];
	let env: Record<string, string>;

	beforeAll(async () => {
		const [natsPort, mongoPort] = [freePort(), freePort()];
		servers = await Promise.all([
			startNats(natsPort, { storeDir: fs.mkdtempSync(path.join(os.tmpdir(), "bizops-nats-")) }),
			startCongo(mongoPort, fs.mkdtempSync(path.join(os.tmpdir(), "bizops-congo-"))),
		]);
		env = {
			NAMESPACE: `orch-${process.pid}`,
			TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
			MONGO_URI: `mongodb://127.0.0.1:${mongoPort}/bizops`,
			JWT_SECRET_KEY: "orchestrator-cluster-secret-orchestrator",
			BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
			RATE_LIMIT_DEFAULT: "100000",
			// the SWOT step waits (retrying every 2 s) while no strategy node runs; a dead node's run is taken over after 3 s
			WORKFLOW_MAX_ATTEMPTS: "30",
			WORKFLOW_RETRY_BASE_MS: "2000",
			WORKFLOW_LEASE_MS: "3000",
		};
		nodes.push(await startNode("core", "auth,companies,flags,finance,domains,risk,compliance", env));
		nodes.push(await startNode("gw", "api", env), await startNode("orch1", "orchestrator", env));
	}, 120_000);

	afterAll(async () => {
		await Promise.all(nodes.map(n => n.stop(5000)));
		await Promise.all(servers.map(s => s.stop(3000)));
	}, 60_000);

	it("finishes a workflow whose orchestrator node was killed, without repeating its finished steps", async () => {
		const gw = nodes.find(n => n.name === "gw")!.url!;
		const admin = (await http(gw, "POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body.token;
		const company = (await http(gw, "POST", "/companies", { token: admin, body: { name: "Killed Review Co", industry: "manufacturing" } })).body.id;
		expect((await http(gw, "POST", `/companies/${company}/statements`, { token: admin, body: annualStatement("2023-12-31") })).status).toBe(201);
		// analysis, risk and compliance done; the SWOT step retrying while no strategy node runs
		const waiting = await waitFor(
			"the review waiting on its SWOT step",
			async () => {
				const wf = (await http(gw, "GET", `/workflows?company_id=${company}`, { token: admin })).body.rows?.[0];
				return wf?.steps[3].attempts >= 1 && wf.steps.slice(0, 3).every((s: { state: string }) => s.state === "succeeded") ? wf : null;
			},
			60_000,
		);
		expect(waiting).toMatchObject({ state: "running", node: "orch1" });
		await nodes.find(n => n.name === "orch1")!.kill();
		nodes.push(await startNode("strategy", "strategy", env), await startNode("orch2", "orchestrator", env));
		const done = await waitFor(
			"the review finished by orch2",
			async () => {
				const wf = (await http(gw, "GET", `/workflows/${waiting.id}`, { token: admin })).body;
				return wf.state === "succeeded" || wf.state === "failed" ? wf : null;
			},
			60_000,
		);
		expect(done).toMatchObject({ state: "succeeded", node: "orch2" });
		// the steps that had finished on orch1 ran once; the SWOT step succeeded on orch2
		expect(done.steps.map((s: { name: string; attempts: number; state: string }) => [s.name, s.state, s.attempts])).toEqual([
			["analysis", "succeeded", 1],
			["risk", "succeeded", 1],
			["compliance", "succeeded", 1],
			["swot", "succeeded", expect.any(Number)],
		]);
		expect(done.steps[0].finished_at).toBe(waiting.steps[0].finished_at);
		expect(done.steps[3].result.plan_id).toBeTruthy();
	});
});
