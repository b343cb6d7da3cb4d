/**
 * The ML vocabulary (docs/ml.md): domains, aliases, names, gates, job states and the data set upload. The
 * entities built of the ML domain's results (data sets, models, versions, alias transitions, training jobs)
 * are in their services' contracts (contracts/ml.registry.ts, contracts/ml.training.ts).
 */

export const DATASET_FORMATS = ["csv", "arff"] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

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

export const JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];
