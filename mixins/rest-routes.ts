/**
 * The REST routes of every service in this code base, read from the service schemas themselves (by
 * `npm run routes`, into services/routes.json).
 *
 * moleculer-web's `autoAliases` rebuilds the routes from the services online at the moment, so while a
 * node group is down (or leaves and rejoins) its routes vanish and clients get 404s. The gateway instead
 * publishes the routes of every service it ships with: a service with no live node then answers 503.
 */

export interface RestAction {
	name: string;
	method: string;
	path: string;
	params?: Record<string, unknown>;
	auth?: string;
	permission?: [string, string];
	role?: string;
	rateLimit?: boolean;
}

/**
 * What the OpenAPI document says of an operation beyond its params (mixins/openapi.mixin.ts), declared on the
 * action as `openapi`: written for the API's users, not its code.
 */
export interface OperationDoc {
	/** A short imperative phrase: "Create a company". */
	summary: string;
	/** What it does, what it answers, the rules a caller meets (markdown). */
	description?: string;
	/** The success status (200 by default; 201 answers a Location header). */
	status?: 200 | 201 | 202 | 204;
	/** A second success status with the same answer (200 when a PUT-like POST replaced what was there). */
	alternate_status?: 200;
	/** The answer: a schema of components/schemas (models/openapi-schemas.ts); `list: true` for a page of them. */
	response?: string;
	list?: boolean;
	/** Client errors besides those every operation of its kind can answer (401, 403, 404 on an :id, 422, 429…). */
	errors?: number[];
	/** A request body a user can send as it is. */
	example?: unknown;
	/** The feature flag the operation depends on (403 while it is off for the caller). */
	flag?: string;
	/** The request body's size limit when it is not the gateway's usual one, e.g. "50 MB". */
	body_limit?: string;
	/** The answer's media type when it is not JSON (a page, a file), or the types it may be. */
	answers?: string | string[];
	/** Stream upload: the body is sent as it is (its media type), not as JSON. */
	upload?: string;
}

/** The `rest: "METHOD /path"` actions of the given schemas. */
/** A service schema as far as its routes go. */
export interface RoutedSchema {
	name?: string;
	mixins?: unknown[];
	actions?: unknown;
	metadata?: { description?: string };
}

/** A schema's actions with its mixins' (its own override theirs; `false` removes one). */
function actionsOf(schema: RoutedSchema): Record<string, any> {
	const merged: Record<string, any> = {};
	for (const part of [...((schema.mixins ?? []) as RoutedSchema[]), schema]) Object.assign(merged, (part.actions as object) ?? {});
	return merged;
}

export function restActionsOf(schemas: RoutedSchema[]): RestAction[] {
	const out: RestAction[] = [];
	for (const schema of schemas) {
		for (const [key, action] of Object.entries(actionsOf(schema))) {
			if (!action || typeof action !== "object" || typeof action.rest !== "string") continue;
			if (action.visibility != null && action.visibility !== "published") continue;
			const [method, restPath] = action.rest.trim().split(/\s+/);
			out.push({
				name: `${schema.name}.${key}`,
				method,
				path: restPath,
				params: action.params,
				auth: action.auth,
				permission: action.permission,
				role: action.role,
				rateLimit: action.rateLimit,
			});
		}
	}
	return out;
}

/** The operation docs (`openapi`) of every action that has one, REST or stream alias, by action name. */
export function operationDocsOf(schemas: RoutedSchema[]): Record<string, OperationDoc> {
	const out: Record<string, OperationDoc> = {};
	for (const schema of schemas)
		for (const [key, action] of Object.entries(actionsOf(schema))) if (action && typeof action === "object" && action.openapi) out[`${schema.name}.${key}`] = action.openapi;
	return out;
}

/** What each service is, for the document's tags (the service's `metadata.description`). */
export function serviceDescriptionsOf(schemas: RoutedSchema[]): Record<string, string> {
	return Object.fromEntries(schemas.filter(s => s.metadata?.description).map(s => [String(s.name), String(s.metadata!.description)]));
}

/**
 * The routes of the services this code base ships, as `npm run routes` wrote them from the services' own
 * `rest` declarations (services/routes.json): the gateway knows them without loading the services' code.
 * `params` are fastest-validator rules made JSON (patterns as their source, custom checks dropped).
 */
export interface RouteManifest {
	services: string[];
	/** Each service's description (the document's tags). */
	tags: Record<string, string>;
	routes: RestAction[];
	/** Each action's OpenAPI doc, by action name (stream aliases' too). */
	operations: Record<string, OperationDoc>;
}

/** JSON of a route manifest: RegExp patterns as their source, functions (custom checks) left out. */
export function manifestJson(manifest: RouteManifest): string {
	return JSON.stringify(manifest, (_key, value) => (value instanceof RegExp ? value.source : typeof value === "function" ? undefined : value), "\t") + "\n";
}

export function aliasesOf(actions: RestAction[]): Record<string, string> {
	return Object.fromEntries(actions.map(a => [`${a.method} ${a.path}`, a.name]));
}

declare module "moleculer" {
	interface ActionSchema {
		/** What the OpenAPI document says of the operation (mixins/openapi.mixin.ts). */
		openapi?: OperationDoc;
	}
}
