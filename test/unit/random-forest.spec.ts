/**
 * The histogram random forest (domains/ml/random-forest.ts, issue 27 item 5): it learns what a linear model cannot
 * (an interaction), the same seed grows the same forest, a missing value still gets a probability, and the model
 * type saves, loads and cancels as the others do; a version trained with ml-random-forest before still loads.
 */
import { rocAuc } from "../../domains/ml/metrics";
import { CancelledError, MODEL_TYPE_DEFINITIONS } from "../../domains/ml/model-types";
import { binEdges, forestTrainer, predictForest, type HistogramForest } from "../../domains/ml/random-forest";
import { seededRandom } from "../../domains/ml/split";

/** Positive when the first two features have the same sign (XOR of their signs, no linear separation), 8 noise features. */
function interaction(rows: number, seed: number): { x: Float64Array[]; y: Uint8Array } {
	const random = seededRandom(seed);
	const x: Float64Array[] = [];
	const y = new Uint8Array(rows);
	for (let i = 0; i < rows; i++) {
		const row = Float64Array.from({ length: 10 }, () => random() * 2 - 1);
		y[i] = row[0] * row[1] > 0 ? 1 : 0;
		x.push(row);
	}
	return { x, y };
}

const options = { trees: 50, maxFeatures: 0.5, maxDepth: 12, minSamplesLeaf: 2 };
const grow = (x: Float64Array[], y: Uint8Array, seed: number): HistogramForest => {
	const trainer = forestTrainer(x, y, options, seed);
	return { kind: "histogram_forest", trees: Array.from({ length: options.trees }, () => trainer.growTree()) };
};

describe("the histogram random forest", () => {
	it("cuts a feature at its quantiles, at most 63 times, and between every pair of values when it has few", () => {
		const many = binEdges(Float64Array.from({ length: 10_000 }, (_, i) => i));
		expect(many.length).toBe(63);
		expect(many[31]).toBeCloseTo(5000 - 0.5, 6); // the median's cut
		expect([...binEdges(Float64Array.from([0, 1, 0, 0, 1, NaN, 2]))]).toEqual([0.5, 1.5]);
		// a mostly-zero indicator still gets its one cut
		expect([...binEdges(Float64Array.from({ length: 1000 }, (_, i) => (i < 990 ? 0 : 1)))]).toEqual([0.5]);
		expect(binEdges(Float64Array.from([3, 3, 3])).length).toBe(0);
	});

	it("learns an interaction no linear model separates, the same forest for the same seed", () => {
		const train = interaction(2000, 1);
		const test = interaction(1000, 2);
		const forest = grow(train.x, train.y, 7);
		expect(rocAuc(test.y, predictForest(forest, test.x))).toBeGreaterThan(0.97);
		expect(predictForest(grow(train.x, train.y, 7), test.x)).toEqual(predictForest(forest, test.x));
		expect(predictForest(grow(train.x, train.y, 8), test.x)).not.toEqual(predictForest(forest, test.x));
	});

	it("gives a row with missing values a probability", () => {
		const train = interaction(500, 3);
		const [p] = predictForest(grow(train.x, train.y, 1), [Float64Array.from({ length: 10 }, () => NaN)]);
		expect(p).toBeGreaterThanOrEqual(0);
		expect(p).toBeLessThanOrEqual(1);
	});

	it("saves and loads as a model type, reports progress, and stops when cancelled", async () => {
		const train = interaction(600, 4);
		const val = interaction(200, 5);
		const type = MODEL_TYPE_DEFINITIONS.random_forest;
		const progress: number[] = [];
		const input = {
			x: train.x,
			y: train.y,
			xVal: val.x,
			yVal: val.y,
			hyperparameters: { n_estimators: 30 },
			seed: 3,
			onProgress: (p: { progress: number }) => progress.push(p.progress),
			cancelled: () => false,
		};
		const trained = await type.train(input);
		expect(progress[progress.length - 1]).toBe(1);
		expect(trained.history[0].val_roc_auc).toBeGreaterThan(0.9);
		const stored = JSON.parse(trained.artifact) as HistogramForest;
		expect(stored.kind).toBe("histogram_forest");
		expect(stored.trees).toHaveLength(30);
		const loaded = await type.load(trained.artifact);
		expect(loaded.predict(val.x)).toEqual(predictForest(stored, val.x));
		await expect(type.train({ ...input, cancelled: () => true })).rejects.toBeInstanceOf(CancelledError);
	});

	it("loads a version trained with ml-random-forest before, predicting as it did", async () => {
		const { RandomForestClassifier } = require("ml-random-forest");
		const train = interaction(200, 6);
		const old = new RandomForestClassifier({ nEstimators: 5, maxFeatures: 0.5, seed: 1, noOOB: true, treeOptions: { maxDepth: 5, minNumSamples: 3 } });
		const rows = train.x.map(r => Array.from(r));
		old.train(rows, Array.from(train.y));
		const loaded = await MODEL_TYPE_DEFINITIONS.random_forest.load(JSON.stringify(old));
		expect(Array.from(loaded.predict(train.x.slice(0, 20)))).toEqual(old.predictProbability(rows.slice(0, 20), 1));
	});
});
