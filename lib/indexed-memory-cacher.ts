/**
 * Moleculer's MemoryLRU cacher with its keys indexed by action: cleaning `<service>.**` (every write cleans the
 * writing service's answers and those of the services that read from it: mixins/cache-cleaner.mixin.ts) removes
 * that service's keys directly instead of matching every one of up to 20,000 keys against the pattern — which took
 * about a tenth of the CPU of a company review (bench/README.md, "Company reviews"). Other patterns are cleaned as
 * Moleculer does.
 */
import { LRUCache } from "lru-cache";

const { Cachers } = require("moleculer") as { Cachers: { MemoryLRU: new (opts: object) => MemoryLRUCacherLike } };

interface MemoryLRUCacherLike {
	opts: { max?: number; ttl?: number };
	cache: LRUCache<string, object>;
	set(key: string, data: unknown, ttl?: number): Promise<unknown>;
	clean(match?: string | string[]): Promise<unknown>;
}

/** `svc.action:hash` → `svc.action` (the action a cached answer is of). */
const actionOf = (key: string) => {
	const at = key.indexOf(":");
	return at < 0 ? key : key.slice(0, at);
};
/** A pattern that is a service's (or any dotted prefix's) whole cache: `ml.registry.**`. */
const PREFIX_PATTERN = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*\.\*\*$/;

export class IndexedMemoryCacher extends Cachers.MemoryLRU {
	/** Action name → the keys of its cached answers. */
	private readonly byAction = new Map<string, Set<string>>();

	constructor(opts: object) {
		super(opts);
		// the same cache as Moleculer's, telling the index when a key goes (evicted, expired, replaced or deleted)
		this.cache = new LRUCache<string, object>({
			max: this.opts.max ? this.opts.max : 1000,
			ttl: this.opts.ttl ? this.opts.ttl * 1000 : undefined,
			updateAgeOnGet: !!this.opts.ttl,
			dispose: (_value, key) => this.unindex(key),
		});
	}

	override async set(key: string, data: unknown, ttl?: number): Promise<unknown> {
		const result = await super.set(key, data, ttl);
		const action = actionOf(key);
		let keys = this.byAction.get(action);
		if (!keys) this.byAction.set(action, (keys = new Set()));
		keys.add(key);
		return result;
	}

	override clean(match: string | string[] = "**"): Promise<unknown> {
		const matches = Array.isArray(match) ? match : [match];
		const rest = matches.filter(m => !PREFIX_PATTERN.test(m));
		for (const m of matches.filter(m => PREFIX_PATTERN.test(m))) {
			const prefix = m.slice(0, -2); // "svc." of "svc.**"
			for (const [action, keys] of [...this.byAction]) if (action.startsWith(prefix)) for (const key of [...keys]) this.cache.delete(key);
		}
		return rest.length ? super.clean(rest) : Promise.resolve();
	}

	private unindex(key: string): void {
		const action = actionOf(key);
		const keys = this.byAction.get(action);
		if (!keys) return;
		keys.delete(key);
		if (!keys.size) this.byAction.delete(action);
	}
}
