/**
 * The feature pipeline a version is trained with, fitted on its training rows only and stored with it, so a
 * prediction sees exactly the transformation training saw. Trees get missing values as a sentinel below every
 * real value (ml-xgboost refuses NaN); linear and neural models get a quantile transform to a standard normal
 * (scikit-learn's QuantileTransformer, output_distribution="normal"), which tames the heavy-tailed ratios,
 * with the median imputed for a missing value plus a missing-indicator column. That keeps a missing value as
 * information (`informative`: in the Polish bankruptcy data a firm in trouble reports less). Where missing only
 * means the source could not give the figure (ratios a statement lacks the line items for), `impute_median`
 * gives every model the training median instead, with no sentinel and no indicator: missing says nothing.
 */

export const PIPELINE_KINDS = ["sentinel", "quantile_normal"] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];
export const MISSING_VALUE_HANDLINGS = ["informative", "impute_median"] as const;
export type MissingValueHandling = (typeof MISSING_VALUE_HANDLINGS)[number];

/** Below every real value of any sane ratio: trees send missing values down their own side of a split. */
export const MISSING_SENTINEL = -1e9;
const QUANTILES = 200;
/** Normal quantile of 1e-7: the transform's clip, as scikit-learn's BOUNDS_THRESHOLD. */
const CLIP = 5.199;

export interface FittedFeature {
	name: string;
	median: number;
	/** Sorted reference points of the training values (quantile_normal only). */
	quantiles?: number[];
	/** Whether the transform adds a 0/1 column saying the value was missing. */
	missing_indicator?: boolean;
}

export interface FeaturePipeline {
	kind: PipelineKind;
	/** Absent on versions trained before it was a choice: informative. */
	missing_values?: MissingValueHandling;
	features: FittedFeature[];
	/** Columns the model sees, in order. */
	output_width: number;
}

function sortedFinite(x: Float64Array[], f: number, rows: number[]): number[] {
	const values: number[] = [];
	for (const r of rows) {
		const v = x[r][f];
		if (!Number.isNaN(v)) values.push(v);
	}
	return values.sort((a, b) => a - b);
}

function quantile(sorted: number[], q: number): number {
	if (!sorted.length) return 0;
	const pos = q * (sorted.length - 1);
	const lo = Math.floor(pos);
	const hi = Math.ceil(pos);
	return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function fitPipeline(kind: PipelineKind, features: string[], x: Float64Array[], rows: number[], missingValues: MissingValueHandling = "informative"): FeaturePipeline {
	let width = 0;
	const fitted = features.map((name, f) => {
		const sorted = sortedFinite(x, f, rows);
		const median = quantile(sorted, 0.5);
		width++;
		if (kind === "sentinel") return { name, median };
		const missingIndicator = missingValues === "informative" && sorted.length < rows.length;
		if (missingIndicator) width++;
		return { name, median, quantiles: Array.from({ length: QUANTILES + 1 }, (_, i) => quantile(sorted, i / QUANTILES)), missing_indicator: missingIndicator };
	});
	return { kind, missing_values: missingValues, features: fitted, output_width: width };
}

/** Acklam's rational approximation of the standard normal quantile function (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
	const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
	const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
	const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
	const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
	const low = 0.02425;
	if (p <= 0) return -Infinity;
	if (p >= 1) return Infinity;
	if (p < low) {
		const q = Math.sqrt(-2 * Math.log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - low) {
		const q = Math.sqrt(-2 * Math.log(1 - p));
		return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	const q = p - 0.5;
	const r = q * q;
	return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** The value's position among the training quantiles (0–1), interpolated, ties averaged both ways as scikit-learn does. */
function rankOf(quantiles: number[], v: number): number {
	const n = quantiles.length - 1;
	if (v <= quantiles[0]) return 0;
	if (v >= quantiles[n]) return 1;
	let lo = 0;
	let hi = n;
	while (hi - lo > 1) {
		const mid = (lo + hi) >> 1;
		if (quantiles[mid] <= v) lo = mid;
		else hi = mid;
	}
	let first = lo;
	while (first > 0 && quantiles[first - 1] === quantiles[lo]) first--;
	const upward = quantiles[hi] === quantiles[lo] ? lo : lo + (v - quantiles[lo]) / (quantiles[hi] - quantiles[lo]);
	const downward = quantiles[lo] === v ? first : upward;
	return (upward + downward) / 2 / n;
}

/** One row (NaN where missing) to the model's input. */
export function transformRow(pipeline: FeaturePipeline, row: ArrayLike<number>, out = new Float64Array(pipeline.output_width)): Float64Array {
	let o = 0;
	for (let f = 0; f < pipeline.features.length; f++) {
		const feature = pipeline.features[f];
		const v = row[f];
		const missing = v == null || Number.isNaN(v);
		if (pipeline.kind === "sentinel") {
			out[o++] = !missing ? v : pipeline.missing_values === "impute_median" ? feature.median : MISSING_SENTINEL;
			continue;
		}
		const rank = rankOf(feature.quantiles!, missing ? feature.median : v);
		out[o++] = Math.max(-CLIP, Math.min(CLIP, normalQuantile(Math.min(1 - 1e-7, Math.max(1e-7, rank)))));
		if (feature.missing_indicator) out[o++] = missing ? 1 : 0;
	}
	return out;
}

export function transformRows(pipeline: FeaturePipeline, x: Float64Array[], rows?: number[]): Float64Array[] {
	return (rows ?? x.map((_, i) => i)).map(r => transformRow(pipeline, x[r]));
}
