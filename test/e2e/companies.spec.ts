/**
 * Companies through HTTP: CRUD, domain scoping (404 outside, absent from lists), validation 422s,
 * pagination and sorting, caching that never serves a stale or foreign answer; and the gateway's
 * error shape, OpenAPI document, health and rate limits.
 */
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let techAnalyst: string;
let healthViewer: string;

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	techAnalyst = (await platform.createUser(admin, { username: "tech-analyst", role: "analyst", domains: ["technology"] })).token;
	healthViewer = (await platform.createUser(admin, { username: "health-viewer", role: "viewer", domains: ["healthcare"] })).token;
});
afterAll(() => platform.stop());

const create = (token: string, body: unknown) => platform.request("POST", "/companies", { token, body });

describe("domain scoping", () => {
	let healthCo: { id: string };

	beforeAll(async () => {
		healthCo = (await create(admin, { name: "MediCare Inc", industry: "healthcare", ticker: "MEDI", country: "US", currency: "USD" })).body;
		await create(admin, { name: "Chipmaker", industry: "technology" });
	});

	it("a company in another domain is 404 for get, update and delete", async () => {
		expect((await platform.request("GET", `/companies/${healthCo.id}`, { token: healthViewer })).status).toBe(200);
		const get = await platform.request("GET", `/companies/${healthCo.id}`, { token: techAnalyst });
		expect(get.status).toBe(404);
		expect(get.body).toMatchObject({ code: 404, type: "NOT_FOUND" });
		expect((await platform.request("PATCH", `/companies/${healthCo.id}`, { token: techAnalyst, body: { name: "Mine now" } })).status).toBe(404);
		// deleting needs admin rights: a technology domain_admin has them, but not over healthcare
		const techAdmin = (await platform.createUser(admin, { username: "tech-admin", role: "domain_admin", domains: ["technology"] })).token;
		expect((await platform.request("DELETE", `/companies/${healthCo.id}`, { token: techAdmin })).status).toBe(404);
		expect((await platform.request("GET", `/companies/${healthCo.id}`, { token: admin })).body.name).toBe("MediCare Inc");
	});

	it("a company in another domain is absent from lists, even filtered for", async () => {
		const list = await platform.request("GET", "/companies?page_size=100", { token: techAnalyst });
		expect(list.status).toBe(200);
		const industries = new Set(list.body.rows.map((c: { industry: string }) => c.industry));
		expect([...industries]).toEqual(["technology"]);
		const filtered = await platform.request("GET", "/companies?industry=healthcare", { token: techAnalyst });
		expect(filtered.body).toMatchObject({ rows: [], total: 0 });
		const health = await platform.request("GET", "/companies?industry=healthcare", { token: healthViewer });
		expect(health.body.rows.map((c: { name: string }) => c.name)).toContain("MediCare Inc");
	});

	it("cannot create into, or move a company to, a domain it does not have", async () => {
		expect((await create(techAnalyst, { name: "Hospital", industry: "healthcare" })).status).toBe(403);
		const own = (await create(techAnalyst, { name: "Movable", industry: "technology" })).body;
		expect((await platform.request("PATCH", `/companies/${own.id}`, { token: techAnalyst, body: { industry: "healthcare" } })).status).toBe(403);
	});

	it("a cached read never answers for another domain, and a write is seen at once", async () => {
		const co = (await create(admin, { name: "Cache Co", industry: "manufacturing" })).body;
		expect((await platform.request("GET", `/companies/${co.id}`, { token: admin })).status).toBe(200); // now cached for admin's scope
		expect((await platform.request("GET", `/companies/${co.id}`, { token: techAnalyst })).status).toBe(404);
		await platform.request("PATCH", `/companies/${co.id}`, { token: admin, body: { name: "Cache Co Renamed" } });
		expect((await platform.request("GET", `/companies/${co.id}`, { token: admin })).body.name).toBe("Cache Co Renamed");
		const list = await platform.request("GET", "/companies?industry=manufacturing", { token: admin });
		expect(list.body.rows.map((c: { name: string }) => c.name)).toContain("Cache Co Renamed");
	});
});

describe("validation", () => {
	it("422 with the offending fields for wrong types, unknown fields and a bad industry", async () => {
		const res = await create(admin, { name: 42, industry: "retail", founded: 1999 });
		expect(res.status).toBe(422);
		expect(res.body.name).toBe("ValidationError");
		const fields = res.body.data.map((d: { field?: string; actual?: unknown }) => d.field ?? d.actual);
		expect(fields).toEqual(expect.arrayContaining(["name", "industry", "founded"]));
	});

	it("422 for a huge string and for malformed codes", async () => {
		const res = await create(admin, { name: "x".repeat(10000), industry: "technology", ticker: "has space", country: "USA", currency: "dollars" });
		expect(res.status).toBe(422);
		const fields = res.body.data.map((d: { field: string }) => d.field);
		expect(fields).toEqual(expect.arrayContaining(["name", "ticker", "country", "currency"]));
	});

	it("422 for a missing required field and for a bad page size", async () => {
		expect((await create(admin, { industry: "technology" })).status).toBe(422);
		const page = await platform.request("GET", "/companies?page_size=1000", { token: admin });
		expect(page.status).toBe(422);
		expect(page.body.data[0].field).toBe("page_size");
		expect((await platform.request("GET", "/companies?sort=password", { token: admin })).status).toBe(422);
	});

	it("400 for malformed JSON and 413 for a body over the limit, never a 500", async () => {
		const bad = await platform.request("POST", "/companies", { token: admin, rawBody: '{"name": ' });
		expect(bad.status).toBe(400);
		expect(bad.body).toMatchObject({ code: 400, type: "INVALID_JSON" });
		const big = await platform.request("POST", "/companies", { token: admin, rawBody: JSON.stringify({ name: "y".repeat(2 * 1024 * 1024), industry: "technology" }) });
		expect(big.status).toBe(413);
		expect(big.body.message).toMatch(/larger than 1mb/);
		expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.(js|ts):\d+/);
	});

	it("415 for a body that is not JSON, before anything reads it", async () => {
		const form = await platform.request("POST", "/companies", {
			token: admin,
			rawBody: "name=Form+Co&industry=technology",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		expect(form.status).toBe(415);
		expect(form.body).toMatchObject({ code: 415, type: "UNSUPPORTED_MEDIA_TYPE" });
		expect(form.body.message).toMatch(/application\/json/);
		const text = await platform.request("PATCH", "/companies/whatever", { token: admin, rawBody: "{}", headers: { "content-type": "text/plain" } });
		expect(text.status).toBe(415);
		// a JSON type with parameters or a +json suffix is JSON
		const charset = await platform.request("POST", "/companies", {
			token: admin,
			rawBody: JSON.stringify({ name: "Charset Co", industry: "technology" }),
			headers: { "content-type": "application/json; charset=utf-8" },
		});
		expect(charset.status).toBe(201);
	});

	it("keeps a CIK and a ticker (case-insensitive) unique: a duplicate is a 409 naming the existing company", async () => {
		const tesla = await create(admin, { name: "Tesla, Inc.", industry: "manufacturing", ticker: "TSLA", cik: "1318605" });
		expect(tesla.status).toBe(201);
		const sameTicker = await create(admin, { name: "Tesla copy", industry: "technology", ticker: "tsla" });
		expect(sameTicker.status).toBe(409);
		expect(sameTicker.body.data).toMatchObject({ field: "ticker", id: tesla.body.id });
		expect(sameTicker.body.message).toMatch(/Tesla, Inc\./);
		// SEC's ten-digit form of the same CIK
		const sameCik = await create(admin, { name: "Tesla again", industry: "manufacturing", cik: "0001318605" });
		expect(sameCik.status).toBe(409);
		expect(sameCik.body.data).toMatchObject({ field: "cik", id: tesla.body.id });
		// a lower-case ticker is stored upper-case, and a rename onto a taken ticker is refused too
		const other = await create(admin, { name: "Rivian", industry: "manufacturing", ticker: "rivn" });
		expect(other.body.ticker).toBe("RIVN");
		const rename = await platform.request("PATCH", `/companies/${other.body.id}`, { token: admin, body: { ticker: "TSLA" } });
		expect(rename.status).toBe(409);
		expect((await platform.request("PATCH", `/companies/${other.body.id}`, { token: admin, body: { ticker: "RIVN", name: "Rivian Automotive" } })).status).toBe(200);
		const byTicker = await platform.request("GET", "/companies?ticker=tsla", { token: admin });
		expect(byTicker.body.rows.map((c: { id: string }) => c.id)).toEqual([tesla.body.id]);
		// a caller who may not see the company that has the ticker learns only that it is taken
		const hidden = await create(techAnalyst, { name: "Tesla look-alike", industry: "technology", ticker: "TSLA" });
		expect(hidden.status).toBe(409);
		expect(hidden.body.message).toMatch(/outside your domains/);
		expect(JSON.stringify(hidden.body)).not.toContain(tesla.body.id);
		expect(JSON.stringify(hidden.body)).not.toContain("Tesla, Inc.");
		// two creations racing for one ticker: exactly one wins
		const race = await Promise.all([
			create(admin, { name: "Race A", industry: "technology", ticker: "RACE" }),
			create(admin, { name: "Race B", industry: "technology", ticker: "RACE" }),
		]);
		expect(race.map(r => r.status).sort()).toEqual([201, 409]);
	});

	it("nothing is written when validation fails", async () => {
		const before = (await platform.request("GET", "/companies?industry=financial_services", { token: admin })).body.total;
		await create(admin, { name: "Half Bank", industry: "financial_services", ticker: "not valid!" });
		const after = (await platform.request("GET", "/companies?industry=financial_services", { token: admin })).body.total;
		expect(after).toBe(before);
	});
});

describe("lists", () => {
	beforeAll(async () => {
		for (const name of ["Delta", "Alpha", "Echo", "Charlie", "Bravo"]) await create(admin, { name: `${name} Bank`, industry: "financial_services" });
	});

	it("pages and sorts", async () => {
		const p1 = await platform.request("GET", "/companies?industry=financial_services&page=1&page_size=2&sort=name", { token: admin });
		expect(p1.body).toMatchObject({ total: 5, page: 1, page_size: 2, total_pages: 3 });
		expect(p1.body.rows.map((c: { name: string }) => c.name)).toEqual(["Alpha Bank", "Bravo Bank"]);
		const p3 = await platform.request("GET", "/companies?industry=financial_services&page=3&page_size=2&sort=name", { token: admin });
		expect(p3.body.rows.map((c: { name: string }) => c.name)).toEqual(["Echo Bank"]);
		const desc = await platform.request("GET", "/companies?industry=financial_services&page_size=1&sort=-name", { token: admin });
		expect(desc.body.rows[0].name).toBe("Echo Bank");
	});

	it("searches names case-insensitively, those that start with the text first; filters by country; sorts by any column shown (issue 21, item 16)", async () => {
		for (const [name, country] of [
			["Tools of Acme", "DE"],
			["ACME Tools", "US"],
			["acmecorp", "US"],
			["Zenith (Acme) Holdings", "FR"],
			["Unrelated", "US"],
		])
			await create(techAnalyst, { name, industry: "technology", country });
		const names = async (query: string, token = techAnalyst) =>
			(await platform.request("GET", `/companies?${query}`, { token })).body.rows.map((c: { name: string }) => c.name);
		expect(await names("q=acme")).toEqual(["ACME Tools", "acmecorp", "Tools of Acme", "Zenith (Acme) Holdings"]);
		expect(await names("q=acme&page_size=2&page=2")).toEqual(["Tools of Acme", "Zenith (Acme) Holdings"]);
		expect(await names("q=acme&sort=-name")).toEqual(["Zenith (Acme) Holdings", "Tools of Acme", "acmecorp", "ACME Tools"]);
		// the text is text: pattern characters match themselves
		expect(await names("q=(acme)")).toEqual(["Zenith (Acme) Holdings"]);
		expect(await names("q=.*")).toEqual([]);
		expect(await names("q=acme&country=us")).toEqual(["ACME Tools", "acmecorp"]);
		expect(await names("industry=technology&country=DE")).toEqual(["Tools of Acme"]);
		expect((await names("q=acme&sort=country")).slice(0, 2)).toEqual(["Tools of Acme", "Zenith (Acme) Holdings"]);
		// another domain's companies stay out of a search
		expect(await names("q=acme", healthViewer)).toEqual([]);
		expect((await platform.request("GET", "/companies?country=USA", { token: techAnalyst })).status).toBe(422);
	});
});

describe("gateway", () => {
	it("serves liveness and readiness without a token", async () => {
		expect((await platform.request("GET", "/health/live")).body).toEqual({ status: "ok" });
		const ready = await platform.request("GET", "/health/ready");
		expect(ready.status).toBe(200);
		expect(ready.body).toMatchObject({
			status: "ready",
			auth: "ok",
			transporter: "local", // embedded: only the local socket the REPL attaches through
			services: { auth: true, companies: true, flags: true },
			missing_services: [],
			warnings: [],
		});
	});

	it("publishes an OpenAPI 3 document generated from the actions, and a docs page", async () => {
		const doc = (await platform.request("GET", "/openapi.json")).body;
		expect(doc.openapi).toMatch(/^3\./);
		expect(doc.paths["/api/v1/companies"].post.requestBody.content["application/json"].schema).toMatchObject({
			required: ["name", "industry"],
			additionalProperties: false,
			properties: { industry: { enum: ["financial_services", "healthcare", "manufacturing", "technology"] } },
		});
		expect(doc.paths["/api/v1/companies/{id}"].get.parameters[0]).toMatchObject({ name: "id", in: "path" });
		expect(doc.paths["/api/v1/auth/login"].post.security).toEqual([]);
		const docs = await platform.request("GET", "/docs");
		expect(docs.headers.get("content-type")).toMatch(/text\/html/);
		// Swagger UI from the gateway itself (test/e2e/docs-page.spec.ts renders it in a browser)
		for (const asset of ["docs/assets/swagger-ui-bundle.js", "docs/assets/swagger-ui.css", "docs/assets/init.js"]) {
			expect(docs.body).toContain(`"${asset}"`);
			const served = await fetch(`${platform.url}/api/v1/${asset}`);
			expect(served.status).toBe(200);
			expect(served.headers.get("content-type")).toMatch(asset.endsWith(".css") ? /text\/css/ : /text\/javascript/);
			expect((await served.text()).length).toBeGreaterThan(100);
		}
		expect((await platform.request("GET", "/docs/assets/..%2Fpackage.json")).status).toBe(404);
	});

	it("answers a repeated read without calling the service, and never past a write, a revocation or a scope", async () => {
		const co = (await create(admin, { name: "Edge Co", industry: "technology" })).body;
		// every call of a cached action asks the cacher first: none asked means the gateway answered
		const cacherReads = jest.spyOn(platform.broker.cacher!, "get");
		const companyReads = () => cacherReads.mock.calls.filter(([key]) => key.startsWith("companies.get:")).length;
		try {
			for (let i = 0; i < 3; i++) expect((await platform.request("GET", `/companies/${co.id}`, { token: techAnalyst })).body.name).toBe("Edge Co");
			expect(companyReads()).toBe(1);
			// another scope is not served the kept answer
			expect((await platform.request("GET", `/companies/${co.id}`, { token: healthViewer })).status).toBe(404);
			// a write (on any node: its cache.clean broadcast) drops it
			await platform.request("PATCH", `/companies/${co.id}`, { token: admin, body: { name: "Edge Co 2" } });
			expect((await platform.request("GET", `/companies/${co.id}`, { token: techAnalyst })).body.name).toBe("Edge Co 2");
			// authentication still runs on every request: a logged-out token is refused though the answer is kept
			const session = await platform.createUser(admin, { username: "edge-analyst", role: "analyst", domains: ["technology"] });
			expect((await platform.request("GET", `/companies/${co.id}`, { token: session.token })).status).toBe(200);
			await platform.request("POST", "/auth/logout", { token: session.token, body: {} });
			expect((await platform.request("GET", `/companies/${co.id}`, { token: session.token })).status).toBe(401);
		} finally {
			cacherReads.mockRestore();
		}
	});

	it("404 in the error shape for an unknown route", async () => {
		const res = await platform.request("GET", "/nope", { token: admin });
		expect(res.status).toBe(404);
		expect(res.body).toMatchObject({ name: expect.any(String), message: expect.any(String), code: 404 });
	});

	it("carries rate-limit headers", async () => {
		const res = await platform.request("GET", "/companies", { token: techAnalyst });
		expect(res.headers.get("x-ratelimit-limit")).toBe("1000");
		expect(Number(res.headers.get("x-ratelimit-remaining"))).toBeLessThan(1000);
		expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
	});
});

describe("routes", () => {
	it("every shipped route is there from the start, before the registry's announcements are turned into routes", async () => {
		const fresh = await startPlatform();
		try {
			// no waiting: the shipped routes do not depend on moleculer-web regenerating aliases
			const token = await fresh.login("admin", ADMIN_PASSWORD);
			const co = (await fresh.request("POST", "/companies", { token, body: { name: "Early", industry: "technology" } })).body;
			expect((await fresh.request("GET", `/companies/${co.id}/statements`, { token })).status).toBe(200);
			const api = fresh.broker.getLocalService("api") as unknown as { routes: Array<{ opts: { name?: string } }> };
			expect(api.routes.map(r => r.opts.name).filter(Boolean)).toEqual(expect.arrayContaining(["shipped", "announced"]));
		} finally {
			await fresh.stop();
		}
	});
});
