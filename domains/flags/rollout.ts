/**
 * Feature-flag evaluation (docs/configuration.md): `enabled`, `whitelist`, `rollout_percentage` stable per user
 * (a user keeps its answer as the percentage only grows: bucket = SHA-1(flag:user) mod 100, as in
 * Unleash's and LaunchDarkly's sticky bucketing), and `gradual_rollout` ramping the percentage over time.
 */
import crypto from "crypto";

export interface FeatureFlag {
	name: string;
	description?: string;
	enabled: boolean;
	rollout_percentage: number;
	whitelist: string[];
	/** Optional ramp: the effective percentage grows linearly from 0 at `start` to `rollout_percentage` at `end`. */
	gradual_rollout?: { start: string; end: string } | null;
}

/** The user's stable bucket, 0–99, for this flag. */
export function bucketOf(flagName: string, userKey: string): number {
	const hash = crypto.createHash("sha1").update(`${flagName}:${userKey}`).digest();
	return hash.readUInt32BE(0) % 100;
}

/** The percentage in force at `now`, after any gradual ramp. */
export function effectivePercentage(flag: FeatureFlag, now: Date = new Date()): number {
	const target = Math.max(0, Math.min(100, flag.rollout_percentage));
	const ramp = flag.gradual_rollout;
	if (!ramp) return target;
	const start = Date.parse(ramp.start);
	const end = Date.parse(ramp.end);
	if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return target;
	const progress = Math.max(0, Math.min(1, (now.getTime() - start) / (end - start)));
	return target * progress;
}

/** Whether `flag` is on for the user identified by `userId` (and `username`, for whitelists). */
export function isFlagEnabled(flag: FeatureFlag, user: { id: string; username?: string }, now: Date = new Date()): boolean {
	if (!flag.enabled) return false;
	if (flag.whitelist.includes(user.id) || (user.username && flag.whitelist.includes(user.username))) return true;
	return bucketOf(flag.name, user.id) < effectivePercentage(flag, now);
}
