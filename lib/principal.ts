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
