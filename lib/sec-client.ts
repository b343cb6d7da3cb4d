/**
 * The SEC EDGAR client of the integration service: SEC's fair-access rules ("Accessing EDGAR Data") on the
 * shared fair-access client — a User-Agent naming the operator and a contact, at most 10 requests per second
 * from all replicas together, a 429 or SEC's 403 "Request Rate Threshold Exceeded" page pausing all SEC
 * traffic, and an HTML page with a 200 taken for an error.
 */
import type Redis from "ioredis";
import { isRateThresholdPage, looksLikeHtml } from "../domains/integration/edgar";
import { FairAccessClient, type RequestOutcome } from "./fair-access-client";

/**
 * The window the rate is held over: SEC counts requests as they arrive, and they arrive after they leave here
 * by a varying delay (a new connection, a busy node), so the window is 1.1 s, not 1: up to 100 ms of jitter
 * between two requests never puts one more in any of SEC's seconds.
 */
const SEC_WINDOW_MS = 1100;

export interface SecClientOptions {
	userAgent: string;
	requestsPerSecond: number;
	timeoutMs: number;
	retries: number;
	pauseMs: number;
	cacheBytes: number;
	maxBodyBytes: number;
	redis: Redis | null;
	prefix: string;
	logger: { warn(...args: unknown[]): void; info(...args: unknown[]): void };
	count(outcome: RequestOutcome): void;
}

export function secClient({ userAgent, requestsPerSecond, ...rest }: SecClientOptions): FairAccessClient {
	return new FairAccessClient({
		...rest,
		source: "SEC EDGAR",
		speaker: "SEC",
		key: "sec",
		headers: { "user-agent": userAgent },
		maxRequests: requestsPerSecond,
		windowMs: SEC_WINDOW_MS,
		rateExceeded: (status, body) => status === 429 || (status === 403 && isRateThresholdPage(body)),
		notData: (contentType, body) => (looksLikeHtml(contentType, body) ? "an HTML page, not data" : null),
	});
}
