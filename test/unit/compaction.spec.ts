/**
 * The embedded store's compaction (mixins/db.mixin.ts): a file is rewritten once the documents replaced or removed
 * since its last compaction reach half its live ones; an append-only collection (the audit trail) is never
 * rewritten for nothing.
 */
import Datastore from "@seald-io/nedb";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compactWhenWasteful } from "../../mixins/db.mixin";

const lines = (file: string) => fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length;

describe("compaction of the embedded store", () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-compaction-"));
	const open = async (name: string) => {
		const filename = path.join(dir, `${name}.db`);
		const db = new Datastore({ filename });
		await db.loadDatabaseAsync();
		return { db, filename, waste: compactWhenWasteful(db as never) };
	};

	it("rewrites a file once half its live documents' worth were replaced, and not before", async () => {
		const { db, filename, waste } = await open("updated");
		await db.insertAsync(Array.from({ length: 1500 }, (_, i) => ({ _id: `d${i}`, n: 0 })));
		for (let i = 0; i < 700; i++) waste.replaced((await db.updateAsync({ _id: `d${i}` }, { $set: { n: 1 } })).numAffected);
		expect(await waste.check()).toBe(false); // 700 < 750 and < 1,000
		for (let i = 700; i < 1100; i++) waste.replaced((await db.updateAsync({ _id: `d${i}` }, { $set: { n: 1 } })).numAffected);
		expect(lines(filename)).toBe(1500 + 1100);
		expect(await waste.check()).toBe(true);
		expect(lines(filename)).toBe(1500);
		expect(await waste.check()).toBe(false); // counted from the compaction on
		waste.stop();
	});

	it("leaves an append-only file alone however large it grows", async () => {
		const { db, filename, waste } = await open("appended");
		await db.insertAsync(Array.from({ length: 5000 }, (_, i) => ({ seq: i })));
		expect(await waste.check()).toBe(false);
		expect(lines(filename)).toBe(5000);
		waste.stop();
	});
});
