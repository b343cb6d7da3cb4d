/**
 * Reports across real processes on NATS, Redis and MongoDB (CongoDB, files in GridFS): a reports node killed
 * mid-job leaves its report to another node, which makes it once; a schedule kept by two reports nodes makes one
 * report per firing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ADMIN_PASSWORD } from "../helpers/platform";
import { clusterPrerequisites, freePort, http, startCongo, startNats, startNode, startRedis, waitFor, type NodeProc, type Proc } from "../helpers/cluster";

const missing = clusterPrerequisites() ?? (spawnSync("pdftotext", ["-v"]).status === 0 ? null : "pdftotext (poppler-utils) is not installed");
if (missing && process.env.CI) throw new Error(`Reports cluster suite cannot run in CI: ${missing}`);
if (missing) console.warn(`\n!!!!!!!! SKIPPING the reports cluster e2e suite: ${missing} (it runs, and must pass, in CI) !!!!!!!!\n`);
const describeCluster = missing ? describe.skip : describe;

jest.setTimeout(240_000);

/** Companies in the portfolio: enough that a report takes a while to read and render, so a kill lands mid-job. */
const COMPANIES = 300;

describeCluster("reports on NATS, Redis and MongoDB", () => {
	let servers: Proc[] = [];
	const nodes: NodeProc[] = [];
	let gw: NodeProc;
	let env: Record<string, string>;
	let admin: string;
	const ids: string[] = [];

	beforeAll(async () => {
		const [natsPort, redisPort, mongoPort] = [freePort(), freePort(), freePort()];
		servers = await Promise.all([
			startNats(natsPort, { storeDir: fs.mkdtempSync(path.join(os.tmpdir(), "bizops-nats-")) }),
			startRedis(redisPort),
			startCongo(mongoPort, fs.mkdtempSync(path.join(os.tmpdir(), "bizops-congo-"))),
		]);
		env = {
			NAMESPACE: `reports-${process.pid}`,
			TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
			CACHER: `redis://127.0.0.1:${redisPort}`,
			MONGO_URI: `mongodb://127.0.0.1:${mongoPort}/bizops`,
			JWT_SECRET_KEY: "reports-cluster-secret-reports-cluster",
			BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
			RATE_LIMIT_DEFAULT: "100000",
			ML_DEFAULT_MODEL: "false",
			// a killed reports node's job is taken over 4 s after its last heartbeat
			REPORTS_JOB_LEASE_MS: "4000",
		};
		nodes.push(await startNode("core", "auth,companies,flags,audit,overview,finance,domains,risk,compliance,strategy", env));
		[gw] = await Promise.all([startNode("gw", "api", env), startNode("rep1", "reports", env).then(n => nodes.push(n))]);
		nodes.push(gw);
		await waitFor("the gateway sees the reports service", async () => (await http(gw.url!, "GET", "/health/ready")).body.services?.reports);
		admin = (await http(gw.url!, "POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body.token;
		for (let i = 0; i < COMPANIES; i += 20) {
			const created = await Promise.all(
				Array.from({ length: Math.min(20, COMPANIES - i) }, (_, j) =>
					http(gw.url!, "POST", "/companies", { token: admin, body: { name: `Cluster company ${String(i + j).padStart(3, "0")}`, industry: "manufacturing" } }),
				),
			);
			ids.push(...created.map(c => c.body.id as string));
		}
	}, 240_000);

	afterAll(async () => {
		await Promise.all(nodes.map(n => n.stop(5000)));
		await Promise.all(servers.map(s => s.stop(3000)));
	}, 60_000);

	const reportOf = async (id: string) => (await http(gw.url!, "GET", `/reports/${id}`, { token: admin })).body;

	it("finishes a report whose node was killed mid-job on another node, once", async () => {
		const rep1 = nodes.find(n => n.name === "rep1")!;
		let taken: string | null = null;
		// the kill must land while rep1 holds the job: a job finished before it is tried again (a warm node is faster)
		for (let attempt = 0; attempt < 3 && !taken; attempt++) {
			const queued = await http(gw.url!, "POST", "/reports", { token: admin, body: { kind: "portfolio", scope: { company_ids: ids }, format: "pdf" } });
			expect(queued.status).toBe(202);
			const seen = await waitFor(
				"the report on rep1",
				async () => {
					const r = await reportOf(queued.body.id);
					return (r.state === "running" && r.node === "rep1") || r.state === "succeeded" ? r : null;
				},
				60_000,
				20,
			);
			if (seen.state === "running") {
				await rep1.kill();
				taken = queued.body.id;
			}
		}
		expect(taken).not.toBeNull();
		nodes.push(await startNode("rep2", "reports", env));
		const done = await waitFor(
			"the report made by rep2",
			async () => {
				const r = await reportOf(taken!);
				return ["succeeded", "failed"].includes(r.state) ? r : null;
			},
			120_000,
			250,
		);
		expect(done).toMatchObject({ state: "succeeded", node: "rep2", attempts: 2, progress: 1 });
		const file = await fetch(`${gw.url}/reports/${taken}/file`, { headers: { authorization: `Bearer ${admin}` } });
		expect(file.status).toBe(200);
		const body = Buffer.from(await file.arrayBuffer());
		expect(createHash("sha256").update(body).digest("hex")).toBe(done.file.sha256);
		const pdf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-cluster-report-")), "r.pdf");
		fs.writeFileSync(pdf, body);
		const text = execFileSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
		expect(text).toContain("Companies in scope");
		expect(text).toContain("Cluster company 000");
		expect(text).toContain(`Cluster company ${String(COMPANIES - 1).padStart(3, "0")}`);
	});

	it("makes one report per firing of a schedule that two reports nodes keep", async () => {
		nodes.push(await startNode("rep3", "reports", env));
		const created = await http(gw.url!, "POST", "/report-schedules", {
			token: admin,
			body: { name: "Every two seconds", kind: "company", company_id: ids[0], format: "xlsx", cron: "*/2 * * * * *" },
		});
		expect(created.status).toBe(201);
		const runs = await waitFor(
			"four runs",
			async () => {
				const listed = (await http(gw.url!, "GET", `/reports?schedule_id=${created.body.id}&page_size=100`, { token: admin })).body;
				return listed.rows.filter((r: { state: string }) => r.state === "succeeded").length >= 4 ? listed.rows : null;
			},
			60_000,
			250,
		);
		const firings = runs.map((r: { fired_at: string }) => r.fired_at);
		expect(new Set(firings).size).toBe(firings.length);
		expect(firings.every((f: string) => new Date(f).getUTCSeconds() % 2 === 0)).toBe(true);
		expect((await http(gw.url!, "DELETE", `/report-schedules/${created.body.id}`, { token: admin })).status).toBe(200);
	});
});
