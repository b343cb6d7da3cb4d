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
	const head = [`POST /api/v1${path} HTTP/1.1`, "Host: localhost", "Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
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
		for (const res of [await platform.request("GET", "/auth/me", { token: admin }), await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } }), await platform.request("GET", "/nowhere")]) {
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
		const slow = Array.from({ length: 60 }, () => trickle("/companies", JSON.stringify({ name: "Slow Co", industry: "technology", padding: "y".repeat(50) }), 400, { authorization: `Bearer ${admin}` }));
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
		const login = await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD }, headers: { authorization: "Bearer expired.or.garbage" } });
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
