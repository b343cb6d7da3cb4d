/**
 * Broker configuration, driven by the environment through config/ (docs/configuration.md). The embedded default is one
 * process with a Memory cacher, reachable only through a local socket for the REPL; production turns on NATS,
 * Redis, metrics and tracing.
 */
import os from "os";
import { ServiceBroker, Validators, type BrokerOptions, type Errors } from "moleculer";
import { ConfigurationMiddleware, getConfig, natsCredentials, type Config } from "./config";
import { packageVersion } from "./config/files";
import { AuditMiddleware } from "./middlewares/audit.middleware";
import { AuthorizationMiddleware } from "./middlewares/authorization.middleware";
import { DefinedParamsMiddleware } from "./middlewares/defined-params.middleware";
import { ActionTimeoutsMiddleware, FailoverMiddleware, FailoverStrategy, PromptDiscoverer } from "./middlewares/failover.middleware";
import { createChannelsMiddleware } from "./lib/channels";
import { VALIDATION_MESSAGES } from "./lib/validation-messages";
import { LeanMetricsMiddleware } from "./middlewares/metrics.middleware";
import { BizopsPrometheusReporter } from "./lib/prometheus-reporter";
import { LocalSocketTransporter } from "./lib/local-socket-transporter";
import { platformLogger } from "./lib/logger";
import { NodeHealthMiddleware } from "./middlewares/node-health.middleware";
import { EventLoopDelayMiddleware } from "./middlewares/event-loop-delay.middleware";
import { LogContextMiddleware } from "./middlewares/log-context.middleware";
import { StoreUnavailableMiddleware } from "./middlewares/store-unavailable.middleware";
import { IndexedMemoryCacher } from "./lib/indexed-memory-cacher";
import { loadReplCommands, openRepl } from "./repl";

/**
 * NATS with the credentials of NATS_USER / NATS_PASSWORD (anyone on NATS can call any action: see
 * docs/security.md); embedded, the local socket `npm run repl` attaches through (lib/local-socket-transporter.ts).
 */
function transporterOptions(config: Config): BrokerOptions["transporter"] {
	if (!config.transporter) return config.local_socket ? (new LocalSocketTransporter({ dataDir: config.data_dir, role: "hub" }) as never) : undefined;
	const credentials = natsCredentials(config);
	if (credentials) {
		// `servers`, not `url`: Moleculer's NATS transporter overwrites user and pass with the URL's (none) when given a url
		const servers = config.transporter.split(",").map(u => new URL(u.trim()).host);
		return { type: "NATS", options: { servers, ...credentials } } as BrokerOptions["transporter"];
	}
	return config.transporter as BrokerOptions["transporter"];
}

function cacherOptions(config: Config): BrokerOptions["cacher"] {
	if (/^redis(s)?:\/\//.test(config.cacher)) {
		return {
			type: "Redis", // ioredis takes the URL as it is; the cacher's typings only admit an options object.
			options: { prefix: `bizops-${config.namespace}`, redis: config.cacher as unknown as Record<string, any>, ttl: 300, maxParamsLength: 80 },
		};
	}
	// bounded: the least recently used answers go first; indexed by action, so a service's cleaning is not a scan
	return new IndexedMemoryCacher({ max: 20000, ttl: 300, maxParamsLength: 80, clone: false }) as never;
}

/**
 * The broker's options from `config`; moleculer-runner calls this as it starts a broker, so the configuration
 * is read then (from the environment and config/environments/), not when this file is imported.
 */
function brokerOptions(config: Config = getConfig()): BrokerOptions {
	return {
		namespace: config.namespace,
		nodeID: config.node_id ?? `${os.hostname().toLowerCase()}-${process.pid}`,
		// Moleculer's console logger without the start-up chatter an operator does not read (lib/logger.ts)
		logger: platformLogger(config.log_level, !!process.stdout.isTTY, config.log_format, { environment: config.env, version: packageVersion() }) as never,
		transporter: transporterOptions(config),
		cacher: cacherOptions(config),
		// MessagePack (notepack.io): a stream's chunks (a 48 MB upload, an SEC document) travel as bytes, not as JSON
		// arrays of numbers four times their size; with JSON, decoding them kept a node busy past the heartbeat timeout
		serializer: "Notepack",
		requestTimeout: config.broker.request_timeout,
		retryPolicy: {
			// Only errors Moleculer marks retryable (a node gone, a timeout) are retried; write actions turn it off.
			enabled: config.broker.retry,
			retries: 3,
			delay: 100,
			maxDelay: 1000,
			factor: 2,
			check: (err: Error) => !!(err as Errors.MoleculerRetryableError).retryable,
		},
		maxCallLevel: 20,
		// a service that depends on another (ml.training on the registry) looks for it every 100 ms, not every second:
		// a node is ready about a second sooner
		dependencyInterval: 100,
		heartbeatInterval: config.broker.heartbeat_interval,
		heartbeatTimeout: config.broker.heartbeat_timeout,
		contextParamsCloning: false,
		tracking: { enabled: true, shutdownTimeout: config.broker.shutdown_timeout },
		disableBalancer: false,
		// a node that just let a call time out is skipped; a silent node leaves the registry promptly
		registry: { strategy: FailoverStrategy as any, preferLocal: true, discoverer: new PromptDiscoverer() as any },
		circuitBreaker: {
			enabled: config.broker.circuit_breaker,
			threshold: 0.5,
			minRequestCount: 20,
			windowTime: 60,
			halfOpenTime: 10 * 1000,
			// Client errors (4xx) say nothing about the health of the node that answered them, nor does a source's
			// pause (SEC or the price provider said the rate was exceeded: the node answers 503 at once, as it should).
			check: (err: Error) => {
				const { code, data } = err as Errors.MoleculerError & { data?: { paused_until?: string } };
				return !(code >= 400 && code < 500) && !data?.paused_until;
			},
		},
		bulkhead: {
			enabled: config.broker.bulkhead,
			concurrency: config.broker.bulkhead_concurrency,
			maxQueueSize: config.broker.bulkhead_max_queue,
		},
		// field-first messages ("industry: must be one of …"), the gateway's top-level message is made of them
		validator: new Validators.Fastest({ messages: VALIDATION_MESSAGES } as ConstructorParameters<typeof Validators.Fastest>[0]),
		metrics: {
			enabled: config.metrics.enabled,
			// Moleculer's, with _sum/_count on histograms and no _total on gauges (lib/prometheus-reporter.ts)
			reporter: new BizopsPrometheusReporter({ port: config.metrics.port, host: config.metrics.host, path: "/metrics" }) as never,
		},
		tracing: {
			enabled: config.tracing.exporter != null,
			exporter: config.tracing.exporter === "jaeger" ? { type: "Jaeger", options: { host: config.tracing.jaeger_host, port: 6832 } } : { type: "Console" },
		},
		// Moleculer wraps an action in list order, inside out. Access control goes outside the validator and the
		// cacher, so a cached answer is never served to a caller who may not have it, and a caller without
		// rights learns nothing from validation errors. The rest is Moleculer's own list, unchanged.
		internalMiddlewares: false,
		// StoreUnavailable, just inside it, turns a store outage into a 503. Failover (between Timeout and Retry)
		// and ActionTimeouts (before Timeout reads the action's timeout): middlewares/failover.middleware.ts.
		middlewares: [
			// first: every service, mixin and middleware reads this broker's configuration through it (config/index.ts)
			ConfigurationMiddleware(config),
			// JSON logs: every handler runs inside its request's log fields (request id, action, user)
			...(config.log_format === "json" ? [LogContextMiddleware()] : []),
			ActionTimeoutsMiddleware({ read: config.broker.read_timeout, write: config.broker.write_timeout, import: config.broker.import_timeout }),
			...ServiceBroker.INTERNAL_MIDDLEWARES.flatMap((name: string) => {
				// wrapped just inside the validator, so it sees the validated params
				if (name === "Validator") return [DefinedParamsMiddleware, name];
				if (name === "Cacher") return [name, StoreUnavailableMiddleware, AuthorizationMiddleware];
				if (name === "Timeout") return [name, FailoverMiddleware()];
				// the same measurements for a fraction of the cost (middlewares/metrics.middleware.ts)
				if (name === "Metrics") return [LeanMetricsMiddleware()];
				return [name];
			}),
			NodeHealthMiddleware(config.health_port),
			EventLoopDelayMiddleware(),
			createChannelsMiddleware(config),
			// every domain event also goes to the audit trail (middlewares/audit.middleware.ts)
			AuditMiddleware(),
			// `--repl` (npm run start:repl) opens the REPL whose calls act as the operator (repl/index.ts)
			{ name: "OperatorRepl", created: (broker: ServiceBroker) => void (broker.repl = () => openRepl(broker)) },
		],
		replOptions: { delimiter: "bizops $", customCommands: loadReplCommands() },
	};
}

export = brokerOptions;
