/**
 * Runs every action and event handler inside its request's log fields (lib/log-context.ts), and logs at `debug`
 * each call's outcome and duration (logger `access`): an access log of every service. On when
 * the logs are JSON (LOG_FORMAT=json): text logs carry no fields.
 */
import type { Context, Logger, Middleware, ServiceBroker } from "moleculer";
import { logContext, logFieldsOf } from "../lib/log-context";

type Handler = (ctx: Context) => Promise<unknown>;

export function LogContextMiddleware(): Middleware {
	let access: Logger;
	const wrap = (handler: Handler, name: string, service?: { logger?: Logger }): Handler =>
		function (this: unknown, ctx: Context) {
			// the service's own logger: the line names the service that ran
			const log = service?.logger ?? access;
			return logContext.run(logFieldsOf(ctx, name), async () => {
				const started = process.hrtime.bigint();
				try {
					const result = await handler.call(this, ctx);
					log.debug(`${name} ok ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
					return result;
				} catch (err) {
					log.debug(`${name} failed ${Number(process.hrtime.bigint() - started) / 1e6} ms: ${(err as Error).message}`);
					throw err;
				}
			});
		};
	return {
		name: "LogContext",
		created(broker: ServiceBroker) {
			access = broker.getLogger("access");
		},
		localAction(handler: Handler, action: { name: string; service?: { logger?: Logger } }) {
			return wrap(handler, action.name, action.service);
		},
		localEvent(handler: Handler, event: { name: string; service?: { logger?: Logger } }) {
			return wrap(handler, event.name, event.service);
		},
	} as unknown as Middleware;
}
