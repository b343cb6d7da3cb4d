/**
 * The declared fields of one collection (models/encrypted-fields.ts) encrypted on their way into the store and
 * decrypted on their way out: whole documents, `$set`/`$push` updates, and the re-encryption of values under a
 * retired key. The associated data binds each value to the collection, the record's id, the declared path and
 * the key id (lib/envelope.ts).
 */
import { randomUUID } from "node:crypto";
import { decryptJson, encryptJson, fieldAad, isEnvelope, type Envelope } from "./envelope";
import { ERASED, scopeOfKid, type Keyring } from "./keyring";
import type { EncryptedCollection, KeyScope } from "../models/encrypted-fields";

type Doc = Record<string, any>;
type Leaf = (value: unknown, pattern: string) => unknown;

const isObject = (v: unknown): v is Doc => !!v && typeof v === "object" && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date) && !isEnvelope(v);

/** `value` with `fn` applied to what `path` (`a.b`, `a[].b`, `a.*.b`) reaches in it: a copy where anything changed. */
export function mapAtPath(value: unknown, path: string, fn: (leaf: unknown) => unknown): unknown {
	return mapPath(value, path.replace(/\[\]/g, ".[]").split("."), fn);
}

/** `value` with `fn` applied to what `segments` reach in it (a copy where anything changed). */
function mapPath(value: unknown, segments: string[], fn: (leaf: unknown) => unknown): unknown {
	if (!segments.length) return value === undefined || value === null ? value : fn(value);
	const [head, ...rest] = segments;
	if (head === "[]") return Array.isArray(value) ? value.map(v => mapPath(v, rest, fn)) : value;
	if (!isObject(value)) return value;
	if (head === "*") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapPath(v, rest, fn)]));
	if (!(head in value)) return value;
	return { ...value, [head]: mapPath(value[head], rest, fn) };
}

/** `value` with `fn` applied to every string and envelope in it, at any depth. */
function mapDeep(value: unknown, fn: (leaf: unknown) => unknown): unknown {
	if (typeof value === "string" || isEnvelope(value)) return fn(value);
	if (Array.isArray(value)) return value.map(v => mapDeep(v, fn));
	if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapDeep(v, fn)]));
	return value;
}

/** Each value `segments` reach in `value`, with its concrete dotted path (array indices and object keys filled in). */
function eachLeafAt(value: unknown, segments: string[], trail: string[], fn: (leaf: unknown, path: string) => void): void {
	if (!segments.length) {
		if (value !== undefined && value !== null) fn(value, trail.join("."));
		return;
	}
	const [head, ...rest] = segments;
	if (head === "[]") {
		if (Array.isArray(value)) value.forEach((v, i) => eachLeafAt(v, rest, [...trail, String(i)], fn));
		return;
	}
	if (!isObject(value)) return;
	if (head === "*") for (const [k, v] of Object.entries(value)) eachLeafAt(v, rest, [...trail, k], fn);
	else if (head in value) eachLeafAt(value[head], rest, [...trail, head], fn);
}

/** Each value `segments` reach in `value`. */
function eachLeaf(value: unknown, segments: string[], fn: (leaf: unknown) => void): void {
	mapPath(value, segments, leaf => (fn(leaf), leaf));
}

/** What of `pattern` remains below an update's key (`a.b`, `a.3`, `a.$`), or null when the key is not on its path. */
function below(keySegments: string[], pattern: string[]): string[] | null {
	for (let i = 0; i < keySegments.length; i++) {
		const p = pattern[i];
		const s = keySegments[i];
		if (p === undefined) return null; // the key goes inside an encrypted value: refused by the caller's check
		const match = p === "*" || (p === "[]" && (/^\d+$/.test(s) || s === "$" || s.startsWith("$["))) || p === s;
		if (!match) return null;
	}
	return pattern.slice(keySegments.length);
}

/** True when a query path (`a.b`, `a.3.b`: an array's elements matched with or without their index) reaches the pattern or inside it. */
function reaches(segs: string[], i: number, pattern: string[], j: number): boolean {
	if (j === pattern.length) return true;
	if (i === segs.length) return false;
	const p = pattern[j];
	if (p === "[]") return (/^\d+$/.test(segs[i]) && reaches(segs, i + 1, pattern, j + 1)) || reaches(segs, i, pattern, j + 1);
	return (p === "*" || p === segs[i]) && reaches(segs, i + 1, pattern, j + 1);
}

/** A new record id as the store makes them: an ObjectId's 12 bytes (time first) on MongoDB, 16 letters and digits on NeDB. */
export function newRecordId(toObjectId?: (hex: string) => unknown): unknown {
	// randomUUID draws from Node's buffered generator: no system call per id
	const random = randomUUID().replace(/-/g, "");
	if (toObjectId) {
		const time = Math.floor(Date.now() / 1000)
			.toString(16)
			.padStart(8, "0");
		return toObjectId(time + random.slice(0, 16));
	}
	return random.slice(0, 16);
}

export class EncryptedPathError extends Error {}

/** A map that forgets its least recently used entries past `max`. */
class Lru<V> {
	private readonly map = new Map<string, V>();
	constructor(private readonly max: number) {}
	get(key: string): V | undefined {
		const v = this.map.get(key);
		if (v !== undefined) {
			this.map.delete(key);
			this.map.set(key, v);
		}
		return v;
	}
	set(key: string, value: V): void {
		this.map.delete(key);
		this.map.set(key, value);
		if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
	}
}

/**
 * Values decrypted or encrypted lately, per collection: a value read and written back unchanged (an overview folded
 * again, a record updated in one field) keeps its envelope, and one read again is not decrypted again. Consulted
 * only once its key is known live, so an erased person's values read as erased as soon as the keyring says so.
 */
const CACHED_VALUES = 10_000;
/** Values longer than this (as JSON: an audit payload, a long note) are not kept: each is large and seldom read twice. */
const CACHED_JSON_MAX = 512;

export class FieldCipher {
	private readonly patterns: Array<{ text: string; segments: string[] }>;
	/** (record, field, kid, JSON) → its envelope. */
	private readonly sealedValues = new Lru<Envelope>(CACHED_VALUES);
	/** (associated data, envelope) → the JSON it holds. */
	private readonly openedValues = new Lru<string>(CACHED_VALUES);

	constructor(
		readonly collection: string,
		readonly spec: EncryptedCollection,
		private readonly keyring: () => Promise<Keyring>,
	) {
		this.patterns = spec.fields.map(text => ({ text, segments: text.replace(/\[\]/g, ".[]").split(".") }));
	}

	/** True when `path` (a query or sort field) is or lies inside an encrypted field. */
	isEncrypted(path: string): boolean {
		const segs = path.split(".");
		return this.patterns.some(p => reaches(segs, 0, p.segments, 0));
	}

	/** Refuses a query that filters on an encrypted field (it would match nothing): a programming error, found by tests. */
	checkQuery(query: Doc | undefined): void {
		if (!query) return;
		for (const [k, v] of Object.entries(query)) {
			if (k === "$or" || k === "$and" || k === "$nor") (v as Doc[]).forEach(q => this.checkQuery(q));
			else if (!k.startsWith("$") && this.isEncrypted(k)) throw new EncryptedPathError(`${this.collection}.${k} is encrypted at rest: it cannot be queried`);
		}
	}

	/** True when an insert or update (its operators' keys) writes an encrypted field. */
	touches(doc: Doc): boolean {
		const keys = Object.keys(doc).some(k => k.startsWith("$")) ? Object.values(doc).flatMap(v => (isObject(v) ? Object.keys(v) : [])) : Object.keys(doc);
		return keys.some(k => this.patterns.some(p => below(k.split("."), p.segments) !== null));
	}

	/** The key scope of a record from its plain fields. */
	scopeOf(doc: Doc): KeyScope {
		return this.spec.scope(doc);
	}

	/** A whole document with its declared fields (or the `only` ones) encrypted under `scope`'s active key (erased when the scope was). */
	async encryptDoc(doc: Doc, recordId: string, scope: KeyScope, only?: string[]): Promise<Doc> {
		const leaf = await this.encrypter(recordId, scope);
		let out: unknown = doc;
		for (const p of this.patterns) if (!only || only.includes(p.text)) out = mapPath(out, p.segments, v => leaf(v, p.text));
		return out as Doc;
	}

	/** An update's `$set`, `$push` and `$addToSet` values encrypted where they write declared fields; a replacement like a document. */
	async encryptUpdate(update: Doc, recordId: string, scope: KeyScope): Promise<Doc> {
		if (!Object.keys(update).some(k => k.startsWith("$"))) return this.encryptDoc(update, recordId, scope);
		const leaf = await this.encrypter(recordId, scope);
		const out: Doc = { ...update };
		for (const [op, fields] of Object.entries(update)) {
			if (!isObject(fields)) continue;
			const pushing = op === "$push" || op === "$addToSet";
			if (op !== "$set" && !pushing) {
				if (op !== "$unset" && this.touches({ [op]: fields })) throw new EncryptedPathError(`${op} on an encrypted field of ${this.collection}`);
				continue;
			}
			out[op] = Object.fromEntries(
				Object.entries(fields).map(([key, value]) => {
					let v = value;
					for (const p of this.patterns) {
						const keySegs = pushing ? [...key.split("."), "[]"] : key.split(".");
						const rest = below(keySegs, p.segments);
						if (rest === null) {
							if (keySegs.length > p.segments.length && below(keySegs.slice(0, p.segments.length), p.segments) !== null)
								throw new EncryptedPathError(`${this.collection}.${key} writes inside an encrypted value`);
							continue;
						}
						const each = (x: unknown) => mapPath(x, rest, y => leaf(y, p.text));
						v = pushing && isObject(v) && Array.isArray((v as Doc).$each) ? { ...(v as Doc), $each: (v as Doc).$each.map(each) } : each(v);
					}
					return [key, v];
				}),
			);
		}
		return out;
	}

	/** The strings below `root` for which `match` holds sealed on their own (found again wherever they are by `deep`). */
	async sealWhere(doc: Doc, recordId: string, scope: KeyScope, root: string, match: (s: string) => boolean): Promise<Doc> {
		if (!(root in doc)) return doc;
		const leaf = await this.encrypter(recordId, scope);
		return { ...doc, [root]: mapDeep(doc[root], v => (typeof v === "string" && match(v) ? leaf(v, `${root}.*`) : v)) };
	}

	/** A stored document with its envelopes decrypted (an erased person's values read as `[erased]`); `recordId` as sealed. */
	async decryptDoc(doc: Doc | null, recordId = String(doc?._id)): Promise<Doc | null> {
		if (!doc) return doc;
		const keys = await this.keysOf([doc]);
		const open = (v: unknown, field: string) => {
			if (!isEnvelope(v)) return v; // written before encryption was on: read as stored
			const key = keys.get(v.kid);
			if (!key) return ERASED;
			const aad = fieldAad(this.collection, recordId, field, v.kid);
			const cacheKey = `${aad}\u0000${v.iv}\u0000${v.tag}\u0000${v.ct}`;
			let json = this.openedValues.get(cacheKey);
			if (json === undefined) {
				json = decryptJson(key, v, aad);
				if (json.length <= CACHED_JSON_MAX) {
					this.openedValues.set(cacheKey, json);
					this.sealedValues.set(`${recordId}\u0000${field}\u0000${v.kid}\u0000${json}`, v);
				}
			}
			return JSON.parse(json);
		};
		let out: unknown = doc;
		for (const p of this.patterns) out = mapPath(out, p.segments, v => open(v, p.text));
		for (const root of this.spec.deep ?? []) if (root in (out as Doc)) out = { ...(out as Doc), [root]: mapDeep((out as Doc)[root], v => open(v, `${root}.*`)) };
		return out as Doc;
	}

	async decryptMany(docs: Doc[]): Promise<Doc[]> {
		await this.keysOf(docs); // fetched once for the page, then from the cache
		return Promise.all(docs.map(d => this.decryptDoc(d) as Promise<Doc>));
	}

	/**
	 * The top-level fields of a stored document whose values are under a key that is no longer its scope's active
	 * one, re-encrypted under the active key: `{set, was}`, or null. `was` holds each encrypted value's IV by its
	 * dotted path (unique per encryption): the write is made only if none of them changed meanwhile.
	 */
	async reencrypted(doc: Doc): Promise<{ set: Doc; was: Doc } | null> {
		const ring = await this.keyring();
		const kids = this.kidsOf([doc]);
		const stale = new Set<string>();
		for (const kid of kids) {
			const active = await ring.activeKey(scopeOfKid(kid));
			if (active && active.kid !== kid) stale.add(kid);
		}
		if (!stale.size) return null;
		const plain = (await this.decryptDoc(doc))!;
		const set: Doc = {};
		const was: Doc = {};
		for (const p of this.patterns) {
			const top = p.segments[0];
			let hasStale = false;
			eachLeaf(doc, p.segments, v => {
				if (isEnvelope(v) && stale.has(v.kid)) hasStale = true;
			});
			if (!hasStale || top in set) continue;
			set[top] = plain[top];
		}
		// every envelope of the fields rewritten, by its IV
		for (const p of this.patterns) if (p.segments[0] in set) eachLeafAt(doc, p.segments, [], (v, at) => isEnvelope(v) && (was[`${at}.iv`] = v.iv));
		const scope = scopeOfKid([...stale][0]);
		const encrypted = await this.encryptDoc(set, String(doc._id), scope);
		return { set: encrypted, was };
	}

	/** Every key id the documents' encrypted values are under. */
	kidsOf(docs: Doc[]): Set<string> {
		const kids = new Set<string>();
		const add = (v: unknown) => (isEnvelope(v) && kids.add(v.kid), v);
		for (const doc of docs) {
			for (const p of this.patterns) eachLeaf(doc, p.segments, add);
			for (const root of this.spec.deep ?? []) mapDeep(doc[root], add);
		}
		return kids;
	}

	private async keysOf(docs: Doc[]): Promise<Map<string, Buffer | null>> {
		const kids = this.kidsOf(docs);
		const keys = new Map<string, Buffer | null>();
		if (!kids.size) return keys;
		const ring = await this.keyring();
		for (const kid of kids) keys.set(kid, await ring.key(kid));
		return keys;
	}

	private async encrypter(recordId: string, scope: KeyScope): Promise<Leaf> {
		const active = await (await this.keyring()).activeKey(scope);
		return (value, pattern) => {
			if (isEnvelope(value)) return value;
			if (!active) return ERASED; // the scope's keys were destroyed: nothing of it is written again
			const json = JSON.stringify(value);
			const aad = fieldAad(this.collection, recordId, pattern, active.kid);
			if (json.length > CACHED_JSON_MAX) return encryptJson(active.key, active.kid, json, aad);
			// the same value of the same field of the same record under the same key: the same envelope (nothing new to hide)
			const cacheKey = `${recordId}\u0000${pattern}\u0000${active.kid}\u0000${json}`;
			const known = this.sealedValues.get(cacheKey);
			if (known) return { ...known };
			const sealed = encryptJson(active.key, active.kid, json, aad);
			this.sealedValues.set(cacheKey, sealed);
			// what a write answers (the stored record) reads back without decrypting it again
			this.openedValues.set(`${aad}\u0000${sealed.iv}\u0000${sealed.tag}\u0000${sealed.ct}`, json);
			return sealed;
		};
	}
}
