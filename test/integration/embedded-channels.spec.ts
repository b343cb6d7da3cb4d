/**
 * The embedded default's durable channels (lib/embedded-channel-adapter.ts) on a real broker: a busy consumer's
 * messages wait instead of being refused; a failing handler is redelivered with backoff, then dead-lettered to a
 * queue that is kept; what a process had not handled when it died is delivered on the next start; the journal
 * is rewritten to what is pending.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { EmbeddedChannelAdapter } from "../../lib/embedded-channel-adapter";

const { Middleware: ChannelsMiddleware } = require("@moleculer/channels");

const brokers: ServiceBroker[] = [];
afterEach(async () => {
	await Promise.all(brokers.splice(0).map(b => b.stop().catch(() => undefined)));
});

function tempDir(): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), "bizops-channels-"));
}

async function startBroker(journalDir: string | null, services: ServiceSchema[], opts: { maxRetries?: number; bulkhead?: boolean } = {}) {
	const adapter = new EmbeddedChannelAdapter({
		journalDir,
		maxRetries: opts.maxRetries ?? 3,
		retryBaseMs: 2,
		retryMaxMs: 10,
		deadLettering: { enabled: true, queueName: "DEAD_LETTER" },
	});
	const middleware = ChannelsMiddleware({ adapter });
	const started = middleware.started;
	middleware.started = async function (this: unknown) {
		await started.call(this);
		adapter.settle();
	};
	const broker = new ServiceBroker({
		logger: false,
		nodeID: `channels-${Math.random().toString(36).slice(2, 8)}`,
		// the broker's bulkhead with a tiny queue: the Fake adapter's messages were refused by it
		bulkhead: { enabled: opts.bulkhead ?? true, concurrency: 1, maxQueueSize: 1 },
		middlewares: [middleware],
	});
	for (const s of services) broker.createService(s);
	await broker.start();
	brokers.push(broker);
	return {
		broker,
		adapter,
		send: (channel: string, payload: unknown) => (broker as unknown as { sendToChannel(c: string, p: unknown): Promise<void> }).sendToChannel(channel, payload),
	};
}

const until = async (what: string, ok: () => boolean, ms = 5000) => {
	const deadline = Date.now() + ms;
	while (!ok()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 5));
	}
};

describe("the embedded durable channels", () => {
	it("delivers every message to a slow consumer, one at a time, in order (no bulkhead refuses them)", async () => {
		const seen: number[] = [];
		const { send } = await startBroker(tempDir(), [
			{
				name: "slow",
				channels: { work: { group: "slow", handler: async (p: { n: number }) => void (await new Promise(r => setTimeout(r, 1)), seen.push(p.n)) } },
			} as ServiceSchema,
		]);
		await Promise.all(Array.from({ length: 500 }, (_, n) => send("work", { n })));
		await until("500 handled", () => seen.length === 500);
		expect(seen).toEqual(Array.from({ length: 500 }, (_, n) => n));
	});

	it("each group gets its own copy of every message", async () => {
		const a: unknown[] = [];
		const b: unknown[] = [];
		const { send } = await startBroker(null, [
			{ name: "a", channels: { work: { group: "a", handler: async (p: unknown) => void a.push(p) } } } as ServiceSchema,
			{
				name: "b",
				channels: {
					work: {
						group: "b",
						handler: async (p: { n: number; touched?: boolean }) => {
							p.touched = true; // a consumer changing its payload changes nobody else's
							b.push(p);
						},
					},
				},
			} as ServiceSchema,
		]);
		await send("work", { n: 1 });
		await until("both groups", () => a.length === 1 && b.length === 1);
		expect(a[0]).toEqual({ n: 1 });
	});

	it("redelivers a failing message with backoff, then moves it to the dead-letter queue, which is kept", async () => {
		let attempts = 0;
		const dir = tempDir();
		const { send, adapter } = await startBroker(dir, [
			{
				name: "failing",
				channels: {
					work: {
						group: "failing",
						handler: async () => {
							attempts++;
							throw new Error("always");
						},
					},
				},
			} as ServiceSchema,
		]);
		await send("work", { n: 1 });
		await until("dead-lettered", () => attempts === 4 && adapter.backlog().every(r => r.waiting === 0));
		// nobody consumes the dead-letter queue in this process: it stays for whoever does
		const dead: Array<{ payload: unknown; headers: Record<string, string> }> = [];
		await startBroker(dir, [
			{
				name: "undertaker",
				channels: {
					DEAD_LETTER: {
						group: "undertaker",
						handler: async (payload: unknown, raw: { headers: Record<string, string> }) => void dead.push({ payload, headers: raw.headers }),
					},
				},
			} as ServiceSchema,
		]);
		await until("the dead letter read", () => dead.length === 1);
		expect(dead[0]).toEqual({ payload: { n: 1 }, headers: expect.objectContaining({ "x-original-channel": expect.stringMatching(/work$/), "x-original-group": "failing" }) });
	});

	it("delivers on the next start what a process that died had not handled", async () => {
		const dir = tempDir();
		const first = await startBroker(dir, [{ name: "stuck", channels: { work: { group: "stuck", handler: () => new Promise(() => undefined) } } } as ServiceSchema]);
		await Promise.all([1, 2, 3].map(n => first.send("work", { n })));
		// the process dies: nothing is stopped cleanly, only the journal on disk remains
		brokers.splice(brokers.indexOf(first.broker), 1);

		const seen: number[] = [];
		await startBroker(dir, [{ name: "stuck", channels: { work: { group: "stuck", handler: async (p: { n: number }) => void seen.push(p.n) } } } as ServiceSchema]);
		await until("the three delivered again", () => seen.length === 3);
		expect(seen.sort()).toEqual([1, 2, 3]);
	});

	it("forgets what every group handled: a restart delivers nothing twice, the journal shrinks to what is pending", async () => {
		const dir = tempDir();
		const seen: number[] = [];
		const service = { name: "svc", channels: { work: { group: "svc", handler: async (p: { n: number }) => void seen.push(p.n) } } } as ServiceSchema;
		const first = await startBroker(dir, [service]);
		await Promise.all(Array.from({ length: 50 }, (_, n) => first.send("work", { n })));
		await until("50 handled", () => seen.length === 50);
		await first.broker.stop();
		brokers.splice(brokers.indexOf(first.broker), 1);
		await startBroker(dir, [service]);
		// the restarted adapter rewrites its journal to what is pending: nothing
		await until("the journal compacted", () => fs.readFileSync(path.join(dir, "journal.jsonl"), "utf8") === "");
		expect(seen).toHaveLength(50);
	});

	it("ignores the half-written last line of a process that died while writing it", async () => {
		const dir = tempDir();
		fs.writeFileSync(path.join(dir, "journal.jsonl"), `{"t":"m","id":"m1","c":"work","at":1,"h":{},"p":{"n":1}}\n{"t":"m","id":"m2","c":"wo`);
		const seen: unknown[] = [];
		await startBroker(dir, [{ name: "svc", channels: { work: { group: "svc", handler: async (p: unknown) => void seen.push(p) } } } as ServiceSchema]);
		await until("the whole message delivered", () => seen.length === 1);
		expect(seen).toEqual([{ n: 1 }]);
	});
});
