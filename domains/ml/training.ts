/**
 * One training run (docs/ml.md): a stratified 20 % test hold-out set aside first and never seen by training,
 * a stratified validation split of the rest for early stopping and for the decision threshold (best F1 on
 * validation, never on test), the feature pipeline fitted on the training rows only, then metrics on the
 * hold-out; k-fold cross-validation of the same recipe on request.
 */
import type { ParsedDataset } from "./dataset";
import { sha256 } from "./dataset";
import { driftReference, type DriftReference } from "./drift";
import { bestF1Threshold, classificationMetrics, curves, summariseFolds, type ClassificationMetrics } from "./metrics";
import { MODEL_TYPE_DEFINITIONS, type Hyperparameters, type ModelType, type TrainingProgress } from "./model-types";
import { coverageFloor, missingShare } from "./coverage";
import { referenceCheck, type ReferenceCheck, type ReferenceFiler } from "./reference";
import { fitPipeline, transformRow, transformRows, type FeaturePipeline, type MissingValueHandling } from "./pipeline";
import { stratifiedFolds, stratifiedSplit } from "./split";

export const SPLIT_DEFAULTS = { test_fraction: 0.2, validation_fraction: 0.2, seed: 42 } as const;

export interface TrainingPlan {
	model_type: ModelType;
	hyperparameters?: Hyperparameters;
	seed?: number;
	/** k-fold cross-validation over the non-test rows as well (k ≥ 2). */
	k_folds?: number;
	/** What a missing value tells the model (pipeline.ts); informative when absent. */
	missing_values?: MissingValueHandling;
}

export interface TrainingHooks {
	onProgress(p: TrainingProgress & { stage: string }): void;
	cancelled(): boolean;
}

export interface VersionMetrics {
	/** On the hold-out, at the validation-chosen threshold. */
	test: ClassificationMetrics;
	/** The hold-out's ROC and precision-recall curves (metrics.ts `curves`); null without both classes. */
	curves?: ReturnType<typeof curves>;
	validation: ClassificationMetrics;
	cross_validation?: { k: number; folds: ClassificationMetrics[]; summary: Record<string, { mean: number | null; sd: number | null }> };
	/** Models on statement ratios: their labels for the reference filers (reference.ts). */
	reference?: ReferenceCheck;
	training_seconds: number;
}

export interface TrainingResult {
	artifact: string;
	artifact_sha256: string;
	pipeline: FeaturePipeline;
	hyperparameters: Hyperparameters;
	threshold: number;
	metrics: VersionMetrics;
	split: { seed: number; test_fraction: number; validation_fraction: number; train_rows: number; validation_rows: number; test_rows: number };
	drift_reference: Record<string, DriftReference>;
	/** The share of missing values among the training rows' inputs: the default input coverage floor follows from it. */
	training_missing_share: number;
	history: TrainingProgress[];
}

interface Fitted {
	artifact: string;
	pipeline: FeaturePipeline;
	hyperparameters: Hyperparameters;
	threshold: number;
	validation: ClassificationMetrics;
	predict(rows: number[]): Promise<Float64Array>;
	history: TrainingProgress[];
}

async function fit(data: ParsedDataset, rows: number[], plan: TrainingPlan, seed: number, hooks: TrainingHooks, stage: string, spread: [number, number]): Promise<Fitted> {
	const definition = MODEL_TYPE_DEFINITIONS[plan.model_type];
	const { rest: train, part: validation } = stratifiedSplit(data.y, SPLIT_DEFAULTS.validation_fraction, seed + 1, rows);
	const pipeline = fitPipeline(definition.pipeline, data.features, data.x, train, plan.missing_values);
	const pick = (indices: number[]) => Uint8Array.from(indices.map(i => data.y[i]));
	const yVal = pick(validation);
	const trained = await definition.train({
		x: transformRows(pipeline, data.x, train),
		y: pick(train),
		xVal: transformRows(pipeline, data.x, validation),
		yVal,
		hyperparameters: plan.hyperparameters ?? {},
		seed,
		onProgress: p => hooks.onProgress({ ...p, stage, progress: spread[0] + (spread[1] - spread[0]) * p.progress }),
		cancelled: hooks.cancelled,
	});
	const model = await definition.load(trained.artifact);
	const predict = async (indices: number[]) => model.predict(transformRows(pipeline, data.x, indices));
	const pVal = await predict(validation);
	const threshold = bestF1Threshold(yVal, pVal);
	return {
		artifact: trained.artifact,
		pipeline,
		hyperparameters: trained.hyperparameters,
		threshold,
		validation: classificationMetrics(yVal, pVal, threshold),
		predict: async indices => {
			try {
				return await predict(indices);
			} finally {
				model.free();
			}
		},
		history: trained.history,
	};
}

export async function trainVersion(data: ParsedDataset, plan: TrainingPlan, hooks: TrainingHooks): Promise<TrainingResult> {
	const started = process.hrtime.bigint();
	const seed = plan.seed ?? SPLIT_DEFAULTS.seed;
	const { rest, part: test } = stratifiedSplit(data.y, SPLIT_DEFAULTS.test_fraction, seed);
	const k = plan.k_folds ?? 0;
	const mainShare = k ? 1 / (k + 1) : 1;
	const fitted = await fit(data, rest, plan, seed, hooks, "training", [0, mainShare]);
	const yTest = Uint8Array.from(test.map(i => data.y[i]));
	const pTest = await fitted.predict(test);
	const testMetrics = classificationMetrics(yTest, pTest, fitted.threshold);
	let crossValidation: VersionMetrics["cross_validation"];
	if (k >= 2) {
		const folds: ClassificationMetrics[] = [];
		const restLabels = Uint8Array.from(rest.map(i => data.y[i]));
		for (const [f, fold] of stratifiedFolds(restLabels, k, seed + 2).entries()) {
			const share: [number, number] = [mainShare * (f + 1), mainShare * (f + 2)];
			const foldFit = await fit(
				data,
				fold.train.map(i => rest[i]),
				plan,
				seed + 10 + f,
				hooks,
				`fold ${f + 1} of ${k}`,
				share,
			);
			const foldTest = fold.test.map(i => rest[i]);
			folds.push(classificationMetrics(Uint8Array.from(foldTest.map(i => data.y[i])), await foldFit.predict(foldTest), foldFit.threshold));
		}
		crossValidation = { k, folds, summary: summariseFolds(folds) };
	}
	const trainRows = rest.length - fitted.validation.rows;
	const { rest: trainOnly } = stratifiedSplit(data.y, SPLIT_DEFAULTS.validation_fraction, seed + 1, rest);
	return {
		artifact: fitted.artifact,
		artifact_sha256: sha256(fitted.artifact),
		pipeline: fitted.pipeline,
		hyperparameters: fitted.hyperparameters,
		threshold: fitted.threshold,
		metrics: {
			test: testMetrics,
			curves: curves(yTest, pTest),
			validation: fitted.validation,
			...(crossValidation ? { cross_validation: crossValidation } : {}),
			training_seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100,
		},
		split: {
			seed,
			test_fraction: SPLIT_DEFAULTS.test_fraction,
			validation_fraction: SPLIT_DEFAULTS.validation_fraction,
			train_rows: trainRows,
			validation_rows: fitted.validation.rows,
			test_rows: test.length,
		},
		drift_reference: Object.fromEntries(data.features.map((name, f) => [name, driftReference(trainOnly.map(r => data.x[r][f]))])),
		training_missing_share: Math.round(missingShare(trainOnly.map(r => data.x[r])) * 1e6) / 1e6,
		history: fitted.history,
	};
}

/** The trained version's reference check (reference.ts) on `filers`, scored as a prediction would score them. */
export async function checkOnReference(
	result: TrainingResult,
	modelType: ModelType,
	features: string[],
	reference: { population: string; filers: ReferenceFiler[] },
	configuredFloor?: number,
): Promise<ReferenceCheck> {
	const model = await MODEL_TYPE_DEFINITIONS[modelType].load(result.artifact);
	try {
		const floor = coverageFloor(result.training_missing_share, configuredFloor);
		return referenceCheck(reference.population, reference.filers, features, floor, rows => model.predict(rows.map(r => transformRow(result.pipeline, r))), result.threshold);
	} finally {
		model.free();
	}
}

/** The hold-out rows of a version trained with `seed` on this data set: the rows it never saw. */
export function holdOutRows(data: ParsedDataset, seed: number): number[] {
	return stratifiedSplit(data.y, SPLIT_DEFAULTS.test_fraction, seed).part;
}
