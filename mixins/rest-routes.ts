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
}

/** The `rest: "METHOD /path"` actions of the given schemas. */
/** A service schema as far as its routes go. */
export interface RoutedSchema {
	name?: string;
	mixins?: unknown[];
	actions?: unknown;
}

export function restActionsOf(schemas: RoutedSchema[]): RestAction[] {
	const out: RestAction[] = [];
	for (const schema of schemas) {
		const merged: Record<string, any> = {};
		// a service's own actions override its mixins'; `false` removes one
		for (const part of [...((schema.mixins ?? []) as RoutedSchema[]), schema]) Object.assign(merged, (part.actions as object) ?? {});
		for (const [key, action] of Object.entries(merged)) {
			if (!action || typeof action !== "object" || typeof action.rest !== "string") continue;
			if (action.visibility != null && action.visibility !== "published") continue;
			const [method, restPath] = action.rest.trim().split(/\s+/);
			out.push({ name: `${schema.name}.${key}`, method, path: restPath, params: action.params, auth: action.auth, permission: action.permission });
		}
	}
	return out;
}

/**
 * The routes of the services this code base ships, as `npm run routes` wrote them from the services' own
 * `rest` declarations (services/routes.json): the gateway knows them without loading the services' code.
 * `params` are fastest-validator rules made JSON (patterns as their source, custom checks dropped).
 */
export interface RouteManifest {
	services: string[];
	routes: RestAction[];
}

/** JSON of a route manifest: RegExp patterns as their source, functions (custom checks) left out. */
export function manifestJson(manifest: RouteManifest): string {
	return JSON.stringify(manifest, (_key, value) => (value instanceof RegExp ? value.source : typeof value === "function" ? undefined : value), "\t") + "\n";
}

export function aliasesOf(actions: RestAction[]): Record<string, string> {
	return Object.fromEntries(actions.map(a => [`${a.method} ${a.path}`, a.name]));
}
