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

/** What of a Moleculer histogram DurationSeries writes to (moleculer/src/metrics/types/histogram.js). */
interface MoleculerHistogram {
	buckets: number[];
	values: Map<string, HistogramItem>;
	dirty: boolean;
	hashingLabels(labels: Record<string, string>): string;
	resetItem(item: { labels: Record<string, string> }, timestamp: number | null): HistogramItem;
}
interface HistogramItem {
	sum: number;
	count: number;
	lastValue: number | null;
	timestamp: number;
	bucketValues: Record<number, number>;
}

/**
 * Observations into one of Moleculer's histograms at a fraction of what its `observe` costs per call (hashing the
 * labels into a string, reading the clock, telling every reporter): the series is looked up by a key the caller
 * already has, and the Prometheus reporter reads it at scrape time. The items are Moleculer's own (buckets, sum,
 * count), so the reporter prints them as before. On a gateway this was a tenth of a request's CPU (bench/README.md).
 */
export class DurationSeries {
	private readonly items = new Map<string, HistogramItem>();
	private values: Map<string, HistogramItem>;

	constructor(private readonly metric: MoleculerHistogram) {
		this.values = metric.values;
	}

	/** The series of `key`, made with `labels()` the first time. */
	series(key: string, labels: () => Record<string, string>): HistogramItem {
		// the registry's values replaced (a reset): start over with the new map
		if (this.metric.values !== this.values) {
			this.values = this.metric.values;
			this.items.clear();
		}
		let item = this.items.get(key);
		if (!item) {
			const named = labels();
			const hash = this.metric.hashingLabels(named);
			item = this.values.get(hash) ?? this.metric.resetItem({ labels: named }, null);
			this.values.set(hash, item);
			this.items.set(key, item);
		}
		return item;
	}

	observe(item: HistogramItem, value: number): void {
		item.sum += value;
		item.count++;
		item.lastValue = value;
		const buckets = this.metric.buckets;
		for (let i = buckets.length - 1; i >= 0 && value <= buckets[i]; i--) item.bucketValues[buckets[i]]++;
		this.metric.dirty = true;
	}
}

export const EVENT_LOOP_DELAY = {
	name: "bizops.event_loop.delay.ms",
	type: "gauge",
	labelNames: ["quantile"],
	description: "How late this node's event loop ran over the last 10 s (ms): quantile 0.5, 0.99 and 1 (the maximum)",
} as const;
