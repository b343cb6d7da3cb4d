/**
 * Roles, permissions and domain scoping of docs/api.md (a role inherits everything below it).
 * Pure functions over principals; services call them, tests check them.
 */
import type { Industry } from "../../models/industry";

export { PERMISSIONS, RESOURCES, ROLES, TIERS, type Permission, type Principal, type Resource, type Role, type Tier } from "../../models/principal";
import type { Permission, Principal, Resource, Role, Tier } from "../../models/principal";
import { ROLES, TIERS } from "../../models/principal";

/** In a principal's domains: every domain. As the domain of a shared item (a model, a matrix): every domain's. */
export const ALL_DOMAINS = "*";

export function roleRank(role: Role): number {
	return ROLES.indexOf(role);
}

/** The permission matrix: what each role adds to the one below it. */
function grants(role: Role, permission: Permission, resource: Resource): boolean {
	switch (role) {
		case "viewer":
			return permission === "read";
		case "analyst":
			if (resource === "ml_models") return permission === "execute";
			return permission === "write";
		case "domain_admin":
			return permission === "admin" || (resource === "ml_models" && permission === "write");
		case "super_admin":
			return true;
	}
}

/** Whether `role` holds `permission` on `resource`, counting everything inherited from lower roles. */
export function roleCan(role: Role, permission: Permission, resource: Resource): boolean {
	const rank = roleRank(role);
	if (rank < 0) return false;
	for (let i = 0; i <= rank; i++) if (grants(ROLES[i], permission, resource)) return true;
	return false;
}

export function can(principal: Principal, permission: Permission, resource: Resource): boolean {
	return roleCan(principal.role, permission, resource);
}

/** A company (and everything under it) is visible only to principals whose domains include its industry. */
export function canSeeIndustry(principal: Principal, industry: Industry | string): boolean {
	if (principal.role === "super_admin") return true;
	return principal.domains.includes(ALL_DOMAINS) || principal.domains.includes(industry);
}

/** Something owned by a domain or shared by all (an ML model or data set): visible to the domain's users and to all. */
export function canSeeOwnedOrShared(principal: Principal, domain: string): boolean {
	return domain === ALL_DOMAINS || canSeeIndustry(principal, domain);
}

/** The store query of what canSeeOwnedOrShared lets the principal see (everything for all-domain callers). */
export function ownedOrSharedQuery(principal: Principal): Record<string, unknown> {
	return principal.role === "super_admin" || principal.domains.includes(ALL_DOMAINS) ? {} : { domain: { $in: [...principal.domains, ALL_DOMAINS] } };
}

/** The industries a principal may see, or null for all of them (used to filter lists). */
export function visibleIndustries(principal: Principal): string[] | null {
	if (principal.role === "super_admin" || principal.domains.includes(ALL_DOMAINS)) return null;
	return principal.domains;
}

/**
 * Whether the caller may change (replace, delete, deploy) an item that belongs to `domain`: its own domains'
 * items; a shared one (`*`), only a super_admin.
 */
export function canChangeOwned(principal: Principal, domain: string): boolean {
	return domain === ALL_DOMAINS ? principal.role === "super_admin" : canSeeIndustry(principal, domain);
}

/**
 * The domain a new item goes to (an ML model or data set, a risk matrix): the one asked for, which the caller
 * must be able to change, else the caller's only domain (a super_admin's default: shared). The reason otherwise.
 */
export function ownerDomain(principal: Principal, asked?: string): { domain: string } | { problem: "ambiguous" | "forbidden"; domain?: string } {
	const domain =
		asked ?? (principal.domains.length === 1 && principal.domains[0] !== ALL_DOMAINS ? principal.domains[0] : principal.role === "super_admin" ? ALL_DOMAINS : undefined);
	if (!domain) return { problem: "ambiguous" };
	if (!canChangeOwned(principal, domain)) return { problem: "forbidden", domain };
	return { domain };
}

export function isUserAdmin(principal: Principal): boolean {
	return principal.role === "super_admin" || principal.role === "domain_admin";
}

/**
 * Whether `actor` may create, change or delete an account with `target`'s role and domains:
 * a super_admin manages anyone; a domain_admin manages analysts and viewers inside its own domains.
 */
export function canManageAccount(actor: Principal, target: { role: Role; domains: string[] }): boolean {
	if (actor.role === "super_admin") return true;
	if (actor.role !== "domain_admin") return false;
	if (roleRank(target.role) >= roleRank("domain_admin")) return false;
	if (actor.domains.includes(ALL_DOMAINS)) return true;
	return target.domains.length > 0 && target.domains.every(d => d !== ALL_DOMAINS && actor.domains.includes(d));
}

/** Tiers ranked: nobody grants a tier above their own (a super_admin grants any). */
export function canGrantTier(actor: Principal, tier: Tier): boolean {
	return actor.role === "super_admin" || TIERS.indexOf(tier) <= TIERS.indexOf(actor.tier ?? "default");
}

/**
 * Login throttling per account (OWASP Authentication Cheat Sheet, "Login Throttling"): after
 * FREE_LOGIN_FAILURES failures the account is locked for 30 s, doubling with each further failure up to
 * 15 minutes. Keyed by the name given, so an unknown account behaves exactly like a known one.
 */
export const FREE_LOGIN_FAILURES = 5;
export function loginLockMs(failures: number): number {
	if (failures < FREE_LOGIN_FAILURES) return 0;
	return Math.min(15 * 60 * 1000, 30 * 1000 * 2 ** (failures - FREE_LOGIN_FAILURES));
}
