/**
 * A person's data (issue 26, GDPR Art. 15; docs/security.md "Personal data"): `GET /users/:id/personal-data`
 * gathers what every service keeps under the user's name and the audit trail's entries of their doing, without a
 * secret; the user or an admin of the account gets it, nobody else; the export is itself audited.
 */
import { ADMIN_PASSWORD, eventually, PERSON_RECORD_SERVICES, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;

beforeAll(async () => {
	platform = await startPlatform({ services: PERSON_RECORD_SERVICES, env: { ML_DEFAULT_MODEL: "false", ML_SHIPPED_DATASETS: "false" } });
	admin = await platform.login("admin", ADMIN_PASSWORD);
});
afterAll(() => platform.stop());

describe("a person's data", () => {
	it("is everything kept under the user's name, without a secret, for the user and the account's admins only", async () => {
		const ana = await platform.createUser(admin, { username: "gdpr-ana", role: "analyst", domains: ["technology"] });
		const bob = await platform.createUser(admin, { username: "gdpr-bob", role: "analyst", domains: ["technology"] });
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Personal Co", industry: "technology" } })).body;
		const risk = await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
			token: ana.token,
			body: { risk_type: "operational", title: "Key person leaves", likelihood: 2, impact: 3 },
		});
		expect(risk.status).toBe(201);
		await platform.request("POST", `/companies/${co.id}/risk-assessments`, {
			token: bob.token,
			body: { risk_type: "operational", title: "Bob's risk", likelihood: 2, impact: 2 },
		});
		const report = (await platform.request("POST", "/reports", { token: ana.token, body: { kind: "company", company_id: co.id, format: "xlsx" } })).body;
		const plan = await platform.request("POST", `/companies/${co.id}/strategic-plans`, { token: ana.token, body: { title: "Ana's plan" } });
		expect(plan.status).toBe(201);
		// the trail has Ana's actions
		await eventually(
			"Ana's entries in the trail",
			async () => (await platform.request("GET", "/audit?actor=gdpr-ana", { token: admin })).body.total,
			n => n >= 3,
			200,
			50,
		);

		const mine = await platform.request("GET", `/users/${ana.id}/personal-data`, { token: ana.token });
		expect(mine.status).toBe(200);
		const data = mine.body;
		expect(data.user).toMatchObject({ id: ana.id, username: "gdpr-ana", role: "analyst" });
		expect(data.sessions.length).toBeGreaterThanOrEqual(1);
		expect(data.records.risk.rows.map((r: { title: string }) => r.title)).toEqual(["Key person leaves"]);
		expect(data.records.reports.rows.map((r: { id: string }) => r.id)).toEqual([report.id]);
		expect(data.records.strategy.rows.map((r: { title: string }) => r.title)).toEqual(["Ana's plan"]);
		expect(data.records.audit.rows.length).toBeGreaterThanOrEqual(3);
		expect(data.records.audit.rows.every((e: { actor: { username: string } }) => e.actor.username === "gdpr-ana")).toBe(true);
		const text = JSON.stringify(data);
		for (const secret of ["password_hash", "token_digest", "key_digest", ana.token]) expect(text).not.toContain(secret);
		expect(text).not.toContain("Bob's risk");

		// not for another analyst; for a super_admin; the export is recorded
		expect((await platform.request("GET", `/users/${ana.id}/personal-data`, { token: bob.token })).status).toBe(403);
		expect((await platform.request("GET", `/users/${ana.id}/personal-data`, { token: admin })).status).toBe(200);
		const exported = await eventually(
			"the export in the trail",
			async () => (await platform.request("GET", `/audit?action=auth.user.personal_data_exported&entity_id=${ana.id}`, { token: admin })).body.rows,
			rows => rows.length === 2,
			200,
			50,
		);
		expect(exported.map((e: { actor: { username: string } }) => e.actor.username).sort()).toEqual(["admin", "gdpr-ana"]);
	});
});
