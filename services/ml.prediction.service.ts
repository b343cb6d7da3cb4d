/**
 * ml.prediction: predictions from each model's production version (docs/ml.md). Every prediction node keeps
 * the production version loaded, and the one before it, so a rollback is a swap; it switches when the
 * registry broadcasts an alias change and re-reads the aliases every few seconds in case a broadcast was
 * lost. Rows are keyed by the data set's column names; a company's rows are computed from its statements.
 * What a production version scores feeds its monitoring: input drift (PSI per feature against the training
 * rows) and, as later statements arrive for the companies it scored, realised ROC AUC.
 */
import type { Context } from "moleculer";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { retentionCutoff, scheduleRetention } from "../lib/retention";
import { DISTRESS_FEATURES, OBSERVED_DISTRESS, observedDistress, statementFeatures } from "../domains/ml/distress";
import { driftLevel, populationStabilityIndex, PSI_LEVELS } from "../domains/ml/drift";
import { coverageFloor, inputCoverage } from "../domains/ml/coverage";
import { rocAuc } from "../domains/ml/metrics";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { defineService } from "../lib/service";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createMlModelsMixin, type InputRow, type ServedVersion } from "../mixins/ml-models.mixin";
import { createStoreMixin, naturalKey, type Doc } from "../mixins/db.mixin";
import { nowIso } from "../models/common";
import { conflict, unprocessable } from "../models/errors";
import { Finance, MlPrediction, MlRegistry } from "../contracts";
import { ML_ALIASES_RESYNC_MS } from "../contracts/ml.registry";
import type { Prediction } from "../contracts/ml.prediction";
import { call, emit } from "../lib/contract-calls";
import { ALL_DOMAINS } from "../models/ml";
import type { MlModel } from "../contracts/ml.registry";
import type { Statement } from "../models/statement";

type MlContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const AS_PREDICTION = { meta: { user: servicePrincipal("ml.prediction") } };
/** How often a node writes what its production versions scored (drift counts). */
const DRIFT_FLUSH_MS = 10_000;
/** Companies whose realised outcome the monitoring looks up (the most recently scored). */
const REALISED_SAMPLE = 500;

/** Why the distress factor has no value: how much of the model's inputs the statements give, and what they lack. */
function insufficientReason(p: Extract<Prediction, { status: "insufficient_inputs" }>, floor: number): string {
	const pct = (x: number) => `${Math.round(x * 100)} %`;
	const named = p.missing_inputs.slice(0, 5).join("; ") + (p.missing_inputs.length > 5 ? `; and ${p.missing_inputs.length - 5} more` : "");
	return `insufficient inputs: the statements give ${pct(p.input_coverage)} of the model's inputs, below its floor of ${pct(floor)}; not computable: ${named}`;
}

interface Served {
	production?: ServedVersion;
	previous?: ServedVersion;
}

interface DriftCounts {
	model_id: string;
	version: number;
	rows: number;
	/** Per feature, counts per bin of the version's drift reference (deciles, then missing). */
	bins: number[][];
}

const MlPredictionService = defineService<{ served: Map<string, Served>; switching: Map<string, Promise<void>>; drift: Map<string, DriftCounts>; timers: NodeJS.Timeout[] }>()({
	name: "ml.prediction",
	metadata: { description: "ML predictions and monitoring" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createMlModelsMixin("ml.prediction"),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.mlPredictedRows]),
		createStoreMixin("driftCounts", "ml_drift_counts", [{ fields: { model_id: 1, version: 1 } }, { fields: { at: 1 } }]),
		createStoreMixin("companyScores", "ml_company_scores", [{ fields: { model_id: 1, version: 1 } }, { fields: { at: 1 } }]),
	],

	methods: {
		/** Removes drift counts and company scores past their retention (RETENTION_DRIFT_COUNTS_DAYS, RETENTION_COMPANY_SCORES_DAYS). */
		async sweepRetention(): Promise<{ drift_counts: number; company_scores: number }> {
			const drift = retentionCutoff(this.config.retention.drift_counts_days);
			const scores = retentionCutoff(this.config.retention.company_scores_days);
			const removed = {
				drift_counts: drift ? await this.driftCounts.removeMany({ at: { $lt: drift } }) : 0,
				company_scores: scores ? await this.companyScores.removeMany({ at: { $lt: scores } }) : 0,
			};
			if (removed.drift_counts || removed.company_scores)
				this.logger.info(`Retention: ${removed.drift_counts} drift counts and ${removed.company_scores} company scores past their retention removed`);
			return removed;
		},

		/** Serves `production` for the model (null: none); the version it replaces stays loaded as the previous one. */
		async switchTo(modelId: string, production: number | null, previous: number | null): Promise<void> {
			// one switch per model at a time: a broadcast and a resync may arrive together
			const pending = this.switching.get(modelId);
			if (pending) await pending.catch(() => undefined);
			const run = (async () => {
				const entry = this.served.get(modelId) ?? {};
				const loaded = [entry.production, entry.previous].filter((v): v is ServedVersion => !!v);
				const pick = async (version: number | null) =>
					version == null ? undefined : (loaded.find(v => v.version === version) ?? (await this.loadVersion(modelId, version)));
				const next: Served = { production: await pick(production) };
				next.previous = previous == null ? (entry.production && entry.production.version !== production ? entry.production : undefined) : await pick(previous);
				for (const v of loaded) if (v !== next.production && v !== next.previous) v.model.free();
				this.served.set(modelId, next);
				// the model's series exists from the moment it is served, at 0
				if (next.production) this.countMetric(BUSINESS_COUNTERS.mlPredictedRows, { model: modelId }, 0);
				if (entry.production?.version !== next.production?.version)
					// the registry logs the move itself: here, once per prediction node, only when asked for
					this.logger.debug(
						`Model ${modelId}: serving ${next.production ? `v${next.production.version}` : "no version"}${next.previous ? ` (v${next.previous.version} kept for a rollback)` : ""}`,
					);
			})();
			this.switching.set(modelId, run);
			try {
				await run;
			} finally {
				if (this.switching.get(modelId) === run) this.switching.delete(modelId);
			}
		},

		/** Compares every model's aliases with what this node serves and catches up. */
		async resync(onlyModel?: string): Promise<void> {
			const models = await call(this.broker, MlRegistry.actions.aliases, {}, AS_PREDICTION);
			for (const m of models) {
				if (onlyModel && m.id !== onlyModel) continue;
				const entry = this.served.get(m.id);
				if (entry?.production?.version === (m.aliases.production ?? undefined) && entry?.previous?.version === (m.previous_production ?? undefined)) continue;
				if (!entry && m.aliases.production == null) continue;
				await this.switchTo(m.id, m.aliases.production, m.previous_production).catch(err => this.logger.warn(`Model ${m.id} not loaded: ${(err as Error).message}`));
			}
		},

		async production(model: MlModel): Promise<ServedVersion> {
			let served = this.served.get(model.id)?.production;
			if (!served || served.version !== model.aliases.production) {
				if (model.aliases.production == null) throw conflict(`Model '${model.name}' has no production version: deploy one first`, { id: model.id });
				await this.switchTo(model.id, model.aliases.production, model.previous_production);
				served = this.served.get(model.id)?.production;
			}
			return served!;
		},

		/** Counts the scored rows into the version's drift bins (written every few seconds). */
		recordDrift(served: ServedVersion, vectors: Float64Array[]): void {
			const key = naturalKey(served.model_id, served.version);
			let counts = this.drift.get(key);
			if (!counts) {
				counts = {
					model_id: served.model_id,
					version: served.version,
					rows: 0,
					bins: served.meta.features.map(f => new Array<number>((served.meta.drift_reference[f]?.edges.length ?? 0) + 2).fill(0)),
				};
				this.drift.set(key, counts);
			}
			counts.rows += vectors.length;
			served.meta.features.forEach((f, i) => {
				const edges = served.meta.drift_reference[f]?.edges ?? [];
				for (const v of vectors) {
					const value = v[i];
					let b = 0;
					if (Number.isNaN(value)) b = edges.length + 1;
					else while (b < edges.length && value > edges[b]) b++;
					counts.bins[i][b]++;
				}
			});
		},

		async flushDrift(): Promise<void> {
			const batch = [...this.drift.values()];
			this.drift.clear();
			for (const counts of batch) await this.driftCounts.insert({ ...counts, node: this.broker.nodeID, at: nowIso() });
		},

		/**
		 * Scores the vectors. Drift counts what the platform computed itself (a scored company's statement ratios)
		 * and, on a model of one domain, the rows its members send; rows sent to a model every domain shares do
		 * not move its drift figures (one caller's odd rows would otherwise move everyone's).
		 */
		async predictRows(served: ServedVersion, vectors: Float64Array[], source: "company" | "rows", domain: string, floor: number): Promise<Prediction[]> {
			// a row with too few of the model's inputs is not scored: its probability would be mostly imputation
			const coverage = vectors.map(v => inputCoverage(served.meta.features, v, floor));
			const scored = vectors.filter((_, i) => coverage[i].sufficient);
			const p = scored.length ? this.probabilities(served, scored) : new Float64Array(0);
			if (scored.length && (source === "company" || domain !== ALL_DOMAINS)) this.recordDrift(served, scored);
			this.countMetric(BUSINESS_COUNTERS.mlPredictedRows, { model: served.model_id }, scored.length);
			const [negative, positive] = served.meta.classes;
			let k = 0;
			return coverage.map(c => {
				if (!c.sufficient) return { status: "insufficient_inputs", probability: null, label: null, input_coverage: c.coverage, missing_inputs: c.missing };
				const probability = p[k++];
				return {
					status: "scored",
					probability: Math.round(probability * 1e6) / 1e6,
					label: probability >= served.meta.threshold ? positive : negative,
					input_coverage: c.coverage,
				};
			});
		},

		/** The share of its inputs a row must give to be scored by this version of the model. */
		coverageFloorOf(model: MlModel, served: ServedVersion): number {
			return coverageFloor(served.meta.training_missing_share, model.configuration.min_input_coverage);
		},

		/** The model's inputs from the company's latest annual statement (and the one before, for growth). */
		async companyInputs(
			ctx: MlContext,
			served: ServedVersion,
			companyId: string,
		): Promise<{ period_end: string; values: Record<string, number | null>; not_computed: Array<{ feature: string; reason: string }> }> {
			const unknown = served.meta.features.filter(f => !DISTRESS_FEATURES[f]);
			if (unknown.length === served.meta.features.length)
				throw unprocessable("This model's features are not computed from statements: send rows instead", [
					{ field: "company_id", message: "the model's features are not statement ratios" },
				]);
			const page = await call(ctx, Finance.actions.listStatements, { id: companyId, statement_type: "annual", sort: "-period_end", page_size: 2 });
			if (!page.rows.length)
				throw unprocessable("The company has no annual statement to compute the model's inputs from", [{ field: "company_id", message: "no annual statement" }]);
			const [current, prior] = page.rows;
			const priorYear = prior && Number(prior.period_end.slice(0, 4)) === Number(current.period_end.slice(0, 4)) - 1 ? prior : null;
			const { values, not_computed } = statementFeatures(served.meta.features, current, priorYear);
			return { period_end: current.period_end, values, not_computed };
		},

		/**
		 * Realised ROC AUC: for the companies this version scored (the latest score of each), the next annual
		 * statement after the scored period decides whether distress followed (OBSERVED_DISTRESS).
		 */
		async realisedPerformance(modelId: string, version: number): Promise<Record<string, unknown>> {
			const scores: Doc[] = await this.companyScores.find({ query: { model_id: modelId, version }, sort: ["-at"], limit: 20 * REALISED_SAMPLE });
			// each company's scores, newest first: the newest with a later annual statement is judged by it (a statement
			// that arrives is scored in its turn, by its review: that newer score has no outcome yet, the one before has)
			const byCompany = new Map<string, Doc[]>();
			for (const s of scores) {
				const own = byCompany.get(s.company_id);
				if (own) own.push(s);
				else byCompany.set(s.company_id, [s]);
			}
			const dayAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
			const y: number[] = [];
			const p: number[] = [];
			for (const [companyId, own] of [...byCompany].slice(0, REALISED_SAMPLE)) {
				const earliest = own.reduce((min, s) => (s.period_end < min ? s.period_end : min), own[0].period_end as string);
				const later = await call(
					this.broker,
					Finance.actions.listStatements,
					{ id: companyId, statement_type: "annual", from: dayAfter(earliest), sort: "period_end", page_size: 100 },
					AS_PREDICTION,
				).catch(() => ({ rows: [] as Statement[] }));
				for (const s of own) {
					const next = later.rows.find(r => r.period_end > s.period_end);
					const outcome = next ? observedDistress(next) : null;
					if (outcome == null) continue;
					y.push(outcome ? 1 : 0);
					p.push(s.probability);
					break;
				}
			}
			const distressed = y.reduce((a, b) => a + b, 0);
			const auc = rocAuc(y, p);
			return {
				companies_scored: byCompany.size,
				with_outcome: y.length,
				observed_distress: distressed,
				roc_auc: auc == null ? null : Math.round(auc * 10000) / 10000,
				outcome: OBSERVED_DISTRESS,
				...(auc == null ? { reason: y.length ? "the outcomes so far are all of one class" : "no scored company has a later annual statement yet" } : {}),
			};
		},
	},

	actions: {
		/**
		 * `{rows: [{column: number|null}, …]}` (up to max_prediction_rows) or `{company_id}`: probabilities and
		 * labels from the production version, in row order.
		 */
		predict: {
			openapi: {
				summary: "Predict with a model",
				example: { rows: [{ "net profit / total assets": 0.05, "total liabilities / total assets": 0.6 }] },
				response: "MlPredictions",
				description:
					"`{rows}` (up to 1,000, keyed by column) or `{company_id}`: probabilities and labels from the production version. The body may be 8 KB a row (about 8 MB for 1,000 rows; a row of the distress model's 64 ratios is about 4 KB).",
				body_limit: "8 KB a row: 8,064 KB for the 1,000 rows a request may carry",
			},
			rest: "POST /ml/models/:id/predict",
			permission: ["execute", "ml_models"],
			params: {
				$$strict: true,
				id: idParam,
				// at most ml.max_prediction_rows: checked in the handler, the limit being this broker's setting
				rows: { type: "array", items: "any", min: 1, optional: true },
				company_id: { ...idParam, optional: true },
			},
			async handler(ctx: MlContext<{ id: string; rows?: InputRow[]; company_id?: string }>) {
				const { rows, company_id } = ctx.params;
				const maxRows = this.config.ml.max_prediction_rows;
				if (rows && rows.length > maxRows)
					throw unprocessable(`rows: at most ${maxRows} items`, [{ field: "rows", message: `at most ${maxRows} items`, type: "arrayMax", actual: rows.length }]);
				if ((rows == null) === (company_id == null))
					throw unprocessable("Send either rows or company_id", [{ field: rows == null ? "rows" : "company_id", message: "exactly one of rows and company_id" }]);
				const model = await call(ctx, MlRegistry.actions.get, { id: ctx.params.id });
				const served = await this.production(model);
				const floor = this.coverageFloorOf(model, served);
				const answer = { model_id: model.id, model_version: served.version, threshold: served.meta.threshold, input_coverage_floor: floor };
				if (rows) {
					const predictions = await this.predictRows(served, this.vectorsOf(served, rows), "rows", model.domain, floor);
					emit(ctx, MlPrediction.events.predictionsMade, {
						model_id: model.id,
						version: served.version,
						rows: rows.length,
						scored: predictions.filter(p => p.status === "scored").length,
					});
					return { ...answer, predictions };
				}
				const inputs = await this.companyInputs(ctx, served, company_id!);
				const [prediction] = await this.predictRows(served, this.vectorsOf(served, [inputs.values]), "company", model.domain, floor);
				// what realised performance is judged on: the companies the version scored
				if (prediction.probability != null)
					await this.companyScores.insert({
						model_id: model.id,
						version: served.version,
						company_id,
						period_end: inputs.period_end,
						probability: prediction.probability,
						at: nowIso(),
					});
				emit(ctx, MlPrediction.events.predictionsMade, { model_id: model.id, version: served.version, rows: 1, scored: prediction.status === "scored" ? 1 : 0 });
				return {
					...answer,
					predictions: [prediction],
					company_id,
					period_end: inputs.period_end,
					inputs: inputs.values,
					inputs_not_computed: inputs.not_computed,
				};
			},
		},

		/** The default distress model's probability for a company (for risk); null with a reason when there is none. */
		distress: {
			visibility: "public",
			permission: ["execute", "ml_models"],
			params: { $$strict: true, company_id: idParam },
			async handler(ctx: MlContext<{ company_id: string }>) {
				const found = await call(ctx, MlRegistry.actions.list, { name: "distress" });
				const model = found.rows.find(m => m.domain === ALL_DOMAINS);
				if (!model || model.aliases.production == null) return { probability: null, reason: "no distress model in production yet" };
				try {
					const answer = await call(ctx, MlPrediction.actions.predict, { id: model.id, company_id: ctx.params.company_id });
					const [prediction] = answer.predictions;
					if (prediction.status === "insufficient_inputs")
						return {
							probability: null,
							model_id: model.id,
							model_version: answer.model_version,
							reason: insufficientReason(prediction, answer.input_coverage_floor),
						};
					return {
						probability: prediction.probability,
						threshold: answer.threshold,
						model_id: model.id,
						model_version: answer.model_version,
						inputs_not_computed: answer.inputs_not_computed.length,
					};
				} catch (err) {
					if ((err as { code?: number }).code === 422) return { probability: null, reason: (err as Error).message };
					throw err;
				}
			},
		},

		/**
		 * The production version's monitoring: input drift per feature (PSI of what it scored against its training
		 * rows) and realised ROC AUC over the companies it scored whose later annual statement is in.
		 */
		monitoring: {
			openapi: {
				summary: "Monitor a model in production",
				response: "MlMonitoring",
				description:
					"Input drift (PSI per feature) and realised ROC AUC. Drift counts the companies the model scored; on a model of one domain also the rows its members sent (a shared model's drift is not moved by rows any caller sends).",
			},
			rest: "GET /ml/models/:id/monitoring",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: MlContext<{ id: string }>) {
				principalOf(ctx);
				const model = await call(ctx, MlRegistry.actions.get, { id: ctx.params.id });
				if (model.aliases.production == null) throw conflict(`Model '${model.name}' has no production version to monitor`, { id: model.id });
				await this.flushDrift();
				const served = await this.production(model);
				const docs: Doc[] = await this.driftCounts.find({ query: { model_id: model.id, version: served.version } });
				const rows = docs.reduce((n, d) => n + d.rows, 0);
				const features = served.meta.features.map((name, i) => {
					const reference = served.meta.drift_reference[name];
					if (!reference || !rows) return { feature: name, psi: null, level: null };
					const counts = reference.shares.map((_, b) => docs.reduce((n, d) => n + (d.bins[i]?.[b] ?? 0), 0));
					const psi = populationStabilityIndex(
						reference.shares,
						counts.map(c => c / rows),
					);
					return { feature: name, psi: Math.round(psi * 10000) / 10000, level: driftLevel(psi) };
				});
				features.sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1));
				return {
					model_id: model.id,
					model_version: served.version,
					drift: { rows_scored: rows, counted: model.domain === ALL_DOMAINS ? "scored companies" : "scored companies and rows sent", levels: PSI_LEVELS, features },
					realised: await this.realisedPerformance(model.id, served.version),
				};
			},
		},
	},

	events: {
		async [MlRegistry.events.aliasesChanged.name](ctx) {
			const payload = ctx.params;
			if (payload.alias !== "production") return;
			await this.resync(payload.model_id).catch(err => this.logger.warn(`Alias change of ${payload.model_id}: ${(err as Error).message}`));
		},
	},

	created() {
		this.served = new Map();
		this.switching = new Map();
		this.drift = new Map();
		this.timers = [];
	},

	async started() {
		// the registry may not be up yet (it starts beside this service): the periodic resync loads them then
		if ((this.broker.registry as unknown as { hasService(name: string): boolean }).hasService("ml.registry"))
			await this.resync().catch(err => this.logger.warn(`Production versions not loaded yet: ${(err as Error).message}`));
		const every = (ms: number, fn: () => Promise<void>) => {
			const t = setInterval(() => fn().catch(err => this.logger.warn((err as Error).message)), ms);
			t.unref();
			this.timers.push(t);
		};
		every(ML_ALIASES_RESYNC_MS, () => this.resync());
		every(DRIFT_FLUSH_MS, () => this.flushDrift());
		this.timers.push(
			scheduleRetention(
				() => this.sweepRetention(),
				m => this.logger.warn(m),
			),
		);
	},

	async stopped() {
		this.timers.forEach(clearInterval);
		await this.flushDrift().catch(() => undefined);
		for (const entry of this.served.values()) for (const v of [entry.production, entry.previous]) v?.model.free();
	},
});

export default MlPredictionService;
