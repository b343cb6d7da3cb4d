/**
 * The embedded store's appends through one open file. NeDB appends each write's lines with `fs.appendFile`,
 * which opens, writes and closes the file: three trips to libuv's thread pool per write, about half the CPU of a
 * company review (bench/README.md, "Company reviews"). Here the file stays open for appending between writes and
 * a write is one trip; what is written, and when the write is acknowledged (once the OS has the bytes, as
 * before), do not change. A rewrite of the file (compaction, the rewrite at load) and a drop close it: the next
 * append opens the new file.
 */
import { open, type FileHandle } from "node:fs/promises";

const model = require("@seald-io/nedb/lib/model.js") as { serialize(doc: unknown): string };

/** The parts of NeDB's persistence (lib/persistence.js, @seald-io/nedb 4) this replaces or wraps. */
interface NedbPersistence {
	filename: string;
	inMemoryOnly: boolean;
	modes?: { fileMode?: number };
	afterSerialization(line: string): string;
	persistNewStateAsync(docs: unknown[]): Promise<void>;
	persistCachedDatabaseAsync(): Promise<void>;
	dropDatabaseAsync(): Promise<void>;
}

/** Makes `db` append through an open file; `close` releases it (when the store disconnects). */
export function appendThroughOpenFile(db: { persistence: NedbPersistence }): { close(): Promise<void> } {
	const persistence = db.persistence;
	let file: Promise<FileHandle> | null = null;
	const close = async () => {
		const held = file;
		file = null;
		if (held) await (await held.catch(() => null))?.close();
	};
	if (persistence.inMemoryOnly) return { close };

	// NeDB runs a datastore's operations one at a time (its executor), so no append overlaps another or a rewrite
	persistence.persistNewStateAsync = async (docs: unknown[]) => {
		let lines = "";
		for (const doc of docs) lines += persistence.afterSerialization(model.serialize(doc)) + "\n";
		if (!lines) return;
		if (!file) {
			file = open(persistence.filename, "a", persistence.modes?.fileMode);
			file.catch(() => (file = null)); // tried again at the next write
		}
		await (await file).appendFile(lines, "utf8");
	};
	for (const method of ["persistCachedDatabaseAsync", "dropDatabaseAsync"] as const) {
		const replaceFile = persistence[method].bind(persistence);
		persistence[method] = async () => {
			try {
				await replaceFile();
			} finally {
				await close(); // no append runs meanwhile: NeDB waits for its operations (a rewrite is one of them)
			}
		};
	}
	return { close };
}
