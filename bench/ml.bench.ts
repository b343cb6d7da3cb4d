/**
 * Issue 12: the ML pipeline on the Polish bankruptcy files.
 * 1. Quality: every model type (and the default distress model) trained as the service trains it (stratified
 *    20 % hold-out, validation split for early stopping and the threshold), on several seeds, on 1year and
 *    5year: hold-out ROC AUC, PR AUC, F1, Brier and training time.
 * 2. The default model's job through the services: queued on first start → in production.
 * 3. Single-row prediction latency in-process: the loaded version alone (pipeline + booster), then the
 *    ml.prediction action called on the broker (model lookup, validation, drift counting).
 * 4. Rows/s through the gateway (autocannon, 100 rows a request), against the in-process rate of the same
 *    model measured in this run.
 * ML_BENCH_SEEDS (default "42,1,2") and ML_BENCH_TYPES narrow part 1.
 */
import fs from "node:fs";
import path from "node:path";
import { parseDataset, projectColumns, type ParsedDataset } from "../domains/ml/dataset";
import { DISTRESS_FEATURE_NAMES } from "../domains/ml/distress";
import { MODEL_TYPE_DEFINITIONS, MODEL_TYPES, type ModelType } from "../domains/ml/model-types";
import { transformRows } from "../domains/ml/pipeline";
import { trainVersion } from "../domains/ml/training";
import { ADMIN_PASSWORD, json, machine, run, ROOT, save, startPlatformProcess } from "./harness";

const SEEDS = (process.env.ML_BENCH_SEEDS ?? "42,1,2").split(",").map(Number);
const TYPES = (process.env.ML_BENCH_TYPES?.split(",") as ModelType[] | undefined) ?? [...MODEL_TYPES];
const TARGETS = { bestRocAuc: 0.9, defaultTrainingSeconds: 60, singlePredictionP99Ms: 5, gatewayRowsPerSec: 2000 };

const load = (file: string): ParsedDataset =>
	parseDataset({ format: "arff", label: "bankruptcy", positive_class: "1", content: fs.readFileSync(path.join(ROOT, "data/polish-bankruptcy", file), "utf8") }).data;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const fmt = (xs: number[], digits = 3) => `${mean(xs).toFixed(digits)} ± ${sd(xs).toFixed(digits)}`;

interface QualityRow {
	file: string;
	model: string;
	roc_auc: number[];
	pr_auc: number[];
	f1: number[];
	brier: number[];
	seconds: number[];
}

async function quality(): Promise<QualityRow[]> {
	const rows: QualityRow[] = [];
	const files = [
		["1year.arff", load("1year.arff")],
		["5year.arff", load("5year.arff")],
	] as const;
	const variants: Array<[string, ModelType, (d: ParsedDataset) => ParsedDataset]> = [
		...TYPES.map(t => [t, t, (d: ParsedDataset) => d] as [string, ModelType, (d: ParsedDataset) => ParsedDataset]),
		["distress (gradient_boosted_trees, 36 statement ratios)", "gradient_boosted_trees", d => projectColumns(d, DISTRESS_FEATURE_NAMES)],
	];
	for (const [file, data] of files)
		for (const [label, type, project] of variants) {
			const row: QualityRow = { file, model: label, roc_auc: [], pr_auc: [], f1: [], brier: [], seconds: [] };
			for (const seed of SEEDS) {
				const r = await trainVersion(project(data), { model_type: type, seed }, { onProgress: () => undefined, cancelled: () => false });
				row.roc_auc.push(r.metrics.test.roc_auc ?? 0);
				row.pr_auc.push(r.metrics.test.pr_auc ?? 0);
				row.f1.push(r.metrics.test.f1 ?? 0);
				row.brier.push(r.metrics.test.brier);
				row.seconds.push(r.metrics.training_seconds);
				console.error(`${file} ${label} seed ${seed}: ROC AUC ${r.metrics.test.roc_auc}, ${r.metrics.training_seconds} s`);
			}
			rows.push(row);
		}
	return rows;
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The version alone: one row through the stored pipeline and the loaded model, as ml.prediction runs it. */
async function inProcessModel(data: ParsedDataset): Promise<{ p50: number; p99: number; rowsPerSec: number }> {
	const projected = projectColumns(data, DISTRESS_FEATURE_NAMES);
	const trained = await trainVersion(projected, { model_type: "gradient_boosted_trees" }, { onProgress: () => undefined, cancelled: () => false });
	const model = await MODEL_TYPE_DEFINITIONS.gradient_boosted_trees.load(trained.artifact);
	const latencies: number[] = [];
	for (let i = 0; i < 6000; i++) {
		const row = projected.x[i % projected.x.length];
		const started = performance.now();
		model.predict(transformRows(trained.pipeline, [row]));
		if (i >= 1000) latencies.push(performance.now() - started);
	}
	latencies.sort((a, b) => a - b);
	const batch = projected.x.slice(0, 100);
	const started = performance.now();
	let rows = 0;
	while (performance.now() - started < 3000) {
		model.predict(transformRows(trained.pipeline, batch));
		rows += batch.length;
	}
	model.free();
	return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rowsPerSec: Math.round(rows / ((performance.now() - started) / 1000)) };
}

async function throughServices(data: ParsedDataset) {
	const startedAt = Date.now();
	const platform = await startPlatformProcess({ RATE_LIMIT_DEFAULT: "100000000", RATE_LIMIT_PREMIUM: "100000000", ML_DEFAULT_MODEL: "true" });
	try {
		const api = `${platform.url}/api/v1`;
		const auth = { authorization: `Bearer ${(await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token}` };
		let model: { id: string; aliases: { production: number | null } } | undefined;
		while (!model || model.aliases.production == null) {
			await new Promise(r => setTimeout(r, 250));
			model = (await json("GET", `${api}/ml/models?name=distress`, undefined, auth)).rows[0];
		}
		const readyAfterSeconds = (Date.now() - startedAt) / 1000;
		const jobs = (await json("GET", `${api}/ml/jobs?model_id=${model.id}`, undefined, auth)).rows;
		const job = jobs[0];
		const jobSeconds = (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
		const version = await json("GET", `${api}/ml/models/${model.id}/versions/1`, undefined, auth);
		const projected = projectColumns(data, DISTRESS_FEATURE_NAMES);
		const asRow = (x: Float64Array) => Object.fromEntries(DISTRESS_FEATURE_NAMES.map((f, i) => [f, Number.isNaN(x[i]) ? null : x[i]]));
		const hundred = JSON.stringify({ rows: projected.x.slice(0, 100).map(asRow) });
		const single = JSON.stringify({ rows: [asRow(projected.x[0])] });
		const headers = { ...auth, "content-type": "application/json" };
		const url = `${api}/ml/models/${model.id}/predict`;
		const batch = await run("POST /ml/models/:id/predict, 100 rows a request", url, { method: "POST", body: hundred, headers, connections: 16 });
		const one = await run("POST /ml/models/:id/predict, 1 row a request", url, { method: "POST", body: single, headers, connections: 16 });
		return { readyAfterSeconds, jobSeconds, versionMetrics: version.metrics.test, trainingSeconds: version.metrics.training_seconds, batch, one };
	} finally {
		await platform.stop();
	}
}

/** The ml.prediction action on an in-process broker (no HTTP): what a service calling it pays. */
async function actionLatency(): Promise<{ p50: number; p99: number }> {
	process.env.NODE_ENV = "test";
	process.env.ML_DEFAULT_MODEL = "true";
	process.env.DATA_DIR = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "bizops-ml-bench-"));
	process.env.LOG_LEVEL = "warn";
	const { ServiceBroker } = require("moleculer");
	const brokerOptions = require("../moleculer.config");
	const broker = new (ServiceBroker as any)({ ...brokerOptions(), logger: false, metrics: { enabled: false } });
	for (const name of ["auth", "companies", "flags", "finance", "ml.registry", "ml.training", "ml.evaluation", "ml.prediction"])
		broker.createService(require(`../services/${name}.service`).default);
	await broker.start();
	try {
		const { servicePrincipal } = require("../lib/principal");
		const meta = { user: { ...servicePrincipal("bench"), role: "analyst", id: "bench", username: "bench" } };
		let model: { id: string; aliases: { production: number | null } } | undefined;
		while (!model || model.aliases.production == null) {
			await new Promise(r => setTimeout(r, 250));
			model = (await broker.call("ml.registry.list", { name: "distress" }, { meta })).rows[0];
		}
		// a row that gives every input, so each call is scored (a thin row would be answered insufficient_inputs)
		const row = Object.fromEntries(DISTRESS_FEATURE_NAMES.map((f, i) => [f, 0.05 + i / 100]));
		const latencies: number[] = [];
		for (let i = 0; i < 6000; i++) {
			const started = performance.now();
			await broker.call("ml.prediction.predict", { id: model.id, rows: [row] }, { meta });
			if (i >= 1000) latencies.push(performance.now() - started);
		}
		latencies.sort((a, b) => a - b);
		return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
	} finally {
		await broker.stop();
	}
}

async function main() {
	const data = load("5year.arff");
	const model = await inProcessModel(data);
	const services = await throughServices(data);
	const action = await actionLatency();
	const q = await quality();

	console.log(`\n${machine()}\n`);
	console.log(`Hold-out figures, stratified 20 % test split, seeds ${SEEDS.join(", ")} (mean ± sd):\n`);
	console.log("| file | model | ROC AUC | PR AUC | F1 | Brier | training s |");
	console.log("|---|---|---:|---:|---:|---:|---:|");
	for (const r of q) console.log(`| ${r.file} | ${r.model} | ${fmt(r.roc_auc)} | ${fmt(r.pr_auc)} | ${fmt(r.f1)} | ${fmt(r.brier, 4)} | ${fmt(r.seconds, 1)} |`);
	console.log(
		`\nDefault distress model on first start: in production ${services.readyAfterSeconds.toFixed(1)} s after the process started; its job ran ${services.jobSeconds.toFixed(1)} s (training ${services.trainingSeconds} s); hold-out ROC AUC ${services.versionMetrics.roc_auc}`,
	);
	console.log(
		`Single-row prediction in-process: the loaded version p50 ${model.p50.toFixed(3)} ms, p99 ${model.p99.toFixed(3)} ms; the ml.prediction action p50 ${action.p50.toFixed(3)} ms, p99 ${action.p99.toFixed(3)} ms`,
	);
	const gatewayRows = services.batch.requests_per_sec * 100;
	console.log(
		`Through the gateway (autocannon -c 16 -d 10): 100 rows a request ${services.batch.requests_per_sec} req/s = ${gatewayRows} rows/s (p99 ${services.batch.latency_p99_ms} ms, errors ${services.batch.errors}, non-2xx ${services.batch.non_2xx}); 1 row a request ${services.one.requests_per_sec} req/s (p99 ${services.one.latency_p99_ms} ms)`,
	);
	console.log(`The same model in-process, 100-row batches: ${model.rowsPerSec} rows/s → the gateway delivers ${(gatewayRows / model.rowsPerSec).toFixed(2)} of it`);
	const best = (file: string) => Math.max(...q.filter(r => r.file === file).map(r => mean(r.roc_auc)));
	const checks: Array<[string, boolean, string]> = [
		[`best hold-out ROC AUC on 1year ≥ ${TARGETS.bestRocAuc}`, best("1year.arff") >= TARGETS.bestRocAuc, best("1year.arff").toFixed(3)],
		[`best hold-out ROC AUC on 5year ≥ ${TARGETS.bestRocAuc}`, best("5year.arff") >= TARGETS.bestRocAuc, best("5year.arff").toFixed(3)],
		[`default model's job ≤ ${TARGETS.defaultTrainingSeconds} s`, services.jobSeconds <= TARGETS.defaultTrainingSeconds, services.jobSeconds.toFixed(1)],
		[`single prediction p99 ≤ ${TARGETS.singlePredictionP99Ms} ms in-process (action)`, action.p99 <= TARGETS.singlePredictionP99Ms, action.p99.toFixed(3)],
		[`≥ ${TARGETS.gatewayRowsPerSec} rows/s through the gateway`, gatewayRows >= TARGETS.gatewayRowsPerSec, String(gatewayRows)],
	];
	console.log("");
	for (const [what, ok, value] of checks) console.log(`${ok ? "MET" : "NOT MET"}: ${what} (${value})`);
	save("ml", { machine: machine(), seeds: SEEDS, quality: q, model, action, services });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
