/**
 * Content-addressed storage for large immutable bytes (ML data sets and model artifacts): GridFS on MongoDB
 * when MONGO_URI is set, files under DATA_DIR/blobs otherwise. A blob is named by its SHA-256 and every read
 * checks it, so a corrupted or swapped artifact is refused, never served.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { GridFSBucket, MongoClient } from "mongodb";
import { getConfig } from "../config";

export class BlobIntegrityError extends Error {
	constructor(
		readonly sha256: string,
		readonly actual: string,
	) {
		super(`Stored blob ${sha256} fails its hash check (reads as ${actual}): refused`);
	}
}

export interface BlobStore {
	/**
	 * Stores the bytes (idempotent: same bytes, same name); answers their SHA-256. `sha256` when the caller has
	 * it already (a worker thread computed it), so a large file is not hashed again on the main thread: every
	 * read checks it anyway.
	 */
	put(bytes: Buffer, sha256?: string): Promise<{ sha256: string; size: number }>;
	/** The bytes named `sha256`, verified; null when there is no such blob. */
	get(sha256: string): Promise<Buffer | null>;
	close(): Promise<void>;
}

const hashOf = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const SHA256 = /^[0-9a-f]{64}$/;

function verified(sha256: string, bytes: Buffer): Buffer {
	const actual = hashOf(bytes);
	if (actual !== sha256) throw new BlobIntegrityError(sha256, actual);
	return bytes;
}

class FileBlobStore implements BlobStore {
	constructor(private readonly dir: string) {}
	async put(bytes: Buffer, known?: string) {
		const sha256 = known && SHA256.test(known) ? known : hashOf(bytes);
		const file = path.join(this.dir, sha256);
		await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
		if (!fs.existsSync(file)) {
			// written under a temporary name and renamed: a crash never leaves half a blob under the real name
			const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
			await fs.promises.writeFile(tmp, bytes, { mode: 0o600 });
			await fs.promises.rename(tmp, file);
		}
		return { sha256, size: bytes.length };
	}
	async get(sha256: string) {
		if (!SHA256.test(sha256)) return null;
		try {
			return verified(sha256, await fs.promises.readFile(path.join(this.dir, sha256)));
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
			throw err;
		}
	}
	async close() {}
}

class GridFsBlobStore implements BlobStore {
	private client: MongoClient;
	private bucket: Promise<GridFSBucket>;
	constructor(uri: string, timeoutMs: number) {
		// polled monitoring: the streaming kind (awaitable hello, moreToCome) is not spoken by every wire-compatible server
		this.client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, serverMonitoringMode: "poll" });
		this.bucket = this.client.connect().then(c => new GridFSBucket(c.db(), { bucketName: "blobs" }));
	}
	async put(bytes: Buffer, known?: string) {
		const sha256 = known && SHA256.test(known) ? known : hashOf(bytes);
		const bucket = await this.bucket;
		const existing = await bucket.find({ filename: sha256 }).limit(1).toArray();
		if (!existing.length)
			await new Promise<void>((resolve, reject) => {
				const upload = bucket.openUploadStream(sha256, { metadata: { size: bytes.length } });
				upload.once("finish", () => resolve());
				upload.once("error", reject);
				upload.end(bytes);
			});
		return { sha256, size: bytes.length };
	}
	async get(sha256: string) {
		if (!SHA256.test(sha256)) return null;
		const bucket = await this.bucket;
		const [file] = await bucket.find({ filename: sha256 }).sort({ uploadDate: 1 }).limit(1).toArray();
		if (!file) return null;
		const chunks: Buffer[] = [];
		for await (const chunk of bucket.openDownloadStream(file._id)) chunks.push(chunk as Buffer);
		return verified(sha256, Buffer.concat(chunks));
	}
	async close() {
		await this.client.close();
	}
}

export function createBlobStore(): BlobStore {
	const config = getConfig();
	return config.mongo_uri ? new GridFsBlobStore(config.mongo_uri, config.mongo_timeout) : new FileBlobStore(path.join(config.data_dir, "blobs"));
}
