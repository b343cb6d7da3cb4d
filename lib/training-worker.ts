/**
 * A training run in a worker thread (docs/ml.md), so the node that runs it keeps answering (health probes,
 * job status, cancellation) while the CPU trains. Receives the data set's text and the plan, posts progress,
 * then the result or the error.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DatasetError, parseDataset, projectColumns, sha256, type DatasetSource } from "../domains/ml/dataset";
import { CancelledError } from "../domains/ml/model-types";
import { DISTRESS_FEATURES } from "../domains/ml/distress";
import { checkOnReference, trainVersion, type TrainingPlan } from "../domains/ml/training";
import { REFERENCE_POPULATION, referenceFilers, referenceFilersShipped } from "./reference-filers";

export interface TrainingWorkerInput {
	/** The data set's file as UTF-8 bytes (moved to the thread, decoded there). */
	dataset: Omit<DatasetSource, "content"> & { content: Uint8Array };
	/** Train on these columns only (the model's configured features); all when absent. */
	features?: string[];
	plan: TrainingPlan;
	/** The model's configured input coverage floor (coverage.ts), for its reference check. */
	min_input_coverage?: number;
}

export type TrainingWorkerMessage =
	| { type: "progress"; progress: number; stage: string; epoch?: number; loss?: number; val_roc_auc?: number | null }
	| { type: "result"; result: string }
	| { type: "error"; message: string; issues?: Array<{ field: string; message: string }>; cancelled?: boolean };

async function run(input: TrainingWorkerInput): Promise<void> {
	let cancelled = false;
	parentPort!.on("message", (m: { type: string }) => {
		if (m.type === "cancel") cancelled = true;
	});
	try {
		parentPort!.postMessage({ type: "progress", progress: 0, stage: "reading the data set" } satisfies TrainingWorkerMessage);
		const { content: bytes, ...source } = input.dataset;
		const content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
		const parsed = parseDataset({ ...source, content }).data;
		const data = input.features ? projectColumns(parsed, input.features) : parsed;
		parentPort!.postMessage({ type: "progress", progress: 0, stage: "training" } satisfies TrainingWorkerMessage);
		let last = 0;
		const result = await trainVersion(data, input.plan, {
			onProgress: p => {
				// at most ten messages a second
				const now = Date.now();
				if (now - last < 100 && p.progress < 1) return;
				last = now;
				parentPort!.postMessage({ type: "progress", ...p } satisfies TrainingWorkerMessage);
			},
			cancelled: () => cancelled,
		});
		// a model on statement ratios is checked against real filers outside its training data
		if (data.features.every(f => DISTRESS_FEATURES[f]) && referenceFilersShipped()) {
			parentPort!.postMessage({ type: "progress", progress: 0.99, stage: "checking on the reference filers" } satisfies TrainingWorkerMessage);
			result.metrics.reference = await checkOnReference(
				result,
				input.plan.model_type,
				data.features,
				{ population: REFERENCE_POPULATION, filers: referenceFilers().filers },
				input.min_input_coverage,
			);
		}
		const body = JSON.stringify({ ...result, features: data.features, label: data.label, classes: data.classes, dataset_sha256: sha256(content) });
		parentPort!.postMessage({ type: "result", result: body } satisfies TrainingWorkerMessage);
	} catch (err) {
		parentPort!.postMessage({
			type: "error",
			message: (err as Error).message,
			...(err instanceof DatasetError ? { issues: err.issues } : {}),
			...(err instanceof CancelledError ? { cancelled: true } : {}),
		} satisfies TrainingWorkerMessage);
	}
}

if (parentPort && workerData?.bizopsTraining) void run(workerData.input as TrainingWorkerInput);
