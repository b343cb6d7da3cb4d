/** The per-request metrics: registered by middlewares/metrics.middleware.ts, the HTTP one observed by the gateway. */

/** Latency buckets in ms: a cached read is ~1 ms, an import seconds. */
export const DURATION_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export const ACTION_DURATION = {
	name: "bizops.action.duration",
	type: "histogram",
	labelNames: ["service", "action"],
	buckets: DURATION_BUCKETS,
	unit: "millisecond",
	description: "Action calls handled by this node: count and duration (ms)",
	rate: false,
} as const;
export const ACTION_ERRORS = {
	name: "bizops.action.errors.total",
	type: "counter",
	labelNames: ["service", "action", "code"],
	description: "Action calls that failed, by error code",
	rate: false,
} as const;
export const HTTP_DURATION = {
	name: "bizops.http.duration",
	type: "histogram",
	labelNames: ["method", "route", "status"],
	buckets: DURATION_BUCKETS,
	unit: "millisecond",
	description: "HTTP requests answered by this gateway: count and duration (ms) by route and status",
	rate: false,
} as const;
