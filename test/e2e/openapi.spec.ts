/**
 * The OpenAPI document against itself and against the live API: it is valid OpenAPI 3; every operation is
 * described for its users (a summary that is not the action's name, its service's tag, the errors it can
 * answer with their headers, its limits and feature flag); and each documented answer is what the API
 * answers — every documented field present, every answered field documented, the documented status.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv from "ajv";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, startPlatform, type HttpResult, type Platform } from "../helpers/platform";

type Operation = {
	operationId: string;
	summary: string;
	description: string;
	tags: string[];
	requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> };
	responses: Record<string, { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, { schema: unknown }> }>;
	security?: unknown[];
	"x-feature-flag"?: string;
};
type Doc = {
	tags: Array<{ name: string; description?: string }>;
	paths: Record<string, Record<string, Operation>>;
	components: { schemas: Record<string, unknown>; responses: Record<string, { headers?: Record<string, unknown> }> };
};

let platform: Platform;
let doc: Doc;
const operations: Array<{ method: string; path: string; op: Operation }> = [];

beforeAll(async () => {
	platform = await startPlatform();
	doc = (await platform.request("GET", "/openapi.json")).body;
	for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) operations.push({ method: method.toUpperCase(), path, op });
});
afterAll(() => platform.stop());

describe("the OpenAPI document", () => {
	it("is a valid OpenAPI 3 document", async () => {
		await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
		expect(operations.length).toBeGreaterThan(80);
	});

	it("describes every operation for its users: summary, tag, errors with their headers, limits, feature flag", () => {
		const tags = new Map(doc.tags.map(t => [t.name, t.description]));
		const problems: string[] = [];
		for (const { method, path, op } of operations) {
			const at = `${method} ${path}`;
			if (!op.summary || op.summary === op.operationId || op.summary.includes(".")) problems.push(`${at}: summary '${op.summary}'`);
			if (!tags.get(op.tags[0])) problems.push(`${at}: tag '${op.tags[0]}' has no description`);
			const codes = Object.keys(op.responses);
			const success = codes.filter(c => /^2/.test(c));
			if (success.length !== 1) problems.push(`${at}: success statuses ${success}`);
			if ((success[0] === "201" || success[0] === "202") && !op.responses[success[0]].headers?.Location) problems.push(`${at}: ${success[0]} without Location`);
			for (const c of ["503", "504"]) if (!codes.includes(c)) problems.push(`${at}: no ${c}`);
			if (op.security?.length !== 0 && !(codes.includes("401") && codes.includes("403"))) problems.push(`${at}: no 401/403`);
			if (path.includes("{") && !codes.includes("404")) problems.push(`${at}: no 404 for its path id`);
			if (op.requestBody) {
				for (const c of ["400", "413", "415"]) if (!codes.includes(c)) problems.push(`${at}: takes a body but no ${c}`);
				if (!/Body: up to \d+ [KMG]?B/.test(op.description)) problems.push(`${at}: no body limit`);
			}
			if (/[?&]?page_size/.test(JSON.stringify(op)) && !op.description.includes("page_size` 1–100")) problems.push(`${at}: no page limits`);
		}
		expect(problems).toEqual([]);
		// the shared answers carry their headers
		expect(Object.keys(doc.components.responses.TooManyRequests.headers!)).toEqual(expect.arrayContaining(["Retry-After", "X-RateLimit-Remaining"]));
		expect(Object.keys(doc.components.responses.Unauthorized.headers!)).toEqual(["WWW-Authenticate"]);
		// an operation behind a flag says which
		const importSec = operations.find(o => o.op.operationId === "finance.importSec")!.op;
		expect(importSec["x-feature-flag"]).toBe("sec_import");
		expect(importSec.description).toContain("Body: up to 50 MB");
		expect(operations.find(o => o.op.operationId === "companies.create")!.op.requestBody!.content["application/json"].example).toMatchObject({ name: "Tesla, Inc." });
	});

	it("documents what the API answers: each documented field present, each answered field documented, the documented status", async () => {
		const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
		const answered: Array<{ method: string; url: string; res: HttpResult }> = [];
		const call = async (method: string, url: string, opts: Parameters<Platform["request"]>[2] = {}) => {
			const res = await platform.request(method, url, opts);
			answered.push({ method, url, res });
			return res.body;
		};

		// a tour of the API as a user takes it
		await call("GET", "/health/live");
		await call("GET", "/health/ready");
		const session = await call("POST", "/auth/login", { body: { username: "admin", password: ADMIN_PASSWORD } });
		const token = session.token;
		await call("POST", "/auth/refresh", { body: { refresh_token: session.refresh_token } });
		await call("GET", "/auth/me", { token });
		const user = await call("POST", "/users", { token, body: { username: "openapi-user", password: "a-long-passphrase", role: "analyst", domains: ["manufacturing"] } });
		await call("GET", "/users", { token });
		await call("GET", `/users/${user.id}`, { token });
		await call("PATCH", `/users/${user.id}`, { token, body: { tier: "premium" } });
		const key = await call("POST", "/auth/api-keys", { token, body: { name: "openapi-key", role: "viewer", domains: ["manufacturing"] } });
		await call("GET", "/auth/api-keys", { token });
		await call("DELETE", `/auth/api-keys/${key.id}`, { token });
		const co = await call("POST", "/companies", {
			token,
			body: { name: "Documented Co", industry: "manufacturing", ticker: "DOCD", cik: "123", country: "US", currency: "USD" },
		});
		await call("GET", "/companies?industry=manufacturing", { token });
		await call("GET", `/companies/${co.id}`, { token });
		await call("PATCH", `/companies/${co.id}`, { token, body: { name: "Documented Co." } });
		const st = await call("POST", `/companies/${co.id}/statements`, { token, body: annualStatement("2022-12-31") });
		await call("POST", `/companies/${co.id}/statements`, { token, body: annualStatement("2023-12-31") });
		await call("GET", `/companies/${co.id}/statements`, { token });
		await call("GET", `/statements/${st.id}`, { token });
		await call("PATCH", `/statements/${st.id}`, { token, body: { income_statement: { revenue: 1900 } } });
		const flag = await call("POST", "/flags", { token, body: { name: "openapi_flag", description: "documented", enabled: false } });
		await call("GET", "/flags", { token });
		await call("GET", `/flags/${flag.name}`, { token });
		await call("PUT", `/flags/${flag.name}`, { token, body: { enabled: true, rollout_percentage: 50 } });
		await call("GET", "/flags/evaluate", { token });
		await eventually(
			"both reviews",
			() => platform.request("GET", `/workflows?company_id=${co.id}&state=succeeded`, { token }),
			r => r.body.total === 2,
			300,
			50,
		);
		const workflows = await call("GET", `/workflows?company_id=${co.id}`, { token });
		await call("GET", `/workflows/${workflows.rows[0].id}`, { token });
		await eventually(
			"the overview",
			() => platform.request("GET", `/companies/${co.id}/overview`, { token }),
			r => r.body.workflow?.state === "succeeded",
			300,
			50,
		);
		await call("GET", `/companies/${co.id}/overview`, { token });
		await call("POST", `/companies/${co.id}/overview/rebuild`, { token });
		await call("GET", "/audit?page_size=100", { token });
		await call("GET", "/audit/verify", { token });
		// a statement sent back as GET gives it (PUT), another deleted, then the company
		const { id: _id, company_id: _co, created_at: _c, updated_at: _u, warnings: _w, ...whole } = await call("GET", `/statements/${st.id}`, { token });
		await call("PUT", `/statements/${st.id}`, { token, body: whole });
		const extra = await call("POST", `/companies/${co.id}/statements`, { token, body: annualStatement("2021-12-31") });
		await call("DELETE", `/statements/${extra.id}`, { token });
		await call("DELETE", `/companies/${co.id}`, { token });
		await call("POST", "/auth/logout", { token });
		const other = await platform.login("admin", ADMIN_PASSWORD);
		await call("DELETE", `/users/${user.id}`, { token: other });

		const problems: string[] = [];
		const exercised = new Set<string>();
		for (const { method, url, res } of answered) {
			const path = url.split("?")[0];
			// a literal path before a templated one (/flags/evaluate before /flags/{name})
			const found = operations
				.filter(o => o.method === method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(`/api/v1${path}`))
				.sort((x, y) => x.path.split("{").length - y.path.split("{").length)[0];
			if (!found) {
				problems.push(`${method} ${path}: not in the document`);
				continue;
			}
			exercised.add(found.op.operationId);
			const documented = Object.keys(found.op.responses).find(c => /^2/.test(c))!;
			if (String(res.status) !== documented) problems.push(`${method} ${path}: answered ${res.status}, documented ${documented}`);
			const schema = found.op.responses[documented].content?.["application/json"]?.schema;
			if (!schema || !(schema as { $ref?: string }).$ref) continue;
			const validate = ajv.compile({ ...(schema as object), components: doc.components });
			if (!validate(res.body)) problems.push(`${method} ${path}: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
		}
		expect(problems).toEqual([]);
		// every operation whose answer has a schema was checked against a live answer
		const withSchema = operations.filter(o =>
			Object.entries(o.op.responses).some(([c, r]) => /^2/.test(c) && (r.content?.["application/json"]?.schema as { $ref?: string })?.$ref),
		);
		expect(withSchema.map(o => o.op.operationId).filter(id => !exercised.has(id))).toEqual([]);
	});
});
