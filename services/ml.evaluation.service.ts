/**
 * ml.evaluation: a version's metrics on data it never saw (docs/ml.md). Every version carries the metrics of
 * its training run's stratified hold-out; this service re-evaluates a stored version, as loaded from its
 * artifact, on that hold-out or on another data set, and compares versions side by side.
 */
import type { Readable } from "node:stream";
import type { Context } from "moleculer";
import { DatasetError, parseDataset, projectColumns } from "../domains/ml/dataset";
import { classificationMetrics } from "../domains/ml/metrics";
import { holdOutRows } from "../domains/ml/training";
import { readBody } from "../lib/json-body";
import type { AuthMeta } from "../lib/principal";
import { defineService } from "../lib/service";
import { createMlModelsMixin } from "../mixins/ml-models.mixin";
import { unprocessable } from "../models/errors";
import type { Dataset, MlModel, ModelVersion } from "../models/ml";

type MlContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const COMPARED = ["roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy", "brier"] as const;

const MlEvaluationService = defineService()({
	name: "ml.evaluation",
	metadata: { description: "ML model evaluation and comparison" },
	settings: { rest: "/" },
	mixins: [createMlModelsMixin("ml.evaluation")],

	actions: {
		/**
		 * Evaluates a stored version: on its training data set's hold-out (the rows it never saw) by default, or on
		 * all rows of another data set with the same columns.
		 */
		evaluate: {
			openapi: {
				summary: "Evaluate a model version",
				example: { dataset_id: "<data set id>" },
				response: "MlEvaluation",
				description: "Re-evaluates a stored version from its artifact on data it never saw.",
			},
			rest: "POST /ml/models/:id/versions/:version/evaluate",
			permission: ["execute", "ml_models"],
			timeout: 0,
			bulkhead: { enabled: true, concurrency: 2, maxQueueSize: 10 },
			params: { $$strict: true, id: idParam, version: { type: "number", integer: true, min: 1, convert: true }, dataset_id: { ...idParam, optional: true } },
			async handler(ctx: MlContext<{ id: string; version: number; dataset_id?: string }>) {
				// the caller must see the model and the data set
				const model = (await ctx.call("ml.registry.get", { id: ctx.params.id })) as MlModel;
				const meta = (await ctx.call("ml.registry.getVersion", { id: model.id, version: ctx.params.version })) as ModelVersion;
				const datasetId = ctx.params.dataset_id ?? meta.dataset_id;
				const dataset = (await ctx.call("ml.registry.getDataset", { id: datasetId })) as Dataset;
				const stream = (await ctx.call("ml.registry.datasetContent", { id: datasetId })) as Readable;
				const content = (await readBody(stream, "1gb")).toString("utf8");
				const served = await this.loadVersion(model.id, meta.version);
				try {
					let data;
					try {
						data = projectColumns(
							parseDataset({ format: dataset.format, label: dataset.label, positive_class: dataset.positive_class, content }).data,
							served.meta.features,
						);
					} catch (err) {
						if (err instanceof DatasetError) throw unprocessable(err.message, err.issues);
						throw err;
					}
					const sameData = dataset.sha256 === meta.dataset_sha256;
					const rows = sameData ? holdOutRows(data, meta.split.seed) : data.x.map((_, i) => i);
					const p = this.probabilities(
						served,
						rows.map(r => data.x[r]),
					);
					const metrics = classificationMetrics(Uint8Array.from(rows.map(r => data.y[r])), p, meta.threshold);
					return {
						model_id: model.id,
						version: meta.version,
						dataset_id: dataset.id,
						rows_evaluated: sameData ? "hold-out of the training data set (never seen in training)" : "every row of the data set",
						metrics,
						recorded_test_metrics: meta.metrics.test,
					};
				} finally {
					served.model.free();
				}
			},
		},

		/** Versions side by side: hold-out metrics, cross-validation, hyper-parameters, data set and status. */
		compare: {
			openapi: { summary: "Compare model versions", response: "MlComparison", description: "Versions side by side (`versions=1,2`)." },
			rest: "GET /ml/models/:id/compare",
			permission: ["read", "ml_models"],
			params: {
				$$strict: true,
				id: idParam,
				versions: { type: "string", pattern: /^\d+(,\d+){1,9}$/, messages: { stringPattern: "{field}: two to ten version numbers, comma-separated (e.g. 1,2)" } },
			},
			async handler(ctx: MlContext<{ id: string; versions: string }>) {
				const model = (await ctx.call("ml.registry.get", { id: ctx.params.id })) as MlModel;
				const numbers = [...new Set(ctx.params.versions.split(",").map(Number))];
				const versions = await Promise.all(numbers.map(v => ctx.call("ml.registry.getVersion", { id: model.id, version: v }) as Promise<ModelVersion>));
				const best = Object.fromEntries(
					COMPARED.map(metric => {
						const scored = versions.filter(v => v.metrics.test[metric] != null);
						if (!scored.length) return [metric, null];
						const pick = scored.reduce((a, b) =>
							(metric === "brier" ? b.metrics.test[metric]! < a.metrics.test[metric]! : b.metrics.test[metric]! > a.metrics.test[metric]!) ? b : a,
						);
						return [metric, pick.version];
					}),
				);
				return {
					model_id: model.id,
					versions: versions.map(v => ({
						version: v.version,
						model_type: v.model_type,
						deployment_status: v.deployment_status,
						dataset_id: v.dataset_id,
						dataset_sha256: v.dataset_sha256,
						hyperparameters: v.hyperparameters,
						threshold: v.threshold,
						test: Object.fromEntries(COMPARED.map(m => [m, v.metrics.test[m]])),
						cross_validation: v.metrics.cross_validation?.summary ?? null,
						training_seconds: v.metrics.training_seconds,
						created_at: v.created_at,
					})),
					best,
				};
			},
		},
	},
});

export default MlEvaluationService;
