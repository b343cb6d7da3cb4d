/** Service-schema typing shared by services and mixins: `this` is the Moleculer Service plus the service's own members. */
import type { Service, ServiceSchema, ServiceSettingSchema } from "moleculer";

export type Schema<TThis, TSettings = ServiceSettingSchema & Record<string, any>> = ServiceSchema<
	TSettings,
	Record<string, any>,
	Record<string, any>,
	Service<TSettings> & TThis
> & {
	/** Durable channels this service consumes (@moleculer/channels; lib/channels.ts). */
	channels?: Record<string, { group?: string; maxRetries?: number; handler(this: Service<TSettings> & TThis, payload: any, raw?: unknown): Promise<void> }>;
};

/** A mixin, typed against its own `this` where it is written and as a plain partial schema where it is used. */
export function mixin<TThis>(schema: Partial<Schema<TThis>>): Partial<ServiceSchema> {
	return schema as Partial<ServiceSchema>;
}

/**
 * For actions that are not idempotent (creates, logins, token rotation, imports) or whose answer is not
 * (a deletion retried after it succeeded says 404): Moleculer retries a call that timed out or lost its
 * node, and such a call may have done its work already.
 */
export const NOT_RETRIED = { enabled: false } as const;
