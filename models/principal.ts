/** The vocabulary of identity (docs/api.md, roles and domains): roles, permissions, resources, tiers, principals. */

export const ROLES = ["viewer", "analyst", "domain_admin", "super_admin"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ["read", "write", "execute", "admin"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const RESOURCES = ["financial_data", "strategic_plans", "compliance_records", "risk_assessments", "ml_models"] as const;
export type Resource = (typeof RESOURCES)[number];

export const TIERS = ["default", "premium"] as const;
export type Tier = (typeof TIERS)[number];

/** Who is calling: a user, or an API key acting for a machine client. */
export interface Principal {
	id: string;
	username: string;
	role: Role;
	domains: string[];
	tier: Tier;
	kind: "user" | "api_key";
}
