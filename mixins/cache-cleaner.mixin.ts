/**
 * Cleans this service's cache when a service it reads from announces a change (conduit's cache-cleaner).
 * moleculer-db broadcasts `cache.clean.<service>` on every write, so every node, whatever its cacher,
 * drops stale entries.
 */
import { cacheCleanEvent } from "../contracts";
import { defineMixin } from "../lib/service";

export function createCacheCleanerMixin(serviceNames: string[]) {
	const events: Record<`cache.clean.${string}`, () => Promise<void>> = {};
	for (const name of serviceNames) {
		events[cacheCleanEvent(name).name] = async function (this: { broker: { cacher?: { clean(match: string): Promise<unknown> } }; fullName: string }) {
			if (this.broker.cacher) await this.broker.cacher.clean(`${this.fullName}.**`);
		};
	}
	return defineMixin()({ events });
}
