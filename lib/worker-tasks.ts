/**
 * The tasks lib/worker-thread.ts runs in a thread of their own, with a heap and a time limit: whatever grows
 * with what a client sent. Each takes plain data (bytes moved, not copied) and answers plain data.
 */
import { parentPort, workerData } from "node:worker_threads";
import Validator from "fastest-validator";
import { DatasetError, parseDataset, projectColumns, type DatasetSource, type DatasetSummary } from "../domains/ml/dataset";
import { classificationMetrics, type ClassificationMetrics } from "../domains/ml/metrics";
import { MODEL_TYPE_DEFINITIONS, type ModelType } from "../domains/ml/model-types";
import { transformRows, type FeaturePipeline } from "../domains/ml/pipeline";
import { holdOutRows } from "../domains/ml/training";
import { parseFrameworkLibrary } from "../domains/compliance/framework";
import { parseMatrixLibrary } from "../domains/risk/matrix";
import { parsePriceCsv } from "../domains/market/prices";
import { assertJsonDepth } from "./json-depth";
import { DATASET_UPLOAD_SCHEMA, type DatasetUpload } from "../models/ml";
import type { TaskMessage, TaskOutput } from "./worker-thread";

/** A task's refusal of its input: a 4xx once it reaches the caller. */
class InputError extends Error {
	constructor(
		message: string,
		readonly kind: "validation" | "body",
		readonly issues: Array<{ field: string; message: string; type?: string }> = [],
	) {
		super(message);
	}
}

const decode = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");

function describe(source: Omit<DatasetSource, "content">, content: string): DatasetSummary {
	return parseDataset({ ...source, content }).summary;
}

export interface UploadResult {
	fields: DatasetUpload;
	summary: DatasetSummary;
	/** The file's text as UTF-8, to store. */
	content: Uint8Array;
}

export interface EvaluationInput {
	dataset: Omit<DatasetSource, "content"> & { content: Uint8Array; sha256: string };
	version: { model_type: ModelType; features: string[]; pipeline: FeaturePipeline; threshold: number; dataset_sha256: string; split_seed: number };
	artifact: Uint8Array;
	/** Rows scored at most: past it the evaluation is refused before anything is scored. */
	max_rows: number;
}

export interface EvaluationResult {
	rows: number;
	same_data: boolean;
	metrics: ClassificationMetrics;
}

const TASKS: Record<string, (input: any) => Promise<TaskOutput<unknown>> | TaskOutput<unknown>> = {
	/** A CISO Assistant library's risk matrices (YAML: slow to parse, about a second a megabyte). */
	"risk.matrix-library": (input: { text: string }) => ({ result: parseMatrixLibrary(input.text) }),
	/** A company's daily prices, as CSV. */
	"market.prices-csv": (input: { text: string }) => ({ result: parsePriceCsv(input.text) }),
	/** A CISO Assistant library's framework as a regulation. */
	"compliance.framework-library": (input: { text: string; industries: string[] | "all"; cadence_months: number }) => ({
		result: parseFrameworkLibrary(input.text, input.industries, input.cadence_months),
	}),

	/** POST /ml/datasets' body: JSON (nesting checked first), its fields validated, the file parsed and described. */
	"ml.dataset.upload"(input: { body: Uint8Array }): TaskOutput<UploadResult> {
		const bytes = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
		if (!bytes.length) throw new InputError("Malformed JSON body: the request has no body", "body");
		let body: unknown;
		try {
			assertJsonDepth(bytes);
			body = JSON.parse(bytes.toString("utf8"));
		} catch (err) {
			throw new InputError(`Malformed JSON body: ${err instanceof RangeError ? "nested too deeply" : (err as Error).message}`, "body");
		}
		if (!body || typeof body !== "object" || Array.isArray(body))
			throw new InputError("The body must be a JSON object", "validation", [{ field: "body", message: "The body must be a JSON object" }]);
		const valid = new Validator().compile(DATASET_UPLOAD_SCHEMA)(body) as true | Array<{ field: string; message: string; type: string }>;
		if (valid !== true) throw new InputError(valid.map(v => v.message).join("; "), "validation", valid);
		const { content, ...fields } = body as DatasetUpload & { content: string };
		const summary = describe(fields, content);
		const utf8 = Buffer.from(content, "utf8");
		const own = new Uint8Array(utf8.buffer, utf8.byteOffset, utf8.byteLength).slice();
		return { result: { fields, summary, content: own }, transfer: [own.buffer] };
	},

	/** A stored (or shipped) data set's file, described. */
	"ml.dataset.describe"(input: Omit<DatasetSource, "content"> & { content: Uint8Array }): TaskOutput<DatasetSummary> {
		const { content, ...source } = input;
		return { result: describe(source, decode(content)) };
	},

	/**
	 * A stored version scored on a data set: its training data set's hold-out (the rows it never saw) when the
	 * data set is the one it was trained on, else every row. Refused before scoring past `max_rows`.
	 */
	async "ml.evaluate"(input: EvaluationInput): Promise<TaskOutput<EvaluationResult>> {
		const { dataset, version } = input;
		const { content, sha256, ...source } = dataset;
		const parsed = parseDataset({ ...source, content: decode(content) }).data;
		const data = projectColumns(parsed, version.features);
		const sameData = sha256 === version.dataset_sha256;
		const rows = sameData ? holdOutRows(data, version.split_seed) : data.x.map((_, i) => i);
		if (rows.length > input.max_rows)
			throw new InputError(`Evaluating ${rows.length} rows: at most ${input.max_rows} are scored in one call`, "validation", [
				{ field: "dataset_id", message: `${rows.length} rows to score: at most ${input.max_rows} per evaluation`, type: "costLimit" },
			]);
		const model = await MODEL_TYPE_DEFINITIONS[version.model_type].load(decode(input.artifact));
		try {
			const p = model.predict(
				transformRows(
					version.pipeline,
					rows.map(r => data.x[r]),
				),
			);
			return { result: { rows: rows.length, same_data: sameData, metrics: classificationMetrics(Uint8Array.from(rows.map(r => data.y[r])), p, version.threshold) } };
		} finally {
			model.free();
		}
	},
};

async function run(task: string, input: unknown): Promise<void> {
	try {
		const fn = TASKS[task];
		if (!fn) throw new Error(`no task '${task}'`);
		const out = await fn(input);
		parentPort!.postMessage({ ok: true, result: out.result } satisfies TaskMessage<unknown>, out.transfer ?? []);
	} catch (err) {
		const details: Record<string, unknown> =
			err instanceof DatasetError ? { issues: err.issues } : err instanceof InputError ? { issues: err.issues, input_kind: err.kind } : {};
		const kind = err instanceof DatasetError ? "dataset" : err instanceof InputError ? err.kind : "error";
		parentPort!.postMessage({ ok: false, error: { message: (err as Error).message, kind, details } } satisfies TaskMessage<unknown>);
	}
}

if (parentPort && workerData?.bizopsTask) void run(workerData.bizopsTask as string, workerData.input);
