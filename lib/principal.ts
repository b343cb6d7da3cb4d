/** Who is calling, as every service reads it: the principal the gateway resolved, in `ctx.meta.user`. */
import type { Context } from "moleculer";
import type { Principal } from "../domains/identity/rbac";
import { unauthorized } from "../models/errors";

export interface AuthMeta {
	user?: Principal | null;
	/** moleculer-web: the HTTP status of the response. */
	$statusCode?: number;
	/** moleculer-web: the Location header of a 201. */
	$location?: string;
}

export function principalOf(ctx: Context<unknown, AuthMeta>): Principal {
	const user = ctx.meta.user;
	if (!user) throw unauthorized();
	return user;
}

/** A service acting on its own behalf (a channel message, a scheduled task): every domain, full rights. */
export function servicePrincipal(service: string): Principal {
	return { id: `service:${service}`, username: service, role: "super_admin", domains: ["*"], tier: "premium", kind: "user" };
}
