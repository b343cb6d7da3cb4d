/**
 * moleculer-runner, with one change: config/ already maps the environment onto structured broker options
 * (DESIGN §7), and the stock runner's blanket overwrite would replace them with bare strings (e.g.
 * TRACING_EXPORTER=jaeger would drop the Jaeger host). Everything else (SERVICES, SERVICEDIR, --repl,
 * --hot, --instances) is moleculer-runner's own.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Runner } = require("moleculer");

class BizopsRunner extends Runner {
	overwriteFromEnv(options: Record<string, unknown>) {
		return options;
	}
}

new BizopsRunner().start(process.argv);
