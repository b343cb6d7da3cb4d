/**
 * api: the moleculer-web gateway under /api/v1 (docs/api.md). It authenticates (JWT or X-API-Key), applies
 * the rate limits, and publishes the REST aliases of every service's actions; access control itself runs
 * in each action (middlewares/authorization.middleware.ts), so it holds for calls between services too.
 */
import { EXPORT_FORMATS, exportFormatOf, exportOf, listItemsOf, type ExportFormat } from "../lib/exports";
import { APP_PATH, isWebAppPath, WebApp } from "../lib/web-app";
import http, { type IncomingMessage, type ServerResponse } from "http";
import { Errors, type Context, type MetricRegistry } from "moleculer";
import ApiGateway from "moleculer-web";
import { configOf, type Config } from "../config";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { OpenApiMixin } from "../mixins/openapi.mixin";
import { OPENAPI_SCHEMAS } from "../models/openapi-schemas";
import type { DocumentExtras } from "../mixins/openapi.mixin";
import { aliasesOf, operationDocsOf, restActionsOf, serviceDescriptionsOf, type RestAction, type RouteManifest } from "../mixins/rest-routes";
import ROUTE_MANIFEST from "./routes.json";
import { notAcceptable, unsupportedMediaType } from "../models/errors";
import { DurationSeries, HTTP_DURATION } from "../lib/metrics";
import { LocalSocketTransporter } from "../lib/local-socket-transporter";
import { assertJsonDepth, parseByteSize, payloadTooLarge } from "../lib/json-body";
import { methodNotAllowed, wireError } from "../lib/http-errors";
import { cacheCleanEvent, Finance, Gateway, MlDatasets, MlPrediction, Moleculer, storeHealthAction } from "../contracts";
import { servicePrincipal } from "../lib/principal";
import { call } from "../lib/contract-calls";
import { AnswerCache, type CachedActionInfo, type CallerScope } from "../lib/answer-cache";
import { defineMixin, defineService, NOT_RETRIED } from "../lib/service";
import { GatewayCredentialsMixin } from "../mixins/gateway-credentials.mixin";
import { answerError, GatewayErrorsMixin } from "../mixins/gateway-errors.mixin";

/** The other services of this code base (services/routes.json): the gateway publishes their routes and lists them in readiness. */
const MANIFEST = ROUTE_MANIFEST as RouteManifest;
const REQUIRED_SERVICES = MANIFEST.services;

/** 1 while some node runs the service, 0 while none does (set at each readiness probe). */
const SERVICE_AVAILABLE_GAUGE: MetricRegistry.GaugeMetricOptions = {
	name: "bizops.gateway.service_available",
	type: "gauge",
	labelNames: ["service"],
	description: "Whether a live node runs the service (1) or none does (0), as this gateway sees it",
};

/** What the gateway keeps on itself (set in `created`/`started`), and moleculer-web's members it uses. */
interface GatewayState {
	httpDuration: DurationSeries | null;
	encoded: WeakMap<object, Buffer>;
	/** The REST routes this gateway publishes, for the OpenAPI document. */
	restActions: RestAction[];
	/** What the OpenAPI document says beyond the routes: operation docs, service descriptions, schemas, limits. */
	documentExtras: DocumentExtras;
	answers: AnswerCache;
	/** The web app's files (lib/web-app.ts). */
	webApp: WebApp;
	/** moleculer-web's */
	server?: http.Server;
	httpHandler: http.RequestListener;
	sendResponse(req: IncomingMessage, res: ServerResponse, data: unknown, action: unknown): void;
}

/** What moleculer-web hands to `callAction`: the request, with the endpoint it resolved and the call's context. */
type RoutedRequest = IncomingMessage & { $ctx: Context<unknown, CallerScope & Record<string, unknown>>; $endpoint: { action: CachedActionInfo } };

/** Answers a cached action may not be kept with: it set a status, a location or headers of its own. */
const ANSWER_META = ["$statusCode", "$location", "$responseType", "$responseHeaders"];
const ANSWERS_MAX = 10000;

const HEADERS_TIMEOUT_MS = 10000;
/** The liveness answer: one object, so its JSON is encoded once (encodeResponse keeps it). */
const LIVE = Object.freeze({ status: "ok" });

/** Where the API lives on the gateway. */
const API_PATH = "/api/v1";

/** A client's request id is used (and echoed) only when it looks like one: letters, digits, '.', '_', '-', ':'. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * A request body must be JSON (415 otherwise, before anything reads it) and, when it declares its
 * length, within the route's limit (413 without reading it). A body sent without a length is counted
 * as it is read.
 */
function checkBody(req: IncomingMessage, limit: string): void {
	const length = req.headers["content-length"];
	const hasBody = (length != null && length !== "0") || req.headers["transfer-encoding"] != null;
	if (!hasBody) return;
	const type = String(req.headers["content-type"] ?? "")
		.split(";")[0]
		.trim()
		.toLowerCase();
	if (!/^application\/([a-z0-9.+-]+\+)?json$/.test(type)) throw unsupportedMediaType(type);
	if (length != null && Number(length) > parseByteSize(limit)) throw payloadTooLarge(limit);
}

/** A route of JSON bodies up to `limit`, nesting bounded before JSON.parse sees them (a 400 naming the limit). */
function jsonRoute(limit: string) {
	return {
		path: "",
		whitelist: ["**"],
		mappingPolicy: "restrict",
		authentication: true,
		mergeParams: true,
		bodyParsers: { json: { strict: true, limit, verify: (_req: unknown, _res: unknown, buf: Buffer) => assertJsonDepth(buf) }, urlencoded: false },
		onBeforeCall(_ctx: Context, _route: unknown, req: IncomingMessage) {
			checkBody(req, limit);
		},
	};
}

/**
 * A prediction request carries up to max_prediction_rows rows: its body limit follows from that cap, not from the
 * usual 1 MB. A row of the distress model's 64 Polish ratios, named in full, with 17-digit numbers is 3.9 KB:
 * 8 KB a row leaves room for longer names.
 */
const PREDICTION_ROW_BYTES = 8192;
const predictionBodyLimit = (maxRows: number) => `${Math.ceil(maxRows * PREDICTION_ROW_BYTES) / 1024 + 64}kb`;
const PREDICT_ACTION = MlPrediction.actions.predict.name;

/** A route a document is streamed through, unread by the gateway (bodies up to import_body_limit). */
function streamRoute(config: Config, path: string, action: string, alias: string, mergeParams: boolean) {
	return {
		path,
		whitelist: [action],
		aliases: { [alias]: `stream:${action}` },
		mappingPolicy: "restrict",
		authentication: true,
		mergeParams,
		bodyParsers: false,
		onBeforeCall(_ctx: Context, _route: unknown, req: IncomingMessage) {
			checkBody(req, config.http.import_body_limit);
		},
	};
}

/** The gateway's routes, with the body limits of the broker's configuration. */
export function gatewayRoutes(config: Config) {
	return [
		// The SEC import takes a companyfacts document of up to import_body_limit. The gateway does not read
		// it: the request is passed on as a stream (in 256 KB transporter chunks), read by finance once the
		// caller is authenticated, authorized and the feature flag is on.
		streamRoute(config, "/companies", Finance.actions.importSec.name, "POST /:id/import/sec", true),
		// An ML data set upload (its file's text in a JSON body of up to import_body_limit): passed on as a
		// stream like the SEC import, read by ml.datasets once the caller is authorized.
		streamRoute(config, "/ml", MlDatasets.actions.create.name, "POST /datasets", false),
		// The JSON routes share a path, so they are told apart by name: moleculer-web takes routes with the
		// same name (or, without names, the same path) for one and drops the first one's aliases.
		// Predictions, with the body limit their row cap needs.
		{
			...jsonRoute(predictionBodyLimit(config.ml.max_prediction_rows)),
			name: "predictions",
			whitelist: [PREDICT_ACTION],
			aliases: aliasesOf(REST_ACTIONS.filter(a => a.name === PREDICT_ACTION)),
		},
		// The shipped services' routes, from services/routes.json (mixins/rest-routes.ts).
		{ ...jsonRoute(config.http.body_limit), name: "shipped", aliases: aliasesOf(REST_ACTIONS.filter(a => a.name !== PREDICT_ACTION)) },
		// Services this code base does not ship (a plugin, a service added later): their `rest` actions as the
		// registry announces them, while a node runs them (moleculer-web's autoAliases).
		{ ...jsonRoute(config.http.body_limit), name: "announced", autoAliases: true },
	];
}

/**
 * The gateway's settings that come from the broker's configuration (port, CORS origins, routes and their body
 * limits), set as the service is created: listed last among its mixins, its `created` runs before
 * moleculer-web's, which reads them.
 */
const GatewaySettingsMixin = defineMixin()({
	created() {
		const config = configOf(this.broker);
		const settings = this.settings as Record<string, any>;
		settings.port = config.port;
		settings.cors = { ...settings.cors, origin: config.http.cors_origins.includes("*") ? "*" : config.http.cors_origins };
		settings.routes = gatewayRoutes(config);
	},
});

const ApiService = defineService<GatewayState>()({
	name: "api",
	metadata: { description: "The gateway itself: health, this document and its page" },
	// the gateway's error shaping replaces moleculer-web's reformatError: a mixin listed first wins over the later ones
	mixins: [
		GatewayErrorsMixin,
		GatewayCredentialsMixin,
		ApiGateway,
		OpenApiMixin,
		createBusinessMetricsMixin([
			// every route at 0 from the start
			{ ...BUSINESS_COUNTERS.requestsRateLimited, initial: () => ROUTE_MANIFEST.routes.map(r => ({ endpoint: `${r.method} /api/v1${r.path}` })) },
		]),
		GatewaySettingsMixin,
	],

	methods: {
		/**
		 * moleculer-web's server, with timeouts: a client has HEADERS_TIMEOUT to send its headers and
		 * `http.request_timeout` for the whole request (a body trickling in byte by byte is cut off), checked
		 * every second.
		 */
		createServer() {
			const config = configOf(this.broker);
			this.server = http.createServer(
				{ headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.http.request_timeout), requestTimeout: config.http.request_timeout, connectionsCheckingInterval: 1000 },
				(req, res) => (req.url === "/" ? this.answerRoot(req, res) : isWebAppPath(req.url ?? "") ? this.webApp.answer(req, res) : this.httpHandler(req, res)),
			);
		},

		/**
		 * `GET /`, outside the API's path: a person is sent to the web app, a program told where the API and its
		 * document are.
		 */
		answerRoot(req: IncomingMessage, res: ServerResponse) {
			res.setHeader("X-Content-Type-Options", "nosniff");
			res.setHeader("Cache-Control", "no-store");
			if (req.method !== "GET" && req.method !== "HEAD") {
				res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "application/json; charset=utf-8" });
				return void res.end(JSON.stringify(methodNotAllowed(String(req.method), ["GET", "HEAD"])));
			}
			const docs = `${API_PATH}/docs`;
			if (/\btext\/html\b/.test(String(req.headers.accept ?? ""))) {
				res.writeHead(302, { Location: `${APP_PATH}/`, "Content-Type": "text/html; charset=utf-8" });
				return void res.end(`<!doctype html><title>bizops</title><p><a href="${APP_PATH}/">The bizops web app</a>; the API's <a href="${docs}">documentation</a>.</p>`);
			}
			res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
			res.end(JSON.stringify({ name: "bizops", app: `${APP_PATH}/`, api: API_PATH, docs, openapi: `${API_PATH}/openapi.json`, health: `${API_PATH}/health/live` }));
		},

		/** Asks every other live gateway to empty its answer cache (a second at most each; one that does not answer has its broadcast). */
		async clearOtherGateways(): Promise<void> {
			const nodes = this.broker.registry.getNodeList({ onlyAvailable: true, withServices: true }) as unknown as Array<{ id: string; services?: Array<{ name: string }> }>;
			const others = nodes.filter(n => n.id !== this.broker.nodeID && n.services?.some(s => s.name === "api"));
			await Promise.all(
				others.map(n =>
					call(this.broker, Gateway.actions.clearAnswers, {}, { nodeID: n.id, timeout: 1000, retries: 0, meta: { user: servicePrincipal("api") } }).catch(
						() => undefined,
					),
				),
			);
		},

		someNodeRuns(service: string): boolean {
			// the typings require a node id that the registry treats as optional (any node)
			return (this.broker.registry as unknown as { hasService(fullName: string): boolean }).hasService(service);
		},

		/** Which of the shipped services some live node runs; kept in the gauge too. */
		serviceAvailability(): Record<string, boolean> {
			const services = Object.fromEntries(REQUIRED_SERVICES.map(name => [name, this.someNodeRuns(name)]));
			if (this.broker.isMetricsEnabled())
				for (const name of REQUIRED_SERVICES) this.broker.metrics.set(SERVICE_AVAILABLE_GAUGE.name, services[name] ? 1 : 0, { service: name });
			return services;
		},

		/**
		 * moleculer-web's, with the answer cache in front (lib/answer-cache.ts): a repeated read of a cached
		 * action is answered here, after authentication and the rate limit, without a call.
		 */
		async callAction(route: { callOptions?: object }, _actionName: string, req: RoutedRequest, res: ServerResponse, given: object, isStream: boolean): Promise<boolean> {
			const ctx = req.$ctx;
			const action = req.$endpoint.action;
			// a list read asked for as a file (?format=csv|xlsx, or Accept): the same call, the answer written as one
			const format = req.method === "GET" && !isStream ? exportFormatOf((req as { query?: Record<string, unknown> }).query, req.headers.accept) : null;
			if (format === "unknown") throw notAcceptable("format: csv, xlsx or json");
			// on a read, `format` is the gateway's (the export's); a write's body may have a field of that name (a report's)
			const { format: _format, ...read } = given as Record<string, unknown>;
			const params = req.method === "GET" ? read : given;
			const send = (data: unknown) => (format ? this.sendExport(req, res, data, format, action.name) : this.sendResponse(req, res, data, action));
			const key = isStream ? null : this.answers.keyFor(action, params, ctx.meta);
			if (key) {
				const answer = this.answers.get(key);
				if (answer) {
					await send(answer);
					return true;
				}
			}
			const generation = this.answers.generation;
			const data = await ctx.call(req.$endpoint as never, params, isStream ? { ...route.callOptions, stream: req } : { ...route.callOptions });
			if (key && !ANSWER_META.some(k => ctx.meta[k] !== undefined)) this.answers.set(key, data, generation, action);
			// a write: the other gateways drop what they kept before the writer hears back, so its next read, through
			// whichever gateway, sees it (their cache.clean broadcast may come after that read)
			if (req.method !== "GET" && req.method !== "HEAD") await this.clearOtherGateways();
			await send(data);
			return true;
		},

		/** A list answer as a CSV or XLSX file (lib/exports.ts); 406 for an answer that is not a list. */
		async sendExport(req: IncomingMessage, res: ServerResponse, data: unknown, format: ExportFormat, actionName: string) {
			const items = listItemsOf(data);
			if (!items) throw notAcceptable("This answer is not a table: it comes as JSON only (CSV and XLSX are for lists, KPIs and histories)");
			const file = await exportOf(items, format, actionName.replace(/\./g, "-"));
			res.writeHead(200, {
				"Content-Type": file.type,
				"Content-Length": file.body.length,
				"Content-Disposition": `attachment; filename="${actionName.replace(/\./g, "-")}.${EXPORT_FORMATS[format].extension}"`,
				"Cache-Control": "no-store",
			});
			res.end(req.method === "HEAD" ? undefined : file.body);
		},

		/**
		 * JSON of a response. A cached answer (the gateway's, or the in-memory cacher's: MemoryLRU, clone off) is
		 * the same object on every hit, so its JSON is kept, encoded as UTF-8 bytes (weakly, gone with the
		 * object), instead of re-serialized and re-encoded: a large cached read such as an analysis costs one
		 * serialization, not one per request. Cached objects are never mutated. (moleculer-web hands the chunk to
		 * `res.end`, which takes bytes as well as text.)
		 */
		encodeResponse(_req: unknown, _res: unknown, data: unknown): string | Buffer {
			if (data === null || typeof data !== "object") return JSON.stringify(data);
			let json = this.encoded.get(data);
			if (json === undefined) {
				json = Buffer.from(JSON.stringify(data));
				this.encoded.set(data, json);
			}
			return json;
		},
	},
	settings: {
		rest: "/",
		// port, CORS origins and routes: GatewaySettingsMixin, from the broker's configuration
		ip: "0.0.0.0",
		path: API_PATH,
		cors: {
			methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
			exposedHeaders: ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "WWW-Authenticate", "Allow", "Location"],
			maxAge: 3600,
		},
		log4XXResponses: false,
		onError: answerError,
		/**
		 * Per request, before anything else: the security headers every answer carries, and the request id,
		 * taken from X-Request-ID only in a safe format (else Moleculer generates one), echoed back.
		 */
		rootCallOptions(options: { requestID?: string }, req: IncomingMessage & { $alias?: { method: string; fullPath: string } }, res: ServerResponse) {
			// one observation per HTTP request, by route pattern (bounded) and status, when the answer is sent
			const metric = this.httpDuration;
			if (metric) {
				const started = performance.now();
				res.once("finish", () => {
					const method = req.method ?? "";
					const route = req.$alias ? req.$alias.fullPath : "unmatched";
					const status = res.statusCode;
					const series = metric.series(`${method} ${route} ${status}`, () => ({ method, route, status: String(status) }));
					metric.observe(series, performance.now() - started);
				});
			}
			const given = req.headers["x-request-id"] ?? req.headers["x-correlation-id"];
			options.requestID = typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : undefined;
			res.setHeader("X-Content-Type-Options", "nosniff");
			// answers carry tokens and private figures: no shared or browser cache keeps them
			res.setHeader("Cache-Control", "no-store");
			res.setHeader("X-Frame-Options", "DENY");
			res.setHeader("Referrer-Policy", "no-referrer");
		},
		logRequest: null,
		logResponse: null,
		logRequestParams: null,
		logResponseData: null,
	},

	actions: {
		// moleculer-web's alias listing; the OpenAPI document replaces it.
		listAliases: false,

		// moleculer-web's HTTP handler must never be retried: the request body is consumed by then. The calls it
		// makes to services carry their own retry policies. Nor queued by the bulkhead: slow requests (imports,
		// trickling bodies) would otherwise hold up everything behind them, health probes included; the actions
		// it calls have their bulkheads.
		// No timeout or circuit breaker either: the HTTP server bounds a request's time (http.request_timeout, an
		// import may take minutes), the calls inside have their own timeouts and breakers, and a breaker here
		// would open on one failing service's 5xx and take every route down with it.
		rest: { retryPolicy: NOT_RETRIED, bulkhead: { enabled: false }, timeout: 0, circuitBreaker: { enabled: false } },

		live: {
			openapi: { summary: "Check the gateway is alive", description: "Liveness: the process answers. For Kubernetes' liveness probe.", response: "Liveness" },
			auth: "public",
			rateLimit: false,
			bulkhead: { enabled: false },
			rest: "GET /health/live",
			handler() {
				return LIVE;
			},
		},

		/**
		 * Ready when this gateway can serve: its HTTP server is up, the transporter is connected and auth (who
		 * every authenticated request needs) answers from its store. A service group with no live node does
		 * not make the gateway unready (that would take every gateway out of the load balancer and the whole
		 * API dark): it is listed in `missing_services`, exported as `bizops_gateway_service_available`, and
		 * its routes answer 503.
		 */
		ready: {
			openapi: {
				summary: "Check the gateway is ready",
				description: "Readiness: HTTP, the transporter and the user store; service groups with no live node are listed (their routes answer 503). 503 when not ready.",
				response: "Readiness",
			},
			auth: "public",
			rateLimit: false,
			bulkhead: { enabled: false },
			rest: "GET /health/ready",
			async handler(ctx: Context<unknown, { $statusCode?: number }>) {
				const services = this.serviceAvailability();
				const missing = REQUIRED_SERVICES.filter(name => !services[name]);
				const transit = this.broker.transit;
				// embedded: "local", the socket only local tools (the REPL) attach through
				const transporter = !transit ? "none" : transit.tx instanceof LocalSocketTransporter ? "local" : transit.connected ? "connected" : "disconnected";
				let auth: string;
				try {
					// not yet started (a probe while the node starts): said so, without the broker's warning of an unknown action
					if (!this.broker.registry.actions.isAvailable(storeHealthAction("auth").name))
						throw new Errors.ServiceNotFoundError({ action: storeHealthAction("auth").name });
					await call(ctx, storeHealthAction("auth"), {}, { timeout: 2000, retries: 0 });
					auth = "ok";
				} catch (err) {
					// said as a client would be told (the broker's own errors name actions and nodes)
					auth = `unavailable: ${wireError(err, configOf(this.broker).http.body_limit, () => undefined).message}`;
				}
				const warnings: string[] = [];
				if (missing.length) warnings.push(`no node runs ${missing.join(", ")}: their routes answer 503`);
				if (!this.rateLimitStoreHealthy()) warnings.push("rate-limit store (Redis) unavailable: counting per node");
				if (this.broker.cacher && this.broker.cacher.connected === false) warnings.push("cache (Redis) unavailable: answers are computed uncached");
				const ready = this.broker.started !== false && this.server?.listening !== false && transporter !== "disconnected" && auth === "ok";
				if (!ready) ctx.meta.$statusCode = 503;
				// no node id: anyone may ask, and which node answered is the cluster's inside
				return { status: ready ? "ready" : "unavailable", transporter, auth, services, missing_services: missing, warnings };
			},
		},

		clearAnswers: {
			visibility: "public",
			handler() {
				this.answers.clear();
				return { cleared: true as const };
			},
		},

		/** The cluster's nodes as this gateway's registry sees them (the web app's operations view). */
		nodes: {
			openapi: {
				summary: "List the cluster's nodes",
				description: "Every node the gateway's registry knows: whether it is available, its host, the last CPU use it reported and the services it runs.",
				response: "ClusterNodes",
			},
			role: "super_admin",
			rest: "GET /health/nodes",
			handler() {
				const nodes = this.broker.registry.getNodeList({ onlyAvailable: false, withServices: true }) as unknown as Array<{
					id: string;
					available: boolean;
					hostname?: string;
					cpu?: number | null;
					lastHeartbeatTime?: number;
					services?: Array<{ name: string }>;
				}>;
				const rows = nodes
					.map(n => ({
						id: n.id,
						available: n.available,
						hostname: n.hostname ?? null,
						cpu: n.cpu ?? null,
						services: [...new Set((n.services ?? []).map(s => s.name).filter(name => !name.startsWith("$")))].sort(),
					}))
					.sort((a, b) => a.id.localeCompare(b.id));
				return { rows, total: rows.length };
			},
		},
	},

	events: {
		// keeps bizops_gateway_service_available current between readiness probes
		[Moleculer.events.servicesChanged.name]() {
			const services = this.serviceAvailability();
			// auth has just come up, perhaps
			if (!this.revocationsLoaded && services.auth) void this.loadRevocations();
		},
		// every write on any node: what the gateway kept may be stale
		[cacheCleanEvent("**").name]() {
			this.answers.clear();
		},
		// a transporter that was away may have missed some broadcasts
		[Moleculer.events.transporterConnected.name]() {
			this.answers.clear();
			void this.loadRevocations();
		},
	},

	started() {
		// registered by the LeanMetrics middleware when metrics are on
		const metric = this.broker.isMetricsEnabled() ? this.broker.metrics.getMetric(HTTP_DURATION.name) : null;
		this.httpDuration = metric && "observe" in metric ? new DurationSeries(metric as never) : null;
	},

	created() {
		const config = configOf(this.broker);
		if (this.broker.isMetricsEnabled() && !this.broker.metrics.getMetric(SERVICE_AVAILABLE_GAUGE.name)) this.broker.metrics.register(SERVICE_AVAILABLE_GAUGE);
		this.encoded = new WeakMap();
		this.webApp = new WebApp(config.web_dir);
		// the prediction rows' cap is this broker's setting (checked by ml.prediction): the document says it
		this.restActions = REST_ACTIONS.map(a =>
			a.name === PREDICT_ACTION ? { ...a, params: { ...a.params, rows: { ...(a.params?.rows as object), max: config.ml.max_prediction_rows } } } : a,
		);
		this.documentExtras = {
			operations: { ...MANIFEST.operations, ...operationDocsOf([ApiService]) },
			tags: { ...MANIFEST.tags, ...serviceDescriptionsOf([ApiService]) },
			schemas: OPENAPI_SCHEMAS,
			limits: {
				body: config.http.body_limit,
				rate: {
					default: config.rate_limit.default,
					premium: config.rate_limit.premium,
					anonymous: config.rate_limit.anonymous_per_ip,
					window_s: config.rate_limit.window_ms / 1000,
				},
			},
		};
		this.answers = new AnswerCache(ANSWERS_MAX, config.http.answer_cache_ttl * 1000);
	},
});

// The routes of every service this code base has, whether or not a node runs it right now (a service with no
// live node is then a 503, not a 404), and of the gateway itself.
export const REST_ACTIONS = [...MANIFEST.routes, ...restActionsOf([ApiService])];

export default ApiService;
