/**
 * The ML pipeline through HTTP, in one process: data sets (422s naming the problem), models, training jobs in
 * worker threads, hold-out evaluation, gates, deployment to staging and production, predictions by rows and
 * by company, rollback, history, monitoring, and who may do what.
 */
import fs from "fs";
import path from "path";
import { ADMIN_PASSWORD, eventually, finishedJob, startPlatform, type Platform } from "../helpers/platform";
import { syntheticCsv } from "../helpers/fixtures";

let platform: Platform;
let admin: string;
let domainAdmin: string;
let analyst: string;
let viewer: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform({ env: { ML_SHIPPED_DATASETS: "true" } });
	admin = await platform.login("admin", ADMIN_PASSWORD);
	domainAdmin = (await platform.createUser(admin, { username: "ml-admin", role: "domain_admin", domains: ["manufacturing"] })).token;
	analyst = (await platform.createUser(admin, { username: "ml-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	viewer = (await platform.createUser(admin, { username: "ml-viewer", role: "viewer", domains: ["manufacturing"] })).token;
	outsider = (await platform.createUser(admin, { username: "ml-outsider", role: "domain_admin", domains: ["technology"] })).token;
}, 60_000);
afterAll(() => platform.stop());

const upload = (token: string, body: object) => platform.request("POST", "/ml/datasets", { token, body });

const finished = (token: string, jobId: string) => finishedJob(platform, token, jobId);

describe("data sets", () => {
	it("ships the Polish bankruptcy files as data sets, with rows, columns, class balance and missing values", async () => {
		const list = (await platform.request("GET", "/ml/datasets", { token: viewer })).body;
		const fiveYear = list.rows.find((d: { name: string }) => d.name === "polish-bankruptcy-5year");
		expect(fiveYear).toMatchObject({ domain: "*", rows: 5910, columns: 65, label: "bankruptcy", positive_class: "1", class_balance: { "0": 5500, "1": 410 } });
		const full = (await platform.request("GET", `/ml/datasets/${fiveYear.id}`, { token: viewer })).body;
		expect(full.columns[0]).toMatchObject({ name: "net profit / total assets", type: "numeric", missing: 3 });
		expect(full.missing_values["gross profit (in 3 years) / total assets"]).toBeGreaterThan(0);
		expect(full.sha256).toMatch(/^[0-9a-f]{64}$/);
	});

	it.each([
		["an empty file", { content: "" }, "content", /empty/],
		["no label column", { label: "bankrupt" }, "label", /no column named 'bankrupt'/],
		["a non-numeric cell", { content: "a,b,y\n1,2,0\n1,x,1\n" }, "columns.b", /'b' is not numeric: line 3 holds 'x'/],
		["a row with missing cells", { content: "a,b,y\n1,2,0\n1,1\n" }, "content", /line 3: 2 cells where the header has 3/],
		["one class only", { content: "a,b,y\n1,2,0\n3,4,0\n" }, "label", /one class only/],
	])("refuses %s with a 422 naming the problem, and stores nothing", async (_what, change, field, message) => {
		const before = (await platform.request("GET", "/ml/datasets", { token: admin })).body.total;
		const res = await upload(domainAdmin, { name: "bad", format: "csv", label: "y", content: "a,b,y\n1,2,0\n3,4,1\n", ...change });
		expect(res.status).toBe(422);
		expect(res.body.message).toMatch(message);
		expect(res.body.data.map((d: { field: string }) => d.field)).toContain(field);
		expect((await platform.request("GET", "/ml/datasets", { token: admin })).body.total).toBe(before);
	});

	it("lets a viewer read but not upload", async () => {
		const res = await upload(viewer, { name: "v", format: "csv", label: "y", content: "a,y\n1,0\n2,1\n" });
		expect(res.status).toBe(403);
	});
});

describe("train → evaluate → deploy → predict → second version → rollback", () => {
	let datasetId: string;
	let modelId: string;

	it("trains a version in a worker thread, with hold-out metrics and a job that reports progress", async () => {
		const ds = await upload(domainAdmin, { name: "synthetic", format: "csv", label: "distress", content: syntheticCsv(), domain: "manufacturing" });
		expect(ds.status).toBe(201);
		expect(ds.body).toMatchObject({ rows: 400, domain: "manufacturing" });
		expect(ds.body.missing_values).toMatchObject({ margin: 18, size: 24 });
		datasetId = ds.body.id;
		const model = await platform.request("POST", "/ml/models", {
			token: domainAdmin,
			body: {
				name: "synthetic-lr",
				domain: "manufacturing",
				model_type: "logistic_regression",
				// a row may lack one of the three inputs (the default floor would ask for all three: 1 − 0.25 of them)
				configuration: { hyperparameters: { max_iterations: 25 }, gates: { roc_auc: 0.8 }, min_input_coverage: 0.6 },
			},
		});
		expect(model.status).toBe(201);
		modelId = model.body.id;
		const job = await platform.request("POST", `/ml/models/${modelId}/train`, { token: domainAdmin, body: { dataset_id: datasetId } });
		expect(job.status).toBe(202);
		expect(job.headers.get("location")).toBe(`/api/v1/ml/jobs/${job.body.id}`);
		const done = await finished(domainAdmin, job.body.id);
		expect([done.state, done.error]).toEqual(["succeeded", undefined]);
		expect(done).toMatchObject({ version: 1, progress: 1 });
		const version = (await platform.request("GET", `/ml/models/${modelId}/versions/1`, { token: viewer })).body;
		expect(version.metrics.test.roc_auc).toBeGreaterThan(0.9);
		expect(version.metrics.test.rows).toBe(80);
		expect(version.metrics.test.confusion_matrix.tp + version.metrics.test.confusion_matrix.fn).toBe(version.metrics.test.positives);
		expect(version.artifacts[0].sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(version).toMatchObject({ deployment_status: "none", dataset_id: datasetId, features: ["leverage", "margin", "size"], created_by: "ml-admin" });
	}, 120_000);

	it("re-evaluates the stored version on its hold-out to the same figures", async () => {
		const res = await platform.request("POST", `/ml/models/${modelId}/versions/1/evaluate`, { token: analyst, body: {} });
		expect(res.status).toBe(200);
		expect(res.body.metrics.roc_auc).toBe(res.body.recorded_test_metrics.roc_auc);
		expect(res.body.metrics.confusion_matrix).toEqual(res.body.recorded_test_metrics.confusion_matrix);
	});

	let firstPredictions: unknown;
	const rows = [
		{ leverage: 1.9, margin: -0.05, size: 10 },
		{ leverage: 0.1, margin: 0.25 },
		{ leverage: 1.0, margin: null, size: 50 },
	];

	it("deploys: staging by an analyst, production only by a domain_admin with a reason; then predicts in row order", async () => {
		expect((await platform.request("POST", `/ml/models/${modelId}/versions/1/deploy`, { token: viewer, body: { alias: "staging", reason: "try it" } })).status).toBe(403);
		expect((await platform.request("POST", `/ml/models/${modelId}/versions/1/deploy`, { token: analyst, body: { alias: "production", reason: "ship it" } })).status).toBe(403);
		expect((await platform.request("POST", `/ml/models/${modelId}/versions/1/deploy`, { token: analyst, body: { alias: "staging", reason: "to try it" } })).status).toBe(200);
		const noProduction = await platform.request("POST", `/ml/models/${modelId}/predict`, { token: analyst, body: { rows } });
		expect(noProduction.status).toBe(409);
		const deployed = await platform.request("POST", `/ml/models/${modelId}/versions/1/deploy`, { token: domainAdmin, body: { alias: "production", reason: "first release" } });
		expect(deployed.status).toBe(200);
		expect(deployed.body.model.aliases).toEqual({ production: 1, staging: 1 });
		const res = await platform.request("POST", `/ml/models/${modelId}/predict`, { token: analyst, body: { rows } });
		expect(res.status).toBe(200);
		expect(res.body.model_version).toBe(1);
		expect(res.body.predictions).toHaveLength(3);
		expect(res.body.predictions[0].probability).toBeGreaterThan(res.body.predictions[1].probability);
		expect(res.body.predictions[0].label).toBe("1");
		expect(res.body.predictions[1].label).toBe("0");
		firstPredictions = res.body.predictions;
	});

	it("refuses rows with unknown columns or non-numbers, naming them", async () => {
		const res = await platform.request("POST", `/ml/models/${modelId}/predict`, { token: analyst, body: { rows: [{ leverage: 1 }, { levrage: 1, margin: "high" }] } });
		expect(res.status).toBe(422);
		expect(res.body.data.map((d: { field: string }) => d.field)).toEqual(["rows[1].levrage", "rows[1].margin"]);
		// one input of three is below the model's floor: not scored, and what is missing is named
		const thin = await platform.request("POST", `/ml/models/${modelId}/predict`, { token: analyst, body: { rows: [{ leverage: 1 }] } });
		expect(thin.status).toBe(200);
		expect(thin.body.input_coverage_floor).toBe(0.6);
		expect(thin.body.predictions).toEqual([{ status: "insufficient_inputs", probability: null, label: null, input_coverage: 0.3333, missing_inputs: ["margin", "size"] }]);
	});

	it("serves a second version after its deployment, and the first one's exact predictions after a rollback", async () => {
		const job = await platform.request("POST", `/ml/models/${modelId}/train`, {
			token: domainAdmin,
			// a much stronger penalty: other coefficients, other probabilities
			body: { dataset_id: datasetId, hyperparameters: { l2: 1 }, seed: 3 },
		});
		expect((await finished(domainAdmin, job.body.id)).version).toBe(2);
		await platform.request("POST", `/ml/models/${modelId}/versions/2/deploy`, { token: admin, body: { reason: "second release", force: true } });
		const second = await platform.request("POST", `/ml/models/${modelId}/predict`, { token: analyst, body: { rows } });
		expect(second.body.model_version).toBe(2);
		expect(second.body.predictions).not.toEqual(firstPredictions);
		const back = await platform.request("POST", `/ml/models/${modelId}/rollback`, { token: domainAdmin, body: { reason: "second is worse" } });
		expect(back.status).toBe(200);
		expect(back.body.model.aliases.production).toBe(1);
		const again = await platform.request("POST", `/ml/models/${modelId}/predict`, { token: analyst, body: { rows } });
		expect(again.body).toMatchObject({ model_version: 1, predictions: firstPredictions });
		const history = (await platform.request("GET", `/ml/models/${modelId}/history`, { token: viewer })).body.rows;
		expect(history.map((h: { action: string; alias: string; from_version: number | null; to_version: number }) => [h.action, h.alias, h.from_version, h.to_version])).toEqual([
			["rollback", "production", 2, 1],
			["deploy", "production", 1, 2],
			["deploy", "production", null, 1],
			["deploy", "staging", null, 1],
		]);
		expect(history[0]).toMatchObject({ actor: "ml-admin", reason: "second is worse" });
		expect(history[1]).toMatchObject({ actor: "admin", forced: expect.any(Boolean) });
		const compare = (await platform.request("GET", `/ml/models/${modelId}/compare?versions=1,2`, { token: viewer })).body;
		expect(compare.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
		expect(compare.best.roc_auc).toBe(compare.versions[0].test.roc_auc >= compare.versions[1].test.roc_auc ? 1 : 2);
	}, 120_000);

	it("refuses production below the model's gates unless a super_admin forces it, and records the force", async () => {
		// the second version's strong penalty keeps its probabilities near the base rate: it ranks well, its Brier score does not pass
		const second = (await platform.request("GET", `/ml/models/${modelId}/versions/2`, { token: viewer })).body;
		expect(second.metrics.test.brier).toBeGreaterThan(0.02);
		// with versions to deploy, moving the gates is a super_admin's move
		const gated = await platform.request("PATCH", `/ml/models/${modelId}`, { token: admin, body: { configuration: { gates: { roc_auc: 0.8, brier: 0.02 } } } });
		expect(gated.status).toBe(200);
		const refused = await platform.request("POST", `/ml/models/${modelId}/versions/2/deploy`, { token: domainAdmin, body: { reason: "try" } });
		expect(refused.status).toBe(409);
		expect(refused.body.message).toMatch(/below the model's metric gates: brier/);
		expect((await platform.request("POST", `/ml/models/${modelId}/versions/2/deploy`, { token: domainAdmin, body: { reason: "try", force: true } })).status).toBe(403);
		const forced = await platform.request("POST", `/ml/models/${modelId}/versions/2/deploy`, { token: admin, body: { reason: "accepted by the risk committee", force: true } });
		expect(forced.status).toBe(200);
		expect(forced.body.transition).toMatchObject({ forced: true, actor: "admin", from_version: 1, to_version: 2 });
	});

	it("moves a job's progress every few seconds, whatever the model type, and a finished job says done (issue 21, item 13)", async () => {
		const polish = (await platform.request("GET", "/ml/datasets?page_size=100", { token: viewer })).body.rows.find(
			(d: { name: string }) => d.name === "polish-bankruptcy-5year",
		);
		// one boosting run of 300 rounds: a single long call that reports nothing until it ends
		const model = (await platform.request("POST", "/ml/models", { token: domainAdmin, body: { name: "progress-gbt", model_type: "gradient_boosted_trees" } })).body;
		const job = (
			await platform.request("POST", `/ml/models/${model.id}/train`, { token: domainAdmin, body: { dataset_id: polish.id, hyperparameters: { iterations: [300] } } })
		).body;
		const seen: Array<{ state: string; progress: number; stage?: string }> = [];
		const done = await eventually(
			"the job to finish",
			async () => {
				const j = (await platform.request("GET", `/ml/jobs/${job.id}`, { token: viewer })).body;
				seen.push({ state: j.state, progress: j.progress, stage: j.stage });
				return j;
			},
			j => ["succeeded", "failed"].includes(j.state),
			600,
			200,
		);
		expect(done).toMatchObject({ state: "succeeded", progress: 1, stage: "done" });
		const running = seen.filter(s => s.state === "running");
		expect(running.every(s => !!s.stage)).toBe(true);
		// it moved while it ran, and never backwards
		const values = running.map(s => s.progress);
		expect(new Set(values.filter(v => v > 0 && v < 1)).size).toBeGreaterThanOrEqual(2);
		expect(values).toEqual([...values].sort((a, b) => a - b));
	});

	it("lists every job the caller's domains see without naming a model, and none of another domain's", async () => {
		const all = (await platform.request("GET", "/ml/jobs?page_size=100", { token: viewer })).body;
		expect(all.total).toBeGreaterThan(0);
		expect(all.rows.every((j: { domain: string }) => ["manufacturing", "*"].includes(j.domain))).toBe(true);
		expect(
			(await platform.request("GET", "/ml/jobs?state=succeeded&page_size=100", { token: viewer })).body.rows.every((j: { state: string }) => j.state === "succeeded"),
		).toBe(true);
		expect((await platform.request("GET", "/ml/jobs?page_size=100", { token: outsider })).body.rows.filter((j: { domain: string }) => j.domain === "manufacturing")).toEqual(
			[],
		);
	});

	it("hides another domain's model (404) and keeps viewers from training and deploying", async () => {
		expect((await platform.request("GET", `/ml/models/${modelId}`, { token: outsider })).status).toBe(404);
		expect((await platform.request("POST", `/ml/models/${modelId}/predict`, { token: outsider, body: { rows } })).status).toBe(404);
		expect((await platform.request("POST", `/ml/models/${modelId}/train`, { token: viewer, body: { dataset_id: datasetId } })).status).toBe(403);
		expect((await platform.request("POST", `/ml/models/${modelId}/train`, { token: analyst, body: { dataset_id: datasetId } })).status).toBe(403);
		expect((await platform.request("POST", `/ml/models/${modelId}/rollback`, { token: viewer, body: { reason: "nope" } })).status).toBe(403);
	});

	it("refuses training on a data set without the model's columns, and bad hyper-parameters, creating no job", async () => {
		const other = await upload(domainAdmin, { name: "other-columns", format: "csv", label: "y", domain: "manufacturing", content: "a,b,y\n1,2,0\n3,4,1\n5,6,0\n" });
		const model = (
			await platform.request("POST", "/ml/models", {
				token: domainAdmin,
				body: { name: "needs-features", domain: "manufacturing", model_type: "random_forest", configuration: { features: ["leverage"] } },
			})
		).body;
		const res = await platform.request("POST", `/ml/models/${model.id}/train`, { token: domainAdmin, body: { dataset_id: other.body.id } });
		expect(res.status).toBe(422);
		expect(res.body.message).toMatch(/has no column 'leverage'/);
		const bad = await platform.request("POST", `/ml/models/${model.id}/train`, {
			token: domainAdmin,
			body: { dataset_id: datasetId, hyperparameters: { n_estimators: 0, depth: 3 } },
		});
		expect(bad.status).toBe(422);
		expect(bad.body.data.map((d: { field: string }) => d.field).sort()).toEqual(["hyperparameters.depth", "hyperparameters.n_estimators"]);
		expect((await platform.request("GET", `/ml/jobs?model_id=${model.id}`, { token: domainAdmin })).body.total).toBe(0);
	});
});

describe("a logistic regression configured before IRLS", () => {
	it("trains without the tfjs hyper-parameters its stored configuration still names, and refuses them in a request", async () => {
		const ds = await upload(domainAdmin, { name: "retired-names", format: "csv", label: "distress", content: syntheticCsv(), domain: "manufacturing" });
		const model = (await platform.request("POST", "/ml/models", { token: domainAdmin, body: { name: "old-lr", domain: "manufacturing", model_type: "logistic_regression" } }))
			.body;
		// as a release before issue 27 stored it (its API refuses these names now)
		const registry: any = platform.broker.getLocalService("ml.registry");
		await registry.store.updateById(model.id, { $set: { configuration: { hyperparameters: { epochs: 20, batch_size: 32, learning_rate: 0.01, patience: 5, l2: 0.01 } } } });
		const job = await platform.request("POST", `/ml/models/${model.id}/train`, { token: domainAdmin, body: { dataset_id: ds.body.id } });
		expect(job.status).toBe(202);
		expect(job.body.hyperparameters).toEqual({ l2: 0.01 });
		expect((await finishedJob(platform, domainAdmin, job.body.id)).state).toBe("succeeded");
		const named = await platform.request("POST", `/ml/models/${model.id}/train`, { token: domainAdmin, body: { dataset_id: ds.body.id, hyperparameters: { epochs: 10 } } });
		expect(named.status).toBe(422);
		expect(named.body.data.map((d: { field: string }) => d.field)).toEqual(["hyperparameters.epochs"]);
	});
});

describe("cross-validation, the outbox and artifact integrity", () => {
	let modelId: string;
	let datasetId: string;

	beforeAll(async () => {
		datasetId = (await upload(domainAdmin, { name: "synthetic-2", format: "csv", label: "distress", domain: "manufacturing", content: syntheticCsv(300, 11) })).body.id;
		modelId = (
			await platform.request("POST", "/ml/models", {
				token: domainAdmin,
				body: {
					name: "synthetic-gbt",
					domain: "manufacturing",
					model_type: "gradient_boosted_trees",
					configuration: { hyperparameters: { iterations: [20, 40], max_depth: 3 } },
				},
			})
		).body.id;
	});

	it("cross-validates on request: k stratified folds of the non-test rows, with means and spreads", async () => {
		const job = await platform.request("POST", `/ml/models/${modelId}/train`, { token: domainAdmin, body: { dataset_id: datasetId, k_folds: 3 } });
		expect((await finished(domainAdmin, job.body.id)).state).toBe("succeeded");
		const version = (await platform.request("GET", `/ml/models/${modelId}/versions/1`, { token: viewer })).body;
		const cv = version.metrics.cross_validation;
		expect(cv.k).toBe(3);
		expect(cv.folds).toHaveLength(3);
		// the folds' test parts cover the 240 non-test rows once
		expect(cv.folds.reduce((n: number, f: { rows: number }) => n + f.rows, 0)).toBe(240);
		const mean = cv.folds.reduce((n: number, f: { roc_auc: number }) => n + f.roc_auc, 0) / 3;
		expect(cv.summary.roc_auc.mean).toBeCloseTo(mean, 3);
		expect([20, 40]).toContain(version.hyperparameters.best_iterations);
	}, 60_000);

	it("keeps an alias change the channel refused in the outbox, and sends it again", async () => {
		const broker = platform.broker as unknown as { sendToChannel(...args: unknown[]): Promise<void> };
		const send = broker.sendToChannel;
		broker.sendToChannel = () => Promise.reject(new Error("channel down"));
		try {
			expect((await platform.request("POST", `/ml/models/${modelId}/versions/1/deploy`, { token: analyst, body: { alias: "staging", reason: "outbox test" } })).status).toBe(
				200,
			);
			const stored = (await platform.request("GET", `/ml/models/${modelId}/history`, { token: viewer })).body.rows[0];
			expect(stored).toMatchObject({ alias: "staging", to_version: 1, published_at: null });
		} finally {
			broker.sendToChannel = send;
		}
		await eventually(
			"the outbox to send the change",
			async () => (await platform.request("GET", `/ml/models/${modelId}/history`, { token: viewer })).body.rows[0].published_at,
			at => typeof at === "string",
			150,
			100,
		);
	}, 30_000);

	it("refuses to deploy or evaluate a version whose stored artifact changed (503), leaving the aliases as they were", async () => {
		const version = (await platform.request("GET", `/ml/models/${modelId}/versions/1`, { token: viewer })).body;
		const file = path.join(platform.dataDir, "blobs", version.artifacts[0].sha256);
		fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/\d/, "7"));
		const res = await platform.request("POST", `/ml/models/${modelId}/versions/1/deploy`, { token: domainAdmin, body: { reason: "tampered" } });
		expect(res.status).toBe(503);
		expect(res.body.message).toMatch(/fails its hash check/);
		expect((await platform.request("GET", `/ml/models/${modelId}`, { token: viewer })).body.aliases.production).toBeNull();
		expect((await platform.request("POST", `/ml/models/${modelId}/versions/1/evaluate`, { token: analyst, body: {} })).status).toBe(503);
	});
});

describe("cancelling a job", () => {
	it("stops the training thread and creates no version", async () => {
		const ds = (await platform.request("GET", "/ml/datasets", { token: admin })).body.rows.find((d: { name: string }) => d.name === "polish-bankruptcy-1year");
		const model = (
			await platform.request("POST", "/ml/models", {
				token: admin,
				body: { name: "slow-dense", domain: "manufacturing", model_type: "dense", configuration: { hyperparameters: { epochs: 500, patience: 500 } } },
			})
		).body;
		const job = (await platform.request("POST", `/ml/models/${model.id}/train`, { token: admin, body: { dataset_id: ds.id } })).body;
		await eventually(
			"the job to run",
			async () => (await platform.request("GET", `/ml/jobs/${job.id}`, { token: admin })).body,
			j => j.state === "running" && j.progress > 0,
			300,
			100,
		);
		const cancelled = await platform.request("DELETE", `/ml/jobs/${job.id}`, { token: admin });
		expect(cancelled.status).toBe(200);
		expect(cancelled.body.state).toBe("cancelled");
		// the node lets go of the job once its thread has stopped (at the latest at its next heartbeat, 2 s)
		const training = platform.broker.getLocalService("ml.training") as unknown as { running: Map<string, unknown> };
		await eventually(
			"the training thread to stop",
			async () => training.running.has(job.id),
			running => !running,
			250,
			20,
		);
		expect((await platform.request("GET", `/ml/jobs/${job.id}`, { token: admin })).body.state).toBe("cancelled");
		expect((await platform.request("GET", `/ml/models/${model.id}/versions`, { token: admin })).body.total).toBe(0);
		expect((await platform.request("DELETE", `/ml/jobs/${job.id}`, { token: admin })).status).toBe(409);
	}, 60_000);
});

describe("the shipped data set file", () => {
	it("is the project's own copy, with its source and licence", () => {
		const readme = fs.readFileSync(path.join(__dirname, "..", "..", "data", "README.md"), "utf8");
		expect(readme).toMatch(/polish-bankruptcy/);
		expect(readme).toMatch(/CC BY 4\.0/);
	});
});
