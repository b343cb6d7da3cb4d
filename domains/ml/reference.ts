/**
 * The reference check of a model on statement ratios (docs/ml.md): its labels for real companies outside its
 * training data — the US 10-K filers of fiscal 2009 in SEC's Financial Statement Data Sets, financial firms
 * left out — beside Altman's zones for the same companies (Altman 2000: z′ for manufacturers, z″ otherwise).
 * A model that labels most of these large, mostly healthy filers distressed is wrong, whatever its hold-out
 * says; the `reference_positive_share` gate keeps it out of production.
 */
import type { Zone } from "../finance/scores";
import { rocAuc } from "./metrics";
import { inputCoverage } from "./coverage";

export interface ReferenceFiler {
	name: string;
	cik: string;
	period_end: string;
	/** The model's inputs as the platform computes them from the filing's statements (null: not computable). */
	values: Record<string, number | null>;
	altman_zone: Zone | null;
}

export interface ReferenceCheck {
	population: string;
	filers: number;
	/** Filers with enough of the model's inputs to be scored (coverage.ts). */
	scored: number;
	insufficient_inputs: number;
	labelled_positive: number;
	/** labelled_positive / scored: the figure the reference_positive_share gate reads. */
	labelled_positive_share: number | null;
	/** Of the scored filers with an Altman zone, the share in its distress zone. */
	altman_distress_share: number | null;
	/** Of the scored filers in each Altman zone, how many the model labels positive. */
	labelled_positive_by_altman_zone: Record<Zone, { filers: number; labelled_positive: number }>;
	/** How well the probability orders Altman's distress zone above its safe zone (null without both). */
	roc_auc_against_altman: number | null;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** Scores the filers that give enough inputs with `predict` (probabilities of the positive class) at `threshold`. */
export function referenceCheck(
	population: string,
	filers: ReferenceFiler[],
	features: string[],
	floor: number,
	predict: (rows: Float64Array[]) => Float64Array,
	threshold: number,
): ReferenceCheck {
	const rows = filers.map(f => Float64Array.from(features, name => f.values[name] ?? NaN));
	const scoredIdx = rows.map((row, i) => (inputCoverage(features, row, floor).sufficient ? i : -1)).filter(i => i >= 0);
	const p = scoredIdx.length ? predict(scoredIdx.map(i => rows[i])) : new Float64Array(0);
	const byZone: ReferenceCheck["labelled_positive_by_altman_zone"] = {
		distress: { filers: 0, labelled_positive: 0 },
		grey: { filers: 0, labelled_positive: 0 },
		safe: { filers: 0, labelled_positive: 0 },
	};
	const aucY: number[] = [];
	const aucP: number[] = [];
	let positive = 0;
	scoredIdx.forEach((i, k) => {
		const label = p[k] >= threshold;
		if (label) positive++;
		const zone = filers[i].altman_zone;
		if (!zone) return;
		byZone[zone].filers++;
		if (label) byZone[zone].labelled_positive++;
		if (zone !== "grey") {
			aucY.push(zone === "distress" ? 1 : 0);
			aucP.push(p[k]);
		}
	});
	const zoned = byZone.distress.filers + byZone.grey.filers + byZone.safe.filers;
	const auc = rocAuc(aucY, aucP);
	return {
		population,
		filers: filers.length,
		scored: scoredIdx.length,
		insufficient_inputs: filers.length - scoredIdx.length,
		labelled_positive: positive,
		labelled_positive_share: scoredIdx.length ? round(positive / scoredIdx.length) : null,
		altman_distress_share: zoned ? round(byZone.distress.filers / zoned) : null,
		labelled_positive_by_altman_zone: byZone,
		roc_auc_against_altman: auc == null ? null : round(auc),
	};
}
