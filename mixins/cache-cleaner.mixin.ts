/**
 * Cleans this service's cache when a service it reads from announces a change (conduit's cache-cleaner).
 * moleculer-db broadcasts `cache.clean.<service>` on every write, so every node, whatever its cacher,
 * drops stale entries.
 */
import type { ServiceSchema } from "moleculer";

export function createCacheCleanerMixin(serviceNames: string[]): Partial<ServiceSchema> {
	const events: Record<string, () => Promise<void>> = {};
	for (const name of serviceNames) {
		events[`cache.clean.${name}`] = async function (this: any) {
			if (this.broker.cacher) await this.broker.cacher.clean(`${this.fullName}.**`);
		};
	}
	return { events } as Partial<ServiceSchema>;
}
