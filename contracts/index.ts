/**
 * Every service's contract, and the registry the audit middleware and the docs read: which events exist,
 * what each concerns, which channels carry what.
 */
import { Gateway } from "./api";
import { Audit } from "./audit";
import { Auth } from "./auth";
import { Companies } from "./companies";
import { Compliance } from "./compliance";
import type { ChannelContract, EventContract } from "./contract";
import { Domains } from "./domains";
import { Finance } from "./finance";
import { Flags } from "./flags";
import { Integration } from "./integration";
import { MlDatasets } from "./ml.datasets";
import { MlPrediction } from "./ml.prediction";
import { MlRegistry } from "./ml.registry";
import { MlTraining } from "./ml.training";
import { Orchestrator } from "./orchestrator";
import { Reports } from "./reports";
import { Risk } from "./risk";
import { Strategy } from "./strategy";

/** The platform's own events, by service (Moleculer's `$…` events are in ./moleculer.ts). */
export const SERVICE_EVENTS = {
	api: Gateway.events,
	audit: Audit.events,
	auth: Auth.events,
	companies: Companies.events,
	compliance: Compliance.events,
	domains: Domains.events,
	finance: Finance.events,
	flags: Flags.events,
	integration: Integration.events,
	"ml.datasets": MlDatasets.events,
	"ml.prediction": MlPrediction.events,
	"ml.registry": MlRegistry.events,
	"ml.training": MlTraining.events,
	orchestrator: Orchestrator.events,
	reports: Reports.events,
	risk: Risk.events,
	strategy: Strategy.events,
} as const;

export const SERVICE_CHANNELS = {
	audit: Audit.channels,
	companies: Companies.channels,
	"ml.registry": MlRegistry.channels,
} as const;

type Values<T> = T[keyof T];
/** Every platform event contract. */
export type AnyEvent = Values<{ [S in keyof typeof SERVICE_EVENTS]: Values<(typeof SERVICE_EVENTS)[S]> }>;
export type EventName = AnyEvent["name"];
export type AnyChannel = Values<{ [S in keyof typeof SERVICE_CHANNELS]: Values<(typeof SERVICE_CHANNELS)[S]> }>;
export type ChannelName = AnyChannel["name"];

/** Events by name: what the audit middleware reads an event's subject from. */
export const EVENTS: ReadonlyMap<string, EventContract> = new Map(
	Object.values(SERVICE_EVENTS).flatMap(events => Object.values(events as Record<string, EventContract>).map(e => [e.name, e] as const)),
);

export const CHANNELS: ReadonlyMap<string, ChannelContract> = new Map(
	Object.values(SERVICE_CHANNELS).flatMap(channels => Object.values(channels as Record<string, ChannelContract>).map(c => [c.name, c] as const)),
);

export {
	Gateway,
	Audit,
	Auth,
	Companies,
	Compliance,
	Domains,
	Finance,
	Flags,
	Integration,
	MlDatasets,
	MlPrediction,
	MlRegistry,
	MlTraining,
	Orchestrator,
	Reports,
	Risk,
	Strategy,
};
export { Overview } from "./overview";
export { Moleculer, cacheCleanEvent, storeHealthAction } from "./moleculer";
export type { ActionContract, ChannelContract, EventContract, EventSubject, PayloadOf, MessageOf, ParamsOf, AnswerOf } from "./contract";
