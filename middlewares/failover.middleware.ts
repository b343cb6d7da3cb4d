/**
 * How fast a call gets away from a dead node (issue: a SIGKILLed node cost clients 28 s).
 *
 * - Timeouts per kind of action, so a read to a node that died waits little: actions published as `GET` or
 *   cached are reads (`READ_TIMEOUT`), other published actions writes (`WRITE_TIMEOUT`); an action's own
 *   `timeout` wins (the SEC import: `IMPORT_TIMEOUT`). Reads are retried (idempotent), writes are not.
 * - A node that let a call time out is avoided for a few seconds: the retry, and every call after it, goes to
 *   another replica while one is left (Moleculer's retry would otherwise pick the dead node again half the time).
 * - Heartbeats checked to the millisecond, four times a second (Moleculer's own check rounds to whole seconds
 *   and runs once per heartbeat timeout), so a silent node leaves the registry about HEARTBEAT_TIMEOUT after
 *   its last heartbeat; calls pending on it are then rejected and retried elsewhere, and with no node left a
 *   call is a 503.
 */
import { Discoverers, Errors, Strategies, type Context, type Middleware, type ServiceBroker } from "moleculer";

declare module "moleculer" {
	interface ActionSchema {
		/** ms; overrides the timeout of the action's kind. */
		timeout?: number;
		/** "import": the action reads and stores a large document, within broker.import_timeout. */
		timeoutKind?: "import";
	}
}

/** How long a node that let a call time out is avoided. */
const SUSPECT_MS = 5000;
const HEARTBEAT_CHECK_MS = 250;

type Suspects = Map<string, number>;
const suspectsOf = (broker: unknown): Suspects => {
	const b = broker as { bizopsSuspects?: Suspects };
	return (b.bizopsSuspects ??= new Map());
};

/** Round robin over the replicas that have not just timed out; all of them when every one has. */
export class FailoverStrategy extends (Strategies.RoundRobin as any) {
	select(list: Array<{ id: string }>, ctx?: Context) {
		const suspects = suspectsOf((this as any).broker);
		if (suspects.size > 0 && list.length > 1) {
			const now = Date.now();
			const healthy = list.filter(ep => !((suspects.get(ep.id) ?? 0) > now));
			if (healthy.length > 0 && healthy.length < list.length) return super.select(healthy, ctx);
		}
		return super.select(list, ctx);
	}
}

/** Moleculer's Local discoverer with heartbeats checked to the millisecond, every 250 ms. */
export class PromptDiscoverer extends (Discoverers.Local as any) {
	lastBeat = new Map<string, number>();

	heartbeatReceived(nodeID: string, payload: unknown) {
		this.lastBeat.set(nodeID, Date.now());
		return super.heartbeatReceived(nodeID, payload);
	}

	startHeartbeatTimers() {
		super.startHeartbeatTimers();
		if (!this.checkNodesTimer) return;
		clearInterval(this.checkNodesTimer);
		this.checkNodesTimer = setInterval(() => this.checkRemoteNodes(), HEARTBEAT_CHECK_MS);
		this.checkNodesTimer.unref();
	}

	checkRemoteNodes() {
		if (this.opts.disableHeartbeatChecks) return;
		const now = Date.now();
		const limit = this.opts.heartbeatTimeout * 1000;
		for (const node of this.registry.nodes.toArray()) {
			if (node.local || !node.available) continue;
			const last = this.lastBeat.get(node.id);
			if (last == null) {
				this.lastBeat.set(node.id, now); // known (INFO) but no heartbeat yet: the clock starts now
			} else if (now - last > limit) {
				this.logger.warn(`No heartbeat from node '${node.id}' for ${now - last} ms: removing it.`);
				this.lastBeat.delete(node.id);
				this.registry.nodes.disconnected(node.id, true);
			}
		}
	}
}

export interface CallTimeouts {
	read: number;
	write: number;
	/** An action declaring `timeoutKind: "import"` (a large document read and stored: broker.import_timeout). */
	import: number;
}

/** The timeout of an action by its kind (see above); undefined leaves Moleculer's `requestTimeout`. */
export function timeoutOf(action: { timeout?: number; timeoutKind?: "import"; rest?: unknown; cache?: unknown; visibility?: string }, timeouts: CallTimeouts): number | undefined {
	if (action.timeout != null) return action.timeout;
	if (action.timeoutKind === "import") return timeouts.import;
	const method = typeof action.rest === "string" ? action.rest.trim().split(/\s+/)[0].toUpperCase() : null;
	if (method === "GET" || (method == null && action.cache)) return timeouts.read;
	if (method != null) return timeouts.write;
	return undefined;
}

/** Placed before Moleculer's Timeout middleware, which reads `action.timeout` when it wraps the action. */
export function ActionTimeoutsMiddleware(timeouts: CallTimeouts): Middleware {
	const wrap = (next: (ctx: Context) => Promise<unknown>, action: any) => {
		const timeout = timeoutOf(action, timeouts);
		if (timeout != null) action.timeout = timeout;
		return next;
	};
	return { name: "ActionTimeouts", localAction: wrap, remoteAction: wrap } as unknown as Middleware;
}

/** Placed between Moleculer's Timeout and Retry: a node that let a call time out is suspect before Retry calls again. */
export function FailoverMiddleware(): Middleware {
	let broker: ServiceBroker;
	return {
		name: "Failover",
		created(b: ServiceBroker) {
			broker = b;
		},
		remoteAction(next: (ctx: Context) => Promise<unknown>) {
			return function failover(ctx: Context) {
				return next(ctx).catch(err => {
					if (err instanceof Errors.RequestTimeoutError && ctx.nodeID) suspectsOf(broker).set(ctx.nodeID, Date.now() + SUSPECT_MS);
					throw err;
				});
			};
		},
	} as unknown as Middleware;
}
