/**
 * What an error becomes on the wire: the `{name, message, code, type, data}` shape with its HTTP status,
 * made so that it cannot throw and never carries more than it should: no stack, no node ids, no echo of a
 * rejected value of unbounded size.
 */

export interface WireError {
	name: string;
	message: string;
	code: number;
	type?: string;
	data?: unknown;
}

const MAX_STRING = 100;
const MAX_ITEMS = 50;
const MAX_DEPTH = 4;
const INTERNAL_KEYS = new Set(["nodeID", "nodeId", "node", "stack", "requestID", "ctx"]);

/** A bounded, plain copy: long strings cut, deep or wide structures summarised, internal keys dropped. */
export function boundedValue(value: unknown, depth = 0): unknown {
	if (value == null || typeof value === "number" || typeof value === "boolean") return value;
	if (typeof value === "string") return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
	if (typeof value !== "object") return `[${typeof value}]`;
	if (depth >= MAX_DEPTH) return Array.isArray(value) ? "[array]" : "[object]";
	if (Array.isArray(value)) {
		const items = value.slice(0, MAX_ITEMS).map(v => boundedValue(v, depth + 1));
		if (value.length > MAX_ITEMS) items.push(`… ${value.length - MAX_ITEMS} more`);
		return items;
	}
	const out: Record<string, unknown> = {};
	let n = 0;
	for (const key of Object.keys(value)) {
		if (INTERNAL_KEYS.has(key)) continue;
		if (n++ >= MAX_ITEMS) break;
		out[key.length > MAX_STRING ? `${key.slice(0, MAX_STRING)}…` : key] = boundedValue((value as Record<string, unknown>)[key], depth + 1);
	}
	return out;
}

/** A validation problem as a client sees it: the rejected value only when it is small and flat. */
function boundedProblem(p: unknown): unknown {
	if (!p || typeof p !== "object") return boundedValue(p);
	// the validator adds the action and the node that checked it: the code's inside, not the client's business
	const { actual, message, field, action: _action, nodeID: _node, ...rest } = p as Record<string, unknown>;
	const shown = boundedValue(rest, 1) as Record<string, unknown>;
	// our own words: longer, but still bounded (a field path grows with the input's nesting)
	if (message !== undefined) shown.message = String(message).slice(0, 500);
	if (field !== undefined) shown.field = String(field).slice(0, 200);
	if (actual === undefined) return shown;
	return { ...shown, actual: actual !== null && typeof actual === "object" ? (Array.isArray(actual) ? "[array]" : "[object]") : boundedValue(actual) };
}

/** Body-parser (and raw-body) error types: each is the client's doing. */
const BODY_ERRORS: Record<string, { code: number; name: string; type: string; message: (err: any, limit: string) => string }> = {
	"entity.parse.failed": { code: 400, name: "BadRequestError", type: "INVALID_JSON", message: () => "Malformed JSON body" },
	"entity.too.deep": { code: 400, name: "BadRequestError", type: "JSON_TOO_DEEP", message: err => String(err.message) },
	"entity.forbidden.key": { code: 400, name: "BadRequestError", type: "JSON_FORBIDDEN_KEY", message: err => String(err.message) },
	"entity.too.large": { code: 413, name: "PayloadTooLargeError", type: "PAYLOAD_TOO_LARGE", message: (_e, limit) => `Body larger than ${limit}, this route's limit` },
	"encoding.unsupported": {
		code: 415,
		name: "UnsupportedMediaTypeError",
		type: "UNSUPPORTED_ENCODING",
		message: () => "Unsupported Content-Encoding (send the body uncompressed, or gzip/deflate)",
	},
	"charset.unsupported": { code: 415, name: "UnsupportedMediaTypeError", type: "UNSUPPORTED_CHARSET", message: () => "Unsupported charset: send JSON as UTF-8" },
	"request.aborted": { code: 400, name: "BadRequestError", type: "REQUEST_ABORTED", message: () => "The request body was not received completely" },
	"request.size.invalid": { code: 400, name: "BadRequestError", type: "INVALID_BODY_LENGTH", message: () => "The body's length does not match its Content-Length" },
	"stream.encoding.set": { code: 400, name: "BadRequestError", type: "INVALID_BODY", message: () => "The request body could not be read" },
	"entity.verify.failed": { code: 400, name: "BadRequestError", type: "INVALID_BODY", message: () => "The request body was refused" },
};

const UNAVAILABLE: WireError = {
	name: "ServiceUnavailableError",
	message: "A service this request needs is unavailable; try again shortly",
	code: 503,
	type: "SERVICE_UNAVAILABLE",
};
const BROKER_ERRORS: Record<string, WireError> = {
	ServiceNotFoundError: UNAVAILABLE,
	ServiceNotAvailableError: UNAVAILABLE,
	RequestRejectedError: UNAVAILABLE,
	BrokerDisconnectedError: UNAVAILABLE,
	RequestTimeoutError: { name: "GatewayTimeoutError", message: "A service answered too late; try again shortly", code: 504, type: "REQUEST_TIMEOUT" },
	QueueIsFullError: { name: "TooManyRequestsError", message: "The platform is busy; try again shortly", code: 429, type: "QUEUE_FULL", data: { retry_after: 1 } },
};

const VALIDATOR_MESSAGE = "Parameters validation error!";

/** Edit distance (Levenshtein, 1966): how far a mistyped field name is from a known one. */
export function editDistance(a: string, b: string): number {
	let row = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const next = [i];
		for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
		row = next;
	}
	return row[b.length];
}

/** The known name closest to an unknown one, when it is close enough to be a typo (at most a third of its letters apart). */
export function closestName(unknown: string, known: string[]): string | null {
	let best: { name: string; distance: number } | null = null;
	for (const name of known) {
		const distance = editDistance(unknown.toLowerCase(), name.toLowerCase());
		if (!best || distance < best.distance) best = { name, distance };
	}
	if (!best) return null;
	return best.distance <= Math.max(1, Math.floor(Math.max(unknown.length, best.name.length) / 3)) ? best.name : null;
}

/** An unknown-fields problem becomes one per unknown field, each named, with the known field it is closest to. */
function withSuggestions(p: unknown): unknown[] {
	const problem = p as { type?: string; field?: string; actual?: unknown; expected?: unknown };
	if (problem?.type !== "objectStrict" || typeof problem.actual !== "string") return [p];
	const parent = problem.field ? `${problem.field}.` : "";
	const known = typeof problem.expected === "string" ? problem.expected.replace(/^"|"$/g, "").split(", ").filter(Boolean) : [];
	return problem.actual.split(", ").map(name => {
		const suggestion = closestName(name, known);
		return {
			type: "objectStrict",
			field: `${parent}${name}`,
			message: `${parent}${name}: unknown field${suggestion ? ` (did you mean '${parent}${suggestion}'?)` : known.length ? ` (known: ${known.join(", ")})` : ""}`,
			...(suggestion ? { suggestion: `${parent}${suggestion}` } : {}),
		};
	});
}

/** The top-level message of a 422: what is wrong, field by field (the first three, then how many more). */
function summary(problems: Array<{ message?: string }>): string {
	const messages = problems.map(p => p.message).filter((m): m is string => !!m);
	if (!messages.length) return "The request's parameters are not valid";
	const shown = messages.slice(0, 3).join("; ");
	return (messages.length > 3 ? `${shown}; and ${messages.length - 3} more` : shown).slice(0, 500);
}

/** Bytes as the limits are written: "1mb", "4000kb", "512b". */
function byteSize(bytes: number): string {
	if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}mb`;
	if (bytes % 1024 === 0) return `${bytes / 1024}kb`;
	return `${bytes}b`;
}

/**
 * The wire form of any error. `onFault` is told of server faults (500s), which leave as a bare
 * "Internal server error". Never throws.
 */
export function wireError(err: any, bodyLimit: string, onFault: (err: unknown) => void): WireError {
	try {
		const body = err && typeof err.type === "string" ? BODY_ERRORS[err.type] : undefined;
		// the body parser says the limit of the route that refused it (bytes); other routes have the usual one
		const limit = body?.code === 413 && typeof err.limit === "number" ? byteSize(err.limit) : bodyLimit;
		if (body) return { name: body.name, message: body.message(err, limit), code: body.code, type: body.type, ...(body.code === 413 ? { data: { limit } } : {}) };
		const status = typeof err?.code === "number" ? err.code : typeof err?.status === "number" ? err.status : 500;
		const code = status >= 400 && status < 600 ? status : 500;
		if (code === 500) {
			onFault(err);
			return { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" };
		}
		// the broker's own errors name actions and nodes: what the client needs is what happened and what to do
		const internal = BROKER_ERRORS[err.name];
		if (internal) return { ...internal };
		if (err.name === "ValidationError" && Array.isArray(err.data)) {
			const problems = err.data.flatMap(withSuggestions).slice(0, MAX_ITEMS).map(boundedProblem) as Array<{ message?: string }>;
			// the validator's own message says nothing ("Parameters validation error!"); a service's says what it checked
			const message = err.message === VALIDATOR_MESSAGE ? summary(problems) : String(err.message ?? "").slice(0, 500);
			return { name: "ValidationError", message, code, type: typeof err.type === "string" ? err.type : "VALIDATION_ERROR", data: problems };
		}
		const data = Array.isArray(err.data) ? err.data.slice(0, MAX_ITEMS).map(boundedProblem) : err.data === undefined ? undefined : boundedValue(err.data);
		return {
			name: String(err.name ?? "Error").slice(0, MAX_STRING),
			message: String(err.message ?? "").slice(0, 500),
			code,
			type: typeof err.type === "string" ? err.type.slice(0, MAX_STRING) : undefined,
			data,
		};
	} catch {
		return { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" };
	}
}

/** The 405 of a known path asked with another method. */
export function methodNotAllowed(method: string, allow: string[]): WireError {
	return { name: "MethodNotAllowedError", message: `${method} is not allowed here: use ${allow.join(", ")}`, code: 405, type: "METHOD_NOT_ALLOWED", data: { allow } };
}

/** The WWW-Authenticate challenge of a 401 (RFC 6750 §3): a bad or expired token says so, so a client knows to refresh or sign in again. */
export function wwwAuthenticate(type: string | undefined, message: string): string {
	const challenge = 'Bearer realm="bizops"';
	if (!type || !(type.startsWith("TOKEN_") || type === "API_KEY_INVALID")) return challenge;
	return `${challenge}, error="invalid_token", error_description="${message.replace(/["\\\r\n]/g, "")}"`;
}
