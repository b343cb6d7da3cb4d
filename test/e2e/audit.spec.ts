/**
 * The audit trail through HTTP: every domain event recorded with its actor, entity, payload and request id;
 * refused requests too; filters; domain admins see their domains' entries; each event once across redeliveries; `/audit/verify`
 * names exactly the stored entry that was tampered with.
 */
import { randomUUID } from "node:crypto";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let domainAdmin: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "audit-analyst", role: "analyst", domains: ["technology"] })).token;
	domainAdmin = (await platform.createUser(admin, { username: "audit-admin", role: "domain_admin", domains: ["technology"] })).token;
});
afterAll(() => platform.stop());

const audit = async (query: string) => (await platform.request("GET", `/audit?${query}`, { token: admin })).body;

describe("the audit trail", () => {
	it("records a change with who made it, what it was about, its payload and the request id", async () => {
		const requestId = `req-${randomUUID()}`;
		const created = await platform.request("POST", "/companies", {
			token: analyst,
			body: { name: "Audited Co", industry: "technology" },
			headers: { "x-request-id": requestId },
		});
		expect(created.status).toBe(201);
		const page = await eventually(
			"the creation audited",
			() => audit(`entity_type=companies&entity_id=${created.body.id}`),
			p => p.total >= 1,
		);
		const entry = page.rows[0];
		expect(entry).toMatchObject({
			action: "companies.created",
			entity: { type: "companies", id: created.body.id },
			actor: { username: "audit-analyst", role: "analyst" },
			request_id: requestId,
			hash: expect.stringMatching(/^[0-9a-f]{64}$/),
			prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
		});
		expect(entry.payload.company).toMatchObject({ id: created.body.id, name: "Audited Co" });
		expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 60_000);
	});

	it("records refused requests: no token (401), a role that may not (403)", async () => {
		await platform.request("GET", "/companies", { token: "not-a-token" });
		await platform.request("POST", "/flags", { token: analyst, body: { name: "x", enabled: true } });
		const denied = await eventually(
			"both refusals audited",
			() => audit("action=gateway.request.denied&page_size=100"),
			p => p.rows.some((r: { payload: { status: number } }) => r.payload.status === 401) && p.rows.some((r: { payload: { status: number } }) => r.payload.status === 403),
		);
		const forbidden = denied.rows.find((r: { payload: { status: number } }) => r.payload.status === 403);
		expect(forbidden).toMatchObject({ actor: { username: "audit-analyst" }, payload: { method: "POST", route: "/api/v1/flags", type: "FORBIDDEN" } });
		const unauthenticated = denied.rows.find((r: { payload: { status: number } }) => r.payload.status === 401);
		expect(unauthenticated.actor).toBeNull();
		expect(unauthenticated.payload.ip).toBeTruthy();
	});

	it("filters by actor, action and time, newest first, paged", async () => {
		const before = new Date().toISOString();
		const company = (await platform.request("POST", "/companies", { token: analyst, body: { name: "Filtered Co", industry: "technology" } })).body;
		await platform.request("PATCH", `/companies/${company.id}`, { token: analyst, body: { ticker: "FLTR" } });
		const page = await eventually(
			"both changes audited",
			() => audit(`actor=audit-analyst&from=${encodeURIComponent(before)}`),
			p => p.total >= 2,
		);
		expect(page.rows.map((r: { action: string }) => r.action).slice(0, 2)).toEqual(["companies.updated", "companies.created"]);
		expect(page.rows[0].seq).toBeGreaterThan(page.rows[1].seq);
		expect((await audit(`action=companies.updated&to=${encodeURIComponent(before)}&entity_id=${company.id}`)).total).toBe(0);
		expect((await audit("page_size=1")).rows).toHaveLength(1);
		// newest first by default; in chain order on request
		const newest = (await audit("page_size=5")).rows.map((r: { seq: number }) => r.seq);
		expect(newest).toEqual([...newest].sort((a, b) => b - a));
		expect((await audit("page_size=3&sort=seq")).rows.map((r: { seq: number }) => r.seq)).toEqual([1, 2, 3]);
		expect((await platform.request("GET", "/audit?sort=payload", { token: admin })).status).toBe(422);
	});

	it("shows a domain admin its domains' entries only; analysts none; verifying the chain is a super_admin's", async () => {
		const own = (await platform.request("POST", "/companies", { token: admin, body: { name: "Own Domain Co", industry: "technology" } })).body;
		const other = (await platform.request("POST", "/companies", { token: admin, body: { name: "Other Domain Co", industry: "healthcare" } })).body;
		// a statement's event carries no industry: the trail looks the company's up
		await platform.request("POST", `/companies/${own.id}/statements`, { token: admin, body: annualStatement("2023-12-31") });
		await eventually(
			"both companies and the statement audited",
			() => audit(`company_id=${own.id}&page_size=100`),
			p => p.rows.some((r: { action: string }) => r.action === "finance.statement.created"),
		);
		await eventually(
			"the other company audited",
			() => audit(`company_id=${other.id}`),
			p => p.total >= 1,
		);
		const seen = (await platform.request("GET", "/audit?page_size=100", { token: domainAdmin })).body;
		expect(seen.total).toBeGreaterThan(0);
		expect(new Set(seen.rows.map((r: { domain: string }) => r.domain))).toEqual(new Set(["technology"]));
		const ownEntries = (await platform.request("GET", `/audit?company_id=${own.id}&page_size=100`, { token: domainAdmin })).body;
		expect(ownEntries.rows.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(["companies.created", "finance.statement.created"]));
		expect(ownEntries.rows.find((r: { action: string }) => r.action === "finance.statement.created")).toMatchObject({ company_id: own.id, domain: "technology" });
		expect((await platform.request("GET", `/audit?company_id=${other.id}`, { token: domainAdmin })).body.total).toBe(0);
		// sign-ins and refusals belong to no domain: a super_admin's
		expect((await platform.request("GET", "/audit?action=gateway.request.denied", { token: domainAdmin })).body.total).toBe(0);
		expect((await platform.request("GET", "/audit", { token: analyst })).status).toBe(403);
		expect((await platform.request("GET", "/audit/verify", { token: domainAdmin })).status).toBe(403);
		expect((await platform.request("GET", "/audit")).status).toBe(401);
	});

	it("records an event once however often it is delivered", async () => {
		const record = {
			event_id: randomUUID(),
			action: "test.redelivered",
			entity: { type: "test", id: "1" },
			actor: null,
			request_id: null,
			at: new Date().toISOString(),
			payload: { n: 1 },
		};
		const broker = platform.broker as unknown as { sendToChannel(channel: string, payload: unknown): Promise<void> };
		await Promise.all([broker.sendToChannel("audit.events", record), broker.sendToChannel("audit.events", record), broker.sendToChannel("audit.events", record)]);
		await eventually(
			"the record appended",
			() => audit("action=test.redelivered"),
			p => p.total >= 1,
		);
		await new Promise(r => setTimeout(r, 300));
		expect((await audit("action=test.redelivered")).total).toBe(1);
	});

	it("names the entity of every entry, whatever the event (issue 21, item 4)", async () => {
		const post = async (token: string, path: string, body?: unknown) => (await platform.request("POST", path, { token, body })).body;
		const admin2 = (await platform.createUser(admin, { username: "audit-admin-2", role: "domain_admin", domains: ["technology"] })).token;
		const co = await post(admin, "/companies", { name: "Every Entity Co", industry: "technology" });
		await post(analyst, `/companies/${co.id}/statements`, annualStatement("2023-12-31"));
		await post(analyst, `/companies/${co.id}/operational-metrics`, { period_end: "2023-12-31", metrics: { mrr: 1000, customers: 10 } });
		const risk = await post(domainAdmin, `/companies/${co.id}/risk-assessments`, { risk_type: "cyber", title: "Breach", likelihood: 2, impact: 3 });
		await post(admin2, `/risk-assessments/${risk.id}/accept`, { rationale: "Within appetite", expires_at: "2099-01-01T00:00:00Z" });
		await post(analyst, `/companies/${co.id}/risk-assessments/auto`);
		await post(analyst, `/companies/${co.id}/compliance/evaluate`, { regulation_type: "sox" });
		const plan = await post(analyst, `/companies/${co.id}/strategic-plans`, { title: "Plan" });
		await post(analyst, `/strategic-plans/${plan.id}/transitions`, { to: "under_review" });
		const key = await post(admin, "/auth/api-keys", { name: "entity-key", role: "viewer", domains: ["technology"] });
		await platform.request("DELETE", `/auth/api-keys/${key.id}`, { token: admin });
		await platform.request("PUT", "/flags/sec_import", { token: admin, body: { enabled: true } });
		await post(undefined as unknown as string, "/auth/login", { username: "nobody-here", password: "wrong-password" });
		await post(admin2, "/auth/logout");
		await eventually(
			"the review and the acceptance audited",
			() => audit("page_size=100&sort=-seq"),
			p => ["risk.assessment.accepted", "auth.logged_out"].every(a => p.rows.some((r: { action: string }) => r.action === a)),
		);
		const rows: Array<{ action: string; entity: { type: string; id: string | null } }> = [];
		for (let page = 1; ; page++) {
			const body = await audit(`page_size=100&page=${page}`);
			rows.push(...body.rows);
			if (page >= body.total_pages) break;
		}
		expect(rows.filter(r => r.entity.id == null).map(r => r.action)).toEqual([]);
		const actions = new Set(rows.map(r => r.action));
		for (const action of [
			"compliance.record.updated",
			"risk.assessment.accepted",
			"risk.assessment.created",
			"domains.metrics.recorded",
			"auth.login.failed",
			"gateway.request.denied",
		])
			expect(actions).toContain(action);
	});

	it("verifies the whole chain, and names exactly the stored entry that was changed", async () => {
		const ok = (await platform.request("GET", "/audit/verify", { token: admin })).body;
		expect(ok).toMatchObject({ ok: true });
		expect(ok.entries_checked).toBeGreaterThan(5);
		// someone with access to the store rewrites one entry's payload
		const target = (await audit("action=companies.created&page_size=1")).rows[0];
		const service = platform.broker.getLocalService("audit") as unknown as { adapter: { updateMany(q: object, u: object): Promise<number> } };
		expect(await service.adapter.updateMany({ seq: target.seq }, { $set: { "payload.name": "Forged Co" } })).toBe(1);
		const broken = (await platform.request("GET", "/audit/verify", { token: admin })).body;
		expect(broken).toMatchObject({ ok: false, first_broken: { seq: target.seq, reason: expect.stringMatching(/does not match its hash/) } });
		expect(broken.entries_checked).toBe(target.seq - 1);
	});
});
