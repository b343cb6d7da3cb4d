/**
 * Input coverage (docs/ml.md): the share of a model's inputs a row gives. A model scores a row only when its
 * coverage reaches the model's floor — by default what training saw plus a margin: at most the training rows'
 * share of missing values plus 25 points may be missing. Below it the answer is `insufficient_inputs`, naming
 * what is missing, rather than a probability made up mostly of imputed or sentinel values.
 */

/** How many points of missing inputs beyond what training saw a row may have and still be scored. */
export const INPUT_COVERAGE_MARGIN = 0.25;

/** The share of inputs a row must give: the model's configured floor, else 1 − (training's missing share + margin). */
export function coverageFloor(trainingMissingShare: number | undefined, configured?: number): number {
	if (configured != null) return configured;
	return Math.max(0, Math.round((1 - (trainingMissingShare ?? 0) - INPUT_COVERAGE_MARGIN) * 1e4) / 1e4);
}

const isMissing = (v: number | null | undefined) => v == null || Number.isNaN(v);

/** The share of missing cells among `rows` (each in the features' order). */
export function missingShare(rows: ArrayLike<number>[]): number {
	let missing = 0;
	let cells = 0;
	for (const row of rows) {
		for (let i = 0; i < row.length; i++) if (isMissing(row[i])) missing++;
		cells += row.length;
	}
	return cells ? missing / cells : 0;
}

export interface InputCoverage {
	/** Share of the model's inputs the row gives, 0–1 (4 decimals). */
	coverage: number;
	/** The inputs it lacks, in the model's order. */
	missing: string[];
	sufficient: boolean;
}

/** What a row (in the features' order) gives of the model's inputs, against the floor. */
export function inputCoverage(features: string[], row: ArrayLike<number>, floor: number): InputCoverage {
	const missing = features.filter((_, i) => isMissing(row[i]));
	const coverage = features.length ? Math.round((1 - missing.length / features.length) * 1e4) / 1e4 : 1;
	return { coverage, missing, sufficient: coverage >= floor };
}
