/**
 * One MongoDB client per process and server, shared by every collection the process opens (each service's
 * own, its second stores, the blob store's GridFS bucket) and closed when the last of them lets go: one
 * connection pool and one set of server monitors per node instead of one per collection (26 stores and
 * GridFS each opened a client of their own before).
 *
 * The driver is the one moleculer-db-adapter-mongo is written against (its own dependency, 3.x), so the
 * adapter's queries run on the collections it is given unchanged.
 */
import path from "node:path";

const adapterDir = path.dirname(require.resolve("moleculer-db-adapter-mongo/package.json"));
/** The MongoDB driver of moleculer-db-adapter-mongo. */
export const mongodb = require(require.resolve("mongodb", { paths: [adapterDir] })) as {
	MongoClient: new (uri: string, opts: object) => MongoClientLike;
	GridFSBucket: new (db: unknown, opts: { bucketName: string }) => unknown;
};

export interface MongoClientLike {
	connect(): Promise<MongoClientLike>;
	close(): Promise<void>;
	db(name?: string): { collection(name: string): unknown };
}

interface Shared {
	client: Promise<MongoClientLike>;
	users: number;
}
const shared = new Map<string, Shared>();

/** The process's client for `uri`, connected (a failed connection is not kept: the next call tries again). */
export async function acquireMongoClient(uri: string, opts: object): Promise<MongoClientLike> {
	let entry = shared.get(uri);
	if (!entry) {
		const client = new mongodb.MongoClient(uri, opts);
		const created: Shared = { client: client.connect().then(() => client), users: 0 };
		created.client.catch(() => {
			if (shared.get(uri) === created) shared.delete(uri);
			client.close().catch(() => undefined);
		});
		shared.set(uri, created);
		entry = created;
	}
	entry.users++;
	try {
		return await entry.client;
	} catch (err) {
		entry.users--;
		throw err;
	}
}

/** One user of `uri`'s client is done with it; the last closes it. */
export async function releaseMongoClient(uri: string): Promise<void> {
	const entry = shared.get(uri);
	if (!entry || --entry.users > 0) return;
	shared.delete(uri);
	const client = await entry.client.catch(() => null);
	await client?.close();
}

/** Clients open in this process (one per server in use). */
export function openMongoClients(): number {
	return shared.size;
}

/**
 * Fail fast (→ 503) while MongoDB is unreachable rather than hold requests for the driver's default 30 s;
 * below READ_TIMEOUT, so a read tells a store outage (503) from a slow node (504).
 */
export function mongoClientOptions(timeoutMs: number): object {
	return { useUnifiedTopology: true, serverSelectionTimeoutMS: timeoutMs, maxPoolSize: MONGO_POOL_SIZE };
}

/**
 * Connections one node keeps to MongoDB at most, for all its services together (the driver's default is 100
 * per client). A node running every service used 11 at start and after a burst of writes (the cluster test
 * checks the bound); the figure is a cap, not a measured optimum.
 */
export const MONGO_POOL_SIZE = 20;
