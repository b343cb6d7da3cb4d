/**
 * Input drift: the population stability index per feature between the training rows and the rows a production
 * version has scored (Siddiqi, Credit Risk Scorecards, 2006: < 0.1 stable, 0.1–0.25 a shift to watch,
 * > 0.25 a shift that needs action). Bins are the training deciles plus one bin for missing values.
 */

export interface DriftReference {
	/** Upper edges of the training deciles (9 edges, 10 bins). */
	edges: number[];
	/** Share of training rows per bin, then the missing share last. */
	shares: number[];
}

export const PSI_LEVELS = { stable_below: 0.1, action_above: 0.25 } as const;
const EPSILON = 1e-4;

function binOf(edges: number[], v: number): number {
	if (Number.isNaN(v)) return edges.length + 1;
	let b = 0;
	while (b < edges.length && v > edges[b]) b++;
	return b;
}

export function driftReference(values: ArrayLike<number>): DriftReference {
	const finite = Array.from(values)
		.filter(v => !Number.isNaN(v))
		.sort((a, b) => a - b);
	const edges = finite.length ? Array.from({ length: 9 }, (_, i) => finite[Math.min(finite.length - 1, Math.floor(((i + 1) * finite.length) / 10))]) : [];
	return { edges, shares: binShares(edges, values) };
}

export function binShares(edges: number[], values: ArrayLike<number>): number[] {
	const counts = new Array<number>(edges.length + 2).fill(0);
	for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i])]++;
	return counts.map(c => (values.length ? c / values.length : 0));
}

/** Σ (actual − expected) · ln(actual / expected) over the bins, shares floored at a small epsilon. */
export function populationStabilityIndex(expected: number[], actual: number[]): number {
	let psi = 0;
	for (let b = 0; b < expected.length; b++) {
		const e = Math.max(EPSILON, expected[b]);
		const a = Math.max(EPSILON, actual[b] ?? 0);
		psi += (a - e) * Math.log(a / e);
	}
	return psi;
}

export function driftLevel(psi: number): "stable" | "watch" | "action" {
	return psi < PSI_LEVELS.stable_below ? "stable" : psi <= PSI_LEVELS.action_above ? "watch" : "action";
}
