/**
 * The embedded store appending through one open file (lib/nedb-append-file.ts): every acknowledged write is in
 * the file when the write resolves, also across a compaction (which replaces the file) and a drop, and a store
 * opened again reads them all.
 */
import Datastore from "@seald-io/nedb";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { appendThroughOpenFile } from "../../lib/nedb-append-file";

const linesOf = (file: string) => fs.readFileSync(file, "utf8").split("\n").filter(Boolean);

describe("appends through an open file", () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-append-"));
	const open = async (name: string) => {
		const filename = path.join(dir, `${name}.db`);
		const db = new Datastore({ filename });
		await db.loadDatabaseAsync();
		return { db, filename, appends: appendThroughOpenFile(db as never) };
	};
	afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

	it("has each write in the file when it resolves, in NeDB's own format", async () => {
		const { db, filename, appends } = await open("writes");
		await db.insertAsync({ _id: "a", n: 1, at: new Date(Date.UTC(2024, 0, 1)) });
		expect(linesOf(filename).map(l => JSON.parse(l))).toEqual([{ _id: "a", n: 1, at: { $$date: Date.UTC(2024, 0, 1) } }]);
		await db.updateAsync({ _id: "a" }, { $set: { n: 2 } });
		await db.insertAsync([{ _id: "b" }, { _id: "c" }]);
		await db.removeAsync({ _id: "b" }, {});
		expect(linesOf(filename).map(l => JSON.parse(l))).toEqual([
			{ _id: "a", n: 1, at: { $$date: Date.UTC(2024, 0, 1) } },
			{ _id: "a", n: 2, at: { $$date: Date.UTC(2024, 0, 1) } },
			{ _id: "b" },
			{ _id: "c" },
			{ _id: "b", $$deleted: true },
		]);
		await appends.close();
	});

	it("writes into the new file after a compaction replaced the old one, so a reopened store has every write", async () => {
		const { db, filename, appends } = await open("compacted");
		await db.insertAsync(Array.from({ length: 100 }, (_, i) => ({ _id: `d${i}`, n: 0 })));
		for (let i = 0; i < 100; i++) await db.updateAsync({ _id: `d${i}` }, { $set: { n: 1 } });
		await db.compactDatafileAsync();
		expect(linesOf(filename)).toHaveLength(100);
		// written after the rename: an open handle on the replaced file would put these where no one reads them
		for (let i = 0; i < 10; i++) await db.updateAsync({ _id: `d${i}` }, { $set: { n: 2 } });
		await db.insertAsync({ _id: "late" });
		expect(linesOf(filename)).toHaveLength(111);
		await appends.close();

		const again = new Datastore({ filename });
		await again.loadDatabaseAsync();
		const docs = await again.findAsync({});
		expect(docs).toHaveLength(101);
		expect(docs.filter(d => d.n === 2)).toHaveLength(10);
		expect(await again.findOneAsync({ _id: "late" })).toEqual({ _id: "late" });
	});

	it("starts a new file after a drop", async () => {
		const { db, filename, appends } = await open("dropped");
		await db.insertAsync({ _id: "gone" });
		await db.dropDatabaseAsync();
		expect(fs.existsSync(filename)).toBe(false);
		await db.loadDatabaseAsync();
		await db.insertAsync({ _id: "kept" });
		expect(linesOf(filename).map(l => JSON.parse(l))).toEqual([{ _id: "kept" }]);
		await appends.close();
	});
});
