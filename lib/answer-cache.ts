/**
 * The gateway's answer cache: the answers of cached actions (those declaring `cache`), kept at the edge so a
 * repeated read costs no call at all (no context, no middlewares, no transporter round trip in a cluster).
 *
 * It is never less specific than the action's own cache: the key holds every request parameter, the
 * caller's role and domains (what access control and scoping depend on) and the meta values the action's
 * cache keys name (e.g. `#user.id`). Every `cache.clean.*` broadcast (moleculer-db's, on each write, on every
 * node) empties it, a call that was in flight while it was emptied is not kept, and an entry lives at most
 * the action's cache TTL and at most `ttlMs`. Only plain 200 answers are kept (no status, location or
 * headers set by the action).
 */
import { LRUCache } from "lru-cache";

export interface CachedActionInfo {
	name: string;
	cache?: boolean | { keys?: string[]; ttl?: number };
}

export interface CallerScope {
	user?: { id?: string; role?: string; domains?: string[] } | null;
	[key: string]: unknown;
}

export class AnswerCache {
	private entries: LRUCache<string, { answer: object }>;
	/** Bumped by every clear: an answer computed across a clear is stale and not kept. */
	generation = 0;

	constructor(
		max: number,
		private ttlMs: number,
	) {
		this.entries = new LRUCache({ max, ttl: Math.max(1, ttlMs) });
	}

	get enabled(): boolean {
		return this.ttlMs > 0;
	}

	/** The key for this call, or null when its answer is not to be kept at the edge. */
	keyFor(action: CachedActionInfo, params: object, meta: CallerScope): string | null {
		if (!this.enabled || !action.cache) return null;
		const user = meta.user;
		let key = `${action.name}|${user?.role ?? ""}|${user?.domains?.join(",") ?? ""}|${JSON.stringify(params)}`;
		for (const path of metaPaths(action)) key += `|${JSON.stringify(valueAt(meta, path) ?? null)}`;
		return key;
	}

	get(key: string): object | undefined {
		return this.entries.get(key)?.answer;
	}

	/** Keeps `answer` unless the cache was cleared since `generation` was read. */
	set(key: string, answer: unknown, generation: number, action: CachedActionInfo): void {
		if (generation !== this.generation || answer === null || typeof answer !== "object") return;
		const actionTtl = typeof action.cache === "object" && action.cache.ttl ? action.cache.ttl * 1000 : this.ttlMs;
		this.entries.set(key, { answer }, { ttl: Math.min(actionTtl, this.ttlMs) });
	}

	clear(): void {
		this.generation++;
		// lru-cache's clear fills its arrays of `max` slots whatever it holds: every write on any node clears this
		if (this.entries.size) this.entries.clear();
	}

	get size(): number {
		return this.entries.size;
	}
}

const META_PATHS = new WeakMap<CachedActionInfo, string[][]>();

/** The meta paths the action's cache keys name (`#user.id` → ["user", "id"]), worked out once per action. */
function metaPaths(action: CachedActionInfo): string[][] {
	let paths = META_PATHS.get(action);
	if (!paths) {
		const keys = typeof action.cache === "object" ? (action.cache.keys ?? []) : [];
		paths = keys.filter(k => k.startsWith("#")).map(k => k.slice(1).split("."));
		META_PATHS.set(action, paths);
	}
	return paths;
}

function valueAt(obj: object, path: string[]): unknown {
	let value: unknown = obj;
	for (const part of path) value = value == null ? undefined : (value as Record<string, unknown>)[part];
	return value;
}
