/**
 * Backup and restore (issue 26, docs/operations.md "Backup and restore"), as an operator runs them (`npm run backup`,
 * `npm run restore`) on the embedded store and on MongoDB (CongoDB): backup → wipe → restore gives the same API
 * answers, the same files and an audit chain that verifies with the same head; a backup changed afterwards, or a
 * store that holds data, is refused before anything is written.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MongoClient } from "mongodb";
import { annualStatement } from "../helpers/fixtures";
import { freePort, startCongo, type Proc } from "../helpers/cluster";
import { ADMIN_PASSWORD, eventually, startPlatform, tempDataDir, type Platform } from "../helpers/platform";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");
const SERVICES = ["api", "auth", "companies", "flags", "finance", "domains", "risk", "compliance", "strategy", "orchestrator", "overview", "audit", "reports"];

/** `npm run backup` / `npm run restore` as an operator types them, with the store's settings in the environment. */
function npm(script: "backup" | "restore", args: string[], env: Record<string, string>) {
	const run = spawnSync("npm", ["run", "--silent", script, "--", ...args], {
		cwd: ROOT,
		env: { ...process.env, NODE_ENV: "test", ...env },
		encoding: "utf8",
		timeout: 60_000,
	});
	return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

/** What a user reads of the platform: the answers a restore must give back. */
async function answers(platform: Platform) {
	const token = await platform.login("admin", ADMIN_PASSWORD);
	const get = async (p: string) => (await platform.request("GET", p, { token })).body;
	const companies = (await get("/companies?sort=name")).rows;
	const id = companies[0].id;
	const reports = (await get("/reports")).rows;
	const file = await fetch(`${platform.url}/api/v1/reports/${reports[0].id}/file`, { headers: { authorization: `Bearer ${token}` } });
	return {
		companies,
		statements: (await get(`/companies/${id}/statements`)).rows,
		analysis: await get(`/companies/${id}/analysis`),
		overview: await get(`/companies/${id}/overview`),
		report: {
			status: file.status,
			sha256: createHash("sha256")
				.update(Buffer.from(await file.arrayBuffer()))
				.digest("hex"),
			listed: reports[0].file.sha256,
		},
		audit: await get("/audit/verify"),
		/** The chain's entry at `seq` as the export gives it: its hash. */
		hashAt: async (seq: number) => {
			const res = await fetch(`${platform.url}/api/v1/audit/export?after_seq=${seq - 1}&limit=1`, { headers: { authorization: `Bearer ${token}` } });
			return JSON.parse((await res.text()).trim())["bizops.chain.hash"] as string;
		},
	};
}

/**
 * The restored platform answers as the backed-up one did, its report file is the same bytes, and its chain verifies
 * and holds the backed-up head (the sign-in that read it is one entry after).
 */
async function sameAnswers(after: Awaited<ReturnType<typeof answers>>, before: Awaited<ReturnType<typeof answers>>) {
	expect(after.audit).toMatchObject({ ok: true, head_seq: before.audit.head_seq + 1 });
	expect(await after.hashAt(before.audit.head_seq)).toBe(before.audit.head_hash);
	expect(after.report).toEqual(before.report);
	expect(after.report.sha256).toBe(before.report.listed);
	for (const read of ["companies", "statements", "analysis", "overview"] as const) expect(after[read]).toEqual(before[read]);
}

/** A platform with a company, its statements reviewed and a report made. */
async function populate(platform: Platform) {
	const token = await platform.login("admin", ADMIN_PASSWORD);
	const co = (await platform.request("POST", "/companies", { token, body: { name: "Backed Up Co", industry: "manufacturing", ticker: "BKUP" } })).body;
	for (const year of [2022, 2023]) expect((await platform.request("POST", `/companies/${co.id}/statements`, { token, body: annualStatement(`${year}-12-31`) })).status).toBe(201);
	await eventually(
		"the reviews",
		async () => (await platform.request("GET", `/workflows?company_id=${co.id}&state=succeeded`, { token })).body.total,
		n => n === 2,
		400,
		50,
	);
	const report = (await platform.request("POST", "/reports", { token, body: { kind: "company", company_id: co.id, format: "xlsx" } })).body;
	await eventually(
		"the report",
		async () => (await platform.request("GET", `/reports/${report.id}`, { token })).body.state,
		s => s === "succeeded",
		400,
		50,
	);
	// the overview has folded every entry so far
	const head = (await platform.request("GET", "/audit/verify", { token })).body.head_seq;
	await eventually(
		"the overview folded",
		async () => (await platform.request("GET", `/companies/${co.id}/overview`, { token })).body.as_of?.seq,
		seq => seq >= head - 5,
		200,
		50,
	);
}

describe("backup and restore", () => {
	it("of the embedded store: the same answers, files and audit head after a wipe; a changed backup is refused", async () => {
		const dataDir = tempDataDir();
		const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-backup-")), "backup");
		const env = { DATA_DIR: dataDir, MONGO_URI: "" };
		let platform = await startPlatform({ dataDir, services: SERVICES, env: { ML_DEFAULT_MODEL: "false" } });
		await populate(platform);
		const before = await answers(platform);
		await platform.stop();

		const made = npm("backup", ["--out", out], env);
		expect(made.status).toBe(0);
		expect(made.out).toMatch(/Backed up \d+ collections .* and 1 blobs of the embedded store/);
		const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
		expect(manifest).toMatchObject({ format: "bizops-backup/1", store: "embedded", audit: { head_seq: before.audit.head_seq, head_hash: before.audit.head_hash } });
		expect(manifest.collections.companies).toMatchObject({ count: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
		expect(fs.existsSync(path.join(out, "collections/jwt.secret"))).toBe(false);

		// into a store that holds data: refused
		const refused = npm("restore", [out], env);
		expect(refused.status).toBe(1);
		expect(refused.out).toMatch(/holds data .*pass --replace/);

		fs.rmSync(dataDir, { recursive: true, force: true });
		expect(npm("restore", [out], env).status).toBe(0);
		platform = await startPlatform({ dataDir, services: SERVICES, env: { ML_DEFAULT_MODEL: "false" } });
		try {
			await sameAnswers(await answers(platform), before);
		} finally {
			await platform.stop();
		}

		// a backup changed after it was made: refused, naming the file, and nothing written
		const companies = path.join(out, "collections/companies.ndjson");
		fs.writeFileSync(companies, fs.readFileSync(companies, "utf8").replace("Backed Up Co", "Changed Co"));
		const fresh = tempDataDir();
		const tampered = npm("restore", [out], { DATA_DIR: fresh, MONGO_URI: "" });
		expect(tampered.status).toBe(1);
		expect(tampered.out).toMatch(/does not verify, nothing restored:\n- collections\/companies\.ndjson: its SHA-256 is not the manifest's/);
		expect(fs.readdirSync(fresh).filter(f => f.endsWith(".db"))).toEqual([]);
	});

	describe("of MongoDB", () => {
		let congo: Proc;
		let uri: string;
		beforeAll(async () => {
			const port = freePort();
			congo = await startCongo(port, fs.mkdtempSync(path.join(os.tmpdir(), "bizops-congo-")));
			uri = `mongodb://127.0.0.1:${port}/bizops`;
		});
		afterAll(() => congo.stop(3000));

		it("gives the same answers, files in GridFS and audit head after the database is dropped", async () => {
			const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-backup-")), "backup");
			let platform = await startPlatform({ services: SERVICES, env: { MONGO_URI: uri, ML_DEFAULT_MODEL: "false" } });
			await populate(platform);
			const before = await answers(platform);
			await platform.stop();

			const made = npm("backup", ["--out", out], { MONGO_URI: uri });
			expect(made.status).toBe(0);
			expect(made.out).toMatch(/of the mongodb store/);
			const client = await new MongoClient(uri).connect();
			await client.db().dropDatabase();
			await client.close();
			const restored = npm("restore", [out], { MONGO_URI: uri });
			expect(restored.out).toMatch(/^Restored/);
			platform = await startPlatform({ services: SERVICES, env: { MONGO_URI: uri, ML_DEFAULT_MODEL: "false" } });
			try {
				await sameAnswers(await answers(platform), before);
			} finally {
				await platform.stop();
			}
		});
	});

	it("over the API: a super_admin writes one under BACKUP_DIR, lists it, verifies it; a changed file is named; nobody else may", async () => {
		const platform = await startPlatform({ services: SERVICES, env: { ML_DEFAULT_MODEL: "false" } });
		try {
			const token = await platform.login("admin", ADMIN_PASSWORD);
			await platform.request("POST", "/companies", { token, body: { name: "Backed Up Co", industry: "technology" } });
			const analyst = await platform.createUser(token, { username: "backup-analyst", role: "analyst", domains: ["technology"] });
			expect((await platform.request("POST", "/backups", { token: analyst.token, body: {} })).status).toBe(403);
			const made = await platform.request("POST", "/backups", { token, body: {} });
			expect(made.status).toBe(201);
			expect(made.headers.get("location")).toBe(`/api/v1/backups/${made.body.name}`);
			expect((await platform.request("GET", `/backups/${made.body.name}`, { token })).body).toEqual(made.body);
			expect(made.body).toMatchObject({
				name: expect.stringMatching(/^backup-\d{8}T\d{6}Z$/),
				store: "embedded",
				documents: expect.any(Number),
				audit_head_seq: expect.any(Number),
			});
			const listed = (await platform.request("GET", "/backups", { token })).body;
			expect(listed.rows.map((b: { name: string }) => b.name)).toEqual([made.body.name]);
			expect(listed.folder).toBe(`${platform.dataDir}-backups`);
			expect((await platform.request("POST", `/backups/${made.body.name}/verify`, { token })).body).toEqual({ name: made.body.name, ok: true, problems: [] });
			fs.appendFileSync(path.join(listed.folder, made.body.name, "collections", "companies.ndjson"), "{}\n");
			const changed = (await platform.request("POST", `/backups/${made.body.name}/verify`, { token })).body;
			expect(changed.ok).toBe(false);
			expect(changed.problems.join("\n")).toMatch(/companies\.ndjson: its SHA-256 is not the manifest's/);
			// a name is a backup's name, never a path
			expect((await platform.request("POST", "/backups/..%2F..%2Fetc/verify", { token })).status).toBe(422);
			expect((await platform.request("POST", "/backups/backup-20000101T000000Z/verify", { token })).status).toBe(404);
			// the backup is in the trail
			await eventually(
				"the backup's entry",
				async () => (await platform.request("GET", "/audit?action=auth.backup.created", { token })).body.rows as Array<{ entity: { id: string } }>,
				rows => rows.some(r => r.entity.id === made.body.name),
				100,
				50,
			);
		} finally {
			await platform.stop();
		}
	});
});
