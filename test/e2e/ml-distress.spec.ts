/**
 * The default `distress` model: trained on the shipped Polish 5year file and deployed by itself on first
 * start, it predicts from a company's statements (naming the inputs it could not compute), joins the
 * automatic credit/distress assessment as a factor, and is monitored (drift, realised ROC AUC).
 */
import { annualStatement, healthyManufacturerStatement } from "../helpers/fixtures";
import { DISTRESS_FEATURE_NAMES } from "../../domains/ml/distress";
import { servicePrincipal } from "../../lib/principal";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

let platform: Platform;
let admin: string;
let analyst: string;
let outsider: string;
let distress: { id: string; aliases: { production: number | null }; configuration: { features: string[] } };
const metricsPort = String(32000 + Math.floor(Math.random() * 500)); // below the ephemeral range

beforeAll(async () => {
	platform = await startPlatform({ env: { ML_SHIPPED_DATASETS: "true", ML_DEFAULT_MODEL: "true", METRICS_ENABLED: "true", METRICS_PORT: metricsPort } });
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "distress-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	outsider = (await platform.createUser(admin, { username: "distress-outsider", role: "analyst", domains: ["technology"] })).token;
	distress = await eventually(
		"the default distress model in production",
		async () => (await platform.request("GET", "/ml/models?name=distress", { token: analyst })).body.rows[0],
		m => m?.aliases.production === 1,
		1200,
		100,
	);
}, 180_000);
afterAll(() => platform.stop());

/** Until no company review runs: each scores the statement that started it, which moves what monitoring counts. */
const reviewsSettled = () =>
	eventually(
		"the company reviews finished",
		async () => (await platform.request("GET", "/workflows?state=running&page_size=1", { token: admin })).body.total,
		n => n === 0,
		600,
		50,
	);
/** Until the company's `n` reviews (one per statement posted) have finished. */
const reviewed = (companyId: string, n: number) =>
	eventually(
		`${n} reviews of ${companyId}`,
		async () => (await platform.request("GET", `/workflows?company_id=${companyId}&page_size=100`, { token: admin })).body.rows,
		(rows: Array<{ state: string }>) => rows.filter(w => w.state !== "running").length >= n,
		600,
		50,
	);

describe("the default distress model", () => {
	it("counts the rows it scores, its series exported from the moment it is served", async () => {
		const predicted = async () => {
			const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
			const line = text.split("\n").find(l => l.startsWith("bizops_ml_predicted_rows_total{") && l.includes(`model="${distress.id}"`));
			return line ? Number(line.split(" ").pop()) : NaN;
		};
		// in production per the registry; served once the prediction node has switched to it (broadcast, or its resync)
		const before = await eventually("the model served", predicted, v => v >= 0, 200, 50);
		const version = (await platform.request("GET", `/ml/models/${distress.id}/versions/1`, { token: analyst })).body;
		const full = Object.fromEntries(version.features.map((f: string) => [f, 0.5]));
		const res = await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { rows: [full, full, {}, full] } });
		expect(res.status).toBe(200);
		// the empty row is not scored, and not counted
		expect(res.body.predictions.map((p: { status: string }) => p.status)).toEqual(["scored", "scored", "insufficient_inputs", "scored"]);
		expect(await predicted()).toBe(before + 3);
	});

	it("is trained on the statement ratios of the Polish 5year file, evaluated on its hold-out, and deployed by the system", async () => {
		const version = (await platform.request("GET", `/ml/models/${distress.id}/versions/1`, { token: analyst })).body;
		expect(version).toMatchObject({ model_type: "gradient_boosted_trees", deployment_status: "production", created_by: "system", label: "bankruptcy" });
		expect(version.features).toHaveLength(36);
		expect(version.features).toContain("net profit / total assets");
		// its gate (0.85) let it through: the hold-out figure is in the version
		expect(version.metrics.test.roc_auc).toBeGreaterThanOrEqual(0.85);
		// a missing ratio is imputed, never a signal: from a US statement it only means a line item is not reported
		expect(version.pipeline.missing_values).toBe("impute_median");
		expect(version.training_missing_share).toBeGreaterThan(0);
		expect(version.training_missing_share).toBeLessThan(0.02);
		// checked on real US filers outside its training data: few labelled distressed, ordered as Altman orders them
		expect(version.metrics.reference).toMatchObject({ population: expect.stringMatching(/fiscal 2009/) });
		expect(version.metrics.reference.scored).toBeGreaterThan(200);
		expect(version.metrics.reference.labelled_positive_share).toBeLessThanOrEqual(0.25);
		expect(version.metrics.reference.roc_auc_against_altman).toBeGreaterThan(0.7);
		expect(version.split).toMatchObject({ test_rows: 1182, test_fraction: 0.2 });
		const history = (await platform.request("GET", `/ml/models/${distress.id}/history`, { token: analyst })).body.rows;
		expect(history[0]).toMatchObject({ action: "deploy", alias: "production", to_version: 1, actor: "ml.training", reason: expect.stringMatching(/default model/) });
	});

	it("predicts from a company's statements, listing the inputs it could not compute, and feeds the credit/distress risk", async () => {
		const company = (await platform.request("POST", "/companies", { token: admin, body: { name: "Distress Works", industry: "manufacturing" } })).body;
		await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: annualStatement("2022-12-31", { revenue: 1800 }) });
		await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: annualStatement("2023-12-31") });
		const res = await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { company_id: company.id } });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ model_version: 1, company_id: company.id, period_end: "2023-12-31" });
		const probability = res.body.predictions[0].probability;
		expect(probability).toBeGreaterThanOrEqual(0);
		expect(probability).toBeLessThanOrEqual(1);
		expect(res.body.inputs["sales (n) / sales (n-1)"]).toBeCloseTo(2000 / 1800);
		expect(res.body.inputs["net profit / total assets"]).toBeCloseTo(270 / 1500);
		// the fixture has no inventory: the ratios that need it are listed, and the model treats them as missing
		expect(res.body.inputs_not_computed.map((i: { feature: string }) => i.feature)).toContain("sales / inventory");

		const risk = await platform.request("POST", `/companies/${company.id}/risk-assessments/auto`, { token: analyst });
		const credit = risk.body.rows.find((r: { risk_type: string }) => r.risk_type === "credit_distress");
		const factor = credit.risk_factors.find((f: { name: string }) => f.name === "ml_distress_probability");
		expect(factor).toMatchObject({ value: probability, safe: 0.05, distress: 0.5, weight: 0.3 });
		expect(factor.source).toMatch(/version 1/);

		// another domain's company stays hidden, through the model as well
		expect((await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: outsider, body: { company_id: company.id } })).status).toBe(404);
	});

	it("answers insufficient_inputs for a company whose statements give too few of its inputs, and the risk factor says so instead of rising", async () => {
		const company = (await platform.request("POST", "/companies", { token: admin, body: { name: "Plain Healthy Mfg", industry: "manufacturing" } })).body;
		// net margin 8 %, equity 60 % of assets, current ratio 2: healthy, but 13 of the 36 ratios need line items it lacks
		await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: healthyManufacturerStatement("2024-12-31", 1000, false) });
		const res = await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { company_id: company.id } });
		expect(res.status).toBe(200);
		const [prediction] = res.body.predictions;
		expect(prediction).toMatchObject({ status: "insufficient_inputs", probability: null, label: null, input_coverage: Number((23 / 36).toFixed(4)) });
		expect(prediction.missing_inputs).toHaveLength(13);
		expect(prediction.missing_inputs).toContain("sales / inventory");
		expect(res.body.input_coverage_floor).toBeGreaterThan(prediction.input_coverage);

		const risk = await platform.request("POST", `/companies/${company.id}/risk-assessments/auto`, { token: analyst });
		const credit = risk.body.rows.find((r: { risk_type: string }) => r.risk_type === "credit_distress");
		const factor = credit.risk_factors.find((f: { name: string }) => f.name === "ml_distress_probability");
		expect(factor).toMatchObject({ value: null, contribution: null, reason: expect.stringMatching(/^insufficient inputs: the statements give 64 % of the model's inputs/) });
		// the score is the other factors' alone
		const applied = credit.risk_factors.filter((f: { value: number | null }) => f.value != null);
		expect(applied.reduce((sum: number, f: { applied_weight: number }) => sum + f.applied_weight, 0)).toBeCloseTo(1, 6);
	});

	it("labels a healthy manufacturer whose statements give its inputs healthy", async () => {
		const company = (await platform.request("POST", "/companies", { token: admin, body: { name: "Full Healthy Mfg", industry: "manufacturing" } })).body;
		await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: healthyManufacturerStatement("2023-12-31", 950) });
		await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: healthyManufacturerStatement("2024-12-31", 1000) });
		const res = await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { company_id: company.id } });
		expect(res.body.inputs_not_computed).toEqual([]);
		expect(res.body.predictions[0]).toMatchObject({ status: "scored", label: "0", input_coverage: 1 });
		expect(res.body.predictions[0].probability).toBeLessThan(res.body.threshold);
	});

	it("keeps a model that labels too many of the reference filers distressed out of production (staging takes it, with the warning)", async () => {
		const model = (
			await platform.request("POST", "/ml/models", {
				token: admin,
				body: {
					name: "distress-strict",
					domain: "manufacturing",
					model_type: "gradient_boosted_trees",
					configuration: { features: distress.configuration.features, missing_values: "impute_median", gates: { reference_positive_share: 0.001 } },
				},
			})
		).body;
		const datasets = (await platform.request("GET", "/ml/datasets?name=polish-bankruptcy-5year", { token: admin })).body.rows;
		const job = (await platform.request("POST", `/ml/models/${model.id}/train`, { token: admin, body: { dataset_id: datasets[0].id, hyperparameters: { iterations: [60] } } }))
			.body;
		const done = await eventually(
			"the training job",
			async () => (await platform.request("GET", `/ml/jobs/${job.id}`, { token: admin })).body,
			j => j.state !== "queued" && j.state !== "running",
			1200,
			100,
		);
		expect(done.state).toBe("succeeded");
		const version = (await platform.request("GET", `/ml/models/${model.id}/versions/${done.version}`, { token: admin })).body;
		expect(version.metrics.reference.labelled_positive_share).toBeGreaterThan(0.001);
		const refused = await platform.request("POST", `/ml/models/${model.id}/versions/${done.version}/deploy`, { token: admin, body: { reason: "try" } });
		expect(refused.status).toBe(409);
		expect(refused.body.message).toMatch(/reference_positive_share [\d.]+ > 0\.001/);
		const staged = await platform.request("POST", `/ml/models/${model.id}/versions/${done.version}/deploy`, { token: admin, body: { reason: "try", alias: "staging" } });
		expect(staged.status).toBe(200);
		expect(staged.body.transition.warnings[0]).toMatch(/reference_positive_share/);
	});

	it("monitors the companies the shared model scores (PSI per feature against its training rows); rows any caller sends do not move it", async () => {
		const version = (await platform.request("GET", `/ml/models/${distress.id}/versions/1`, { token: analyst })).body;
		const monitoring = async () => (await platform.request("GET", `/ml/models/${distress.id}/monitoring`, { token: analyst })).body;
		await reviewsSettled();
		const before = await monitoring();
		expect(before.drift.counted).toBe("scored companies");
		// an analyst floods the shared model with absurd rows: 6 × 500 rows of 1e9
		const absurd = Object.fromEntries(version.features.map((f: string) => [f, 1e9]));
		for (let i = 0; i < 6; i++)
			expect(
				(await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { rows: Array.from({ length: 500 }, () => absurd) } })).status,
			).toBe(200);
		const after = await monitoring();
		expect(after.drift).toEqual(before.drift);
		// a company far outside the training ratios, scored by the platform: that is drift the PSI must show
		const company = (await platform.request("POST", "/companies", { token: admin, body: { name: "Windfall Ltd", industry: "manufacturing" } })).body;
		await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: annualStatement("2023-12-31", { net_income: 75_000 }) });
		expect((await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { company_id: company.id } })).status).toBe(200);
		await reviewed(company.id, 1);
		const drifted = await monitoring();
		expect(drifted.model_version).toBe(version.version);
		// scored here, and by the review its statement started (risk asks for the distress probability)
		expect(drifted.drift.rows_scored).toBeGreaterThan(before.drift.rows_scored);
		expect(drifted.drift.features.find((f: { feature: string }) => f.feature === "net profit / total assets").psi).toBeGreaterThan(0.25);
		expect(drifted.drift.features[0].level).toBe("action");
		// one company more scored (Windfall), none with a later statement yet
		expect(drifted.realised).toMatchObject({ companies_scored: before.realised.companies_scored + 1, with_outcome: before.realised.with_outcome, roc_auc: null });
	});

	it("judges the scores by what the companies' next annual statements show: realised ROC AUC", async () => {
		// the companies before, judged by the statement after the one their review scored: none distressed
		await reviewsSettled();
		const before = (await platform.request("GET", `/ml/models/${distress.id}/monitoring`, { token: analyst })).body.realised;
		expect(before.observed_distress).toBe(0);
		const scored: Record<string, number> = {};
		for (const name of ["Sinking Ltd", "Steady Ltd"]) {
			const company = (await platform.request("POST", "/companies", { token: admin, body: { name, industry: "manufacturing" } })).body;
			await platform.request("POST", `/companies/${company.id}/statements`, {
				token: analyst,
				body: annualStatement("2023-12-31", { net_income: name === "Sinking Ltd" ? -300 : 300 }),
			});
			scored[name] = (
				await platform.request("POST", `/ml/models/${distress.id}/predict`, { token: analyst, body: { company_id: company.id } })
			).body.predictions[0].probability;
			// the year after: equity wiped out for one, business as usual for the other
			const next = annualStatement("2024-12-31");
			if (name === "Sinking Ltd") Object.assign(next.balance_sheet, { total_equity: -100, total_liabilities: 1600 });
			await platform.request("POST", `/companies/${company.id}/statements`, { token: analyst, body: next });
			await reviewed(company.id, 2);
		}
		// each review scores its statement: the 2024 scores wait for a 2025 statement, the 2023 ones are judged
		const realised = (await platform.request("GET", `/ml/models/${distress.id}/monitoring`, { token: analyst })).body.realised;
		expect(realised).toMatchObject({ with_outcome: before.with_outcome + 2, observed_distress: 1 });
		// one distressed company against n healthy ones: the AUC is the share of them scored below it (ties half)
		const healthy = before.with_outcome + 1;
		const below = realised.roc_auc * healthy;
		expect(Math.abs(below * 2 - Math.round(below * 2))).toBeLessThan(0.01 * healthy);
		if (healthy === 1) expect(realised.roc_auc).toBe(scored["Sinking Ltd"] > scored["Steady Ltd"] ? 1 : scored["Sinking Ltd"] === scored["Steady Ltd"] ? 0.5 : 0);
		else if (scored["Sinking Ltd"] > scored["Steady Ltd"]) expect(realised.roc_auc).toBeGreaterThanOrEqual(1 / healthy - 1e-4);
		else expect(realised.roc_auc).toBeLessThanOrEqual(1 - 1 / healthy + 1e-4);
	});
});

describe("a default distress model made by an earlier release", () => {
	let upgraded: Platform | undefined;
	afterAll(() => upgraded?.stop());

	it("gets the current recipe and a new version on the next start, which replaces the old one in production once it passes the gates", async () => {
		// an earlier release's default model: missing values as a signal (the sentinel), no reference gate; v1 in production
		const earlier = await startPlatform({ env: { ML_SHIPPED_DATASETS: "true", ML_DEFAULT_MODEL: "false" } });
		let modelId: string;
		try {
			const token = await earlier.login("admin", ADMIN_PASSWORD);
			const asTraining = { meta: { user: servicePrincipal("ml.training") } };
			const model = (await earlier.broker.call(
				"ml.registry.create",
				{ name: "distress", domain: "*", model_type: "gradient_boosted_trees", configuration: { features: DISTRESS_FEATURE_NAMES, gates: { roc_auc: 0.85 } } },
				asTraining,
			)) as { id: string };
			modelId = model.id;
			const dataset = (await earlier.request("GET", "/ml/datasets?name=polish-bankruptcy-5year", { token })).body.rows[0];
			const job = (await earlier.request("POST", `/ml/models/${model.id}/train`, { token, body: { dataset_id: dataset.id, hyperparameters: { iterations: [60] } } })).body;
			await eventually(
				"the earlier version",
				async () => (await earlier.request("GET", `/ml/jobs/${job.id}`, { token })).body.state,
				s => s === "succeeded",
				1200,
				100,
			);
			expect((await earlier.request("POST", `/ml/models/${model.id}/versions/1/deploy`, { token, body: { reason: "earlier release" } })).status).toBe(200);
			const old = (await earlier.request("GET", `/ml/models/${model.id}/versions/1`, { token })).body;
			expect(old.pipeline.missing_values).toBe("informative");
		} finally {
			await earlier.stop();
		}

		upgraded = await startPlatform({ dataDir: earlier.dataDir, env: { ML_SHIPPED_DATASETS: "true", ML_DEFAULT_MODEL: "true" } });
		const token = await upgraded.login("admin", ADMIN_PASSWORD);
		const model = await eventually(
			"the new version in production",
			async () => (await upgraded!.request("GET", `/ml/models/${modelId}`, { token })).body,
			m => m.aliases.production === 2,
			1800,
			100,
		);
		expect(model.configuration).toMatchObject({ missing_values: "impute_median", gates: { roc_auc: 0.85, reference_positive_share: 0.25 } });
		expect(model.previous_production).toBe(1);
		const version = (await upgraded.request("GET", `/ml/models/${modelId}/versions/2`, { token })).body;
		expect(version.pipeline.missing_values).toBe("impute_median");
		expect(version.metrics.reference.labelled_positive_share).toBeLessThanOrEqual(0.25);
		// started again, it is current: no third version
		await upgraded.stop();
		upgraded = await startPlatform({ dataDir: earlier.dataDir, env: { ML_SHIPPED_DATASETS: "true", ML_DEFAULT_MODEL: "true" } });
		const again = await upgraded.login("admin", ADMIN_PASSWORD);
		const jobs = (await upgraded.request("GET", `/ml/jobs?model_id=${modelId}`, { token: again })).body;
		expect(jobs.total).toBe(2);
	}, 180_000);
});
