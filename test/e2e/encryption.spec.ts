/**
 * Encryption at rest (issue 26; docs/security.md "Encryption at rest"): no plaintext of a declared field in any
 * file of the embedded store after writing known markers, while the API answers them; data keys rotated under
 * concurrent writes with every record readable afterwards and none lost; a person erased by crypto-shredding leaves
 * no marker on disk and a chain that still verifies.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { newKekEntry, readKekFile, writeKekFile } from "../../lib/keyring";
import { ADMIN_PASSWORD, eventually, PERSON_RECORD_SERVICES, startPlatform, tempDataDir, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let companyId: string;

beforeAll(async () => {
	platform = await startPlatform({ services: PERSON_RECORD_SERVICES, env: { ML_DEFAULT_MODEL: "false", ML_SHIPPED_DATASETS: "false" } });
	admin = await platform.login("admin", ADMIN_PASSWORD);
	companyId = (await platform.request("POST", "/companies", { token: admin, body: { name: "Cipher Co", industry: "technology" } })).body.id;
});
afterAll(() => platform.stop());

/** Every file under the data folder that holds `marker` (the embedded store: collections, blobs, journal). */
function filesHolding(dir: string, marker: string): string[] {
	const found: string[] = [];
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const file = path.join(dir, entry.name);
		if (entry.isDirectory()) found.push(...filesHolding(file, marker));
		else if (entry.isFile() && fs.readFileSync(file).includes(Buffer.from(marker))) found.push(path.relative(platform.dataDir, file));
	}
	return found;
}

/** The company's SOC 2 record, attested by `token`'s user with `evidence`. */
async function attest(token: string, evidence: string): Promise<string> {
	const record = await platform.request("POST", `/companies/${companyId}/compliance/evaluate`, { token, body: { regulation_type: "soc2" } });
	expect(record.status).toBe(200);
	const today = new Date().toISOString().slice(0, 10);
	const attested = await platform.request("PATCH", `/compliance-records/${record.body.id}/attestations/type2_report`, {
		token,
		body: { answer: true, evidence, effective_date: today },
	});
	expect(attested.status).toBe(200);
	return record.body.id;
}

/** A compliance record of the company as `token`'s user reads it. */
const recordOf = async (token: string, id: string) =>
	((await platform.request("GET", `/companies/${companyId}/compliance-records`, { token })).body.rows as Array<{ id: string; attestations: Record<string, unknown> }>).find(
		r => r.id === id,
	)!;

const risk = (token: string, title: string, extra: Record<string, unknown> = {}) =>
	platform.request("POST", `/companies/${companyId}/risk-assessments`, { token, body: { risk_type: "operational", title, likelihood: 2, impact: 3, ...extra } });

describe("encryption at rest", () => {
	it("stores no plaintext of a declared field anywhere in the embedded store, and answers it decrypted", async () => {
		const m = "mk7Q2x"; // marker stem: each field gets its own
		const person = await platform.createUser(admin, { username: `enc-${m}-person`, role: "analyst", domains: ["technology"] });
		const created = await risk(person.token, `title-${m}`, { mitigation_strategies: [`mitigation-${m}`], treatment: { strategy: "mitigate", owner: `owner-${m}` } });
		expect(created.status).toBe(201);
		const plan = await platform.request("POST", `/companies/${companyId}/strategic-plans`, {
			token: person.token,
			body: {
				title: "Cipher plan",
				objectives: [{ title: "Grow", key_results: [{ description: "margin", start: 0, target: 1 }] }],
				action_plan: [{ title: `action-${m}`, owner: `actionowner-${m}` }],
			},
		});
		expect(plan.status).toBe(201);
		const o = plan.body.objectives[0];
		const checkIn = await platform.request("POST", `/strategic-plans/${plan.body.id}/objectives/${o.id}/key-results/${o.key_results[0].id}/check-ins`, {
			token: person.token,
			body: { value: 0.5, note: `note-${m}` },
		});
		expect(checkIn.status).toBe(201);
		const recordId = await attest(person.token, `evidence-${m}`);
		const key = await platform.request("POST", "/auth/api-keys", { token: admin, body: { name: `keyname-${m}`, role: "viewer", domains: ["technology"] } });
		expect(key.status).toBe(201);
		// a report file (a blob) holding the risk's title
		const report = (await platform.request("POST", "/reports", { token: person.token, body: { kind: "company", company_id: companyId, format: "xlsx" } })).body;
		await eventually(
			"the report",
			async () => (await platform.request("GET", `/reports/${report.id}`, { token: person.token })).body.state,
			s => s === "succeeded",
			300,
			50,
		);
		await eventually(
			"the person's entries in the trail",
			async () => (await platform.request("GET", `/audit?actor=enc-${m}-person`, { token: admin })).body.total,
			n => n >= 3,
			200,
			50,
		);

		// the API answers every value decrypted
		const read = (await platform.request("GET", `/risk-assessments/${created.body.id}`, { token: person.token })).body;
		expect(read).toMatchObject({ title: `title-${m}`, mitigation_strategies: [`mitigation-${m}`], treatment: { owner: `owner-${m}` } });
		const planRead = (await platform.request("GET", `/strategic-plans/${plan.body.id}`, { token: person.token })).body;
		expect(planRead.action_plan[0]).toMatchObject({ title: `action-${m}`, owner: `actionowner-${m}` });
		expect(planRead.objectives[0].key_results[0].check_ins[0]).toMatchObject({ note: `note-${m}` });
		expect((await platform.request("GET", "/auth/api-keys", { token: admin })).body.rows.map((k: { name: string }) => k.name)).toContain(`keyname-${m}`);
		const record = await recordOf(person.token, recordId);
		expect(record.attestations.type2_report).toMatchObject({ evidence: `evidence-${m}`, by: person.id });
		const trail = (await platform.request("GET", `/audit?actor=enc-${m}-person`, { token: admin })).body.rows;
		expect(trail.every((e: { actor: { username: string } }) => e.actor.username === `enc-${m}-person`)).toBe(true);

		// on disk: none of them, in any file: the records, the audit trail's payloads, the overview, blobs, the channel journal
		for (const field of ["title", "mitigation", "owner", "action", "actionowner", "note", "keyname", "evidence"])
			expect([field, filesHolding(platform.dataDir, `${field}-${m}`)]).toEqual([field, []]);
		// the actor's name is sealed in the trail (usernames stay as account identifiers in created_by, docs/security.md)
		expect(filesHolding(platform.dataDir, `enc-${m}-person`)).not.toContain("audit_log.db");
		// and what encrypts them is in the store only wrapped, the key-encryption key outside the data folder
		const keyFile = process.env.ENCRYPTION_KEY_FILE!;
		const kek = JSON.parse(fs.readFileSync(keyFile, "utf8")).keys[0].key as string;
		expect(filesHolding(platform.dataDir, kek)).toEqual([]);
		expect(path.relative(platform.dataDir, keyFile).startsWith("..")).toBe(true);
	});

	it("rotates the data keys under concurrent writes: every record readable afterwards, none lost, all under the new keys", async () => {
		const analyst = await platform.createUser(admin, { username: "enc-rotator", role: "analyst", domains: ["technology"] });
		const before = await Promise.all(Array.from({ length: 20 }, (_, i) => risk(analyst.token, `before-${i}`)));
		expect(before.every(r => r.status === 201)).toBe(true);
		// writes keep coming while the keys rotate and the background pass runs
		let writing = true;
		const during: string[] = [];
		const writer = (async () => {
			for (let i = 0; writing; i++) {
				const r = await risk(analyst.token, `during-${i}`);
				expect(r.status).toBe(201);
				during.push(r.body.id);
			}
		})();
		const rotated = await platform.request("POST", "/encryption/rotate", { token: admin, body: {} });
		expect(rotated.status).toBe(202);
		expect(rotated.body.rotated).toContain("domain:technology/v2");
		const done = await eventually(
			"the re-encryption",
			async () => (await platform.request("GET", "/encryption", { token: admin })).body,
			s => s.reencryption.state === "done" || s.reencryption.state === "failed",
			600,
			50,
		);
		writing = false;
		await writer;
		expect(done.reencryption).toMatchObject({ state: "done", error: null });
		expect(done.reencryption.progress["risk/risk_assessments"].rewritten).toBeGreaterThanOrEqual(20);
		// nested values too: the first test's plan (action items, check-in notes) and its check-in row
		expect(done.reencryption.progress["strategy/strategic_plans"].rewritten).toBeGreaterThanOrEqual(1);
		expect(done.reencryption.progress["strategy/strategic_plan_check_ins"].rewritten).toBeGreaterThanOrEqual(1);
		expect(done.data_keys.by_state.retired).toBeGreaterThanOrEqual(2);
		expect(during.length).toBeGreaterThan(0);

		// every record reads back; none was lost
		const all = [...before.map(r => r.body.id), ...during];
		for (const id of all) expect((await platform.request("GET", `/risk-assessments/${id}`, { token: analyst.token })).status).toBe(200);
		for (const [i, r] of before.entries()) expect((await platform.request("GET", `/risk-assessments/${r.body.id}`, { token: analyst.token })).body.title).toBe(`before-${i}`);
		// on disk, the records' values are under the new domain key
		const live = fs
			.readFileSync(path.join(platform.dataDir, "risk_assessments.db"), "utf8")
			.split("\n")
			.filter(Boolean)
			.map(l => JSON.parse(l));
		const latest = new Map(live.map(d => [d._id, d]));
		const kids = [...latest.values()].filter(d => d.title?.kid).map(d => d.title.kid as string);
		expect(new Set(kids)).toEqual(new Set(["domain:technology/v2"]));
		expect(kids.length).toBeGreaterThanOrEqual(20);
		// and the status endpoint is a super_admin's
		expect((await platform.request("GET", "/encryption", { token: analyst.token })).status).toBe(403);
	});

	it("erases a person by crypto-shredding: no marker left on disk, [erased] everywhere it was, the chain still verifies", async () => {
		const name = "erase-zq81-person";
		const person = await platform.createUser(admin, { username: name, role: "analyst", domains: ["technology"] });
		const assessed = await risk(person.token, "Erasure test risk", { treatment: { strategy: "mitigate", owner: name } });
		expect(assessed.status).toBe(201);
		const plan = await platform.request("POST", `/companies/${companyId}/strategic-plans`, { token: person.token, body: { title: "Erasure plan" } });
		expect(plan.status).toBe(201);
		await platform.request("POST", `/strategic-plans/${plan.body.id}/transitions`, { token: person.token, body: { to: "under_review", reason: "ready" } });
		const recordId = await attest(person.token, "Auditor's report of 2026");
		// an access request finds the attestation, though who attested is encrypted (a scan)
		const mine = (await platform.request("GET", `/users/${person.id}/personal-data`, { token: person.token })).body;
		expect(mine.records.compliance.rows.map((r: { id: string }) => r.id)).toEqual([recordId]);
		await eventually(
			"their entries",
			async () => (await platform.request("GET", `/audit?actor=${name}`, { token: admin })).body.total,
			n => n >= 3,
			200,
			50,
		);

		expect((await platform.request("POST", `/users/${person.id}/erase`, { token: person.token })).status).toBe(403);
		const erased = await platform.request("POST", `/users/${person.id}/erase`, { token: admin });
		expect(erased.status).toBe(200);
		expect(erased.body).toMatchObject({ id: person.id, erased: true });

		expect(filesHolding(platform.dataDir, name)).toEqual([]);
		// what named them names [erased]; the trail's entries of their doing are there, their name unreadable
		const r = (await platform.request("GET", `/risk-assessments/${assessed.body.id}`, { token: admin })).body;
		expect(r).toMatchObject({ created_by: "[erased]", treatment: { owner: "[erased]" } });
		expect((await recordOf(admin, recordId)).attestations.type2_report).toMatchObject({
			by: "[erased]",
			evidence: "Auditor's report of 2026",
		});
		const p = (await platform.request("GET", `/strategic-plans/${plan.body.id}`, { token: admin })).body;
		expect(p.created_by).toBe("[erased]");
		expect(p.transitions.map((t: { by: string }) => t.by)).toEqual(["[erased]"]);
		const entries = await eventually(
			"the erasure's entry",
			async () => (await platform.request("GET", `/audit?entity_type=auth.user&entity_id=${person.id}`, { token: admin })).body.rows as Array<{ action: string }>,
			rows => rows.some(e => e.action === "auth.user.erased"),
			200,
			50,
		);
		expect(entries.map(e => e.action)).toEqual(expect.arrayContaining(["auth.user.created", "auth.user.erased"]));
		expect(JSON.stringify(entries)).not.toContain(name);
		const theirs = (await platform.request("GET", "/audit?page_size=100", { token: admin })).body.rows.filter(
			(e: { actor: { id: string } | null }) => e.actor?.id === person.id,
		);
		expect(theirs.length).toBeGreaterThanOrEqual(3);
		expect(theirs.every((e: { actor: { username: string } }) => e.actor.username === "[erased]")).toBe(true);
		expect((await platform.request("GET", "/audit/verify", { token: admin })).body).toMatchObject({ ok: true });
		expect((await platform.request("POST", "/auth/login", { body: { username: name, password: "irrelevant-password" } })).status).toBe(401);
	});
});

describe("a new key-encryption key", () => {
	it("rewraps every data key when the nodes restart with it; the old one can then go, and everything still reads", async () => {
		const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-kek-")), "encryption-keys.json");
		writeKekFile(keyFile, [newKekEntry()]);
		const dataDir = tempDataDir();
		const start = () =>
			startPlatform({
				dataDir,
				services: ["api", "auth", "companies", "flags", "finance", "domains", "risk", "audit"],
				env: { ENCRYPTION_KEY_FILE: keyFile, ML_DEFAULT_MODEL: "false", ML_SHIPPED_DATASETS: "false" },
			});
		let p = await start();
		try {
			let token = await p.login("admin", ADMIN_PASSWORD);
			const co = (await p.request("POST", "/companies", { token, body: { name: "Kek Co", industry: "manufacturing" } })).body;
			const r = await p.request("POST", `/companies/${co.id}/risk-assessments`, { token, body: { risk_type: "operational", title: "kek-title", likelihood: 1, impact: 1 } });
			expect(r.status).toBe(201);
			const [first] = readKekFile(keyFile);
			const before = (await p.request("GET", "/encryption", { token })).body;
			expect(before.kek).toMatchObject({ id: first.id, keys_in_file: 1, rotation_due: false });
			expect(Object.keys(before.data_keys.by_kek)).toEqual([first.id]);
			await p.stop();

			// a second key in the file (npm run keys -- add): the restarted nodes rewrap by it
			const second = newKekEntry();
			writeKekFile(keyFile, [first, second]);
			p = await start();
			token = await p.login("admin", ADMIN_PASSWORD);
			const after = await eventually(
				"the data keys rewrapped",
				async () => (await p.request("GET", "/encryption", { token })).body,
				s => Object.keys(s.data_keys.by_kek).join() === second.id,
				200,
				50,
			);
			expect(after.kek).toMatchObject({ id: second.id, keys_in_file: 2 });
			await p.stop();

			// the first key retired (npm run keys -- retire): nothing needs it any more
			writeKekFile(keyFile, [second]);
			p = await start();
			token = await p.login("admin", ADMIN_PASSWORD);
			expect((await p.request("GET", `/risk-assessments/${r.body.id}`, { token })).body.title).toBe("kek-title");
			expect((await p.request("GET", "/audit/verify", { token })).body).toMatchObject({ ok: true });
		} finally {
			await p.stop();
		}
	});
});
