/**
 * moleculer-db with the Mongo adapter when MONGO_URI is set, otherwise the embedded NeDB store persisted
 * to `DATA_DIR/<collection>.db` (docs/configuration.md). Adds the indexes a service declares, entity helpers that
 * return API-shaped entities (`id` string, ISO timestamps), and cache cleaning across nodes.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "crypto";
import fs from "fs";
import path from "path";
import { acquireMongoClient, mongoClientOptions, releaseMongoClient, type MongoClientLike } from "../lib/mongo-client";
import { atStartup } from "../lib/startup";
import { FieldCipher, newRecordId } from "../lib/field-cipher";
import { Keyring, loadKeks, type KeyringLease } from "../lib/keyring";
import { appendThroughOpenFile } from "../lib/nedb-append-file";
import { ENCRYPTED_COLLECTIONS } from "../models/encrypted-fields";
import { defineMixin, type MembersOf } from "../lib/service";
// moleculer-db ships no usable types for 0.15; it is typed once here.

const DbService = require("moleculer-db");

const MongoAdapter = require("moleculer-db-adapter-mongo");

/**
 * moleculer-db's MongoDB adapter on the process's shared client (lib/mongo-client.ts) rather than a client of
 * its own per collection.
 */
class SharedClientMongoAdapter extends MongoAdapter {
	declare uri: string;
	declare opts: object;
	declare dbName?: string;
	declare service: { schema: { collection: string }; logger: { info(msg: string): void } };
	declare client?: MongoClientLike;
	declare db?: { collection(name: string): unknown };
	declare collection?: unknown;

	constructor(uri: string, opts: object) {
		super(uri, opts);
	}

	async connect(): Promise<void> {
		const client = await acquireMongoClient(this.uri, this.opts);
		this.client = client;
		this.db = client.db(this.dbName);
		this.collection = this.db.collection(this.service.schema.collection);
		this.service.logger.info(`MongoDB collection ${this.service.schema.collection} opened (on the process's shared client)`);
	}

	async disconnect(): Promise<void> {
		if (!this.client) return; // not connected, or let go already
		this.client = undefined;
		await releaseMongoClient(this.uri);
	}
}
import { configOf, type Config } from "../config";
import { pageOf, type Page } from "../models/common";

export interface IndexSpec {
	fields: Record<string, 1 | -1>;
	unique?: boolean;
	/** Documents without the field are not indexed (a unique index then allows many without it). */
	sparse?: boolean;
}

export type Doc = Record<string, any>;

export interface FindParams {
	query?: Doc;
	sort?: string[];
	limit?: number;
	offset?: number;
}

/** The adapter surface both moleculer-db adapters share, as this project uses it. */
export interface DbAdapter {
	find(params: FindParams): Promise<Doc[]>;
	findOne(query: Doc): Promise<Doc | null>;
	findById(id: unknown): Promise<Doc | null>;
	count(params: { query?: Doc }): Promise<number>;
	insert(doc: Doc): Promise<Doc>;
	insertMany(docs: Doc[]): Promise<Doc[]>;
	updateById(id: unknown, update: Doc): Promise<Doc | null>;
	updateMany(query: Doc, update: Doc): Promise<number>;
	removeById(id: unknown): Promise<Doc | null>;
	removeMany(query: Doc): Promise<number>;
	entityToObject(doc: Doc): Doc;
	db?: any;
	collection?: any;
}

/** The list params every list endpoint takes (models/common.ts `listParams`). */
export interface ListArgs {
	page?: number;
	page_size?: number;
	sort?: string;
}

/** An API-shaped entity (`id` a string) from a stored document. */
export function entityFrom<T = Doc>(adapter: Pick<DbAdapter, "entityToObject">, doc: Doc | null): T | null {
	if (!doc) return null;
	const { _id, ...rest } = adapter.entityToObject(doc);
	return { id: String(_id), ...rest } as T;
}

/** One page of the entities matching `query`, in the list params' order (else `defaultSort`), with the total. */
export async function findPage<T = Doc>(adapter: DbAdapter, query: Doc, list: ListArgs, defaultSort: string): Promise<Page<T>> {
	const { page = 1, page_size: pageSize = 20, sort = defaultSort } = list;
	const [docs, total] = await Promise.all([adapter.find({ query, sort: [sort], limit: pageSize, offset: (page - 1) * pageSize }), adapter.count({ query })]);
	return pageOf(
		docs.map(d => entityFrom<T>(adapter, d)!),
		total,
		page,
		pageSize,
	);
}

/** What the db mixin adds to a service: its adapter and API-shaped entity helpers. */
export type DbMethods = MembersOf<ReturnType<typeof createDbMixin>>;

/** True when a write failed on a unique index (NeDB or MongoDB). */
export function isDuplicateKeyError(err: unknown): boolean {
	const e = err as { errorType?: string; code?: number };
	return e?.errorType === "uniqueViolated" || e?.code === 11000;
}

/** The Mongo adapter when MONGO_URI is set, else NeDB persisted to DATA_DIR/<collection>.db. */
function createAdapter(config: Config, collection: string): any {
	if (config.mongo_uri) return new SharedClientMongoAdapter(config.mongo_uri, mongoClientOptions(config.mongo_timeout));
	// no side effect here (the gateway loads every schema for its routes): NeDB creates DATA_DIR when it connects
	return new DbService.MemoryAdapter({ filename: path.join(config.data_dir, `${collection}.db`) });
}

/** A natural key from its parts (`company|period`): what two writers of the same thing collide on. */
export function naturalKey(...parts: Array<string | number>): string {
	return parts.join("|");
}

/** An _id derived from a natural key: two writers of the same key (on any replica) collide in the store. */
export function idForKey(adapter: DbAdapter, key: string): unknown {
	// MongoDB: an ObjectId (its _id is unique on every server); NeDB: 16 letters and digits, like its own ids
	const hash = crypto.createHash("sha256").update(key);
	const mongo = adapter as DbAdapter & { stringToObjectID?(id: string): unknown };
	if (mongo.collection && mongo.stringToObjectID) return mongo.stringToObjectID(hash.digest("hex").slice(0, 24));
	return hash
		.digest("base64")
		.replace(/[^A-Za-z0-9]/g, "")
		.slice(0, 16);
}

/** Records a repository sorts in memory when the sort field is encrypted. */
const IN_MEMORY_SORT_LIMIT = 10_000;

type Logger = { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };

/** The process's keyring per store and key file, shared by every repository that encrypts and the blob store. */
const keyrings = new Map<string, { ring: Promise<{ keyring: Keyring; store: Repository }>; users: number }>();
const keyringId = (config: Config) => `${config.mongo_uri ?? config.data_dir}|${config.encryption.key_file}`;

export async function acquireKeyring(config: Config, logger: Logger): Promise<Keyring> {
	const id = keyringId(config);
	let entry = keyrings.get(id);
	if (!entry) {
		const ring = (async () => {
			const keks = loadKeks(config, logger);
			const store = await openCollection(config, logger, KEY_COLLECTION, [{ fields: { kid: 1 }, unique: true }, { fields: { scope: 1 } }, { fields: { state: 1 } }]);
			return { keyring: new Keyring(store, keks), store };
		})();
		entry = { ring, users: 0 };
		keyrings.set(id, entry);
		const created = entry;
		ring.catch(() => keyrings.get(id) === created && keyrings.delete(id));
	}
	entry.users++;
	try {
		return (await entry.ring).keyring;
	} catch (err) {
		entry.users--;
		throw err;
	}
}

export async function releaseKeyring(config: Config): Promise<void> {
	const id = keyringId(config);
	const entry = keyrings.get(id);
	if (!entry || --entry.users > 0) return;
	keyrings.delete(id);
	await (await entry.ring.catch(() => null))?.store.disconnect();
}

export const KEY_COLLECTION = "encryption_keys";

/** A repository's or blob store's hold on the process's keyring: taken at first use, let go when it closes. */
export class SharedKeyringLease implements KeyringLease {
	private held: Promise<Keyring> | null = null;
	constructor(
		private readonly config: Config,
		private readonly logger: Logger,
	) {}
	get(): Promise<Keyring> {
		if (!this.held) {
			this.held = acquireKeyring(this.config, this.logger);
			this.held.catch(() => (this.held = null));
		}
		return this.held;
	}
	async release(): Promise<void> {
		if (!this.held) return;
		const held = this.held.catch(() => null);
		this.held = null;
		if (await held) await releaseKeyring(this.config);
	}
}

/** The cipher of a collection with declared encrypted fields, and its keyring lease; nulls for any other. */
function cipherOf(config: Config, logger: Logger, collection: string): { cipher: FieldCipher | null; lease: KeyringLease | null } {
	const spec = ENCRYPTED_COLLECTIONS[collection];
	if (!spec) return { cipher: null, lease: null };
	const lease = new SharedKeyringLease(config, logger);
	return { cipher: new FieldCipher(collection, spec, () => lease.get()), lease };
}

/**
 * A service's cache cleaning: once per write, or once per batch of writes to any of its repositories (an
 * import, a review's assessments, an alias move and its versions).
 */
export class CacheCleaning {
	/** The batch the current call chain is in: a concurrent request's writes are not part of it. */
	private readonly batchOf = new AsyncLocalStorage<{ written: boolean }>();

	constructor(private readonly clean: () => Promise<void>) {}

	async changed(): Promise<void> {
		const batch = this.batchOf.getStore();
		if (batch) batch.written = true;
		else await this.clean();
	}

	async batch<T>(fn: () => Promise<T>): Promise<T> {
		if (this.batchOf.getStore()) return fn(); // inside a batch already: cleaned at its end
		const batch = { written: false };
		try {
			return await this.batchOf.run(batch, fn);
		} finally {
			if (batch.written) await this.clean();
		}
	}
}

/**
 * A collection as a service uses it (the kit's repository): reads as stored, writes that clean the service's
 * cache on every node when the collection is behind its cached answers (its own collection; a second store
 * when it says so), natural keys built here. Services use their repositories, never moleculer-db's adapter
 * itself (a lint rule refuses `this.adapter` in services/).
 */
export class Repository {
	constructor(
		private readonly adapter: DbAdapter,
		private readonly cleaning: CacheCleaning | null,
		/** The collection's declared encrypted fields (models/encrypted-fields.ts), applied on every read and write unless explicit. */
		readonly cipher: FieldCipher | null = null,
		private readonly lease: KeyringLease | null = null,
	) {}

	/** The cipher when the repository applies it itself (an explicit one is the service's to apply). */
	private get auto(): FieldCipher | null {
		return this.cipher && !this.cipher.spec.explicit ? this.cipher : null;
	}

	/**
	 * The same collection, its writes cleaning no cache: for what no cached answer shows (leases, heartbeats,
	 * an audit append) or a write whose cleaning the caller does itself.
	 */
	uncached(): Repository {
		return new Repository(this.adapter, null, this.cipher, this.lease);
	}

	/** The same collection, its writes cleaning the given service's cache. */
	withCleaning(cleaning: CacheCleaning): Repository {
		return new Repository(this.adapter, cleaning, this.cipher, this.lease);
	}

	/** Closes a second store's connection (lib/mongo-client.ts keeps the process's client until its last user). */
	async disconnect(): Promise<void> {
		await (this.adapter as DbAdapter & { disconnect?(): Promise<void> }).disconnect?.();
		await this.releaseKeys();
	}

	/** Lets go of the keyring (the service's own collection is closed by moleculer-db). */
	async releaseKeys(): Promise<void> {
		await this.lease?.release();
	}

	async find(params: FindParams): Promise<Doc[]> {
		const cipher = this.auto;
		if (!cipher) return this.adapter.find(params);
		cipher.checkQuery(params.query);
		for (const s of params.sort ?? [])
			if (cipher.isEncrypted(s.replace(/^-/, ""))) throw new Error(`${cipher.collection}.${s} is encrypted at rest: it cannot be sorted on in the store`);
		return cipher.decryptMany(await this.adapter.find(params));
	}
	async findOne(query: Doc): Promise<Doc | null> {
		this.auto?.checkQuery(query);
		return this.decrypted(await this.adapter.findOne(query));
	}
	async findById(id: unknown): Promise<Doc | null> {
		return this.decrypted(await this.adapter.findById(id));
	}
	/** The document stored under a natural key (inserted with `insertKeyed`). */
	findByKey(key: string): Promise<Doc | null> {
		return this.findById(this.idForKey(key));
	}
	/** The document as stored (encrypted values as their envelopes): for re-encryption and backups. */
	findStored(params: FindParams): Promise<Doc[]> {
		return this.adapter.find(params);
	}
	private async decrypted(doc: Doc | null): Promise<Doc | null> {
		const cipher = this.auto;
		return cipher && doc ? cipher.decryptDoc(doc) : doc;
	}
	count(params: { query?: Doc } = {}): Promise<number> {
		return this.adapter.count(params);
	}
	/** A stored document as a plain object (MongoDB's ObjectIds as text). */
	raw(doc: Doc): Doc {
		return this.adapter.entityToObject(doc);
	}
	/** An entity as the API shows it (`id`, no `_id`). */
	entity<T = Doc>(doc: Doc | null): T | null {
		return entityFrom<T>(this.adapter, doc);
	}
	async page<T = Doc>(query: Doc, list: ListArgs, defaultSort: string): Promise<Page<T>> {
		const cipher = this.auto;
		if (!cipher) return findPage<T>(this.adapter, query, list, defaultSort);
		const { page = 1, page_size: pageSize = 20, sort = defaultSort } = list;
		const field = sort.replace(/^-/, "");
		if (!cipher.isEncrypted(field)) {
			const [docs, total] = await Promise.all([this.find({ query, sort: [sort], limit: pageSize, offset: (page - 1) * pageSize }), this.count({ query })]);
			return pageOf(
				docs.map(d => this.entity<T>(d)!),
				total,
				page,
				pageSize,
			);
		}
		// an encrypted field sorts once decrypted: in memory, for collections that stay small (API keys)
		const all = await this.find({ query, limit: IN_MEMORY_SORT_LIMIT + 1 });
		if (all.length > IN_MEMORY_SORT_LIMIT) throw new Error(`${cipher.collection}: more than ${IN_MEMORY_SORT_LIMIT} records to sort on encrypted ${field}`);
		const dir = sort.startsWith("-") ? -1 : 1;
		all.sort((a, b) => dir * String(a[field] ?? "").localeCompare(String(b[field] ?? "")));
		return pageOf(
			all.slice((page - 1) * pageSize, page * pageSize).map(d => this.entity<T>(d)!),
			all.length,
			page,
			pageSize,
		);
	}
	idForKey(key: string): unknown {
		return idForKey(this.adapter, key);
	}
	/** An entity's id as the store holds it, for queries on `_id` (MongoDB: an ObjectId; NeDB: the string). */
	storedId(id: string): unknown {
		const mongo = this.adapter as DbAdapter & { stringToObjectID?(id: string): unknown };
		return mongo.stringToObjectID ? mongo.stringToObjectID(id) : id;
	}

	async insert(doc: Doc): Promise<Doc> {
		const cipher = this.auto;
		if (!cipher || !cipher.touches(doc)) return this.write(() => this.adapter.insert(doc));
		// the id is made before the insert: each value's associated data binds it
		const withId = doc._id === undefined ? { _id: newRecordId(this.objectIdOf()), ...doc } : doc;
		const stored = await this.write(async () => this.adapter.insert(await this.sealed(cipher, withId)));
		// what was stored, with the values as the caller gave them (nothing to decrypt)
		return { ...stored, ...withId };
	}
	/** Inserted under the _id of its natural key: a second insert of the same key, by any replica, fails as a duplicate. */
	insertKeyed(key: string, doc: Doc): Promise<Doc> {
		return this.insert({ _id: this.idForKey(key), ...doc });
	}
	/** Many documents under their natural keys in one store call (NeDB: all or none; MongoDB: in order, up to a duplicate). */
	async insertManyKeyed(docs: Array<{ key: string; doc: Doc }>): Promise<Doc[]> {
		if (!docs.length) return [];
		const cipher = this.auto;
		const keyed = docs.map(({ key, doc }) => ({ _id: this.idForKey(key), ...doc }));
		if (!cipher) return this.write(() => this.adapter.insertMany(keyed));
		const sealed = await Promise.all(keyed.map(d => (cipher.touches(d) ? this.sealed(cipher, d) : d)));
		return cipher.decryptMany(await this.write(() => this.adapter.insertMany(sealed)));
	}
	async updateById(id: unknown, update: Doc): Promise<Doc | null> {
		const cipher = this.auto;
		const encrypted = cipher?.touches(update) ? await cipher.encryptUpdate(update, String(id), await this.scopeFor(cipher, id, update)) : update;
		return this.decrypted(await this.write(() => this.adapter.updateById(id, encrypted)));
	}
	/** Compare-and-set as much as an update: the count of documents that matched `query` and changed. */
	async updateMany(query: Doc, update: Doc): Promise<number> {
		const cipher = this.auto;
		if (!cipher) return this.write(() => this.adapter.updateMany(query, update));
		cipher.checkQuery(query);
		if (!cipher.touches(update)) return this.write(() => this.adapter.updateMany(query, update));
		// an encrypted value is bound to its record: written one record at a time
		if (query._id === undefined || (typeof query._id === "object" && query._id !== null && Object.keys(query._id).some(k => k.startsWith("$"))))
			throw new Error(`${cipher.collection}: an update writing encrypted fields must name one record by _id`);
		const encrypted = await cipher.encryptUpdate(update, String(query._id), await this.scopeFor(cipher, query._id, update));
		return this.write(() => this.adapter.updateMany(query, encrypted));
	}
	removeById(id: unknown): Promise<Doc | null> {
		return this.write(() => this.adapter.removeById(id));
	}
	removeMany(query: Doc): Promise<number> {
		return this.write(() => this.adapter.removeMany(query));
	}

	/**
	 * Rewrites the embedded store's file with only the live documents (NeDB appends every write: an erased or
	 * replaced value stays in the file until then); nothing on MongoDB, which keeps no such history.
	 */
	async compact(): Promise<void> {
		const db = (this.adapter as DbAdapter & { db?: { compactDatafileAsync?(): Promise<void> } }).db;
		await db?.compactDatafileAsync?.();
	}

	/** Re-encrypts, compare-and-set, the stored values of one document that are under a retired key; true when it wrote. */
	async reencrypt(stored: Doc): Promise<boolean> {
		const cipher = this.auto;
		const change = cipher && (await cipher.reencrypted(stored));
		if (!change) return false;
		return (await this.adapter.updateMany({ _id: stored._id, ...change.was }, { $set: change.set })) === 1;
	}

	private async sealed(cipher: FieldCipher, doc: Doc): Promise<Doc> {
		return cipher.encryptDoc(doc, String(doc._id), cipher.scopeOf(doc));
	}

	/** The key scope of the record an update writes: from the update when it sets the scope's fields, else from the stored record. */
	private async scopeFor(cipher: FieldCipher, id: unknown, update: Doc) {
		const set = (update.$set ?? (Object.keys(update).some(k => k.startsWith("$")) ? {} : update)) as Doc;
		if (cipher.spec.scopeFields.every(f => f in set)) return cipher.scopeOf(set);
		return cipher.scopeOf((await this.adapter.findById(id)) ?? {});
	}

	private objectIdOf(): ((hex: string) => unknown) | undefined {
		const mongo = this.adapter as DbAdapter & { stringToObjectID?(id: string): unknown };
		return mongo.collection && mongo.stringToObjectID ? (hex: string) => mongo.stringToObjectID!(hex) : undefined;
	}

	/** Writes made inside, to this or any repository of the service, clean its cache once, at the end, if any changed something. */
	batch<T>(fn: () => Promise<T>): Promise<T> {
		return this.cleaning ? this.cleaning.batch(fn) : fn();
	}

	/** A write, and the cache cleaned when it changed something (a count of 0, or no document, changed nothing). */
	private async write<T>(fn: () => Promise<T>): Promise<T> {
		const result = await fn();
		if (result !== 0 && result != null) await this.cleaning?.changed();
		return result;
	}
}

/** The entity helpers, on moleculer-db's members: its adapter, and clearCache (drops this service's cache on every node: it broadcasts `cache.clean.<service>`). */
const EntityHelpers = defineMixin<{ store: Repository; clearCache(): Promise<void> }>()({
	methods: {
		// the entity helpers read and write through the service's repository (this.store)
		/** An _id derived from a natural key: two writers of the same key (on any replica) collide in the store. */
		idForKey(key: string): unknown {
			return this.store.idForKey(key);
		},
		/** An entity's id as the store holds it, for queries on `_id` (MongoDB: an ObjectId; NeDB: the string). */
		storedId(id: string): unknown {
			return this.store.storedId(id);
		},
		toEntity<T = Doc>(doc: Doc | null): T | null {
			return this.store.entity<T>(doc);
		},
		/** One page of this service's entities matching `query` (list params `page`, `page_size`, `sort`). */
		findPage<T = Doc>(query: Doc, list: ListArgs, defaultSort: string): Promise<Page<T>> {
			return this.store.page<T>(query, list, defaultSort);
		},
		async findEntity<T = Doc>(query: Doc): Promise<T | null> {
			return this.toEntity<T>(await this.store.findOne(query));
		},
		async findEntityById<T = Doc>(id: string): Promise<T | null> {
			if (typeof id !== "string" || id.length === 0 || id.length > 64) return null;
			return this.toEntity<T>(await this.store.findById(id));
		},
		async findEntities<T = Doc>(params: FindParams): Promise<T[]> {
			const docs: Doc[] = await this.store.find(params);
			return docs.map(d => this.toEntity<T>(d) as T);
		},
		async countEntities(query: Doc): Promise<number> {
			return this.store.count({ query });
		},
		async insertEntity<T = Doc>(doc: Doc): Promise<T> {
			return this.toEntity<T>(await this.store.insert(doc)) as T;
		},
		async updateEntity<T = Doc>(id: string, set: Doc, unset: string[] = []): Promise<T | null> {
			const update: Doc = { $set: set };
			if (unset.length) update.$unset = Object.fromEntries(unset.map(k => [k, ""]));
			return this.toEntity<T>(await this.store.updateById(id, update));
		},
		async removeEntity<T = Doc>(id: string): Promise<T | null> {
			return this.toEntity<T>(await this.store.removeById(id));
		},
	},
});

/** `cachedAnswers: false`: no cached answer reads the collection (the audit log), so its writes clean nothing. */
export function createDbMixin(collection: string, indexes: IndexSpec[] = [], options: { cachedAnswers?: boolean } = {}) {
	const moleculerDb = {
		// the adapter of the broker's store, made as the service is created (a later mixin's `created` runs first,
		// so moleculer-db's finds it): importing a service constructs nothing
		mixins: [
			DbService,
			{
				created(this: { broker: object; schema: { adapter?: unknown } }) {
					this.schema.adapter = createAdapter(configOf(this.broker), collection);
				},
			},
		],
		collection,
		settings: { idField: "_id" },
		async afterConnected(this: { adapter: DbAdapter; logger: { error(...args: unknown[]): void } }) {
			await ensureIndexes(this.adapter, indexes, this.logger);
		},
	};
	return defineMixin<{ adapter: DbAdapter; /** The service's own collection (its repository). */ store: Repository; cacheCleaning: CacheCleaning }>()({
		mixins: [moleculerDb, EntityHelpers],
		created() {
			// moleculer-db set the adapter in its own `created`, which runs first (a mixin's mixins before it)
			this.cacheCleaning = new CacheCleaning(() => this.clearCache());
			const { cipher, lease } = cipherOf(configOf(this.broker), this.logger, collection);
			this.store = new Repository(this.adapter, options.cachedAnswers === false ? null : this.cacheCleaning, cipher, lease);
		},
		async stopped() {
			await this.store.releaseKeys();
		},
		// moleculer-db's generic CRUD actions bypass validation and access control: services define their own.
		actions: {
			find: false,
			count: false,
			list: false,
			create: false,
			insert: false,
			get: false,
			update: false,
			remove: false,
			/** Readiness probe of the store behind this service: a cheap count that fails when it is down. */
			storeHealth: {
				visibility: "public",
				auth: "public",
				async handler() {
					await this.store.count();
					return { status: "ok" };
				},
			},
		},
	});
}

/**
 * A second collection for a service that keeps more than one (e.g. auth's refresh tokens), on the same
 * store as the service's own. Connect it in `started` and close it in `stopped`.
 */
export async function openStore(broker: object, collection: string, indexes: IndexSpec[] = []): Promise<Repository> {
	return openCollection(configOf(broker), (broker as { logger: Logger }).logger, collection, indexes);
}

async function openCollection(config: Config, logger: Logger, collection: string, indexes: IndexSpec[] = []): Promise<Repository> {
	const adapter = createAdapter(config, collection);
	adapter.init({ logger }, { schema: { collection }, logger });
	try {
		await adapter.connect();
		await ensureIndexes(adapter, indexes, logger);
	} catch (err) {
		// a client left open by a failed attempt would outlive it (the caller may try again)
		try {
			await adapter.disconnect?.();
		} catch {
			/* closing what did not open */
		}
		throw err;
	}
	const { cipher, lease } = cipherOf(config, logger, collection);
	return new Repository(adapter, null, cipher, lease);
}

async function ensureIndexes(adapter: DbAdapter, indexes: IndexSpec[], logger?: { error(...args: unknown[]): void }): Promise<void> {
	for (const index of indexes) {
		const fields = Object.keys(index.fields);
		try {
			if (adapter.collection) {
				await adapter.collection.createIndex(index.fields, { unique: !!index.unique, sparse: !!index.sparse });
			} else {
				await adapter.db.ensureIndex({ fieldName: fields.length === 1 ? fields[0] : fields, unique: !!index.unique, sparse: !!index.sparse });
			}
		} catch (err) {
			// data written before a unique rule existed may break it: serve anyway (services check before writing)
			if (!index.unique) throw err;
			logger?.error(`Unique index on ${fields.join(", ")} not created (existing duplicates?): ${(err as Error).message}`);
		}
	}
	if (adapter.db?.filename) protectStoreFile(adapter.db);
	if (adapter.db?.updateAsync) {
		// moleculer-db wraps NeDB's update in util.promisify around a function that returns a promise: Node emits (and
		// builds a stack trace for) a DEP0174 warning on every update. NeDB's own promise API gives the same results.
		const db = adapter.db as NedbFile & { updateAsync(q: Doc, u: Doc, o: Doc): Promise<{ numAffected: number; affectedDocuments: unknown; upsert: boolean }>; update: unknown };
		const waste = compactWhenWasteful(db);
		const appends = appendThroughOpenFile(adapter.db);
		const closable = adapter as DbAdapter & { disconnect?(): Promise<unknown> };
		const disconnect = closable.disconnect?.bind(adapter);
		closable.disconnect = async () => {
			waste.stop();
			await appends.close();
			return disconnect?.();
		};
		db.update = (query: Doc, update: Doc, options: Doc) =>
			db.updateAsync(query, update, options).then(r => {
				waste.replaced(r.numAffected);
				return [r.numAffected, r.affectedDocuments, r.upsert];
			});
		const remove = (db as unknown as { remove(q: Doc, o?: Doc): Promise<number> }).remove.bind(db);
		(db as unknown as { remove(q: Doc, o?: Doc): Promise<number> }).remove = (query: Doc, options?: Doc) =>
			remove(query, options).then(n => {
				waste.replaced(n);
				return n;
			});
	}
}

export interface NedbFile {
	getAllData(): unknown[];
	compactDatafileAsync(): Promise<void>;
}

/** How often the embedded store's files are checked for replaced and removed documents. */
const COMPACTION_CHECK_MS = 60_000;

/**
 * NeDB appends every write, so a replaced or removed document stays in the file until it is compacted (rewritten
 * with the live documents only, synchronously serialising every one of them). A file is compacted once the
 * documents replaced or removed since its last compaction reach half its live ones (a third of the file), checked
 * every minute; an append-only collection such as the audit trail is left alone. Compacting every collection
 * every ten minutes stalled the process for up to half a second at a time as the stores grew (bench/README.md,
 * the soak).
 */
export function compactWhenWasteful(db: NedbFile): { replaced(n: number): void; check(): Promise<boolean>; stop(): void } {
	let replaced = 0;
	let compacting = false;
	/** Compacts when due; true when it did. */
	const check = async () => {
		if (compacting || replaced < 1000 || replaced < db.getAllData().length / 2) return false;
		compacting = true;
		const counted = replaced;
		try {
			await db.compactDatafileAsync();
			replaced -= counted;
			return true;
		} finally {
			compacting = false;
		}
	};
	const timer = setInterval(() => void check().catch(() => undefined), COMPACTION_CHECK_MS);
	timer.unref(); // never the reason a process stays up
	return { replaced: n => (replaced += n), check, stop: () => clearInterval(timer) };
}

/**
 * The embedded store's files hold password hashes and financial data: the folder is the owner's alone
 * (0700) and each file 0600, also after NeDB rewrites it (compaction writes a new file and renames it).
 */
function protectStoreFile(db: { filename: string; on?(event: string, fn: () => void): void }): void {
	const chmod = () => {
		try {
			fs.chmodSync(path.dirname(db.filename), 0o700);
			fs.chmodSync(db.filename, 0o600);
		} catch {
			/* not there yet: the next compaction sets it */
		}
	};
	chmod();
	db.on?.("compaction.done", chmod);
}

export type Store = Repository;

/**
 * A second collection kept by a service beside its own (e.g. the risk matrices of `risk`), as the repository
 * `field`: opened when the service starts, closed when it stops. `cachedAnswers`: the service's cached answers
 * read it, so its writes clean the cache as the service's own collection's do.
 */
export function createStoreMixin<K extends string>(field: K, collection: string, indexes: IndexSpec[] = [], options: { cachedAnswers?: boolean } = {}) {
	return defineMixin<Record<K, Repository>>()({
		async started() {
			const opened = await atStartup(this, `opening ${collection}`, () => openStore(this.broker, collection, indexes));
			const cleaning = (this as { cacheCleaning?: CacheCleaning }).cacheCleaning;
			(this as Record<K, Repository>)[field] = options.cachedAnswers && cleaning ? opened.withCleaning(cleaning) : opened;
		},
		async stopped() {
			await (this as Partial<Record<K, Repository>>)[field]?.disconnect();
		},
	});
}
