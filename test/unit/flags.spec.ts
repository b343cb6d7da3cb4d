import { bucketOf, effectivePercentage, isFlagEnabled, type FeatureFlag } from "../../domains/flags/rollout";

const flag = (f: Partial<FeatureFlag>): FeatureFlag => ({ name: "f", enabled: true, rollout_percentage: 100, whitelist: [], ...f });

describe("feature flag rollout", () => {
	it("is off when disabled, even for whitelisted users", () => {
		expect(isFlagEnabled(flag({ enabled: false, whitelist: ["u1"] }), { id: "u1" })).toBe(false);
	});

	it("whitelists by id or username regardless of percentage", () => {
		expect(isFlagEnabled(flag({ rollout_percentage: 0, whitelist: ["alice"] }), { id: "u9", username: "alice" })).toBe(true);
		expect(isFlagEnabled(flag({ rollout_percentage: 0, whitelist: ["u9"] }), { id: "u9" })).toBe(true);
		expect(isFlagEnabled(flag({ rollout_percentage: 0 }), { id: "u9" })).toBe(false);
	});

	it("is stable per user and grows monotonically with the percentage", () => {
		const users = Array.from({ length: 2000 }, (_, i) => ({ id: `user-${i}` }));
		const at = (pct: number) => new Set(users.filter(u => isFlagEnabled(flag({ rollout_percentage: pct }), u)).map(u => u.id));
		const ten = at(10);
		const fifty = at(50);
		expect(at(10)).toEqual(ten); // same answer every time
		for (const id of ten) expect(fifty.has(id)).toBe(true); // nobody loses the flag as the rollout grows
		expect(ten.size / users.length).toBeGreaterThan(0.07);
		expect(ten.size / users.length).toBeLessThan(0.13);
		expect(fifty.size / users.length).toBeGreaterThan(0.45);
		expect(fifty.size / users.length).toBeLessThan(0.55);
	});

	it("buckets differ between flags", () => {
		const ids = Array.from({ length: 100 }, (_, i) => `u${i}`);
		expect(ids.map(id => bucketOf("a", id))).not.toEqual(ids.map(id => bucketOf("b", id)));
	});

	it("ramps a gradual rollout linearly between start and end", () => {
		const f = flag({ rollout_percentage: 80, gradual_rollout: { start: "2026-01-01T00:00:00Z", end: "2026-01-11T00:00:00Z" } });
		expect(effectivePercentage(f, new Date("2025-12-31T00:00:00Z"))).toBe(0);
		expect(effectivePercentage(f, new Date("2026-01-06T00:00:00Z"))).toBeCloseTo(40, 6);
		expect(effectivePercentage(f, new Date("2026-02-01T00:00:00Z"))).toBe(80);
	});
});
