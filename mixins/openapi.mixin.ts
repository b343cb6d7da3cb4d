/**
 * The OpenAPI 3 document of the gateway, generated from the REST aliases moleculer-web registered and the
 * fastest-validator `params` of the actions behind them, so it cannot drift from the code; and a
 * self-contained page that renders it at `/docs`.
 */
import fs from "fs";
import path from "path";
import type { Context } from "moleculer";
import { defineMixin } from "../lib/service";
import { notFound } from "../models/errors";
import type { RestAction } from "./rest-routes";

type Rule = Record<string, any> | string | Array<Record<string, any> | string>;
type JsonSchema = Record<string, unknown>;

/** fastest-validator rule → JSON Schema (the subset this project's params use). */
export function ruleToSchema(rule: Rule): { schema: JsonSchema; optional: boolean } {
	if (Array.isArray(rule)) {
		const parts = rule.map(ruleToSchema);
		return { schema: { oneOf: parts.map(p => p.schema) }, optional: parts.every(p => p.optional) };
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
	visibility?: string;
}

export function buildOpenApi(aliases: AliasInfo[], actions: Map<string, ActionInfo>, info: { title: string; version: string }): JsonSchema {
	const paths: Record<string, Record<string, unknown>> = {};
	const errorRef = { $ref: "#/components/responses/Error" };
	for (const alias of aliases) {
		const action = alias.actionName ? actions.get(alias.actionName) : undefined;
		if (!action || alias.method === "*") continue;
		const method = alias.method.toLowerCase();
		const path = alias.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
		const pathParams = [...alias.fullPath.matchAll(/:([A-Za-z0-9_]+)/g)].map(m => m[1]);
		const params = action.params ?? {};
		const strict = (params as Record<string, unknown>).$$strict === true;
		const parameters: unknown[] = pathParams.map(name => ({ name, in: "path", required: true, schema: ruleToSchema(params[name] ?? { type: "string" }).schema }));
		const bodyProps = Object.fromEntries(Object.entries(params).filter(([k]) => !pathParams.includes(k) && !k.startsWith("$$")));
		const op: Record<string, unknown> = {
			operationId: action.name,
			tags: [action.name.split(".")[0]],
			summary: action.name,
			description:
				action.auth === "public"
					? "No authentication."
					: action.permission
						? `Requires \`${action.permission[0]}\` on \`${action.permission[1]}\`; companies outside the caller's domains are 404.`
						: "Requires an authenticated caller; further checks are described in the README.",
			responses: { "200": { description: "OK", content: { "application/json": {} } }, "4XX": errorRef, "5XX": errorRef },
		};
		if (action.auth === "public") op.security = [];
		if (method === "get" || method === "delete") {
			for (const [name, rule] of Object.entries(bodyProps)) {
				const { schema, optional } = ruleToSchema(rule);
				parameters.push({ name, in: "query", required: !optional, schema });
			}
		} else if (Object.keys(bodyProps).length > 0) {
			op.requestBody = { required: true, content: { "application/json": { schema: objectSchema(bodyProps, strict) } } };
		}
		if (parameters.length) op.parameters = parameters;
		(paths[path] ??= {})[method] = op;
	}
	return {
		openapi: "3.0.3",
		info: { ...info, description: "bizops REST API. Errors: {name, message, code, type, data}; lists: {rows, total, page, page_size, total_pages}." },
		servers: [{ url: "/" }],
		security: [{ bearerAuth: [] }, { apiKey: [] }],
		components: {
			securitySchemes: {
				bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
				apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
			},
			responses: {
				Error: {
					description: "Error (400/422 bad input with the fields in data, 401, 403, 404, 409, 429 with Retry-After, 503)",
					content: {
						"application/json": {
							schema: {
								type: "object",
								properties: { name: { type: "string" }, message: { type: "string" }, code: { type: "integer" }, type: { type: "string" }, data: {} },
							},
						},
					},
				},
			},
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

/** The version in package.json, from the source tree or from dist/. */
function packageVersion(): string {
	for (const candidate of [path.resolve(__dirname, "..", "package.json"), path.resolve(__dirname, "..", "..", "package.json")]) {
		if (fs.existsSync(candidate)) return JSON.parse(fs.readFileSync(candidate, "utf8")).version;
	}
	return "0.0.0";
}

/** moleculer-web's published aliases, as the document needs them. */
interface PublishedAlias {
	method: string;
	path: string;
	fullPath: string;
	action?: unknown;
}

export const OpenApiMixin = defineMixin<object, { restActions?: RestAction[]; aliases?: PublishedAlias[] }>()({
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
			return buildOpenApi(aliases, actions, { title: "bizops", version: packageVersion() });
		},
	},
	actions: {
		openapi: {
			auth: "public",
			rest: "GET /openapi.json",
			handler() {
				return this.openApiDocument();
			},
		},
		docs: {
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
