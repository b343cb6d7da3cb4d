/** ml.registry (services/ml.registry.service.ts): data sets, models, versions, their artifacts and aliases. */
import type { Readable } from "node:stream";
import type { Page } from "../models/common";
import type { Dataset, Gates, MlAlias, MlModel, ModelVersion } from "../models/ml";
import { action, channel, event, signal } from "./contract";

/** An ML event's domain is its model's (or data set's): who besides a super_admin may read the entry. */
const ofModel = { entity: "ml.model", id: (p: { model_id: string }) => p.model_id, domain: (p: { domain: string }) => p.domain };

/** A model's production or staging alias moved (deploy, rollback), with the transition that moved it. */
export interface MlAliasChanged {
	model_id: string;
	alias: "production" | "staging";
	version: number | null;
	previous_version: number | null;
	transition_id: string;
}

export const MlRegistry = {
	events: {
		datasetCreated: event<{ id: string; name: string; domain: string; by: string }>()("ml.dataset.created", { entity: "ml.dataset", id: p => p.id, domain: p => p.domain }),
		modelCreated: event<{ id: string; name: string; domain: string; by: string }>()("ml.model.created", { entity: "ml.model", id: p => p.id, domain: p => p.domain }),
		modelUpdated: event<{
			id: string;
			domain: string;
			changed: string[];
			gates?: { before: Gates; after: Gates };
			status?: { before: MlModel["status"]; after: MlModel["status"] };
			by: string;
		}>()("ml.model.updated", { entity: "ml.model", id: p => p.id, domain: p => p.domain }),
		versionCreated: event<{ model_id: string; domain: string; version: number; metrics: unknown }>()("ml.version.created", { ...ofModel, entity: "ml.version" }),
		modelDeployed: event<{ model_id: string; domain: string; alias: MlAlias; version: number; by: string; forced: boolean; warnings?: string[] }>()(
			"ml.model.deployed",
			ofModel,
		),
		modelRolledBack: event<{ model_id: string; domain: string; version: number | null; from: number | null; by: string }>()("ml.model.rolled_back", ofModel),
		/**
		 * The same change as the alias channel's message, broadcast so every prediction node switches at once (not
		 * recorded: the deploy or rollback is); prediction nodes re-read the aliases every ML_ALIASES_RESYNC_MS in
		 * case one was lost.
		 */
		aliasesChanged: signal<MlAliasChanged>()("ml.aliases.changed"),
	},
	channels: {
		/** Sent from the registry's outbox (each transition is stored first and re-sent until the channel takes it). */
		aliasChanged: channel<MlAliasChanged>()("ml.model.alias-changed"),
	},
	actions: {
		get: action<{ id: string }, MlModel>()("ml.registry.get"),
		list: action<{ name?: string; domain?: string; page?: number; page_size?: number }, Page<MlModel>>()("ml.registry.list"),
		create: action<Pick<MlModel, "name" | "model_type"> & Partial<Pick<MlModel, "domain" | "description" | "configuration">>, MlModel>()("ml.registry.create"),
		update: action<{ id: string; description?: string; configuration?: MlModel["configuration"]; status?: MlModel["status"] }, MlModel>()("ml.registry.update"),
		getVersion: action<{ id: string; version: number }, ModelVersion>()("ml.registry.getVersion"),
		/** The version's training result arrives as the call's stream, its model's id in `meta.model_id`. */
		createVersion: action<Record<string, never>, ModelVersion>()("ml.registry.createVersion"),
		/** What a prediction or evaluation node needs to serve a version: everything but the artifact's bytes. */
		servingVersion: action<{ id: string; version: number }, ModelVersion>()("ml.registry.servingVersion"),
		artifact: action<{ id: string; version: number }, Readable>()("ml.registry.artifact"),
		aliases: action<Record<string, never>, Array<Pick<MlModel, "id" | "name" | "domain" | "aliases" | "previous_production">>>()("ml.registry.aliases"),
		deploy: action<{ id: string; version: number; alias: MlAlias; reason?: string; force?: boolean }, unknown>()("ml.registry.deploy"),
		getDataset: action<{ id: string }, Dataset>()("ml.registry.getDataset"),
		listDatasets: action<{ name?: string; page?: number; page_size?: number }, Page<Dataset>>()("ml.registry.listDatasets"),
		datasetContent: action<{ id: string }, Readable>()("ml.registry.datasetContent"),
	},
} as const;

export const ML_ALIASES_RESYNC_MS = 5000;
