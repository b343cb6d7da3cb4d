/**
 * Content-addressed storage for large immutable bytes (ML data sets and model artifacts, report files): GridFS on MongoDB
 * when MONGO_URI is set, files under DATA_DIR/blobs otherwise. A blob is named by its SHA-256 and every read
 * checks it, so a corrupted or swapped artifact is refused, never served. Its bytes are stored encrypted
 * (AES-256-GCM under the platform's data key, bound to its name: docs/security.md, "Encryption at rest").
 */
import { createHash } from "node:crypto";
import { openLarge, sealLarge } from "./envelope";
import { writeFileAtomic } from "./atomic-file";
import { scopeOfKid, type KeyringLease } from "./keyring";
import { BLOB_SCOPE } from "../models/encrypted-fields";
import fs from "node:fs";
import path from "node:path";
import { acquireMongoClient, mongoClientOptions, mongodb, releaseMongoClient } from "./mongo-client";
import type { Config } from "../config";

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
	/** Removes the blob (nothing when there is none): the caller knows nothing refers to it any more. */
	delete(sha256: string): Promise<void>;
	close(): Promise<void>;
}

/** SHA-256 of the bytes a megabyte at a time, the event loop free between (a 50 MB blob is ~30 ms of hashing in one piece). */
async function hashOf(bytes: Buffer): Promise<string> {
	const hash = createHash("sha256");
	for (let at = 0; at < bytes.length; at += 1024 * 1024) {
		hash.update(bytes.subarray(at, at + 1024 * 1024));
		if (at + 1024 * 1024 < bytes.length) await new Promise<void>(resolve => setImmediate(resolve));
	}
	return hash.digest("hex");
}
const SHA256 = /^[0-9a-f]{64}$/;

async function verified(sha256: string, bytes: Buffer): Promise<Buffer> {
	const actual = await hashOf(bytes);
	if (actual !== sha256) throw new BlobIntegrityError(sha256, actual);
	return bytes;
}

/** Where blobs' stored bytes are kept, by name: files or GridFS. */
interface RawBlobs {
	write(sha256: string, stored: Buffer): Promise<void>;
	read(sha256: string): Promise<Buffer | null>;
	delete(sha256: string): Promise<void>;
	close(): Promise<void>;
}

/** An encrypted blob: magic, key id length and key id, IV, tag, ciphertext. */
const MAGIC = Buffer.from("BZE1");
/** True when stored blob bytes are encrypted (written since encryption at rest). */
export const isEncryptedBlob = (stored: Buffer) => stored.subarray(0, 4).equals(MAGIC);
const blobAad = (sha256: string, kid: string) => `blob|${sha256}|${kid}`;

export class EncryptedBlobStore implements BlobStore {
	constructor(
		private readonly raw: RawBlobs,
		private readonly keys: KeyringLease,
	) {}
	async put(bytes: Buffer, known?: string) {
		const sha256 = known && SHA256.test(known) ? known : await hashOf(bytes);
		const active = await (await this.keys.get()).activeKey(BLOB_SCOPE);
		if (!active) throw new Error("the platform's data key was destroyed: blobs cannot be stored");
		const kid = Buffer.from(active.kid, "utf8");
		const { iv, ct, tag } = await sealLarge(active.key, bytes, blobAad(sha256, active.kid));
		const length = Buffer.alloc(2);
		length.writeUInt16BE(kid.length);
		await this.raw.write(sha256, Buffer.concat([MAGIC, length, kid, iv, tag, ct]));
		return { sha256, size: bytes.length };
	}
	async get(sha256: string) {
		if (!SHA256.test(sha256)) return null;
		const stored = await this.raw.read(sha256);
		if (!stored) return null;
		if (!isEncryptedBlob(stored)) return verified(sha256, stored); // written before encryption was on
		const kidLength = stored.readUInt16BE(4);
		const kid = stored.subarray(6, 6 + kidLength).toString("utf8");
		const at = 6 + kidLength;
		const key = await (await this.keys.get()).key(kid);
		if (!key) throw new Error(`Blob ${sha256} is under data key ${kid}, which was destroyed (${scopeOfKid(kid)})`);
		let plain: Buffer;
		try {
			plain = await openLarge(key, { iv: stored.subarray(at, at + 12), tag: stored.subarray(at + 12, at + 28), ct: stored.subarray(at + 28) }, blobAad(sha256, kid));
		} catch {
			throw new BlobIntegrityError(sha256, "bytes that fail decryption");
		}
		return verified(sha256, plain);
	}
	delete(sha256: string) {
		return this.raw.delete(sha256);
	}
	async close() {
		await this.raw.close();
		await this.keys.release();
	}
}

export class FileBlobStore implements RawBlobs {
	constructor(private readonly dir: string) {}
	async write(sha256: string, bytes: Buffer) {
		const file = path.join(this.dir, sha256);
		await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
		// a crash never leaves half a blob under the real name
		if (!fs.existsSync(file)) await writeFileAtomic(file, bytes);
	}
	async read(sha256: string) {
		try {
			return await fs.promises.readFile(path.join(this.dir, sha256));
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
			throw err;
		}
	}
	async delete(sha256: string) {
		if (!SHA256.test(sha256)) return;
		await fs.promises.rm(path.join(this.dir, sha256), { force: true });
	}
	async close() {}
}

/** The part of the driver's GridFSBucket used here. */
interface Bucket {
	find(filter: object): { sort(s: object): { limit(n: number): { toArray(): Promise<Array<{ _id: unknown }>> } }; limit(n: number): { toArray(): Promise<unknown[]> } };
	openUploadStream(name: string, opts: object): NodeJS.WritableStream;
	openDownloadStream(id: unknown): NodeJS.ReadableStream;
	delete(id: unknown): Promise<void>;
}

export class GridFsBlobStore implements RawBlobs {
	private bucket: Promise<Bucket> | undefined;
	constructor(
		private readonly uri: string,
		private readonly timeoutMs: number,
	) {}
	/** On the process's shared client (lib/mongo-client.ts), taken at first use. */
	private open(): Promise<Bucket> {
		this.bucket ??= acquireMongoClient(this.uri, mongoClientOptions(this.timeoutMs)).then(
			client => new mongodb.GridFSBucket(client.db(), { bucketName: "blobs" }) as Bucket,
			err => {
				this.bucket = undefined; // tried again on the next use
				throw err;
			},
		);
		return this.bucket;
	}
	async write(sha256: string, bytes: Buffer) {
		const bucket = await this.open();
		const existing = await bucket.find({ filename: sha256 }).limit(1).toArray();
		if (!existing.length)
			await new Promise<void>((resolve, reject) => {
				const upload = bucket.openUploadStream(sha256, { metadata: { size: bytes.length } });
				upload.once("finish", () => resolve());
				upload.once("error", reject);
				upload.end(bytes);
			});
	}
	async read(sha256: string) {
		const bucket = await this.open();
		const [file] = await bucket.find({ filename: sha256 }).sort({ uploadDate: 1 }).limit(1).toArray();
		if (!file) return null;
		const chunks: Buffer[] = [];
		// by its events: the 3.x driver's download stream closes before it ends on a one-chunk file, which async
		// iteration (stream.finished) takes for a premature close
		await new Promise<void>((resolve, reject) => {
			const download = bucket.openDownloadStream(file._id);
			download.on("data", (chunk: Buffer) => chunks.push(chunk));
			download.once("end", resolve);
			download.once("error", reject);
		});
		return Buffer.concat(chunks);
	}
	async delete(sha256: string) {
		if (!SHA256.test(sha256)) return;
		const bucket = await this.open();
		const files = (await bucket.find({ filename: sha256 }).limit(10).toArray()) as Array<{ _id: unknown }>;
		for (const file of files) await bucket.delete(file._id).catch(() => undefined); // another node removed it first
	}
	async close() {
		if (!this.bucket) return;
		const opened = await this.bucket.then(
			() => true,
			() => false,
		);
		this.bucket = undefined;
		if (opened) await releaseMongoClient(this.uri);
	}
}

/** The blob store of a broker configured with `config` (configOf(broker)): GridFS on MongoDB, else files under DATA_DIR. */
export function createBlobStore(config: Config, keys: KeyringLease): BlobStore {
	const raw = config.mongo_uri ? new GridFsBlobStore(config.mongo_uri, config.mongo_timeout) : new FileBlobStore(path.join(config.data_dir, "blobs"));
	return new EncryptedBlobStore(raw, keys);
}
