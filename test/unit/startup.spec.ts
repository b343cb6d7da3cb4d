/** Start-up work retried while what fails is passing (lib/startup.ts), and only then. */
import { atStartup, isTransient } from "../../lib/startup";

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe("start-up work", () => {
	it("tells a store or a transporter not there yet from a bug", () => {
		expect(isTransient(named("MongoServerSelectionError", "Server selection timed out after 1000 ms"))).toBe(true);
		expect(isTransient(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:27017"), { code: "ECONNREFUSED" }))).toBe(true);
		expect(isTransient(named("RequestTimeoutError"))).toBe(true);
		expect(isTransient(new Error("wrapped", { cause: named("MongoNetworkError") }))).toBe(true);
		expect(isTransient(new TypeError("Cannot read properties of undefined"))).toBe(false);
		expect(isTransient(Object.assign(new Error("duplicate key"), { code: 11000 }))).toBe(false);
	});

	it("tries again, the delay doubling, until the work succeeds, saying so each time", async () => {
		const warnings: string[] = [];
		const logger = { warn: (m: string) => void warnings.push(m) };
		let calls = 0;
		const at: number[] = [];
		const result = await atStartup(
			{ logger, broker: {} },
			"ml.registry: registering the shipped data sets",
			async () => {
				at.push(Date.now());
				if (++calls < 4) throw named("MongoServerSelectionError", "Server selection timed out after 1000 ms");
				return "registered";
			},
			{ firstDelayMs: 20, maxDelayMs: 1000, deadlineMs: 10_000 },
		);
		expect(result).toBe("registered");
		expect(calls).toBe(4);
		expect(warnings).toEqual([
			"ml.registry: registering the shipped data sets: Server selection timed out after 1000 ms; trying again in 20 ms (attempt 2)",
			"ml.registry: registering the shipped data sets: Server selection timed out after 1000 ms; trying again in 40 ms (attempt 3)",
			"ml.registry: registering the shipped data sets: Server selection timed out after 1000 ms; trying again in 80 ms (attempt 4)",
		]);
		// waited at least the delays it announced
		expect(at[3] - at[0]).toBeGreaterThanOrEqual(20 + 40 + 80 - 5);
	});

	it("fails at once on an error retrying cannot mend, and gives up at the deadline", async () => {
		let calls = 0;
		const bug = atStartup({ logger: { warn: () => undefined }, broker: {} }, "flags", async () => {
			calls++;
			throw new TypeError("flags.yaml: not a list");
		});
		await expect(bug).rejects.toThrow("flags.yaml: not a list");
		expect(calls).toBe(1);
		const down = atStartup(
			{ logger: { warn: () => undefined }, broker: {} },
			"auth",
			async () => {
				throw named("MongoServerSelectionError", "no server");
			},
			{ firstDelayMs: 20, deadlineMs: 100 },
		);
		await expect(down).rejects.toThrow("no server");
	});
});
