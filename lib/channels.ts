/**
 * Durable channels (@moleculer/channels) for events that must not be lost, such as the cascade of a company's
 * deletion to its statements: delivered at least once, to one node of each consuming group, also to a group
 * that had no node running when the message was sent.
 *
 * Adapter by deployment: NATS JetStream when the transporter is NATS (production); Redis Streams when only
 * the cacher is Redis; in one process (the embedded default) the journaled in-process adapter of
 * lib/embedded-channel-adapter.ts (the same retries and dead-lettering, kept across restarts in DATA_DIR).
 */
import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import path from "node:path";
import { natsCredentials, type Config } from "../config";
import { EmbeddedChannelAdapter } from "./embedded-channel-adapter";
import { journalSealing, loadKeks } from "./keyring";
import { Companies } from "../contracts";
import type { ChannelContract } from "../contracts/contract";
import type { CompanyDataChanged } from "../contracts/companies";
import { sendToChannel } from "./contract-calls";

const { Middleware: ChannelsMiddleware } = require("@moleculer/channels");

/** Where a message goes after its handler failed maxRetries redeliveries, unless its channel names its own queue. */
export const DEAD_LETTER_QUEUE = "DEAD_LETTER";

export function channelAdapterOptions(config: Config): Record<string, unknown> | EmbeddedChannelAdapter {
	const common = { maxRetries: config.channels.max_retries, deadLettering: { enabled: true, queueName: DEAD_LETTER_QUEUE } };
	if (config.transporter && /^nats:\/\//.test(config.transporter)) {
		const connectionOptions = natsCredentials(config) ?? {};
		return { type: "NATS", options: { ...common, nats: { url: config.transporter, connectionOptions } } };
	}
	if (/^rediss?:\/\//.test(config.cacher)) return { type: "Redis", options: { ...common, redis: config.cacher } };
	return new EmbeddedChannelAdapter({
		...common,
		journalDir: path.join(config.data_dir, "channels"),
		// what events carry (names, free text) is in the journal until it is compacted: sealed like the store
		sealing: logger => journalSealing(loadKeks(config, logger)),
		retryBaseMs: config.channels.retry_base_ms,
		retryMaxMs: config.channels.retry_max_ms,
	});
}

interface SubscribingAdapter {
	/** (chan, service): the in-process adapter needs the service too. */
	subscribe(chan: { id: string; name: string; group: string }, ...rest: unknown[]): Promise<void>;
	stopChannelActiveMessages?(channelID: string): void;
}

/** JetStream's answer when two nodes of one group create the group's durable consumer at the same moment. */
const CONSUMER_RACE = /consumer name already in use|consumer already exists|already in use/i;

/**
 * The adapter's subscribe, tried again when it lost the race to create the group's durable consumer against a
 * replica starting at the same moment (k8s starts replicas together): the next attempt finds the consumer and
 * binds to it. Anything else fails at once, as before.
 */
export function retryingSubscribe(adapter: SubscribingAdapter, logger: { warn(msg: string): void }, attempts = 5, baseMs = 100): SubscribingAdapter["subscribe"] {
	const subscribe = adapter.subscribe.bind(adapter);
	return async (chan, ...rest) => {
		for (let attempt = 1; ; attempt++) {
			try {
				return await subscribe(chan, ...rest);
			} catch (err) {
				if (attempt >= attempts || !CONSUMER_RACE.test((err as Error).message ?? "")) throw err;
				logger.warn(`Channel ${chan.name} (group ${chan.group}): ${(err as Error).message}; subscribing again (attempt ${attempt + 1})`);
				// the failed attempt began tracking the channel's messages: start clean
				try {
					adapter.stopChannelActiveMessages?.(chan.id);
				} catch {
					/* not tracked */
				}
				await new Promise(resolve => setTimeout(resolve, baseMs * 2 ** (attempt - 1) * (0.5 + Math.random())));
			}
		}
	};
}

export function createChannelsMiddleware(config: Config) {
	const middleware = ChannelsMiddleware({ adapter: channelAdapterOptions(config) });
	const created = middleware.created;
	let adapter: (SubscribingAdapter & { settle?(): void }) | undefined;
	middleware.created = function (this: unknown, broker: ServiceBroker) {
		created.call(this, broker);
		adapter = (broker as unknown as { channelAdapter?: SubscribingAdapter }).channelAdapter;
		if (adapter?.subscribe) adapter.subscribe = retryingSubscribe(adapter, broker.logger);
	};
	// every local consumer has subscribed: the embedded adapter may forget what all of them handled
	const started = middleware.started;
	middleware.started = async function (this: unknown) {
		await started.call(this);
		adapter?.settle?.();
	};
	return middleware;
}

/**
 * A publisher makes sure its channel's JetStream stream exists, so what it sends is kept even when no
 * consumer has ever started (a consumer's subscription creates it too; both are idempotent). Services call it
 * in `started`, before the channel adapter has connected (it connects once the broker has started): the
 * stream is then created as soon as the adapter is connected.
 */
export async function ensureChannel(broker: ServiceBroker, { name: channel }: ChannelContract): Promise<void> {
	const adapter = (
		broker as unknown as {
			channelAdapter?: { connected?: boolean; addPrefixTopic(n: string): string; createStream?(name: string, subjects: string[]): Promise<unknown> };
		}
	).channelAdapter;
	if (!adapter?.createStream) return;
	const create = async () => {
		const subject = adapter.addPrefixTopic(channel);
		await adapter.createStream!(subject.split(".").join("_"), [subject]);
	};
	if (adapter.connected) return create();
	void (async () => {
		for (let i = 0; i < 300 && !adapter.connected; i++) await new Promise(resolve => setTimeout(resolve, 100));
		if (adapter.connected) await create().catch(err => broker.logger.warn(`Stream of channel ${channel} not created: ${(err as Error).message}`));
	})();
}

/**
 * Tells the consumers of a company's figures that they changed. The write it follows has happened, so a
 * channel that refuses is logged, not thrown: the next change (or an explicit evaluation) catches up.
 */
export async function announceCompanyDataChanged(broker: ServiceBroker, change: CompanyDataChanged): Promise<void> {
	try {
		await sendToChannel(broker, Companies.channels.dataChanged, { change_id: randomUUID(), ...change });
	} catch (err) {
		broker.logger.warn(`Could not announce the change of company ${change.company_id}'s ${change.source}: ${(err as Error).message}`);
	}
}
