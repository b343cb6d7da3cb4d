/** User and API-key entities and their validation (docs/api.md, identity and access). */
import { industries, isIndustry } from "./industry";
import { ROLES, TIERS, type Role, type Tier } from "./principal";
import { isoDateTimeParam, type Entity } from "./common";

export interface User extends Entity {
	username: string;
	role: Role;
	domains: string[];
	tier: Tier;
}

/** The stored user: the public fields plus the password hash, which never leaves the auth service. */
export interface UserRecord extends User {
	password_hash: string;
}

export interface ApiKey extends Entity {
	name: string;
	role: Role;
	domains: string[];
	tier: Tier;
	created_by: string;
	/** ISO 8601; a key without one lives as long as its issuer may grant what it carries. */
	expires_at?: string;
}

/** Keys one issuer may hold at once (each has its own rate budget). */
export const MAX_API_KEYS_PER_ISSUER = 20;

export const USER_SORTABLE = ["username", "role", "created_at", "updated_at"];
export const API_KEY_SORTABLE = ["name", "role", "created_at", "updated_at"];

const domainsField = {
	type: "array",
	min: 1,
	max: 50,
	unique: true,
	items: {
		type: "string",
		values: [...industries(), "*"], // for the OpenAPI document
		custom: (value: unknown, errors: Array<{ type: string; expected?: unknown; actual?: unknown }>) => {
			if (value !== "*" && !isIndustry(value)) errors.push({ type: "industry", expected: [...industries(), "*"].join(", "), actual: value });
			return value;
		},
		messages: { industry: "{field}: must be one of {expected}" },
	},
} as const;

const password = { type: "string", min: 12, max: 256, messages: { stringMin: "{field}: at least 12 characters" } } as const;

export const createUserParams = {
	$$strict: true,
	username: { type: "string", pattern: /^[a-zA-Z0-9_.-]{3,64}$/, messages: { stringPattern: "{field}: 3–64 letters, digits, '_', '.' or '-'" } },
	password,
	role: { type: "enum", values: [...ROLES] },
	domains: domainsField,
	tier: { type: "enum", values: [...TIERS], optional: true },
};

export const updateUserParams = {
	$$strict: true,
	id: { type: "string", min: 1, max: 64 },
	password: { ...password, optional: true },
	/** Required to change one's own password. */
	current_password: { type: "string", min: 1, max: 256, optional: true },
	role: { type: "enum", values: [...ROLES], optional: true },
	domains: { ...domainsField, optional: true },
	tier: { type: "enum", values: [...TIERS], optional: true },
};

export const createApiKeyParams = {
	$$strict: true,
	name: { type: "string", min: 1, max: 100, trim: true },
	role: { type: "enum", values: [...ROLES] },
	domains: domainsField,
	tier: { type: "enum", values: [...TIERS], optional: true },
	expires_at: isoDateTimeParam("expires_at", true),
};
