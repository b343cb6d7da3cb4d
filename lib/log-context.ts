/**
 * The request a log line is written for (docs/operations.md, "Logs"): a middleware runs every action and event
 * handler inside its request's fields, and the JSON logger adds them to each line written meanwhile, so one
 * request's lines can be followed across every service it reached (the gateway's request id travels with the
 * calls and events it causes, node to node).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context } from "moleculer";

export type LogFields = Record<string, string>;

export const logContext = new AsyncLocalStorage<LogFields>();

/** The ECS fields of a call or event: its request id (also the trace's id), what ran, and who asked. */
export function logFieldsOf(ctx: Context, name: string): LogFields {
	const fields: LogFields = { "event.action": name };
	if (ctx.requestID) {
		fields["http.request.id"] = ctx.requestID;
		fields["trace.id"] = ctx.requestID;
	}
	const user = (ctx.meta as { user?: { username?: string } } | undefined)?.user;
	if (user?.username) fields["user.name"] = user.username;
	return fields;
}
