/**
 * `this.config`: the configuration of the broker the service runs on (config/index.ts `configOf`), set when the
 * service is created, so no service reads a configuration when its file is imported.
 */
import { configOf, type Config } from "../config";
import { defineMixin } from "../lib/service";

export const ConfiguredMixin = defineMixin<{ config: Config }>()({
	created() {
		this.config = configOf(this.broker);
	},
});
