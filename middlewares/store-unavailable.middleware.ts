/**
 * A store that is down is a 503 with a clear message, not a 500 (docs/api.md): MongoDB driver errors about
 * the connection (server selection, network, timeouts) become ServiceUnavailable. The driver reconnects by
 * itself, so the next request after recovery is served without a restart.
 */
import type { Context, Middleware } from "moleculer";
import { serviceUnavailable } from "../models/errors";

const STORE_DOWN = /^Mongo(ServerSelection|Network|NetworkTimeout|Timeout|NotConnected|TopologyClosed)Error$/;

export function isStoreUnavailable(err: unknown): boolean {
	const name = (err as Error)?.name ?? "";
	return STORE_DOWN.test(name) || /Topology (is )?(closed|destroyed)|connection .* closed|ECONNREFUSED/i.test((err as Error)?.message ?? "");
}

export const StoreUnavailableMiddleware: Middleware = {
	name: "StoreUnavailable",
	localAction(next: (ctx: Context) => Promise<unknown>) {
		return function storeUnavailable(ctx: Context) {
			return next(ctx).catch(err => {
				if ((err as { code?: number }).code == null && isStoreUnavailable(err)) {
					throw serviceUnavailable("The data store is unavailable; try again shortly", { store: "mongodb", reason: (err as Error).name });
				}
				throw err;
			});
		};
	},
} as Middleware;
