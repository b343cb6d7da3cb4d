/**
 * What a training job will cost, estimated before it is queued from the data set's size, the model type and its
 * hyper-parameters, so a job that would run for hours is refused up front (docs/ml.md, "Limits"). Work counted
 * as each trainer does it — Newton iterations over rows × columns² for logistic regression's IRLS, mini-batch
 * steps and multiply-adds for the neural network (about 6 flops per
 * parameter and row for a forward and backward pass: Kaplan et al. 2020, "Scaling Laws for Neural Language
 * Models", §2.1), boosting rounds over rows × features for XGBoost (Chen & Guestrin 2016, §4's exact greedy
 * split finding), rows·log(rows) per feature tried and level for CART trees (Breiman et al. 1984) — times
 * rates measured on this project's reference machine (2 shared Xeon cores, Node 22, tfjs on wasm; bench/README.md).
 */
import { SPLIT_DEFAULTS } from "./training";
import type { Hyperparameters, ModelType } from "./model-types";

/** Seconds per unit of work on the reference machine (measured on the Polish 5year file: bench/README.md). */
export const COST_RATES = {
	/** A multiply-add in this project's own numeric loops (IRLS; measured on the Polish 5year file). */
	js_multiply_add: 0.7e-9,
	/** A tfjs (wasm) mini-batch step, per dense layer. */
	tf_step_per_layer: 0.0008,
	/** Floating-point operations per second of tfjs on wasm. */
	tf_flops: 1.4e9,
	/** One boosting round per training row and feature, at max_depth 6. */
	gbt_round_cell: 1.1e-7,
	/** One histogram-forest tree level per row and feature tried (random-forest.ts; measured on the Polish 5year file). */
	rf_cell: 1.6e-9,
	/** Each fit's own overhead: splitting, the pipeline, the validation predictions. */
	fit_overhead: 0.5,
} as const;

export interface CostInput {
	model_type: ModelType;
	/** The model type's defaults merged with the job's hyper-parameters. */
	hyperparameters: Hyperparameters;
	rows: number;
	features: number;
	k_folds?: number;
}

export interface CostEstimate {
	/** Seconds the job is expected to train, at most (early stopping may end it sooner). */
	seconds: number;
	/** What the estimate is made of, for the message that refuses it. */
	basis: string;
}

const n = (h: Hyperparameters, key: string, fallback: number) => (typeof h[key] === "number" ? (h[key] as number) : fallback);

/** The estimate for one fit on `rows` training rows. */
function fitSeconds(input: CostInput, rows: number): { seconds: number; basis: string } {
	const h = input.hyperparameters;
	const d = input.features;
	switch (input.model_type) {
		case "logistic_regression": {
			// each IRLS iteration: the Hessian's lower triangle over every row (width²/2 multiply-adds a row), then the
			// objective at the step (width a row, once or more when halved); width: a feature and its missing indicator
			const iterations = n(h, "max_iterations", 50);
			const width = 2 * d + 1;
			return {
				seconds: iterations * rows * (width * width * 0.5 + 4 * width) * COST_RATES.js_multiply_add,
				basis: `at most ${iterations} Newton iterations over ${rows} rows × ${width} columns`,
			};
		}
		case "dense": {
			const hidden = (h.hidden_units as number[] | undefined) ?? [64, 32];
			const widths = [d, ...hidden, 1];
			let params = 0;
			for (let i = 1; i < widths.length; i++) params += widths[i - 1] * widths[i] + widths[i];
			const epochs = n(h, "epochs", 100);
			const batch = n(h, "batch_size", 32);
			const steps = Math.ceil(rows / batch) * epochs;
			const seconds = steps * COST_RATES.tf_step_per_layer * (widths.length - 1) + (6 * params * rows * epochs) / COST_RATES.tf_flops;
			return { seconds, basis: `${epochs} epochs of ${Math.ceil(rows / batch)} batches of ${batch} rows, ${params} parameters` };
		}
		case "gradient_boosted_trees": {
			const rounds = ((h.iterations as number[] | undefined) ?? [100, 200, 300]).reduce((a, b) => a + b, 0);
			const depth = n(h, "max_depth", 6);
			return {
				seconds: rounds * rows * d * COST_RATES.gbt_round_cell * (0.5 + depth / 12),
				basis: `${rounds} boosting rounds of depth ${depth} over ${rows} rows × ${d} features`,
			};
		}
		case "random_forest": {
			const trees = n(h, "n_estimators", 200);
			const tried = Math.max(1, Math.round(n(h, "max_features", 0.5) * d));
			const levels = Math.min(n(h, "max_depth", 16), Math.max(1, Math.log2(rows / n(h, "min_samples_leaf", 3))));
			return {
				// every level of a tree passes each of its bootstrap rows through the histogram of every feature tried
				seconds: trees * rows * tried * levels * COST_RATES.rf_cell,
				basis: `${trees} trees of ${Math.round(levels)} levels trying ${tried} features over ${rows} rows`,
			};
		}
	}
}

/** The job's estimated training time: its main fit and one per cross-validation fold. */
export function estimateTrainingCost(input: CostInput): CostEstimate {
	const fits = 1 + (input.k_folds ?? 0);
	const trainRows = Math.round(input.rows * (1 - SPLIT_DEFAULTS.test_fraction) * (1 - SPLIT_DEFAULTS.validation_fraction));
	const one = fitSeconds(input, trainRows);
	return { seconds: fits * (one.seconds + COST_RATES.fit_overhead), basis: `${fits > 1 ? `${fits} fits of ` : ""}${one.basis}` };
}
