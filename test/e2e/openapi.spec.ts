/**
 * The OpenAPI document against itself and against the live API: it is valid OpenAPI 3; every operation is
 * described for its users (a summary that is not the action's name, its service's tag, the errors it can
 * answer with their headers, its limits and feature flag); and each documented answer is what the API
 * answers — every documented field present, every answered field documented, the documented status.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv from "ajv";
import fs from "node:fs";
import path from "node:path";
import { startFakeSec, type FakeSec } from "../helpers/fake-sec";
import { startFakePrices, type FakePrices } from "../helpers/fake-prices";
import { annualStatement, LIQUIDITY_POLICY_LIBRARY } from "../helpers/fixtures";
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

/** Two columns, a label that follows them: a model that trains in a moment. */
const SEPARABLE_CSV = ["a,b,y", ...Array.from({ length: 200 }, (_, i) => `${((i * 37) % 100) / 100},${((i * 61) % 100) / 100},${(i * 37) % 100 > (i * 61) % 100 ? 1 : 0}`)].join(
	"\n",
);
const THREE_BY_THREE = [
	"urn: urn:example:risk:library:documented",
	"name: Documented three by three",
	"objects:",
	"  risk_matrix:",
	"    - urn: urn:example:risk:matrix:documented",
	"      name: documented three by three",
	"      probability: [{ name: Low }, { name: Medium }, { name: High }]",
	"      impact: [{ name: Low }, { name: Medium }, { name: High }]",
	"      risk: [{ name: Acceptable }, { name: Tolerable }, { name: Unacceptable }]",
	"      grid: [[0, 0, 1], [0, 1, 2], [1, 2, 2]]",
].join("\n");
const TESLA_FACTS = fs.readFileSync(path.resolve(__dirname, "../../data/sec-companyfacts/tesla.json"), "utf8");

let platform: Platform;
let fakeSec: FakeSec;
let fakePrices: FakePrices;
let doc: Doc;
const operations: Array<{ method: string; path: string; op: Operation }> = [];

beforeAll(async () => {
	// SEC EDGAR as a local server serving recorded answers (the SEC connector's routes are on the tour)
	fakeSec = await startFakeSec();
	fakePrices = await startFakePrices();
	platform = await startPlatform({
		env: {
			SEC_USER_AGENT: "bizops-tests ops@example.com",
			SEC_DATA_BASE_URL: fakeSec.url,
			SEC_FILES_BASE_URL: fakeSec.url,
			PRICES_PROVIDER: "tiingo",
			PRICES_BASE_URL: fakePrices.url,
			PRICES_API_KEY: "openapi-test-key",
		},
	});
	doc = (await platform.request("GET", "/openapi.json")).body;
	for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) operations.push({ method: method.toUpperCase(), path, op });
});
afterAll(async () => {
	await platform.stop();
	await fakeSec.close();
	await fakePrices.close();
});

describe("the OpenAPI document", () => {
	it("is a valid OpenAPI 3 document", async () => {
		await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
		expect(operations.length).toBeGreaterThan(80);
	});

	it("describes every operation for its users: summary, tag, errors with their headers, limits, feature flag", () => {
		const tags = new Map(doc.tags.map(t => [t.name, t.description]));
		const exampleCheck = new Ajv({ strict: false, allErrors: true, validateFormats: false });
		const problems: string[] = [];
		for (const { method, path, op } of operations) {
			const at = `${method} ${path}`;
			if (!op.summary || op.summary === op.operationId || op.summary.includes(".")) problems.push(`${at}: summary '${op.summary}'`);
			if (!tags.get(op.tags[0])) problems.push(`${at}: tag '${op.tags[0]}' has no description`);
			const codes = Object.keys(op.responses);
			const success = codes.filter(c => /^2/.test(c));
			if (!success.length) problems.push(`${at}: no success status`);
			if ((success[0] === "201" || success[0] === "202") && !op.responses[success[0]].headers?.Location) problems.push(`${at}: ${success[0]} without Location`);
			for (const c of ["503", "504"]) if (!codes.includes(c)) problems.push(`${at}: no ${c}`);
			if (op.security?.length !== 0 && !(codes.includes("401") && codes.includes("403"))) problems.push(`${at}: no 401/403`);
			if (path.includes("{") && !codes.includes("404")) problems.push(`${at}: no 404 for its path id`);
			const media = op.requestBody?.content["application/json"];
			if (media && Object.keys((media.schema as { properties?: object }).properties ?? {}).length && media.example === undefined) problems.push(`${at}: no request example`);
			// an example a user can send: it passes the body's own schema
			if (media?.example !== undefined) {
				const validate = exampleCheck.compile(media.schema as object);
				if (!validate(media.example)) problems.push(`${at}: its example does not fit: ${exampleCheck.errorsText(validate.errors)}`);
			}
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
		// three changes: two statements posted, one changed
		await eventually(
			"the three reviews",
			() => platform.request("GET", `/workflows?company_id=${co.id}&state=succeeded`, { token }),
			r => r.body.total === 3,
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
		await call("GET", "/audit/siem", { token });
		await call("GET", `/users/${user.id}/personal-data`, { token });
		await call("GET", "/audit/export?after_seq=0&limit=5", { token });
		// analysis, GRC and strategy on the company
		await call("GET", `/companies/${co.id}/analysis`, { token });
		await call("POST", "/analysis/portfolio", { token, body: { company_ids: [co.id] } });
		await call("GET", "/regulations?industry=manufacturing", { token });
		const record = await call("POST", `/companies/${co.id}/compliance/evaluate`, { token, body: { regulation_type: "iso_9001" } });
		await call("GET", `/companies/${co.id}/compliance-records`, { token });
		await call("PATCH", `/compliance-records/${record.id}/attestations/quality_policy`, {
			token,
			// a policy of a month ago: within any requirement's validity, whenever the suite runs
			body: { answer: true, evidence: "Policy QP-1", effective_date: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10) },
		});
		await call("GET", "/compliance/summary", { token });
		await call("POST", "/frameworks", { token, body: { content: LIQUIDITY_POLICY_LIBRARY, industries: ["financial_services"], cadence_months: 6 } });
		await call("GET", "/domains", { token });
		await call("GET", "/domains/manufacturing", { token });
		const bank = await call("POST", "/companies", { token, body: { name: "Documented Bank", industry: "financial_services" } });
		await call("POST", `/companies/${bank.id}/operational-metrics`, {
			token,
			body: {
				period_end: "2024-12-31",
				metrics: { cet1_capital: 40, tier1_capital: 50, total_capital: 70, risk_weighted_assets: 1000, hqla: 130, net_cash_outflows_30d: 100 },
			},
		});
		await call("GET", `/companies/${bank.id}/operational-metrics`, { token });
		await call("PUT", `/companies/${bank.id}/kpi-appetite/lcr`, { token, body: { regulatory_minimum: 1, internal_limit: 1.1, early_warning: 1.15 } });
		await call("GET", `/companies/${bank.id}/kpi-appetite`, { token });
		await call("GET", `/companies/${bank.id}/kpis`, { token });
		await call("POST", `/companies/${co.id}/risk-assessments/auto`, { token });
		// assessed by the analyst: who assesses a risk does not accept it
		const analyst = (await call("POST", "/auth/login", { body: { username: "openapi-user", password: "a-long-passphrase" } })).token;
		const risk = await call("POST", `/companies/${co.id}/risk-assessments`, {
			token: analyst,
			body: { risk_type: "operational", title: "Single supplier for castings", likelihood: 4, impact: 4, residual_likelihood: 2, residual_impact: 4 },
		});
		await call("GET", `/companies/${co.id}/risk-assessments`, { token });
		await call("GET", `/risk-assessments/${risk.id}`, { token });
		await call("PATCH", `/risk-assessments/${risk.id}`, { token, body: { mitigation_strategies: ["second supplier qualified"] } });
		await call("POST", `/risk-assessments/${risk.id}/accept`, { token, body: { rationale: "Within appetite", expires_at: "2099-01-01T00:00:00Z" } });
		await call("GET", "/risk/summary", { token });
		await call("GET", `/companies/${co.id}/risk-matrix`, { token });
		await call("GET", "/risk-matrices", { token });
		await call("POST", "/risk-matrices", { token, body: { content: THREE_BY_THREE } });
		const plan = await call("POST", `/companies/${co.id}/strategic-plans`, {
			token,
			body: {
				title: "2027 plan",
				market_analysis: { tam: 1000, sam: 200, som: 20, five_forces: { buyer_power: { rating: "medium", factors: ["few buyers"] } } },
				objectives: [{ title: "Fix the balance sheet", key_results: [{ description: "current ratio", start: 1, target: 1.5 }] }],
				action_plan: [{ title: "Refinance the term loan", owner: "CFO", due_date: "2027-06-30", objective_id: "o1" }],
			},
		});
		await call("GET", `/companies/${co.id}/strategic-plans`, { token });
		await call("GET", `/strategic-plans/${plan.id}`, { token });
		await call("PATCH", `/strategic-plans/${plan.id}`, { token, body: { title: "2027 plan (v2)" } });
		await call("POST", `/strategic-plans/${plan.id}/objectives/o1/key-results/kr1/check-ins`, { token, body: { value: 1.2, note: "Q1" } });
		await call("GET", `/strategic-plans/${plan.id}/objectives/o1/key-results/kr1/check-ins`, { token });
		// where the check-in's 201 points
		const checkedIn = answered.find(a => a.method === "POST" && a.url.endsWith("/check-ins"))!;
		await call("GET", checkedIn.res.headers.get("location")!.replace("/api/v1", ""), { token });
		await call("POST", `/strategic-plans/${plan.id}/transitions`, { token, body: { to: "under_review" } });
		await call("POST", `/companies/${co.id}/strategic-plans/draft`, { token, body: { title: "Drafted" } });

		// machine learning: a data set, a model trained twice, deployed, used, compared, rolled back
		const dataset = await call("POST", "/ml/datasets", { token, body: { name: "documented", format: "csv", label: "y", domain: "manufacturing", content: SEPARABLE_CSV } });
		await call("GET", "/ml/datasets", { token });
		await call("GET", `/ml/datasets/${dataset.id}`, { token });
		const model = await call("POST", "/ml/models", {
			token,
			body: { name: "documented-lr", domain: "manufacturing", model_type: "logistic_regression", configuration: { hyperparameters: { max_iterations: 20 } } },
		});
		await call("GET", "/ml/models", { token });
		await call("PATCH", `/ml/models/${model.id}`, { token, body: { configuration: { hyperparameters: { max_iterations: 20, l2: 0.01 } } } });
		for (const seed of [1, 2]) {
			const job = await call("POST", `/ml/models/${model.id}/train`, { token, body: { dataset_id: dataset.id, seed } });
			await eventually(
				"the job",
				() => platform.request("GET", `/ml/jobs/${job.id}`, { token }),
				r => r.body.state === "succeeded",
				600,
				100,
			);
			await call("GET", `/ml/jobs/${job.id}`, { token });
			await call("POST", `/ml/models/${model.id}/versions/${seed}/deploy`, { token, body: { alias: "production", reason: `release ${seed}` } });
		}
		await call("GET", `/ml/jobs?model_id=${model.id}`, { token });
		await call("GET", `/ml/models/${model.id}`, { token });
		await call("GET", `/ml/models/${model.id}/versions`, { token });
		await call("GET", `/ml/models/${model.id}/versions/1`, { token });
		await call("POST", `/ml/models/${model.id}/predict`, {
			token,
			body: {
				rows: [
					{ a: 0.2, b: 0.9 },
					{ a: 0.8, b: 0.1 },
				],
			},
		});
		await call("GET", `/ml/models/${model.id}/monitoring`, { token });
		await call("POST", `/ml/models/${model.id}/versions/1/evaluate`, { token, body: {} });
		await call("GET", `/ml/models/${model.id}/compare?versions=1,2`, { token });
		await call("POST", `/ml/models/${model.id}/rollback`, { token, body: { reason: "version 2 is worse" } });
		await call("GET", `/ml/models/${model.id}/history`, { token });
		const queued = await call("POST", `/ml/models/${model.id}/train`, { token, body: { dataset_id: dataset.id, seed: 3 } });
		await call("DELETE", `/ml/jobs/${queued.id}`, { token });
		const tesla = await call("POST", "/companies", { token, body: { name: "Tesla, Inc.", industry: "manufacturing", ticker: "TSLA" } });
		await call("POST", `/companies/${tesla.id}/import/sec`, { token, rawBody: TESLA_FACTS });
		// imported statements carry where they came from
		await call("GET", `/companies/${tesla.id}/statements?page_size=100`, { token });
		await call("GET", `/companies/${tesla.id}/statements/history?items=revenue,total_assets`, { token });
		await call("POST", `/companies/${tesla.id}/prices`, {
			token,
			body: {
				content:
					"Date,Open,High,Low,Close,Adj Close,Volume\n2021-12-30,1061.33,1095.55,1053.15,1070.34,1070.34,15680300\n2021-12-31,1073.44,1082.0,1054.59,1056.78,1056.78,13577900\n",
			},
		});
		await call("GET", `/companies/${tesla.id}/prices?interval=week`, { token });
		await call("GET", `/companies/${tesla.id}/market`, { token });
		await call("GET", `/companies/${tesla.id}/ratios/history?ratios=profitability.net_margin&statement_type=annual`, { token });
		const marvell = await call("POST", "/companies/from-sec", { token, body: { ticker: "MRVL" } });
		await call("POST", `/companies/${marvell.company.id}/sec-refresh`, { token });
		await call("GET", "/integration/sec/status", { token });
		await call("GET", "/integration/sec/refresh-runs", { token });
		fakePrices.tickers.add("MRVL");
		await call("POST", `/companies/${marvell.company.id}/prices/fetch`, { token, body: { from: "2017-09-01", to: "2017-09-30" } });
		await call("GET", "/integration/prices/status", { token });
		await call("GET", "/integration/prices/refresh-runs", { token });
		await call("GET", "/health/nodes", { token });
		await call("GET", `/overviews?company_ids=${tesla.id},${marvell.company.id}`, { token });
		// reports: one made and listed; a schedule made, read with its runs, and deleted; the report deleted
		const report = await call("POST", "/reports", { token, body: { kind: "company", company_id: tesla.id, format: "xlsx" } });
		await eventually(
			"the report",
			() => platform.request("GET", `/reports/${report.id}`, { token }),
			r => r.body.state === "succeeded",
			600,
			50,
		);
		await call("GET", `/reports/${report.id}`, { token });
		await call("GET", `/reports?company_id=${tesla.id}`, { token });
		const schedule = await call("POST", "/report-schedules", { token, body: { name: "Weekly", kind: "portfolio", scope: { industry: "manufacturing" }, cron: "0 0 7 * * 1" } });
		await call("GET", "/report-schedules", { token });
		await call("GET", `/report-schedules/${schedule.id}`, { token });
		await call("DELETE", `/report-schedules/${schedule.id}`, { token });
		await call("DELETE", `/reports/${report.id}`, { token });
		if (process.env.DUMP_ANSWERS)
			require("fs").writeFileSync(process.env.DUMP_ANSWERS, JSON.stringify(answered.map(a => ({ method: a.method, url: a.url, status: a.res.status, body: a.res.body }))));

		// a statement sent back as GET gives it (PUT), another deleted, then the company
		const { id: _id, company_id: _co, created_at: _c, updated_at: _u, warnings: _w, ...whole } = await call("GET", `/statements/${st.id}`, { token });
		await call("PUT", `/statements/${st.id}`, { token, body: whole });
		const extra = await call("POST", `/companies/${co.id}/statements`, { token, body: annualStatement("2021-12-31") });
		await call("DELETE", `/statements/${extra.id}`, { token });
		await call("DELETE", `/companies/${co.id}`, { token });
		await call("POST", "/auth/logout", { token });
		const other = await platform.login("admin", ADMIN_PASSWORD);
		await call("DELETE", `/users/${user.id}`, { token: other });
		await call("GET", "/encryption", { token: other });
		await call("POST", "/encryption/rotate", { token: other, body: { scopes: ["platform"] } });
		const erased = await call("POST", "/users", {
			token: other,
			body: { username: "openapi-erased", password: "a-long-passphrase", role: "viewer", domains: ["manufacturing"] },
		});
		await call("POST", `/users/${erased.id}/erase`, { token: other });
		const made = await call("POST", "/backups", { token: other, body: {} });
		await call("GET", "/backups", { token: other });
		await call("GET", `/backups/${made.name}`, { token: other });
		await call("POST", `/backups/${made.name}/verify`, { token: other });

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
			const successes = Object.keys(found.op.responses).filter(c => /^2/.test(c));
			const documented = successes.includes(String(res.status)) ? String(res.status) : successes[0];
			if (String(res.status) !== documented) problems.push(`${method} ${path}: answered ${res.status}, documented ${successes.join(" or ")}`);
			const schema = found.op.responses[documented].content?.["application/json"]?.schema;
			if (!schema || !(schema as { $ref?: string }).$ref) continue;
			const validate = ajv.compile({ ...(schema as object), components: doc.components });
			if (!validate(res.body)) problems.push(`${method} ${path}: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
		}
		expect(problems).toEqual([]);
		// every 201 names what it created (issue 21, item 9)
		expect(answered.filter(a => a.res.status === 201 && !a.res.headers.get("location")).map(a => `${a.method} ${a.url}`)).toEqual([]);
		// every operation whose answer has a schema was checked against a live answer
		const withSchema = operations.filter(o =>
			Object.entries(o.op.responses).some(([c, r]) => /^2/.test(c) && (r.content?.["application/json"]?.schema as { $ref?: string })?.$ref),
		);
		expect(withSchema.map(o => o.op.operationId).filter(id => !exercised.has(id))).toEqual([]);
		// a walk through every route, a training job and a report among them: it grows with the API
	}, 120_000);
});
