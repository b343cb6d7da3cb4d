/** The kit's repository (mixins/db.mixin.ts): cache cleaning once per change or batch, natural keys, on the embedded store. */
import { CacheCleaning, naturalKey, Repository, type DbAdapter } from "../../mixins/db.mixin";

const { MemoryAdapter } = require("moleculer-db");

async function repository(): Promise<{ repo: Repository; cleanings: () => number }> {
	const adapter = new MemoryAdapter() as DbAdapter & { init(b: unknown, s: unknown): void; connect(): Promise<void> };
	adapter.init({}, { schema: { collection: "things" }, logger: console });
	await adapter.connect();
	let cleaned = 0;
	const cleaning = new CacheCleaning(async () => void cleaned++);
	return { repo: new Repository(adapter, cleaning), cleanings: () => cleaned };
}

describe("repository", () => {
	it("cleans the cache after each write that changed something, and not after one that changed nothing", async () => {
		const { repo, cleanings } = await repository();
		const doc = await repo.insert({ name: "a" });
		expect(cleanings()).toBe(1);
		expect(await repo.updateMany({ name: "nobody" }, { $set: { x: 1 } })).toBe(0);
		expect(await repo.removeMany({ name: "nobody" })).toBe(0);
		expect(cleanings()).toBe(1);
		await repo.updateById(doc._id, { $set: { x: 2 } });
		expect(cleanings()).toBe(2);
		await repo.uncached().updateById(doc._id, { $set: { x: 3 } });
		expect(cleanings()).toBe(2);
		expect((await repo.findById(doc._id))?.x).toBe(3);
	});

	it("cleans once for a batch of writes, also when one of them fails", async () => {
		const { repo, cleanings } = await repository();
		await repo.batch(async () => {
			for (let i = 0; i < 5; i++) await repo.insert({ n: i });
		});
		expect(cleanings()).toBe(1);
		await expect(
			repo.batch(async () => {
				await repo.insert({ n: 6 });
				throw new Error("half-way");
			}),
		).rejects.toThrow("half-way");
		expect(cleanings()).toBe(2);
		await repo.batch(async () => undefined);
		expect(cleanings()).toBe(2);
	});

	it("a write outside a batch cleans at once, even while another request's batch is under way", async () => {
		const { repo, cleanings } = await repository();
		let release!: () => void;
		const held = new Promise<void>(resolve => (release = resolve));
		// a long import: one write, then waiting
		const importing = repo.batch(async () => {
			await repo.insert({ n: 1 });
			await held;
		});
		await new Promise(resolve => setImmediate(resolve));
		// another request writes meanwhile: its answer must not wait for the import's cleaning
		await repo.insert({ n: 2 });
		expect(cleanings()).toBe(1);
		release();
		await importing;
		expect(cleanings()).toBe(2);
	});

	it("stores one document per natural key: a second insert of the key is refused, and it is found by its key", async () => {
		const { repo } = await repository();
		const key = naturalKey("c1", "annual", "2024-12-31");
		expect(key).toBe("c1|annual|2024-12-31");
		await repo.insertKeyed(key, { v: 1 });
		await expect(repo.insertKeyed(key, { v: 2 })).rejects.toBeTruthy();
		expect((await repo.findByKey(key))?.v).toBe(1);
		expect(await repo.findByKey(naturalKey("c1", "annual", "2023-12-31"))).toBeNull();
	});
});
