/**
 * The indexed memory cacher cleans as Moleculer's MemoryLRU cacher does, for every pattern the platform uses, with
 * the keys of a service found through its index (lib/indexed-memory-cacher.ts).
 */
import { ServiceBroker } from "moleculer";
import { IndexedMemoryCacher } from "../../lib/indexed-memory-cacher";

const { Cachers } = require("moleculer");

const KEYS = ["ml.registry.get:aa", "ml.registry.list:bb", "ml.prediction.predict:cc", "mlx.get:dd", "companies.get:ee", "companies.list:ff", "auth.resolveUser:gg"];

async function after(cacher: any, actions: (c: any) => Promise<unknown>): Promise<string[]> {
	const broker = new ServiceBroker({ logger: false, cacher });
	await broker.start();
	try {
		for (const k of KEYS) await cacher.set(k, { k });
		await actions(cacher);
		const left: string[] = [];
		for (const k of KEYS) if ((await cacher.get(k)) != null) left.push(k);
		return left;
	} finally {
		await broker.stop();
	}
}

describe("indexed memory cacher", () => {
	it.each([
		["a service", (c: any) => c.clean("companies.**")],
		["a service whose name has a dot, not its namesake prefix", (c: any) => c.clean("ml.registry.**")],
		["every service under a prefix", (c: any) => c.clean("ml.**")],
		["several patterns, one not a prefix", (c: any) => c.clean(["auth.**", "*.get:*"])],
		["everything", (c: any) => c.clean()],
		["a key deleted, then its service", async (c: any) => (await c.del("companies.get:ee"), c.clean("companies.**"))],
		["a key set again, then its service", async (c: any) => (await c.set("companies.get:ee", { again: true }), c.clean("companies.**"))],
	])("cleans %s as Moleculer's MemoryLRU does", async (_name, actions) => {
		const expected = await after(new Cachers.MemoryLRU({ max: 100, ttl: 30 }), actions);
		expect(await after(new IndexedMemoryCacher({ max: 100, ttl: 30 }), actions)).toEqual(expected);
	});

	it("forgets a key the LRU evicted, and cleans what is left", async () => {
		const cacher = new IndexedMemoryCacher({ max: 3 }) as any;
		const left = await after(cacher, c => c.clean("ml.**"));
		// only the three most recent fit (none of them an ml one)
		expect(left).toEqual(["companies.get:ee", "companies.list:ff", "auth.resolveUser:gg"]);
		// the evicted keys left the index with their entries
		expect([...cacher.byAction.keys()].sort()).toEqual(["auth.resolveUser", "companies.get", "companies.list"]);
	});
});
