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
	const { actual, message, field, ...rest } = p as Record<string, unknown>;
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

/**
 * The wire form of any error. `onFault` is told of server faults (500s), which leave as a bare
 * "Internal server error". Never throws.
 */
export function wireError(err: any, bodyLimit: string, onFault: (err: unknown) => void): WireError {
	try {
		const body = err && typeof err.type === "string" ? BODY_ERRORS[err.type] : undefined;
		if (body) return { name: body.name, message: body.message(err, bodyLimit), code: body.code, type: body.type, ...(body.code === 413 ? { data: { limit: bodyLimit } } : {}) };
		const status = typeof err?.code === "number" ? err.code : typeof err?.status === "number" ? err.status : 500;
		const code = status >= 400 && status < 600 ? status : 500;
		if (code === 500) {
			onFault(err);
			return { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" };
		}
		if (err.name === "ServiceNotFoundError" || err.name === "ServiceNotAvailableError") {
			const action = typeof err.data?.action === "string" ? err.data.action : typeof err.data?.service === "string" ? err.data.service : "unknown";
			return {
				name: "ServiceUnavailableError",
				message: `A service this request needs is unavailable (${action}); try again shortly`,
				code: 503,
				type: "SERVICE_UNAVAILABLE",
				data: { action },
			};
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
