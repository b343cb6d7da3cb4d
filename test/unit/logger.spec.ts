/**
 * The platform's log (lib/logger.ts): the framework's start-up chatter left out at info, and — with a REPL open
 * in the process — every line written above the prompt, the prompt and what the operator has typed drawn again.
 */
import repl from "node:repl";
import { PassThrough } from "node:stream";
import { keepLogsAbovePrompt, platformLogger, redactSecrets } from "../../lib/logger";
import { logContext } from "../../lib/log-context";

/** A logger's handler for one module, its console output captured. */
function handlerOf(level: string) {
	const logger = platformLogger(level, false);
	(logger as unknown as { init(f: object): void }).init({ broker: { nodeID: "node-1", namespace: "" } });
	return (logger as unknown as { getLogHandler(b: object): (type: string, args: unknown[]) => void }).getLogHandler({ nodeID: "node-1", ns: "", mod: "broker" });
}

describe("the platform's log", () => {
	let printed: string[];
	let spies: jest.SpyInstance[];
	beforeEach(() => {
		printed = [];
		spies = (["log", "warn", "error"] as const).map(m => jest.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.join(" "))));
	});
	afterEach(() => spies.forEach(s => s.mockRestore()));

	it("leaves out the framework's start-up chatter at info, and shows it at debug", () => {
		handlerOf("info")("info", ["Service 'finance' started."]);
		handlerOf("info")("info", ["SEC import for company 1: 3 periods created"]);
		expect(printed).toHaveLength(1);
		expect(printed[0]).toMatch(/SEC import for company 1/);
		handlerOf("debug")("info", ["Service 'finance' started."]);
		expect(printed[1]).toMatch(/Service 'finance' started/);
	});

	it("writes a line above an open REPL's prompt, then draws the prompt and the half-typed command again", async () => {
		const input = new PassThrough();
		const output = new PassThrough();
		let screen = "";
		output.on("data", chunk => (screen += chunk.toString()));
		const server = repl.start({ prompt: "bizops $ ", input, output, terminal: true, eval: (_cmd, _ctx, _file, done) => done(null, undefined) });
		keepLogsAbovePrompt(server, output);
		// the console logger writes through console.log: here, to the REPL's screen
		spies.forEach(s => s.mockImplementation((...a: unknown[]) => void output.write(`${a.join(" ")}\n`)));
		input.write("heal");
		await new Promise(resolve => setImmediate(resolve));
		screen = "";
		handlerOf("info")("warn", ["Model 7 not loaded"]);
		await new Promise(resolve => setImmediate(resolve));
		// cleared line (ESC[2K or ESC[K), back to column 0, the log line, then the prompt with "heal" again
		const logAt = screen.indexOf("Model 7 not loaded");
		expect(logAt).toBeGreaterThan(0);
		const ESC = String.fromCharCode(27);
		expect(screen.slice(0, logAt)).toMatch(new RegExp(`${ESC}\\[2?K`));
		expect(screen.slice(logAt)).toMatch(new RegExp(`\\n(${ESC}\\[\\d*[GJ])*bizops \\$ heal`));
		server.close();
	});
});

describe("JSON logs (LOG_FORMAT=json)", () => {
	/** A JSON logger's handler for one service, its lines captured as parsed objects. */
	function jsonHandlerOf(level: string, svc: string) {
		const out = new PassThrough();
		const lines: Array<Record<string, any>> = [];
		out.on("data", chunk =>
			lines.push(
				...String(chunk)
					.split("\n")
					.filter(Boolean)
					.map(l => JSON.parse(l)),
			),
		);
		const logger = platformLogger(level, false, "json", { environment: "production", version: "1.2.3" }, out);
		(logger as unknown as { init(f: object): void }).init({ broker: { nodeID: "node-1", namespace: "" }, getLogLevel: () => level });
		const handler = (logger as unknown as { getLogHandler(b: object): (type: string, args: unknown[]) => void }).getLogHandler({ nodeID: "node-1", ns: "", mod: svc, svc });
		return { handler, lines };
	}

	it("writes one ECS object per line: timestamp, level, message, service, node, environment, version", async () => {
		const { handler, lines } = jsonHandlerOf("info", "finance");
		handler("warn", ["SEC import for company", 7, { periods: 3 }]);
		await new Promise(resolve => setImmediate(resolve));
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatchObject({
			"log.level": "warn",
			message: "SEC import for company 7 { periods: 3 }",
			"service.name": "finance",
			"service.node.name": "node-1",
			"service.environment": "production",
			"service.version": "1.2.3",
			"ecs.version": expect.any(String),
		});
		expect(Date.parse(lines[0]["@timestamp"])).toBeGreaterThan(0);
	});

	it("carries the request's fields and an error's type, message and stack", async () => {
		const { handler, lines } = jsonHandlerOf("info", "reports");
		logContext.run({ "http.request.id": "req-1", "trace.id": "req-1", "event.action": "reports.create", "user.name": "ana" }, () =>
			handler("error", ["Report failed", new TypeError("no owner")]),
		);
		handler("info", ["outside any request"]);
		await new Promise(resolve => setImmediate(resolve));
		expect(lines[0]).toMatchObject({ "http.request.id": "req-1", "trace.id": "req-1", "event.action": "reports.create", "user.name": "ana", message: "Report failed" });
		expect(lines[0].error).toMatchObject({ type: "TypeError", message: "no owner", stack_trace: expect.stringContaining("TypeError: no owner") });
		expect(lines[1]["http.request.id"]).toBeUndefined();
	});

	it("leaves out the framework's chatter at info, as the text log does", async () => {
		const { handler, lines } = jsonHandlerOf("info", "broker");
		handler("info", ["Service 'finance' started."]);
		await new Promise(resolve => setImmediate(resolve));
		expect(lines).toEqual([]);
	});

	it("redacts bearer tokens, API keys and passwords in messages", () => {
		expect(redactSecrets("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig refused")).toBe("Authorization: Bearer [redacted] refused");
		expect(redactSecrets("key bzk.ab12.s3cr3t-value used")).toBe("key bzk.[redacted] used");
		expect(redactSecrets('{"username":"ana","password":"hunter22"} and token=abc123&x=1')).toBe('{"username":"ana","password":[redacted]} and token=[redacted]&x=1');
		expect(redactSecrets("nothing secret here")).toBe("nothing secret here");
	});
});
