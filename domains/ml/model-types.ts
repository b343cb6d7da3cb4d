/**
 * The model types a version can be trained as (docs/ml.md). Each trains on pipeline-transformed rows with a
 * validation split for early stopping, and saves itself as a JSON text artifact that loads back to the very
 * same predictions:
 * - logistic_regression: IRLS (Newton's method on the ridge-penalised log-likelihood, ./logistic-regression.ts),
 *   balanced class weights (King & Zeng 2001's re-weighting for rare events); a version trained before it (a
 *   tfjs model) still loads;
 * - dense: TensorFlow.js (wasm backend), Adam, binary cross-entropy, balanced class weights, rows shuffled each
 *   epoch from the seed, early stopping on validation ROC AUC keeping the best epoch's weights;
 * - gradient_boosted_trees: XGBoost (Chen & Guestrin 2016) compiled to WebAssembly (ml-xgboost), the
 *   iteration count chosen on the validation split;
 * - random_forest: Breiman (2001) grown on histograms (random-forest.ts), probability = the trees' mean leaf share
 *   of the positive class; versions trained with ml-random-forest before issue 27 still load.
 */
import Validator, { type SyncCheckFunction } from "fastest-validator";
import { fitLogistic, predictLogistic } from "./logistic-regression";
import { forestTrainer, predictForest, type HistogramForest } from "./random-forest";
import { rocAuc } from "./metrics";
import type { PipelineKind } from "./pipeline";
import { seededRandom, shuffled } from "./split";

export const MODEL_TYPES = ["logistic_regression", "dense", "gradient_boosted_trees", "random_forest"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export type Hyperparameters = Record<string, number | number[] | string | boolean>;

export interface TrainingProgress {
	/** 0–1 of this model's training. */
	progress: number;
	epoch?: number;
	loss?: number;
	val_loss?: number;
	val_roc_auc?: number | null;
}

export interface TrainingInput {
	x: Float64Array[];
	y: Uint8Array;
	xVal: Float64Array[];
	yVal: Uint8Array;
	hyperparameters: Hyperparameters;
	seed: number;
	onProgress(p: TrainingProgress): void;
	/** True when the job was cancelled: training stops at the next epoch or round. */
	cancelled(): boolean;
}

export interface TrainedModel {
	artifact: string;
	/** The hyper-parameters in effect, defaults included, and what early stopping chose. */
	hyperparameters: Hyperparameters;
	history: TrainingProgress[];
}

export interface LoadedModel {
	/** Probability of the positive class for each (transformed) row. */
	predict(rows: Float64Array[]): Float64Array;
	free(): void;
}

export interface ModelTypeDefinition {
	pipeline: PipelineKind;
	defaults: Hyperparameters;
	/** fastest-validator rules for the hyper-parameters a user may set. */
	rules: Record<string, unknown>;
	train(input: TrainingInput): Promise<TrainedModel>;
	load(artifact: string): Promise<LoadedModel>;
}

export class CancelledError extends Error {
	constructor() {
		super("cancelled");
	}
}

/* ---------- TensorFlow.js ---------- */

type Tf = typeof import("@tensorflow/tfjs");
let tfReady: Promise<Tf> | undefined;

/** TensorFlow.js on its WebAssembly backend (the native tfjs-node cannot install offline). */
export function tensorflow(): Promise<Tf> {
	tfReady ??= (async () => {
		const tf: Tf = require("@tensorflow/tfjs");
		require("@tensorflow/tfjs-backend-wasm");
		// tfjs prints a banner recommending tfjs-node once per process; it cannot be installed here.
		const warn = console.warn;
		console.warn = () => undefined;
		try {
			await tf.setBackend("wasm");
			await tf.ready();
		} finally {
			console.warn = warn;
		}
		return tf;
	})();
	return tfReady;
}

function toTensor(tf: Tf, rows: Float64Array[], width: number) {
	const flat = new Float32Array(rows.length * width);
	rows.forEach((r, i) => flat.set(r, i * width));
	return tf.tensor2d(flat, [rows.length, width]);
}

const num = (h: Hyperparameters, key: string) => h[key] as number;

function tfModelType(
	build: (tf: Tf, width: number, h: Hyperparameters, seed: number) => import("@tensorflow/tfjs").LayersModel,
	defaults: Hyperparameters,
	rules: Record<string, unknown>,
): ModelTypeDefinition {
	return {
		pipeline: "quantile_normal",
		defaults,
		rules,
		async train(input) {
			const tf = await tensorflow();
			const h = { ...defaults, ...input.hyperparameters };
			const width = input.x[0].length;
			const model = build(tf, width, h, input.seed);
			model.compile({ optimizer: tf.train.adam(num(h, "learning_rate")), loss: "binaryCrossentropy" });
			const xVal = toTensor(tf, input.xVal, width);
			const positives = input.y.reduce((a, b) => a + b, 0);
			// Balanced weights: each class counts as much as the other in the loss.
			const classWeight = h.class_weight === "balanced" ? { 0: input.y.length / (2 * (input.y.length - positives)), 1: input.y.length / (2 * positives) } : undefined;
			const history: TrainingProgress[] = [];
			let best = { auc: -1, epoch: 0, weights: [] as import("@tensorflow/tfjs").Tensor[] };
			let sinceBest = 0;
			const epochs = num(h, "epochs");
			const patience = num(h, "patience");
			// the rows are shuffled every epoch from the seed (tfjs's own shuffle uses Math.random): a seed gives the same model again
			const random = seededRandom(input.seed);
			const rows = input.x.map((_, i) => i);
			try {
				for (let epoch = 1; epoch <= epochs && sinceBest < patience && !input.cancelled(); epoch++) {
					const order = shuffled(rows, random);
					const xs = toTensor(
						tf,
						order.map(i => input.x[i]),
						width,
					);
					const ys = tf.tensor2d(
						Float32Array.from(order, i => input.y[i]),
						[order.length, 1],
					);
					let loss: number | undefined;
					try {
						const fitted = await model.fit(xs, ys, { epochs: 1, batchSize: num(h, "batch_size"), shuffle: false, classWeight, verbose: 0 });
						loss = fitted.history.loss?.[0] as number | undefined;
					} finally {
						tf.dispose([xs, ys]);
					}
					const p = tf.tidy(() => (model.predict(xVal) as import("@tensorflow/tfjs").Tensor).dataSync());
					const auc = rocAuc(input.yVal, p);
					const entry = { progress: epoch / epochs, epoch, loss, val_roc_auc: auc };
					history.push(entry);
					input.onProgress(entry);
					if ((auc ?? 0) > best.auc) {
						best.weights.forEach(w => w.dispose());
						best = { auc: auc ?? 0, epoch, weights: model.getWeights().map(w => w.clone()) };
						sinceBest = 0;
					} else sinceBest++;
				}
				if (input.cancelled()) throw new CancelledError();
				model.setWeights(best.weights);
				let artifact = "";
				await model.save(
					tf.io.withSaveHandler(async a => {
						artifact = JSON.stringify({
							modelTopology: a.modelTopology,
							weightSpecs: a.weightSpecs,
							weightData: Buffer.from(a.weightData as ArrayBuffer).toString("base64"),
						});
						return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
					}),
				);
				return { artifact, hyperparameters: { ...h, best_epoch: best.epoch }, history };
			} finally {
				best.weights.forEach(w => w.dispose());
				tf.dispose(xVal);
				model.dispose();
			}
		},
		async load(artifact) {
			const tf = await tensorflow();
			const saved = JSON.parse(artifact) as { modelTopology: object; weightSpecs: import("@tensorflow/tfjs").io.WeightsManifestEntry[]; weightData: string };
			const weightData = new Uint8Array(Buffer.from(saved.weightData, "base64")).buffer;
			const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData }));
			const width = (model.inputs[0].shape[1] as number) ?? 0;
			return {
				predict(rows) {
					if (!rows.length) return new Float64Array(0);
					return Float64Array.from(
						tf.tidy(() => {
							const x = toTensor(tf, rows, width);
							return (model.predict(x) as import("@tensorflow/tfjs").Tensor).dataSync();
						}),
					);
				},
				free: () => model.dispose(),
			};
		},
	};
}

const TF_RULES = {
	learning_rate: { type: "number", positive: true, max: 1, optional: true },
	batch_size: { type: "number", integer: true, min: 1, max: 4096, optional: true },
	epochs: { type: "number", integer: true, min: 1, max: 1000, optional: true },
	patience: { type: "number", integer: true, min: 1, max: 1000, optional: true },
	class_weight: { type: "enum", values: ["balanced", "none"], optional: true },
	l2: { type: "number", min: 0, max: 1, optional: true },
};
const TF_DEFAULTS = { learning_rate: 0.001, batch_size: 32, epochs: 100, patience: 10, class_weight: "balanced", l2: 0.0001 };

/** A version trained before logistic regression was fitted by IRLS: a tfjs model of one sigmoid unit. */
export const tfLogisticRegression = tfModelType(
	(tf, width, h, seed) =>
		tf.sequential({
			layers: [
				tf.layers.dense({
					inputShape: [width],
					units: 1,
					activation: "sigmoid",
					kernelInitializer: tf.initializers.glorotUniform({ seed }),
					kernelRegularizer: tf.regularizers.l2({ l2: num(h, "l2") }),
				}),
			],
		}),
	TF_DEFAULTS,
	TF_RULES,
);

/** What a logistic regression version stores: its coefficients (per pipeline column) and intercept. */
interface LogisticArtifact {
	format: "irls";
	coefficients: number[];
	intercept: number;
}

const logisticRegression: ModelTypeDefinition = {
	pipeline: "quantile_normal",
	defaults: { l2: 0.001, max_iterations: 50, tolerance: 1e-6, class_weight: "balanced" },
	rules: {
		l2: { type: "number", min: 0, max: 10, optional: true },
		max_iterations: { type: "number", integer: true, min: 1, max: 500, optional: true },
		tolerance: { type: "number", positive: true, max: 1, optional: true },
		class_weight: { type: "enum", values: ["balanced", "none"], optional: true },
	},
	async train(input) {
		const h = { ...this.defaults, ...input.hyperparameters };
		const n = input.y.length;
		const positives = input.y.reduce((a, b) => a + b, 0);
		// Balanced weights: each class counts as much as the other in the loss (King & Zeng 2001's re-weighting).
		const weights =
			h.class_weight === "balanced" && positives > 0 && positives < n ? Float64Array.from(input.y, v => (v ? n / (2 * positives) : n / (2 * (n - positives)))) : undefined;
		const maxIterations = num(h, "max_iterations");
		const history: TrainingProgress[] = [];
		const fit = await fitLogistic(input.x, input.y, {
			l2: num(h, "l2"),
			weights,
			maxIterations,
			tolerance: num(h, "tolerance"),
			stop: () => input.cancelled(),
			pause: () => new Promise(resolve => setImmediate(resolve)),
			onIteration(iteration, objective, beta) {
				const coefficients = beta.subarray(0, beta.length - 1);
				const auc = rocAuc(input.yVal, predictLogistic({ coefficients, intercept: beta[beta.length - 1] }, input.xVal));
				const entry = { progress: iteration / maxIterations, epoch: iteration, loss: objective, val_roc_auc: auc };
				history.push(entry);
				input.onProgress(entry);
			},
		});
		if (input.cancelled()) throw new CancelledError();
		const done = history.at(-1);
		if (done) input.onProgress({ ...done, progress: 1 });
		const artifact: LogisticArtifact = { format: "irls", coefficients: Array.from(fit.coefficients), intercept: fit.intercept };
		return { artifact: JSON.stringify(artifact), hyperparameters: { ...h, iterations: fit.iterations, converged: fit.converged }, history };
	},
	async load(artifact) {
		const saved = JSON.parse(artifact) as LogisticArtifact | { modelTopology: object };
		if ("modelTopology" in saved) return tfLogisticRegression.load(artifact);
		const fit = { coefficients: Float64Array.from(saved.coefficients), intercept: saved.intercept };
		return { predict: rows => predictLogistic(fit, rows), free: () => undefined };
	},
};

const dense = tfModelType(
	(tf, width, h, seed) => {
		const units = (h.hidden_units as number[]) ?? [64, 32];
		const model = tf.sequential();
		units.forEach((n, i) => {
			model.add(
				tf.layers.dense({
					...(i === 0 ? { inputShape: [width] } : {}),
					units: n,
					activation: "relu",
					kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
					kernelRegularizer: tf.regularizers.l2({ l2: num(h, "l2") }),
				}),
			);
			if (num(h, "dropout") > 0) model.add(tf.layers.dropout({ rate: num(h, "dropout"), seed: seed + 100 + i }));
		});
		model.add(tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 99 }) }));
		return model;
	},
	{ ...TF_DEFAULTS, hidden_units: [64, 32], dropout: 0.2 },
	{
		...TF_RULES,
		hidden_units: { type: "array", items: { type: "number", integer: true, min: 1, max: 1024 }, min: 1, max: 5, optional: true },
		dropout: { type: "number", min: 0, max: 0.9, optional: true },
	},
);

/* ---------- XGBoost ---------- */

interface Booster {
	train(x: number[][], y: number[]): void;
	predict(x: number[][]): number[];
	toJSON(): object;
	free(): void;
}
interface XGBoostClass {
	new (options: Record<string, unknown>): Booster;
	load(model: object): Booster;
}
let xgboostReady: Promise<XGBoostClass> | undefined;

/** What XGBoost's wasm build prints while it loads: a streaming compile it cannot do in Node, then the fallback that works. */
const XGBOOST_LOAD_NOISE = /^(wasm streaming compile failed|falling back to ArrayBuffer instantiation)/;

/** XGBoost's wasm build, loaded once, without the two harmless lines it prints while loading. */
function xgboost(): Promise<XGBoostClass> {
	if (!xgboostReady) {
		const warn = console.warn;
		console.warn = (...args: unknown[]) => (typeof args[0] === "string" && XGBOOST_LOAD_NOISE.test(args[0]) ? undefined : warn(...args));
		xgboostReady = (require("ml-xgboost") as Promise<XGBoostClass>).finally(() => (console.warn = warn));
	}
	return xgboostReady;
}

const plainRows = (rows: Float64Array[]) => rows.map(r => Array.from(r));

const gradientBoostedTrees: ModelTypeDefinition = {
	pipeline: "sentinel",
	defaults: { max_depth: 6, eta: 0.1, subsample: 0.8, colsample_bytree: 0.8, min_child_weight: 1, iterations: [100, 200, 300] },
	rules: {
		max_depth: { type: "number", integer: true, min: 1, max: 16, optional: true },
		eta: { type: "number", positive: true, max: 1, optional: true },
		subsample: { type: "number", positive: true, max: 1, optional: true },
		colsample_bytree: { type: "number", positive: true, max: 1, optional: true },
		min_child_weight: { type: "number", min: 0, max: 1000, optional: true },
		iterations: { type: "array", items: { type: "number", integer: true, min: 1, max: 2000 }, min: 1, max: 6, optional: true },
	},
	async train(input) {
		const XGBoost = await xgboost();
		const h = { ...this.defaults, ...input.hyperparameters };
		// ml-xgboost trains a fixed number of rounds: early stopping = the candidate count best on validation.
		const candidates = [...(h.iterations as number[])].sort((a, b) => a - b);
		const x = plainRows(input.x);
		const y = Array.from(input.y);
		const xVal = plainRows(input.xVal);
		const history: TrainingProgress[] = [];
		let best: { booster: Booster; auc: number; iterations: number } | undefined;
		try {
			for (const [i, iterations] of candidates.entries()) {
				if (input.cancelled()) throw new CancelledError();
				const booster = new XGBoost({
					booster: "gbtree",
					objective: "binary:logistic",
					max_depth: h.max_depth,
					eta: h.eta,
					subsample: h.subsample,
					colsample_bytree: h.colsample_bytree,
					min_child_weight: h.min_child_weight,
					seed: input.seed,
					silent: 1,
					iterations,
				});
				booster.train(x, y);
				const auc = rocAuc(input.yVal, booster.predict(xVal)) ?? 0;
				const entry = { progress: (i + 1) / candidates.length, epoch: iterations, val_roc_auc: auc };
				history.push(entry);
				input.onProgress(entry);
				if (!best || auc > best.auc) {
					best?.booster.free();
					best = { booster, auc, iterations };
				} else booster.free();
			}
			return { artifact: JSON.stringify(best!.booster), hyperparameters: { ...h, best_iterations: best!.iterations }, history };
		} finally {
			best?.booster.free();
		}
	},
	async load(artifact) {
		const XGBoost = await xgboost();
		const booster = XGBoost.load(JSON.parse(artifact));
		return { predict: rows => (rows.length ? Float64Array.from(booster.predict(plainRows(rows))) : new Float64Array(0)), free: () => booster.free() };
	},
};

/* ---------- Random forest ---------- */

/** A forest stored by ml-random-forest (versions trained before issue 27). */
interface CartForest {
	predictProbability(x: number[][], label: number): number[];
}

const randomForest: ModelTypeDefinition = {
	pipeline: "sentinel",
	defaults: { n_estimators: 200, max_features: 0.5, max_depth: 16, min_samples_leaf: 3 },
	rules: {
		n_estimators: { type: "number", integer: true, min: 1, max: 1000, optional: true },
		max_features: { type: "number", positive: true, max: 1, optional: true },
		max_depth: { type: "number", integer: true, min: 1, max: 64, optional: true },
		min_samples_leaf: { type: "number", integer: true, min: 1, max: 1000, optional: true },
	},
	async train(input) {
		const h = { ...this.defaults, ...input.hyperparameters };
		const trees = h.n_estimators as number;
		const trainer = forestTrainer(
			input.x,
			input.y,
			{ trees, maxFeatures: h.max_features as number, maxDepth: h.max_depth as number, minSamplesLeaf: h.min_samples_leaf as number },
			input.seed,
		);
		const forest: HistogramForest = { kind: "histogram_forest", trees: [] };
		for (let i = 0; i < trees; i++) {
			if (input.cancelled()) throw new CancelledError();
			forest.trees.push(trainer.growTree());
			if ((i + 1) % 10 === 0 || i + 1 === trees) {
				input.onProgress({ progress: (i + 1) / trees, epoch: i + 1 });
				await new Promise(resolve => setImmediate(resolve)); // a worker reads its cancel message between trees
			}
		}
		const auc = rocAuc(input.yVal, predictForest(forest, input.xVal));
		const entry = { progress: 1, epoch: trees, val_roc_auc: auc };
		input.onProgress(entry);
		return { artifact: JSON.stringify(forest), hyperparameters: h, history: [entry] };
	},
	async load(artifact) {
		const stored = JSON.parse(artifact) as HistogramForest | object;
		if ("kind" in stored && stored.kind === "histogram_forest") return { predict: rows => predictForest(stored, rows), free: () => undefined };
		// a version trained before issue 27 by ml-random-forest (CART trees): loaded by it, as it was
		const { RandomForestClassifier } = require("ml-random-forest") as { RandomForestClassifier: { load(m: object): CartForest } };
		const forest = RandomForestClassifier.load(stored);
		return { predict: rows => (rows.length ? Float64Array.from(forest.predictProbability(plainRows(rows), 1)) : new Float64Array(0)), free: () => undefined };
	},
};

export const MODEL_TYPE_DEFINITIONS: Record<ModelType, ModelTypeDefinition> = {
	logistic_regression: logisticRegression,
	dense,
	gradient_boosted_trees: gradientBoostedTrees,
	random_forest: randomForest,
};

/**
 * Hyper-parameters a model type had before and has no more (logistic regression was a tfjs network until issue 27):
 * left out of a model's stored configuration when it trains; named in a request they are still refused.
 */
const RETIRED_HYPERPARAMETERS: Partial<Record<ModelType, readonly string[]>> = { logistic_regression: ["epochs", "batch_size", "learning_rate", "patience"] };

/** A stored configuration's hyper-parameters without those its model type no longer has. */
export function withoutRetired(modelType: ModelType, hyperparameters: Hyperparameters): Hyperparameters {
	const retired = RETIRED_HYPERPARAMETERS[modelType];
	if (!retired) return hyperparameters;
	return Object.fromEntries(Object.entries(hyperparameters).filter(([name]) => !retired.includes(name)));
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
