/**
 * Backup and restore of the whole platform's data (docs/operations.md, "Backup and restore"): every collection as
 * one NDJSON file (MongoDB's as canonical Extended JSON, so ids, dates and binaries come back as they were; the
 * embedded store's documents as NeDB keeps them), the embedded store's blobs as files (MongoDB's are in GridFS's
 * collections), and a manifest with each file's document count and SHA-256 and the audit chain's head. A restore
 * checks the manifest and the audit chain against it before it writes anything; the platform restored answers as
 * it did and `GET /audit/verify` holds. Secrets are not in a backup (the generated JWT key, the REPL token): the
 * key store is backed up apart.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { BSON, MongoClient } from "mongodb";
import { auditHeadOf, GENESIS_HASH, type AuditEntry } from "../domains/audit/chain";
import { isEncryptedBlob } from "./blob-store";

export const BACKUP_FORMAT = "bizops-backup/1";
const AUDIT_LOG = "audit_log";
const AUDIT_HEAD = "audit_head";

export interface Manifest {
	format: typeof BACKUP_FORMAT;
	created_at: string;
	store: "embedded" | "mongodb";
	platform_version: string;
	collections: Record<string, { file: string; count: number; sha256: string }>;
	/**
	 * Embedded store: the blob files (named by their content's SHA-256), each file's size and the SHA-256 of its
	 * stored (encrypted) bytes; a number (an earlier backup): the size of a plaintext blob, checked by its name.
	 */
	blobs: Record<string, number | { size: number; stored_sha256: string }>;
	audit: { head_seq: number; head_hash: string };
}

export type Where = { data_dir: string; mongo_uri: null } | { data_dir: string; mongo_uri: string };

const sha256Of = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** A NeDB data file as its live documents: the last line of each _id wins, a deletion removes it, index lines are not data. */
async function nedbDocs(file: string): Promise<Array<Record<string, unknown>>> {
	const docs = new Map<string, Record<string, unknown>>();
	const lines = readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
	for await (const line of lines) {
		if (!line.trim()) continue;
		let doc: Record<string, unknown>;
		try {
			doc = JSON.parse(line);
		} catch {
			continue; // a line being appended as the file was read: its write is not acknowledged yet
		}
		if (doc.$$indexCreated || doc.$$indexRemoved) continue;
		if (doc.$$deleted) docs.delete(String(doc._id));
		else docs.set(String(doc._id), doc);
	}
	return [...docs.values()];
}

/** Writes a collection's lines as they come (a large collection is never whole in memory), hashing them on the way. */
async function writeCollection(out: string, name: string, lines: AsyncIterable<string> | Iterable<string>, manifest: Manifest): Promise<void> {
	const file = `collections/${name}.ndjson`;
	const stream = fs.createWriteStream(path.join(out, file), { mode: 0o600 });
	const hash = createHash("sha256");
	let count = 0;
	for await (const line of lines) {
		const text = `${line}\n`;
		hash.update(text);
		count++;
		if (!stream.write(text)) await new Promise<void>(resolve => stream.once("drain", () => resolve()));
	}
	await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
	manifest.collections[name] = { file, count, sha256: hash.digest("hex") };
}

/** A backup file's lines, read as a stream. */
function linesOf(file: string): AsyncIterable<string> {
	return readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
}

/** Writes a backup of the store `where` names into `out` (a new or empty folder); its manifest. */
export async function backup(where: Where, out: string, platformVersion: string): Promise<Manifest> {
	if (fs.existsSync(out) && fs.readdirSync(out).length) throw new Error(`${out} is not empty: a backup goes to a new or empty folder`);
	await fs.promises.mkdir(path.join(out, "collections"), { recursive: true, mode: 0o700 });
	const manifest: Manifest = {
		format: BACKUP_FORMAT,
		created_at: new Date().toISOString(),
		store: where.mongo_uri ? "mongodb" : "embedded",
		platform_version: platformVersion,
		collections: {},
		blobs: {},
		audit: { head_seq: 0, head_hash: GENESIS_HASH },
	};
	let entries: AuditEntry[] = [];
	let head: { seq: number; hash: string; last?: AuditEntry | null } | null = null;
	if (where.mongo_uri) {
		const client = await new MongoClient(where.mongo_uri, { serverSelectionTimeoutMS: 10_000 }).connect();
		try {
			const db = client.db();
			// the head first, then the trail up to it: an entry appended meanwhile is left out whole, never half in
			const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map(c => c.name).sort((a, b) => order(a) - order(b) || a.localeCompare(b));
			for (const name of names) {
				const cursor = db.collection(name).find(name === AUDIT_LOG ? { seq: { $lte: headSeqOf(head) } } : {});
				// the audit trail's entries are kept to check the chain; every other collection only passes through
				const kept: Array<Record<string, unknown>> = [];
				const keep = name === AUDIT_LOG || name === AUDIT_HEAD;
				await writeCollection(
					out,
					name,
					(async function* () {
						for await (const d of cursor) {
							if (keep) kept.push(d);
							yield BSON.EJSON.stringify(d, { relaxed: false });
						}
					})(),
					manifest,
				);
				if (name === AUDIT_LOG) entries = kept as unknown as AuditEntry[];
				if (name === AUDIT_HEAD) head = (kept[0] as unknown as typeof head) ?? null;
			}
		} finally {
			await client.close();
		}
	} else {
		const files = fs
			.readdirSync(where.data_dir)
			.filter(f => f.endsWith(".db"))
			.sort((a, b) => order(a.slice(0, -3)) - order(b.slice(0, -3)) || a.localeCompare(b));
		for (const f of files) {
			const name = f.slice(0, -3);
			const all = await nedbDocs(path.join(where.data_dir, f));
			const docs = name === AUDIT_LOG ? all.filter(d => (d.seq as number) <= headSeqOf(head)) : all;
			await writeCollection(
				out,
				name,
				docs.map(d => JSON.stringify(d)),
				manifest,
			);
			if (name === AUDIT_LOG) entries = docs as unknown as AuditEntry[];
			if (name === AUDIT_HEAD) head = (docs[0] as unknown as typeof head) ?? null;
		}
		const blobs = path.join(where.data_dir, "blobs");
		if (fs.existsSync(blobs)) {
			await fs.promises.mkdir(path.join(out, "blobs"), { mode: 0o700 });
			for (const name of fs.readdirSync(blobs).filter(n => /^[0-9a-f]{64}$/.test(n))) {
				const bytes = await fs.promises.readFile(path.join(blobs, name));
				// an encrypted blob is checked by its content's hash when it is read back (lib/blob-store.ts); a plaintext one here
				if (!isEncryptedBlob(bytes) && sha256Of(bytes) !== name) throw new Error(`blob ${name} fails its hash check: the store is damaged, not backed up`);
				await fs.promises.writeFile(path.join(out, "blobs", name), bytes, { mode: 0o600 });
				manifest.blobs[name] = { size: bytes.length, stored_sha256: sha256Of(bytes) };
			}
		}
	}
	const audit = auditHeadOf(entries, head);
	if (audit.problem) throw new Error(`the audit chain does not hold (${audit.problem}): not backed up`);
	manifest.audit = { head_seq: audit.head_seq, head_hash: audit.head_hash };
	await fs.promises.writeFile(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2), { mode: 0o600 });
	return manifest;
}

/** The audit chain's head read first, then its trail: see backup(). */
const order = (name: string) => (name === AUDIT_HEAD ? 0 : name === AUDIT_LOG ? 1 : 2);
const headSeqOf = (head: { seq: number } | null) => head?.seq ?? 0;

/** What is wrong with the backup in `dir` (nothing: it restores as it was made). */
export async function verifyBackup(dir: string): Promise<{ manifest: Manifest | null; problems: string[] }> {
	const problems: string[] = [];
	let manifest: Manifest;
	try {
		manifest = JSON.parse(await fs.promises.readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
	} catch (err) {
		return { manifest: null, problems: [`manifest.json: ${(err as Error).message}`] };
	}
	if (manifest.format !== BACKUP_FORMAT) problems.push(`manifest.json: format ${manifest.format}, not ${BACKUP_FORMAT}`);
	let entries: AuditEntry[] = [];
	let head: { seq: number; hash: string; last?: AuditEntry | null } | null = null;
	for (const [name, c] of Object.entries(manifest.collections ?? {})) {
		const file = path.join(dir, c.file);
		if (!fs.existsSync(file)) {
			problems.push(`${c.file}: missing`);
			continue;
		}
		// read as a stream: hashed as it comes, only the audit trail's documents kept (to check the chain)
		const hash = createHash("sha256");
		const keep = name === AUDIT_LOG || name === AUDIT_HEAD;
		const docs: Array<Record<string, unknown>> = [];
		let count = 0;
		for await (const line of linesOf(file)) {
			hash.update(`${line}\n`);
			if (!line) continue;
			count++;
			if (keep) docs.push((manifest.store === "mongodb" ? BSON.EJSON.parse(line) : JSON.parse(line)) as Record<string, unknown>);
		}
		if (hash.digest("hex") !== c.sha256) problems.push(`${c.file}: its SHA-256 is not the manifest's (changed since the backup)`);
		if (count !== c.count) problems.push(`${c.file}: ${count} documents, the manifest says ${c.count}`);
		if (name === AUDIT_LOG) entries = docs as unknown as AuditEntry[];
		if (name === AUDIT_HEAD) head = (docs[0] as unknown as typeof head) ?? null;
	}
	for (const [sha, kept] of Object.entries(manifest.blobs ?? {})) {
		const file = path.join(dir, "blobs", sha);
		const { size, stored_sha256 } = typeof kept === "number" ? { size: kept, stored_sha256: sha } : kept;
		if (!fs.existsSync(file)) problems.push(`blobs/${sha}: missing`);
		else if (sha256Of(await fs.promises.readFile(file)) !== stored_sha256 || fs.statSync(file).size !== size) problems.push(`blobs/${sha}: fails its hash check`);
	}
	const audit = auditHeadOf(entries, head);
	if (audit.problem) problems.push(audit.problem);
	else if (audit.head_seq !== manifest.audit?.head_seq || audit.head_hash !== manifest.audit?.head_hash)
		problems.push(`the audit chain's head (${audit.head_seq}) is not the manifest's (${manifest.audit?.head_seq})`);
	return { manifest, problems };
}

/**
 * Restores the backup in `dir` into the store `where` names, which must hold no data (a new DATA_DIR, an empty
 * database) unless `replace`: then what is there is removed first. Refused whole, before anything is written, when
 * the backup does not verify. Run it with the platform stopped.
 */
export async function restore(dir: string, where: Where, options: { replace?: boolean } = {}): Promise<Manifest> {
	const { manifest, problems } = await verifyBackup(dir);
	if (!manifest || problems.length) throw new Error(`The backup in ${dir} does not verify, nothing restored:\n- ${problems.join("\n- ")}`);
	if ((manifest.store === "mongodb") !== !!where.mongo_uri)
		throw new Error(`The backup is of ${manifest.store === "mongodb" ? "MongoDB" : "the embedded store"}: restore it into the same kind of store`);
	if (where.mongo_uri) {
		const client = await new MongoClient(where.mongo_uri, { serverSelectionTimeoutMS: 10_000 }).connect();
		try {
			const db = client.db();
			const existing = (await db.listCollections({}, { nameOnly: true }).toArray()).map(c => c.name);
			const holding = [];
			for (const name of existing) if ((await db.collection(name).estimatedDocumentCount()) > 0) holding.push(name);
			if (holding.length && !options.replace) throw new Error(`The database holds data (${holding.slice(0, 5).join(", ")}): restore into an empty one, or pass --replace`);
			for (const name of existing) await db.collection(name).drop();
			for (const [name, c] of Object.entries(manifest.collections)) {
				// a thousand documents at a time, as the file is read
				let batch: Array<Record<string, unknown>> = [];
				for await (const line of linesOf(path.join(dir, c.file))) {
					if (!line) continue;
					batch.push(BSON.EJSON.parse(line, { relaxed: false }) as Record<string, unknown>);
					if (batch.length === 1000) {
						await db.collection(name).insertMany(batch, { ordered: true });
						batch = [];
					}
				}
				if (batch.length) await db.collection(name).insertMany(batch, { ordered: true });
			}
		} finally {
			await client.close();
		}
	} else {
		const dataDir = where.data_dir;
		const holding = fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter(f => f.endsWith(".db") && fs.statSync(path.join(dataDir, f)).size > 0) : [];
		if (holding.length && !options.replace) throw new Error(`${dataDir} holds data (${holding.slice(0, 5).join(", ")}): restore into a new DATA_DIR, or pass --replace`);
		await fs.promises.mkdir(dataDir, { recursive: true, mode: 0o700 });
		for (const f of holding) await fs.promises.rm(path.join(dataDir, f));
		await fs.promises.rm(path.join(dataDir, "blobs"), { recursive: true, force: true });
		await fs.promises.rm(path.join(dataDir, "channels"), { recursive: true, force: true });
		for (const [name, c] of Object.entries(manifest.collections))
			// written under a temporary name and renamed: a crash never leaves half a collection
			await copyThenRename(path.join(dir, c.file), path.join(dataDir, `${name}.db`));
		if (Object.keys(manifest.blobs).length) {
			await fs.promises.mkdir(path.join(dataDir, "blobs"), { mode: 0o700 });
			for (const sha of Object.keys(manifest.blobs)) await copyThenRename(path.join(dir, "blobs", sha), path.join(dataDir, "blobs", sha));
		}
	}
	return manifest;
}

async function copyThenRename(from: string, to: string): Promise<void> {
	const tmp = `${to}.${process.pid}.restore`;
	await fs.promises.copyFile(from, tmp);
	await fs.promises.chmod(tmp, 0o600);
	await fs.promises.rename(tmp, to);
}
