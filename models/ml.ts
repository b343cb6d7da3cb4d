/** ML entities (docs/ml.md): data sets, models, versions, training jobs and alias transitions. */
import Validator, { type SyncCheckFunction } from "fastest-validator";
import { MODEL_TYPE_DEFINITIONS } from "../domains/ml/model-types";
import { DATASET_FORMATS, type ColumnSummary, type DatasetFormat } from "../domains/ml/dataset";
import type { DriftReference } from "../domains/ml/drift";
import type { Hyperparameters, ModelType, TrainingProgress } from "../domains/ml/model-types";
import type { FeaturePipeline, MissingValueHandling } from "../domains/ml/pipeline";
import type { TrainingResult, VersionMetrics } from "../domains/ml/training";
import type { Entity } from "./common";

/** A model or data set shared by every domain: visible to all, changed by a super_admin only. */
export const ALL_DOMAINS = "*";
export const ML_ALIASES = ["production", "staging"] as const;

/** A model's or data set's name. */
export const ML_NAME_PARAM = {
	type: "string",
	min: 1,
	max: 100,
	pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
	messages: { stringPattern: "{field}: letters, digits, '.', '_' and '-', starting with a letter or digit" },
} as const;
export const ML_DOMAIN_PARAM = { type: "string", min: 1, max: 64, optional: true } as const;

/** The body of POST /ml/datasets (checked in the worker thread that parses it: lib/worker-tasks.ts). */
export const DATASET_UPLOAD_SCHEMA = {
	$$strict: true,
	name: ML_NAME_PARAM,
	domain: ML_DOMAIN_PARAM,
	format: { type: "enum", values: [...DATASET_FORMATS] },
	label: { type: "string", min: 1, max: 200 },
	positive_class: { type: "string", min: 1, max: 200, optional: true },
	content: { type: "string", min: 0 },
};
export interface DatasetUpload {
	name: string;
	domain?: string;
	format: DatasetFormat;
	label: string;
	positive_class?: string;
}
export type MlAlias = (typeof ML_ALIASES)[number];

/** Metric gates: the least (or, for brier, the most) a version's hold-out metrics must reach to be deployed. */
export const GATE_METRICS = ["roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy", "brier", "reference_positive_share"] as const;
export type Gates = Partial<Record<(typeof GATE_METRICS)[number], number>>;

export interface Dataset extends Entity {
	name: string;
	domain: string;
	format: DatasetFormat;
	label: string;
	positive_class: string;
	classes: [string, string];
	rows: number;
	columns: ColumnSummary[];
	class_balance: Record<string, number>;
	missing_values: Record<string, number>;
	missing_total: number;
	sha256: string;
	size_bytes: number;
	source?: string;
	created_by: string;
}

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

export const JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface TrainingJob extends Entity {
	model_id: string;
	/** The model's domain: quotas and fair scheduling count per domain. */
	domain?: string;
	dataset_id: string;
	/** Seconds of training estimated when the job was queued (domains/ml/cost.ts). */
	estimated_seconds?: number;
	state: JobState;
	hyperparameters: Hyperparameters;
	k_folds?: number;
	seed: number;
	progress: number;
	stage?: string;
	history: Array<TrainingProgress & { stage?: string }>;
	/** The version the job created. */
	version?: number;
	/** Deploy the new version to this alias when it passes the gates (the default model on first start). */
	deploy_to?: MlAlias;
	error?: string;
	attempts: number;
	node?: string;
	lease_until?: string;
	started_at?: string;
	finished_at?: string;
	created_by: string;
}

const validator = new Validator();
const hyperparameterChecks = new Map<ModelType, SyncCheckFunction>();

/** What is wrong with hyper-parameters for a model type (unknown names included); empty when nothing. */
export function hyperparameterIssues(modelType: ModelType, hyperparameters: unknown): Array<{ field: string; message: string; type: string }> {
	if (hyperparameters == null) return [];
	let check = hyperparameterChecks.get(modelType);
	if (!check) {
		check = validator.compile({ $$strict: true, ...MODEL_TYPE_DEFINITIONS[modelType].rules }) as SyncCheckFunction;
		hyperparameterChecks.set(modelType, check);
	}
	const result = check(hyperparameters);
	if (result === true) return [];
	return (result as Array<{ field?: string; message?: string; type: string; actual?: unknown }>).flatMap(r =>
		// $$strict names the unknown keys in `actual`, comma-separated, with no field
		r.type === "objectStrict"
			? String(r.actual)
					.split(",")
					.map(key => key.trim())
					.map(key => ({
						field: `hyperparameters.${key}`,
						message: `hyperparameters.${key} is not a hyper-parameter of ${modelType} (known: ${Object.keys(MODEL_TYPE_DEFINITIONS[modelType].rules).join(", ")})`,
						type: "unknownField",
					}))
			: [{ field: `hyperparameters.${r.field}`, message: `hyperparameters.${r.message ?? r.type}`, type: r.type }],
	);
}
