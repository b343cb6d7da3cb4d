/**
 * The embedded store's appends through one open file, written synchronously. NeDB appends each write's lines with
 * `fs.appendFile`, which opens, writes and closes the file: three trips to libuv's thread pool, 105 µs of CPU a
 * write on this machine, against 38 µs for one asynchronous write to an open file and 2.5 µs for `writeSync`
 * (bench/README.md, "Company reviews"). A write is one document or one batch (at most a request body's worth), so
 * writing it from the event loop holds the loop for microseconds. What is written, and when the write is
 * acknowledged (once the OS has the bytes, as before), do not change. A rewrite of the file (compaction, the
 * rewrite at load) and a drop close it: the next append opens the new file.
 */
import fs from "node:fs";

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
	let fd: number | null = null;
	const close = async () => {
		if (fd == null) return;
		const open = fd;
		fd = null;
		fs.closeSync(open);
	};
	if (persistence.inMemoryOnly) return { close };

	// NeDB runs a datastore's operations one at a time (its executor), so no append overlaps another or a rewrite
	persistence.persistNewStateAsync = async (docs: unknown[]) => {
		let lines = "";
		for (const doc of docs) lines += persistence.afterSerialization(model.serialize(doc)) + "\n";
		if (!lines) return;
		fd ??= fs.openSync(persistence.filename, "a", persistence.modes?.fileMode);
		const bytes = Buffer.from(lines, "utf8");
		for (let written = 0; written < bytes.length;) written += fs.writeSync(fd, bytes, written, bytes.length - written);
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
