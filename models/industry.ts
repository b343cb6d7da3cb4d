/**
 * The industry domains a company belongs to and a user is scoped by (docs/api.md, roles and domains): the
 * four shipped ones, and any other an industry module registers (domains/industries/: one folder each).
 */
export const INDUSTRIES = ["financial_services", "healthcare", "manufacturing", "technology"] as const;
export type Industry = string;

const registered = new Set<string>(INDUSTRIES);

/** Adds an industry id (called by the industry module registry for each module it loads). */
export function registerIndustry(id: string): void {
	if (!/^[a-z][a-z0-9_]{1,39}$/.test(id)) throw new Error(`industry id '${id}' must be 2-40 lower-case letters, digits and '_'`);
	registered.add(id);
}

/** Every known industry id, shipped first. */
export function industries(): string[] {
	return [...registered];
}

export function isIndustry(value: unknown): value is Industry {
	return typeof value === "string" && registered.has(value);
}

/** fastest-validator rule for an industry id, checked against the industries known when the request comes. */
export function industryParam(optional = false) {
	return {
		type: "string",
		optional,
		// for the OpenAPI document; the check below is what validates
		values: industries(),
		custom: (value: unknown, errors: Array<{ type: string; expected?: unknown; actual?: unknown }>) => {
			if (value !== undefined && !isIndustry(value)) errors.push({ type: "industry", expected: industries().join(", "), actual: value });
			return value;
		},
		messages: { industry: "{field}: must be one of {expected}" },
	} as const;
}
