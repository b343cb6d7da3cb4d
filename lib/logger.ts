/**
 * The platform's log: Moleculer's console logger, with the lines an operator does not read at `info` left out —
 * the start-up chatter of the framework and its libraries (each service "registered" and "started", the
 * gateway's route table, the channel adapter's settings). What stays at `info` is one line per thing an operator
 * cares about: the node starting and listening, the platform started, an import, a training job or a model
 * moved to production, and every warning and error. `LOG_LEVEL=debug` shows everything.
 */
import readline from "node:readline";
import type { REPLServer } from "node:repl";
import { Loggers } from "moleculer";

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

/** The logger of a node at `level`: quiet about the framework's chatter at info and above. */
export function platformLogger(level: string, colors: boolean): PlatformLogger {
	return new PlatformLogger(level !== "debug" && level !== "trace", { level, formatter: "short", colors });
}
