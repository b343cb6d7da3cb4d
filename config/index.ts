/**
 * Configuration: `config/environments/<NODE_ENV>.yaml` with `${VAR}` / `${VAR:-default}` substituted from
 * the environment, so an environment variable always wins over the file (docs/configuration.md).
 */
import fs from "fs";
import path from "path";
import crypto from "crypto";
import YAML from "yaml";

export interface Config {
	env: string;
	/** Moleculer namespace: nodes only see nodes of the same one (and share cache and rate-limit keys with them). */
	namespace: string;
	port: number;
	/** Port of the node's own /health/live and /health/ready (every node, gateway or not); null: off. */
	health_port: number | null;
	data_dir: string;
	transporter: string | null;
	/** NATS credentials (production: from the Secret); the transporter and the durable channels use them. */
	nats: { user: string | null; password: string | null };
	mongo_uri: string | null;
	/** ms the MongoDB driver waits for a reachable server before a call fails (503). */
	mongo_timeout: number;
	/** ms a node's start-up work may keep failing transiently (a store not reachable yet) before the start fails (lib/startup.ts). */
	startup_timeout_ms: number;
	cacher: string;
	log_level: string;
	jwt: { secret_key: string | null; expiration: number; refresh_expiration: number };
	rate_limit: { window_ms: number; default: number; premium: number; anonymous_per_ip: number };
	/** trust_proxy: take an anonymous caller's address from X-Forwarded-For (behind a proxy you run). */
	/** request_timeout: ms a client has to send a whole request (headers and body). */
	http: {
		body_limit: string;
		import_body_limit: string;
		cors_origins: string[];
		trust_proxy: boolean;
		request_timeout: number;
		/** s an answer of a cached action is kept by the gateway (lib/answer-cache.ts); 0: not kept. */
		answer_cache_ttl: number;
	};
	metrics: { enabled: boolean; port: number; host: string };
	tracing: { exporter: string | null; jaeger_host: string };
	ml: {
		/** Training jobs one ml.training node runs at once (each in its own worker thread). */
		training_concurrency: number;
		/** ms a running job's lease lasts without a heartbeat before another node takes the job over. */
		job_lease_ms: number;
		/** Times a job is started before it is failed (a job that kills its node every time). */
		job_max_attempts: number;
		/** Train and deploy the default `distress` model on first start. */
		default_model: boolean;
		/** Rows one prediction request may carry. */
		max_prediction_rows: number;
		/** The heap (MB) and time (ms) of a thread that parses an uploaded data set or evaluates a version (lib/worker-thread.ts). */
		worker_memory_mb: number;
		worker_timeout_ms: number;
		/** Rows one evaluation scores at most. */
		max_evaluation_rows: number;
		/** A training job's limits: its run time (also the most its cost estimate may be), its worker's heap, and jobs queued or running per user and per domain. */
		job_max_seconds: number;
		job_memory_mb: number;
		max_jobs_per_user: number;
		max_jobs_per_domain: number;
	};
	/** The audit trail: refused requests are coalesced per caller, route and refusal_window_ms (domains/audit/refusals.ts). */
	audit: { refusal_window_ms: number; retry_unappended_ms: number };
	/** Durable channels (lib/channels.ts): redeliveries of a failed handler, with exponential backoff (embedded adapter). */
	channels: { max_retries: number; retry_base_ms: number; retry_max_ms: number };
	/** The orchestrator's runs (the steps per industry are in config/workflows.yaml). */
	workflows: { max_attempts: number; retry_base_ms: number; lease_ms: number };
	broker: {
		/** Default for calls; reads, writes and imports have their own (see lib/service.ts). */
		request_timeout: number;
		read_timeout: number;
		write_timeout: number;
		import_timeout: number;
		heartbeat_interval: number;
		heartbeat_timeout: number;
		circuit_breaker: boolean;
		retry: boolean;
		bulkhead: boolean;
		bulkhead_concurrency: number;
		bulkhead_max_queue: number;
		shutdown_timeout: number;
	};
}

/** Directory holding `environments/*.yaml`: next to this file in source, `../../config` from `dist/`. */
function environmentsDir(): string {
	const local = path.join(__dirname, "environments");
	if (fs.existsSync(local)) return local;
	return path.resolve(__dirname, "..", "..", "config", "environments");
}

/** Replaces `${VAR}` and `${VAR:-default}` with the environment's value (empty when unset). */
export function substitute(text: string, env: NodeJS.ProcessEnv): string {
	return text.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
		const value = env[name];
		return value != null && value !== "" ? value : (fallback ?? "");
	});
}

/** Substitutes inside every string of the parsed document, so a value never changes the YAML's structure. */
function substituteTree(node: any, env: NodeJS.ProcessEnv): any {
	if (typeof node === "string") return substitute(node, env);
	if (Array.isArray(node)) return node.map(n => substituteTree(n, env));
	if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substituteTree(v, env)]));
	return node;
}

const nullIfEmpty = (v: unknown): string | null => (v == null || v === "" ? null : String(v));
const num = (v: unknown, name: string): number => {
	const n = Number(v);
	if (!Number.isFinite(n)) throw new Error(`Configuration: ${name} must be a number, got '${v}'`);
	return n;
};
const bool = (v: unknown): boolean => v === true || v === "true" || v === 1 || v === "1";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const name = env.NODE_ENV || "development";
	const file = path.join(environmentsDir(), `${name}.yaml`);
	if (!fs.existsSync(file)) throw new Error(`Configuration: no ${file} for NODE_ENV=${name}`);
	const raw = substituteTree(YAML.parse(fs.readFileSync(file, "utf8")) ?? {}, env);
	const jwt = raw.jwt ?? {};
	const rl = raw.rate_limit ?? {};
	const http = raw.http ?? {};
	const metrics = raw.metrics ?? {};
	const tracing = raw.tracing ?? {};
	const broker = raw.broker ?? {};
	const ml = raw.ml ?? {};
	const workflows = raw.workflows ?? {};
	const channels = raw.channels ?? {};
	const audit = raw.audit ?? {};
	return {
		env: name,
		namespace: String(raw.namespace || "bizops"),
		port: num(raw.port ?? 3000, "PORT"),
		health_port: nullIfEmpty(raw.health_port) == null ? null : num(raw.health_port, "HEALTH_PORT"),
		data_dir: path.resolve(String(raw.data_dir || "./data")),
		transporter: nullIfEmpty(raw.transporter),
		nats: { user: nullIfEmpty(raw.nats?.user), password: nullIfEmpty(raw.nats?.password) },
		mongo_uri: nullIfEmpty(raw.mongo_uri),
		mongo_timeout: num(raw.mongo_timeout ?? 1000, "MONGO_TIMEOUT"),
		startup_timeout_ms: num(raw.startup_timeout_ms ?? 120000, "STARTUP_TIMEOUT_MS"),
		cacher: String(raw.cacher || "Memory"),
		log_level: String(raw.log_level || "info"),
		jwt: {
			secret_key: nullIfEmpty(jwt.secret_key),
			expiration: num(jwt.expiration ?? 3600, "JWT_EXPIRATION"),
			refresh_expiration: num(jwt.refresh_expiration ?? 1209600, "jwt.refresh_expiration"),
		},
		rate_limit: {
			window_ms: num(rl.window_ms ?? 60000, "rate_limit.window_ms"),
			default: num(rl.default ?? 1000, "RATE_LIMIT_DEFAULT"),
			premium: num(rl.premium ?? 10000, "RATE_LIMIT_PREMIUM"),
			anonymous_per_ip: num(rl.anonymous_per_ip ?? 60, "RATE_LIMIT_ANONYMOUS"),
		},
		http: {
			body_limit: String(http.body_limit || "1mb"),
			import_body_limit: String(http.import_body_limit || "50mb"),
			trust_proxy: bool(http.trust_proxy),
			request_timeout: num(http.request_timeout ?? 60000, "HTTP_REQUEST_TIMEOUT"),
			answer_cache_ttl: num(http.answer_cache_ttl ?? 60, "ANSWER_CACHE_TTL"),
			cors_origins: String(http.cors_origins ?? "*")
				.split(",")
				.map(s => s.trim())
				.filter(Boolean),
		},
		metrics: {
			enabled: bool(metrics.enabled),
			port: num(metrics.port ?? 3030, "METRICS_PORT"),
			host: String(metrics.host || "127.0.0.1"),
		},
		tracing: { exporter: nullIfEmpty(tracing.exporter), jaeger_host: String(tracing.jaeger_host || "127.0.0.1") },
		audit: {
			refusal_window_ms: num(audit.refusal_window_ms ?? 60000, "AUDIT_REFUSAL_WINDOW_MS"),
			retry_unappended_ms: num(audit.retry_unappended_ms ?? 10000, "AUDIT_RETRY_UNAPPENDED_MS"),
		},
		channels: {
			max_retries: num(channels.max_retries ?? 10, "CHANNEL_MAX_RETRIES"),
			retry_base_ms: num(channels.retry_base_ms ?? 100, "CHANNEL_RETRY_BASE_MS"),
			retry_max_ms: num(channels.retry_max_ms ?? 5000, "CHANNEL_RETRY_MAX_MS"),
		},
		workflows: {
			max_attempts: num(workflows.max_attempts ?? 3, "WORKFLOW_MAX_ATTEMPTS"),
			retry_base_ms: num(workflows.retry_base_ms ?? 200, "WORKFLOW_RETRY_BASE_MS"),
			lease_ms: num(workflows.lease_ms ?? 30000, "WORKFLOW_LEASE_MS"),
		},
		ml: {
			training_concurrency: num(ml.training_concurrency ?? 1, "ML_TRAINING_CONCURRENCY"),
			job_lease_ms: num(ml.job_lease_ms ?? 30000, "ML_JOB_LEASE_MS"),
			job_max_attempts: num(ml.job_max_attempts ?? 3, "ml.job_max_attempts"),
			default_model: ml.default_model == null ? true : bool(ml.default_model),
			max_prediction_rows: num(ml.max_prediction_rows ?? 1000, "ml.max_prediction_rows"),
			worker_memory_mb: num(ml.worker_memory_mb ?? 768, "ML_WORKER_MEMORY_MB"),
			worker_timeout_ms: num(ml.worker_timeout_ms ?? 120000, "ML_WORKER_TIMEOUT_MS"),
			max_evaluation_rows: num(ml.max_evaluation_rows ?? 200000, "ML_MAX_EVALUATION_ROWS"),
			job_max_seconds: num(ml.job_max_seconds ?? 1800, "ML_JOB_MAX_SECONDS"),
			job_memory_mb: num(ml.job_memory_mb ?? 1024, "ML_JOB_MEMORY_MB"),
			max_jobs_per_user: num(ml.max_jobs_per_user ?? 3, "ML_MAX_JOBS_PER_USER"),
			max_jobs_per_domain: num(ml.max_jobs_per_domain ?? 10, "ML_MAX_JOBS_PER_DOMAIN"),
		},
		broker: {
			request_timeout: num(broker.request_timeout ?? 10000, "REQUEST_TIMEOUT"),
			read_timeout: num(broker.read_timeout ?? 10000, "READ_TIMEOUT"),
			write_timeout: num(broker.write_timeout ?? 10000, "WRITE_TIMEOUT"),
			import_timeout: num(broker.import_timeout ?? 120000, "IMPORT_TIMEOUT"),
			heartbeat_interval: num(broker.heartbeat_interval ?? 1, "HEARTBEAT_INTERVAL"),
			heartbeat_timeout: num(broker.heartbeat_timeout ?? 3, "HEARTBEAT_TIMEOUT"),
			circuit_breaker: broker.circuit_breaker !== false,
			retry: broker.retry !== false,
			bulkhead: broker.bulkhead !== false,
			bulkhead_concurrency: num(broker.bulkhead_concurrency ?? 50, "broker.bulkhead_concurrency"),
			bulkhead_max_queue: num(broker.bulkhead_max_queue ?? 500, "broker.bulkhead_max_queue"),
			shutdown_timeout: num(broker.shutdown_timeout ?? 10000, "broker.shutdown_timeout"),
		},
	};
}

let current: Config | null = null;

/** The configuration of this process, read once. */
export function getConfig(): Config {
	if (!current) current = loadConfig();
	return current;
}

/** Forget the cached configuration (tests change the environment between brokers). */
export function resetConfig(): void {
	current = null;
}

/**
 * The JWT signing secret: `JWT_SECRET_KEY`, else (outside production) one generated once and kept in
 * `DATA_DIR/jwt.secret` so tokens survive a restart. Production refuses to start without it.
 */
export function jwtSecret(config: Config = getConfig()): string {
	if (config.jwt.secret_key) return config.jwt.secret_key;
	if (config.env === "production") throw new Error("JWT_SECRET_KEY is required in production");
	const file = path.join(config.data_dir, "jwt.secret");
	fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
	try {
		fs.writeFileSync(file, crypto.randomBytes(48).toString("base64url"), { flag: "wx", mode: 0o600 });
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
	}
	return fs.readFileSync(file, "utf8").trim();
}

/**
 * NATS credentials for the transporter and the durable channels; null without a NATS transporter or (outside
 * production) without NATS_USER. Production refuses a NATS transporter without them: anyone who can connect
 * to NATS can call any action as any user (docs/security.md).
 */
export function natsCredentials(config: Config = getConfig()): { user: string; pass: string } | null {
	if (!config.transporter || !/^nats:\/\//.test(config.transporter)) return null;
	if (config.nats.user) return { user: config.nats.user, pass: config.nats.password ?? "" };
	if (config.env === "production") throw new Error("NATS_USER and NATS_PASSWORD are required in production (anyone who can connect to NATS can call every action)");
	return null;
}
