/**
 * How the gateway answers what went wrong (docs/api.md, errors): every error in one JSON shape with its HTTP
 * status (lib/http-errors.ts), a known path asked with another method as a 405 naming the ones it has, every
 * 401 with how to authenticate, and every refusal (401, 403, 429) recorded in the audit trail, coalesced per
 * caller, route and window (domains/audit/refusals.ts) so a flood adds a count, not entries.
 */
import type { IncomingMessage, ServerResponse } from "http";
import type { Context } from "moleculer";
import { configOf } from "../config";
import { Gateway } from "../contracts";
import { RefusalCoalescer, type CoalescedRefusal } from "../domains/audit/refusals";
import type { Principal } from "../domains/identity/rbac";
import { emit } from "../lib/contract-calls";
import { methodNotAllowed, wireError, wwwAuthenticate, type WireError } from "../lib/http-errors";
import { defineMixin } from "../lib/service";
import { clientAddress } from "./rate-limit.mixin";

interface ErrorsState {
	/** Refused requests counted per caller, route and window for the audit trail. */
	refusals: RefusalCoalescer;
	refusalsFlush: NodeJS.Timeout;
}

export interface ErrorShaping {
	reformatError(err: unknown, bodyLimit?: string): WireError;
	allowedMethods(req: IncomingMessage): string[];
	auditDenied(req: IncomingMessage, status: number, json: string): void;
}

/**
 * moleculer-web's `onError` for the gateway's settings (a mixin's would be overridden by moleculer-web's
 * own): every error leaves in the docs/api.md shape, with the HTTP status of that shape (see reformatError).
 */
export function answerError(this: ErrorShaping, req: IncomingMessage, res: ServerResponse, err: unknown): void {
	if (res.headersSent) return;
	let status = 500;
	let json = '{"name":"InternalServerError","message":"Internal server error","code":500,"type":"INTERNAL_ERROR"}';
	try {
		const route = (req as { $route?: { opts?: { bodyParsers?: { json?: { limit?: string } } } } }).$route;
		let body = this.reformatError(err, route?.opts?.bodyParsers?.json?.limit);
		// a known path asked with a method it has not: 405 naming the ones it has
		const allow = body.code === 404 ? this.allowedMethods(req) : [];
		if (allow.length && !allow.includes(String(req.method))) {
			res.setHeader("Allow", allow.join(", "));
			body = methodNotAllowed(String(req.method), allow);
		}
		// every 401 says how to authenticate, and which case it is (RFC 6750 §3)
		if (body.code === 401) res.setHeader("WWW-Authenticate", wwwAuthenticate(body.type, body.message));
		json = JSON.stringify(body);
		status = body.code;
		// a 429 from a service (login throttling, a full import queue) says when to come back
		const retryAfter = (body.data as { retry_after?: unknown } | undefined)?.retry_after;
		if (status === 429 && typeof retryAfter === "number" && !res.getHeader("Retry-After")) res.setHeader("Retry-After", retryAfter);
	} catch {
		/* the fallback above */
	}
	if (status === 401 || status === 403 || status === 429) this.auditDenied(req, status, json);
	try {
		res.setHeader("Content-Type", "application/json; charset=utf-8");
		res.writeHead(status);
		res.end(json);
	} catch {
		res.destroy();
	}
}

export const GatewayErrorsMixin = defineMixin<ErrorsState>()({
	methods: {
		/**
		 * A refused request (401, 403, 429) goes to the audit trail: who (when known), what route, from where, why;
		 * coalesced per caller, route and window (domains/audit/refusals.ts) so a flood adds a count, not entries.
		 */
		auditDenied(
			req: IncomingMessage & { $alias?: { fullPath: string }; $ctx?: Context<unknown, { user?: Principal | null }>; $principal?: Principal | null },
			status: number,
			json: string,
		): void {
			try {
				const user = req.$ctx?.meta?.user ?? req.$principal;
				const type = (JSON.parse(json) as { type?: string }).type ?? null;
				const now = this.refusals.record({
					status,
					type,
					method: req.method ?? "",
					route: req.$alias ? req.$alias.fullPath : (req.url ?? "").split("?")[0].slice(0, 200),
					ip: clientAddress(req, configOf(this.broker).http.trust_proxy),
					...(user ? { actor: { id: user.id, username: user.username, role: user.role } } : {}),
				});
				if (now) this.emitRefusals([now]);
			} catch {
				/* auditing never stands in the way of the answer */
			}
		},

		emitRefusals(refusals: CoalescedRefusal[]): void {
			for (const refusal of refusals) void emit(this.broker, Gateway.events.requestDenied, refusal);
		},

		/** The methods the gateway answers on the request's path (none when the path is unknown). */
		allowedMethods(req: IncomingMessage & { parsedUrl?: string }): string[] {
			const url = req.parsedUrl;
			if (!url) return [];
			const aliases = (this as unknown as { aliases?: Array<{ method: string; match(url: string): unknown }> }).aliases ?? [];
			const methods = new Set(aliases.filter(a => a.method !== "*" && a.match(url)).map(a => a.method));
			return [...methods].sort();
		},

		/**
		 * The docs/api.md error shape (lib/http-errors.ts); server faults are logged and described to nobody.
		 * `bodyLimit`: the limit of the route that refused a body (moleculer-web keeps the body parser's error but not its limit).
		 */
		reformatError(err: unknown, bodyLimit?: string): WireError {
			return wireError(err, bodyLimit ?? configOf(this.broker).http.body_limit, fault => {
				try {
					this.logger.error("Request failed:", fault instanceof Error ? `${fault.name}: ${fault.message}\n${fault.stack}` : String(fault));
				} catch {
					/* a fault that cannot even be logged is still answered */
				}
			});
		},
	},

	created() {
		this.refusals = new RefusalCoalescer(configOf(this.broker).audit.refusal_window_ms);
	},

	started() {
		this.refusalsFlush = setInterval(() => this.emitRefusals(this.refusals.flush()), Math.max(250, Math.min(5000, configOf(this.broker).audit.refusal_window_ms / 4)));
		this.refusalsFlush.unref();
	},

	stopped() {
		clearInterval(this.refusalsFlush);
		// the counts of the windows still open (the channel is still connected: services stop before it)
		this.emitRefusals(this.refusals.flush(Date.now(), true));
	},
});
