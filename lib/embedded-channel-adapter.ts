/**
 * The durable channels' adapter of the embedded default (one process, no transporter), in place of
 * @moleculer/channels' Fake adapter, which sends a message as a broker event: the request bulkhead then refuses
 * a consumer that is busy (QueueIsFullError) and the message is gone, a failed handler is never retried, and a
 * process that dies loses whatever was on its way.
 *
 * Here a message is written to a journal (`DATA_DIR/channels/journal.jsonl`) before `sendToChannel` resolves,
 * kept in memory until every group consuming its channel has handled it, delivered to each group at the group's
 * `maxInFlight` (handlers are called directly: no bulkhead stands in the way, a busy consumer's messages wait
 * their turn), redelivered with exponential backoff when the handler fails, and moved to the channel's
 * dead-letter queue after `maxRetries` redeliveries — the semantics of the NATS JetStream adapter production
 * runs. What was not handled when the process stopped or died is delivered again on the next start.
 *
 * Journal lines: `{t:"m", id, c, at, h?, p}` a message, `{t:"a", id, g}` handled by group g, `{t:"d", id, g}`
 * dead-lettered for group g, `{t:"x", id}` done for every group. Rewritten (compacted) to the pending messages
 * when most of it is done with.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ServiceBroker } from "moleculer";
import type { JournalSealing } from "./keyring";
import { writeFileAtomic } from "./atomic-file";

const BaseAdapter: BaseAdapterClass = require("@moleculer/channels/src/adapters/base");
const C: Record<string, string> = require("@moleculer/channels/src/constants");

/** The parts of @moleculer/channels' channel definition this adapter reads. */
export interface Channel {
	id: string;
	name: string;
	group: string;
	maxInFlight?: number | null;
	maxRetries?: number | null;
	deadLettering?: { enabled?: boolean; queueName?: string };
	unsubscribing?: boolean;
	handler(payload: unknown, raw: RawMessage): Promise<unknown>;
}

/** What a handler gets as its second argument (headers carry the context when the channel asks for one). */
export interface RawMessage {
	id: string;
	channel: string;
	headers: Record<string, string>;
	/** How often the message was delivered to this group before. */
	redeliveryCount: number;
}

interface BaseAdapterInstance {
	opts: Record<string, any>;
	broker: ServiceBroker;
	logger: ServiceBroker["logger"];
	connected: boolean;
	init(broker: ServiceBroker, logger: ServiceBroker["logger"]): void;
	metricsIncrement(metric: string, chan: Channel): void;
	initChannelActiveMessages(id: string, toThrow?: boolean): void;
	stopChannelActiveMessages(id: string): void;
	addChannelActiveMessages(id: string, ids: string[]): void;
	removeChannelActiveMessages(id: string, ids: string[]): void;
	addPrefixTopic(name: string): string;
}
type BaseAdapterClass = new (opts?: Record<string, unknown>) => BaseAdapterInstance;

export interface EmbeddedAdapterOptions {
	/** How each message's payload is sealed in the journal (encryption at rest), made when the journal opens; none: as it is. */
	sealing?: (logger: { warn(message: string): void }) => JournalSealing;
	/** Folder of the journal; null keeps messages in memory only (lost with the process). */
	journalDir: string | null;
	maxRetries?: number;
	maxInFlight?: number;
	deadLettering?: { enabled: boolean; queueName: string };
	/** Backoff of redeliveries: base · 2^(n−1) ms, at most max. */
	retryBaseMs?: number;
	retryMaxMs?: number;
	/** Journal lines written since the last rewrite before it is rewritten (when most are done with). */
	compactAfterLines?: number;
}

interface Message {
	id: string;
	channel: string;
	/** The payload's JSON: every delivery parses its own copy, as a transporter would. */
	payload: string;
	headers: Record<string, string>;
	at: number;
	/** Groups that handled it (or gave it up to the dead-letter queue). */
	done: Set<string>;
}

interface Consumer {
	chan: Channel;
	queue: Array<{ message: Message; attempt: number }>;
	inFlight: number;
	stopped: boolean;
	retries: Set<NodeJS.Timeout>;
}

/** Appends lines to the journal, many per write (what arrives while one write runs goes in the next). */
class Journal {
	private fd: number;
	private pending: string[] = [];
	private waiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
	private running: Promise<void> | null = null;
	private compactWith: (() => string[]) | null = null;
	/** Lines written since the file was last rewritten. */
	linesSinceCompaction = 0;

	constructor(readonly file: string) {
		this.fd = fs.openSync(file, "a", 0o600);
	}

	append(line: string): Promise<void> {
		this.pending.push(line);
		const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
		this.running ??= this.drain();
		return done;
	}

	/** Rewrites the file as these lines (what is still pending) at the next turn of the writer. */
	compact(linesNow: () => string[]): void {
		this.compactWith = linesNow;
		this.running ??= this.drain();
	}

	private async drain(): Promise<void> {
		try {
			while (this.pending.length || this.compactWith) {
				if (this.compactWith) {
					const lines = this.compactWith();
					this.compactWith = null;
					await this.rewrite(lines);
					continue;
				}
				const lines = this.pending;
				const waiters = this.waiters;
				this.pending = [];
				this.waiters = [];
				try {
					await write(this.fd, Buffer.from(lines.join("\n") + "\n"));
					this.linesSinceCompaction += lines.length;
					for (const w of waiters) w.resolve();
				} catch (err) {
					for (const w of waiters) w.reject(err as Error);
				}
			}
		} finally {
			this.running = null;
		}
	}

	/** A new file with the given lines, renamed over the old one (a crash leaves one or the other, whole). */
	private async rewrite(lines: string[]): Promise<void> {
		await writeFileAtomic(this.file, lines.length ? lines.join("\n") + "\n" : "");
		fs.closeSync(this.fd);
		this.fd = fs.openSync(this.file, "a", 0o600);
		this.linesSinceCompaction = lines.length;
	}

	async close(): Promise<void> {
		while (this.running) await this.running;
		fs.closeSync(this.fd);
	}
}

function write(fd: number, bytes: Buffer): Promise<void> {
	return new Promise((resolve, reject) => {
		const next = (offset: number) =>
			fs.write(fd, bytes, offset, bytes.length - offset, null, (err, written) => {
				if (err) reject(err);
				else if (offset + written < bytes.length) next(offset + written);
				else resolve();
			});
		next(0);
	});
}

const messageLine = (m: Message, sealing?: JournalSealing) =>
	`{"t":"m","id":${JSON.stringify(m.id)},"c":${JSON.stringify(m.channel)},"at":${m.at},"h":${JSON.stringify(m.headers)},${sealing ? `"s":${JSON.stringify(sealing.seal(m.payload))}` : `"p":${m.payload}`}}`;
const markLine = (t: "a" | "d", id: string, group: string) => `{"t":"${t}","id":${JSON.stringify(id)},"g":${JSON.stringify(group)}}`;

export class EmbeddedChannelAdapter extends BaseAdapter {
	private readonly settings: Required<Omit<EmbeddedAdapterOptions, "deadLettering" | "journalDir" | "sealing">> & { journalDir: string | null };
	private readonly makeSealing?: (logger: { warn(message: string): void }) => JournalSealing;
	private sealing?: JournalSealing;
	/** Messages not yet handled by every group, in the order they were sent. */
	private readonly messages = new Map<string, Message>();
	/** channel name → group → consumer. */
	private readonly consumers = new Map<string, Map<string, Consumer>>();
	private journal: Journal | null = null;
	/** Every service has subscribed (the broker started): from then on a message handled by every subscribed group is done. */
	private settled = false;
	private backlogTimer?: NodeJS.Timeout;

	constructor(opts: EmbeddedAdapterOptions) {
		const { journalDir, retryBaseMs, retryMaxMs, compactAfterLines, sealing, ...base } = opts;
		super(base as Record<string, unknown>);
		this.makeSealing = sealing;
		this.settings = {
			journalDir,
			maxRetries: this.opts.maxRetries,
			maxInFlight: this.opts.maxInFlight,
			retryBaseMs: retryBaseMs ?? 100,
			retryMaxMs: retryMaxMs ?? 5000,
			compactAfterLines: compactAfterLines ?? 20000,
		};
	}

	/** Opens the journal and takes back what it holds unhandled (messages can be sent before the adapter connects). */
	override init(broker: ServiceBroker, logger: ServiceBroker["logger"]): void {
		super.init(broker, logger);
		if (broker.isMetricsEnabled())
			broker.metrics.register({
				type: "gauge",
				name: "bizops.channel.backlog",
				labelNames: ["channel", "group"],
				description: "Messages of a durable channel waiting for or in their group's handler (embedded adapter)",
			});
		const dir = this.settings.journalDir;
		if (!dir) return;
		fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
		this.sealing = this.makeSealing?.(logger);
		const file = path.join(dir, "journal.jsonl");
		if (fs.existsSync(file)) this.replay(fs.readFileSync(file, "utf8"));
		this.journal = new Journal(file);
		// start from a file of what is pending only
		this.journal.compact(() => this.pendingLines());
		if (this.messages.size) logger.info(`Channel journal: ${this.messages.size} messages not yet handled are delivered again`);
	}

	private replay(text: string): void {
		for (const line of text.split("\n")) {
			if (!line) continue;
			let entry: { t: string; id: string; c?: string; at?: number; h?: Record<string, string>; p?: unknown; s?: Parameters<JournalSealing["open"]>[0]; g?: string };
			try {
				entry = JSON.parse(line);
			} catch {
				continue; // the last line of a process that died while writing it
			}
			if (entry.t === "m")
				this.messages.set(entry.id, {
					id: entry.id,
					channel: entry.c!,
					payload: entry.s && this.sealing ? this.sealing.open(entry.s) : JSON.stringify(entry.p ?? null),
					headers: entry.h ?? {},
					at: entry.at ?? 0,
					done: new Set(),
				});
			else if (entry.t === "a" || entry.t === "d") this.messages.get(entry.id)?.done.add(entry.g!);
			else if (entry.t === "x") this.messages.delete(entry.id);
		}
	}

	private pendingLines(): string[] {
		const lines: string[] = [];
		for (const m of this.messages.values()) {
			lines.push(messageLine(m, this.sealing));
			for (const g of m.done) lines.push(markLine("a", m.id, g));
		}
		return lines;
	}

	async connect(): Promise<void> {
		this.connected = true;
		this.backlogTimer = setInterval(() => this.reportBacklog(), 1000);
		this.backlogTimer.unref();
	}

	/** Called once the broker has started: every local consumer has subscribed. */
	settle(): void {
		this.settled = true;
		for (const m of [...this.messages.values()]) this.completeIfDone(m);
	}

	async disconnect(): Promise<void> {
		this.connected = false;
		clearInterval(this.backlogTimer);
		await this.journal?.close();
		this.journal = null;
	}

	async subscribe(chan: Channel): Promise<void> {
		if (chan.maxInFlight == null) chan.maxInFlight = this.settings.maxInFlight;
		if (chan.maxRetries == null) chan.maxRetries = this.settings.maxRetries;
		chan.deadLettering = { ...this.opts.deadLettering, ...chan.deadLettering };
		if (chan.deadLettering!.enabled) chan.deadLettering!.queueName = this.addPrefixTopic(chan.deadLettering!.queueName!);
		let groups = this.consumers.get(chan.name);
		if (!groups) this.consumers.set(chan.name, (groups = new Map()));
		if (groups.has(chan.group)) throw new Error(`Channel ${chan.name} already has a consumer of group ${chan.group} in this process`);
		this.initChannelActiveMessages(chan.id);
		const consumer: Consumer = { chan, queue: [], inFlight: 0, stopped: false, retries: new Set() };
		groups.set(chan.group, consumer);
		for (const m of this.messages.values()) if (m.channel === chan.name && !m.done.has(chan.group)) consumer.queue.push({ message: m, attempt: 0 });
		this.pump(consumer);
	}

	/** Stops delivering to the group; what it has not handled stays pending (delivered again on the next start). */
	async unsubscribe(chan: Channel): Promise<void> {
		const consumer = this.consumers.get(chan.name)?.get(chan.group);
		if (!consumer || consumer.stopped) return;
		consumer.stopped = true;
		for (const t of consumer.retries) clearTimeout(t);
		const deadline = Date.now() + 10000;
		while (consumer.inFlight > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10));
		this.consumers.get(chan.name)?.delete(chan.group);
		try {
			this.stopChannelActiveMessages(chan.id);
		} catch {
			/* a handler still running after the grace period: it was not acknowledged, so it comes again */
		}
	}

	async publish(channelName: string, payload: unknown, opts: { headers?: Record<string, string> } = {}): Promise<void> {
		const message: Message = { id: randomUUID(), channel: channelName, payload: JSON.stringify(payload ?? null), headers: opts.headers ?? {}, at: Date.now(), done: new Set() };
		// kept before anyone is told: what sendToChannel acknowledged survives the process
		await this.journal?.append(messageLine(message, this.sealing));
		this.messages.set(message.id, message);
		for (const consumer of this.consumers.get(channelName)?.values() ?? []) {
			if (consumer.stopped) continue;
			consumer.queue.push({ message, attempt: 0 });
			this.pump(consumer);
		}
	}

	private pump(consumer: Consumer): void {
		while (!consumer.stopped && consumer.inFlight < (consumer.chan.maxInFlight ?? 1) && consumer.queue.length) {
			const item = consumer.queue.shift()!;
			consumer.inFlight++;
			void this.deliver(consumer, item.message, item.attempt).finally(() => {
				consumer.inFlight--;
				this.pump(consumer);
			});
		}
	}

	private async deliver(consumer: Consumer, message: Message, attempt: number): Promise<void> {
		const { chan } = consumer;
		this.addChannelActiveMessages(chan.id, [message.id]);
		try {
			await chan.handler(JSON.parse(message.payload), { id: message.id, channel: chan.name, headers: message.headers, redeliveryCount: attempt });
			this.mark(message, chan.group, "a");
		} catch (err) {
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL, chan);
			if (consumer.stopped) return; // not acknowledged: delivered again on the next start
			if (!chan.maxRetries || attempt >= chan.maxRetries) await this.giveUp(chan, message, attempt, err as Error);
			else this.redeliverLater(consumer, message, attempt + 1);
		} finally {
			this.removeChannelActiveMessages(chan.id, [message.id]);
		}
	}

	private redeliverLater(consumer: Consumer, message: Message, attempt: number): void {
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_RETRIES_TOTAL, consumer.chan);
		const delay = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** (attempt - 1));
		const timer = setTimeout(() => {
			consumer.retries.delete(timer);
			if (consumer.stopped) return;
			consumer.queue.push({ message, attempt });
			this.pump(consumer);
		}, delay);
		consumer.retries.add(timer);
	}

	/** After its last redelivery: to the channel's dead-letter queue (a channel of its own, kept until consumed), or dropped when it has none. */
	private async giveUp(chan: Channel, message: Message, attempt: number, err: Error): Promise<void> {
		if (chan.deadLettering?.enabled) {
			try {
				await this.publish(chan.deadLettering.queueName!, JSON.parse(message.payload), {
					headers: { ...message.headers, [C.HEADER_ORIGINAL_CHANNEL]: chan.name, [C.HEADER_ORIGINAL_GROUP]: chan.group, [C.HEADER_REDELIVERED_COUNT]: String(attempt) },
				});
			} catch (publishErr) {
				// not moved: it stays pending for this group and comes again on the next start
				this.logger.error(
					`Message ${message.id} of ${chan.name} (group ${chan.group}) could not be moved to ${chan.deadLettering.queueName}: ${(publishErr as Error).message}`,
				);
				return;
			}
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL, chan);
			this.logger.warn(`Message ${message.id} of ${chan.name} (group ${chan.group}) failed ${attempt + 1} times (${err.message}): moved to ${chan.deadLettering.queueName}`);
		} else this.logger.error(`Message ${message.id} of ${chan.name} (group ${chan.group}) failed ${attempt + 1} times (${err.message}): dropped (no dead-letter queue)`);
		this.mark(message, chan.group, "d");
	}

	private mark(message: Message, group: string, how: "a" | "d"): void {
		message.done.add(group);
		this.journal?.append(markLine(how, message.id, group)).catch(err => this.logger.warn(`Channel journal: ${(err as Error).message}`));
		this.completeIfDone(message);
	}

	/**
	 * Done once every group now consuming its channel handled it, and at least one did: a message of a channel no
	 * one consumes (a dead-letter queue no service reads) is kept.
	 */
	private completeIfDone(message: Message): void {
		if (!this.settled || !this.messages.has(message.id)) return;
		const groups = this.consumers.get(message.channel);
		if (!groups?.size || !message.done.size) return;
		for (const group of groups.keys()) if (!message.done.has(group)) return;
		this.messages.delete(message.id);
		if (!this.journal) return;
		this.journal.append(`{"t":"x","id":${JSON.stringify(message.id)}}`).catch(err => this.logger.warn(`Channel journal: ${(err as Error).message}`));
		if (this.journal.linesSinceCompaction > this.settings.compactAfterLines && this.messages.size * 8 < this.journal.linesSinceCompaction)
			this.journal.compact(() => this.pendingLines());
	}

	/** Messages waiting for or in each group's handler. */
	backlog(): Array<{ channel: string; group: string; waiting: number }> {
		const rows: Array<{ channel: string; group: string; waiting: number }> = [];
		for (const [channel, groups] of this.consumers) for (const [group, c] of groups) rows.push({ channel, group, waiting: c.queue.length + c.inFlight + c.retries.size });
		return rows;
	}

	private reportBacklog(): void {
		if (!this.broker.isMetricsEnabled()) return;
		for (const row of this.backlog()) this.broker.metrics.set("bizops.channel.backlog", row.waiting, { channel: row.channel, group: row.group });
	}
}
