/**
 * The platform's log: Moleculer's console logger, with the lines an operator does not read at `info` left out —
 * the start-up chatter of the framework and its libraries (each service "registered" and "started", the
 * gateway's route table, the channel adapter's settings). What stays at `info` is one line per thing an operator
 * cares about: the node starting and listening, the platform started, an import, a training job or a model
 * moved to production, and every warning and error. `LOG_LEVEL=debug` shows everything.
 *
 * `LOG_FORMAT=json` (production's default) writes the same lines as one JSON object each, in the Elastic Common
 * Schema (pino with @elastic/ecs-pino-format): `@timestamp`, `log.level`, `message`, `service.name` (the bizops
 * service, or the framework module), `service.node.name`, `error.*`; and, from the request the line is written
 * for (lib/log-context.ts), `http.request.id`, `trace.id`, `event.action` and `user.name`. Tokens, API keys and
 * passwords in a message are redacted.
 */
import readline from "node:readline";
import type { REPLServer } from "node:repl";
import util from "node:util";
import { ecsFormat } from "@elastic/ecs-pino-format";
import { Loggers, type LogLevels } from "moleculer";
import { pino, type Logger } from "pino";
import { logContext } from "./log-context";

/** What Moleculer tells a logger of the module it logs for. */
interface LoggerBindings {
	nodeID: string;
	ns: string;
	mod: string;
	svc?: string;
}

/** Info lines that are noise for an operator: matched on the message's first argument. */
export const NOISE_AT_INFO: RegExp[] = [
	/^Service '.*' (started|stopped)\.$/,
	/^Transporter: /,
	/^Connecting to the transporter/,
	/^Channel adapter is disconnecting/,
	/^API Gateway stopped!$/,
	/^'.*' service is registered\.$/,
	/^Waiting for service\(s\) /,
	/^Service\(s\) .* are available\.$/,
	/^Registered \d+ middleware\(s\)\.$/,
	/^(Strategy|Discoverer|Cacher|Serializer|Validator|Metric reporter|Metrics):/,
	/^Channel (consumer name|prefix|serializer):/,
	/^Channel adapter is connecting/,
	/^Subscribing to \d+ channels/,
	/^API Gateway server created\.$/,
	/^♻ Generate aliases/,
	/^Register route to /,
	/^ {2,}/, // the route table's lines
	/^$/,
];

const Console = Loggers.Console as unknown as new (opts: object) => { getLogHandler(bindings: LoggerBindings): ((type: string, args: unknown[]) => void) | null };

export class PlatformLogger extends Console {
	constructor(
		private readonly quiet: boolean,
		opts: object,
	) {
		super(opts);
	}

	override getLogHandler(bindings: LoggerBindings) {
		const handler = super.getLogHandler(bindings);
		if (!handler) return handler;
		return (type: string, args: unknown[]) => {
			if (this.quiet && (type === "info" || type === "debug") && typeof args[0] === "string" && NOISE_AT_INFO.some(re => re.test(args[0] as string))) return;
			aboveThePrompt(() => handler(type, args));
		};
	}
}

/** The REPL open in this process, if any, and whether it is running a command. */
let openPrompt: { server: REPLServer; output: NodeJS.WritableStream; busy: boolean } | undefined;

/**
 * Log lines go above the REPL's prompt instead of through it: the prompt line (and what the operator has typed
 * so far) is cleared, the line written, and the prompt drawn again below it. While a command runs there is no
 * prompt to keep, and the line is written as it comes.
 */
export function keepLogsAbovePrompt(server: REPLServer, output: NodeJS.WritableStream = process.stdout): void {
	const prompt = { server, output, busy: false };
	openPrompt = prompt;
	const evaluate = server.eval;
	(server as { eval: REPLServer["eval"] }).eval = (cmd, context, file, done) => {
		prompt.busy = true;
		// as many arguments as the evaluator gave: the REPL prints a result only when there are two
		evaluate.call(server, cmd, context, file, ((...args: Parameters<typeof done>) => {
			prompt.busy = false;
			(done as (...a: unknown[]) => void)(...args);
		}) as typeof done);
	};
	server.on("exit", () => {
		if (openPrompt === prompt) openPrompt = undefined;
	});
}

function aboveThePrompt(write: () => void): void {
	const prompt = openPrompt;
	if (!prompt || prompt.busy || !prompt.server.terminal) return write();
	readline.clearLine(prompt.output, 0);
	readline.cursorTo(prompt.output, 0);
	write();
	prompt.server.prompt(true);
}

/** What a message must never carry into a log: bearer tokens, API keys, passwords and secrets given as fields. */
const SECRETS: Array<[RegExp, string]> = [
	[/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, "$1 [redacted]"],
	[/\bbzk\.[A-Za-z0-9]+\.[A-Za-z0-9_-]+/g, "bzk.[redacted]"],
	[/(["']?\b(?:password|passwd|secret|token|refresh_token|api_key|apikey)\b["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s,;&}]+)/gi, "$1[redacted]"],
];
export const redactSecrets = (text: string): string => SECRETS.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

/** One log call of Moleculer's (a message and values, an error among them) as one ECS line. */
function writeEcs(logger: Logger, type: (typeof LEVELS)[number], args: unknown[]): void {
	const err = args.find(a => a instanceof Error) as Error | undefined;
	const parts = args.filter(a => a !== err).map(a => (typeof a === "string" ? a : util.inspect(a, { depth: 4, breakLength: Infinity })));
	const message = redactSecrets(parts.join(" ") || (err?.message ?? ""));
	if (err) logger[type]({ err }, message);
	else logger[type](message);
}

let warningsLogged = false;
/**
 * Node's process warnings (a library's deprecation notice) as log lines of this format, not free text on stderr: a
 * log shipper reading JSON would drop them otherwise.
 */
function logProcessWarnings(root: Logger): void {
	if (warningsLogged) return;
	warningsLogged = true;
	process.emitWarning = ((warning: string | Error, type?: unknown, code?: unknown) => {
		const name = typeof type === "string" ? type : typeof type === "object" && type && "type" in type ? String((type as { type: unknown }).type) : "Warning";
		const message = typeof warning === "string" ? warning : warning.message;
		root.warn({ "log.logger": "process", "event.code": typeof code === "string" ? code : undefined }, redactSecrets(`${name}: ${message}`));
	}) as typeof process.emitWarning;
}

/** Moleculer's Pino logger writing ECS JSON lines, each with the fields of the request it is written for. */
function ecsLogger(level: string, quiet: boolean, fields: { environment: string; version: string }, destination?: NodeJS.WritableStream) {
	const root = pino(
		{
			...ecsFormat({ convertErr: true, apmIntegration: false }),
			level,
			base: { "service.environment": fields.environment, "service.version": fields.version, "process.pid": process.pid },
			mixin: () => logContext.getStore() ?? {},
		},
		destination ?? pino.destination({ dest: 1, sync: true }),
	);
	if (!destination) logProcessWarnings(root);
	return new Loggers.Pino({
		level: level as LogLevels,
		createLogger(childLevel: string, bindings: LoggerBindings) {
			const logger = root.child({ "service.name": bindings.svc ?? bindings.mod, "log.logger": bindings.mod, "service.node.name": bindings.nodeID }, { level: childLevel });
			return Object.fromEntries(
				LEVELS.map(type => [
					type,
					(...args: unknown[]) => {
						if (quiet && (type === "info" || type === "debug") && typeof args[0] === "string" && NOISE_AT_INFO.some(re => re.test(args[0] as string))) return;
						writeEcs(logger, type, args);
					},
				]),
			);
		},
	});
}

/**
 * The logger of a node at `level`: quiet about the framework's chatter at info and above; text for a terminal, or
 * ECS JSON lines (`format: "json"`) written to `destination` (stdout).
 */
export function platformLogger(
	level: string,
	colors: boolean,
	format: "text" | "json" = "text",
	fields: { environment: string; version: string } = { environment: "development", version: "" },
	destination?: NodeJS.WritableStream,
) {
	const quiet = level !== "debug" && level !== "trace";
	return format === "json" ? ecsLogger(level, quiet, fields, destination) : new PlatformLogger(quiet, { level, formatter: "short", colors });
}
