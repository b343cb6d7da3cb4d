/**
 * Loading a model version where it is used (ml.prediction, ml.evaluation): its metadata and artifact from
 * ml.registry, the artifact's SHA-256 checked against the version's before it is loaded (a corrupted or
 * swapped artifact is refused), and rows keyed by column name turned into the version's feature vectors.
 */
import { MlRegistry } from "../contracts";
import { call } from "../lib/contract-calls";
import { createHash } from "node:crypto";
import { MODEL_TYPE_DEFINITIONS, type LoadedModel } from "../domains/ml/model-types";
import { transformRows } from "../domains/ml/pipeline";
import { readBody } from "../lib/json-body";
import { servicePrincipal } from "../lib/principal";
import { defineMixin } from "../lib/service";
import { serviceUnavailable, unprocessable } from "../models/errors";
import type { ModelVersion } from "../contracts/ml.registry";

export interface ServedVersion {
	model_id: string;
	version: number;
	meta: ModelVersion;
	model: LoadedModel;
	featureIndex: Map<string, number>;
}

/** One row as a client sends it: column name → number, null or absent when missing. */
export type InputRow = Record<string, unknown>;

export function createMlModelsMixin(service: string) {
	const asService = { meta: { user: servicePrincipal(service) } };
	return defineMixin()({
		methods: {
			async loadVersion(modelId: string, version: number): Promise<ServedVersion> {
				const meta = await call(this.broker, MlRegistry.actions.servingVersion, { id: modelId, version }, asService);
				const stream = await call(this.broker, MlRegistry.actions.artifact, { id: modelId, version }, asService);
				const bytes = await readBody(stream, "1gb");
				const expected = meta.artifacts[0].sha256;
				const actual = createHash("sha256").update(bytes).digest("hex");
				if (actual !== expected) throw serviceUnavailable(`The artifact of model ${modelId} v${version} fails its hash check: not loaded`, { expected, actual });
				const model = await MODEL_TYPE_DEFINITIONS[meta.model_type].load(bytes.toString("utf8"));
				return { model_id: modelId, version, meta, model, featureIndex: new Map(meta.features.map((f, i) => [f, i])) };
			},

			/** Rows keyed by column name → feature vectors (NaN where missing); a 422 naming every bad cell and unknown column. */
			vectorsOf(served: ServedVersion, rows: InputRow[]): Float64Array[] {
				const issues: Array<{ field: string; message: string; type: string }> = [];
				const width = served.meta.features.length;
				const vectors = rows.map((row, r) => {
					const v = new Float64Array(width).fill(NaN);
					if (row == null || typeof row !== "object" || Array.isArray(row)) {
						issues.push({ field: `rows[${r}]`, message: `rows[${r}] must be an object of column → number`, type: "object" });
						return v;
					}
					for (const [key, value] of Object.entries(row)) {
						const f = served.featureIndex.get(key);
						if (f == null) {
							if (key !== served.meta.label)
								issues.push({ field: `rows[${r}].${key}`, message: `rows[${r}]: '${key}' is not a feature of this model`, type: "unknownColumn" });
							continue;
						}
						if (value == null) continue;
						if (typeof value !== "number" || !Number.isFinite(value))
							issues.push({ field: `rows[${r}].${key}`, message: `rows[${r}].${key} must be a number or null`, type: "number" });
						else v[f] = value;
					}
					return v;
				});
				if (issues.length) throw unprocessable(issues[0].message + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""), issues.slice(0, 50));
				return vectors;
			},

			/** Probabilities of the positive class, in row order. */
			probabilities(served: ServedVersion, vectors: Float64Array[]): Float64Array {
				return served.model.predict(transformRows(served.meta.pipeline, vectors));
			},
		},
	});
}
