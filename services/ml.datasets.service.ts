/**
 * ml.datasets: the data sets ML models are trained and evaluated on (docs/ml.md): uploads parsed and described
 * in a worker thread, their files kept as content-addressed blobs (GridFS on MongoDB, DATA_DIR/blobs
 * embedded) verified by SHA-256 on every read, and the Polish bankruptcy files shipped under data/ registered
 * on first start.
 */
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { Context } from "moleculer";
import type { Config } from "../config";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { projectPath } from "../config/files";
import { MlDatasets, type Dataset } from "../contracts/ml.datasets";
import { canSeeOwnedOrShared, ownedOrSharedQuery } from "../domains/identity/rbac";
import type { DatasetSummary } from "../domains/ml/dataset";
import { createBlobStore, type BlobStore } from "../lib/blob-store";
import { emit } from "../lib/contract-calls";
import { readBody } from "../lib/json-body";
import { ownerDomainOrThrow, principalOf, type AuthMeta } from "../lib/principal";
import { defineService, NOT_RETRIED } from "../lib/service";
import { atStartup } from "../lib/startup";
import type { UploadResult } from "../lib/worker-tasks";
import { clientErrorOf, ownBuffer, runInWorker } from "../lib/worker-thread";
import { createDbMixin, isDuplicateKeyError, naturalKey, SharedKeyringLease } from "../mixins/db.mixin";
import { listParams } from "../models/common";
import { conflict, notFound, serviceUnavailable } from "../models/errors";
import { ALL_DOMAINS } from "../models/ml";
import { nowIso } from "../models/common";

type MlContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $statusCode?: number; $location?: string }>;

const idParam = { type: "string", min: 1, max: 64 } as const;

/** The Polish companies bankruptcy data set, shipped under data/ and registered on first start. */
export const SHIPPED_DATASETS = [
	{
		name: "polish-bankruptcy-1year",
		file: "1year.arff",
		source: "UCI Machine Learning Repository, Polish companies bankruptcy data (Tomczak 2016), CC BY 4.0: year 1 of the forecasting period, status 5 years later",
	},
	{
		name: "polish-bankruptcy-5year",
		file: "5year.arff",
		source: "UCI Machine Learning Repository, Polish companies bankruptcy data (Tomczak 2016), CC BY 4.0: year 5 of the forecasting period, status 1 year later",
	},
] as const;
const SHIPPED_DIR = projectPath("data", "polish-bankruptcy");

/** The thread a data set is parsed in: its heap and time (config ml.worker_*). */
const workerLimits = (config: Config) => ({ memoryMb: config.ml.worker_memory_mb, timeoutMs: config.ml.worker_timeout_ms });

const MlDatasetsService = defineService<{ blobs: BlobStore }>()({
	name: "ml.datasets",
	metadata: { description: "ML data sets" },
	settings: { rest: "/" },
	mixins: [ConfiguredMixin, createDbMixin("ml_datasets", [{ fields: { dataset_key: 1 }, unique: true }]), createPersonalDataMixin("ML data sets", { username: ["created_by"] })],

	methods: {
		async dataset(ctx: MlContext, id: string): Promise<Dataset> {
			const dataset = typeof id === "string" && id.length <= 64 ? await this.findEntityById<Dataset>(id).catch(() => null) : null;
			if (!dataset || !canSeeOwnedOrShared(principalOf(ctx), dataset.domain)) throw notFound("Dataset", id);
			return dataset;
		},

		/** Stores a data set described in a worker thread: its file as a blob (named by the hash the thread computed), then the row. */
		async storeDataset(
			input: { name: string; domain: string; format: "csv" | "arff"; label: string; summary: DatasetSummary; content: Buffer; source?: string },
			createdBy: string,
		): Promise<Dataset> {
			const { summary, content } = input;
			await this.blobs.put(content, summary.sha256);
			const now = nowIso();
			const doc = {
				dataset_key: naturalKey(input.domain, input.name),
				name: input.name,
				domain: input.domain,
				format: input.format,
				label: input.label,
				positive_class: summary.positive_class,
				classes: summary.classes,
				rows: summary.rows,
				columns: summary.columns,
				class_balance: summary.class_balance,
				missing_values: summary.missing_values,
				missing_total: summary.missing_total,
				sha256: summary.sha256,
				size_bytes: content.length,
				...(input.source ? { source: input.source } : {}),
				created_by: createdBy,
				created_at: now,
				updated_at: now,
			};
			try {
				// the natural key stays in the store
				const { dataset_key: _key, ...dataset } = await this.insertEntity<Dataset & { dataset_key: string }>(doc);
				return dataset;
			} catch (err) {
				if (isDuplicateKeyError(err)) throw conflict(`A data set named '${input.name}' exists in domain '${input.domain}'`, { name: input.name });
				throw err;
			}
		},

		/** Registers the shipped Polish files once (a data set that exists already is left as it is). */
		async seedShippedDatasets(): Promise<void> {
			for (const shipped of SHIPPED_DATASETS) {
				if (await this.findEntity({ dataset_key: naturalKey(ALL_DOMAINS, shipped.name) })) continue;
				const file = path.join(SHIPPED_DIR, shipped.file);
				if (!fs.existsSync(file)) {
					this.logger.warn(`Shipped data set ${file} not found: not registered`);
					continue;
				}
				try {
					const content = await fs.promises.readFile(file);
					// copied to the thread (a few MB)
					const summary = await runInWorker<DatasetSummary>(
						"ml.dataset.describe",
						{ format: "arff", label: "bankruptcy", positive_class: "1", content },
						workerLimits(this.config),
					);
					await this.storeDataset({ name: shipped.name, domain: ALL_DOMAINS, format: "arff", label: "bankruptcy", summary, content, source: shipped.source }, "system");
				} catch (err) {
					// another registry replica registered it at the same moment
					if ((err as { code?: number }).code !== 409) throw err;
				}
			}
		},
	},

	actions: {
		/**
		 * POST /ml/datasets (an alias of the gateway's upload route): `{name, format, label, content, domain?,
		 * positive_class?}`, the file's text in `content` (up to import_body_limit), read as a stream.
		 */
		create: {
			openapi: {
				summary: "Upload an ML data set",
				description:
					"A JSON body `{name, format: csv | arff, label, positive_class?, domain?, content}`: `content` is CSV (RFC 4180) or ARFF text with a binary label column; `?` or empty cells are missing values. Read as a stream once the caller is authorized.",
				status: 201,
				response: "MlDataset",
				errors: [409],
				body_limit: "50 MB",
				upload: "application/json",
				example: { name: "suppliers-2026", format: "csv", label: "default", domain: "manufacturing", content: "leverage,margin,default\n0.4,0.12,0\n1.9,-0.05,1\n" },
			},
			retryPolicy: NOT_RETRIED,
			timeout: 0,
			bulkhead: { enabled: true, concurrency: 2, maxQueueSize: 4 },
			permission: ["write", "ml_models"],
			async handler(ctx: MlContext) {
				const user = principalOf(ctx);
				const body = ownBuffer(ctx.stream ? await readBody(ctx.stream as Readable, this.config.http.import_body_limit) : Buffer.from(JSON.stringify(ctx.params)));
				// JSON, its fields and the file are read in a thread of their own, within a heap and a time limit
				let upload: UploadResult;
				try {
					upload = await runInWorker<UploadResult>("ml.dataset.upload", { body }, workerLimits(this.config), [body.buffer as ArrayBuffer]);
				} catch (err) {
					throw clientErrorOf(err, "content", "Parsing this data set");
				}
				const { fields, summary, content } = upload;
				const domain = ownerDomainOrThrow(principalOf(ctx), fields.domain);
				const dataset = await this.storeDataset(
					{
						name: fields.name,
						domain,
						format: fields.format,
						label: fields.label,
						summary,
						content: Buffer.from(content.buffer, content.byteOffset, content.byteLength),
					},
					user.username,
				);
				emit(ctx, MlDatasets.events.created, { id: dataset.id, name: dataset.name, domain, by: user.id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/ml/datasets/${dataset.id}`;
				return dataset;
			},
		},

		list: {
			openapi: {
				summary: "List ML data sets",
				response: "MlDatasetSummary",
				list: true,
				description: "The data sets the caller's domains see (theirs and the shared ones); `name` filters.",
			},
			rest: "GET /ml/datasets",
			permission: ["read", "ml_models"],
			params: { $$strict: true, name: { type: "string", max: 100, optional: true }, ...listParams(["name", "created_at", "rows"]) },
			async handler(ctx: MlContext<{ name?: string; page?: number; page_size?: number; sort?: string }>) {
				const user = principalOf(ctx);
				const query = ownedOrSharedQuery(user);
				if (ctx.params.name) query.name = ctx.params.name;
				const found = await this.findPage<Dataset & { dataset_key: string }>(query, ctx.params, "name");
				return { ...found, rows: found.rows.map(({ dataset_key: _key, columns, missing_values: _missing, ...rest }) => ({ ...rest, columns: columns.length })) };
			},
		},

		get: {
			openapi: { summary: "Get an ML data set", response: "MlDataset", description: "Rows, column types and statistics, class balance, missing values, sha256." },
			rest: "GET /ml/datasets/:id",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: MlContext<{ id: string }>) {
				const { dataset_key: _key, ...dataset } = (await this.dataset(ctx, ctx.params.id)) as Dataset & { dataset_key?: string };
				return dataset;
			},
		},

		/** The data set's file as a stream (training and evaluation nodes read it), verified by its hash. */
		content: {
			visibility: "public",
			permission: ["read", "ml_models"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: MlContext<{ id: string }>) {
				const dataset = await this.dataset(ctx, ctx.params.id);
				const bytes = await this.blobs.get(dataset.sha256);
				if (!bytes) throw serviceUnavailable(`The file of data set ${dataset.id} is missing from the store`);
				return Readable.from([bytes]);
			},
		},
	},

	created() {
		this.blobs = createBlobStore(this.config, new SharedKeyringLease(this.config, this.logger));
	},

	async started() {
		if (this.config.ml.shipped_datasets) await atStartup(this, "ml.datasets: registering the shipped data sets", () => this.seedShippedDatasets());
	},

	async stopped() {
		await this.blobs.close();
	},
});

export default MlDatasetsService;
