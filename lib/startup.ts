/**
 * Start-up work against a store or a channel (opening collections, seeding flags and data sets, creating
 * streams), retried with backoff while what fails is passing: a MongoDB or NATS server not reachable yet, a
 * timeout on a busy machine. MongoDB's 1 s server selection (MONGO_TIMEOUT) is for requests, which must answer
 * promptly; a node starting may wait: up to STARTUP_TIMEOUT_MS, the delay doubling from 250 ms to 5 s. Anything
 * else (a configuration error, a bug) fails the start at once, as before.
 */
import { configOf } from "../config";

interface StartupLogger {
	warn(...args: unknown[]): void;
}

const TRANSIENT_NAMES =
	/^(MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoTopologyClosedError|MongoPoolClearedError|MongoWaitQueueTimeoutError|RequestTimeoutError|ServiceNotAvailableError|ServiceNotFoundError|BrokerDisconnectedError|TimeoutError)$/;
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** Whether retrying may help: the store, the transporter or a service is not there yet, or was too slow. */
export function isTransient(err: unknown): boolean {
	const e = err as { name?: string; code?: unknown; retryable?: boolean; cause?: unknown } | null;
	if (!e) return false;
	if (e.retryable === true || TRANSIENT_NAMES.test(String(e.name)) || TRANSIENT_CODES.has(String(e.code))) return true;
	return e.cause != null && e.cause !== err && isTransient(e.cause);
}

export interface StartupRetry {
	/** ms the work may keep failing before the start fails (config startup_timeout_ms). */
	deadlineMs?: number;
	firstDelayMs?: number;
	maxDelayMs?: number;
}

/** Runs `work`, again after a growing delay while it fails transiently and the deadline allows; logs each retry. */
/** `service`: the service starting (its logger, and its broker's startup_timeout_ms unless `opts` gives a deadline). */
export async function atStartup<T>(service: { logger: StartupLogger; broker: object }, what: string, work: () => Promise<T>, opts: StartupRetry = {}): Promise<T> {
	const logger = service.logger;
	const deadline = Date.now() + (opts.deadlineMs ?? configOf(service.broker).startup_timeout_ms);
	let delay = opts.firstDelayMs ?? 250;
	for (let attempt = 1; ; attempt++) {
		try {
			return await work();
		} catch (err) {
			if (!isTransient(err) || Date.now() + delay > deadline) throw err;
			logger.warn(`${what}: ${(err as Error).message}; trying again in ${delay} ms (attempt ${attempt + 1})`);
			await new Promise(resolve => setTimeout(resolve, delay));
			delay = Math.min(delay * 2, opts.maxDelayMs ?? 5000);
		}
	}
}
