/**
 * A random forest on histograms. Breiman (2001), "Random Forests", Machine Learning 45(1): each tree grown on a
 * bootstrap sample, a random subset of the features tried at every split (not once per tree), the trees' votes
 * averaged — here their leaves' shares of the positive class (soft voting, which ranks better than counting hard
 * votes). The split search runs on each feature's values cut into at most 64 bins at its training quantiles, as
 * LightGBM (Ke et al. 2017) and scikit-learn's HistGradientBoosting do: a node's search scans bins, not its rows
 * sorted per feature, so a tree costs rows × features tried × depth.
 */
import { seededRandom } from "./split";

export interface ForestOptions {
	trees: number;
	/** The share of the features tried at each split. */
	maxFeatures: number;
	maxDepth: number;
	minSamplesLeaf: number;
}

/** One tree as parallel arrays by node: feature (−1 for a leaf), threshold (left when value ≤ it), children, positive share. */
export interface ForestTree {
	f: number[];
	t: number[];
	l: number[];
	r: number[];
	v: number[];
}

export interface HistogramForest {
	kind: "histogram_forest";
	trees: ForestTree[];
}

const MAX_BINS = 64;

/**
 * Cut points of one feature: up to MAX_BINS − 1 values halfway between neighbouring distinct training values, at its
 * quantiles (every gap when it has fewer distinct values). NaN sorts last and falls right of every cut.
 */
export function binEdges(values: Float64Array): Float64Array {
	const sorted = Float64Array.from(values).sort();
	let n = sorted.length;
	while (n > 0 && Number.isNaN(sorted[n - 1])) n--;
	const edges: number[] = [];
	for (let b = 1; b < MAX_BINS; b++) {
		let j = Math.max(1, Math.floor((b * n) / MAX_BINS));
		while (j < n && sorted[j] === sorted[j - 1]) j++;
		if (j >= n) break;
		const cut = (sorted[j - 1] + sorted[j]) / 2;
		if (!edges.length || cut > edges[edges.length - 1]) edges.push(cut);
	}
	return Float64Array.from(edges);
}

/** The bin of a value: the first cut it is at or below (NaN and values past the last cut: the last bin). */
function binOf(edges: Float64Array, value: number): number {
	let lo = 0;
	let hi = edges.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (value <= edges[mid]) hi = mid;
		else lo = mid + 1;
	}
	return lo;
}

/** Trees one at a time (the caller reports progress and can stop between them). */
export function forestTrainer(x: Float64Array[], y: Uint8Array, options: ForestOptions, seed: number) {
	const rows = x.length;
	const features = rows ? x[0].length : 0;
	const edges = Array.from({ length: features }, (_, f) => binEdges(Float64Array.from(x, row => row[f])));
	const binned = edges.map((e, f) => Uint8Array.from(x, row => binOf(e, row[f])));
	const tried = Math.max(1, Math.min(features, Math.round(options.maxFeatures * features)));
	const random = seededRandom(seed);
	const count = new Float64Array(MAX_BINS);
	const positives = new Float64Array(MAX_BINS);
	const order = Int32Array.from({ length: features }, (_, i) => i);

	/** The best split of rows idx[start, end) as [feature, bin, score], or null when none helps. */
	const bestSplit = (idx: Int32Array, start: number, end: number, n: number, pos: number): [number, number] | null => {
		// a split is scored by Σ over its sides of (positives² + negatives²) / rows: the larger, the lower the Gini impurity
		let best = (pos * pos + (n - pos) * (n - pos)) / n;
		let found: [number, number] | null = null;
		for (let k = 0; k < tried; k++) {
			const pick = k + Math.floor(random() * (features - k));
			const f = order[pick];
			order[pick] = order[k];
			order[k] = f;
			const bins = edges[f].length + 1;
			if (bins < 2) continue;
			count.fill(0, 0, bins);
			positives.fill(0, 0, bins);
			const column = binned[f];
			for (let i = start; i < end; i++) {
				const row = idx[i];
				count[column[row]]++;
				positives[column[row]] += y[row];
			}
			let nl = 0;
			let pl = 0;
			for (let b = 0; b < bins - 1; b++) {
				nl += count[b];
				pl += positives[b];
				if (nl < options.minSamplesLeaf) continue;
				const nr = n - nl;
				if (nr < options.minSamplesLeaf) break;
				const pr = pos - pl;
				const score = (pl * pl + (nl - pl) * (nl - pl)) / nl + (pr * pr + (nr - pr) * (nr - pr)) / nr;
				if (score > best + 1e-12) {
					best = score;
					found = [f, b];
				}
			}
		}
		return found;
	};

	return {
		growTree(): ForestTree {
			const idx = new Int32Array(rows);
			for (let i = 0; i < rows; i++) idx[i] = Math.floor(random() * rows); // the bootstrap sample
			const tree: ForestTree = { f: [], t: [], l: [], r: [], v: [] };
			const stack: Array<[number, number, number, number]> = []; // node, start, end, depth
			const node = () => {
				for (const a of [tree.f, tree.l, tree.r]) a.push(-1);
				tree.t.push(0);
				tree.v.push(0);
				return tree.f.length - 1;
			};
			stack.push([node(), 0, rows, 0]);
			while (stack.length) {
				const [id, start, end, depth] = stack.pop()!;
				const n = end - start;
				let pos = 0;
				for (let i = start; i < end; i++) pos += y[idx[i]];
				tree.v[id] = n ? pos / n : 0;
				if (depth >= options.maxDepth || n < 2 * options.minSamplesLeaf || pos === 0 || pos === n) continue;
				const split = bestSplit(idx, start, end, n, pos);
				if (!split) continue;
				const [f, b] = split;
				// rows of bins ≤ b to the front
				let mid = start;
				const column = binned[f];
				for (let i = start; i < end; i++)
					if (column[idx[i]] <= b) {
						const swap = idx[mid];
						idx[mid++] = idx[i];
						idx[i] = swap;
					}
				tree.f[id] = f;
				tree.t[id] = edges[f][b];
				tree.l[id] = node();
				tree.r[id] = node();
				stack.push([tree.l[id], start, mid, depth + 1], [tree.r[id], mid, end, depth + 1]);
			}
			return tree;
		},
	};
}

/** The forest's probability of the positive class for each row. */
export function predictForest(forest: HistogramForest, rows: Float64Array[]): Float64Array {
	const out = new Float64Array(rows.length);
	for (let i = 0; i < rows.length; i++) {
		const row = rows[i];
		let sum = 0;
		for (const tree of forest.trees) {
			let id = 0;
			while (tree.f[id] >= 0) id = row[tree.f[id]] <= tree.t[id] ? tree.l[id] : tree.r[id];
			sum += tree.v[id];
		}
		out[i] = forest.trees.length ? sum / forest.trees.length : 0;
	}
	return out;
}
