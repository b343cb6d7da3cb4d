/**
 * Serializes work per key on this node, so a check-then-write cannot interleave with another on the same key
 * (CongoDB, the test stand-in for MongoDB, does not enforce unique indexes; MongoDB's unique indexes guard
 * across replicas).
 */
export class KeyedLock {
	private readonly tails = new Map<string, Promise<unknown>>();

	async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
		const previous = this.tails.get(key) ?? Promise.resolve();
		const run = previous.catch(() => undefined).then(fn);
		this.tails.set(key, run);
		try {
			return await run;
		} finally {
			if (this.tails.get(key) === run) this.tails.delete(key);
		}
	}

	/** Runs under several keys at once, taken in a fixed order so two callers never wait on each other. */
	async runAll<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
		const sorted = [...new Set(keys)].sort();
		const step = (i: number): Promise<T> => (i === sorted.length ? fn() : this.run(sorted[i], () => step(i + 1)));
		return step(0);
	}
}
