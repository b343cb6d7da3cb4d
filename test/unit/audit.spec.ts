/** The audit hash chain: canonical hashing, the chain's links, and tampering found at exactly the entry. */
import { auditHeadOf, canonicalJson, chainEntry, entryHash, firstBreak, GENESIS_HASH, type AuditEntry, type AuditRecord } from "../../domains/audit/chain";
import { MAX_TRACKED_CALLERS, RefusalCoalescer, type Refusal } from "../../domains/audit/refusals";
import { subjectOf } from "../../middlewares/audit.middleware";
import { ecsOfAuditEntry } from "../../domains/audit/ecs";
import { retryDelayMs, RETRY_MAX_MS } from "../../domains/audit/delivery";

const record = (i: number): AuditRecord => ({
	event_id: `e${i}`,
	action: "companies.updated",
	entity: { type: "companies", id: `c${i % 3}` },
	actor: { id: "u1", username: "ana", role: "analyst" },
	request_id: `r${i}`,
	at: `2026-11-27T10:00:0${i}.000Z`,
	payload: { id: `c${i % 3}`, changes: { name: `Name ${i}` } },
});

function chain(n: number): AuditEntry[] {
	const entries: AuditEntry[] = [];
	for (let i = 1; i <= n; i++) entries.push(chainEntry(record(i), i, entries[i - 2]?.hash ?? GENESIS_HASH));
	return entries;
}

describe("the audit chain", () => {
	it("hashes a canonical JSON: the same content in another key order has the same hash", () => {
		expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
		const e = chainEntry(record(1), 1, GENESIS_HASH);
		const reordered = { ...e, payload: { changes: { name: "Name 1" }, id: "c1" } };
		expect(entryHash(reordered)).toBe(e.hash);
	});

	it("links each entry to the one before", () => {
		const entries = chain(5);
		expect(entries[0].prev_hash).toBe(GENESIS_HASH);
		for (let i = 1; i < 5; i++) expect(entries[i].prev_hash).toBe(entries[i - 1].hash);
		expect(firstBreak(entries, null)).toBeNull();
		// in pages: the second page continues from the first's last entry
		expect(firstBreak(entries.slice(2), { seq: 2, hash: entries[1].hash })).toBeNull();
	});

	it("names exactly the entry that was changed, removed or re-hashed", () => {
		const changed = chain(5);
		(changed[2].payload as { changes: { name: string } }).changes.name = "Forged";
		expect(firstBreak(changed, null)).toEqual({ seq: 3, reason: expect.stringMatching(/does not match its hash/) });

		const rehashed = chain(5);
		rehashed[2] = { ...rehashed[2], actor: null };
		rehashed[2].hash = entryHash(rehashed[2]); // a forger who recomputes the entry's own hash breaks the next link
		expect(firstBreak(rehashed, null)).toEqual({ seq: 4, reason: expect.stringMatching(/prev_hash/) });

		const removed = chain(5);
		removed.splice(3, 1);
		expect(firstBreak(removed, null)).toEqual({ seq: 4, reason: "entry 4 is missing" });
	});

	it("reads an entry's entity, company and domain from the event's contract", () => {
		const company = { id: "c1", name: "x", industry: "technology", created_at: "", updated_at: "" };
		expect(subjectOf("companies.created", { company, by: "u1" })).toEqual({ entity: { type: "companies", id: "c1" }, company_id: "c1", domain: "technology" });
		const statement = { id: "s1", company_id: "c1" };
		expect(subjectOf("finance.statement.updated", { statement, by: "u1" })).toEqual({ entity: { type: "finance.statement", id: "s1" }, company_id: "c1", domain: null });
		expect(subjectOf("ml.job.queued", { job_id: "j1", model_id: "m1" })).toEqual({ entity: { type: "ml.job", id: "j1" }, company_id: null, domain: null });
		expect(subjectOf("ml.version.created", { model_id: "m1", domain: "*", version: 2 })).toEqual({ entity: { type: "ml.version", id: "m1" }, company_id: null, domain: "*" });
		expect(subjectOf("gateway.request.denied", { status: 401, method: "GET", route: "/api/v1/companies" })?.entity).toEqual({
			type: "gateway.request",
			id: "GET /api/v1/companies",
		});
		// the automatic assessments of a company: the company is the entity's id
		expect(subjectOf("risk.assessment.created", { company_id: "c1", automatic: [] })).toMatchObject({ entity: { type: "risk.assessment", id: "c1" }, company_id: "c1" });
	});

	it("records no read, no broadcast signal and none of Moleculer's own events; an undeclared event under its name", () => {
		for (const name of [
			"finance.analysis.completed",
			"ml.predictions.made",
			"audit.appended",
			"auth.token.revoked",
			"$services.changed",
			"cache.clean.finance",
			"channels.audit.events",
		])
			expect(subjectOf(name, {})).toBeNull();
		expect(subjectOf("plugin.thing.done", { id: "x" })).toEqual({ entity: { type: "plugin.thing.done", id: null }, company_id: null, domain: null });
		// a payload of another shape than its contract's (an older node): recorded with what can be read, never a throw
		expect(subjectOf("companies.created", { by: "u1" })).toEqual({ entity: { type: "companies", id: null }, company_id: null, domain: null });
		expect(subjectOf("finance.statement.created", null)).toEqual({ entity: { type: "finance.statement", id: null }, company_id: null, domain: null });
	});
});

describe("refused requests coalesced for the audit trail", () => {
	const refusal = (over: Partial<Refusal> = {}): Refusal => ({ status: 429, type: "RATE_LIMIT_EXCEEDED", method: "GET", route: "/api/v1/companies", ip: "10.0.0.1", ...over });
	const T0 = Date.parse("2026-12-07T10:00:00.000Z");

	it("records the first refusal of a caller's window at once and the rest as one entry with their count when the window ends", () => {
		const c = new RefusalCoalescer(60_000);
		const first = c.record(refusal(), T0);
		expect(first).toMatchObject({ count: 1, first_at: "2026-12-07T10:00:00.000Z", last_at: "2026-12-07T10:00:00.000Z" });
		for (let i = 1; i < 2000; i++) expect(c.record(refusal(), T0 + i * 10)).toBeNull();
		expect(c.flush(T0 + 59_999)).toEqual([]); // the window is still open
		const [rest, ...more] = c.flush(T0 + 60_000);
		expect(more).toEqual([]);
		expect(rest).toMatchObject({ count: 1999, first_at: "2026-12-07T10:00:00.010Z", last_at: "2026-12-07T10:00:19.990Z", route: "/api/v1/companies" });
		expect(c.flush(T0 + 120_000)).toEqual([]);
	});

	it("keeps callers, routes and statuses apart; the counts add up to the refusals", () => {
		const c = new RefusalCoalescer(1000);
		const emitted = [];
		const sent = [refusal(), refusal({ ip: "10.0.0.2" }), refusal({ route: "/api/v1/flags" }), refusal({ status: 401, type: "NO_TOKEN" })];
		for (let i = 0; i < 30; i++) for (const r of sent) emitted.push(c.record(r, T0 + i * 100));
		emitted.push(...c.flush(T0 + 10_000, true));
		const entries = emitted.filter(e => e != null);
		expect(entries.length).toBeLessThanOrEqual(4 * 2 * 3); // first + summary, per key and window
		expect(entries.reduce((n, e) => n + e!.count, 0)).toBe(120);
	});

	it("counts a caller that comes back in a later window before the flush, and stops tracking callers past its bound", () => {
		const c = new RefusalCoalescer(1000);
		c.record(refusal(), T0);
		c.record(refusal(), T0 + 10);
		expect(c.record(refusal(), T0 + 1500)).toMatchObject({ count: 1 });
		expect(c.flush(T0 + 1600)).toEqual([expect.objectContaining({ count: 1 })]);
		const many = new RefusalCoalescer(1000);
		let total = 0;
		for (let i = 0; i < MAX_TRACKED_CALLERS + 500; i++) total += many.record(refusal({ ip: `ip-${i}` }), T0)?.count ?? 0;
		for (let i = 0; i < 100; i++) many.record(refusal({ ip: `late-${i}` }), T0 + 1);
		const flushed = many.flush(T0, true);
		total += flushed.reduce((n, e) => n + e.count, 0);
		expect(total).toBe(MAX_TRACKED_CALLERS + 600);
		expect(flushed.find(e => e.ip === "*")).toBeDefined();
	});
});

describe("the audit trail for a SIEM and for a backup", () => {
	const record = (i: number, action = "companies.created"): AuditRecord => ({
		event_id: `e${i}`,
		action,
		entity: { type: "companies", id: `c${i}` },
		actor: { id: "u1", username: "ana", role: "analyst" },
		request_id: `r${i}`,
		at: `2026-12-07T10:00:0${i}.000Z`,
		payload: { n: i },
		company_id: `c${i}`,
		domain: "technology",
	});
	const chain = (n: number) => {
		const entries: AuditEntry[] = [];
		for (let i = 1; i <= n; i++) entries.push(chainEntry(record(i), i, entries[i - 2]?.hash ?? GENESIS_HASH));
		return entries;
	};

	it("maps an entry to ECS with every field its hash covers", () => {
		const [entry] = chain(1);
		expect(ecsOfAuditEntry(entry)).toMatchObject({
			"@timestamp": entry.at,
			"event.id": "e1",
			"event.action": "companies.created",
			"event.sequence": 1,
			"event.outcome": "success",
			"user.name": "ana",
			"user.roles": ["analyst"],
			"http.request.id": "r1",
			"bizops.payload": { n: 1 },
			"bizops.chain.prev_hash": GENESIS_HASH,
			"bizops.chain.hash": entry.hash,
		});
		expect(ecsOfAuditEntry(chainEntry(record(2, "gateway.request.denied"), 1, GENESIS_HASH))["event.outcome"]).toBe("failure");
	});

	it("backs off from one second, doubling, to at most a minute, half of it random", () => {
		expect(retryDelayMs(1, 0)).toBe(500);
		expect(retryDelayMs(1, 0.999)).toBeLessThanOrEqual(1000);
		expect(retryDelayMs(3, 0)).toBe(2000);
		expect(retryDelayMs(30, 0.999)).toBeLessThanOrEqual(RETRY_MAX_MS);
		expect(retryDelayMs(30, 0)).toBe(RETRY_MAX_MS / 2);
	});

	it("finds a backup's audit head, one past the log allowed, and names a gap or a change", () => {
		const entries = chain(3);
		expect(auditHeadOf(entries, { seq: 3, hash: entries[2].hash })).toEqual({ head_seq: 3, head_hash: entries[2].hash });
		const next = chainEntry(record(4), 4, entries[2].hash);
		expect(auditHeadOf(entries, { seq: 4, hash: next.hash, last: next }).problem).toBeUndefined();
		expect(auditHeadOf(entries, { seq: 5, hash: "x", last: null }).problem).toBe("audit entry 4 is missing");
		expect(auditHeadOf([entries[0], entries[2]], { seq: 3, hash: entries[2].hash }).problem).toBe("audit entry 2: entry 2 is missing");
		expect(auditHeadOf([entries[0], { ...entries[1], payload: { n: 99 } }], null).problem).toMatch(/audit entry 2: its content does not match its hash/);
	});
});
