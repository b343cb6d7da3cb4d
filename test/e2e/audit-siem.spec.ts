/**
 * The audit trail for a SIEM (issue 26, docs/audit.md "Export to a SIEM"): `GET /audit/export` gives the chain as
 * NDJSON in ECS with its head, and the push to `AUDIT_SIEM_URL` delivers every entry once, in order, through the
 * SIEM's errors and an outage of its server, the chain checkable from what it received.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { entryHash, GENESIS_HASH, type AuditEntry } from "../../domains/audit/chain";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

/** A SIEM's HTTP input: records each batch's lines; fails the first `failFirst` requests with a 503. */
function fakeSiem(failFirst: number) {
	const received: Array<Record<string, any>> = [];
	const batches: Array<{ first: number; last: number; authorization?: string }> = [];
	let requests = 0;
	const server = http.createServer((req, res) => {
		let body = "";
		req.on("data", chunk => (body += chunk));
		req.on("end", () => {
			requests++;
			if (requests <= failFirst) {
				res.writeHead(503).end("busy");
				return;
			}
			const lines = body
				.split("\n")
				.filter(Boolean)
				.map(l => JSON.parse(l) as Record<string, any>);
			received.push(...lines);
			batches.push({ first: Number(req.headers["x-bizops-first-seq"]), last: Number(req.headers["x-bizops-last-seq"]), authorization: req.headers.authorization });
			res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
		});
	});
	return {
		received,
		batches,
		requests: () => requests,
		listen: (port = 0) => new Promise<number>(resolve => server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))),
		close: () =>
			new Promise<void>(resolve => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/** The entry an ECS line stands for: what its hash covers. */
function entryOf(line: Record<string, any>): AuditEntry {
	return {
		seq: line["event.sequence"],
		event_id: line["event.id"],
		action: line["event.action"],
		entity: { type: line["bizops.entity.type"], id: line["bizops.entity.id"] },
		// the name as stored (encrypted at rest) is what the hash covers; user.name is the readable one
		actor: line["user.id"] ? { id: line["user.id"], username: line["bizops.sealed.actor.username"] ?? line["user.name"], role: line["user.roles"][0] } : null,
		request_id: line["http.request.id"] ?? null,
		at: line["@timestamp"],
		payload: line["bizops.sealed.payload"] ?? line["bizops.payload"],
		company_id: line["bizops.company_id"],
		domain: line["bizops.domain"],
		prev_hash: line["bizops.chain.prev_hash"],
		hash: line["bizops.chain.hash"],
	};
}

/** Every line's hash recomputed and every link to the line before it: the chain as the SIEM received it. */
function checkChain(lines: Array<Record<string, any>>): void {
	let previous = GENESIS_HASH;
	lines.forEach((line, i) => {
		const entry = entryOf(line);
		expect(entry.seq).toBe(i + 1);
		expect(entry.prev_hash).toBe(previous);
		const { hash, ...rest } = entry;
		expect(entryHash(rest)).toBe(hash);
		previous = hash;
	});
}

describe("the audit trail for a SIEM", () => {
	let platform: Platform;
	let admin: string;
	const siem = fakeSiem(2);
	let siemPort: number;

	beforeAll(async () => {
		siemPort = await siem.listen();
		platform = await startPlatform({
			services: ["api", "auth", "companies", "flags", "audit"],
			env: {
				AUDIT_SIEM_URL: `http://127.0.0.1:${siemPort}/bulk?token=in-the-url`,
				AUDIT_SIEM_AUTHORIZATION: "ApiKey siem-secret",
				AUDIT_SIEM_BATCH: "4",
				AUDIT_SIEM_INTERVAL_MS: "100",
				AUDIT_SIEM_TIMEOUT_MS: "2000",
			},
		});
		admin = await platform.login("admin", ADMIN_PASSWORD);
	});
	afterAll(async () => {
		await platform.stop();
		await siem.close();
	});

	const head = async () => (await platform.request("GET", "/audit/verify", { token: admin })).body as { head_seq: number; head_hash: string };

	it("pushes every entry once and in order, through the SIEM's errors and its server's outage", async () => {
		for (let i = 0; i < 6; i++)
			expect((await platform.request("POST", "/companies", { token: admin, body: { name: `Siem Co ${i}`, industry: "technology" } })).status).toBe(201);
		// the first two POSTs answered 503: delivered after the backoff, from the checkpoint
		// (the records reach the trail through its channel, a batch at a time: the six creations at least)
		const before = await eventually("the creations in the trail", head, h => h.head_seq >= 6, 400, 20);
		await eventually(
			"the entries delivered",
			async () => siem.received.length,
			n => n >= before.head_seq,
			400,
			50,
		);
		const status = (await platform.request("GET", "/audit/siem", { token: admin })).body;
		expect(status).toMatchObject({ enabled: true, endpoint: `http://127.0.0.1:${siemPort}`, failures: 0, last_error: null });
		expect(JSON.stringify(status)).not.toContain("in-the-url");
		expect(siem.batches[0]).toMatchObject({ first: 1, authorization: "ApiKey siem-secret" });
		expect(siem.batches.every(b => b.last - b.first < 4)).toBe(true);

		// the SIEM's server goes away; entries made meanwhile wait, and the status says why
		await siem.close();
		for (let i = 0; i < 5; i++) await platform.request("POST", "/companies", { token: admin, body: { name: `Outage Co ${i}`, industry: "technology" } });
		const failing = await eventually(
			"a failed delivery",
			async () => (await platform.request("GET", "/audit/siem", { token: admin })).body,
			s => s.failures >= 1 && s.behind > 0,
			400,
			50,
		);
		expect(failing.last_error).toBeTruthy();
		await siem.listen(siemPort);
		const after = await head();
		await eventually(
			"the entries made during the outage delivered",
			async () => (await platform.request("GET", "/audit/siem", { token: admin })).body,
			s => s.delivered_seq >= after.head_seq && s.failures === 0,
			// the backoff doubles per failure during the outage: up to a minute on a slow machine
			900,
			100,
		);
		// once each, in chain order, and the chain checks out from what the SIEM holds
		const sequences = siem.received.map(l => l["event.sequence"]);
		expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
		expect(sequences.length).toBeGreaterThanOrEqual(after.head_seq);
		checkChain(siem.received);
		expect(siem.received.find(l => l["event.action"] === "companies.created")).toMatchObject({
			"ecs.version": expect.any(String),
			"event.dataset": "bizops.audit",
			"event.outcome": "success",
			"user.name": "admin",
			"bizops.entity.type": "companies",
		});
	}, 120_000);

	it("exports the trail as NDJSON in ECS from a sequence number on, with the chain's head", async () => {
		const chain = await head();
		const res = await fetch(`${platform.url}/api/v1/audit/export?after_seq=2&limit=5`, { headers: { authorization: `Bearer ${admin}` } });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
		expect(Number(res.headers.get("x-audit-head-seq"))).toBeGreaterThanOrEqual(chain.head_seq);
		expect(res.headers.get("x-audit-next-after-seq")).toBe("7");
		const lines = (await res.text())
			.split("\n")
			.filter(Boolean)
			.map(l => JSON.parse(l) as Record<string, any>);
		expect(lines.map(l => l["event.sequence"])).toEqual([3, 4, 5, 6, 7]);
		// the whole trail: its last line is the head the headers name
		const all = await fetch(`${platform.url}/api/v1/audit/export`, { headers: { authorization: `Bearer ${admin}` } });
		const every = (await all.text())
			.split("\n")
			.filter(Boolean)
			.map(l => JSON.parse(l) as Record<string, any>);
		expect(every.length).toBe(Number(all.headers.get("x-audit-head-seq")));
		expect(every[every.length - 1]["bizops.chain.hash"]).toBe(all.headers.get("x-audit-head-hash"));
		checkChain(every);
		// a super_admin's: a domain admin may not
		const domainAdmin = (await platform.createUser(admin, { username: "siem-domain-admin", role: "domain_admin", domains: ["technology"] })).token;
		expect((await platform.request("GET", "/audit/export", { token: domainAdmin })).status).toBe(403);
	});
});
