/**
 * An HTTP client for a data source with fair-access rules, held across every replica (docs/integration.md):
 * at most `maxRequests` requests in any `windowMs` from all replicas together (a sliding window in Redis when
 * the cluster has one, else in this process), a pause of all traffic to the source after it says the rate was
 * exceeded, retries with backoff on network errors and 5xx only, a body that is no data (an HTML page with a
 * 200) taken for the error it is, answers read no further than a size limit, and kept by URL and revalidated
 * with ETag / Last-Modified. SEC EDGAR and the price providers are its sources (sec-client.ts, price-client.ts).
 */
import crypto from "node:crypto";
import type Redis from "ioredis";
import { LRUCache } from "lru-cache";
import { badGateway, missing, serviceUnavailable } from "../models/errors";

export type RequestOutcome = "ok" | "not_modified" | "not_found" | "retried" | "rate_exceeded" | "failed";

export interface FairAccessOptions {
	/** The source as messages name it ("SEC EDGAR"). */
	source: string;
	/** Who speaks for it, when another name ("SEC"); default: `source`. */
	speaker?: string;
	/** Its short name in Redis keys ("sec"). */
	key: string;
	/** Sent with every request (a User-Agent, an API key). */
	headers: Record<string, string>;
	maxRequests: number;
	windowMs: number;
	timeoutMs: number;
	retries: number;
	pauseMs: number;
	cacheBytes: number;
	/** The largest answer read. */
	maxBodyBytes: number;
	/** Whether an answer says the rate was exceeded (its status and body). */
	rateExceeded(status: number, body: string): boolean;
	/** Why a 200 answer is no data (an HTML page, an error document), or null. */
	notData(contentType: string | null, body: string): string | null;
	/** What a 4xx answer (other than 404 and the rate) means, for its message. */
	refused?(status: number, body: string): string | null;
	/** A URL as logs and messages may show it (a key in it hidden). */
	redact?(url: string): string;
	/** Shared by the replicas (rate window and pause); null: this process only. */
	redis: Redis | null;
	/** Key prefix in Redis (the namespace). */
	prefix: string;
	logger: { warn(...args: unknown[]): void; info(...args: unknown[]): void };
	count(outcome: RequestOutcome): void;
}

/** What a status route shows of a client. */
export interface FairAccessStatus {
	paused_until: string | null;
	max_requests: number;
	window_ms: number;
	shared: boolean;
	cached_answers: number;
}

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

export class FairAccessClient {
	private readonly local: number[] = [];
	private localPausedUntil = 0;
	private readonly cache: LRUCache<string, Cached>;

	constructor(private readonly opts: FairAccessOptions) {
		this.cache = new LRUCache<string, Cached>({ maxSize: Math.max(1, opts.cacheBytes), sizeCalculation: c => Math.max(1, c.body.length) });
	}

	private get rateKey() {
		return `${this.opts.prefix}:${this.opts.key}:window`;
	}
	private get pauseKey() {
		return `${this.opts.prefix}:${this.opts.key}:paused_until`;
	}

	/** Waits for a place in the rate window (shared when there is Redis; this process's when Redis fails). */
	private async slot(): Promise<void> {
		for (;;) {
			let wait: number;
			if (this.opts.redis) {
				try {
					wait = Number(await this.opts.redis.eval(SLIDING_WINDOW, 1, this.rateKey, this.opts.maxRequests, crypto.randomUUID(), this.opts.windowMs));
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
		while (this.local.length && this.local[0] <= now - this.opts.windowMs) this.local.shift();
		if (this.local.length < this.opts.maxRequests) {
			this.local.push(now);
			return 0;
		}
		return this.local[0] + this.opts.windowMs - now + 1;
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
		this.opts.logger.warn(
			`${this.opts.speaker ?? this.opts.source} says the request rate was exceeded (${status} for ${this.shown(url)}): all ${this.opts.source} traffic paused until ${new Date(until).toISOString()}`,
		);
		throw this.pausedError(until);
	}

	private pausedError(until: number) {
		return serviceUnavailable(
			`${this.opts.source} traffic is paused until ${new Date(until).toISOString()}: ${this.opts.speaker ?? this.opts.source} said the request rate was exceeded`,
			{
				paused_until: new Date(until).toISOString(),
			},
		);
	}

	private shown(url: string): string {
		return this.opts.redact ? this.opts.redact(url) : url;
	}

	async status(): Promise<FairAccessStatus> {
		const until = await this.pausedUntil();
		return {
			paused_until: until ? new Date(until).toISOString() : null,
			max_requests: this.opts.maxRequests,
			window_ms: this.opts.windowMs,
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
			throw badGateway(`${this.opts.speaker ?? this.opts.source} answered ${what} with something that is not JSON`);
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
				const headers: Record<string, string> = { accept: "application/json, text/csv", "accept-encoding": "gzip, deflate", ...this.opts.headers };
				if (cached?.etag) headers["if-none-match"] = cached.etag;
				if (cached?.lastModified) headers["if-modified-since"] = cached.lastModified;
				res = await fetch(url, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs) });
			} catch (err) {
				if (attempt < this.opts.retries) {
					await this.retry(url, attempt, (err as Error).message);
					continue;
				}
				this.opts.count("failed");
				throw serviceUnavailable(`${this.opts.source} did not answer for ${what}: ${(err as Error).message}`);
			}
			if (res.status === 304 && cached) {
				await res.body?.cancel();
				this.opts.count("not_modified");
				return cached.body;
			}
			const text = await this.bodyOf(res, what);
			if (this.opts.rateExceeded(res.status, text)) return this.pause(url, res.status);
			if (res.status === 404) {
				this.opts.count("not_found");
				throw missing(`${this.opts.source} has no ${what}`);
			}
			if (res.status >= 500) {
				if (attempt < this.opts.retries) {
					await this.retry(url, attempt, `${res.status}`);
					continue;
				}
				this.opts.count("failed");
				throw badGateway(`${this.opts.source} answered ${res.status} for ${what}`);
			}
			if (res.status !== 200) {
				this.opts.count("failed");
				const meaning = this.opts.refused?.(res.status, text);
				throw badGateway(`${this.opts.source} answered ${res.status} for ${what}${meaning ? `: ${meaning}` : ""}`);
			}
			const notData = this.opts.notData(res.headers.get("content-type"), text);
			if (notData) {
				this.opts.count("failed");
				throw badGateway(`${this.opts.source} answered ${what} with ${notData}`);
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
			return badGateway(`${this.opts.source}'s answer for ${what} is larger than ${max} bytes, the most read`);
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
		this.opts.logger.warn(`${this.opts.source} request ${this.shown(url)} failed (${why}); trying again in ${delay} ms`);
		await sleep(delay);
	}
}
