/**
 * Binary classification metrics (docs/ml.md). ROC AUC as the Mann–Whitney U statistic with ties counted half
 * (Hanley & McNeil 1982); PR AUC as average precision (scikit-learn's definition); Brier (1950) score.
 */

export interface ConfusionMatrix {
	tp: number;
	fp: number;
	tn: number;
	fn: number;
}

export interface ClassificationMetrics {
	threshold: number;
	accuracy: number;
	precision: number | null;
	recall: number | null;
	f1: number | null;
	roc_auc: number | null;
	pr_auc: number | null;
	brier: number;
	confusion_matrix: ConfusionMatrix;
	rows: number;
	positives: number;
}

export function confusionMatrix(y: ArrayLike<number>, p: ArrayLike<number>, threshold: number): ConfusionMatrix {
	const m = { tp: 0, fp: 0, tn: 0, fn: 0 };
	for (let i = 0; i < y.length; i++) {
		const predicted = p[i] >= threshold;
		if (y[i] === 1) {
			if (predicted) m.tp++;
			else m.fn++;
		} else if (predicted) m.fp++;
		else m.tn++;
	}
	return m;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

export function precision(m: ConfusionMatrix) {
	return ratio(m.tp, m.tp + m.fp);
}
export function recall(m: ConfusionMatrix) {
	return ratio(m.tp, m.tp + m.fn);
}
export function f1(m: ConfusionMatrix) {
	return ratio(2 * m.tp, 2 * m.tp + m.fp + m.fn);
}
export function accuracy(m: ConfusionMatrix) {
	return (m.tp + m.tn) / (m.tp + m.tn + m.fp + m.fn);
}

/** Probability that a random positive scores above a random negative; null without both classes. */
export function rocAuc(y: ArrayLike<number>, p: ArrayLike<number>): number | null {
	const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
	let positives = 0;
	let rankSum = 0;
	for (let i = 0; i < order.length;) {
		let j = i;
		while (j + 1 < order.length && p[order[j + 1]] === p[order[i]]) j++;
		const rank = (i + j) / 2 + 1;
		for (let k = i; k <= j; k++)
			if (y[order[k]] === 1) {
				positives++;
				rankSum += rank;
			}
		i = j + 1;
	}
	const negatives = y.length - positives;
	if (!positives || !negatives) return null;
	return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision: Σ (R_n − R_{n−1}) P_n over the distinct thresholds, highest first. */
export function prAuc(y: ArrayLike<number>, p: ArrayLike<number>): number | null {
	const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
	let positives = 0;
	for (let i = 0; i < y.length; i++) positives += y[i];
	if (!positives) return null;
	let tp = 0;
	let fp = 0;
	let previousRecall = 0;
	let ap = 0;
	for (let i = 0; i < order.length;) {
		let j = i;
		while (j < order.length && p[order[j]] === p[order[i]]) {
			if (y[order[j]] === 1) tp++;
			else fp++;
			j++;
		}
		const r = tp / positives;
		ap += (r - previousRecall) * (tp / (tp + fp));
		previousRecall = r;
		i = j;
	}
	return ap;
}

/** A curve's points, thinned to at most `max` (the first and last kept), rounded to four decimals. */
function thinned(points: Array<[number, number]>, max: number): Array<[number, number]> {
	const r = (v: number) => Math.round(v * 1e4) / 1e4;
	const step = Math.max(1, Math.ceil(points.length / max));
	const kept = points.filter((_, i) => i % step === 0 || i === points.length - 1);
	return kept.map(([x, y]) => [r(x), r(y)]);
}

/**
 * The ROC curve (false-positive rate, true-positive rate) and the precision-recall curve (recall, precision) over
 * the distinct scores, highest first (Fawcett, "An introduction to ROC analysis", 2006, algorithm 1), at most
 * `max` points each; null without both classes.
 */
export function curves(y: ArrayLike<number>, p: ArrayLike<number>, max = 101): { roc: Array<[number, number]>; pr: Array<[number, number]> } | null {
	let positives = 0;
	for (let i = 0; i < y.length; i++) positives += y[i];
	const negatives = y.length - positives;
	if (!positives || !negatives) return null;
	const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
	const roc: Array<[number, number]> = [[0, 0]];
	const pr: Array<[number, number]> = [];
	let tp = 0;
	let fp = 0;
	for (let i = 0; i < order.length;) {
		const score = p[order[i]];
		while (i < order.length && p[order[i]] === score) {
			if (y[order[i]] === 1) tp++;
			else fp++;
			i++;
		}
		roc.push([fp / negatives, tp / positives]);
		pr.push([tp / positives, tp / (tp + fp)]);
	}
	return { roc: thinned(roc, max), pr: thinned(pr, max) };
}

export function brier(y: ArrayLike<number>, p: ArrayLike<number>): number {
	let sum = 0;
	for (let i = 0; i < y.length; i++) sum += (p[i] - y[i]) ** 2;
	return sum / y.length;
}

/** The threshold with the best F1 on (validation) data; ties go to the higher threshold. */
export function bestF1Threshold(y: ArrayLike<number>, p: ArrayLike<number>): number {
	const candidates = [...new Set(Array.from(p))].sort((a, b) => a - b);
	let best = 0.5;
	let bestF1 = -1;
	for (const t of candidates) {
		const score = f1(confusionMatrix(y, p, t)) ?? 0;
		if (score >= bestF1) {
			bestF1 = score;
			best = t;
		}
	}
	return best;
}

const round = (v: number | null, digits = 4) => (v == null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export function classificationMetrics(y: ArrayLike<number>, p: ArrayLike<number>, threshold: number): ClassificationMetrics {
	const m = confusionMatrix(y, p, threshold);
	let positives = 0;
	for (let i = 0; i < y.length; i++) positives += y[i];
	return {
		threshold: round(threshold, 6)!,
		accuracy: round(accuracy(m))!,
		precision: round(precision(m)),
		recall: round(recall(m)),
		f1: round(f1(m)),
		roc_auc: round(rocAuc(y, p)),
		pr_auc: round(prAuc(y, p)),
		brier: round(brier(y, p))!,
		confusion_matrix: m,
		rows: y.length,
		positives,
	};
}

/** Means and standard deviations of k folds' metrics. */
export function summariseFolds(folds: ClassificationMetrics[]): Record<string, { mean: number | null; sd: number | null }> {
	const keys = ["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "brier"] as const;
	return Object.fromEntries(
		keys.map(k => {
			const values = folds.map(f => f[k]).filter((v): v is number => v != null);
			if (!values.length) return [k, { mean: null, sd: null }];
			const mean = values.reduce((a, b) => a + b, 0) / values.length;
			const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
			return [k, { mean: round(mean), sd: round(sd) }];
		}),
	);
}
