/**
 * The per-request duration histograms (lib/metrics.ts): observed through DurationSeries, they hold what Moleculer's
 * own `observe` would (buckets, sum, count per label set), and a reset of the registry's values starts them over.
 */
import { ServiceBroker } from "moleculer";
import { DurationSeries, DURATION_BUCKETS } from "../../lib/metrics";

describe("DurationSeries", () => {
	const broker = new ServiceBroker({ logger: false, metrics: { enabled: true, reporter: [] } });
	const histogram = (name: string) =>
		broker.metrics.register({ name, type: "histogram", labelNames: ["route", "status"], buckets: [...DURATION_BUCKETS], rate: false } as never) as unknown as {
			observe(value: number, labels: Record<string, string>): void;
			snapshot(): Array<{ labels: Record<string, string>; count: number; sum: number; buckets: Record<number, number> }>;
			clear(): void;
		};

	it("records the same buckets, sums and counts per label set as Moleculer's observe", () => {
		const moleculer = histogram("test.moleculer");
		const lean = histogram("test.lean");
		const series = new DurationSeries(lean as never);
		const observations: Array<[string, string, number]> = [
			["/a", "200", 0.4],
			["/a", "200", 1],
			["/a", "200", 7.5],
			["/a", "404", 30],
			["/b", "200", 12000],
			["/a", "200", 2500],
		];
		for (const [route, status, ms] of observations) {
			moleculer.observe(ms, { route, status });
			series.observe(
				series.series(`${route} ${status}`, () => ({ route, status })),
				ms,
			);
		}
		const shape = (h: typeof moleculer) => h.snapshot().map(({ labels, count, sum, buckets }) => ({ labels, count, sum, buckets }));
		expect(shape(lean)).toEqual(shape(moleculer));
		expect(shape(lean).find(s => s.labels.route === "/a" && s.labels.status === "200")).toMatchObject({ count: 4, buckets: { 1: 2, 2: 2, 10: 3, 2500: 4, 10000: 4 } });
	});

	it("starts over when the registry's values are reset", () => {
		const lean = histogram("test.reset");
		const series = new DurationSeries(lean as never);
		const labels = () => ({ route: "/a", status: "200" });
		series.observe(series.series("/a 200", labels), 3);
		lean.clear();
		series.observe(series.series("/a 200", labels), 4);
		expect(lean.snapshot()).toEqual([expect.objectContaining({ count: 1, sum: 4 })]);
	});
});
