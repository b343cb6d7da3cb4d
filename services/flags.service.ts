/**
 * flags: feature flags (docs/configuration.md). Seeded from config/feature_flags.yaml, kept in the store, changed at
 * run time by a super_admin; a change cleans every node's cache, so every node sees it at once.
 */
import { readConfigYaml } from "../config/files";
import { Flags } from "../contracts";
import type { Flag } from "../contracts/flags";
import { emit } from "../lib/contract-calls";
import type { Context } from "moleculer";
import { atStartup } from "../lib/startup";
import { defineService, NOT_RETRIED } from "../lib/service";
import { isFlagEnabled, type FeatureFlag } from "../domains/flags/rollout";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { createDbMixin, isDuplicateKeyError } from "../mixins/db.mixin";
import { principalOf, type AuthMeta } from "../lib/principal";
import { isoDateTimeParam, listParams, nowIso } from "../models/common";

const FLAG_SORTABLE = ["name", "enabled", "created_at", "updated_at"];
import { conflict, notFound, unprocessable } from "../models/errors";

type FlagsContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** config/feature_flags.yaml. */
export function readFlagFile(): FeatureFlag[] {
	const doc = readConfigYaml("feature_flags.yaml") as { flags?: Record<string, Partial<FeatureFlag>> } | null;
	if (!doc) return [];
	return Object.entries<Partial<FeatureFlag>>(doc.flags ?? {}).map(([name, f]) => ({
		name,
		description: f.description ?? "",
		enabled: f.enabled === true,
		rollout_percentage: f.rollout_percentage ?? 100,
		whitelist: f.whitelist ?? [],
		gradual_rollout: f.gradual_rollout ?? null,
	}));
}

const flagChangeParams = {
	$$strict: true,
	name: { type: "string", pattern: /^[a-z0-9_]{1,64}$/, messages: { stringPattern: "{field}: 1–64 lower-case letters, digits or '_'" } },
	description: { type: "string", max: 500, optional: true },
	enabled: { type: "boolean", optional: true },
	rollout_percentage: { type: "number", min: 0, max: 100, optional: true },
	whitelist: { type: "array", items: { type: "string", max: 64 }, max: 1000, optional: true },
	gradual_rollout: {
		type: "object",
		optional: true,
		nullable: true,
		strict: true,
		props: { start: isoDateTimeParam("gradual_rollout.start"), end: isoDateTimeParam("gradual_rollout.end") },
	},
} as const;

type FlagChange = Partial<FeatureFlag> & { name: string; gradual_rollout?: { start: string; end: string } | null };

/** The ramp as stored (ISO 8601 UTC); 422 when it ends before it starts. */
function gradualRolloutOf(g: FlagChange["gradual_rollout"]) {
	if (!g) return g;
	const start = new Date(g.start);
	const end = new Date(g.end);
	if (end <= start)
		throw unprocessable("gradual_rollout must end after it starts", [
			{ field: "gradual_rollout.end", message: "must be after gradual_rollout.start", type: "dateOrder", actual: g.end },
		]);
	return { start: start.toISOString(), end: end.toISOString() };
}

const FlagsService = defineService()({
	name: "flags",
	metadata: { description: "Feature flags" },
	// REST paths are absolute under /api/v1 (docs/api.md), not prefixed with the service name.
	settings: { rest: "/" },
	mixins: [createDbMixin("feature_flags", [{ fields: { name: 1 }, unique: true }]), createCacheCleanerMixin(["flags"])],

	methods: {
		async allFlags() {
			return (await this.findEntities({ sort: ["name"] })) as Flag[];
		},
		/** Adds flags from the file that the store does not have; stored values win (they may have been changed at run time). */
		async seedFlags() {
			for (const flag of readFlagFile()) {
				if (await this.findEntity({ name: flag.name })) continue;
				const now = nowIso();
				try {
					await this.insertEntity({ ...flag, created_at: now, updated_at: now });
				} catch (err) {
					if (!isDuplicateKeyError(err)) throw err;
				}
			}
		},
	},

	actions: {
		list: {
			openapi: { summary: "List feature flags", response: "Flag", list: true },
			rest: "GET /flags",
			role: "super_admin",
			params: { $$strict: true, ...listParams(FLAG_SORTABLE) },
			cache: { keys: ["page", "page_size", "sort"] },
			async handler(ctx: FlagsContext<{ page?: number; page_size?: number; sort?: string }>) {
				return this.findPage({}, ctx.params, "name");
			},
		},

		/** The flags as they are for the caller: `{name: boolean}`. */
		evaluate: {
			openapi: { summary: "Get the flags as they are for me", response: "FlagEvaluation" },
			rest: "GET /flags/evaluate",
			cache: { keys: ["#user.id", "#user.username"], ttl: 30 },
			async handler(ctx: FlagsContext) {
				const user = principalOf(ctx);
				const now = new Date();
				return Object.fromEntries((await this.allFlags()).map(f => [f.name, isFlagEnabled(f, user, now)]));
			},
		},

		/** Whether one flag is on for the caller; unknown flags are off. For services gating a feature. */
		isEnabled: {
			visibility: "public",
			params: { name: { type: "string", max: 64 } },
			cache: { keys: ["name", "#user.id", "#user.username"], ttl: 30 },
			async handler(ctx: FlagsContext<{ name: string }>) {
				const flag = (await this.findEntity({ name: ctx.params.name })) as Flag | null;
				return flag ? isFlagEnabled(flag, principalOf(ctx)) : false;
			},
		},

		get: {
			openapi: { summary: "Get a feature flag", response: "Flag" },
			rest: "GET /flags/:name",
			role: "super_admin",
			params: { $$strict: true, name: flagChangeParams.name },
			async handler(ctx: FlagsContext<{ name: string }>) {
				const flag = await this.findEntity({ name: ctx.params.name });
				if (!flag) throw notFound(`Flag '${ctx.params.name}'`);
				return flag;
			},
		},

		/** Creation is explicit: a PUT to a flag that does not exist is a 404, never a new flag (a typo stays a typo). */
		create: {
			openapi: {
				summary: "Create a feature flag",
				status: 201,
				response: "Flag",
				errors: [409],
				example: { name: "new_reports", description: "Reports v2", enabled: true, rollout_percentage: 10 },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /flags",
			role: "super_admin",
			params: flagChangeParams,
			async handler(ctx: FlagsContext<FlagChange>) {
				const { name, gradual_rollout, ...changes } = ctx.params;
				if (await this.findEntity({ name })) throw conflict(`Flag '${name}' exists; PUT /api/v1/flags/${name} changes it`, { field: "name" });
				const now = nowIso();
				let flag: Flag;
				try {
					flag = (await this.insertEntity({
						name,
						description: "",
						enabled: false,
						rollout_percentage: 100,
						whitelist: [],
						gradual_rollout: gradualRolloutOf(gradual_rollout) ?? null,
						...changes,
						created_at: now,
						updated_at: now,
					})) as Flag;
				} catch (err) {
					if (isDuplicateKeyError(err)) throw conflict(`Flag '${name}' exists`, { field: "name" });
					throw err;
				}
				emit(ctx, Flags.events.flagCreated, { flag, by: principalOf(ctx).id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/flags/${name}`;
				return flag;
			},
		},

		update: {
			openapi: {
				summary: "Change a feature flag",
				description: "On or off, a rollout percentage, a whitelist, a gradual rollout; an unknown flag is a 404 (never created).",
				response: "Flag",
				example: { enabled: true, rollout_percentage: 25 },
			},
			rest: "PUT /flags/:name",
			role: "super_admin",
			params: flagChangeParams,
			async handler(ctx: FlagsContext<FlagChange>) {
				const { name, gradual_rollout, ...changes } = ctx.params;
				const existing = (await this.findEntity({ name })) as Flag | null;
				if (!existing) throw notFound(`Flag '${name}' (POST /api/v1/flags creates one)`);
				if (Object.keys(changes).length === 0 && gradual_rollout === undefined) return existing; // nothing to change
				const set: Record<string, unknown> = { ...changes, updated_at: nowIso() };
				if (gradual_rollout !== undefined) set.gradual_rollout = gradualRolloutOf(gradual_rollout);
				const flag = (await this.updateEntity(existing.id, set)) as Flag | null;
				if (!flag) throw notFound(`Flag '${name}'`);
				emit(ctx, Flags.events.flagUpdated, { flag, by: principalOf(ctx).id });
				return flag;
			},
		},
	},

	async started() {
		await atStartup(this, "flags: seeding the flags", () => this.seedFlags());
	},
});

export default FlagsService;
