/**
 * Durable channels (@moleculer/channels) for events that must not be lost, such as the cascade of a company's
 * deletion to its statements: delivered at least once, to one node of each consuming group, also to a group
 * that had no node running when the message was sent.
 *
 * Adapter by deployment: NATS JetStream when the transporter is NATS (production); Redis Streams when only
 * the cacher is Redis; in one process (the embedded default) Moleculer's in-process Fake adapter, where
 * publisher and consumer live and die together.
 */
import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { natsCredentials, type Config } from "../config";
import { COMPANY_DATA_CHANGED_CHANNEL, type CompanyDataChanged } from "../models/events";

const { Middleware: ChannelsMiddleware } = require("@moleculer/channels");

/** Handlers retried this often (redelivered) before the message is parked in the dead-letter queue. */
const MAX_RETRIES = 10;

export function channelAdapterOptions(config: Config): Record<string, unknown> {
	const common = { maxRetries: MAX_RETRIES, deadLettering: { enabled: true, queueName: "DEAD_LETTER" } };
	if (config.transporter && /^nats:\/\//.test(config.transporter)) {
		const connectionOptions = natsCredentials(config) ?? {};
		return { type: "NATS", options: { ...common, nats: { url: config.transporter, connectionOptions } } };
	}
	if (/^rediss?:\/\//.test(config.cacher)) return { type: "Redis", options: { ...common, redis: config.cacher } };
	return { type: "Fake", options: common };
}

export function createChannelsMiddleware(config: Config) {
	return ChannelsMiddleware({ adapter: channelAdapterOptions(config) });
}

/**
 * A publisher makes sure its channel's JetStream stream exists, so what it sends is kept even when no
 * consumer has ever started (a consumer's subscription creates it too; both are idempotent). Services call it
 * in `started`, before the channel adapter has connected (it connects once the broker has started): the
 * stream is then created as soon as the adapter is connected.
 */
export async function ensureChannel(broker: ServiceBroker, channel: string): Promise<void> {
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

/** broker.sendToChannel, typed. */
export function sendToChannel(broker: ServiceBroker, channel: string, payload: unknown): Promise<void> {
	return (broker as unknown as { sendToChannel(c: string, p: unknown): Promise<void> }).sendToChannel(channel, payload);
}

/**
 * Tells the consumers of a company's figures that they changed. The write it follows has happened, so a
 * channel that refuses is logged, not thrown: the next change (or an explicit evaluation) catches up.
 */
export async function announceCompanyDataChanged(broker: ServiceBroker, change: CompanyDataChanged): Promise<void> {
	try {
		await sendToChannel(broker, COMPANY_DATA_CHANGED_CHANNEL, { change_id: randomUUID(), ...change });
	} catch (err) {
		broker.logger.warn(`Could not announce the change of company ${change.company_id}'s ${change.source}: ${(err as Error).message}`);
	}
}
