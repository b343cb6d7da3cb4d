/** Who is calling, as every service reads it: the principal the gateway resolved, in `ctx.meta.user`. */
import type { Context } from "moleculer";
import { ALL_DOMAINS, ownerDomain, type Principal } from "../domains/identity/rbac";
import { forbidden, unauthorized, unprocessable } from "../models/errors";

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

/** The domain a new item of the caller's goes to (domains/identity/rbac.ts ownerDomain): 422 when it must say which, 403 when it may not. */
export function ownerDomainOrThrow(user: Principal, asked?: string): string {
	const owner = ownerDomain(user, asked);
	if ("domain" in owner && !("problem" in owner)) return owner.domain;
	if (owner.problem === "ambiguous") throw unprocessable("domain: required for a user of several domains", [{ field: "domain", message: `one of ${user.domains.join(", ")}` }]);
	throw forbidden(owner.domain === ALL_DOMAINS ? "Only a super_admin creates what every domain shares" : `Not a member of domain '${owner.domain}'`);
}
