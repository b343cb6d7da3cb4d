/**
 * The ML domain: metrics against hand-computed confusion matrices and known ROC AUCs, data set parsing and its
 * 422 issues, stratified splits, the feature pipeline, PSI, gates, input coverage, the reference check, and the
 * distress features from statements.
 */
import { COST_RATES, estimateTrainingCost } from "../../domains/ml/cost";
import { DatasetError, parseCsvRecords, parseDataset, projectColumns } from "../../domains/ml/dataset";
import { MODEL_TYPE_DEFINITIONS, type Hyperparameters, type ModelType } from "../../domains/ml/model-types";
import { DISTRESS_FEATURE_NAMES, observedDistress, statementFeatures } from "../../domains/ml/distress";
import { binShares, driftLevel, driftReference, populationStabilityIndex } from "../../domains/ml/drift";
import type { Zone } from "../../domains/finance/scores";
import { coverageFloor, INPUT_COVERAGE_MARGIN, inputCoverage, missingShare } from "../../domains/ml/coverage";
import { failedGates, gateValues } from "../../domains/ml/gates";
import { referenceCheck, type ReferenceCheck, type ReferenceFiler } from "../../domains/ml/reference";
import { accuracy, bestF1Threshold, brier, classificationMetrics, confusionMatrix, curves, f1, prAuc, precision, recall, rocAuc } from "../../domains/ml/metrics";
import { fitPipeline, MISSING_SENTINEL, normalQuantile, transformRow } from "../../domains/ml/pipeline";
import { stratifiedFolds, stratifiedSplit } from "../../domains/ml/split";
import type { Statement } from "../../models/statement";

describe("metrics", () => {
	// 10 rows: labels and scores chosen so the confusion matrix at 0.5 is TP 3, FP 1, TN 4, FN 2 (by hand)
	const y = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
	const p = [0.9, 0.8, 0.6, 0.4, 0.2, 0.7, 0.3, 0.2, 0.1, 0.05];

	it("count the confusion matrix and the ratios from it", () => {
		const m = confusionMatrix(y, p, 0.5);
		expect(m).toEqual({ tp: 3, fp: 1, tn: 4, fn: 2 });
		expect(accuracy(m)).toBeCloseTo(7 / 10);
		expect(precision(m)).toBeCloseTo(3 / 4);
		expect(recall(m)).toBeCloseTo(3 / 5);
		expect(f1(m)).toBeCloseTo((2 * 3) / (2 * 3 + 1 + 2));
		expect(precision({ tp: 0, fp: 0, tn: 5, fn: 1 })).toBeNull();
	});

	it("compute ROC AUC as the share of positive–negative pairs ranked right, ties counted half", () => {
		// pairs (5 × 5 = 25): positives 0.9, 0.8 beat all 5 negatives (10); 0.6 and 0.4 beat 4 each (not 0.7);
		// 0.2 beats 0.1, 0.05 and ties 0.2 (2.5): 10 + 8 + 2.5 = 20.5 / 25
		expect(rocAuc(y, p)).toBeCloseTo(20.5 / 25);
		expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75); // scikit-learn's documented example
		expect(rocAuc([1, 1, 0], [0.2, 0.2, 0.2])).toBeCloseTo(0.5);
		expect(rocAuc([1, 1], [0.3, 0.4])).toBeNull();
	});

	it("compute PR AUC as average precision (scikit-learn's example: 0.8333)", () => {
		expect(prAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.8333, 4);
		expect(prAuc([1, 0, 1], [0.9, 0.8, 0.7])).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3));
	});

	it("compute the Brier score and choose the threshold with the best F1", () => {
		expect(brier([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2);
		// at 0.6: TP 3 (0.9, 0.8, 0.6), FP 1 (0.7), FN 2 → F1 0.667; at 0.4: TP 4, FP 1, FN 1 → 0.8 (the best)
		expect(bestF1Threshold(y, p)).toBe(0.4);
		const all = classificationMetrics(y, p, 0.4);
		expect(all).toMatchObject({ confusion_matrix: { tp: 4, fp: 1, tn: 4, fn: 1 }, f1: 0.8, rows: 10, positives: 5, threshold: 0.4 });
	});
});

describe("data sets", () => {
	it("read RFC 4180 CSV: quoted fields, doubled quotes, CRLF", () => {
		expect(parseCsvRecords('a,"b,c","say ""hi"""\r\n1,2,3\r\n')).toEqual([
			["a", "b,c", 'say "hi"'],
			["1", "2", "3"],
		]);
	});

	it("read ARFF with quoted attribute names, missing values as NaN, and the label's positive class", () => {
		const arff = "@relation r\n@attribute 'net profit / total assets' numeric\n@attribute x2 numeric\n@attribute class {0,1}\n@data\n0.1,?,0\n-0.2,3,1\n";
		const { data, summary } = parseDataset({ format: "arff", label: "class", content: arff });
		expect(data.features).toEqual(["net profit / total assets", "x2"]);
		expect(Number.isNaN(data.x[0][1])).toBe(true);
		expect(Array.from(data.y)).toEqual([0, 1]);
		expect(summary).toMatchObject({ rows: 2, classes: ["0", "1"], positive_class: "1", class_balance: { "0": 1, "1": 1 }, missing_values: { x2: 1 }, missing_total: 1 });
		expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
	});

	it("take the rarer class as the positive one when the labels are words, unless told otherwise", () => {
		const csv = "a,status\n1,ok\n2,ok\n3,failed\n";
		expect(parseDataset({ format: "csv", label: "status", content: csv }).summary.positive_class).toBe("failed");
		expect(parseDataset({ format: "csv", label: "status", content: csv, positive_class: "ok" }).summary.classes).toEqual(["failed", "ok"]);
	});

	it.each([
		["", "content", /empty/],
		["a,y\n", "content", /no rows/],
		["a,a,y\n1,2,0\n", "content", /appears twice/],
		["a,y\n1,0\n2,0\n", "label", /one class only/],
		["a,y\n1,0\n2,1\n3,2\n", "label", /3 classes/],
		["a,y\n1,0\n2,\n", "label", /no value in the label/],
	])("refuse %j naming the field", (content, field, message) => {
		try {
			parseDataset({ format: "csv", label: "y", content });
			throw new Error("accepted");
		} catch (err) {
			expect(err).toBeInstanceOf(DatasetError);
			expect((err as DatasetError).issues.map(i => i.field)).toContain(field);
			expect((err as DatasetError).message).toMatch(message);
		}
	});

	it("keep a model's feature columns in its order, and name the absent ones", () => {
		const { data } = parseDataset({ format: "csv", label: "y", content: "a,b,c,y\n1,2,3,0\n4,5,6,1\n" });
		expect(Array.from(projectColumns(data, ["c", "a"]).x[1])).toEqual([6, 4]);
		expect(() => projectColumns(data, ["a", "zz"])).toThrow(/lacks the model's feature columns: zz/);
	});
});

describe("splits", () => {
	const y = Uint8Array.from({ length: 1000 }, (_, i) => (i % 20 === 0 ? 1 : 0)); // 50 positives

	it("keep the class balance in both parts, and are the same for the same seed", () => {
		const { rest, part } = stratifiedSplit(y, 0.2, 42);
		expect(part).toHaveLength(200);
		expect(part.filter(i => y[i] === 1)).toHaveLength(10);
		expect(new Set([...rest, ...part]).size).toBe(1000);
		expect(stratifiedSplit(y, 0.2, 42).part).toEqual(part);
		expect(stratifiedSplit(y, 0.2, 43).part).not.toEqual(part);
	});

	it("put every row in exactly one fold's test part", () => {
		const folds = stratifiedFolds(y, 5, 1);
		expect(folds.flatMap(f => f.test).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
		for (const fold of folds) expect(fold.test.filter(i => y[i] === 1)).toHaveLength(10);
	});
});

describe("the feature pipeline", () => {
	const x = Array.from({ length: 101 }, (_, i) => Float64Array.from([i, i % 10 === 0 ? NaN : i * i]));
	const rows = x.map((_, i) => i);

	it("sends missing values to the sentinel for trees, untouched otherwise", () => {
		const p = fitPipeline("sentinel", ["a", "b"], x, rows);
		expect(Array.from(transformRow(p, [5, NaN]))).toEqual([5, MISSING_SENTINEL]);
	});

	it("maps values to normal scores by their training quantile, imputes the median and flags it", () => {
		const p = fitPipeline("quantile_normal", ["a", "b"], x, rows);
		expect(p.output_width).toBe(3); // a, b, b missing
		const median = transformRow(p, [50, NaN]);
		expect(median[0]).toBeCloseTo(0, 6);
		expect(median[2]).toBe(1);
		expect(transformRow(p, [84, 84 * 84])[0]).toBeCloseTo(normalQuantile(0.84), 2);
		// outside the training range: clipped, never infinite
		expect(transformRow(p, [1e9, 1])[0]).toBeCloseTo(5.199, 3);
	});

	it("imputes the training median when a missing value must say nothing (impute_median): no sentinel, no indicator", () => {
		// b's training values: i² for the 90 rows not divisible by 10; their median is that of 1², 2², …, 99² less 10², 20², …
		const trees = fitPipeline("sentinel", ["a", "b"], x, rows, "impute_median");
		const median = trees.features[1].median;
		expect(median).toBeGreaterThan(0);
		expect(Array.from(transformRow(trees, [5, NaN]))).toEqual([5, median]);
		const linear = fitPipeline("quantile_normal", ["a", "b"], x, rows, "impute_median");
		expect(linear.output_width).toBe(2);
		expect(transformRow(linear, [50, NaN])[1]).toBeCloseTo(transformRow(linear, [50, median])[1], 9);
		// a pipeline stored before the choice existed keeps the sentinel
		const { missing_values: _m, ...old } = fitPipeline("sentinel", ["a", "b"], x, rows);
		expect(transformRow(old, [5, NaN])[1]).toBe(MISSING_SENTINEL);
	});

	it("inverts the normal distribution to 1e-9", () => {
		expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
		expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
	});
});

describe("drift", () => {
	it("is zero for the training distribution and grows with a shift (PSI levels after Siddiqi)", () => {
		const training = Float64Array.from({ length: 1000 }, (_, i) => i);
		const reference = driftReference(training);
		expect(reference.edges).toHaveLength(9);
		expect(populationStabilityIndex(reference.shares, binShares(reference.edges, training))).toBeCloseTo(0, 6);
		const shifted = Float64Array.from({ length: 1000 }, (_, i) => i + 300);
		const psi = populationStabilityIndex(reference.shares, binShares(reference.edges, shifted));
		expect(psi).toBeGreaterThan(0.25);
		expect(driftLevel(psi)).toBe("action");
		// by hand: two bins, 50/50 expected, 60/40 actual: 0.1·ln(1.2) + (−0.1)·ln(0.8) = 0.04055
		expect(populationStabilityIndex([0.5, 0.5], [0.6, 0.4])).toBeCloseTo(0.1 * Math.log(1.2) - 0.1 * Math.log(0.8), 6);
	});
});

describe("ROC and precision-recall curves", () => {
	it("step through the scores from the highest, and the ROC curve's area is the ROC AUC", () => {
		const y = [1, 0, 1, 0];
		const p = [0.9, 0.1, 0.4, 0.6];
		const c = curves(y, p)!;
		// 0.9 (positive), 0.6 (negative), 0.4 (positive), 0.1 (negative)
		expect(c.roc).toEqual([
			[0, 0],
			[0, 0.5],
			[0.5, 0.5],
			[0.5, 1],
			[1, 1],
		]);
		expect(c.pr).toEqual([
			[0.5, 1],
			[0.5, 0.5],
			[1, 0.6667],
			[1, 0.5],
		]);
		const area = c.roc.slice(1).reduce((sum, [x, t], i) => sum + ((x - c.roc[i][0]) * (t + c.roc[i][1])) / 2, 0);
		expect(area).toBeCloseTo(rocAuc(y, p)!, 10);
		expect(curves([1, 1], [0.2, 0.3])).toBeNull();
	});

	it("keep at most the points asked for, the ends included", () => {
		const n = 1000;
		const y = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
		const p = Array.from({ length: n }, (_, i) => ((i * 7919) % n) / n);
		const c = curves(y, p, 50)!;
		expect(c.roc.length).toBeLessThanOrEqual(51);
		expect(c.roc[0]).toEqual([0, 0]);
		expect(c.roc[c.roc.length - 1]).toEqual([1, 1]);
	});
});

describe("gates", () => {
	it("name each metric below its floor (brier: above its ceiling)", () => {
		const metrics = classificationMetrics([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.6], 0.5);
		// ROC AUC 3 / 4 pairs = 0.75; Brier (0.01 + 0.01 + 0.36 + 0.36) / 4 = 0.185
		expect(metrics).toMatchObject({ roc_auc: 0.75, brier: 0.185 });
		expect(failedGates(metrics, { roc_auc: 0.8, brier: 0.1 }).map(f => f.metric)).toEqual(["roc_auc", "brier"]);
		expect(failedGates(metrics, { roc_auc: 0.75, brier: 0.2 })).toEqual([]);
	});

	it("hold the share of reference filers labelled positive under its ceiling; a version never checked fails that gate", () => {
		const metrics = classificationMetrics([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.6], 0.5);
		const checked = gateValues({ test: metrics, reference: { labelled_positive_share: 0.4 } as ReferenceCheck });
		expect(failedGates(checked, { reference_positive_share: 0.25 })).toEqual([
			{ metric: "reference_positive_share", required: 0.25, actual: 0.4, message: "reference_positive_share 0.4 > 0.25" },
		]);
		expect(failedGates(checked, { reference_positive_share: 0.5 })).toEqual([]);
		expect(failedGates(gateValues({ test: metrics }), { reference_positive_share: 0.5 })[0].actual).toBeNull();
	});
});

describe("input coverage", () => {
	it("defaults the floor to what training saw plus a 25-point margin, unless the model sets one", () => {
		expect(coverageFloor(0.0062)).toBeCloseTo(1 - 0.0062 - INPUT_COVERAGE_MARGIN, 4);
		expect(coverageFloor(undefined)).toBe(0.75);
		expect(coverageFloor(0.9)).toBe(0);
		expect(coverageFloor(0.0062, 0.5)).toBe(0.5);
	});

	it("names the inputs a row lacks and says whether it may be scored", () => {
		expect(inputCoverage(["a", "b", "c", "d"], [1, NaN, 3, NaN], 0.75)).toEqual({ coverage: 0.5, missing: ["b", "d"], sufficient: false });
		expect(inputCoverage(["a", "b", "c", "d"], [1, 2, 3, NaN], 0.75)).toEqual({ coverage: 0.75, missing: ["d"], sufficient: true });
		expect(missingShare([Float64Array.from([1, NaN]), Float64Array.from([NaN, NaN])])).toBe(0.75);
	});
});

describe("the reference check", () => {
	const filer = (zone: Zone | null, a: number | null, b: number | null = 1): ReferenceFiler => ({
		name: "x",
		cik: "1",
		period_end: "2009-12-31",
		values: { a, b },
		altman_zone: zone,
	});

	it("scores the filers with enough inputs, and sets its labels beside Altman's zones", () => {
		// the "model" is the value of a; the threshold 0.5
		const filers = [filer("distress", 0.9), filer("distress", 0.4), filer("safe", 0.1), filer("safe", 0.6), filer("grey", 0.2), filer(null, 0.7), filer("safe", null, null)];
		const check = referenceCheck("test filers", filers, ["a", "b"], 0.75, rows => Float64Array.from(rows, r => r[0]), 0.5);
		expect(check).toMatchObject({ filers: 7, scored: 6, insufficient_inputs: 1, labelled_positive: 3, labelled_positive_share: 0.5 });
		expect(check.labelled_positive_by_altman_zone).toEqual({
			distress: { filers: 2, labelled_positive: 1 },
			grey: { filers: 1, labelled_positive: 0 },
			safe: { filers: 2, labelled_positive: 1 },
		});
		expect(check.altman_distress_share).toBe(0.4);
		// distress 0.9, 0.4 against safe 0.1, 0.6: 3 of 4 pairs ordered right
		expect(check.roc_auc_against_altman).toBe(0.75);
	});
});

describe("distress features from statements", () => {
	const statement = (period_end: string, revenue: number, extra: Partial<Record<string, number>> = {}): Statement =>
		({
			period_end,
			statement_type: "annual",
			balance_sheet: {
				total_assets: 1000,
				total_current_assets: 400,
				total_current_liabilities: 200,
				total_liabilities: 600,
				total_equity: 400,
				inventory: 100,
				accounts_receivable: 50,
				cash_and_equivalents: 30,
				retained_earnings: 150,
				...extra,
			},
			income_statement: {
				revenue,
				net_income: 50,
				operating_income: 80,
				income_before_tax: 60,
				interest_expense: 20,
				depreciation_and_amortization: 10,
				cost_of_revenue: 600,
			},
			cash_flow: { operating_cash_flow: 70 },
		}) as unknown as Statement;

	it("compute the Polish ratios by their definitions, listing what they cannot compute", () => {
		const { values, not_computed } = statementFeatures(DISTRESS_FEATURE_NAMES, statement("2023-12-31", 1200), statement("2022-12-31", 1000));
		expect(values["net profit / total assets"]).toBeCloseTo(0.05);
		expect(values["working capital / total assets"]).toBeCloseTo(0.2);
		expect(values["EBIT / total assets"]).toBeCloseTo(0.08); // income before tax + interest
		expect(values["sales (n) / sales (n-1)"]).toBeCloseTo(1.2);
		expect(values["(inventory * 365) / sales"]).toBeCloseTo((100 * 365) / 1200);
		expect(values["long-term liabilities / equity"]).toBeCloseTo(400 / 400);
		expect(not_computed).toEqual([]);
		const alone = statementFeatures(DISTRESS_FEATURE_NAMES, statement("2023-12-31", 1200, { inventory: 0 }), null);
		expect(alone.not_computed).toEqual([
			{ feature: "sales (n) / sales (n-1)", reason: "needs the prior year's statement" },
			{ feature: "sales / inventory", reason: "a line item it needs is missing or zero" },
		]);
	});

	it("observe distress in a later statement: equity gone, or a loss with cash burnt", () => {
		expect(observedDistress(statement("2024-12-31", 1000, { total_equity: -5 }))).toBe(true);
		expect(observedDistress(statement("2024-12-31", 1000))).toBe(false);
	});
});

describe("a training job's cost estimate", () => {
	const base = { rows: 5910, features: 64 };
	const net = (h: Hyperparameters, k_folds?: number) =>
		estimateTrainingCost({ model_type: "dense", hyperparameters: { ...MODEL_TYPE_DEFINITIONS.dense.defaults, ...h }, ...base, k_folds }).seconds;

	it("counts the work as the trainer does it: Newton iterations for IRLS, steps for tfjs, rounds over rows × features for XGBoost, a fit per fold", () => {
		// 3,782 training rows (64 % of 5,910); up to 129 columns (64 features, an indicator each, the intercept)
		const lr = estimateTrainingCost({
			model_type: "logistic_regression",
			hyperparameters: { ...MODEL_TYPE_DEFINITIONS.logistic_regression.defaults, max_iterations: 10 },
			...base,
		});
		expect(lr.seconds).toBeCloseTo(10 * 3782 * (129 * 129 * 0.5 + 4 * 129) * COST_RATES.js_multiply_add + COST_RATES.fit_overhead, 6);
		expect(lr.basis).toBe("at most 10 Newton iterations over 3782 rows × 129 columns");
		// 119 batches of 32 a epoch through three dense layers (64 → 64 → 32 → 1: 6,273 parameters)
		const steps = Math.ceil(3782 / 32) * 10;
		expect(net({ epochs: 10 })).toBeCloseTo(steps * COST_RATES.tf_step_per_layer * 3 + (6 * 6273 * 3782 * 10) / COST_RATES.tf_flops + COST_RATES.fit_overhead, 6);
		expect(net({ epochs: 10, batch_size: 1 })).toBeGreaterThan(20 * net({ epochs: 10 }));
		expect(net({ epochs: 10 }, 4)).toBeCloseTo(5 * net({ epochs: 10 }), 6);
		const gbt = estimateTrainingCost({ model_type: "gradient_boosted_trees", hyperparameters: { iterations: [100], max_depth: 6 }, ...base });
		expect(gbt.seconds).toBeCloseTo(100 * 3782 * 64 * COST_RATES.gbt_round_cell + COST_RATES.fit_overhead, 6);
		expect(gbt.basis).toBe("100 boosting rounds of depth 6 over 3782 rows × 64 features");
	});

	it("is within a factor of two of the training times measured on the reference machine (Polish 5year, bench/README.md)", () => {
		const measured: Array<[ModelType, Hyperparameters, number]> = [
			// three iterations, all run (it converges in more): the estimate is per iteration, an upper bound for a job
			["logistic_regression", { max_iterations: 3 }, 0.32],
			["dense", { epochs: 10 }, 3.86],
			["dense", { epochs: 5, hidden_units: [512, 512] }, 25.3],
			["gradient_boosted_trees", { iterations: [100] }, 3.14],
			["random_forest", {}, 0.89],
			["random_forest", { n_estimators: 50, max_features: 1, max_depth: 32, min_samples_leaf: 1 }, 0.44],
			["random_forest", { n_estimators: 500, max_features: 0.1 }, 0.74],
		];
		for (const [model_type, h, seconds] of measured) {
			const estimate = estimateTrainingCost({ model_type, hyperparameters: { ...MODEL_TYPE_DEFINITIONS[model_type].defaults, ...h }, ...base }).seconds;
			expect(estimate / seconds).toBeGreaterThan(0.5);
			expect(estimate / seconds).toBeLessThan(2);
		}
	});
});
