/**
 * Moleculer's Prometheus reporter, made to follow Prometheus' conventions (prometheus.io/docs/practices/naming,
 * and the text exposition format's histogram): a histogram with buckets also carries its `_sum` and `_count`
 * (Moleculer prints them only beside quantiles, which cost a reservoir per series), so the standard average and
 * rate queries work; and `_total`, a counter's suffix, is not left on gauges (Moleculer's own
 * `moleculer_registry_nodes_online_total` is exported as `moleculer_registry_nodes_online`).
 */
import { MetricReporters } from "moleculer";

interface Snapshot {
	labels: Record<string, unknown>;
	sum?: number;
	count?: number;
	buckets?: Record<string, number>;
	quantiles?: Record<string, number>;
}
interface StoredMetric {
	name: string;
	type: string;
	snapshot(): Snapshot[];
}
interface ReporterInternals {
	registry: { store: Map<string, StoredMetric> };
	formatMetricName(name: string): string;
	labelsToStr(labels: Record<string, unknown>, extra?: Record<string, unknown>): string;
}

const Base = MetricReporters.Prometheus as unknown as new (opts?: object) => { generatePrometheusResponse(): string };

/** A gauge's name without the counter suffix. */
export function gaugeName(name: string): string {
	return name.replace(/[._]total$/, "");
}

export class BizopsPrometheusReporter extends Base {
	override generatePrometheusResponse(): string {
		const self = this as unknown as ReporterInternals;
		const histograms: Array<{ name: string; items: Snapshot[] }> = [];
		const restore: Array<() => void> = [];
		for (const metric of self.registry.store.values()) {
			if (metric.type === "histogram") {
				// one snapshot for the buckets and the sums, so _count is the +Inf bucket it follows
				const items = metric.snapshot();
				const original = metric.snapshot;
				metric.snapshot = () => items;
				restore.push(() => (metric.snapshot = original));
				histograms.push({ name: self.formatMetricName(metric.name).replace(/[.-]/g, "_"), items });
			} else if (metric.type === "gauge" && /[._]total$/.test(metric.name)) {
				const original = metric.name;
				metric.name = gaugeName(original);
				restore.push(() => (metric.name = original));
			}
		}
		let text: string;
		try {
			text = super.generatePrometheusResponse();
		} finally {
			for (const undo of restore) undo();
		}
		const after = new Map<string, string[]>();
		for (const { name, items } of histograms)
			for (const item of items)
				if (item.buckets && !item.quantiles)
					after.set(`${name}_bucket${self.labelsToStr(item.labels, { le: "+Inf" })} `, [
						`${name}_sum${self.labelsToStr(item.labels)} ${item.sum ?? 0}`,
						`${name}_count${self.labelsToStr(item.labels)} ${item.count ?? 0}`,
					]);
		if (!after.size) return text;
		const lines: string[] = [];
		for (const line of text.split("\n")) {
			lines.push(line);
			const space = line.lastIndexOf(" ");
			const extra = space > 0 ? after.get(line.slice(0, space + 1)) : undefined;
			if (extra) lines.push(...extra);
		}
		return lines.join("\n");
	}
}
