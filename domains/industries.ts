/** Industries as business logic sees them; the list itself is part of the model (models/industry.ts). */
import { INDUSTRIES, type Industry } from "../models/industry";

export { INDUSTRIES, type Industry };

export function isIndustry(value: unknown): value is Industry {
	return typeof value === "string" && (INDUSTRIES as readonly string[]).includes(value);
}
