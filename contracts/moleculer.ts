/** What Moleculer itself offers every service: its internal events and actions, and the store health every db-mixin service answers. */
import { action, signal } from "./contract";

export const Moleculer = {
	events: {
		/** A service appeared or went away somewhere in the cluster. */
		servicesChanged: signal<{ localService: boolean }>()("$services.changed"),
		/** The transporter connected again: broadcasts may have been missed meanwhile. */
		transporterConnected: signal<unknown>()("$transporter.connected"),
		/** Told by a transporter that lost its connection (lib/local-socket-transporter.ts when the platform stops). */
		transporterDisconnected: signal<{ graceful: boolean }>()("$transporter.disconnected"),
	},
	actions: {
		nodeList: action<Record<string, never>, Array<{ id: string; available: boolean; local: boolean; hostname: string }>>()("$node.list"),
		nodeServices: action<{ skipInternal?: boolean; withActions?: boolean }, Array<{ name: string; nodes?: string[]; nodeID?: string }>>()("$node.services"),
	},
} as const;

/** Every service's cacher cleaning event (mixins/cache-cleaner.mixin.ts): its cached answers are dropped on every node. */
export const cacheCleanEvent = <const S extends string>(service: S) => signal<void>()(`cache.clean.${service}` as `cache.clean.${S}`);

/** A store-backed service's store check (mixins/db.mixin.ts): answers when its store does, throws when it does not. */
export const storeHealthAction = (service: string) => action<Record<string, never>, unknown>()(`${service}.storeHealth`);
