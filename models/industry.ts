/** The industry domains a company belongs to and a user is scoped by (docs/api.md, roles and domains). */
export const INDUSTRIES = ["financial_services", "healthcare", "manufacturing", "technology"] as const;
export type Industry = (typeof INDUSTRIES)[number];
