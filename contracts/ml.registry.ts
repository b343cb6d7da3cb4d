/** ml.registry (services/ml.registry.service.ts): models, their versions and artifacts, and the aliases (data sets: ml.datasets). */
import type { Readable } from "node:stream";
import type { Page } from "../models/common";
import type { DriftReference } from "../domains/ml/drift";
import type { Hyperparameters, ModelType, TrainingProgress } from "../domains/ml/model-types";
import type { FeaturePipeline, MissingValueHandling } from "../domains/ml/pipeline";
import type { TrainingResult, VersionMetrics } from "../domains/ml/training";
import type { Entity } from "../models/common";
import type { Gates, MlAlias } from "../models/ml";
import { action, channel, event, signal } from "./contract";

export interface MlModel extends Entity {
	name: string;
	domain: string;
	model_type: ModelType;
	description?: string;
	configuration: {
		hyperparameters?: Hyperparameters;
		gates?: Gates;
		features?: string[];
		threshold?: number;
		/** What a missing value tells the model (domains/ml/pipeline.ts); informative when absent. */
		missing_values?: MissingValueHandling;
		/** The share of its inputs a row must give to be scored (domains/ml/coverage.ts); from training when absent. */
		min_input_coverage?: number;
	};
	status: "active" | "archived";
	aliases: { production: number | null; staging: number | null };
	/** The production version before the current one: what a rollback returns to. */
	previous_production: number | null;
	latest_version: number;
	created_by: string;
}

export interface ModelVersion extends Entity {
	model_id: string;
	version: number;
	model_type: ModelType;
	features: string[];
	label: string;
	classes: [string, string];
	dataset_id: string;
	dataset_sha256: string;
	hyperparameters: Hyperparameters;
	pipeline: FeaturePipeline;
	threshold: number;
	metrics: VersionMetrics;
	split: TrainingResult["split"];
	drift_reference: Record<string, DriftReference>;
	/** The share of missing values among its training rows' inputs (absent on versions before it was recorded: 0). */
	training_missing_share?: number;
	artifacts: Array<{ name: string; sha256: string; size_bytes: number }>;
	deployment_status: "none" | "staging" | "production" | "retired";
	/** The gates it was below when it went to staging (staging takes it with a warning; production would not). */
	gate_warnings?: string[];
	history: TrainingProgress[];
	job_id?: string;
	created_by: string;
}

export interface AliasTransition extends Entity {
	model_id: string;
	alias: MlAlias;
	action: "deploy" | "rollback" | "undeploy";
	from_version: number | null;
	to_version: number | null;
	actor: string;
	reason: string;
	forced: boolean;
	/** What a staging deploy was warned of: the gates the version is below. */
	warnings?: string[];
	at: string;
	/** Outbox: when the channel took the message (null until then). */
	published_at: string | null;
}

/** A version as the API answers it: its pipeline, drift reference and training history only when asked for in full. */
export type ModelVersionView = Omit<ModelVersion, "pipeline" | "drift_reference" | "history"> & Partial<Pick<ModelVersion, "pipeline" | "drift_reference" | "history">>;

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
	},
} as const;

export const ML_ALIASES_RESYNC_MS = 5000;
