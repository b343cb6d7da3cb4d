/**
 * Refused requests (401, 403, 429) coalesced for the audit trail, so a flood cannot fill it: per caller, route,
 * status and window (a minute by default) the first refusal is recorded at once (count 1), and the ones after it
 * in one entry when the window ends, with their count and first and last times. The counts of a caller's entries
 * add up to the refusals it got. The threshold-and-aggregate approach of log deduplication (e.g. syslog's
 * "last message repeated N times", RFC 5424 practice).
 */

export interface Refusal {
	status: number;
	type: string | null;
	method: string;
	route: string;
	ip: string;
	actor?: { id: string; username: string; role: string };
}

export interface CoalescedRefusal extends Refusal {
	/** How many refusals this entry stands for. */
	count: number;
	first_at: string;
	last_at: string;
}

interface Bucket {
	window: number;
	refusal: Refusal;
	/** Refusals after the first one of the window. */
	repeats: number;
	first_repeat_at: number;
	last_at: number;
}

/** Callers tracked at once; past it, further callers of a route are counted together (as caller "*"). */
export const MAX_TRACKED_CALLERS = 10000;

export class RefusalCoalescer {
	private readonly buckets = new Map<string, Bucket>();
	/** Summaries of windows that ended, found when the same caller came back before flush() ran. */
	private pendingSummaries: CoalescedRefusal[] = [];

	constructor(private readonly windowMs: number) {}

	/** The entry to record now (the first refusal of its window), or null when it is counted for later. */
	record(refusal: Refusal, now = Date.now()): CoalescedRefusal | null {
		const window = Math.floor(now / this.windowMs);
		let key = `${refusal.actor?.id ?? `ip:${refusal.ip}`}|${refusal.method} ${refusal.route}|${refusal.status}|${refusal.type ?? ""}`;
		if (!this.buckets.has(key) && this.buckets.size >= MAX_TRACKED_CALLERS) key = `*|${refusal.method} ${refusal.route}|${refusal.status}|${refusal.type ?? ""}`;
		const bucket = this.buckets.get(key);
		if (bucket && bucket.window === window) {
			if (bucket.repeats === 0) bucket.first_repeat_at = now;
			bucket.repeats++;
			bucket.last_at = now;
			return null;
		}
		// a bucket of an earlier window still here (flush() has not run since): its repeats go out with the next flush
		const earlier = bucket && bucket.repeats ? this.summary(bucket) : null;
		this.buckets.set(key, { window, refusal: key.startsWith("*|") ? { ...refusal, ip: "*", actor: undefined } : refusal, repeats: 0, first_repeat_at: 0, last_at: now });
		if (earlier) this.pendingSummaries.push(earlier);
		const at = new Date(now).toISOString();
		return { ...this.buckets.get(key)!.refusal, count: 1, first_at: at, last_at: at };
	}

	/** The entries of the windows that ended (every window when `all`: the node is stopping). */
	flush(now = Date.now(), all = false): CoalescedRefusal[] {
		const window = Math.floor(now / this.windowMs);
		const out = this.pendingSummaries;
		this.pendingSummaries = [];
		for (const [key, bucket] of this.buckets) {
			if (!all && bucket.window >= window) continue;
			this.buckets.delete(key);
			if (bucket.repeats) out.push(this.summary(bucket));
		}
		return out;
	}

	private summary(bucket: Bucket): CoalescedRefusal {
		const { actor, ...rest } = bucket.refusal;
		return {
			...rest,
			...(actor ? { actor } : {}),
			count: bucket.repeats,
			first_at: new Date(bucket.first_repeat_at).toISOString(),
			last_at: new Date(bucket.last_at).toISOString(),
		};
	}
}
