/** The audit hash chain: canonical hashing, the chain's links, and tampering found at exactly the entry. */
import { canonicalJson, chainEntry, entityOf, entryHash, firstBreak, GENESIS_HASH, type AuditEntry, type AuditRecord } from "../../domains/audit/chain";

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

	it("reads the entity from the event's name and payload", () => {
		expect(entityOf("companies.created", { id: "c1", name: "x" })).toEqual({ type: "companies", id: "c1" });
		expect(entityOf("finance.statement.updated", { id: "s1", company_id: "c1" })).toEqual({ type: "finance.statement", id: "s1" });
		expect(entityOf("ml.job.queued", { job_id: "j1", model_id: "m1" })).toEqual({ type: "ml.job", id: "j1" });
		expect(entityOf("ml.version.created", { model_id: "m1", version: 2 })).toEqual({ type: "ml.version", id: "m1" });
		expect(entityOf("gateway.request.denied", { status: 401 })).toEqual({ type: "gateway.request", id: null });
	});
});
