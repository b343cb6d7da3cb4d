/**
 * Every setting of the platform, once: its type, its default (the embedded default `npm start` runs), the
 * environment variable that sets it, and what it means. `config/environments/<NODE_ENV>.yaml` holds only what
 * an environment changes; docs/configuration.md's table is written from here (`npm run config-doc`; a test
 * fails while it is out of date).
 */
import path from "path";

export interface Setting<T> {
	readonly setting: true;
	/** The environment variable that sets it (wins over the YAML file); null: only the YAML file does. */
	readonly env: string | null;
	readonly default: T;
	readonly doc: string;
	parse(value: unknown, name: string): T;
}

const setting = <T>(env: string | null, value: T, doc: string, parse: (v: unknown, name: string) => T): Setting<T> => ({ setting: true, env, default: value, doc, parse });

const number = (v: unknown, name: string): number => {
	const n = Number(v);
	if (v === "" || v == null || !Number.isFinite(n)) throw new Error(`Configuration: ${name} must be a number, got '${v}'`);
	return n;
};
const flag = (v: unknown, name: string): boolean => {
	if (v === true || v === false) return v;
	const s = String(v).toLowerCase();
	if (["true", "1", "yes"].includes(s)) return true;
	if (["false", "0", "no"].includes(s)) return false;
	throw new Error(`Configuration: ${name} must be true or false, got '${v}'`);
};
const optional = (v: unknown): string | null => (v == null || v === "" ? null : String(v));

const num = (env: string | null, value: number, doc: string) => setting(env, value, doc, number);
const optionalNum = (env: string | null, doc: string) => setting<number | null>(env, null, doc, (v, name) => (optional(v) == null ? null : number(v, name)));
const text = (env: string | null, value: string, doc: string) => setting(env, value, doc, v => String(v));
const optionalText = (env: string | null, doc: string) => setting<string | null>(env, null, doc, optional);
const bool = (env: string | null, value: boolean, doc: string) => setting(env, value, doc, flag);
const list = (env: string | null, value: string[], doc: string) =>
	setting(env, value, doc, v => (Array.isArray(v) ? v.map(String) : String(v).split(",")).map(s => s.trim()).filter(Boolean));

export const SCHEMA = {
	namespace: text("NAMESPACE", "bizops", "Moleculer namespace: nodes see only nodes of the same one, and it prefixes Redis keys"),
	node_id: optionalText("NODE_ID", "Moleculer node id (production: the pod's name); unset: host name and process id"),
	admin_password: optionalText(
		"BIZOPS_ADMIN_PASSWORD",
		"the bootstrap `admin`'s password, used on the first start only (production: from a Secret); unset: generated and logged once",
	),
	port: num("PORT", 3000, "gateway port"),
	health_port: optionalNum(
		"HEALTH_PORT",
		"every node's own `GET /health/live` and `/health/ready` (services started, transporter connected, its stores answering), for probes of nodes without the gateway; unset: off",
	),
	data_dir: setting("DATA_DIR", "./data", "NeDB files, the channel journal, blobs and the generated JWT secret", v => path.resolve(String(v))),
	backup_dir: setting<string | null>(
		"BACKUP_DIR",
		null,
		"where `POST /backups` writes backups (a folder per backup); unset: `./backups` with the embedded store, and none with `MONGO_URI` ([operations.md](operations.md#backup-and-restore))",
		v => (v == null || v === "" ? null : path.resolve(String(v))),
	),
	web_dir: setting(
		"WEB_DIR",
		"./dist/web",
		"the built web app the gateway serves at `/app` (`npm install` and `npm run build:web` build it there; [web-app.md](web-app.md))",
		v => path.resolve(String(v)),
	),
	transporter: optionalText(
		"TRANSPORTER",
		"Moleculer transporter (a comma list of NATS URLs for a NATS cluster); unset: one process, which opens only `DATA_DIR/bizops.sock`, the local socket `npm run repl` attaches through ([operations.md](operations.md#repl))",
	),
	local_socket: bool(
		"LOCAL_SOCKET",
		true,
		"embedded (no `TRANSPORTER`): open `DATA_DIR/bizops.sock`, the local socket `npm run repl` attaches through ([operations.md](operations.md#repl)); false: none (the REPL cannot attach)",
	),
	nats: {
		user: optionalText(
			"NATS_USER",
			"NATS credentials of the transporter and the durable channels, required with a NATS transporter in production ([security.md](security.md))",
		),
		password: optionalText("NATS_PASSWORD", "see `NATS_USER`"),
	},
	mongo_uri: optionalText("MONGO_URI", "MongoDB (one client per process for every collection and GridFS); unset: embedded NeDB files"),
	mongo_timeout: num("MONGO_TIMEOUT", 1000, "ms the MongoDB driver looks for a reachable server before a call fails with 503"),
	startup_timeout_ms: num(
		"STARTUP_TIMEOUT_MS",
		120000,
		"ms a node's start-up work (opening collections, seeding flags and the shipped data sets, creating channel streams) may keep failing because a store, NATS or a service is not reachable yet, retried with a delay doubling from 250 ms to 5 s, before the node gives up ([operations.md](operations.md#start-up))",
	),
	cacher: text("CACHER", "Memory", "Moleculer cacher: `Memory` (an LRU of 20,000 answers), or a Redis URL, which also shares rate-limit counts and revocations"),
	log_level: text("LOG_LEVEL", "info", "`error`, `warn`, `info`, `debug`"),
	log_format: setting<"text" | "json">(
		"LOG_FORMAT",
		"text",
		"`text`: lines for a terminal; `json`: one JSON object per line with Elastic Common Schema fields and the request's id, for a log shipper or a SIEM ([operations.md](operations.md#logs)); production's default is `json`",
		(v, name) => {
			const s = String(v);
			if (s !== "text" && s !== "json") throw new Error(`Configuration: ${name} must be text or json, got '${s}'`);
			return s;
		},
	),
	jwt: {
		secret_key: optionalText("JWT_SECRET_KEY", "HS256 secret; unset: generated once into `DATA_DIR/jwt.secret` (production refuses to start without it)"),
		expiration: num("JWT_EXPIRATION", 3600, "access-token lifetime, s"),
		refresh_expiration: num(null, 1209600, "refresh-token lifetime, s (14 days)"),
	},
	rate_limit: {
		window_ms: num(null, 60000, "the rate limits' window, ms"),
		default: num("RATE_LIMIT_DEFAULT", 1000, "requests per window per client and endpoint (default tier)"),
		premium: num("RATE_LIMIT_PREMIUM", 10000, "the same for the premium tier"),
		anonymous_per_ip: num("RATE_LIMIT_ANONYMOUS", 60, "unauthenticated requests (and failed authentications) per window per address"),
	},
	http: {
		body_limit: text(null, "1mb", "largest JSON body"),
		import_body_limit: text(null, "50mb", "largest SEC companyfacts document"),
		cors_origins: list("CORS_ORIGINS", ["*"], "comma list of allowed origins"),
		trust_proxy: bool("TRUST_PROXY", false, "take anonymous callers' addresses from `X-Forwarded-For` (only behind a proxy you run)"),
		request_timeout: num("HTTP_REQUEST_TIMEOUT", 60000, "ms a client has to send a whole request, body included (headers: 10 s); a body trickling in is cut off"),
		answer_cache_ttl: num(
			"ANSWER_CACHE_TTL",
			60,
			"s the gateway keeps the answer of a cached action for a repeated identical request (same caller role and domains, same parameters); every write's `cache.clean.*` broadcast empties it; 0 turns it off",
		),
	},
	metrics: {
		enabled: bool("METRICS_ENABLED", true, "Prometheus `/metrics`"),
		port: num("METRICS_PORT", 3030, "its port"),
		host: text(null, "127.0.0.1", "the address it listens on"),
	},
	tracing: {
		exporter: optionalText("TRACING_EXPORTER", "`jaeger`: Moleculer tracing to Jaeger; unset: off"),
		jaeger_host: text("JAEGER_HOST", "127.0.0.1", "the Jaeger agent"),
	},
	audit: {
		refusal_window_ms: num(
			"AUDIT_REFUSAL_WINDOW_MS",
			60000,
			"refused requests (401/403/429) are audited once per caller, route, status and window, plus one entry with the count of the rest ([audit.md](audit.md))",
		),
		retry_unappended_ms: num(
			"AUDIT_RETRY_UNAPPENDED_MS",
			10000,
			"how often the audit service appends the records its channel gave up on ([audit.md](audit.md#nothing-acknowledged-is-lost))",
		),
		siem_url: optionalText(
			"AUDIT_SIEM_URL",
			"an HTTP(S) endpoint every audit entry is POSTed to as NDJSON in ECS, in chain order, once, resuming from its checkpoint after an outage (Elastic's `_bulk` needs an ingest pipeline; Splunk HEC, Vector, Fluent Bit, Logstash http inputs take it as it is); unset: no push ([audit.md](audit.md#export-to-a-siem))",
		),
		siem_authorization: optionalText("AUDIT_SIEM_AUTHORIZATION", "the `Authorization` header sent to `AUDIT_SIEM_URL` (e.g. `ApiKey …`, `Splunk …`): a secret"),
		siem_batch: num("AUDIT_SIEM_BATCH", 500, "entries per POST to the SIEM"),
		siem_interval_ms: num("AUDIT_SIEM_INTERVAL_MS", 2000, "how often the audit service looks for entries to push"),
		siem_timeout_ms: num("AUDIT_SIEM_TIMEOUT_MS", 10000, "ms a POST to the SIEM may take before it counts as failed"),
		archive_dir: setting<string | null>(
			"AUDIT_ARCHIVE_DIR",
			null,
			"where the audit trail's entries past `RETENTION_AUDIT_DAYS` are archived (NDJSON and a manifest per file, verified before anything is removed); unset: `DATA_DIR/audit-archive` on the embedded store, and with `MONGO_URI` nothing is archived or removed ([audit.md](audit.md#retention-and-archive))",
			v => (v == null || v === "" ? null : path.resolve(String(v))),
		),
	},
	channels: {
		max_retries: num("CHANNEL_MAX_RETRIES", 10, "durable channels: redeliveries of a failed handler before its message goes to the dead-letter queue"),
		retry_base_ms: num("CHANNEL_RETRY_BASE_MS", 100, "(embedded adapter) the first redelivery's delay, doubling"),
		retry_max_ms: num("CHANNEL_RETRY_MAX_MS", 5000, "(embedded adapter) the longest delay between redeliveries"),
	},
	workflows: {
		max_attempts: num(
			"WORKFLOW_MAX_ATTEMPTS",
			3,
			"the company review ([orchestrator.md](orchestrator.md)): attempts per step (the steps per industry are in `config/workflows.yaml`)",
		),
		retry_base_ms: num("WORKFLOW_RETRY_BASE_MS", 200, "the first retry's delay, doubling"),
		lease_ms: num("WORKFLOW_LEASE_MS", 30000, "how long a run's lease lasts before another orchestrator node takes it over"),
	},
	encryption: {
		key_file: setting(
			"ENCRYPTION_KEY_FILE",
			"./secrets/encryption-keys.json",
			"the key-encryption keys of encryption at rest (JSON `{keys: [{id, key, created_at}]}`, the last wraps; production: a mounted Secret). The embedded store makes it at first start; with `MONGO_URI` it must exist ([security.md](security.md#encryption-at-rest))",
			v => path.resolve(String(v)),
		),
		key_rotation_days: num(
			"ENCRYPTION_KEY_ROTATION_DAYS",
			90,
			"days a data key encrypts new values before a new one takes over (old values re-encrypted in the background), and the age at which the key-encryption key is reported due for rotation; 0: never by age",
		),
	},
	retention: {
		drift_counts_days: num(
			"RETENTION_DRIFT_COUNTS_DAYS",
			90,
			"days the ML drift counts (`ml_drift_counts`) are kept: monitoring's drift is over this window; 0 keeps them forever ([operations.md](operations.md#retention))",
		),
		company_scores_days: num(
			"RETENTION_COMPANY_SCORES_DAYS",
			365,
			"days the scores a model gave companies (`ml_company_scores`, realised performance) are kept; 0 keeps them forever",
		),
		audit_days: num(
			"RETENTION_AUDIT_DAYS",
			0,
			"days audit entries are kept in the store (refusals among them: the chain is pruned only from its start); older ones are archived to `AUDIT_ARCHIVE_DIR` and verified, then removed; 0 keeps the whole trail ([audit.md](audit.md#retention-and-archive))",
		),
		overview_tombstones_days: num(
			"RETENTION_OVERVIEW_TOMBSTONES_DAYS",
			30,
			"days the overview of a deleted company (its tombstone: a late entry cannot bring the company back) is kept; 0 keeps them forever",
		),
	},
	reports: {
		retention_days: num("REPORTS_RETENTION_DAYS", 30, "days a report and its file are kept; then removed (checked hourly, [reports.md](reports.md#retention))"),
		concurrency: num("REPORTS_CONCURRENCY", 1, "report jobs one `reports` node renders at once, each in a worker thread"),
		job_lease_ms: num("REPORTS_JOB_LEASE_MS", 15000, "ms a running report job's lease lasts without a heartbeat (renewed every 2 s) before another node takes it over"),
		job_max_attempts: num(null, 3, "starts of a report job before it is failed (a job that stops its node every time)"),
		max_companies: num("REPORTS_MAX_COMPANIES", 1000, "companies a portfolio report may cover"),
		render_memory_mb: num("REPORTS_RENDER_MEMORY_MB", 512, "heap of the worker thread that renders one report, MB"),
		render_timeout_ms: num("REPORTS_RENDER_TIMEOUT_MS", 120000, "ms one report's rendering may take"),
		max_schedules_per_user: num("REPORTS_MAX_SCHEDULES_PER_USER", 20, "report schedules one user may have"),
		max_active_per_user: num("REPORTS_MAX_ACTIVE_PER_USER", 10, "reports one user may have queued or running at once (429 beyond: wait for one to finish)"),
	},
	ml: {
		training_concurrency: num("ML_TRAINING_CONCURRENCY", 1, "training jobs one `ml.training` node runs at once, each in a worker thread ([ml.md](ml.md#training))"),
		job_lease_ms: num("ML_JOB_LEASE_MS", 30000, "ms a running training job's lease lasts without a heartbeat (renewed every 2 s) before another node takes the job over"),
		job_max_attempts: num(null, 3, "starts of a training job before it is failed (a job that kills its node every time)"),
		shipped_datasets: bool(
			"ML_SHIPPED_DATASETS",
			true,
			"register the shipped Polish bankruptcy files as data sets on first start, which the default model trains on ([ml.md](ml.md#data-sets)); false: none",
		),
		default_model: bool("ML_DEFAULT_MODEL", true, "train and deploy the default `distress` model on first start ([ml.md](ml.md#the-default-distress-model))"),
		max_prediction_rows: num(null, 1000, "rows one prediction request may carry"),
		worker_memory_mb: num(
			"ML_WORKER_MEMORY_MB",
			768,
			"the heap of the thread that parses an uploaded data set or evaluates a version; past it, a 422 naming the limit ([ml.md](ml.md#data-sets))",
		),
		worker_timeout_ms: num("ML_WORKER_TIMEOUT_MS", 120000, "the time that thread may take"),
		max_evaluation_rows: num("ML_MAX_EVALUATION_ROWS", 200000, "rows one evaluation may score (a 422 before anything is read)"),
		job_max_seconds: num(
			"ML_JOB_MAX_SECONDS",
			1800,
			"a training job's run time: a job estimated past it is refused when queued, one still running then is stopped ([ml.md](ml.md#training))",
		),
		job_memory_mb: num("ML_JOB_MEMORY_MB", 1024, "a training job's memory"),
		max_jobs_per_user: num("ML_MAX_JOBS_PER_USER", 3, "training jobs queued or running per user; past it, 429 `QUOTA_EXCEEDED`"),
		max_jobs_per_domain: num("ML_MAX_JOBS_PER_DOMAIN", 10, "the same per domain"),
	},
	sec: {
		user_agent: optionalText(
			"SEC_USER_AGENT",
			"who the SEC connector says it is, as SEC's fair-access rules require: the operator and a contact, e.g. `Example Corp ops@example.com`; unset: the connector answers 503 (production: a node running `integration` refuses to start) ([integration.md](integration.md))",
		),
		data_base_url: text("SEC_DATA_BASE_URL", "https://data.sec.gov", "SEC's API host (submissions, companyfacts); a mirror or a local server for tests and air-gapped sites"),
		files_base_url: text("SEC_FILES_BASE_URL", "https://www.sec.gov", "SEC's files host (company_tickers.json)"),
		requests_per_second: num(
			"SEC_REQUESTS_PER_SECOND",
			8,
			"requests per second to SEC from every integration replica together (through Redis when CACHER is one); SEC allows 10, more is refused",
		),
		timeout_ms: num("SEC_TIMEOUT_MS", 30000, "ms one request to SEC may take"),
		retries: num("SEC_RETRIES", 3, "retries of a request that failed on the network or with a 5xx, from 500 ms doubling"),
		pause_ms: num("SEC_PAUSE_MS", 600000, "how long all SEC traffic stops after SEC says the rate was exceeded (a 429, or its 403 threshold page): SEC asks for 10 minutes"),
		refresh_cron: optionalText(
			"SEC_REFRESH_CRON",
			"a cron expression (UTC, seconds optional, e.g. `0 30 6 * * 1-5`) at which every company with a CIK is refreshed from SEC EDGAR, once per firing across every integration replica; unset: no scheduled refresh",
		),
		cache_mb: num("SEC_CACHE_MB", 256, "SEC answers kept per node, by URL, revalidated with ETag / Last-Modified"),
	},
	prices: {
		provider: setting<"tiingo" | "custom" | null>(
			"PRICES_PROVIDER",
			null,
			"where `POST /companies/:id/prices/fetch` and the scheduled price refresh get daily prices: `tiingo` (Tiingo's end-of-day API, `PRICES_API_KEY` required) or `custom` (`PRICES_URL_TEMPLATE`); unset: off, prices come as CSV uploads ([integration.md](integration.md#market-data))",
			(v, name) => {
				const s = optional(v);
				if (s != null && s !== "tiingo" && s !== "custom") throw new Error(`Configuration: ${name} must be tiingo or custom, got '${s}'`);
				return s;
			},
		),
		base_url: optionalText("PRICES_BASE_URL", "the provider's host (a mirror, or a local server in tests); unset: the provider's own (`https://api.tiingo.com`)"),
		url_template: optionalText(
			"PRICES_URL_TEMPLATE",
			"`custom`'s URL of a ticker's daily prices as a CSV with the common header, with `{ticker}`, `{from}`, `{to}` (YYYY-MM-DD), `{from_compact}`, `{to_compact}` (YYYYMMDD), `{base}` and `{key}`",
		),
		api_key: optionalText("PRICES_API_KEY", "the provider's API key (production: from a Secret); sent in Tiingo's `Authorization` header, never logged"),
		max_requests: optionalNum(
			"PRICES_MAX_REQUESTS",
			"requests to the provider from every integration replica together per `PRICES_WINDOW_SECONDS` (through Redis when CACHER is one); unset: the provider's published limit (Tiingo's free plan: 50 an hour; custom: 60 a minute)",
		),
		window_seconds: optionalNum(
			"PRICES_WINDOW_SECONDS",
			"the window `PRICES_MAX_REQUESTS` counts over, and how long all traffic to the provider stops after it says the rate was exceeded; unset: the provider's",
		),
		timeout_ms: num("PRICES_TIMEOUT_MS", 30000, "ms one request to the provider may take"),
		retries: num("PRICES_RETRIES", 3, "retries of a request that failed on the network or with a 5xx, from 500 ms doubling"),
		refresh_cron: optionalText(
			"PRICES_REFRESH_CRON",
			"a cron expression (UTC, e.g. `0 0 23 * * 1-5`, after the US close) at which every company with a ticker gets the prices since its last one, once per firing across every integration replica; unset: no scheduled refresh",
		),
	},
	broker: {
		request_timeout: num("REQUEST_TIMEOUT", 10000, "ms before a call between services that is not a read, write or import fails"),
		read_timeout: num("READ_TIMEOUT", 10000, "ms before a read (a `GET` or cached action) fails; reads are retried on another node ([operations.md](operations.md#failover))"),
		write_timeout: num("WRITE_TIMEOUT", 10000, "ms before a write fails; writes are not retried"),
		import_timeout: num("IMPORT_TIMEOUT", 120000, "ms for an SEC import"),
		heartbeat_interval: num("HEARTBEAT_INTERVAL", 1, "s between a node's heartbeats"),
		heartbeat_timeout: num("HEARTBEAT_TIMEOUT", 3, "s after which a silent node is dropped from the registry (checked every 250 ms)"),
		circuit_breaker: bool(
			null,
			true,
			"opens on a node whose calls fail half the time, over at least 20 calls in 60 s (client errors and the 503 of a paused SEC or price provider do not count)",
		),
		retry: bool(null, true, "retries of retryable errors (3, from 100 ms doubling, reads only)"),
		bulkhead: bool(null, true, "a bound on concurrent calls per action"),
		bulkhead_concurrency: num(null, 50, "concurrent calls per action (the SEC import: 2)"),
		bulkhead_max_queue: num(null, 500, "calls queued per action (the SEC import: 4)"),
		shutdown_timeout: num(null, 10000, "ms in-flight requests have to finish on shutdown"),
	},
} as const;

type ConfigOf<S> = { -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : ConfigOf<S[K]> };

/** The configuration of a process: every setting of SCHEMA, and the environment (NODE_ENV) it was read for. */
export type Config = ConfigOf<typeof SCHEMA> & { env: string };

export const isSetting = (node: unknown): node is Setting<unknown> => typeof node === "object" && node !== null && (node as { setting?: unknown }).setting === true;

/** Every setting with its dotted path in the YAML files (`broker.read_timeout`), in schema order. */
export function settings(node: object = SCHEMA, prefix = ""): Array<{ key: string; setting: Setting<unknown> }> {
	return Object.entries(node).flatMap(([name, child]) => (isSetting(child) ? [{ key: prefix + name, setting: child }] : settings(child as object, `${prefix}${name}.`)));
}
