/**
 * Emitting, broadcasting, sending to a channel and calling an action, only through the contracts
 * (contracts/): the name comes from the declaration and the payload, params and answer are its types, so a
 * wrong name or a renamed field does not compile. Moleculer's own `emit`/`call` with a string are refused by
 * the lint rule in eslint.config.mjs outside this file.
 */
import type { CallingOptions, Context, ServiceBroker } from "moleculer";
import type { ActionContract, ChannelContract, EventContract } from "../contracts/contract";

/** A context (the event is the caller's: the audit trail records who and which request) or the broker (the platform's own doing). */
type Emitter = Pick<Context, "emit" | "broadcast"> | Pick<ServiceBroker, "emit" | "broadcast">;
export type Caller = Pick<Context, "call"> | Pick<ServiceBroker, "call">;

/** Emits a domain event to one node of each subscribing service (and to the audit trail when the contract records it). */
export function emit<N extends string, P>(from: Emitter, event: EventContract<N, P>, payload: P): Promise<void> {
	return (from.emit as (name: string, payload: unknown) => Promise<void>)(event.name, payload);
}

/** Broadcasts to every node (not recorded in the audit trail: the audit middleware sees emits only). */
export function broadcast<N extends string, P>(from: Emitter, event: EventContract<N, P>, payload: P): Promise<void> {
	return (from.broadcast as (name: string, payload: unknown) => Promise<void>)(event.name, payload);
}

/** Calls an action with its declared params; the answer has its declared type. */
export function call<N extends string, P, A>(from: Caller, action: ActionContract<N, P, A>, params: P, opts?: CallingOptions & { stream?: unknown }): Promise<A> {
	return (from.call as (name: string, params: unknown, opts?: unknown) => Promise<A>)(action.name, params, opts);
}

/** Sends a message on a durable channel (lib/channels.ts): resolves once the channel has it. */
export function sendToChannel<N extends string, P>(broker: ServiceBroker, channel: ChannelContract<N, P>, message: P): Promise<void> {
	return (broker as unknown as { sendToChannel(c: string, p: unknown): Promise<void> }).sendToChannel(channel.name, message);
}
