/** The industry domains a company belongs to and a user is scoped by (docs/architecture.md, §4). */
export const INDUSTRIES = ["financial_services", "healthcare", "manufacturing", "technology"] as const;
export type Industry = (typeof INDUSTRIES)[number];

export function isIndustry(value: unknown): value is Industry {
	return typeof value === "string" && (INDUSTRIES as readonly string[]).includes(value);
}
