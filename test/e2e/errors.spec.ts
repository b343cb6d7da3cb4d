/**
 * Errors a client can act on: a 422's message says what is wrong field by field, an unknown field is named
 * with the known one it is closest to, patterns read as words; each 401 says which case it is and carries
 * WWW-Authenticate; a known path with a wrong method is a 405 with Allow; no action name or node id leaves.
 */
import fs from "node:fs";
import path from "node:path";
import jwt from "jsonwebtoken";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
});
afterAll(() => platform.stop());

const createCompany = (body: unknown) => platform.request("POST", "/companies", { token: admin, body });

describe("422: what is wrong, in the message and per field", () => {
	it("names the field and the allowed values, not 'Parameters validation error!'", async () => {
		const res = await createCompany({ name: "Energy Co", industry: "energy" });
		expect(res.status).toBe(422);
		expect(res.body.message).toBe("industry: must be one of financial_services, healthcare, manufacturing, technology");
		expect(res.body.data).toEqual([expect.objectContaining({ field: "industry", message: res.body.message, actual: "energy" })]);
	});

	it("names an unknown field with the known one it is closest to", async () => {
		const res = await createCompany({ name: "Typo Co", industy: "technology" });
		expect(res.status).toBe(422);
		expect(res.body.message).toContain("industy: unknown field (did you mean 'industry'?)");
		expect(res.body.message).toContain("industry: required");
		expect(res.body.data).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ type: "objectStrict", field: "industy", suggestion: "industry" }),
				expect.objectContaining({ type: "required", field: "industry" }),
			]),
		);
		// nothing close: the known fields are listed instead
		const far = await createCompany({ name: "Far Co", industry: "technology", zzzzzzzz: 1 });
		expect(far.body.data[0].message).toMatch(/^zzzzzzzz: unknown field \(known: .*industry.*\)$/);
	});

	it("reads patterns and limits as words", async () => {
		const res = await createCompany({ name: "", industry: "technology", ticker: "not a ticker", currency: "dollars" });
		expect(res.status).toBe(422);
		const messages = res.body.data.map((p: { message: string }) => p.message);
		expect(messages).toEqual(expect.arrayContaining(["name: at least 1 characters", "ticker: 1–10 letters, digits, '.' or '-'", "currency: an ISO 4217 code (e.g. USD)"]));
		expect(res.body.message).toBe(messages.join("; "));
		const page = await platform.request("GET", "/companies?page_size=1000&sort=revenue", { token: admin });
		expect(page.body.message).toContain("page_size: must be at most 100");
		expect(page.body.message).toContain("sort: one of");
	});
});

describe("401: which case, and how to authenticate", () => {
	const secret = () => fs.readFileSync(path.join(platform.dataDir, "jwt.secret"), "utf8").trim();
	const me = async () => (await platform.request("GET", "/auth/me", { token: admin })).body;

	it("NO_TOKEN without credentials", async () => {
		const res = await platform.request("GET", "/companies");
		expect(res).toMatchObject({ status: 401, body: { type: "NO_TOKEN" } });
		expect(res.headers.get("www-authenticate")).toBe('Bearer realm="bizops"');
	});

	it("TOKEN_EXPIRED for an expired token of ours (refresh it), with when it expired", async () => {
		const exp = Math.floor(Date.now() / 1000) - 30;
		const expired = jwt.sign({ sub: (await me()).id, jti: "expired-1", exp }, secret(), { algorithm: "HS256" });
		const res = await platform.request("GET", "/companies", { token: expired });
		expect(res).toMatchObject({ status: 401, body: { type: "TOKEN_EXPIRED", data: { expired_at: new Date(exp * 1000).toISOString() } } });
		expect(res.body.message).toContain("POST /auth/refresh");
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="bizops", error="invalid_token", error_description="The access token expired at /);
	});

	it("TOKEN_INVALID for a token not signed by the platform, a malformed header, or a user that is gone", async () => {
		const forged = jwt.sign({ sub: (await me()).id, jti: "forged-1" }, "another-secret", { algorithm: "HS256", expiresIn: 600 });
		for (const headers of [{ authorization: `Bearer ${forged}` }, { authorization: "Token abc" }]) {
			const res = await platform.request("GET", "/companies", { headers });
			expect(res).toMatchObject({ status: 401, body: { type: "TOKEN_INVALID" } });
			expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
		}
		const gone = jwt.sign({ sub: "no-such-user", jti: "gone-1" }, secret(), { algorithm: "HS256", expiresIn: 600 });
		expect((await platform.request("GET", "/companies", { token: gone })).body.type).toBe("TOKEN_INVALID");
	});

	it("TOKEN_REVOKED after sign-out", async () => {
		const token = await platform.login("admin", ADMIN_PASSWORD);
		await platform.request("POST", "/auth/logout", { token });
		const res = await platform.request("GET", "/companies", { token });
		expect(res).toMatchObject({ status: 401, body: { type: "TOKEN_REVOKED" } });
		expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
	});
});

describe("405: a known path, another method", () => {
	it("answers 405 with Allow naming the methods the path has", async () => {
		const res = await platform.request("DELETE", "/companies", { token: admin });
		expect(res).toMatchObject({ status: 405, body: { code: 405, type: "METHOD_NOT_ALLOWED", data: { allow: ["GET", "POST"] } } });
		expect(res.headers.get("allow")).toBe("GET, POST");
		const one = await platform.request("PUT", "/companies/abc/overview", { token: admin });
		expect(one.status).toBe(405);
		expect(one.headers.get("allow")).toBe("GET");
		// an unknown path stays a 404; a known one with its method is answered (here: a missing company)
		expect((await platform.request("GET", "/no-such-thing", { token: admin })).status).toBe(404);
		expect((await platform.request("GET", "/companies/abc", { token: admin })).status).toBe(404);
	});
});

describe("what never leaves", () => {
	it("no action name or node id in the answer when a service is down", async () => {
		const risk = platform.broker.getLocalService("risk")!;
		await platform.broker.destroyService(risk);
		const co = (await createCompany({ name: "Down Co", industry: "technology" })).body.id;
		const res = await platform.request("GET", `/companies/${co}/risk-assessments`, { token: admin });
		expect(res.status).toBe(503);
		expect(res.body).toEqual({
			name: "ServiceUnavailableError",
			message: "A service this request needs is unavailable; try again shortly",
			code: 503,
			type: "SERVICE_UNAVAILABLE",
		});
		expect(JSON.stringify(res.body)).not.toMatch(/risk\.|nodeID|test-/);
	});
});

describe("GET / (issue 21, item 11)", () => {
	it("sends a person to the web app and tells a program where the API is, instead of a 404", async () => {
		const browser = await fetch(`${platform.url}/`, { headers: { accept: "text/html,application/xhtml+xml" }, redirect: "manual" });
		expect(browser.status).toBe(302);
		expect(browser.headers.get("location")).toBe("/app/");
		const program = await fetch(`${platform.url}/`);
		expect(program.status).toBe(200);
		expect(await program.json()).toEqual({
			name: "bizops",
			app: "/app/",
			api: "/api/v1",
			docs: "/api/v1/docs",
			openapi: "/api/v1/openapi.json",
			health: "/api/v1/health/live",
		});
		// the docs page it points to is there
		expect((await fetch(`${platform.url}/api/v1/docs`)).status).toBe(200);
		const post = await fetch(`${platform.url}/`, { method: "POST" });
		expect(post.status).toBe(405);
		expect(post.headers.get("allow")).toBe("GET, HEAD");
	});
});
