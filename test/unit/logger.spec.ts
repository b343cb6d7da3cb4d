/**
 * The platform's log (lib/logger.ts): the framework's start-up chatter left out at info, and — with a REPL open
 * in the process — every line written above the prompt, the prompt and what the operator has typed drawn again.
 */
import repl from "node:repl";
import { PassThrough } from "node:stream";
import { keepLogsAbovePrompt, platformLogger } from "../../lib/logger";

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
