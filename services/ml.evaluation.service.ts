/**
 * ml.evaluation: a version's metrics on data it never saw (docs/ml.md). Every version carries the metrics of
 * its training run's stratified hold-out; this service re-evaluates a stored version, as loaded from its
 * artifact, on that hold-out or on another data set, and compares versions side by side.
 */
import { MlDatasets, MlRegistry } from "../contracts";
import { call } from "../lib/contract-calls";
import type { Context } from "moleculer";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { SPLIT_DEFAULTS } from "../domains/ml/training";
import { readBody } from "../lib/json-body";
import type { AuthMeta } from "../lib/principal";
import { defineService } from "../lib/service";
import type { EvaluationInput, EvaluationResult } from "../lib/worker-tasks";
import { clientErrorOf, ownBuffer, runInWorker } from "../lib/worker-thread";
import { servicePrincipal } from "../lib/principal";
import { serviceUnavailable, unprocessable } from "../models/errors";
import { createHash } from "node:crypto";

type MlContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const COMPARED = ["roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy", "brier"] as const;
const AS_EVALUATION = { meta: { user: servicePrincipal("ml.evaluation") } };

const MlEvaluationService = defineService()({
	name: "ml.evaluation",
	metadata: { description: "ML model evaluation and comparison" },
	mixins: [ConfiguredMixin],
	settings: { rest: "/" },

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
				const model = await call(ctx, MlRegistry.actions.get, { id: ctx.params.id });
				const meta = await call(ctx, MlRegistry.actions.getVersion, { id: model.id, version: ctx.params.version });
				const datasetId = ctx.params.dataset_id ?? meta.dataset_id;
				const dataset = await call(ctx, MlDatasets.actions.get, { id: datasetId });
				// the cost, known before anything is read: the rows to score (the training set's hold-out, or all)
				const sameData = dataset.sha256 === meta.dataset_sha256;
				const rows = sameData ? Math.ceil(dataset.rows * SPLIT_DEFAULTS.test_fraction) : dataset.rows;
				if (rows > this.config.ml.max_evaluation_rows)
					throw unprocessable(`Evaluating would score ${rows} rows of data set '${dataset.name}': at most ${this.config.ml.max_evaluation_rows} are scored in one call`, [
						{ field: "dataset_id", message: `${rows} rows to score: at most ${this.config.ml.max_evaluation_rows} per evaluation`, type: "costLimit" },
					]);
				const content = ownBuffer(await readBody(await call(ctx, MlDatasets.actions.content, { id: datasetId }), "1gb"));
				const artifact = ownBuffer(await readBody(await call(this.broker, MlRegistry.actions.artifact, { id: model.id, version: meta.version }, AS_EVALUATION), "1gb"));
				// verified here too: what is loaded must be what was stored
				const expected = meta.artifacts[0].sha256;
				const actual = createHash("sha256").update(artifact).digest("hex");
				if (actual !== expected) throw serviceUnavailable(`The artifact of model ${model.id} v${meta.version} fails its hash check: not loaded`, { expected, actual });
				const input: EvaluationInput = {
					dataset: { format: dataset.format, label: dataset.label, positive_class: dataset.positive_class, content, sha256: dataset.sha256 },
					version: {
						model_type: meta.model_type,
						features: meta.features,
						pipeline: meta.pipeline,
						threshold: meta.threshold,
						dataset_sha256: meta.dataset_sha256,
						split_seed: meta.split.seed,
					},
					artifact,
					max_rows: this.config.ml.max_evaluation_rows,
				};
				// parsed and scored in a thread of its own, within a heap and a time limit
				let result: EvaluationResult;
				try {
					result = await runInWorker<EvaluationResult>("ml.evaluate", input, { memoryMb: this.config.ml.worker_memory_mb, timeoutMs: this.config.ml.worker_timeout_ms }, [
						content.buffer as ArrayBuffer,
						artifact.buffer as ArrayBuffer,
					]);
				} catch (err) {
					throw clientErrorOf(err, "dataset_id", "Evaluating this version on this data set");
				}
				return {
					model_id: model.id,
					version: meta.version,
					dataset_id: dataset.id,
					rows_evaluated: result.same_data ? "hold-out of the training data set (never seen in training)" : "every row of the data set",
					metrics: result.metrics,
					recorded_test_metrics: meta.metrics.test,
				};
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
				const model = await call(ctx, MlRegistry.actions.get, { id: ctx.params.id });
				const numbers = [...new Set(ctx.params.versions.split(",").map(Number))];
				const versions = await Promise.all(numbers.map(v => call(ctx, MlRegistry.actions.getVersion, { id: model.id, version: v })));
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
