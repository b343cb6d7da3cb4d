/**
 * Sends every domain event to the audit trail (docs/audit.md): whatever a service emits (`ctx.emit`) goes on,
 * as it would anyway, and is also sent on the durable `audit.events` channel with an event id, the acting
 * principal, the request id and the time, for one `audit` replica to append. No service has to remember to
 * audit. Moleculer's own events (`$…`), cache cleaning, the embedded channel transport (`channels.…`) and
 * events that record reads are left out. The event
 * has happened by then: a channel that refuses is logged, not thrown.
 */
import { randomUUID } from "node:crypto";
import type { Context, Middleware, ServiceBroker } from "moleculer";
import { entityOf, scopeOf, type AuditActor, type AuditRecord } from "../domains/audit/chain";
import { sendToChannel } from "../lib/channels";
import type { AuthMeta } from "../lib/principal";
import { AUDIT_CHANNEL, NOT_AUDITED_EVENTS } from "../models/events";

/** The in-process channel adapter (embedded) carries channel messages as events named `channels.<channel>`. */
const CHANNEL_TRANSPORT_PREFIX = "channels.";

export function isAudited(eventName: string): boolean {
	return !eventName.startsWith("$") && !eventName.startsWith("cache.clean.") && !eventName.startsWith(CHANNEL_TRANSPORT_PREFIX) && !NOT_AUDITED_EVENTS.has(eventName);
}

function actorOf(ctx: Context<unknown, AuthMeta> | undefined, payload: unknown): AuditActor | null {
	const user = ctx?.meta?.user ?? ((payload as { actor?: AuditActor } | null)?.actor as AuditActor | undefined);
	return user ? { id: String(user.id), username: String(user.username), role: String(user.role) } : null;
}

export function AuditMiddleware(): Middleware {
	return {
		name: "Audit",
		emit(this: ServiceBroker, next: (eventName: string, payload: unknown, opts?: { parentCtx?: Context }) => Promise<void>) {
			// an arrow function: `this` stays the broker the hook is called with
			return (eventName: string, payload: unknown, opts?: { parentCtx?: Context<unknown, AuthMeta> }) => {
				const emitted = next(eventName, payload, opts);
				if (isAudited(eventName)) {
					const ctx = opts?.parentCtx;
					const record: AuditRecord = {
						event_id: randomUUID(),
						action: eventName,
						entity: entityOf(eventName, payload),
						actor: actorOf(ctx, payload),
						request_id: ctx?.requestID ?? null,
						at: new Date().toISOString(),
						payload: payload ?? null,
						...scopeOf(eventName, payload),
					};
					sendToChannel(this, AUDIT_CHANNEL, record).catch(err => this.logger.warn(`Audit record of ${eventName} not sent: ${(err as Error).message}`));
				}
				return emitted;
			};
		},
	} as unknown as Middleware;
}
