/**
 * Access control on every action, wherever it is called from (the gateway or another service): an action
 * needs a principal in `ctx.meta.user` unless it says `auth: "public"`, and the permission it declares as
 * `permission: [permission, resource]` or least `role` (docs/api.md). It runs outside the cacher, so it holds
 * for cached answers too. Domain scoping needs the entity, so services check it (and key caches by scope).
 */
import type { Context, Middleware } from "moleculer";
import { can, roleRank, type Permission, type Resource, type Role } from "../domains/identity/rbac";
import { forbidden, unauthorized } from "../models/errors";
import type { AuthMeta } from "../lib/principal";

declare module "moleculer" {
	interface ActionSchema {
		/** "public": callable without a principal (login, health, docs). Default: a principal is required. */
		auth?: "public" | "required";
		/** The permission the caller's role must hold on the resource. */
		permission?: [Permission, Resource];
		/** The least role the caller must have (for actions outside the permission matrix, e.g. flags). */
		role?: Role;
	}
}

export const AuthorizationMiddleware: Middleware = {
	name: "Authorization",
	localAction(next: (ctx: Context) => Promise<unknown>, action: any) {
		const serviceName: string = action.service?.name ?? "";
		if (serviceName.startsWith("$") || action.visibility === "private" || action.auth === "public") return next;
		const permission = action.permission as [Permission, Resource] | undefined;
		const role = action.role as Role | undefined;
		return function authorize(ctx: Context<unknown, AuthMeta>) {
			const user = ctx.meta.user;
			if (!user) return Promise.reject(unauthorized());
			if (permission && !can(user, permission[0], permission[1])) {
				return Promise.reject(forbidden(`Role '${user.role}' may not ${permission[0]} ${permission[1]}`));
			}
			if (role && roleRank(user.role) < roleRank(role)) return Promise.reject(forbidden(`Only a ${role} may do this`));
			return next(ctx);
		};
	},
} as Middleware;
