/**
 * What an attack pass against the running gateway found, each case on the real path (HTTP): headers, request
 * ids, slow clients, bounded paging, stale credentials on public routes, floods of bad credentials, and health
 * probes that never wait behind slow requests.
 */
import net from "net";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;

beforeAll(async () => {
	platform = await startPlatform({ env: { HTTP_REQUEST_TIMEOUT: "2000", RATE_LIMIT_ANONYMOUS: "30" } });
	admin = await platform.login("admin", ADMIN_PASSWORD);
});
afterAll(() => platform.stop());

/** A raw HTTP request on its own socket, its body sent `chunks` at a time every `everyMs`; resolves with the status line or "closed". */
function trickle(path: string, body: string, everyMs: number, headers: Record<string, string> = {}): { done: Promise<string>; socket: net.Socket } {
	const { port } = new URL(platform.url);
	const socket = net.connect(Number(port), "127.0.0.1");
	const head = [
		`POST /api/v1${path} HTTP/1.1`,
		"Host: localhost",
		"Content-Type: application/json",
		`Content-Length: ${Buffer.byteLength(body)}`,
		...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
		"",
		"",
	].join("\r\n");
	let answer = "";
	const done = new Promise<string>(resolve => {
		socket.on("data", d => (answer += d.toString()));
		socket.on("close", () => resolve(answer.split("\r\n")[0] || "closed"));
		socket.on("error", () => undefined);
	});
	socket.write(head);
	let i = 0;
	const timer = setInterval(() => {
		if (i >= body.length || socket.destroyed) return clearInterval(timer);
		socket.write(body[i++]);
	}, everyMs);
	done.finally(() => clearInterval(timer));
	return { done, socket };
}

describe("response headers", () => {
	it("every answer says nosniff and no-store; the docs page has a content security policy", async () => {
		for (const res of [
			await platform.request("GET", "/auth/me", { token: admin }),
			await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } }),
			await platform.request("GET", "/nowhere"),
		]) {
			expect(res.headers.get("x-content-type-options")).toBe("nosniff");
			expect(res.headers.get("cache-control")).toBe("no-store");
		}
		const docs = await platform.request("GET", "/docs");
		expect(docs.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
	});

	it("echoes a request id only in a safe format, else answers with one of its own", async () => {
		const safe = await platform.request("GET", "/health/live", { headers: { "x-request-id": "abc-123.DEF_4" } });
		expect(safe.headers.get("x-request-id")).toBe("abc-123.DEF_4");
		const evil = await platform.request("GET", "/health/live", { headers: { "x-request-id": "<script>alert(1)</script>" } });
		expect(evil.headers.get("x-request-id")).not.toContain("<");
		expect(evil.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
	});
});

describe("slow and greedy clients", () => {
	it("cuts off a body that trickles in past the request timeout", async () => {
		const started = Date.now();
		const { done } = trickle("/auth/login", JSON.stringify({ username: "admin", password: "x".repeat(100) }), 500);
		const status = await done;
		expect(Date.now() - started).toBeLessThan(6000);
		expect(status).not.toMatch(/ 200 /);
	});

	it("health probes answer at once while 60 requests hang on slow bodies", async () => {
		const slow = Array.from({ length: 60 }, () =>
			trickle("/companies", JSON.stringify({ name: "Slow Co", industry: "technology", padding: "y".repeat(50) }), 400, { authorization: `Bearer ${admin}` }),
		);
		try {
			await new Promise(r => setTimeout(r, 300));
			const started = Date.now();
			const live = await fetch(`${platform.url}/api/v1/health/live`, { signal: AbortSignal.timeout(5000) });
			expect(live.status).toBe(200);
			expect(Date.now() - started).toBeLessThan(1000);
			const ready = await fetch(`${platform.url}/api/v1/health/ready`, { signal: AbortSignal.timeout(5000) });
			expect(ready.status).toBe(200);
		} finally {
			slow.forEach(s => s.socket.destroy());
		}
	});

	it("a page far beyond any data is a 422, not a scan", async () => {
		const res = await platform.request("GET", "/companies?page=1000000000000", { token: admin });
		expect(res.status).toBe(422);
		expect(res.body.data[0].field).toBe("page");
		expect((await platform.request("GET", "/companies?page=1000", { token: admin })).status).toBe(200);
	});
});

describe("credentials", () => {
	it("public routes ignore a stale Authorization header", async () => {
		const login = await platform.request("POST", "/auth/login", {
			body: { username: "admin", password: ADMIN_PASSWORD },
			headers: { authorization: "Bearer expired.or.garbage" },
		});
		expect(login.status).toBe(200);
		const refresh = await platform.request("POST", "/auth/refresh", { body: { refresh_token: login.body.refresh_token }, headers: { "x-api-key": "bzk.nope.nope" } });
		expect(refresh.status).toBe(200);
		// a protected route still refuses them
		expect((await platform.request("GET", "/auth/me", { headers: { authorization: "Bearer expired.or.garbage" } })).status).toBe(401);
	});

	it("an address that keeps sending bad credentials is refused (429) before any lookup", async () => {
		const other = await startPlatform({ env: { RATE_LIMIT_ANONYMOUS: "5" } });
		try {
			const auth = other.broker.getLocalService("auth") as unknown as { apiKeys: { findById(id: string): Promise<unknown> } };
			const findById = auth.apiKeys.findById.bind(auth.apiKeys);
			let lookups = 0;
			auth.apiKeys.findById = (id: string) => (lookups++, findById(id));
			const statuses: number[] = [];
			for (let i = 0; i < 12; i++) statuses.push((await other.request("GET", "/companies", { headers: { "x-api-key": `bzk.key${i}.secret${i}` } })).status);
			expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
			expect(statuses.slice(5).every(s => s === 429)).toBe(true);
			expect(lookups).toBe(5);
			// the address's valid callers are not locked out of public routes' anonymous budget by it: login still answers
			expect((await other.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).status).toBe(200);
		} finally {
			await other.stop();
		}
	});
});

describe("accounts and sessions", () => {
	it("throttles logins per account after 5 failures, the same for an account that does not exist", async () => {
		await platform.createUser(admin, { username: "throttled", role: "viewer", domains: ["technology"] });
		for (const username of ["throttled", "nobody-at-all"]) {
			const statuses: number[] = [];
			for (let i = 0; i < 5; i++) statuses.push((await platform.request("POST", "/auth/login", { body: { username, password: `wrong-${i}` } })).status);
			expect(statuses).toEqual([401, 401, 401, 401, 429]);
			const locked = await platform.request("POST", "/auth/login", { body: { username, password: "throttled-password-123" } });
			expect(locked.status).toBe(429);
			expect(Number(locked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
			expect(locked.body.message).toMatch(/Too many failed logins/);
		}
		// other accounts are unaffected
		expect((await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).status).toBe(200);
	});

	it("logout ends the session even without the refresh token; a reused refresh token ends its session's access tokens", async () => {
		const first = (await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body;
		expect((await platform.request("POST", "/auth/logout", { token: first.token })).status).toBe(200);
		expect((await platform.request("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token } })).status).toBe(401);

		const login = (await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body;
		const rotated = (await platform.request("POST", "/auth/refresh", { body: { refresh_token: login.refresh_token } })).body;
		expect((await platform.request("GET", "/auth/me", { token: rotated.token })).status).toBe(200);
		const replay = await platform.request("POST", "/auth/refresh", { body: { refresh_token: login.refresh_token } });
		expect(replay.status).toBe(401);
		expect(replay.body.type).toBe("TOKEN_REUSED");
		expect((await platform.request("GET", "/auth/me", { token: rotated.token })).status).toBe(401);
		expect((await platform.request("GET", "/auth/me", { token: login.token })).status).toBe(401);
		expect((await platform.request("POST", "/auth/refresh", { body: { refresh_token: rotated.refresh_token } })).status).toBe(401);
		expect((await platform.request("GET", "/auth/me", { token: admin })).status).toBe(200); // another session lives on
	});

	it("of 20 concurrent refreshes with one token exactly one spends it, the others are reuse, and the session ends", async () => {
		const login = (await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body;
		const results = await Promise.all(Array.from({ length: 20 }, () => platform.request("POST", "/auth/refresh", { body: { refresh_token: login.refresh_token } })));
		// the 19 that lost the atomic spend are refused as reuse (or, once the session is gone, as unknown)
		const refused = results.filter(r => r.status === 401 && r.body.type !== "TOKEN_REVOKED");
		expect(refused).toHaveLength(19);
		expect(results.some(r => r.body.type === "TOKEN_REUSED")).toBe(true);
		// the one that spent it either saw the session end before answering (401) or got tokens that no longer work
		const winner = results.find(r => !refused.includes(r))!;
		expect([200, 401]).toContain(winner.status);
		if (winner.status === 200) {
			expect((await platform.request("GET", "/auth/me", { token: winner.body.token })).status).toBe(401);
			expect((await platform.request("POST", "/auth/refresh", { body: { refresh_token: winner.body.refresh_token } })).status).toBe(401);
		}
		expect((await platform.request("GET", "/auth/me", { token: login.token })).status).toBe(401);
	});

	it("nobody grants a tier above their own, and keys per issuer are capped", async () => {
		const { token } = await platform.createUser(admin, { username: "tier-dadmin", role: "domain_admin", domains: ["technology"] });
		const user = await platform.request("POST", "/users", {
			token,
			body: { username: "tier-user", password: "a-long-password-1", role: "analyst", domains: ["technology"], tier: "premium" },
		});
		expect(user.status).toBe(403);
		const key = await platform.request("POST", "/auth/api-keys", { token, body: { name: "k", role: "viewer", domains: ["technology"], tier: "premium" } });
		expect(key.status).toBe(403);
		for (let i = 0; i < 20; i++)
			expect((await platform.request("POST", "/auth/api-keys", { token, body: { name: `k${i}`, role: "viewer", domains: ["technology"] } })).status).toBe(201);
		const over = await platform.request("POST", "/auth/api-keys", { token, body: { name: "k20", role: "viewer", domains: ["technology"] } });
		expect(over.status).toBe(409);
		expect(over.body.message).toMatch(/20 API keys/);
	});

	it("an API key expires, and stops when its issuer may no longer grant it", async () => {
		const past = await platform.request("POST", "/auth/api-keys", {
			token: admin,
			body: { name: "old", role: "viewer", domains: ["technology"], expires_at: "2020-01-01T00:00:00Z" },
		});
		expect(past.status).toBe(422);
		const issuer = await platform.createUser(admin, { username: "key-issuer", role: "domain_admin", domains: ["technology", "healthcare"] });
		const key = (
			await platform.request("POST", "/auth/api-keys", {
				token: issuer.token,
				body: { name: "tech", role: "viewer", domains: ["technology"], expires_at: new Date(Date.now() + 3600000).toISOString() },
			})
		).body;
		expect(key.expires_at).toBeTruthy();
		const use = () => platform.request("GET", "/companies", { headers: { "x-api-key": key.key } });
		expect((await use()).status).toBe(200);
		// the issuer loses the domain: the key stops at once
		expect((await platform.request("PATCH", `/users/${issuer.id}`, { token: admin, body: { domains: ["healthcare"] } })).status).toBe(200);
		expect((await use()).status).toBe(401);
		// and the issuer deleted: a key of theirs stops too
		await platform.request("PATCH", `/users/${issuer.id}`, { token: admin, body: { domains: ["technology", "healthcare"] } });
		const again = await platform.login("key-issuer", "key-issuer-password-123");
		const key2 = (await platform.request("POST", "/auth/api-keys", { token: again, body: { name: "tech2", role: "viewer", domains: ["technology"] } })).body;
		expect((await platform.request("GET", "/companies", { headers: { "x-api-key": key2.key } })).status).toBe(200);
		expect((await platform.request("DELETE", `/users/${issuer.id}`, { token: admin })).status).toBe(200);
		expect((await platform.request("GET", "/companies", { headers: { "x-api-key": key2.key } })).status).toBe(401);
	});
});

describe("imports and bodies", () => {
	const fact = (end: string, val: number) => ({
		start: new Date(Date.parse(end) - 364 * 86400000).toISOString().slice(0, 10),
		end,
		val,
		fy: 2020,
		fp: "FY",
		form: "10-K",
		filed: "2024-01-31",
	});

	it("an SEC document with more period ends than real fiscal years is a 422, and nothing is written", async () => {
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Many Periods Co", industry: "technology" } })).body;
		// 2,000 distinct annual durations ending on every day of 2015–2020
		const facts = Array.from({ length: 2000 }, (_, i) => fact(new Date(Date.UTC(2015, 0, 1) + i * 86400000).toISOString().slice(0, 10), i));
		const res = await platform.request("POST", `/companies/${co.id}/import/sec`, {
			token: admin,
			body: { cik: 1, entityName: "X", facts: { "us-gaap": { Revenues: { units: { USD: facts } } } } },
		});
		expect(res.status).toBe(422);
		expect(res.body.data[0].message).toMatch(/fiscal year ends|at most 100/);
		expect(JSON.stringify(res.body).length).toBeLessThan(5000);
		const crowded = await platform.request("POST", `/companies/${co.id}/import/sec`, {
			token: admin,
			body: { cik: 1, entityName: "X", facts: { "us-gaap": { Revenues: { units: { USD: ["2020-03-31", "2020-06-30", "2020-09-30"].map(e => fact(e, 1)) } } } } },
		});
		expect(crowded.status).toBe(422);
		expect(crowded.body.data[0].message).toMatch(/3 fiscal year ends in 2020/);
		const future = await platform.request("POST", `/companies/${co.id}/import/sec`, {
			token: admin,
			body: { cik: 1, entityName: "X", facts: { "us-gaap": { Revenues: { units: { USD: [{ ...fact("2030-12-31", 1), filed: "2024-01-31" }] } } } } },
		});
		expect(future.status).toBe(422);
		expect((await platform.request("GET", `/companies/${co.id}/statements`, { token: admin })).body.total).toBe(0);
	});

	it("an anonymous 48 MB upload is refused before its body is read", async () => {
		const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Upload Target", industry: "technology" } })).body;
		let sent = 0;
		const body = new ReadableStream({
			async pull(controller) {
				if (sent >= 48 * 1024 * 1024) return controller.close();
				// slowly: the answer must come long before the body would be complete
				await new Promise(r => setTimeout(r, 20));
				sent += 1024 * 1024;
				controller.enqueue(new Uint8Array(1024 * 1024).fill(0x20));
			},
		});
		const res = await fetch(`${platform.url}/api/v1/companies/${co.id}/import/sec`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body,
			duplex: "half",
		} as RequestInit).catch(err => err as Error);
		// either the 401 came back, or the server closed the connection on the unread body after answering
		if (res instanceof Error) expect(sent).toBeLessThan(48 * 1024 * 1024);
		else {
			expect(res.status).toBe(401);
			expect(sent).toBeLessThan(48 * 1024 * 1024);
		}
	});

	it("bodies the parser cannot read are 4xx: an unknown charset, an unknown encoding", async () => {
		const charset = await platform.request("POST", "/companies", {
			token: admin,
			rawBody: JSON.stringify({ name: "Latin", industry: "technology" }),
			headers: { "content-type": "application/json; charset=klingon" },
		});
		expect(charset.status).toBe(415);
		const encoding = await platform.request("POST", "/companies", { token: admin, rawBody: "not really brotli", headers: { "content-encoding": "br-zstd-nonsense" } });
		expect(encoding.status).toBe(415);
		for (const res of [charset, encoding]) expect(JSON.stringify(res.body)).not.toMatch(/nodeID|stack/);
	});
});

describe("races", () => {
	it("demoting or deleting the last two super_admins at once leaves one", async () => {
		const second = await platform.createUser(admin, { username: "second-super", role: "super_admin", domains: ["*"] });
		const ids = (await platform.request("GET", "/users?role=super_admin&page_size=100", { token: admin })).body.rows.map((u: { id: string }) => u.id);
		expect(ids).toHaveLength(2);
		const [a, b] = ids;
		const results = await Promise.all([
			platform.request("PATCH", `/users/${a}`, { token: second.token, body: { role: "analyst" } }),
			platform.request("PATCH", `/users/${b}`, { token: admin, body: { role: "analyst" } }),
		]);
		// the loser is refused as the last super_admin (409), or, when the winner's demotion of it came first, with the
		// token that demotion revoked (401)
		const [won, lost] = results.map(r => r.status).sort();
		expect(won).toBe(200);
		expect([401, 409]).toContain(lost);
		const roles = await Promise.all(
			[
				["admin", ADMIN_PASSWORD],
				["second-super", "second-super-password-123"],
			].map(async ([u, p]) => (await platform.request("GET", "/auth/me", { token: await platform.login(u, p) })).body.role),
		);
		expect(roles.filter(r => r === "super_admin")).toHaveLength(1);
	});

	it("a company deleted twice at once: one 200, one 404; an update racing a deletion is never a 5xx", async () => {
		// whichever of the two is still a super_admin after the test above
		let super_ = "";
		for (const [u, p] of [
			["admin", ADMIN_PASSWORD],
			["second-super", "second-super-password-123"],
		]) {
			const token = await platform.login(u, p);
			if ((await platform.request("GET", "/auth/me", { token })).body.role === "super_admin") super_ = token;
		}
		expect(super_).not.toBe("");
		for (let i = 0; i < 5; i++) {
			const co = (await platform.request("POST", "/companies", { token: super_, body: { name: `Race ${i}`, industry: "technology" } })).body;
			const results = await Promise.all([
				platform.request("DELETE", `/companies/${co.id}`, { token: super_ }),
				platform.request("DELETE", `/companies/${co.id}`, { token: super_ }),
				platform.request("PATCH", `/companies/${co.id}`, { token: super_, body: { name: `Renamed ${i}` } }),
			]);
			expect(
				results
					.slice(0, 2)
					.map(r => r.status)
					.sort(),
			).toEqual([200, 404]);
			expect([200, 404]).toContain(results[2].status);
			expect((await platform.request("GET", `/companies/${co.id}`, { token: super_ })).status).toBe(404);
		}
	});
});
