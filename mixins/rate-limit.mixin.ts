/**
 * Per-client, per-endpoint rate limits with tiers (docs/api.md), for the gateway.
 *
 * moleculer-web's own `rateLimit` runs before authentication with one limit per route, so it cannot tell a
 * premium user from a default one. This applies the limit right after authentication instead, on
 * moleculer-web's store interface (`inc(key)` + `resetTime`): its MemoryStore on one node, a Redis store
 * shared by every gateway replica when Redis is configured, falling back to memory while Redis is down.
 */
import type { IncomingMessage, ServerResponse } from "http";
import { defineMixin } from "../lib/service";
import Redis from "ioredis";
import { Errors as WebErrors } from "moleculer-web";
import type { Principal } from "../domains/identity/rbac";
import { configOf, type Config } from "../config";
import { BUSINESS_COUNTERS, type CounterSpec } from "./business-metrics.mixin";

const { MemoryStore } = require("moleculer-web").RateLimitStores;

interface Counter {
	count: number;
	/** Epoch milliseconds when this window ends. */
	resetAt: number;
}

interface CounterStore {
	inc(key: string): Promise<Counter>;
	close(): Promise<void>;
}

class MemoryCounterStore implements CounterStore {
	private store: { inc(key: string): number; resetTime: number; timer: NodeJS.Timeout };
	constructor(windowMs: number) {
		this.store = new MemoryStore(windowMs);
	}
	async inc(key: string): Promise<Counter> {
		return { count: this.store.inc(key), resetAt: this.store.resetTime };
	}
	async close() {
		clearInterval(this.store.timer);
	}
}

/** Fixed windows aligned to the clock, one Redis key per client, endpoint and window: INCR + PEXPIRE. */
class RedisCounterStore implements CounterStore {
	private fallback: MemoryCounterStore;
	private lastWarning = 0;
	constructor(
		private redis: Redis,
		private prefix: string,
		private windowMs: number,
		private logger: { warn(...args: unknown[]): void },
	) {
		this.fallback = new MemoryCounterStore(windowMs);
	}
	async inc(key: string): Promise<Counter> {
		const window = Math.floor(Date.now() / this.windowMs);
		const resetAt = (window + 1) * this.windowMs;
		try {
			const redisKey = `${this.prefix}:rl:${window}:${key}`;
			const result = await this.redis
				.multi()
				.incr(redisKey)
				.pexpire(redisKey, this.windowMs * 2)
				.exec();
			const count = Number(result?.[0]?.[1]);
			if (!Number.isFinite(count)) throw new Error("unexpected Redis reply");
			return { count, resetAt };
		} catch (err) {
			if (Date.now() - this.lastWarning > 30000) {
				this.lastWarning = Date.now();
				this.logger.warn(`Rate-limit store unavailable (${(err as Error).message}); counting per node until Redis is back`);
			}
			return this.fallback.inc(key);
		}
	}
	get healthy() {
		return this.redis.status === "ready";
	}
	async close() {
		await this.fallback.close();
		this.redis.disconnect();
	}
}

declare module "moleculer" {
	interface ActionSchema {
		/** false: not rate limited (health probes). */
		rateLimit?: boolean;
	}
}

/** The caller's address: the socket's, or with TRUST_PROXY the first X-Forwarded-For entry (the proxy's client). */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
	if (trustProxy) {
		const forwarded = req.headers["x-forwarded-for"];
		const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
		if (first) return first;
	}
	return req.socket.remoteAddress ?? "unknown";
}

export function limitFor(client: Principal | null, rate_limit: Config["rate_limit"]): number {
	if (!client) return rate_limit.anonymous_per_ip;
	return client.tier === "premium" ? rate_limit.premium : rate_limit.default;
}

export const RateLimitMixin = defineMixin<{ rateLimitStore: CounterStore }, { countMetric(spec: CounterSpec, labels?: Record<string, string>): void }>()({
	methods: {
		/** Counts the request; sets X-RateLimit-* headers; throws 429 with Retry-After past the limit. */
		async enforceRateLimit(req: IncomingMessage, res: ServerResponse, client: Principal | null, endpoint: string): Promise<void> {
			const config = configOf(this.broker);
			const limit = limitFor(client, config.rate_limit);
			const who = client ? `${client.kind}:${client.id}` : `ip:${clientAddress(req, config.http.trust_proxy)}`;
			const { count, resetAt } = await this.rateLimitStore.inc(`${who}:${endpoint}`);
			const remaining = Math.max(0, limit - count);
			res.setHeader("X-RateLimit-Limit", limit);
			res.setHeader("X-RateLimit-Remaining", remaining);
			res.setHeader("X-RateLimit-Reset", Math.ceil(resetAt / 1000));
			if (count > limit) {
				res.setHeader("Retry-After", Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)));
				this.countMetric(BUSINESS_COUNTERS.requestsRateLimited, { endpoint });
				throw new WebErrors.RateLimitExceeded("RATE_LIMIT_EXCEEDED", { limit, reset_at: new Date(resetAt).toISOString() });
			}
		},
		rateLimitStoreHealthy(): boolean {
			return !(this.rateLimitStore instanceof RedisCounterStore) || this.rateLimitStore.healthy;
		},
	},
	created() {
		const config = configOf(this.broker);
		const windowMs = config.rate_limit.window_ms;
		if (/^redis(s)?:\/\//.test(config.cacher)) {
			const redis = new Redis(config.cacher, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
			redis.on("error", () => undefined); // reported by inc() when it matters
			this.rateLimitStore = new RedisCounterStore(redis, `bizops-${config.namespace}`, windowMs, this.logger);
		} else {
			this.rateLimitStore = new MemoryCounterStore(windowMs);
		}
	},
	async stopped() {
		await this.rateLimitStore.close();
	},
});
