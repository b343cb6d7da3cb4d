/**
 * ml.training: training jobs (docs/ml.md). A job is a row in the store before anything runs, so it is
 * durable: every ml.training node looks for queued jobs (at once when one is queued, and every few seconds),
 * claims one with a conditional update (one node wins), and renews its lease while it trains in a worker
 * thread. A node killed mid-job stops renewing; once the lease lapses another node (or the same one, back)
 * takes the job over from the start. On success the version goes to ml.registry (and, for the default
 * model, to production); nothing is stored for a failed or cancelled job.
 */
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import { Readable } from "node:stream";
import type { Worker } from "node:worker_threads";
import type { Context } from "moleculer";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { estimateTrainingCost } from "../domains/ml/cost";
import { DEFAULT_DISTRESS_MODEL } from "../domains/ml/distress";
import { MODEL_TYPE_DEFINITIONS, type Hyperparameters } from "../domains/ml/model-types";
import { SPLIT_DEFAULTS } from "../domains/ml/training";
import { readBody } from "../lib/json-body";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { visibleIndustries } from "../domains/identity/rbac";
import { defineService, NOT_RETRIED } from "../lib/service";
import type { TrainingWorkerInput, TrainingWorkerMessage } from "../lib/training-worker";
import { ownBuffer, startWorker } from "../lib/worker-thread";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createDbMixin, type Doc } from "../mixins/db.mixin";
import { listParams, nowIso } from "../models/common";
import { KeyedLock } from "../lib/keyed-lock";
import { conflict, forbidden, notFound, quotaExceeded, unprocessable } from "../models/errors";
import { MlDatasets, MlRegistry, MlTraining } from "../contracts";
import { broadcast, call, emit } from "../lib/contract-calls";
import { ALL_DOMAINS, JOB_STATES } from "../models/ml";
import type { Dataset } from "../contracts/ml.datasets";
import type { MlModel } from "../contracts/ml.registry";
import type { TrainingJob } from "../contracts/ml.training";
import { hyperparameterIssues, withoutRetired } from "../domains/ml/model-types";

type MlContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $responseHeaders?: Record<string, string> }>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const AS_TRAINING = { meta: { user: servicePrincipal("ml.training") } };
const POLL_MS = 2000;
const HEARTBEAT_MS = 2000;
const WORKER_FILE = require.resolve("../lib/training-worker");

interface Running {
	worker: Worker;
	job: TrainingJob;
	progress: Partial<TrainingJob>;
	heartbeat?: NodeJS.Timeout;
	deadline?: NodeJS.Timeout;
}

/** The states in which a job counts against its user's and its domain's quota. */
const ACTIVE = { $in: ["queued", "running"] };

const MlTrainingService = defineService<{ running: Map<string, Running>; pollTimer?: NodeJS.Timeout; stopping: boolean; quotaLocks: KeyedLock }>()({
	name: "ml.training",
	metadata: { description: "ML training jobs" },
	settings: { rest: "/" },
	// the default model is trained on a shipped data set, registered by ml.datasets as it starts
	dependencies: ["ml.registry", "ml.datasets"],
	mixins: [
		ConfiguredMixin,
		createDbMixin("ml_training_jobs", [{ fields: { model_id: 1 } }, { fields: { state: 1 } }, { fields: { created_by: 1, state: 1 } }, { fields: { domain: 1, state: 1 } }]),
		createPersonalDataMixin("ML training jobs", { username: ["created_by"] }),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.mlTrainingJobs]),
	],

	methods: {
		publicJob(job: TrainingJob): TrainingJob {
			const { lease_until: _lease, ...rest } = job;
			return { ...rest, history: rest.history.slice(-50) } as TrainingJob;
		},

		/** The job, when the caller may see its model (404 otherwise, through the registry). */
		async visibleJob(ctx: MlContext, id: string): Promise<{ job: TrainingJob; model: MlModel }> {
			const job = await this.findEntityById<TrainingJob>(id);
			if (!job) throw notFound("Training job", id);
			const model = await call(ctx, MlRegistry.actions.get, { id: job.model_id });
			return { job, model };
		},

		/** Queues a job (the caller's rights on model and data set checked by the registry, with its context). */
		async queue(
			model: MlModel,
			dataset: Dataset,
			options: { hyperparameters?: Hyperparameters; k_folds?: number; seed?: number; deploy_to?: "production" },
			createdBy: string,
		): Promise<TrainingJob> {
			// a configuration stored before its model type changed keeps names the type no longer has: left out
			const hyperparameters = { ...withoutRetired(model.model_type, model.configuration.hyperparameters ?? {}), ...(options.hyperparameters ?? {}) };
			const issues = hyperparameterIssues(model.model_type, hyperparameters);
			const features = model.configuration.features;
			if (features) {
				const columns = new Set(dataset.columns.filter(c => c.type === "numeric").map(c => c.name));
				for (const f of features.filter(f => !columns.has(f)))
					issues.push({ field: `dataset_id`, message: `data set '${dataset.name}' has no column '${f}', a feature of model '${model.name}'`, type: "missingColumn" });
			}
			if (issues.length) throw unprocessable(issues[0].message + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""), issues);
			// what it would cost, refused up front past the run-time limit (it would be stopped there anyway)
			const estimate = estimateTrainingCost({
				model_type: model.model_type,
				hyperparameters: { ...MODEL_TYPE_DEFINITIONS[model.model_type].defaults, ...hyperparameters },
				rows: dataset.rows,
				features: features?.length ?? dataset.columns.filter(c => c.type === "numeric").length,
				k_folds: options.k_folds,
			});
			if (estimate.seconds > this.config.ml.job_max_seconds)
				throw unprocessable(
					`This job would train for about ${Math.round(estimate.seconds)} s (${estimate.basis}): past the limit of ${this.config.ml.job_max_seconds} s per job. Fewer epochs, Newton iterations or rounds, a larger batch_size, or fewer folds`,
					[{ field: "hyperparameters", message: `estimated ${Math.round(estimate.seconds)} s, over the ${this.config.ml.job_max_seconds} s limit`, type: "costLimit" }],
				);
			if (createdBy !== "system") await this.checkQuotas(createdBy, model.domain);
			const now = nowIso();
			const job = await this.insertEntity<TrainingJob>({
				model_id: model.id,
				domain: model.domain,
				estimated_seconds: Math.round(estimate.seconds * 10) / 10,
				dataset_id: dataset.id,
				state: "queued",
				hyperparameters,
				...(options.k_folds ? { k_folds: options.k_folds } : {}),
				seed: options.seed ?? SPLIT_DEFAULTS.seed,
				progress: 0,
				history: [],
				...(options.deploy_to ? { deploy_to: options.deploy_to } : {}),
				attempts: 0,
				created_by: createdBy,
				created_at: now,
				updated_at: now,
			});
			broadcast(this.broker, MlTraining.events.jobQueued, { job_id: job.id, model_id: job.model_id });
			return job;
		},

		/** 429 when the user, or the model's domain, has as many jobs queued or running as it may. */
		async checkQuotas(username: string, domain: string): Promise<void> {
			const user = await this.store.count({ query: { created_by: username, state: ACTIVE } });
			if (user >= this.config.ml.max_jobs_per_user)
				throw quotaExceeded(
					`You have ${user} training jobs queued or running: at most ${this.config.ml.max_jobs_per_user} per user. Wait for one to finish, or cancel one`,
					{
						quota: "training jobs per user",
						limit: this.config.ml.max_jobs_per_user,
						current: user,
					},
				);
			const inDomain = await this.store.count({ query: { domain, state: ACTIVE } });
			if (inDomain >= this.config.ml.max_jobs_per_domain)
				throw quotaExceeded(`Domain '${domain}' has ${inDomain} training jobs queued or running: at most ${this.config.ml.max_jobs_per_domain} per domain`, {
					quota: "training jobs per domain",
					limit: this.config.ml.max_jobs_per_domain,
					current: inDomain,
				});
		},

		/**
		 * The jobs to try next, fairly across domains: one whose node stopped renewing its lease first (it was
		 * running), then the oldest queued job of the domain with the fewest jobs running now and, among those, the
		 * one served least recently — round robin, so one domain's queue never holds another's back.
		 */
		async nextCandidates(): Promise<TrainingJob[]> {
			const now = nowIso();
			const lapsed = await this.findEntities<TrainingJob>({ query: { state: "running", lease_until: { $lt: now } }, sort: ["created_at"], limit: 5 });
			if (lapsed.length) return lapsed;
			const queued = await this.findEntities<TrainingJob>({ query: { state: "queued" }, sort: ["created_at"], limit: 200 });
			const domains = [...new Set(queued.map(j => j.domain ?? ""))];
			if (domains.length <= 1) return queued.slice(0, 5);
			const running = await this.findEntities<TrainingJob>({ query: { state: "running" } });
			const load = new Map<string, number>();
			for (const j of running) load.set(j.domain ?? "", (load.get(j.domain ?? "") ?? 0) + 1);
			const served = new Map<string, string>();
			for (const domain of domains) {
				const [last] = await this.findEntities<TrainingJob>({
					query: { domain: domain || { $exists: false }, started_at: { $exists: true } },
					sort: ["-started_at"],
					limit: 1,
				});
				served.set(domain, last?.started_at ?? "");
			}
			const order = domains.sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || served.get(a)!.localeCompare(served.get(b)!));
			// each domain's oldest job, in the domains' order
			return order.map(d => queued.find(j => (j.domain ?? "") === d)!).slice(0, 5);
		},

		/** Takes queued jobs (or ones whose node stopped renewing its lease) while this node has room. */
		async pump(): Promise<void> {
			if (this.stopping) return;
			while (this.running.size < this.config.ml.training_concurrency) {
				const now = nowIso();
				const candidates = await this.nextCandidates();
				let claimed: TrainingJob | null = null;
				for (const job of candidates) {
					const lease = new Date(Date.now() + this.config.ml.job_lease_ms).toISOString();
					const condition = job.state === "queued" ? { state: "queued" } : { state: "running", lease_until: job.lease_until };
					// a claim is bookkeeping no cached answer shows
					const won = await this.store.uncached().updateMany(
						{ _id: this.storedId(job.id), ...condition },
						{
							$set: { state: "running", stage: "starting", node: this.broker.nodeID, lease_until: lease, started_at: now, updated_at: now, progress: 0 },
							$inc: { attempts: 1 },
						},
					);
					if (won === 1) {
						claimed = (await this.findEntityById<TrainingJob>(job.id))!;
						break;
					}
				}
				if (!claimed) return;
				if (claimed.attempts > this.config.ml.job_max_attempts) {
					await this.finish(claimed, { state: "failed", error: `gave up after ${claimed.attempts - 1} starts: the job's node stopped each time (out of memory?)` });
					continue;
				}
				if (claimed.attempts > 1) this.logger.warn(`Training job ${claimed.id} taken over (start ${claimed.attempts}): its node stopped renewing the lease`);
				void this.run(claimed);
			}
		},

		/** The job's end as its event: succeeded (with the version it made), failed or cancelled. */
		emitJobFinished(job: TrainingJob, set: Partial<TrainingJob>): void {
			const about = { job_id: job.id, model_id: job.model_id };
			if (set.state === "succeeded") void emit(this.broker, MlTraining.events.jobSucceeded, { ...about, version: set.version! });
			else if (set.state === "cancelled") void emit(this.broker, MlTraining.events.jobCancelled, about);
			else void emit(this.broker, MlTraining.events.jobFailed, about);
		},

		async finish(job: TrainingJob, set: Partial<TrainingJob>, model?: Pick<MlModel, "name" | "model_type">): Promise<void> {
			const modelType = model?.model_type ?? "unknown";
			const now = nowIso();
			// a finished job says so: done (progress 1), failed or cancelled, not the stage it was last in
			set = { ...set, stage: set.state === "succeeded" ? "done" : set.state };
			this.countMetric(BUSINESS_COUNTERS.mlTrainingJobs, { model_type: modelType, outcome: String(set.state) });
			// a job cancelled meanwhile stays cancelled
			await this.store.updateMany(
				{ _id: this.storedId(job.id), state: "running", node: this.broker.nodeID },
				{ $set: { ...set, finished_at: now, updated_at: now }, $unset: { lease_until: "" } },
			);
			this.emitJobFinished(job, set);
			const took = job.started_at ? ` in ${((Date.parse(now) - Date.parse(job.started_at)) / 1000).toFixed(1)} s` : "";
			const of = `of model '${model?.name ?? job.model_id}' (${modelType})`;
			if (set.state === "succeeded") this.logger.info(`Training job ${job.id} ${of} succeeded${took}: version ${set.version}`);
			else if (set.state === "failed") this.logger.warn(`Training job ${job.id} ${of} failed${took}: ${set.error}`);
		},

		async run(job: TrainingJob): Promise<void> {
			const entry: Running = { job, progress: {}, worker: undefined as unknown as Worker };
			this.running.set(job.id, entry);
			try {
				const model = await call(this.broker, MlRegistry.actions.get, { id: job.model_id }, AS_TRAINING);
				const dataset = await call(this.broker, MlDatasets.actions.get, { id: job.dataset_id }, AS_TRAINING);
				const stream = await call(this.broker, MlDatasets.actions.content, { id: job.dataset_id }, AS_TRAINING);
				const content = ownBuffer(await readBody(stream, "512mb"));
				const input: TrainingWorkerInput = {
					dataset: { format: dataset.format, label: dataset.label, positive_class: dataset.positive_class, content },
					...(model.configuration.features ? { features: model.configuration.features } : {}),
					plan: {
						model_type: model.model_type,
						hyperparameters: job.hyperparameters,
						seed: job.seed,
						...(job.k_folds ? { k_folds: job.k_folds } : {}),
						...(model.configuration.missing_values ? { missing_values: model.configuration.missing_values } : {}),
					},
					...(model.configuration.min_input_coverage != null ? { min_input_coverage: model.configuration.min_input_coverage } : {}),
				};
				const outcome = await this.inWorker(entry, input);
				if (outcome.type === "error") {
					await this.finish(job, outcome.cancelled ? { state: "cancelled" } : { state: "failed", error: outcome.message }, model);
					return;
				}
				const body = JSON.parse(outcome.result) as Record<string, unknown>;
				const artifact = Readable.from([Buffer.from(JSON.stringify({ ...body, dataset_id: dataset.id, job_id: job.id, created_by: job.created_by }))]);
				const version = await call(this.broker, MlRegistry.actions.createVersion, {}, { meta: { ...AS_TRAINING.meta, model_id: model.id }, stream: artifact });
				await this.finish(job, { state: "succeeded", version: version.version, progress: 1 }, model);
				if (job.deploy_to)
					await call(
						this.broker,
						MlRegistry.actions.deploy,
						{ id: model.id, version: version.version, alias: job.deploy_to, reason: "the default model, trained and deployed on first start" },
						AS_TRAINING,
					).catch(err => this.logger.warn(`Version ${version.version} of ${model.name} not deployed: ${(err as Error).message}`));
			} catch (err) {
				this.logger.error(`Training job ${job.id} failed: ${(err as Error).message}`);
				await this.finish(job, { state: "failed", error: (err as Error).message }).catch(() => undefined);
			} finally {
				clearInterval(entry.heartbeat);
				clearTimeout(entry.deadline);
				this.running.delete(job.id);
				setImmediate(() => this.pump().catch(err => this.logger.warn(`Training queue: ${(err as Error).message}`)));
			}
		},

		/** Trains in a worker thread; renews the lease and records progress meanwhile; stops the thread on cancel. */
		inWorker(entry: Running, input: TrainingWorkerInput): Promise<TrainingWorkerMessage & { type: "result" | "error" }> {
			return new Promise(resolve => {
				const worker = startWorker(
					WORKER_FILE,
					{ bizopsTraining: true, input },
					{
						// the data and JS model types live in this heap; the wasm trainers' memory is watched below
						resourceLimits: { maxOldGenerationSizeMb: this.config.ml.job_memory_mb, maxYoungGenerationSizeMb: 64 },
						transferList: [input.dataset.content.buffer as ArrayBuffer],
					},
				);
				entry.worker = worker;
				const rssAtStart = process.memoryUsage.rss();
				const history: TrainingJob["history"] = [];
				let done = false;
				const settle = (m: TrainingWorkerMessage & { type: "result" | "error" }) => {
					if (done) return;
					done = true;
					void worker.terminate();
					resolve(m);
				};
				const startedAt = Date.now();
				let reportedAt = startedAt;
				worker.on("message", (m: TrainingWorkerMessage) => {
					if (m.type === "progress") {
						const { type: _type, ...p } = m;
						if (p.epoch != null || p.val_roc_auc != null || p.loss != null) history.push(p);
						// a report that moves progress; a stage named at 0 (starting, reading, training) is no progress
						if (p.progress > (entry.progress.progress ?? 0)) reportedAt = Date.now();
						const progress = Math.max(entry.progress.progress ?? 0, Math.round(p.progress * 1000) / 1000);
						entry.progress = { progress, stage: p.stage, history: history.slice(-200) };
					} else settle(m);
				});
				/**
				 * Between the trainer's own reports (a forest, a boosting run: one long call), progress follows the time
				 * spent against the job's estimate, never backwards and short of done: it moves every few seconds.
				 */
				const interpolate = () => {
					if (!entry.job.estimated_seconds || Date.now() - reportedAt < HEARTBEAT_MS) return;
					const byTime = Math.min(0.95, (Date.now() - startedAt) / 1000 / entry.job.estimated_seconds);
					if (byTime > (entry.progress.progress ?? 0)) entry.progress = { ...entry.progress, progress: Math.round(byTime * 1000) / 1000 };
				};
				worker.on("error", (err: Error & { code?: string }) =>
					settle({
						type: "error",
						message:
							err.code === "ERR_WORKER_OUT_OF_MEMORY"
								? `training needed more than the ${this.config.ml.job_memory_mb} MB of memory a job may use (ML_JOB_MEMORY_MB): fewer rows, features, trees or units`
								: `training thread failed: ${err.message}`,
					}),
				);
				worker.on("exit", code => settle({ type: "error", message: `training thread exited (${code})` }));
				// the longest a job may run, whatever its estimate said
				entry.deadline = setTimeout(
					() => settle({ type: "error", message: `training ran longer than the ${this.config.ml.job_max_seconds} s a job may run (ML_JOB_MAX_SECONDS): stopped` }),
					this.config.ml.job_max_seconds * 1000,
				);
				entry.heartbeat = setInterval(async () => {
					interpolate();
					// memory outside the thread's heap (XGBoost's and tfjs's WebAssembly) counts too
					const grown = (process.memoryUsage.rss() - rssAtStart) / 1024 ** 2;
					if (grown > this.config.ml.job_memory_mb)
						settle({
							type: "error",
							message: `training grew the node's memory by ${Math.round(grown)} MB, past the ${this.config.ml.job_memory_mb} MB a job may use (ML_JOB_MEMORY_MB): stopped`,
						});
					try {
						const now = nowIso();
						// a heartbeat: every 2 s, not worth cleaning every node's cache for
						const renewed = await this.store
							.uncached()
							.updateMany(
								{ _id: this.storedId(entry.job.id), state: "running", node: this.broker.nodeID },
								{ $set: { ...entry.progress, lease_until: new Date(Date.now() + this.config.ml.job_lease_ms).toISOString(), updated_at: now } },
							);
						// cancelled (or taken over after a pause longer than the lease): stop training
						if (renewed === 0) settle({ type: "error", message: "cancelled", cancelled: true });
					} catch (err) {
						this.logger.warn(`Lease of job ${entry.job.id} not renewed: ${(err as Error).message}`);
					}
				}, HEARTBEAT_MS);
			});
		},

		async backfillDomains(): Promise<void> {
			const jobs = await this.findEntities<TrainingJob>({ query: { domain: { $exists: false } }, limit: 1000 });
			const domains = new Map<string, string | null>();
			await this.store.batch(async () => {
				for (const job of jobs) {
					if (!domains.has(job.model_id))
						domains.set(job.model_id, (await call(this.broker, MlRegistry.actions.get, { id: job.model_id }, AS_TRAINING).catch(() => null))?.domain ?? null);
					const domain = domains.get(job.model_id);
					if (domain) await this.store.updateMany({ _id: this.storedId(job.id), domain: { $exists: false } }, { $set: { domain } });
				}
			});
		},

		/**
		 * The default `distress` model: created, trained and deployed once, on the first start of the platform. One
		 * made by an earlier release with another recipe (missing values as a signal, no reference gate) gets the
		 * current one and a new version, which replaces it in production if it passes the gates.
		 */
		async ensureDefaultModel(): Promise<void> {
			const existing = await call(this.broker, MlRegistry.actions.list, { name: DEFAULT_DISTRESS_MODEL.name }, AS_TRAINING);
			const current = existing.rows.find(m => m.domain === DEFAULT_DISTRESS_MODEL.domain);
			const outdated =
				current && current.created_by === AS_TRAINING.meta.user.username && current.configuration.missing_values !== DEFAULT_DISTRESS_MODEL.configuration.missing_values;
			if (current && !outdated) return;
			const datasets = await call(this.broker, MlDatasets.actions.list, { name: DEFAULT_DISTRESS_MODEL.dataset, page_size: 100 }, AS_TRAINING);
			const dataset = datasets.rows.find(d => d.name === DEFAULT_DISTRESS_MODEL.dataset && d.domain === ALL_DOMAINS);
			if (!dataset) {
				this.logger.warn(`Default model not trained: data set ${DEFAULT_DISTRESS_MODEL.dataset} is not registered (ML_SHIPPED_DATASETS registers it)`);
				return;
			}
			const { dataset: _d, ...definition } = DEFAULT_DISTRESS_MODEL;
			const configuration = { ...definition.configuration, features: [...definition.configuration.features], gates: { ...definition.configuration.gates } };
			let model: MlModel;
			try {
				model = current
					? await call(this.broker, MlRegistry.actions.update, { id: current.id, configuration }, AS_TRAINING)
					: await call(this.broker, MlRegistry.actions.create, { ...definition, configuration }, AS_TRAINING);
			} catch (err) {
				if ((err as { code?: number }).code === 409) return; // another node created it at the same moment
				throw err;
			}
			// two nodes starting together with an earlier release's model: the job is queued by the one that updated first
			if (current && (await this.store.findOne({ model_id: current.id, state: ACTIVE }))) return;
			const full = await call(this.broker, MlDatasets.actions.get, { id: dataset.id }, AS_TRAINING);
			const job = await this.queue(model, full, { deploy_to: "production" }, "system");
			const training = `(about ${Math.ceil(job.estimated_seconds ?? 10)} s, then deployed to production if it passes the gates)`;
			this.logger.info(
				current
					? `Default model '${model.name}' has a new recipe (missing values imputed, a reference gate): a new version is training ${training}`
					: `Default model '${model.name}' created; its first version is training ${training}`,
			);
		},
	},

	actions: {
		train: {
			openapi: {
				summary: "Train a model",
				example: { dataset_id: "<data set id>", hyperparameters: { max_depth: 4 }, k_folds: 5, seed: 42 },
				response: "MlJob",
				description: "Queues a training job on a data set (202 with the job's Location); the job runs on a training node.",
				status: 202,
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /ml/models/:id/train",
			permission: ["admin", "ml_models"],
			params: {
				$$strict: true,
				id: idParam,
				dataset_id: idParam,
				hyperparameters: { type: "object", optional: true },
				k_folds: { type: "number", integer: true, min: 2, max: 10, optional: true },
				seed: { type: "number", integer: true, min: 0, max: 2 ** 31 - 1, optional: true },
			},
			async handler(ctx: MlContext<{ id: string; dataset_id: string; hyperparameters?: Hyperparameters; k_folds?: number; seed?: number }>) {
				const user = principalOf(ctx);
				const model = await call(ctx, MlRegistry.actions.get, { id: ctx.params.id });
				if (model.domain === ALL_DOMAINS && user.role !== "super_admin")
					throw forbidden(`The model '${model.name}' is shared by every domain: only a super_admin trains it`);
				if (model.status === "archived") throw conflict(`Model '${model.name}' is archived`, { id: model.id });
				const dataset = await call(ctx, MlDatasets.actions.get, { id: ctx.params.dataset_id });
				// the quota is counted then taken in one step per user and domain on this node
				const job = await this.quotaLocks.runAll([`user:${user.username}`, `domain:${model.domain}`], () => this.queue(model, dataset, ctx.params, user.username));
				emit(ctx, MlTraining.events.jobQueued, { job_id: job.id, model_id: model.id, by: user.id });
				// 202 Accepted: moleculer-web sets Location itself only for 201 and redirects
				ctx.meta.$statusCode = 202;
				ctx.meta.$responseHeaders = { Location: `/api/v1/ml/jobs/${job.id}` };
				return this.publicJob(job);
			},
		},

		getJob: {
			openapi: { summary: "Get a training job", response: "MlJob" },
			rest: "GET /ml/jobs/:id",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: MlContext<{ id: string }>) {
				return this.publicJob((await this.visibleJob(ctx, ctx.params.id)).job);
			},
		},

		listJobs: {
			openapi: {
				summary: "List training jobs",
				response: "MlJob",
				list: true,
				description: "A model's jobs (`model_id`), or every job of the models the caller's domains see; `state` filters, newest first.",
			},
			rest: "GET /ml/jobs",
			permission: ["read", "ml_models"],
			params: { $$strict: true, model_id: { ...idParam, optional: true }, state: { type: "enum", values: [...JOB_STATES], optional: true }, ...listParams(["created_at"]) },
			async handler(ctx: MlContext<{ model_id?: string; state?: string; page?: number; page_size?: number; sort?: string }>) {
				const query: Doc = {};
				if (ctx.params.model_id) {
					// the caller must see the model (404 otherwise)
					const model = await call(ctx, MlRegistry.actions.get, { id: ctx.params.model_id });
					query.model_id = model.id;
				} else {
					// every job the caller's domains see: theirs and the shared models'
					const domains = visibleIndustries(principalOf(ctx));
					if (domains) query.domain = { $in: [...domains, ALL_DOMAINS] };
				}
				if (ctx.params.state) query.state = ctx.params.state;
				const found = await this.findPage<TrainingJob>(query, ctx.params, "-created_at");
				return { ...found, rows: found.rows.map(j => this.publicJob(j)) };
			},
		},

		cancel: {
			openapi: { summary: "Cancel a training job", response: "MlJob", errors: [409] },
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /ml/jobs/:id",
			permission: ["admin", "ml_models"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: MlContext<{ id: string }>) {
				const { job } = await this.visibleJob(ctx, ctx.params.id);
				const now = nowIso();
				const changed = await this.store.updateMany(
					{ _id: this.storedId(job.id), state: { $in: ["queued", "running"] } },
					{ $set: { state: "cancelled", stage: "cancelled", finished_at: now, updated_at: now }, $unset: { lease_until: "" } },
				);
				if (changed === 0) throw conflict(`Job ${job.id} is ${job.state} already`, { id: job.id, state: job.state });
				// this node's own thread stops now; another node's at its next heartbeat
				const local = this.running.get(job.id);
				local?.worker?.postMessage({ type: "cancel" });
				emit(ctx, MlTraining.events.jobCancelled, { job_id: job.id, model_id: job.model_id, by: principalOf(ctx).id });
				return this.publicJob((await this.findEntityById<TrainingJob>(job.id))!);
			},
		},
	},

	events: {
		[MlTraining.events.jobQueued.name]() {
			this.pump().catch(err => this.logger.warn(`Training queue: ${(err as Error).message}`));
		},
	},

	created() {
		this.running = new Map();
		this.stopping = false;
		this.quotaLocks = new KeyedLock();
	},

	async started() {
		// jobs queued before jobs carried their model's domain get it now (listed by domain, counted in quotas)
		void this.backfillDomains().catch(err => this.logger.warn(`Training jobs' domains not filled in: ${(err as Error).message}`));
		this.pollTimer = setInterval(() => this.pump().catch(err => this.logger.warn(`Training queue: ${(err as Error).message}`)), POLL_MS);
		this.pollTimer.unref();
		if (this.config.ml.default_model)
			// after start: the registry may still be seeding its data sets
			setTimeout(() => this.ensureDefaultModel().catch(err => this.logger.warn(`Default model: ${(err as Error).message}`)), 500).unref();
	},

	async stopped() {
		this.stopping = true;
		clearInterval(this.pollTimer);
		// jobs in progress go back to the queue for another node (or this one, restarted); a node that dies
		// without this step leaves them to lapse with their lease
		for (const id of this.running.keys())
			await this.store
				.uncached()
				.updateMany(
					{ _id: this.storedId(id), state: "running", node: this.broker.nodeID },
					{ $set: { state: "queued", updated_at: nowIso() }, $unset: { lease_until: "" } },
				)
				.catch(() => undefined);
		await Promise.all([...this.running.values()].map(r => r.worker?.terminate()));
	},
});

export default MlTrainingService;
