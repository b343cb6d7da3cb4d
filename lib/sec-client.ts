/**
 * The SEC EDGAR client of the integration service, holding SEC's fair-access rules across every replica
 * (docs/integration.md): a User-Agent naming the operator, at most `requests_per_second` requests in any
 * second from all replicas together (a sliding window in Redis when the cluster has one, else in this
 * process), a pause of all SEC traffic after SEC says the rate was exceeded (a 429, or its 403 threshold
 * page), retries with backoff on network errors and 5xx only, an HTML page with a 200 taken for the error it
 * is, and answers kept by URL and revalidated with ETag / Last-Modified.
 */
import crypto from "node:crypto";
import type Redis from "ioredis";
import { LRUCache } from "lru-cache";
import { isRateThresholdPage, looksLikeHtml } from "../domains/integration/edgar";
import { badGateway, missing, serviceUnavailable } from "../models/errors";

export interface SecClientOptions {
	userAgent: string;
	requestsPerSecond: number;
	timeoutMs: number;
	retries: number;
	pauseMs: number;
	cacheBytes: number;
	/** The largest answer read (a companyfacts document finance would refuse past its import limit anyway). */
	maxBodyBytes: number;
	/** Shared by the replicas (rate window and pause); null: this process only. */
	redis: Redis | null;
	/** Key prefix in Redis (the namespace). */
	prefix: string;
	logger: { warn(...args: unknown[]): void; info(...args: unknown[]): void };
	count(outcome: "ok" | "not_modified" | "not_found" | "retried" | "rate_exceeded" | "failed"): void;
}

import type { SecStatus } from "../contracts/integration";

/**
 * The window the rate is held over: SEC counts requests as they arrive, and they arrive after they leave here
 * by a varying delay (a new connection, a busy node), so the window is 1.1 s, not 1: up to 100 ms of jitter
 * between two requests never puts one more in any of SEC's seconds.
 */
const WINDOW_MS = 1100;

/** One request in the window, or how long to wait before asking again. Redis TIME: one clock for every replica. */
const SLIDING_WINDOW = `
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + tonumber(ARGV[3]) - now + 1
`;

interface Cached {
	body: string;
	etag: string | null;
	lastModified: string | null;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export class SecClient {
	private readonly local: number[] = [];
	private localPausedUntil = 0;
	private readonly cache: LRUCache<string, Cached>;

	constructor(private readonly opts: SecClientOptions) {
		this.cache = new LRUCache<string, Cached>({ maxSize: Math.max(1, opts.cacheBytes), sizeCalculation: c => Math.max(1, c.body.length) });
	}

	private get rateKey() {
		return `${this.opts.prefix}:sec:window`;
	}
	private get pauseKey() {
		return `${this.opts.prefix}:sec:paused_until`;
	}

	/** Waits for a place in the rate window (shared when there is Redis; this process's when Redis fails). */
	private async slot(): Promise<void> {
		for (;;) {
			let wait: number;
			if (this.opts.redis) {
				try {
					wait = Number(await this.opts.redis.eval(SLIDING_WINDOW, 1, this.rateKey, this.opts.requestsPerSecond, crypto.randomUUID(), WINDOW_MS));
				} catch {
					wait = this.localWait();
				}
			} else wait = this.localWait();
			if (wait <= 0) return;
			await sleep(wait);
		}
	}

	private localWait(): number {
		const now = Date.now();
		while (this.local.length && this.local[0] <= now - WINDOW_MS) this.local.shift();
		if (this.local.length < this.opts.requestsPerSecond) {
			this.local.push(now);
			return 0;
		}
		return this.local[0] + WINDOW_MS - now + 1;
	}

	async pausedUntil(): Promise<number | null> {
		let until = this.localPausedUntil;
		if (this.opts.redis) {
			try {
				until = Math.max(until, Number((await this.opts.redis.get(this.pauseKey)) ?? 0));
			} catch {
				/* Redis down: this process's own knowledge */
			}
		}
		return until > Date.now() ? until : null;
	}

	private async pause(url: string, status: number): Promise<never> {
		const until = Date.now() + this.opts.pauseMs;
		this.localPausedUntil = until;
		if (this.opts.redis) await this.opts.redis.set(this.pauseKey, String(until), "PX", this.opts.pauseMs).catch(() => undefined);
		this.opts.count("rate_exceeded");
		this.opts.logger.warn(`SEC says the request rate was exceeded (${status} for ${url}): all SEC traffic paused until ${new Date(until).toISOString()}`);
		throw this.pausedError(until);
	}

	private pausedError(until: number) {
		return serviceUnavailable(`SEC EDGAR traffic is paused until ${new Date(until).toISOString()}: SEC said the request rate was exceeded`, {
			paused_until: new Date(until).toISOString(),
		});
	}

	async status(): Promise<SecStatus> {
		const until = await this.pausedUntil();
		return {
			paused_until: until ? new Date(until).toISOString() : null,
			requests_per_second: this.opts.requestsPerSecond,
			shared: this.opts.redis != null,
			cached_answers: this.cache.size,
		};
	}

	/** The JSON at `url`; 404 as `missing` with `what`, the rest as 502/503. */
	async getJson(url: string, what: string): Promise<unknown> {
		const body = await this.getText(url, what);
		try {
			return JSON.parse(body);
		} catch {
			this.opts.count("failed");
			throw badGateway(`SEC answered ${what} with something that is not JSON`);
		}
	}

	/** The text at `url` (a companyfacts document goes on as it is, unparsed here). */
	async getText(url: string, what: string): Promise<string> {
		const cached = this.cache.get(url);
		for (let attempt = 0; ; attempt++) {
			const paused = await this.pausedUntil();
			if (paused) throw this.pausedError(paused);
			await this.slot();
			let res: Response;
			try {
				const headers: Record<string, string> = { "user-agent": this.opts.userAgent, accept: "application/json", "accept-encoding": "gzip, deflate" };
				if (cached?.etag) headers["if-none-match"] = cached.etag;
				if (cached?.lastModified) headers["if-modified-since"] = cached.lastModified;
				res = await fetch(url, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs) });
			} catch (err) {
				if (attempt < this.opts.retries) {
					await this.retry(url, attempt, (err as Error).message);
					continue;
				}
				this.opts.count("failed");
				throw serviceUnavailable(`SEC EDGAR did not answer for ${what}: ${(err as Error).message}`);
			}
			if (res.status === 304 && cached) {
				await res.body?.cancel();
				this.opts.count("not_modified");
				return cached.body;
			}
			const text = await this.bodyOf(res, what);
			if (res.status === 429 || (res.status === 403 && isRateThresholdPage(text))) return this.pause(url, res.status);
			if (res.status === 404) {
				this.opts.count("not_found");
				throw missing(`SEC EDGAR has no ${what}`);
			}
			if (res.status >= 500) {
				if (attempt < this.opts.retries) {
					await this.retry(url, attempt, `${res.status}`);
					continue;
				}
				this.opts.count("failed");
				throw badGateway(`SEC EDGAR answered ${res.status} for ${what}`);
			}
			if (res.status !== 200) {
				this.opts.count("failed");
				throw badGateway(`SEC EDGAR answered ${res.status} for ${what}`);
			}
			if (looksLikeHtml(res.headers.get("content-type"), text)) {
				this.opts.count("failed");
				throw badGateway(`SEC EDGAR answered ${what} with an HTML page, not data`);
			}
			this.opts.count("ok");
			this.cache.set(url, { body: text, etag: res.headers.get("etag"), lastModified: res.headers.get("last-modified") });
			return text;
		}
	}

	/** The answer's text, read no further than maxBodyBytes: a larger one is a 502, and the rest is not fetched. */
	private async bodyOf(res: Response, what: string): Promise<string> {
		const max = this.opts.maxBodyBytes;
		const tooLarge = () => {
			this.opts.count("failed");
			return badGateway(`SEC EDGAR's answer for ${what} is larger than ${max} bytes, the most read`);
		};
		if (Number(res.headers.get("content-length") ?? 0) > max) {
			await res.body?.cancel();
			throw tooLarge();
		}
		if (!res.body) return "";
		const reader = res.body.getReader();
		const chunks: Uint8Array[] = [];
		let size = 0;
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.byteLength;
			if (size > max) {
				await reader.cancel();
				throw tooLarge();
			}
			chunks.push(value);
		}
		return Buffer.concat(chunks, size).toString("utf8");
	}

	private async retry(url: string, attempt: number, why: string): Promise<void> {
		this.opts.count("retried");
		const delay = 500 * 2 ** attempt;
		this.opts.logger.warn(`SEC request ${url} failed (${why}); trying again in ${delay} ms`);
		await sleep(delay);
	}
}
