/**
 * Identity and access through HTTP against the running gateway: login, the 401 cases, RBAC 403s,
 * domain scoping, validation 422s, API keys.
 */
import jwt from "jsonwebtoken";
import fs from "fs";
import path from "path";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
});
afterAll(() => platform.stop());

describe("login and tokens", () => {
	it("logs in the bootstrap admin with the configured password", async () => {
		const res = await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ expires_in: 3600, user: { username: "admin", role: "super_admin", domains: ["*"] } });
		expect(typeof res.body.token).toBe("string");
		expect(typeof res.body.refresh_token).toBe("string");
		expect(res.body.user.password_hash).toBeUndefined();
	});

	it("rejects a wrong password and an unknown user alike with 401", async () => {
		const wrong = await platform.request("POST", "/auth/login", { body: { username: "admin", password: "nope-nope-nope" } });
		const unknown = await platform.request("POST", "/auth/login", { body: { username: "ghost", password: "nope-nope-nope" } });
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(wrong.body.message).toBe(unknown.body.message);
	});

	it("returns the caller from /auth/me", async () => {
		const res = await platform.request("GET", "/auth/me", { token: admin });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ username: "admin", role: "super_admin", kind: "user" });
	});

	it("401 without a token", async () => {
		const res = await platform.request("GET", "/companies");
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ code: 401, type: "NO_TOKEN" });
	});

	it("401 for a token signed with another secret", async () => {
		const me = (await platform.request("GET", "/auth/me", { token: admin })).body;
		const forged = jwt.sign({ sub: me.id, jti: "x" }, "another-secret", { algorithm: "HS256", expiresIn: 600 });
		expect((await platform.request("GET", "/companies", { token: forged })).status).toBe(401);
	});

	it("401 for an alg:none token", async () => {
		const me = (await platform.request("GET", "/auth/me", { token: admin })).body;
		const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
		const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: me.id, jti: "y", exp: Math.floor(Date.now() / 1000) + 600 })}.`;
		expect((await platform.request("GET", "/companies", { token: none })).status).toBe(401);
	});

	it("401 for an expired token signed with the right secret", async () => {
		const me = (await platform.request("GET", "/auth/me", { token: admin })).body;
		const secret = fs.readFileSync(path.join(platform.dataDir, "jwt.secret"), "utf8").trim();
		const expired = jwt.sign({ sub: me.id, jti: "z", exp: Math.floor(Date.now() / 1000) - 10 }, secret, { algorithm: "HS256" });
		const valid = jwt.sign({ sub: me.id, jti: "w" }, secret, { algorithm: "HS256", expiresIn: 600 });
		expect((await platform.request("GET", "/companies", { token: valid })).status).toBe(200);
		expect((await platform.request("GET", "/companies", { token: expired })).status).toBe(401);
	});

	it("401 for a logged-out token; other sessions keep working", async () => {
		const token = await platform.login("admin", ADMIN_PASSWORD);
		expect((await platform.request("GET", "/auth/me", { token })).status).toBe(200);
		expect((await platform.request("POST", "/auth/logout", { token })).status).toBe(200);
		const after = await platform.request("GET", "/auth/me", { token });
		expect(after.status).toBe(401);
		expect(after.body.type).toBe("TOKEN_REVOKED");
		expect((await platform.request("GET", "/auth/me", { token: admin })).status).toBe(200);
	});

	it("a token revoked before a gateway started is refused by it (it loads auth's list of revocations)", async () => {
		const token = await platform.login("admin", ADMIN_PASSWORD);
		expect((await platform.request("POST", "/auth/logout", { token })).status).toBe(200);
		// a second platform on the same store: its gateway never saw the broadcast
		const other = await startPlatform({ dataDir: platform.dataDir });
		try {
			const gateway = other.broker.getLocalService("api") as unknown as { revocationsLoaded: boolean };
			for (let i = 0; i < 50 && !gateway.revocationsLoaded; i++) await new Promise(r => setTimeout(r, 20));
			expect(gateway.revocationsLoaded).toBe(true);
			const after = await other.request("GET", "/auth/me", { token });
			expect(after.status).toBe(401);
			expect(after.body.type).toBe("TOKEN_REVOKED");
			expect((await other.request("GET", "/auth/me", { token: admin })).status).toBe(200);
		} finally {
			await other.stop();
		}
	});

	it("401 for the token of a deleted user", async () => {
		const { id, token } = await platform.createUser(admin, { username: "short-lived", role: "viewer", domains: ["technology"] });
		expect((await platform.request("GET", "/companies", { token })).status).toBe(200);
		expect((await platform.request("DELETE", `/users/${id}`, { token: admin })).status).toBe(200);
		expect((await platform.request("GET", "/companies", { token })).status).toBe(401);
	});

	it("rotates refresh tokens and revokes the session when an old one is replayed", async () => {
		const first = (await platform.request("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).body;
		const second = await platform.request("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token } });
		expect(second.status).toBe(200);
		expect(second.body.refresh_token).not.toBe(first.refresh_token);
		expect((await platform.request("GET", "/auth/me", { token: second.body.token })).status).toBe(200);
		const replay = await platform.request("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token } });
		expect(replay.status).toBe(401);
		// the whole family is gone: the newer refresh token no longer works either
		expect((await platform.request("POST", "/auth/refresh", { body: { refresh_token: second.body.refresh_token } })).status).toBe(401);
	});
});

describe("roles", () => {
	let viewer: { id: string; token: string };
	let analyst: { id: string; token: string };
	let domainAdmin: { id: string; token: string };

	beforeAll(async () => {
		viewer = await platform.createUser(admin, { username: "vera-viewer", role: "viewer", domains: ["technology"] });
		analyst = await platform.createUser(admin, { username: "anna-analyst", role: "analyst", domains: ["technology"] });
		domainAdmin = await platform.createUser(admin, { username: "dora-admin", role: "domain_admin", domains: ["technology", "healthcare"] });
	});

	it("403 for a viewer writing", async () => {
		const res = await platform.request("POST", "/companies", { token: viewer.token, body: { name: "V Corp", industry: "technology" } });
		expect(res.status).toBe(403);
		expect(res.body.code).toBe(403);
	});

	it("lets an analyst create and update but not delete", async () => {
		const created = await platform.request("POST", "/companies", { token: analyst.token, body: { name: "A Corp", industry: "technology" } });
		expect(created.status).toBe(201);
		expect(created.headers.get("location")).toBe(`/api/v1/companies/${created.body.id}`);
		const patched = await platform.request("PATCH", `/companies/${created.body.id}`, { token: analyst.token, body: { ticker: "ACRP" } });
		expect(patched.status).toBe(200);
		expect(patched.body.ticker).toBe("ACRP");
		expect((await platform.request("DELETE", `/companies/${created.body.id}`, { token: analyst.token })).status).toBe(403);
		expect((await platform.request("DELETE", `/companies/${created.body.id}`, { token: domainAdmin.token })).status).toBe(200);
		expect((await platform.request("GET", `/companies/${created.body.id}`, { token: analyst.token })).status).toBe(404);
	});

	it("403 for an analyst administering users", async () => {
		expect((await platform.request("GET", "/users", { token: analyst.token })).status).toBe(403);
		const res = await platform.request("POST", "/users", {
			token: analyst.token,
			body: { username: "sneaky", password: "a-long-password-1", role: "viewer", domains: ["technology"] },
		});
		expect(res.status).toBe(403);
		expect((await platform.request("PATCH", `/users/${viewer.id}`, { token: analyst.token, body: { role: "analyst" } })).status).toBe(403);
	});

	it("an analyst cannot raise its own role, but may change its own password, knowing the current one; its tokens then end", async () => {
		const raise = await platform.request("PATCH", `/users/${analyst.id}`, { token: analyst.token, body: { role: "super_admin" } });
		expect(raise.status).toBe(403);
		const me = await platform.request("GET", "/auth/me", { token: analyst.token });
		expect(me.body.role).toBe("analyst");
		const other = await platform.login("anna-analyst", "anna-analyst-password-123");
		const without = await platform.request("PATCH", `/users/${analyst.id}`, { token: analyst.token, body: { password: "a-brand-new-password" } });
		expect(without.status).toBe(422);
		expect(without.body.data[0].field).toBe("current_password");
		const wrong = await platform.request("PATCH", `/users/${analyst.id}`, {
			token: analyst.token,
			body: { password: "a-brand-new-password", current_password: "not-it-at-all" },
		});
		expect(wrong.status).toBe(422);
		const pw = await platform.request("PATCH", `/users/${analyst.id}`, {
			token: analyst.token,
			body: { password: "a-brand-new-password", current_password: "anna-analyst-password-123" },
		});
		expect(pw.status).toBe(200);
		// every session of the account ends with the old password, this one included
		expect((await platform.request("GET", "/auth/me", { token: other })).status).toBe(401);
		expect((await platform.request("GET", "/auth/me", { token: analyst.token })).status).toBe(401);
		analyst.token = await platform.login("anna-analyst", "a-brand-new-password");
		expect((await platform.request("GET", "/auth/me", { token: analyst.token })).status).toBe(200);
	});

	it("a domain_admin manages analysts and viewers inside its domains only", async () => {
		const inside = await platform.request("POST", "/users", {
			token: domainAdmin.token,
			body: { username: "hank", password: "a-long-password-1", role: "analyst", domains: ["healthcare"] },
		});
		expect(inside.status).toBe(201);
		const outside = await platform.request("POST", "/users", {
			token: domainAdmin.token,
			body: { username: "mona", password: "a-long-password-1", role: "analyst", domains: ["manufacturing"] },
		});
		expect(outside.status).toBe(403);
		const peer = await platform.request("POST", "/users", {
			token: domainAdmin.token,
			body: { username: "dan", password: "a-long-password-1", role: "domain_admin", domains: ["healthcare"] },
		});
		expect(peer.status).toBe(403);
		const promote = await platform.request("PATCH", `/users/${inside.body.id}`, { token: domainAdmin.token, body: { role: "super_admin" } });
		expect(promote.status).toBe(403);
		const listed = await platform.request("GET", "/users", { token: domainAdmin.token });
		expect(listed.status).toBe(200);
		const names = listed.body.rows.map((u: { username: string }) => u.username);
		expect(names).toEqual(expect.arrayContaining(["hank", "vera-viewer", "anna-analyst", "dora-admin"]));
		expect(names).not.toContain("admin");
	});

	it("409 for a taken username", async () => {
		const res = await platform.request("POST", "/users", {
			token: admin,
			body: { username: "vera-viewer", password: "a-long-password-1", role: "viewer", domains: ["technology"] },
		});
		expect(res.status).toBe(409);
	});
});

describe("API keys", () => {
	it("authenticates a machine client with X-API-Key, within its role and domains", async () => {
		const created = await platform.request("POST", "/auth/api-keys", { token: admin, body: { name: "etl", role: "analyst", domains: ["technology"], tier: "premium" } });
		expect(created.status).toBe(201);
		const key = created.body.key as string;
		expect(key).toMatch(/^bzk\./);
		const headers = { "x-api-key": key };
		const me = await platform.request("GET", "/auth/me", { headers });
		expect(me.body).toMatchObject({ kind: "api_key", role: "analyst", tier: "premium" });
		expect((await platform.request("POST", "/companies", { headers, body: { name: "Key Co", industry: "technology" } })).status).toBe(201);
		expect((await platform.request("POST", "/companies", { headers, body: { name: "Key Health", industry: "healthcare" } })).status).toBe(403);
		const listed = await platform.request("GET", "/auth/api-keys", { token: admin });
		expect(listed.body.rows.map((k: { name: string }) => k.name)).toContain("etl");
		expect(JSON.stringify(listed.body)).not.toContain(key.split(".")[2]);
		expect(JSON.stringify(listed.body)).not.toContain("key_digest");
		expect((await platform.request("DELETE", `/auth/api-keys/${created.body.id}`, { token: admin })).status).toBe(200);
		expect((await platform.request("GET", "/auth/me", { headers })).status).toBe(401);
	});

	it("401 for a malformed or forged key", async () => {
		expect((await platform.request("GET", "/auth/me", { headers: { "x-api-key": "nonsense" } })).status).toBe(401);
		expect((await platform.request("GET", "/auth/me", { headers: { "x-api-key": "bzk.abc.def" } })).status).toBe(401);
	});

	it("refuses to demote the last super_admin (409), even to a super_admin key", async () => {
		const created = await platform.request("POST", "/auth/api-keys", { token: admin, body: { name: "root-bot", role: "super_admin", domains: ["*"] } });
		const me = (await platform.request("GET", "/auth/me", { token: admin })).body;
		const res = await platform.request("PATCH", `/users/${me.id}`, { headers: { "x-api-key": created.body.key }, body: { role: "viewer" } });
		expect(res.status).toBe(409);
		expect((await platform.request("GET", "/auth/me", { token: admin })).body.role).toBe("super_admin");
	});
});
