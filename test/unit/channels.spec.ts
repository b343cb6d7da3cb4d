/**
 * Subscribing to a durable channel when a replica of the same group creates the group's JetStream consumer at
 * the same moment: the subscription is tried again (and binds to the consumer the other made); any other
 * failure is not retried.
 */
import { retryingSubscribe } from "../../lib/channels";

const chan = { id: "node-1.finance.companies.deleted", name: "bizops.companies.deleted", group: "finance" };
const quiet = { warn: jest.fn() };

function adapterFailing(errors: Error[]) {
	const tracked = new Set<string>();
	const adapter = {
		calls: 0,
		async subscribe(c: { id: string }) {
			adapter.calls++;
			// as the NATS adapter does: it tracks the channel before creating the consumer
			if (tracked.has(c.id)) throw new Error(`Already tracking active messages of channel ${c.id}`);
			tracked.add(c.id);
			const err = errors.shift();
			if (err) throw err;
		},
		stopChannelActiveMessages(id: string) {
			tracked.delete(id);
		},
	};
	return adapter;
}

describe("subscribing to a durable channel", () => {
	it("tries again when it lost the race to create the group's consumer, and binds", async () => {
		const adapter = adapterFailing([new Error("consumer name already in use"), new Error("consumer name already in use")]);
		await expect(retryingSubscribe(adapter, quiet, 5, 1)(chan)).resolves.toBeUndefined();
		expect(adapter.calls).toBe(3);
		expect(quiet.warn).toHaveBeenCalledWith(expect.stringContaining("subscribing again"));
	});

	it("gives up after its attempts, with the server's error", async () => {
		const adapter = adapterFailing(Array.from({ length: 5 }, () => new Error("consumer name already in use")));
		await expect(retryingSubscribe(adapter, quiet, 3, 1)(chan)).rejects.toThrow("consumer name already in use");
		expect(adapter.calls).toBe(3);
	});

	it("passes on everything it is given (the in-process adapter takes the service too)", async () => {
		const seen: unknown[][] = [];
		const adapter = { subscribe: async (...args: unknown[]) => void seen.push(args) };
		const service = { fullName: "finance" };
		await retryingSubscribe(adapter, quiet)(chan, service);
		expect(seen).toEqual([[chan, service]]);
	});

	it("does not retry any other failure", async () => {
		const adapter = adapterFailing([new Error("authorization violation")]);
		await expect(retryingSubscribe(adapter, quiet, 5, 1)(chan)).rejects.toThrow("authorization violation");
		expect(adapter.calls).toBe(1);
	});
});
