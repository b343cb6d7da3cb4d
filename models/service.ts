/** Service-schema typing shared by services and mixins: `this` is the Moleculer Service plus the service's own members. */
import type { Service, ServiceSchema, ServiceSettingSchema } from "moleculer";

export type Schema<TThis, TSettings = ServiceSettingSchema & Record<string, any>> = ServiceSchema<TSettings, Record<string, any>, Record<string, any>, Service<TSettings> & TThis>;

/** A mixin, typed against its own `this` where it is written and as a plain partial schema where it is used. */
export function mixin<TThis>(schema: Partial<Schema<TThis>>): Partial<ServiceSchema> {
	return schema as Partial<ServiceSchema>;
}
