/**
 * Sends every domain event to the audit trail (docs/audit.md): whatever a service emits (`ctx.emit`) goes on,
 * as it would anyway, and is also sent on the durable `audit.events` channel with an event id, the acting
 * principal, the request id and the time, for one `audit` replica to append. No service has to remember to
 * audit. Moleculer's own events (`$…`), cache cleaning, the embedded channel transport (`channels.…`) and
 * events that record reads are left out.
 *
 * An action answers only once the records of the events it emitted are in the channel (journaled on the
 * embedded adapter, stored by JetStream in production): what a client was told happened has its record. The
 * event has happened by then, so a channel that refuses does not fail the action: the record waits in memory
 * and is sent again every few seconds (counted in `bizops_audit_records_unsent`; past a bound, or at a stop
 * that cannot send them, counted lost in `bizops_audit_records_lost_total`, which an alert rule watches).
 */
import { randomUUID } from "node:crypto";
import type { Context, Middleware, ServiceBroker } from "moleculer";
import { Audit, EVENTS } from "../contracts";
import type { AuditActor, AuditRecord } from "../domains/audit/chain";
import { sendToChannel } from "../lib/contract-calls";
import type { AuthMeta } from "../lib/principal";

/** The in-process channel adapter (embedded) carries channel messages as events named `channels.<channel>`. */
const CHANNEL_TRANSPORT_PREFIX = "channels.";
/** Records kept for another try at most (about 10 MB); beyond, the oldest is lost and counted. */
const MAX_UNSENT = 10000;
const RESEND_MS = 2000;

export const AUDIT_SEND_METRICS = {
	sent: { name: "bizops.audit.records.sent.total", description: "Audit records this node handed to the audit channel" },
	unsent: { name: "bizops.audit.records.unsent", description: "Audit records the channel refused, waiting on this node to be sent again" },
	lost: { name: "bizops.audit.records.lost.total", description: "Audit records this node could never send (buffer full, or stopped while the channel refused)" },
} as const;

/**
 * What an emitted event concerns, as its contract (contracts/) declares; null when it is not recorded (a
 * read, a broadcast signal, Moleculer's own, cache cleaning, the embedded channel transport). An event no
 * contract declares cannot be emitted through lib/contract-calls.ts; should one arrive anyway (a plugin,
 * an older node) it is recorded all the same, under its name with no id, rather than lost.
 */
export function subjectOf(eventName: string, payload: unknown): Pick<AuditRecord, "entity" | "company_id" | "domain"> | null {
	if (eventName.startsWith("$") || eventName.startsWith("cache.clean.") || eventName.startsWith(CHANNEL_TRANSPORT_PREFIX)) return null;
	const contract = EVENTS.get(eventName);
	if (contract && !contract.subject) return null;
	if (!contract?.subject) return { entity: { type: eventName, id: null }, company_id: null, domain: null };
	const s = contract.subject;
	// a payload not of its contract's shape (a node of an older release, during a rolling upgrade) is still
	// recorded, with what could be read: the audit never throws into the action that emitted
	const read = (fn: ((p: unknown) => unknown) | undefined) => {
		try {
			const v = fn?.(payload);
			return v == null || v === "" ? null : String(v);
		} catch {
			return null;
		}
	};
	return { entity: { type: s.entity, id: read(s.id) }, company_id: read(s.company), domain: read(s.domain) };
}

function actorOf(ctx: Context<unknown, AuthMeta> | undefined, payload: unknown): AuditActor | null {
	const user = ctx?.meta?.user ?? ((payload as { actor?: AuditActor } | null)?.actor as AuditActor | undefined);
	return user ? { id: String(user.id), username: String(user.username), role: String(user.role) } : null;
}

export function AuditMiddleware(): Middleware {
	let broker: ServiceBroker;
	/** Sends of the records of events an action's context emitted: the action answers once they are done. */
	const sending = new WeakMap<Context, Array<Promise<void>>>();
	const unsent: AuditRecord[] = [];
	let resendTimer: NodeJS.Timeout | undefined;
	const metrics = () => (broker.isMetricsEnabled() ? broker.metrics : null);

	const keepForLater = (record: AuditRecord, err: Error) => {
		if (unsent.length >= MAX_UNSENT) {
			unsent.shift();
			metrics()?.increment(AUDIT_SEND_METRICS.lost.name);
			broker.logger.error(`Audit record lost: ${MAX_UNSENT} records are waiting for the audit channel already`);
		}
		if (!unsent.length) broker.logger.warn(`Audit record of ${record.action} not sent (${err.message}): sent again every ${RESEND_MS / 1000} s`);
		unsent.push(record);
		metrics()?.set(AUDIT_SEND_METRICS.unsent.name, unsent.length);
	};

	const send = (record: AuditRecord): Promise<void> =>
		sendToChannel(broker, Audit.channels.events, record).then(
			() => void metrics()?.increment(AUDIT_SEND_METRICS.sent.name),
			err => keepForLater(record, err as Error),
		);

	const resend = async () => {
		while (unsent.length) {
			const record = unsent[0];
			try {
				await sendToChannel(broker, Audit.channels.events, record);
			} catch {
				return; // still refused: the next round
			}
			unsent.shift();
			metrics()?.increment(AUDIT_SEND_METRICS.sent.name);
			metrics()?.set(AUDIT_SEND_METRICS.unsent.name, unsent.length);
		}
	};

	return {
		name: "Audit",
		created(b: ServiceBroker) {
			broker = b;
			if (!broker.isMetricsEnabled()) return;
			// exported at 0 from the start, so an alert has a series before the first record
			broker.metrics.register({ type: "counter", ...AUDIT_SEND_METRICS.sent });
			broker.metrics.register({ type: "gauge", ...AUDIT_SEND_METRICS.unsent });
			broker.metrics.register({ type: "counter", ...AUDIT_SEND_METRICS.lost });
			broker.metrics.increment(AUDIT_SEND_METRICS.sent.name, undefined, 0);
			broker.metrics.set(AUDIT_SEND_METRICS.unsent.name, 0);
			broker.metrics.increment(AUDIT_SEND_METRICS.lost.name, undefined, 0);
		},
		started() {
			resendTimer = setInterval(() => void resend(), RESEND_MS);
			resendTimer.unref();
		},
		async stopping() {
			clearInterval(resendTimer);
			await resend();
			if (unsent.length) {
				broker.logger.error(`${unsent.length} audit records could not be sent before the stop: lost`);
				metrics()?.increment(AUDIT_SEND_METRICS.lost.name, undefined, unsent.length);
			}
		},
		emit(next: (eventName: string, payload: unknown, opts?: { parentCtx?: Context }) => Promise<void>) {
			return (eventName: string, payload: unknown, opts?: { parentCtx?: Context<unknown, AuthMeta> }) => {
				const emitted = next(eventName, payload, opts);
				const subject = subjectOf(eventName, payload);
				if (subject) {
					const ctx = opts?.parentCtx;
					const record: AuditRecord = {
						event_id: randomUUID(),
						action: eventName,
						actor: actorOf(ctx, payload),
						request_id: ctx?.requestID ?? null,
						at: new Date().toISOString(),
						payload: payload ?? null,
						...subject,
					};
					const sent = send(record);
					if (ctx) {
						const pending = sending.get(ctx);
						if (pending) pending.push(sent);
						else sending.set(ctx, [sent]);
					}
				}
				return emitted;
			};
		},
		localAction(next: (ctx: Context) => Promise<unknown>) {
			// one link on the handler's promise, not an async function's three: every call pays for it
			const settled = async (ctx: Context, pending: Array<Promise<unknown>>) => {
				sending.delete(ctx);
				await Promise.all(pending);
			};
			const started = (ctx: Context): Promise<unknown> => {
				// an inner middleware may throw rather than reject: a caller is always handed a promise
				try {
					return next(ctx);
				} catch (err) {
					return Promise.reject(err);
				}
			};
			return (ctx: Context) =>
				started(ctx).then(
					result => {
						const pending = sending.get(ctx);
						return pending ? settled(ctx, pending).then(() => result) : result;
					},
					err => {
						const pending = sending.get(ctx);
						if (!pending) throw err;
						return settled(ctx, pending).then(() => Promise.reject(err));
					},
				);
		},
	} as unknown as Middleware;
}
