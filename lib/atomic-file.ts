/**
 * A file written whole or not at all: under a temporary name beside it, then renamed over it (a rename within a
 * folder is atomic on POSIX file systems), readable by its owner only. A crash leaves the old file or the new one.
 */
import fs from "node:fs";

const tmpOf = (file: string) => `${file}.${process.pid}.${Date.now()}.tmp`;

export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
	const tmp = tmpOf(file);
	await fs.promises.writeFile(tmp, data, { mode: 0o600 });
	await fs.promises.rename(tmp, file);
}

/** The same, for what must be written before anything asynchronous can run (a key file made at start). */
export function writeFileAtomicSync(file: string, data: string | Buffer): void {
	const tmp = tmpOf(file);
	fs.writeFileSync(tmp, data, { mode: 0o600 });
	fs.renameSync(tmp, file);
}
