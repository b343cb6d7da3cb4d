/**
 * ml.registry: ML data sets, models, their immutable versions and artifacts, and the production/staging
 * aliases with an append-only transition history (docs/ml.md). Artifacts and data set files are
 * content-addressed blobs (GridFS on MongoDB, DATA_DIR/blobs embedded), verified by SHA-256 on every read.
 * Alias changes are stored first and then sent on a durable channel (the transition rows are the outbox,
 * re-sent until the channel takes them) and broadcast so every prediction node switches at once.
 */
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import { Readable } from "node:stream";
import type { Context } from "moleculer";
import { canChangeOwned, canSeeOwnedOrShared, ownedOrSharedQuery } from "../domains/identity/rbac";
import { MODEL_TYPES } from "../domains/ml/model-types";
import { failedGates, gateValues } from "../domains/ml/gates";
import { MISSING_VALUE_HANDLINGS } from "../domains/ml/pipeline";
import { atStartup } from "../lib/startup";
import { configOf } from "../config";
import { BlobIntegrityError, createBlobStore, type BlobStore } from "../lib/blob-store";
import { ensureChannel } from "../lib/channels";
import { broadcast, emit, sendToChannel } from "../lib/contract-calls";
import { readJsonBody } from "../lib/json-body";
import { KeyedLock } from "../lib/keyed-lock";
import { ownerDomainOrThrow, principalOf, type AuthMeta } from "../lib/principal";
import { defineService, NOT_RETRIED } from "../lib/service";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createDbMixin, createStoreMixin, isDuplicateKeyError, naturalKey, SharedKeyringLease, type Doc } from "../mixins/db.mixin";
import { listParams, nowIso, pageParams } from "../models/common";
import { conflict, forbidden, missing, notFound, serviceUnavailable, unprocessable } from "../models/errors";
import { MlRegistry } from "../contracts";
import type { MlAliasChanged } from "../contracts/ml.registry";
import { ALL_DOMAINS, GATE_METRICS, ML_ALIASES, ML_DOMAIN_PARAM, ML_NAME_PARAM, type MlAlias } from "../models/ml";
import type { AliasTransition, MlModel, ModelVersion, ModelVersionView } from "../contracts/ml.registry";
import { hyperparameterIssues } from "../domains/ml/model-types";
import type { TrainingResult } from "../domains/ml/training";

type MlContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $location?: string }>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const versionParam = { type: "number", integer: true, min: 1, convert: true } as const;
const nameParam = ML_NAME_PARAM;
const domainParam = ML_DOMAIN_PARAM;
/** How often unsent alias transitions are sent again. */
const OUTBOX_INTERVAL_MS = 5000;

const gatesParam = {
	type: "object",
	strict: true,
	optional: true,
	props: Object.fromEntries(GATE_METRICS.map(m => [m, { type: "number", min: 0, max: 1, optional: true }])),
} as const;

const modelFields = {
	description: { type: "string", max: 2000, optional: true },
	configuration: {
		type: "object",
		strict: true,
		optional: true,
		props: {
			hyperparameters: { type: "object", optional: true },
			gates: gatesParam,
			features: { type: "array", items: { type: "string", min: 1, max: 200 }, min: 1, max: 500, optional: true },
			missing_values: { type: "enum", values: [...MISSING_VALUE_HANDLINGS], optional: true },
			min_input_coverage: { type: "number", min: 0, max: 1, optional: true },
		},
	},
} as const;

/** Gates as one text whatever their key order (undefined metrics left out), to tell a change. */
const canonicalGates = (gates: Record<string, number | undefined>) =>
	JSON.stringify(
		Object.entries(gates)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => a.localeCompare(b)),
	);

/** Changeable: a shared model or data set only by a super_admin. */
const canChangeDomain = canChangeOwned;

const MlRegistryService = defineService<{
	blobs: BlobStore;
	locks: KeyedLock;
	outboxTimer?: NodeJS.Timeout;
}>()({
	name: "ml.registry",
	metadata: { description: "ML data sets, models, versions and their deployment" },
	settings: { rest: "/" },
	mixins: [
		createDbMixin("ml_models", [{ fields: { model_key: 1 }, unique: true }]),
		createPersonalDataMixin("ML models", { username: ["created_by"] }),
		createStoreMixin("versions", "ml_model_versions", [{ fields: { version_key: 1 }, unique: true }, { fields: { model_id: 1 } }], { cachedAnswers: true }),
		createStoreMixin("transitions", "ml_alias_transitions", [{ fields: { model_id: 1 } }, { fields: { published_at: 1 } }]),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.mlAliasChanges]),
	],

	methods: {
		/** A model type's hyper-parameters checked against its rules: a 422 naming each bad one. */
		checkHyperparameters(modelType: MlModel["model_type"], hyperparameters?: Record<string, unknown>): void {
			const issues = hyperparameterIssues(modelType, hyperparameters);
			if (issues.length) throw unprocessable(issues.map(i => i.message).join("; "), issues);
		},

		/** The model, when the caller may see it (else 404: its existence is not disclosed). */
		async model(ctx: MlContext, id: string): Promise<MlModel> {
			const model = await this.findEntityById<MlModel>(id);
			if (!model || !canSeeOwnedOrShared(principalOf(ctx), model.domain)) throw notFound("Model", id);
			return model;
		},

		/** 409 for a move on an archived model: it serves what it served, no more. */
		refuseArchived(model: MlModel, move: string): void {
			if (model.status === "archived")
				throw conflict(`Model '${model.name}' is archived: it is not ${move}. Make it active first (PATCH status)`, { id: model.id, status: model.status });
		},

		async changeableModel(ctx: MlContext, id: string): Promise<MlModel> {
			const model = await this.model(ctx, id);
			if (!canChangeDomain(principalOf(ctx), model.domain)) throw forbidden(`The model '${model.name}' is shared by every domain: only a super_admin changes it`);
			return model;
		},

		async findVersion(model: MlModel, version: number): Promise<ModelVersion> {
			const found = this.versions.entity<ModelVersion>(await this.versions.findOne({ version_key: naturalKey(model.id, version) }));
			if (!found) {
				const versions = (await this.versions.find({ query: { model_id: model.id }, sort: ["version"] })).map(v => v.version);
				throw missing(`Model '${model.name}' has no version ${version}`, { id: model.id, versions });
			}
			return found;
		},

		/** A version's artifact, verified against its hash: a 503 naming the problem when it is missing or changed in the store. */
		async verifiedArtifact(v: ModelVersion): Promise<Buffer> {
			const { sha256 } = v.artifacts[0];
			let bytes: Buffer | null;
			try {
				bytes = await this.blobs.get(sha256);
			} catch (err) {
				if (err instanceof BlobIntegrityError)
					throw serviceUnavailable(`The artifact of model ${v.model_id} v${v.version} fails its hash check (its stored bytes changed): refused`, {
						expected: sha256,
						actual: err.actual,
					});
				throw err;
			}
			if (!bytes) throw serviceUnavailable(`The artifact of model ${v.model_id} v${v.version} is missing from the store`, { expected: sha256 });
			return bytes;
		},

		/** The domain a new model or data set goes to: the one asked for, which the caller must hold. */
		domainFor(ctx: MlContext, asked?: string): string {
			return ownerDomainOrThrow(principalOf(ctx), asked);
		},

		publicVersion(v: ModelVersion, full = false): ModelVersionView {
			const { pipeline, drift_reference: _reference, history, ...rest } = v as ModelVersion & { version_key?: string };
			delete (rest as { version_key?: string }).version_key;
			return full ? { ...rest, pipeline, history } : rest;
		},

		publicModel(m: MlModel): MlModel {
			const { model_key: _key, ...rest } = m as MlModel & { model_key?: string };
			return rest as MlModel;
		},

		/** Sends the transition on the durable channel and broadcasts it; marks it published once the channel took it. */
		async publishTransition(t: AliasTransition): Promise<void> {
			const message: MlAliasChanged = { model_id: t.model_id, alias: t.alias, version: t.to_version, previous_version: t.from_version, transition_id: t.id };
			void broadcast(this.broker, MlRegistry.events.aliasesChanged, message);
			try {
				await sendToChannel(this.broker, MlRegistry.channels.aliasChanged, message);
				await this.transitions.updateById(t.id, { $set: { published_at: nowIso() } });
			} catch (err) {
				this.logger.warn(`Alias change ${t.id} not sent yet (${(err as Error).message}): the outbox retries it`);
			}
		},

		async flushOutbox(): Promise<void> {
			const pending = await this.transitions.find({ query: { published_at: null }, sort: ["at"], limit: 100 });
			for (const doc of pending) await this.publishTransition(this.transitions.entity<AliasTransition>(doc)!);
		},

		/** Moves an alias; records the transition first (the outbox), then tells everyone. */
		async moveAlias(
			model: MlModel,
			alias: MlAlias,
			to: number | null,
			action: AliasTransition["action"],
			actor: string,
			reason: string,
			forced: boolean,
			warnings: string[] = [],
		): Promise<AliasTransition> {
			const from = model.aliases[alias];
			const now = nowIso();
			const set: Doc = { [`aliases.${alias}`]: to, updated_at: now };
			if (alias === "production" && action === "deploy" && from != null && from !== to) set.previous_production = from;
			if (alias === "production" && action === "rollback") set.previous_production = null;
			const transition = this.transitions.entity<AliasTransition>(
				await this.transitions.insert({
					model_id: model.id,
					alias,
					action,
					from_version: from,
					to_version: to,
					actor,
					reason,
					forced,
					...(warnings.length ? { warnings } : {}),
					at: now,
					published_at: null,
					created_at: now,
					updated_at: now,
				}),
			)!;
			await this.store.batch(async () => {
				await this.store.updateById(model.id, { $set: set });
				// deployment_status of the versions involved
				if (from != null && from !== to)
					await this.versions.updateMany(
						{ version_key: naturalKey(model.id, from) },
						{ $set: { deployment_status: alias === "production" ? "retired" : "none", updated_at: now } },
					);
				if (to != null) await this.versions.updateMany({ version_key: naturalKey(model.id, to) }, { $set: { deployment_status: alias, updated_at: now } });
			});
			this.countMetric(BUSINESS_COUNTERS.mlAliasChanges, { alias, action });
			await this.publishTransition(transition);
			this.logger.info(
				`Model '${model.name}' (${model.domain === ALL_DOMAINS ? "shared" : model.domain}): ${to == null ? "no version" : `v${to}`} in ${alias}${from != null && from !== to ? ` (was v${from})` : ""}, ${action} by ${actor}${forced ? ", forced past its gates" : ""}${warnings.length ? `, below its gates (${warnings.length})` : ""}: ${reason}`,
			);
			return transition;
		},
	},

	actions: {
		/* ---------- models ---------- */

		create: {
			openapi: {
				summary: "Create an ML model",
				response: "MlModel",
				description:
					"A name, domain, model type (logistic_regression, dense, gradient_boosted_trees, random_forest) and configuration (hyper-parameters, metric gates, features).",
				status: 201,
				errors: [409],
				example: { name: "distress-gbt", domain: "manufacturing", model_type: "gradient_boosted_trees", configuration: { gates: { roc_auc: 0.85 } } },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /ml/models",
			permission: ["write", "ml_models"],
			params: { $$strict: true, name: nameParam, domain: domainParam, model_type: { type: "enum", values: [...MODEL_TYPES] }, ...modelFields },
			async handler(ctx: MlContext<{ name: string; domain?: string; model_type: MlModel["model_type"]; description?: string; configuration?: MlModel["configuration"] }>) {
				const user = principalOf(ctx);
				const domain = this.domainFor(ctx, ctx.params.domain);
				const configuration = ctx.params.configuration ?? {};
				this.checkHyperparameters(ctx.params.model_type, configuration.hyperparameters);
				const now = nowIso();
				try {
					const model = await this.insertEntity<MlModel>({
						model_key: naturalKey(domain, ctx.params.name),
						name: ctx.params.name,
						domain,
						model_type: ctx.params.model_type,
						...(ctx.params.description ? { description: ctx.params.description } : {}),
						configuration,
						status: "active",
						aliases: { production: null, staging: null },
						previous_production: null,
						latest_version: 0,
						created_by: user.username,
						created_at: now,
						updated_at: now,
					});
					emit(ctx, MlRegistry.events.modelCreated, { id: model.id, name: model.name, domain, by: user.id });
					ctx.meta.$statusCode = 201;
					ctx.meta.$location = `/api/v1/ml/models/${model.id}`;
					return this.publicModel(model);
				} catch (err) {
					if (isDuplicateKeyError(err)) throw conflict(`A model named '${ctx.params.name}' exists in domain '${domain}'`, { name: ctx.params.name });
					throw err;
				}
			},
		},

		list: {
			openapi: { summary: "List ML models", response: "MlModel", list: true },
			rest: "GET /ml/models",
			permission: ["read", "ml_models"],
			params: {
				$$strict: true,
				name: { type: "string", max: 100, optional: true },
				model_type: { type: "enum", values: [...MODEL_TYPES], optional: true },
				...listParams(["name", "created_at", "updated_at"]),
			},
			cache: { keys: ["name", "model_type", "page", "page_size", "sort", "#user.role", "#user.domains"] },
			async handler(ctx: MlContext<{ name?: string; model_type?: string; page?: number; page_size?: number; sort?: string }>) {
				const user = principalOf(ctx);
				const query = ownedOrSharedQuery(user);
				if (ctx.params.name) query.name = ctx.params.name;
				if (ctx.params.model_type) query.model_type = ctx.params.model_type;
				const found = await this.findPage<MlModel>(query, ctx.params, "name");
				return { ...found, rows: found.rows.map(m => this.publicModel(m)) };
			},
		},

		get: {
			openapi: { summary: "Get an ML model", response: "MlModel" },
			rest: "GET /ml/models/:id",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam },
			// every prediction reads the model first: cached per caller scope, cleaned by every registry write
			cache: { keys: ["id", "#user.role", "#user.domains"] },
			async handler(ctx: MlContext<{ id: string }>) {
				return this.publicModel(await this.model(ctx, ctx.params.id));
			},
		},

		update: {
			openapi: {
				summary: "Change an ML model",
				example: { description: "Distress on statement ratios", configuration: { gates: { roc_auc: 0.85 } } },
				response: "MlModel",
				errors: [409],
			},
			rest: "PATCH /ml/models/:id",
			permission: ["write", "ml_models"],
			params: { $$strict: true, id: idParam, ...modelFields, status: { type: "enum", values: ["active", "archived"], optional: true } },
			async handler(ctx: MlContext<{ id: string; description?: string; configuration?: MlModel["configuration"]; status?: MlModel["status"] }>) {
				const user = principalOf(ctx);
				const model = await this.changeableModel(ctx, ctx.params.id);
				const { id, ...changes } = ctx.params;
				const gatesBefore = model.configuration.gates ?? {};
				if (changes.configuration) {
					this.checkHyperparameters(model.model_type, changes.configuration.hyperparameters);
					changes.configuration = { ...model.configuration, ...changes.configuration };
				}
				// the gates are what a deployment is held to: once there are versions to deploy, moving them is a
				// super_admin's decision (else removing them would deploy a bad version without a force)
				const gatesChanged = changes.configuration?.gates !== undefined && canonicalGates(changes.configuration.gates) !== canonicalGates(gatesBefore);
				if (gatesChanged && model.latest_version > 0 && user.role !== "super_admin")
					throw forbidden(`Model '${model.name}' has versions: changing its metric gates is a super_admin's move (as forcing a deployment past them is)`, {
						gates: gatesBefore,
					});
				const updated = (await this.updateEntity<MlModel>(id, { ...changes, updated_at: nowIso() }))!;
				emit(ctx, MlRegistry.events.modelUpdated, {
					id,
					domain: model.domain,
					changed: Object.keys(changes),
					...(gatesChanged ? { gates: { before: gatesBefore, after: updated.configuration.gates ?? {} } } : {}),
					...(changes.status && changes.status !== model.status ? { status: { before: model.status, after: changes.status } } : {}),
					by: user.id,
				});
				return this.publicModel(updated);
			},
		},

		/* ---------- versions ---------- */

		versions: {
			openapi: { summary: "List a model's versions", response: "MlVersion", list: true },
			rest: "GET /ml/models/:id/versions",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam, ...listParams(["version", "created_at"]) },
			async handler(ctx: MlContext<{ id: string; page?: number; page_size?: number; sort?: string }>) {
				const model = await this.model(ctx, ctx.params.id);
				const found = await this.versions.page<ModelVersion>({ model_id: model.id }, ctx.params, "-version");
				return { ...found, rows: found.rows.map(v => this.publicVersion(v)) };
			},
		},

		getVersion: {
			openapi: {
				summary: "Get a model version",
				response: "MlVersion",
				description: "Its metrics on the hold-out, artifacts with sha256, pipeline, hyper-parameters, data set hash, split and training history.",
			},
			rest: "GET /ml/models/:id/versions/:version",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam, version: versionParam },
			async handler(ctx: MlContext<{ id: string; version: number }>) {
				return this.publicVersion(await this.findVersion(await this.model(ctx, ctx.params.id), ctx.params.version), true);
			},
		},

		/**
		 * Stores a trained version (from ml.training): the body, a TrainingResult plus `{dataset_id, job_id,
		 * created_by}`, arrives as a stream (artifacts run to megabytes). Its artifact goes to the blob store
		 * first; the version number is the model's next.
		 */
		createVersion: {
			visibility: "public",
			retryPolicy: NOT_RETRIED,
			timeout: 0,
			permission: ["admin", "ml_models"],
			params: { $$strict: false },
			async handler(ctx: MlContext<{ id?: string }>) {
				const meta = ctx.meta as { model_id?: string };
				const result = (await readJsonBody(ctx.stream as Readable, "512mb")) as TrainingResult & {
					dataset_id: string;
					dataset_sha256: string;
					job_id: string;
					created_by: string;
					features: string[];
					label: string;
					classes: [string, string];
				};
				const model = await this.model(ctx, String(meta.model_id));
				const stored = await this.blobs.put(Buffer.from(result.artifact, "utf8"));
				if (stored.sha256 !== result.artifact_sha256)
					throw conflict("The artifact does not match the hash training computed: not stored", { expected: result.artifact_sha256, actual: stored.sha256 });
				return this.locks.run(model.id, async () => {
					const fresh = (await this.findEntityById<MlModel>(model.id))!;
					const version = fresh.latest_version + 1;
					const now = nowIso();
					const doc = {
						version_key: naturalKey(model.id, version),
						model_id: model.id,
						version,
						model_type: model.model_type,
						features: result.features,
						label: result.label,
						classes: result.classes,
						dataset_id: result.dataset_id,
						dataset_sha256: result.dataset_sha256,
						hyperparameters: result.hyperparameters,
						pipeline: result.pipeline,
						threshold: result.threshold,
						metrics: result.metrics,
						split: result.split,
						drift_reference: result.drift_reference,
						training_missing_share: result.training_missing_share,
						artifacts: [{ name: "model.json", sha256: stored.sha256, size_bytes: stored.size }],
						deployment_status: "none",
						history: result.history,
						job_id: result.job_id,
						created_by: result.created_by,
						created_at: now,
						updated_at: now,
					};
					const saved = await this.store.batch(async () => {
						const inserted = this.versions.entity<ModelVersion>(await this.versions.insert(doc))!;
						await this.store.updateById(model.id, { $set: { latest_version: version, updated_at: now } });
						return inserted;
					});
					emit(ctx, MlRegistry.events.versionCreated, { model_id: model.id, domain: model.domain, version, metrics: result.metrics.test });
					return this.publicVersion(saved);
				});
			},
		},

		/** What a prediction or evaluation node needs to serve a version: everything but the artifact's bytes. */
		servingVersion: {
			visibility: "public",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam, version: versionParam },
			async handler(ctx: MlContext<{ id: string; version: number }>) {
				const v = await this.findVersion(await this.model(ctx, ctx.params.id), ctx.params.version);
				return v;
			},
		},

		/** A version's artifact as a stream, verified against its hash before a byte leaves. */
		artifact: {
			visibility: "public",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam, version: versionParam },
			async handler(ctx: MlContext<{ id: string; version: number }>) {
				const v = await this.findVersion(await this.model(ctx, ctx.params.id), ctx.params.version);
				return Readable.from([await this.verifiedArtifact(v)]);
			},
		},

		/** Every model's aliases: prediction nodes compare it with what they serve. */
		aliases: {
			visibility: "public",
			permission: ["read", "ml_models"],
			async handler() {
				const models = await this.findEntities<MlModel>({ query: {} });
				return models.map(m => ({ id: m.id, name: m.name, domain: m.domain, aliases: m.aliases, previous_production: m.previous_production }));
			},
		},

		/* ---------- deployment ---------- */

		/**
		 * Points an alias at a version. Production needs a domain_admin (staging an analyst), a reason, and the
		 * model's metric gates met, unless a super_admin forces it (recorded as forced).
		 */
		deploy: {
			openapi: {
				summary: "Deploy a model version",
				example: { alias: "production", reason: "Better ROC AUC on the hold-out (0.94 against 0.91)" },
				response: "MlDeployment",
				description:
					"Moves the production or staging alias to the version, with a reason (docs/ml.md). Production is behind the model's metric gates (409 naming each failed one; a super_admin may force it); staging takes a version below them with a warning, recorded on the version and the transition.",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /ml/models/:id/versions/:version/deploy",
			permission: ["execute", "ml_models"],
			params: {
				$$strict: true,
				id: idParam,
				version: versionParam,
				alias: { type: "enum", values: [...ML_ALIASES], optional: true },
				reason: { type: "string", min: 3, max: 1000 },
				force: { type: "boolean", optional: true },
			},
			async handler(ctx: MlContext<{ id: string; version: number; alias?: MlAlias; reason: string; force?: boolean }>) {
				const user = principalOf(ctx);
				const alias = ctx.params.alias ?? "production";
				if (alias === "production" && !["domain_admin", "super_admin"].includes(user.role))
					throw forbidden("Promotion to production needs a domain_admin; an analyst may deploy to staging");
				if (ctx.params.force && user.role !== "super_admin") throw forbidden("Only a super_admin may force a deployment past the metric gates");
				const model = await this.changeableModel(ctx, ctx.params.id);
				return this.locks.run(model.id, async () => {
					const fresh = (await this.findEntityById<MlModel>(model.id))!;
					this.refuseArchived(fresh, "deployed");
					const version = await this.findVersion(fresh, ctx.params.version);
					if (fresh.aliases[alias] === version.version) throw conflict(`Version ${version.version} is ${alias} already`, { alias, version: version.version });
					// what every prediction node is about to load must be intact
					await this.verifiedArtifact(version);
					const failed = failedGates(gateValues(version.metrics), fresh.configuration.gates ?? {});
					// production keeps the gates; staging is where a candidate is tried before it passes them: a warning, kept on the version
					if (failed.length && alias === "production" && !ctx.params.force)
						throw conflict(`Version ${version.version} is below the model's metric gates: ${failed.map(f => f.message).join("; ")}`, { failed_gates: failed });
					const warnings = alias === "staging" ? failed.map(f => `below the gate: ${f.message}`) : [];
					if (warnings.length)
						await this.versions.updateMany({ version_key: naturalKey(fresh.id, version.version) }, { $set: { gate_warnings: warnings, updated_at: nowIso() } });
					const transition = await this.moveAlias(
						fresh,
						alias,
						version.version,
						"deploy",
						user.username,
						ctx.params.reason,
						alias === "production" && failed.length > 0,
						warnings,
					);
					emit(ctx, MlRegistry.events.modelDeployed, {
						model_id: model.id,
						domain: model.domain,
						alias,
						version: version.version,
						by: user.id,
						forced: transition.forced,
						...(warnings.length ? { warnings } : {}),
					});
					return { model: this.publicModel((await this.findEntityById<MlModel>(model.id))!), transition };
				});
			},
		},

		/** Production back to the version before it (kept loaded by every prediction node for this). */
		rollback: {
			openapi: {
				summary: "Roll back a model",
				example: { reason: "Version 3 drifts on the current portfolio" },
				response: "MlDeployment",
				description: "Production goes back to the previous production version.",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /ml/models/:id/rollback",
			permission: ["admin", "ml_models"],
			params: { $$strict: true, id: idParam, reason: { type: "string", min: 3, max: 1000 } },
			async handler(ctx: MlContext<{ id: string; reason: string }>) {
				const user = principalOf(ctx);
				const model = await this.changeableModel(ctx, ctx.params.id);
				return this.locks.run(model.id, async () => {
					const fresh = (await this.findEntityById<MlModel>(model.id))!;
					this.refuseArchived(fresh, "rolled back");
					if (fresh.previous_production == null)
						throw conflict(`Model '${fresh.name}' has no previous production version to roll back to`, { production: fresh.aliases.production });
					const transition = await this.moveAlias(fresh, "production", fresh.previous_production, "rollback", user.username, ctx.params.reason, false);
					emit(ctx, MlRegistry.events.modelRolledBack, {
						model_id: model.id,
						domain: model.domain,
						version: transition.to_version,
						from: transition.from_version,
						by: user.id,
					});
					return { model: this.publicModel((await this.findEntityById<MlModel>(model.id))!), transition };
				});
			},
		},

		history: {
			openapi: { summary: "Get a model's alias history", response: "MlTransition", list: true },
			rest: "GET /ml/models/:id/history",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam, ...pageParams() },
			async handler(ctx: MlContext<{ id: string; page?: number; page_size?: number }>) {
				const model = await this.model(ctx, ctx.params.id);
				// newest first, always (the history's order is its meaning)
				return this.transitions.page<AliasTransition>({ model_id: model.id }, ctx.params, "-at");
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
	},

	async started() {
		this.blobs = createBlobStore(configOf(this.broker), new SharedKeyringLease(configOf(this.broker), this.logger));
		await atStartup(this, "ml.registry: the channel's stream", () => ensureChannel(this.broker, MlRegistry.channels.aliasChanged));
		// the first GridFS write of a node: on a busy machine MongoDB may take longer than a request may wait
		this.outboxTimer = setInterval(() => this.flushOutbox().catch(err => this.logger.warn(`Outbox: ${(err as Error).message}`)), OUTBOX_INTERVAL_MS);
		this.outboxTimer.unref();
	},

	async stopped() {
		clearInterval(this.outboxTimer);
		await this.blobs?.close();
	},
});

export default MlRegistryService;
