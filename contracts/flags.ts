/** flags (services/flags.service.ts): feature flags with gradual rollouts. */
import type { FeatureFlag } from "../domains/flags/rollout";
import type { Page } from "../models/common";
import { action, event } from "./contract";

/** A flag as stored and answered: with its id and times, and every field present. */
export interface Flag extends FeatureFlag {
	id: string;
	description: string;
	gradual_rollout: { start: string; end: string } | null;
	created_at: string;
	updated_at: string;
}

const ofFlag = { entity: "flags.flag", id: (p: { flag: FeatureFlag }) => p.flag.name };

export const Flags = {
	events: {
		flagCreated: event<{ flag: FeatureFlag; by: string }>()("flags.flag.created", ofFlag),
		flagUpdated: event<{ flag: FeatureFlag; by: string }>()("flags.flag.updated", ofFlag),
	},
	actions: {
		isEnabled: action<{ name: string }, boolean>()("flags.isEnabled"),
		list: action<{ page?: number; page_size?: number }, Page<FeatureFlag>>()("flags.list"),
		get: action<{ name: string }, FeatureFlag>()("flags.get"),
		update: action<Partial<FeatureFlag> & { name: string }, FeatureFlag>()("flags.update"),
	},
} as const;
