/**
 * Typed service and mixin definitions: `this` in actions, methods, events, channels and lifecycle handlers
 * is inferred from the definition itself (its settings, its methods, its mixins' members), so no service
 * writes an interface repeating its own methods.
 *
 *   export default defineService<{ locks: KeyedLock }>()({
 *   	name: "notes",
 *   	mixins: [createDbMixin("notes"), createCompanyScopedMixin("notes")],
 *   	methods: { … },
 *   	actions: { get: { handler(ctx) { return this.ownedEntity(ctx, ctx.params.id, "Note") } } },
 *   	created() { this.locks = new KeyedLock(); },
 *   });
 *
 * The type argument declares the fields a service sets on itself (in `created`/`started`); leave it out when
 * there are none. Write `methods` before the actions, events and lifecycle handlers: TypeScript infers the
 * methods' types in source order, and a handler checked first would see none of them. A mixin built with
 * `defineMixin` carries the members it adds, and states the members it needs from the service that uses it
 * (e.g. the company-scoped mixin needs the db mixin's).
 */
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { AnyChannel, AnyEvent, ChannelName, Moleculer } from "../contracts";
import type { MessageOf, PayloadOf } from "../contracts/contract";

declare const MEMBERS: unique symbol;

/** A partial schema to mix into a service, carrying (in its type only) the members it adds to `this`. */
export type Mixin<TMembers = unknown> = Partial<ServiceSchema> & { readonly [MEMBERS]?: TMembers };

/** The members a mixin adds (none known for an untyped schema such as moleculer-web's). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type MembersOf<T> = T extends { readonly [MEMBERS]?: infer M } ? (unknown extends M ? {} : M) : {};

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type MixinsMembers<TMixins extends readonly unknown[]> = UnionToIntersection<MembersOf<TMixins[number]>>;

/** A durable channel handler (@moleculer/channels, lib/channels.ts), its message typed by the channel's contract. */
export interface ChannelSchema<TThis, TMessage = never> {
	group?: string;
	maxRetries?: number;
	maxInFlight?: number;
	/** Where the message goes once its handler failed every redelivery (lib/channels.ts DEAD_LETTER_QUEUE when not given). */
	deadLettering?: { enabled: boolean; queueName: string };
	handler(this: TThis, message: TMessage, raw?: unknown): Promise<void>;
}

type MoleculerEvent = (typeof Moleculer.events)[keyof typeof Moleculer.events];
type KnownEvent = AnyEvent | MoleculerEvent;
type EventHandler<TThis, P> = (this: TThis, ctx: Context<P, any>) => unknown;

/** The events a service handles: only those the contracts declare, each handler's payload typed by its contract. */
export type EventHandlers<TThis> = { [N in KnownEvent["name"]]?: EventHandler<TThis, PayloadOf<Extract<KnownEvent, { name: N }>>> } & {
	/** A cache-cleaning event (mixins/cache-cleaner.mixin.ts). */
	[name: `cache.clean.${string}`]: EventHandler<TThis, unknown>;
};

/** The channels a service consumes: only those the contracts declare, each handler's message typed by its contract. */
export type ChannelHandlers<TThis> = { [N in ChannelName]?: ChannelSchema<TThis, MessageOf<Extract<AnyChannel, { name: N }>>> };

/** A service or mixin definition whose `this` is `TThis`. */
export type Definition<TSettings, TMethods, TMixins extends readonly unknown[], TThis> = Omit<
	ServiceSchema<TSettings, TMethods, object, TThis>,
	"mixins" | "methods" | "name" | "events"
> & {
	mixins?: TMixins;
	methods?: TMethods;
	/** Events this service handles (contracts/). */
	events?: EventHandlers<TThis>;
	/** Durable channels this service consumes (contracts/). */
	channels?: ChannelHandlers<TThis>;
} & ThisType<TThis>;

/** `this` inside a service defined with these settings, fields, methods and mixins. */
export type ServiceThis<TSettings, TState, TMethods, TMixins extends readonly unknown[]> = Service<TSettings & ServiceSettingSchema> & TState & TMethods & MixinsMembers<TMixins>;

/** `this` of a service or mixin value defined here (for code outside it that Moleculer calls with it, e.g. route hooks). */
export type ThisOf<T> = Service & MembersOf<T>;

/** Defines a service; `TState` lists the fields it sets on itself. */
export function defineService<TState extends object = object>() {
	return <TSettings extends object = ServiceSettingSchema, TMethods = object, const TMixins extends readonly unknown[] = []>(
		schema: Definition<TSettings, TMethods, TMixins, ServiceThis<TSettings, TState, TMethods, TMixins>> & { name: string },
	): ServiceSchema<TSettings> & Mixin<TState & TMethods & MixinsMembers<TMixins>> =>
		schema as unknown as ServiceSchema<TSettings> & Mixin<TState & TMethods & MixinsMembers<TMixins>>;
}

/**
 * Defines a mixin; `TState` lists the fields it sets, `TRequires` the members it uses from the service it is
 * mixed into.
 */
export function defineMixin<TState extends object = object, TRequires = unknown>() {
	return <TSettings extends object = ServiceSettingSchema, TMethods = object, const TMixins extends readonly unknown[] = []>(
		schema: Definition<TSettings, TMethods, TMixins, ServiceThis<TSettings, TState & TRequires, TMethods, TMixins>>,
	): Mixin<TState & TMethods & MixinsMembers<TMixins>> => schema as unknown as Mixin<TState & TMethods & MixinsMembers<TMixins>>;
}

/**
 * For actions that are not idempotent (creates, logins, token rotation, imports) or whose answer is not
 * (a deletion retried after it succeeded says 404): Moleculer retries a call that timed out or lost its
 * node, and such a call may have done its work already.
 */
export const NOT_RETRIED = { enabled: false } as const;
