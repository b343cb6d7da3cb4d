/**
 * The hostile-input suite: nested, wide, huge, operator-laden and prototype-polluting input sent to every
 * route of the gateway as every role (and as nobody). Whatever comes in: no 5xx, no crash, nothing stored
 * from a refused request. Property-based (fast-check) over depth, width and size.
 */
import fc from "fast-check";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";
import { REST_ACTIONS } from "../../services/api.service";

let platform: Platform;
const tokens: Record<string, string | undefined> = {};
let ids: Record<string, string>;

/** What the store holds, as the admin sees it: compared before and after refused requests. */
async function snapshot() {
	const admin = tokens.observer!;
	const get = async (path: string) => (await platform.request("GET", path, { token: admin })).body;
	return JSON.stringify({
		companies: await get("/companies?page_size=100"),
		statements: await get(`/companies/${ids.company}/statements?page_size=100`),
		users: await get("/users?page_size=100"),
		flags: await get("/flags?page_size=100"),
		keys: await get("/auth/api-keys?page_size=100"),
	});
}

const pathOf = (template: string) => template.replace(/:(\w+)/g, (_m, name: string) => (name === "name" ? "sec_import" : (ids[name === "id" ? "company" : name] ?? "x")));
/** JSON text nested `depth` levels (built as text: JSON.stringify itself overflows on such a value). */
const nested = (depth: number, asArray = false): string => (asArray ? "[".repeat(depth) + "1" + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth));

beforeAll(async () => {
	platform = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "1000000", RATE_LIMIT_PREMIUM: "1000000", RATE_LIMIT_ANONYMOUS: "1000000" } });
	tokens.super_admin = await platform.login("admin", ADMIN_PASSWORD);
	tokens.observer = await platform.login("admin", ADMIN_PASSWORD);
	tokens.domain_admin = (await platform.createUser(tokens.super_admin, { username: "h-dadmin", role: "domain_admin", domains: ["technology"] })).token;
	tokens.analyst = (await platform.createUser(tokens.super_admin, { username: "h-analyst", role: "analyst", domains: ["technology"] })).token;
	tokens.viewer = (await platform.createUser(tokens.super_admin, { username: "h-viewer", role: "viewer", domains: ["technology"] })).token;
	tokens.anonymous = undefined;
	const company = (await platform.request("POST", "/companies", { token: tokens.super_admin, body: { name: "Hostile Co", industry: "technology", ticker: "HOST" } })).body;
	const statement = (
		await platform.request("POST", `/companies/${company.id}/statements`, {
			token: tokens.super_admin,
			body: { statement_type: "annual", period_end: "2023-12-31", balance_sheet: { total_assets: 10 }, income_statement: {}, cash_flow: {} },
		})
	).body;
	ids = { company: company.id, statement: statement.id };
});
afterAll(() => platform.stop());

const writes = REST_ACTIONS.filter(a => ["POST", "PUT", "PATCH"].includes(a.method));
const ROLES = ["super_admin", "domain_admin", "analyst", "viewer", "anonymous"];

describe("hostile bodies on every route that takes one, as every role", () => {
	it("covers the routes", () => {
		expect(writes.length).toBeGreaterThanOrEqual(12);
	});

	it("nesting beyond 32 levels is a 400 naming the limit, objects and arrays, 8,000 levels deep", async () => {
		const before = await snapshot();
		for (const route of writes) {
			for (const rawBody of [`{"username": ${nested(8000)}, "password": "x", "name": ${nested(8000)}}`, nested(5000, true), `{"cik": ${nested(8000)}}`]) {
				const res = await platform.request(route.method, pathOf(route.path), { token: tokens.super_admin, rawBody });
				expect([400, 404, 415]).toContain(res.status);
				if (res.status === 400 && route.path !== "/companies/:id/import/sec") expect(res.body.message).toMatch(/nested deeper than 32 levels/);
			}
		}
		// the import route reads its own body: same limit
		const deep = await platform.request("POST", `/companies/${ids.company}/import/sec`, { token: tokens.super_admin, rawBody: `{"cik": ${nested(8000)}, "facts": {}}` });
		expect(deep.status).toBe(400);
		expect(deep.body.message).toMatch(/nested deeper than 32 levels/);
		expect((await platform.request("GET", "/health/live")).status).toBe(200);
		expect(await snapshot()).toBe(before);
	});

	it("never echoes a rejected value of unbounded size", async () => {
		const huge = "x".repeat(200000);
		const res = await platform.request("POST", "/auth/login", { body: { username: { a: { b: { c: huge } } }, password: huge } });
		expect(res.status).toBe(422);
		expect(JSON.stringify(res.body).length).toBeLessThan(2000);
	});

	it("operator-laden and prototype-polluting input is refused, and pollutes nothing", async () => {
		const before = await snapshot();
		const attacks: unknown[] = [
			{ username: { $gt: "" }, password: { $ne: null } },
			{ username: "admin", password: { $regex: ".*" } },
			'{"__proto__": {"role": "super_admin", "polluted": true}, "name": "P", "industry": "technology"}',
			{ constructor: { prototype: { polluted: true } }, name: "P", industry: "technology" },
			{ name: "P", industry: { $in: ["technology"] } },
		];
		for (const route of writes.filter(r => r.path !== "/auth/logout")) {
			for (const role of ROLES) {
				for (const body of attacks) {
					const res = await platform.request(route.method, pathOf(route.path), { token: tokens[role], ...(typeof body === "string" ? { rawBody: body } : { body }) });
					expect(res.status).toBeLessThan(500);
					expect(res.status).not.toBe(200);
					expect(res.status).not.toBe(201);
				}
			}
		}
		const login = await platform.request("POST", "/auth/login", { body: { username: { $gt: "" }, password: { $ne: null } } });
		expect(login.status).toBe(422);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(await snapshot()).toBe(before);
		// one request at a time on every write route, as every role: it grows with the API, not a measure of speed
	}, 120_000);

	it("any JSON at all, of any depth, width and size: never a 5xx, never a crash, nothing stored", async () => {
		const before = await snapshot();
		const value = fc.oneof(
			fc.jsonValue({ maxDepth: 6 }),
			fc.integer({ min: 33, max: 3000 }).map(d => JSON.parse(nested(d))),
			fc.integer({ min: 33, max: 3000 }).map(d => JSON.parse(nested(d, true))),
			fc.array(fc.string(), { maxLength: 5000 }),
			fc.dictionary(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 300 }),
			fc.string({ maxLength: 20000 }),
		);
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom(...writes.filter(r => !["/auth/logout", "/auth/refresh"].includes(r.path))),
				fc.constantFrom(...ROLES),
				value,
				async (route, role, body) => {
					// a valid name that the random values below must not make stick
					const res = await platform.request(route.method, pathOf(route.path), { token: tokens[role], rawBody: JSON.stringify(body) });
					// the one 5xx no input causes: a connector this platform is not configured for (the price provider) says so
					const notConfigured = res.status === 503 && /connector is off: set /.test(String(res.body?.message));
					if (res.status >= 500 && !notConfigured) throw new Error(`${route.method} ${route.path} as ${role}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
					return true;
				},
			),
			{ numRuns: 400 },
		);
		expect((await platform.request("GET", "/health/live")).status).toBe(200);
		expect(await snapshot()).toBe(before);
	});

	it("hostile query strings on every read route: never a 5xx", async () => {
		const reads = REST_ACTIONS.filter(a => a.method === "GET");
		const query = fc.dictionary(
			fc.constantFrom("page", "page_size", "sort", "industry", "ticker", "cik", "from", "to", "period_end", "statement_type", "role", "$where", "__proto__"),
			fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom("-1", "1e309", "NaN", "99999999999", "[object Object]", "2021-02-30")),
			{ maxKeys: 5 },
		);
		await fc.assert(
			fc.asyncProperty(fc.constantFrom(...reads), fc.constantFrom(...ROLES), query, async (route, role, q) => {
				const res = await platform.request("GET", `${pathOf(route.path)}?${new URLSearchParams(q).toString()}`, { token: tokens[role] });
				if (res.status >= 500) throw new Error(`GET ${route.path}?${new URLSearchParams(q)} as ${role}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
				return true;
			}),
			{ numRuns: 300 },
		);
	});
});
