/**
 * The platform's log: Moleculer's console logger, with the lines an operator does not read at `info` left out —
 * the start-up chatter of the framework and its libraries (each service "registered" and "started", the
 * gateway's route table, the channel adapter's settings). What stays at `info` is one line per thing an operator
 * cares about: the node starting and listening, the platform started, an import, a training job or a model
 * moved to production, and every warning and error. `LOG_LEVEL=debug` shows everything.
 */
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
	/^Service '.*' started\.$/,
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
		if (!handler || !this.quiet) return handler;
		return (type: string, args: unknown[]) => {
			if ((type === "info" || type === "debug") && typeof args[0] === "string" && NOISE_AT_INFO.some(re => re.test(args[0] as string))) return;
			handler(type, args);
		};
	}
}

/** The logger of a node at `level`: quiet about the framework's chatter at info and above. */
export function platformLogger(level: string, colors: boolean): PlatformLogger {
	return new PlatformLogger(level !== "debug" && level !== "trace", { level, formatter: "short", colors });
}
