/** Company entity and its validation (docs/api.md). */
import { industryParam, type Industry } from "./industry";
import type { Entity } from "./common";

export interface Company extends Entity {
	name: string;
	industry: Industry;
	ticker?: string;
	cik?: string;
	country?: string;
	currency?: string;
}

export const COMPANY_SORTABLE = ["name", "industry", "ticker", "cik", "country", "created_at", "updated_at"];

/** Fields a client may set; `$$strict` rejects any other. */
export const companyFields = {
	name: { type: "string", min: 1, max: 200, trim: true },
	industry: industryParam(),
	// unique in the platform: the ticker case-insensitively (kept upper-case), the CIK without its leading zeros
	ticker: {
		type: "string",
		optional: true,
		trim: true,
		uppercase: true,
		pattern: /^[A-Z0-9.-]{1,10}$/,
		messages: { stringPattern: "{field}: 1–10 letters, digits, '.' or '-'" },
	},
	cik: { type: "string", optional: true, pattern: /^\d{1,10}$/, messages: { stringPattern: "{field}: 1–10 digits" } },
	country: { type: "string", optional: true, pattern: /^[A-Z]{2}$/, messages: { stringPattern: "{field}: an ISO 3166-1 alpha-2 code (e.g. US)" } },
	currency: { type: "string", optional: true, pattern: /^[A-Z]{3}$/, messages: { stringPattern: "{field}: an ISO 4217 code (e.g. USD)" } },
} as const;

export const createCompanyParams = { $$strict: true, ...companyFields };

export const updateCompanyParams = {
	$$strict: true,
	id: { type: "string", min: 1, max: 64 },
	...Object.fromEntries(Object.entries(companyFields).map(([k, v]) => [k, { ...v, optional: true }])),
};

/** A CIK as SEC's data carries it (a number): no leading zeros, so 0001318605 and 1318605 are one company. */
export const normalizeCik = (cik: string) => cik.replace(/^0+(?=\d)/, "");
