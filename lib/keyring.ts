/**
 * The data keys of encryption at rest and the key-encryption keys that wrap them (envelope encryption, NIST SP
 * 800-57 Part 1 §6.2; docs/security.md, "Encryption at rest"). The key-encryption keys come from a file (a mounted
 * Kubernetes Secret in production), never from the store they protect; the data keys are stored wrapped, one per
 * scope and version (`<scope>/v<n>`), in the `encryption_keys` collection. Unwrapped keys are kept in memory for
 * `CACHE_MS`, so a key rotated or destroyed on another node is seen here within that time.
 */
import { hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { KEY_BYTES, open, seal } from "./envelope";
import { writeFileAtomicSync } from "./atomic-file";
import type { KeyScope } from "../models/encrypted-fields";
import type { Config } from "../config";

/** A key-encryption key as its file holds it (base64 key); the last of the file's keys wraps, every one unwraps. */
export interface KekEntry {
	id: string;
	key: string;
	created_at: string;
}

export type DataKeyState = "active" | "retired" | "destroyed";

export interface DataKeyDoc {
	/** `<scope>/v<version>` (unique): what an envelope names. */
	kid: string;
	scope: KeyScope;
	version: number;
	state: DataKeyState;
	created_at: string;
	retired_at?: string;
	destroyed_at?: string;
	/** The wrapped key (absent once destroyed). */
	kek_id?: string;
	iv?: string;
	ct?: string;
	tag?: string;
}

/** The part of a repository the keyring stores its keys through. */
export interface KeyStore {
	find(params: { query?: Record<string, unknown>; sort?: string[]; limit?: number }): Promise<Record<string, any>[]>;
	insert(doc: Record<string, unknown>): Promise<Record<string, any>>;
	updateMany(query: Record<string, unknown>, update: Record<string, unknown>): Promise<number>;
}

/** What a value under a destroyed key reads as (a person erased by crypto-shredding). */
export const ERASED = "[erased]";

export class KeyDestroyedError extends Error {
	constructor(readonly kid: string) {
		super(`Data key ${kid} was destroyed (erased)`);
	}
}

export const CACHE_MS = 5_000;

export const kidOf = (scope: KeyScope, version: number) => `${scope}/v${version}`;
export const scopeOfKid = (kid: string) => kid.slice(0, kid.lastIndexOf("/v")) as KeyScope;
const wrapAad = (kekId: string, kid: string) => `kek|${kekId}|${kid}`;

/** A new key-encryption key for a key file. */
export function newKekEntry(now = new Date()): KekEntry {
	return { id: `kek-${now.toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`, key: randomBytes(KEY_BYTES).toString("base64"), created_at: now.toISOString() };
}

/** The key file's keys, checked: a readable JSON `{keys: [{id, key, created_at}]}` with 32-byte keys and distinct ids. */
export function readKekFile(file: string): KekEntry[] {
	let parsed: { keys?: KekEntry[] };
	try {
		parsed = JSON.parse(fs.readFileSync(file, "utf8"));
	} catch (err) {
		throw new Error(`ENCRYPTION_KEY_FILE ${file} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
	}
	const keys = parsed?.keys;
	if (!Array.isArray(keys) || !keys.length) throw new Error(`ENCRYPTION_KEY_FILE ${file}: no keys (expected {"keys": [{"id", "key", "created_at"}]})`);
	const ids = new Set<string>();
	for (const k of keys) {
		if (typeof k?.id !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(k.id))
			throw new Error(`ENCRYPTION_KEY_FILE ${file}: a key's id must be 1–64 letters, digits, '_', '.' or '-'`);
		if (ids.has(k.id)) throw new Error(`ENCRYPTION_KEY_FILE ${file}: key id ${k.id} appears twice`);
		ids.add(k.id);
		if (typeof k.key !== "string" || Buffer.from(k.key, "base64").length !== KEY_BYTES)
			throw new Error(`ENCRYPTION_KEY_FILE ${file}: key ${k.id} is not ${KEY_BYTES} bytes of base64`);
		if (typeof k.created_at !== "string" || Number.isNaN(Date.parse(k.created_at))) throw new Error(`ENCRYPTION_KEY_FILE ${file}: key ${k.id} has no ISO created_at`);
	}
	return keys;
}

/** Writes a key file readable by its owner only (0600 in a 0700 folder), through a temporary file. */
export function writeKekFile(file: string, keys: KekEntry[]): void {
	fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
	writeFileAtomicSync(file, `${JSON.stringify({ keys }, null, 2)}\n`);
}

/** A hold on the process's keyring: taken at first use, let go when its holder closes. */
export interface KeyringLease {
	get(): Promise<Keyring>;
	release(): Promise<void>;
}

/**
 * The key-encryption keys of ENCRYPTION_KEY_FILE. The embedded store makes the file at first start (one process,
 * one disk: back it up apart from the data); with MongoDB every node must read the same keys, so it must exist.
 */
export function loadKeks(config: Pick<Config, "encryption" | "mongo_uri" | "data_dir">, logger: { warn(msg: string): void }) {
	const file = config.encryption.key_file;
	if (fs.existsSync(file)) return readKekFile(file);
	if (config.mongo_uri)
		throw new Error(`ENCRYPTION_KEY_FILE ${file} does not exist: with MONGO_URI every node reads the same key-encryption keys from it (npm run keys -- new; docs/security.md)`);
	const keys = [newKekEntry()];
	writeKekFile(file, keys);
	logger.warn(`Encryption at rest: a key-encryption key was made in ${file}; back it up apart from ${config.data_dir} (without it nothing encrypted can be read)`);
	return keys;
}

/** How the embedded channel journal seals each message's payload (lib/embedded-channel-adapter.ts). */
export interface JournalSealing {
	seal(payload: string): { k: string; iv: string; ct: string; tag: string };
	open(sealed: { k: string; iv: string; ct: string; tag: string }): string;
}

/**
 * The channel journal's sealing: AES-256-GCM under a key derived from each key-encryption key (HKDF-SHA256, RFC
 * 5869), so the journal is readable at start, before any store is open; its lines name the key-encryption key.
 */
export function journalSealing(keks: KekEntry[]): JournalSealing {
	const keys = new Map(keks.map(k => [k.id, Buffer.from(hkdfSync("sha256", Buffer.from(k.key, "base64"), Buffer.alloc(0), "bizops channel journal", KEY_BYTES))]));
	const current = keks[keks.length - 1].id;
	return {
		seal(payload) {
			const { iv, ct, tag } = seal(keys.get(current)!, Buffer.from(payload, "utf8"), `journal|${current}`);
			return { k: current, iv: iv.toString("base64"), ct: ct.toString("base64"), tag: tag.toString("base64") };
		},
		open(s) {
			const key = keys.get(s.k);
			if (!key) throw new Error(`channel journal line under key-encryption key ${s.k}, which ENCRYPTION_KEY_FILE does not hold`);
			return open(key, { iv: Buffer.from(s.iv, "base64"), ct: Buffer.from(s.ct, "base64"), tag: Buffer.from(s.tag, "base64") }, `journal|${s.k}`).toString("utf8");
		},
	};
}

interface Cached<T> {
	value: T;
	until: number;
}

export class Keyring {
	private readonly keks: Map<string, Buffer>;
	readonly currentKek: KekEntry;
	private readonly keys = new Map<string, Cached<Buffer | null>>();
	private readonly active = new Map<string, Cached<{ kid: string; key: Buffer } | null>>();
	private readonly creating = new Map<string, Promise<{ kid: string; key: Buffer } | null>>();

	constructor(
		private readonly store: KeyStore,
		readonly kekEntries: KekEntry[],
	) {
		this.keks = new Map(kekEntries.map(k => [k.id, Buffer.from(k.key, "base64")]));
		this.currentKek = kekEntries[kekEntries.length - 1];
	}

	/** The key new values of `scope` are encrypted with (made at first use); null when the scope was destroyed. */
	async activeKey(scope: KeyScope): Promise<{ kid: string; key: Buffer } | null> {
		const hit = this.active.get(scope);
		if (hit && hit.until > Date.now()) return hit.value;
		let pending = this.creating.get(scope);
		if (!pending) {
			pending = this.loadActive(scope).finally(() => this.creating.delete(scope));
			this.creating.set(scope, pending);
		}
		const value = await pending;
		this.active.set(scope, { value, until: Date.now() + CACHE_MS });
		return value;
	}

	/** The data key `kid`; null when it was destroyed; throws when there is no such key. */
	async key(kid: string): Promise<Buffer | null> {
		const hit = this.keys.get(kid);
		if (hit && hit.until > Date.now()) return hit.value;
		const doc = await this.doc(kid);
		if (!doc) throw new Error(`Data key ${kid} is not in encryption_keys: restore the key store with the data (docs/operations.md)`);
		const value = doc.state === "destroyed" ? null : this.unwrap(doc);
		this.keys.set(kid, { value, until: Date.now() + CACHE_MS });
		return value;
	}

	/** Every key document (wrapped material left out). */
	async list(): Promise<Array<Omit<DataKeyDoc, "iv" | "ct" | "tag">>> {
		const docs = (await this.store.find({ sort: ["kid"] })) as Array<DataKeyDoc & { _id?: unknown }>;
		return docs.map(({ iv: _iv, ct: _ct, tag: _tag, _id, ...rest }) => rest);
	}

	/** The stored document of key `kid`. */
	private async doc(kid: string): Promise<DataKeyDoc | null> {
		return ((await this.store.find({ query: { kid }, limit: 1 }))[0] as DataKeyDoc | undefined) ?? null;
	}

	/**
	 * A new version for every scope with an active key (or the given ones): new writes use it at once (on other
	 * nodes within CACHE_MS), values under the earlier version stay readable until re-encrypted. Answers the new kids.
	 */
	async rotate(scopes?: KeyScope[]): Promise<string[]> {
		const active = (await this.store.find({ query: { state: "active" } })) as DataKeyDoc[];
		const latest = new Map<KeyScope, DataKeyDoc>();
		for (const d of active) if (!latest.has(d.scope) || latest.get(d.scope)!.version < d.version) latest.set(d.scope, d);
		const made: string[] = [];
		for (const [scope, current] of latest) {
			if (scopes && !scopes.includes(scope)) continue;
			const created = await this.createVersion(scope, current.version + 1);
			if (created) made.push(created.kid);
			this.active.delete(scope);
		}
		return made;
	}

	/** Every data key wrapped by an earlier key-encryption key, rewrapped by the current one; answers how many. */
	async rewrap(): Promise<number> {
		const stale = (await this.store.find({ query: { kek_id: { $ne: this.currentKek.id }, state: { $ne: "destroyed" } } })) as DataKeyDoc[];
		let moved = 0;
		for (const doc of stale) {
			if (!doc.kek_id) continue;
			const key = this.unwrap(doc);
			const wrapped = this.wrap(doc.kid, key);
			moved += await this.store.updateMany({ kid: doc.kid, kek_id: doc.kek_id }, { $set: wrapped });
		}
		return moved;
	}

	/** Destroys every key of `scope` (crypto-shredding): its values read as erased, and no new value is encrypted under it. */
	async destroy(scope: KeyScope): Promise<number> {
		const now = new Date().toISOString();
		// a tombstone stays, so the scope is known erased (not missing) and never gets a key again
		const existing = await this.store.find({ query: { scope } });
		if (!existing.length) await this.store.insert({ kid: kidOf(scope, 0), scope, version: 0, state: "destroyed", created_at: now, destroyed_at: now }).catch(() => undefined);
		const n = await this.store.updateMany({ scope }, { $set: { state: "destroyed", destroyed_at: now }, $unset: { kek_id: "", iv: "", ct: "", tag: "" } });
		this.forget(scope);
		return n;
	}

	/** Drops what is cached of `scope` (keys destroyed or rotated elsewhere are then read again). */
	forget(scope?: KeyScope): void {
		for (const kid of [...this.keys.keys()]) if (!scope || scopeOfKid(kid) === scope) this.keys.delete(kid);
		if (scope) this.active.delete(scope);
		else this.active.clear();
	}

	private async loadActive(scope: KeyScope): Promise<{ kid: string; key: Buffer } | null> {
		const docs = (await this.store.find({ query: { scope } })) as DataKeyDoc[];
		if (docs.some(d => d.state === "destroyed")) return null;
		const current = docs.filter(d => d.state === "active").sort((a, b) => b.version - a.version)[0];
		if (current) return { kid: current.kid, key: this.unwrap(current) };
		return this.createVersion(scope, Math.max(0, ...docs.map(d => d.version)) + 1);
	}

	/** Stores version `version` of `scope` as its active key and retires the ones before; another node's same version wins if first. */
	private async createVersion(scope: KeyScope, version: number): Promise<{ kid: string; key: Buffer } | null> {
		const kid = kidOf(scope, version);
		const key = randomBytes(KEY_BYTES);
		const now = new Date().toISOString();
		try {
			await this.store.insert({ kid, scope, version, state: "active", created_at: now, ...this.wrap(kid, key) });
		} catch {
			const theirs = await this.doc(kid);
			if (!theirs) throw new Error(`Data key ${kid} could not be stored`);
			if (theirs.state === "destroyed") return null;
			return { kid, key: this.unwrap(theirs) };
		}
		await this.store.updateMany({ scope, state: "active", version: { $lt: version } }, { $set: { state: "retired", retired_at: now } });
		this.keys.set(kid, { value: key, until: Date.now() + CACHE_MS });
		return { kid, key };
	}

	private wrap(kid: string, key: Buffer): { kek_id: string; iv: string; ct: string; tag: string } {
		const kek = this.keks.get(this.currentKek.id)!;
		const { iv, ct, tag } = seal(kek, key, wrapAad(this.currentKek.id, kid));
		return { kek_id: this.currentKek.id, iv: iv.toString("base64"), ct: ct.toString("base64"), tag: tag.toString("base64") };
	}

	private unwrap(doc: DataKeyDoc): Buffer {
		const kek = doc.kek_id ? this.keks.get(doc.kek_id) : undefined;
		if (!kek) throw new Error(`Data key ${doc.kid} is wrapped by key-encryption key ${doc.kek_id}, which ENCRYPTION_KEY_FILE does not hold`);
		return open(kek, { iv: Buffer.from(doc.iv!, "base64"), ct: Buffer.from(doc.ct!, "base64"), tag: Buffer.from(doc.tag!, "base64") }, wrapAad(doc.kek_id!, doc.kid));
	}
}
