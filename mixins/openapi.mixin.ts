/**
 * The OpenAPI 3 document of the gateway, generated from the REST aliases moleculer-web registered and the
 * fastest-validator `params` of the actions behind them, so it cannot drift from the code; and a
 * self-contained page that renders it at `/docs`.
 */
import { packageVersion } from "../config/files";
import fs from "fs";
import path from "path";
import type { Context } from "moleculer";
import { defineMixin } from "../lib/service";
import { notFound } from "../models/errors";
import type { OperationDoc, RestAction } from "./rest-routes";

type Rule = Record<string, any> | string | Array<Record<string, any> | string>;
type JsonSchema = Record<string, unknown>;

/** fastest-validator rule → JSON Schema (the subset this project's params use). */
export function ruleToSchema(rule: Rule): { schema: JsonSchema; optional: boolean } {
	if (Array.isArray(rule)) {
		const parts = rule.map(ruleToSchema);
		// fastest-validator takes the value when any of the rules does
		return { schema: { anyOf: parts.map(p => p.schema) }, optional: parts.every(p => p.optional) };
	}
	if (typeof rule === "string") {
		const [type, ...flags] = rule.split("|");
		return { schema: ruleToSchema({ type }).schema, optional: flags.includes("optional") };
	}
	const optional = rule.optional === true || rule.default !== undefined;
	const schema: JsonSchema = {};
	switch (rule.type) {
		case "string":
			schema.type = "string";
			if (rule.min != null) schema.minLength = rule.min;
			if (rule.max != null) schema.maxLength = rule.max;
			if (rule.pattern) schema.pattern = rule.pattern instanceof RegExp ? rule.pattern.source : String(rule.pattern);
			if (rule.format) schema.format = rule.format;
			if (Array.isArray(rule.values)) schema.enum = rule.values; // a string checked against a list known at run time
			break;
		case "number":
			schema.type = rule.integer ? "integer" : "number";
			if (rule.min != null) schema.minimum = rule.min;
			if (rule.max != null) schema.maximum = rule.max;
			break;
		case "boolean":
			schema.type = "boolean";
			break;
		case "equal":
			schema.type = typeof rule.value === "number" ? "number" : typeof rule.value === "boolean" ? "boolean" : "string";
			schema.enum = [rule.value];
			break;
		case "enum":
			schema.type = "string";
			schema.enum = rule.values;
			break;
		case "date":
			schema.type = "string";
			schema.format = "date-time";
			break;
		case "email":
			schema.type = "string";
			schema.format = "email";
			break;
		case "array":
			schema.type = "array";
			if (rule.items) schema.items = ruleToSchema(rule.items).schema;
			if (rule.min != null) schema.minItems = rule.min;
			if (rule.max != null) schema.maxItems = rule.max;
			break;
		case "object": {
			Object.assign(schema, objectSchema(rule.props ?? {}, rule.strict === true));
			break;
		}
		default:
			break;
	}
	if (rule.nullable) schema.nullable = true;
	if (rule.default !== undefined && typeof rule.default !== "function") schema.default = rule.default;
	return { schema, optional };
}

export function objectSchema(props: Record<string, Rule>, strict: boolean): JsonSchema {
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [name, rule] of Object.entries(props)) {
		if (name.startsWith("$$")) continue;
		const { schema, optional } = ruleToSchema(rule);
		properties[name] = schema;
		if (!optional) required.push(name);
	}
	const out: JsonSchema = { type: "object", properties };
	if (required.length) out.required = required;
	if (strict) out.additionalProperties = false;
	return out;
}

interface AliasInfo {
	method: string;
	path: string;
	fullPath: string;
	actionName?: string;
}

export interface ActionInfo {
	name: string;
	params?: Record<string, any>;
	auth?: string;
	permission?: [string, string];
	role?: string;
	rateLimit?: boolean;
	visibility?: string;
}

/** What the document adds to the routes: each operation's doc, the services' descriptions, entity schemas, limits. */
export interface DocumentExtras {
	operations?: Record<string, OperationDoc>;
	tags?: Record<string, string>;
	schemas?: Record<string, JsonSchema>;
	limits?: { body: string; rate: { default: number; premium: number; anonymous: number; window_s: number } };
}

const json = (schema: unknown) => ({ "application/json": { schema } });

/** Tables that are not pages but export as files: a company's KPIs and the line-item and ratio histories. */
const EXPORTABLE_RESPONSES = new Set(["Kpis", "LineItemHistory", "RatioHistory"]);
/** A response schema whose answer has `rows` (a list that is not a page). */
const isRowsSchema = (schema: unknown): boolean => (schema as { properties?: { rows?: { type?: string } } } | undefined)?.properties?.rows?.type === "array";
const EXPORT_CONTENT = {
	"text/csv": { schema: { type: "string" } },
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { schema: { type: "string", format: "binary" } },
};
const ERROR_SCHEMA = { $ref: "#/components/schemas/Error" };
const RATE_HEADERS = {
	"X-RateLimit-Limit": { description: "Requests allowed in the window", schema: { type: "integer" } },
	"X-RateLimit-Remaining": { description: "Requests left in the window", schema: { type: "integer" } },
	"X-RateLimit-Reset": { description: "When the window resets (epoch seconds)", schema: { type: "integer" } },
};
/** The error answers every operation refers to, by status. */
const ERROR_RESPONSES: Record<number, { name: string; description: string; headers?: Record<string, unknown> }> = {
	400: { name: "BadRequest", description: "Malformed JSON, JSON nested too deep, or a body that cannot be read" },
	401: {
		name: "Unauthorized",
		description: "No credentials (NO_TOKEN), an expired token (TOKEN_EXPIRED: refresh it), an invalid or revoked one (TOKEN_INVALID, TOKEN_REVOKED), a bad API key",
		headers: { "WWW-Authenticate": { description: 'Bearer realm="bizops", with error="invalid_token" and the reason for a refused token', schema: { type: "string" } } },
	},
	403: { name: "Forbidden", description: "The caller's role may not do this, or a feature flag it depends on is off for the caller" },
	404: { name: "NotFound", description: "Unknown, or outside the caller's domains (the two are indistinguishable)" },
	409: { name: "Conflict", description: "Conflicts with what exists (a duplicate, a state that moved meanwhile); the message names what" },
	413: { name: "PayloadTooLarge", description: "The body is over the route's limit (data.limit)" },
	415: { name: "UnsupportedMediaType", description: "The body is not JSON (or not the upload's type)" },
	422: { name: "ValidationFailed", description: "Bad input: the message says what, field by field; data lists each offending field {type, field, message, actual}" },
	429: {
		name: "TooManyRequests",
		description: "Rate limited (per client and endpoint), or too many failed sign-ins; come back after Retry-After",
		headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } }, ...RATE_HEADERS },
	},
	503: { name: "ServiceUnavailable", description: "A service or store this request needs is down; try again shortly" },
	504: { name: "GatewayTimeout", description: "A service answered too late; try again shortly" },
};

/** The client and server errors an operation can answer: what every operation of its kind can, and its own. */
export function errorStatuses(action: ActionInfo, hasPathParam: boolean, hasInput: boolean, takesBody: boolean, own: number[] = []): number[] {
	const codes = new Set<number>([503, 504, ...own]);
	if (action.auth !== "public") [401, 403].forEach(c => codes.add(c));
	if (action.rateLimit !== false) codes.add(429);
	if (hasInput) codes.add(422);
	if (hasPathParam) codes.add(404);
	if (takesBody) [400, 413, 415].forEach(c => codes.add(c));
	return [...codes].sort((a, b) => a - b);
}

const pageSchema = (item: string): JsonSchema => ({
	type: "object",
	description: `A page of ${item}`,
	required: ["rows", "total", "page", "page_size", "total_pages"],
	additionalProperties: false,
	properties: {
		rows: { type: "array", items: { $ref: `#/components/schemas/${item}` } },
		total: { type: "integer", description: "Rows matching, all pages" },
		page: { type: "integer" },
		page_size: { type: "integer" },
		total_pages: { type: "integer" },
	},
});

/** "1mb" (body-parser's form) as "1 MB". */
function humanSize(limit: string): string {
	const m = /^(\d+(?:\.\d+)?)\s*([kmg]?b)$/i.exec(limit.trim());
	return m ? `${m[1]} ${m[2].toUpperCase()}` : limit;
}

export function buildOpenApi(aliases: AliasInfo[], actions: Map<string, ActionInfo>, info: { title: string; version: string }, extras: DocumentExtras = {}): JsonSchema {
	const paths: Record<string, Record<string, unknown>> = {};
	const usedTags = new Set<string>();
	const schemas: Record<string, JsonSchema> = { ...(extras.schemas ?? {}) };
	for (const alias of aliases) {
		const action = alias.actionName ? actions.get(alias.actionName) : undefined;
		if (!action || alias.method === "*") continue;
		const doc: OperationDoc | undefined = extras.operations?.[action.name];
		const method = alias.method.toLowerCase();
		const path = alias.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
		const pathParams = [...alias.fullPath.matchAll(/:([A-Za-z0-9_]+)/g)].map(m => m[1]);
		const params = action.params ?? {};
		const strict = (params as Record<string, unknown>).$$strict === true;
		const parameters: unknown[] = pathParams.map(name => ({ name, in: "path", required: true, schema: ruleToSchema(params[name] ?? { type: "string" }).schema }));
		const bodyProps = Object.fromEntries(Object.entries(params).filter(([k]) => !pathParams.includes(k) && !k.startsWith("$$")));
		const takesBody = method !== "get" && method !== "delete" && (Object.keys(bodyProps).length > 0 || !!doc?.upload);
		const tag = action.name.includes(".") ? action.name.slice(0, action.name.lastIndexOf(".")) : action.name;
		usedTags.add(tag);

		const rules: string[] = [];
		if (action.auth === "public") rules.push("No authentication.");
		else if (action.permission)
			rules.push(
				`Needs \`${action.permission[0]}\` on \`${action.permission[1]}\`${action.role ? ` and the role ${action.role}` : ""}; a company outside the caller's domains is a 404.`,
			);
		else if (action.role) rules.push(`Needs the role \`${action.role}\` (or above).`);
		else rules.push("Needs an authenticated caller.");
		if (doc?.flag) rules.push(`Behind the feature flag \`${doc.flag}\`: 403 while it is off for the caller.`);
		if (takesBody) rules.push(`Body: up to ${humanSize(doc?.body_limit ?? extras.limits?.body ?? "1mb")}${doc?.upload ? ` of \`${doc.upload}\`` : " of JSON"}.`);
		if ("page_size" in params) rules.push("Pages: `page` 1–1,000, `page_size` 1–100 (default 20), `sort` a field, `-` first for descending.");
		if (action.rateLimit === false) rules.push("Not rate limited.");
		// a table read also comes as a file (lib/exports.ts): the same call, asked with ?format or Accept
		const exportable = method === "get" && !!doc?.response && (!!doc.list || EXPORTABLE_RESPONSES.has(doc.response) || isRowsSchema(schemas[doc.response]));
		if (exportable)
			rules.push(
				"Also as a file: `format=csv` or `format=xlsx` (or an `Accept` header naming CSV or XLSX) gives the same rows as RFC 4180 CSV or a typed XLSX sheet (docs/api.md, Exports).",
			);

		const status = doc?.status ?? 200;
		const content = doc?.response ? json(doc.list ? { $ref: `#/components/schemas/${doc.response}Page` } : { $ref: `#/components/schemas/${doc.response}` }) : undefined;
		if (doc?.response && doc.list && !schemas[`${doc.response}Page`]) schemas[`${doc.response}Page`] = pageSchema(doc.response);
		const success: Record<string, unknown> = { description: status === 201 ? "Created" : status === 202 ? "Accepted" : status === 204 ? "Done, nothing to answer" : "OK" };
		const answers = doc?.answers == null ? null : Array.isArray(doc.answers) ? doc.answers : [doc.answers];
		if (status !== 204)
			success.content = answers
				? Object.fromEntries(answers.map(type => [type, { schema: type.startsWith("text/") ? { type: "string" } : { type: "string", format: "binary" } }]))
				: (content ?? json({ type: "object" }));
		if (exportable && success.content) success.content = { ...(success.content as object), ...EXPORT_CONTENT };
		if (status === 201 || status === 202) success.headers = { Location: { description: "Where the new resource (or the job) is", schema: { type: "string" } } };
		const responses: Record<string, unknown> = { [String(status)]: success };
		if (doc?.alternate_status) responses[String(doc.alternate_status)] = { ...success, description: "OK (it replaced what was there)", headers: undefined };
		for (const code of errorStatuses(action, pathParams.length > 0, Object.keys(bodyProps).length > 0 || pathParams.length > 0, takesBody, doc?.errors))
			responses[String(code)] = { $ref: `#/components/responses/${ERROR_RESPONSES[code]?.name ?? "Error"}` };

		const op: Record<string, unknown> = {
			operationId: action.name,
			tags: [tag],
			summary: doc?.summary ?? action.name,
			description: [doc?.description, rules.join(" ")].filter(Boolean).join("\n\n"),
			responses,
		};
		if (doc?.flag) op["x-feature-flag"] = doc.flag;
		if (action.auth === "public") op.security = [];
		if (method === "get" || method === "delete") {
			for (const [name, rule] of Object.entries(bodyProps)) {
				const { schema, optional } = ruleToSchema(rule);
				parameters.push({ name, in: "query", required: !optional, schema });
			}
			if (exportable) parameters.push({ name: "format", in: "query", required: false, schema: { type: "string", enum: ["json", "csv", "xlsx"] } });
		} else if (doc?.upload) {
			// a streamed body: read by the service as it is, described in words (and by its example)
			const media: Record<string, unknown> = { schema: doc.upload === "application/json" ? { type: "object" } : { type: "string", format: "binary" } };
			if (doc.example !== undefined) media.example = doc.example;
			op.requestBody = { required: true, content: { [doc.upload]: media } };
		} else if (Object.keys(bodyProps).length > 0) {
			const media: Record<string, unknown> = { schema: objectSchema(bodyProps, strict) };
			if (doc?.example !== undefined) media.example = doc.example;
			op.requestBody = { required: true, content: { "application/json": media } };
		}
		if (parameters.length) op.parameters = parameters;
		(paths[path] ??= {})[method] = op;
	}
	const rate = extras.limits?.rate;
	return {
		openapi: "3.0.3",
		info: {
			...info,
			description: [
				"The bizops REST API: companies and their financial statements, analysis, risk, compliance, strategic plans, workflows, the audit trail and ML models.",
				"Errors have one shape, `{name, message, code, type, data}`; lists answer `{rows, total, page, page_size, total_pages}`; entities carry `id`, `created_at`, `updated_at` (ISO 8601, UTC).",
				rate
					? `Rate limits, per client and endpoint, per ${rate.window_s} s: ${rate.default} requests for the default tier, ${rate.premium} for premium, ${rate.anonymous} per address without credentials; a 429 says when to come back (Retry-After).`
					: "",
			]
				.filter(Boolean)
				.join("\n\n"),
		},
		servers: [{ url: "/" }],
		security: [{ bearerAuth: [] }, { apiKey: [] }],
		tags: [...usedTags].sort().map(name => ({ name, ...(extras.tags?.[name] ? { description: extras.tags[name] } : {}) })),
		components: {
			securitySchemes: {
				bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The token from POST /api/v1/auth/login" },
				apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "A key from POST /api/v1/auth/api-keys" },
			},
			schemas: {
				Error: {
					type: "object",
					required: ["name", "message", "code"],
					properties: {
						name: { type: "string" },
						message: { type: "string", description: "What is wrong, in words" },
						code: { type: "integer", description: "The HTTP status" },
						type: { type: "string", description: "The case, e.g. VALIDATION_ERROR, TOKEN_EXPIRED, NOT_FOUND" },
						data: { description: "Details: for a 422, each offending field {type, field, message, actual}" },
					},
				},
				...schemas,
			},
			responses: Object.fromEntries(
				[...Object.values(ERROR_RESPONSES), { name: "Error", description: "An error" }].map(r => [
					r.name,
					{ description: r.description, content: json(ERROR_SCHEMA), ...("headers" in r && r.headers ? { headers: r.headers } : {}) },
				]),
			),
		},
		paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
	};
}

const DOCS_CSP =
	"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The files of the interactive page (swagger-ui-dist, served from the npm package: no CDN, works offline) and its start script. */
const SWAGGER_UI_DIR = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const DOCS_INIT = `// bizops API docs: Swagger UI on this gateway's OpenAPI document
window.ui = SwaggerUIBundle({
	url: "openapi.json",
	dom_id: "#docs",
	deepLinking: true,
	docExpansion: "list",
	filter: true,
	persistAuthorization: true,
	displayRequestDuration: true,
	showExtensions: true,
	tryItOutEnabled: false,
});
`;
export const DOCS_ASSETS: Record<string, { type: string; file?: string; text?: string }> = {
	"swagger-ui.css": { type: "text/css; charset=utf-8", file: path.join(SWAGGER_UI_DIR, "swagger-ui.css") },
	"swagger-ui-bundle.js": { type: "text/javascript; charset=utf-8", file: path.join(SWAGGER_UI_DIR, "swagger-ui-bundle.js") },
	"init.js": { type: "text/javascript; charset=utf-8", text: DOCS_INIT },
};

/** The page: Swagger UI (operations by tag, "try it" with a token from Authorize), its assets from this gateway. */
export function renderDocs(title: string): string {
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/assets/swagger-ui.css"></head>
<body><noscript>The interactive page needs JavaScript; the document itself is <a href="openapi.json">openapi.json</a>.</noscript>
<div id="docs"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body></html>
`;
}

/** moleculer-web's published aliases, as the document needs them. */
interface PublishedAlias {
	method: string;
	path: string;
	fullPath: string;
	action?: unknown;
}

export const OpenApiMixin = defineMixin<object, { restActions?: RestAction[]; aliases?: PublishedAlias[]; documentExtras?: DocumentExtras }>()({
	methods: {
		openApiDocument(): JsonSchema {
			const actions = new Map<string, ActionInfo>();
			// the routes the gateway publishes (from the schemas it ships with), then whatever the registry knows besides
			for (const a of this.restActions ?? []) actions.set(a.name, a);
			for (const item of this.broker.registry.getActionList({ skipInternal: true, withEndpoints: false })) {
				if (!actions.has(item.name)) actions.set(item.name, { ...item.action, name: item.name });
			}
			const aliases: AliasInfo[] = (this.aliases ?? []).map(a => ({
				method: a.method,
				path: a.path,
				fullPath: a.fullPath,
				actionName: typeof a.action === "string" ? a.action : undefined,
			}));
			return buildOpenApi(aliases, actions, { title: "bizops", version: packageVersion() }, this.documentExtras ?? {});
		},
	},
	actions: {
		openapi: {
			openapi: { summary: "Get this OpenAPI document", description: "The document of every operation, generated from the actions' validation schemas and docs." },
			auth: "public",
			rest: "GET /openapi.json",
			handler() {
				return this.openApiDocument();
			},
		},
		docs: {
			openapi: {
				summary: "Open the interactive API page",
				answers: "text/html",
				description: "Swagger UI, served by the gateway itself (no CDN). Authorize with a token, then Try it out.",
			},
			auth: "public",
			rest: "GET /docs",
			handler(ctx: Context<unknown, { $responseType?: string; $responseHeaders?: Record<string, string> }>) {
				ctx.meta.$responseType = "text/html; charset=utf-8";
				// scripts and styles from this gateway only; "try it" calls this gateway only
				ctx.meta.$responseHeaders = { "Content-Security-Policy": DOCS_CSP };
				return renderDocs("bizops");
			},
		},
		docsAsset: {
			openapi: { summary: "Get a file of the API page", answers: "text/javascript", description: "The page's script and style sheet (from the swagger-ui-dist package)." },
			auth: "public",
			rest: "GET /docs/assets/:file",
			params: { file: { type: "string", max: 64 } },
			handler(ctx: Context<{ file: string }, { $responseType?: string; $responseHeaders?: Record<string, string> }>) {
				const asset = Object.hasOwn(DOCS_ASSETS, ctx.params.file) ? DOCS_ASSETS[ctx.params.file] : undefined;
				if (!asset) throw notFound("Docs asset", ctx.params.file);
				ctx.meta.$responseType = asset.type;
				ctx.meta.$responseHeaders = { "Content-Security-Policy": DOCS_CSP, "Cache-Control": "public, max-age=3600" };
				return asset.text ?? fs.createReadStream(asset.file!);
			},
		},
	},
});
