/**
 * fastest-validator runs a rule's `custom` check on an optional param that was not sent, and sets the param to
 * what the check returns: undefined, but now present. Placed just inside the validator, this drops such keys,
 * so "not sent" stays not sent (a PATCH must not clear a field it did not name).
 */
import type { Context, Middleware } from "moleculer";

export const DefinedParamsMiddleware = {
	name: "DefinedParams",
	localAction(next: (ctx: Context) => Promise<unknown>, action: { params?: unknown }) {
		if (!action.params) return next;
		return function definedParams(ctx: Context) {
			const params = ctx.params as Record<string, unknown> | null;
			if (params && typeof params === "object" && !Array.isArray(params)) for (const key of Object.keys(params)) if (params[key] === undefined) delete params[key];
			return next(ctx);
		};
	},
} as unknown as Middleware;
