/**
 * How late this node's event loop runs (docs/operations.md, metrics): Node's own histogram of timer delays
 * (perf_hooks.monitorEventLoopDelay, a timer every 10 ms: how much later than 10 ms each tick came), exported as `bizops_event_loop_delay_ms` with
 * `quantile` 0.5, 0.99 and 1 (the maximum) over the last window of 10 s. A handler that computes too long on the
 * main thread shows here first. (Moleculer's own event-loop metric needs a native module this project does not
 * install.)
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { Middleware, ServiceBroker } from "moleculer";
import { EVENT_LOOP_DELAY } from "../lib/metrics";

const WINDOW_MS = 10_000;
/** The sampling timer's period: each sample is the time between two of its ticks, so this much of it is not delay. */
const RESOLUTION_MS = 10;

export function EventLoopDelayMiddleware(): Middleware {
	let histogram: IntervalHistogram | null = null;
	let timer: NodeJS.Timeout | null = null;
	return {
		name: "EventLoopDelay",
		created(broker: ServiceBroker) {
			if (!broker.isMetricsEnabled()) return;
			broker.metrics.register({ ...EVENT_LOOP_DELAY, labelNames: [...EVENT_LOOP_DELAY.labelNames] } as never);
			for (const quantile of ["0.5", "0.99", "1"]) broker.metrics.set(EVENT_LOOP_DELAY.name, 0, { quantile });
		},
		started(broker: ServiceBroker) {
			if (!broker.isMetricsEnabled()) return;
			histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
			histogram.enable();
			const h = histogram;
			timer = setInterval(() => {
				// nanoseconds between ticks, less the period; a window without samples reads 0
				const ms = (ns: number) => (h.count ? Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100) : 0);
				broker.metrics.set(EVENT_LOOP_DELAY.name, ms(h.percentile(50)), { quantile: "0.5" });
				broker.metrics.set(EVENT_LOOP_DELAY.name, ms(h.percentile(99)), { quantile: "0.99" });
				broker.metrics.set(EVENT_LOOP_DELAY.name, ms(h.max), { quantile: "1" });
				h.reset();
			}, WINDOW_MS);
			timer.unref();
		},
		stopped() {
			if (timer) clearInterval(timer);
			histogram?.disable();
		},
	} as unknown as Middleware;
}
