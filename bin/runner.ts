/**
 * moleculer-runner, with one change: config/ already maps the environment onto structured broker options
 * (docs/configuration.md), and the stock runner's blanket overwrite would replace them with bare strings (e.g.
 * TRACING_EXPORTER=jaeger would drop the Jaeger host). Everything else (SERVICES, SERVICEDIR, --repl,
 * --hot, --instances) is moleculer-runner's own.
 */

const { Runner } = require("moleculer");

class BizopsRunner extends Runner {
	overwriteFromEnv(options: Record<string, unknown>) {
		return options;
	}
}

// SERVICES names services of this code base's services folder (`services/` from the sources, `dist/services/`
// compiled), wherever the runner is started from; the stock runner would look in the current directory.
if (process.env.SERVICES && !process.env.SERVICEDIR) process.env.SERVICEDIR = require("path").resolve(__dirname, "..", "services");

// Run from the TypeScript sources (`npm start`), a SERVICES name means its *.service.ts; the stock runner
// only looks for *.service.js, which is what the compiled code (`npm run start:prod`) has.
if (__filename.endsWith(".ts") && process.env.SERVICES) {
	process.env.SERVICES = process.env.SERVICES.split(",")
		.map(s => s.trim())
		.map(s => (/\.(ts|js)$/.test(s) ? s : `${s}.service.ts`))
		.join(",");
}

new BizopsRunner().start(process.argv);
