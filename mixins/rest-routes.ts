/**
 * The REST routes of every service in this code base, read from the service schemas themselves.
 *
 * moleculer-web's `autoAliases` rebuilds the routes from the services online at the moment, so while a
 * node group is down (or leaves and rejoins) its routes vanish and clients get 404s. The gateway instead
 * publishes the routes of every service it ships with: a service with no live node then answers 503.
 */
import fs from "fs";
import path from "path";

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

/** Every `*.service.(ts|js)` schema in `dir` but the ones named. */
export function serviceSchemasIn(dir: string, except: string[]): RoutedSchema[] {
	return fs
		.readdirSync(dir)
		.filter(f => /\.service\.(ts|js)$/.test(f) && !f.endsWith(".d.ts"))
		.filter(f => !except.includes(f.replace(/\.service\.(ts|js)$/, "")))
		.map(f => require(path.join(dir, f)).default as RoutedSchema);
}

export function aliasesOf(actions: RestAction[]): Record<string, string> {
	return Object.fromEntries(actions.map(a => [`${a.method} ${a.path}`, a.name]));
}
