/**
 * What crosses between services, declared once (docs/architecture.md, "Contracts"): every event with its
 * payload and what it concerns, every durable channel with its message, every action another service calls
 * with its params and answer. lib/contract-calls.ts sends and calls only through these declarations, and the
 * service kit (lib/service.ts) types the handlers from them, so a wrong name or a renamed field is a compile
 * error rather than a message nobody reads.
 */

/** What an audited event concerns: read by the audit middleware (middlewares/audit.middleware.ts), never guessed. */
export interface EventSubject<P> {
	/** The entity type, as the trail's `entity.type` (and `?entity_type=`) names it. */
	entity: string;
	/** The entity's id (`entity.id`): every entry names something. */
	id(payload: P): string | number | null | undefined;
	/** The company the event concerns: who besides a super_admin may read the entry is decided by its domain. */
	company?(payload: P): string | null | undefined;
	/** The domain (industry; an ML model's domain) when the payload says it; otherwise the audit service looks up the company's. */
	domain?(payload: P): string | null | undefined;
}

/** An event: its name and payload type, and what it concerns when the audit trail records it. */
export interface EventContract<N extends string = string, P = unknown> {
	readonly name: N;
	/** Recorded in the audit trail (`ctx.emit` of a domain event); null for reads and for node-to-node broadcasts. */
	readonly subject: EventSubject<P> | null;
	/** Type only: the payload. */
	readonly payload?: P;
}

/** A durable channel (lib/channels.ts) and its message. */
export interface ChannelContract<N extends string = string, P = unknown> {
	readonly name: N;
	/** Type only: the message. */
	readonly message?: P;
}

/** An action other services (or the REPL) call, with its params and answer. */
export interface ActionContract<N extends string = string, P = unknown, A = unknown> {
	readonly name: N;
	/** Type only. */
	readonly params?: P;
	/** Type only. */
	readonly answer?: A;
}

export type PayloadOf<E> = E extends EventContract<string, infer P> ? P : never;
export type MessageOf<C> = C extends ChannelContract<string, infer P> ? P : never;
export type ParamsOf<A> = A extends ActionContract<string, infer P, unknown> ? P : never;
export type AnswerOf<A> = A extends ActionContract<string, unknown, infer R> ? R : never;

/** `event<Payload>()(name, subject)`: a domain event the audit trail records. */
export function event<P>() {
	return <const N extends string>(name: N, subject: EventSubject<P>): EventContract<N, P> => ({ name, subject });
}

/** `signal<Payload>()(name)`: an event that is not recorded (a read, or a broadcast telling nodes to refresh). */
export function signal<P>() {
	return <const N extends string>(name: N): EventContract<N, P> => ({ name, subject: null });
}

export function channel<P>() {
	return <const N extends string>(name: N): ChannelContract<N, P> => ({ name });
}

export function action<P, A>() {
	return <const N extends string>(name: N): ActionContract<N, P, A> => ({ name });
}
