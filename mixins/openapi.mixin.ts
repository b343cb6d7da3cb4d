/**
 * The OpenAPI 3 document of the gateway, generated from the REST aliases moleculer-web registered and the
 * fastest-validator `params` of the actions behind them, so it cannot drift from the code; and a
 * self-contained page that renders it at `/docs`.
 */
import fs from "fs";
import path from "path";
import type { Context } from "moleculer";
import { defineMixin } from "../lib/service";
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

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** A readable page of the document: one section per path and method, with its parameters and body schema. */
export function renderDocs(doc: any): string {
	const sections: string[] = [];
	for (const [path, methods] of Object.entries<any>(doc.paths)) {
		for (const [method, op] of Object.entries<any>(methods)) {
			const params = (op.parameters ?? [])
				.map((p: any) => `<li><code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ", required" : ""}) <code>${escapeHtml(JSON.stringify(p.schema))}</code></li>`)
				.join("");
			const body = op.requestBody ? `<pre>${escapeHtml(JSON.stringify(op.requestBody.content["application/json"].schema, null, 2))}</pre>` : "";
			sections.push(
				`<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>` +
					`<p><code>${escapeHtml(op.operationId)}</code> — ${escapeHtml(op.description)}</p>${params ? `<ul>${params}</ul>` : ""}${body}</section>`,
			);
		}
	}
	return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)} API</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
section{border-top:1px solid #ddd;padding:.4em 0}h3{margin:.3em 0}.m{display:inline-block;min-width:4.5em;font-size:.8em;padding:.1em .4em;border-radius:3px;color:#fff;background:#666}
.get{background:#2b7bb9}.post{background:#2e8b57}.put,.patch{background:#c77c02}.delete{background:#b93b2b}pre{background:#f6f6f6;padding:.6em;overflow:auto}</style></head>
<body><h1>${escapeHtml(doc.info.title)} API ${escapeHtml(doc.info.version)}</h1>
<p>Machine-readable: <a href="openapi.json">openapi.json</a>. Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> from <code>POST /api/v1/auth/login</code>, or <code>X-API-Key</code>.</p>
${sections.join("\n")}</body></html>`;
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
				// the page is static HTML with inline styles: nothing else may load or run in it
				ctx.meta.$responseHeaders = {
					"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
				};
				return renderDocs(this.openApiDocument());
			},
		},
	},
});
