/**
 * Issue 21, item 2: the default distress model outside its training data. Trains the default recipe (gradient-
 * boosted trees on the 36 statement ratios of the Polish 5year file) as the training service does, once with
 * missing values as a signal (the recipe before issue 21) and once imputed (the recipe now), and for each:
 * its hold-out ROC AUC; its reference check on the US 10-K filers of fiscal 2009 (SEC Financial Statement Data
 * Sets, financial firms left out) — how many it labels distressed beside how many Altman's zones put in
 * distress, and how well its probability orders Altman's distress zone above the safe one; and the two
 * companies of the issue: a healthy manufacturer whose statement gives every input, and the same with 13 of
 * the 36 not computable.
 */
import fs from "node:fs";
import path from "node:path";
import { parseDataset, projectColumns } from "../domains/ml/dataset";
import { coverageFloor, inputCoverage } from "../domains/ml/coverage";
import { DEFAULT_DISTRESS_MODEL, statementFeatures } from "../domains/ml/distress";
import { MODEL_TYPE_DEFINITIONS } from "../domains/ml/model-types";
import { MISSING_VALUE_HANDLINGS, transformRow } from "../domains/ml/pipeline";
import { checkOnReference, trainVersion } from "../domains/ml/training";
import { REFERENCE_POPULATION, referenceFilers } from "../lib/reference-filers";
import type { Statement } from "../models/statement";
import { healthyManufacturerStatement } from "../test/helpers/fixtures";
import { machine, ROOT, save } from "./harness";

const features = [...DEFAULT_DISTRESS_MODEL.configuration.features];
const asStatement = (s: object) => s as unknown as Statement;
/** The healthy manufacturer, with every input and with 13 of 36 missing (no prior year either). */
const HEALTHY = {
	every_input: [asStatement(healthyManufacturerStatement("2024-12-31", 1000)), asStatement(healthyManufacturerStatement("2023-12-31", 950))],
	"13 of 36 missing": [asStatement(healthyManufacturerStatement("2024-12-31", 1000, false)), null],
} as const;

async function main() {
	console.log(`machine: ${machine()}`);
	const content = fs.readFileSync(path.join(ROOT, "data/polish-bankruptcy/5year.arff"), "utf8");
	const data = projectColumns(parseDataset({ format: "arff", label: "bankruptcy", positive_class: "1", content }).data, features);
	const reference = { population: REFERENCE_POPULATION, filers: referenceFilers().filers };
	const rows = [];
	for (const missing_values of MISSING_VALUE_HANDLINGS) {
		const result = await trainVersion(data, { model_type: DEFAULT_DISTRESS_MODEL.model_type, missing_values }, { onProgress() {}, cancelled: () => false });
		const check = await checkOnReference(result, DEFAULT_DISTRESS_MODEL.model_type, features, reference);
		const model = await MODEL_TYPE_DEFINITIONS[DEFAULT_DISTRESS_MODEL.model_type].load(result.artifact);
		const floor = coverageFloor(result.training_missing_share);
		const examples = Object.fromEntries(
			Object.entries(HEALTHY).map(([name, [current, prior]]) => {
				const row = Float64Array.from(features, f => statementFeatures(features, current, prior).values[f] ?? NaN);
				const probability = model.predict([transformRow(result.pipeline, row)])[0];
				return [
					name,
					{ probability: Number(probability.toPrecision(2)), label: probability >= result.threshold ? 1 : 0, scored: inputCoverage(features, row, floor).sufficient },
				];
			}),
		);
		model.free();
		rows.push({ missing_values, test_roc_auc: result.metrics.test.roc_auc, threshold: Number(result.threshold.toFixed(4)), floor, reference: check, examples });
		const z = check.labelled_positive_by_altman_zone;
		console.log(
			`| ${missing_values} | ${result.metrics.test.roc_auc} | ${check.scored} of ${check.filers} | ${check.labelled_positive} (${(100 * check.labelled_positive_share!).toFixed(1)} %) | ` +
				`${(100 * check.altman_distress_share!).toFixed(1)} % | ${z.distress.labelled_positive}/${z.distress.filers} · ${z.grey.labelled_positive}/${z.grey.filers} · ${z.safe.labelled_positive}/${z.safe.filers} | ` +
				`${check.roc_auc_against_altman} | ${examples.every_input.probability} | ${examples["13 of 36 missing"].probability}${examples["13 of 36 missing"].scored ? "" : " (not scored: insufficient_inputs)"} |`,
		);
	}
	save("distress", { machine: machine(), population: REFERENCE_POPULATION, rows });
}

void main();
