/** The docs/api.md error vocabulary, one constructor per status, used by every service. */
import { Errors } from "moleculer";

const { MoleculerClientError, MoleculerError } = Errors;

function named<E extends Error>(err: E, name: string): E {
	err.name = name;
	return err;
}

export const unauthorized = (message = "Authentication required", type = "UNAUTHORIZED", data?: unknown) =>
	named(new MoleculerClientError(message, 401, type, data), "UnauthorizedError");

export const forbidden = (message = "Not permitted", data?: unknown) => named(new MoleculerClientError(message, 403, "FORBIDDEN", data), "ForbiddenError");

export const notFound = (entity: string, id?: string) => named(new MoleculerClientError(`${entity} not found`, 404, "NOT_FOUND", id != null ? { id } : undefined), "NotFoundError");

/** A 404 that says in its own words what is missing, with data that helps (e.g. what exists instead). */
export const missing = (message: string, data?: unknown) => named(new MoleculerClientError(message, 404, "NOT_FOUND", data), "NotFoundError");

/** 406: the answer cannot be given in the form asked for (a file of something that is not a list). */
export const notAcceptable = (message: string) => named(new MoleculerClientError(message, 406, "NOT_ACCEPTABLE"), "NotAcceptableError");

export const conflict = (message: string, data?: unknown) => named(new MoleculerClientError(message, 409, "CONFLICT", data), "ConflictError");

/** 429 for a quota (not the rate limit): what the limit is and how much of it is used, in `data`. */
export const quotaExceeded = (message: string, data: { limit: number; current: number; quota: string }) =>
	named(new MoleculerClientError(message, 429, "QUOTA_EXCEEDED", data), "QuotaExceededError");

/** 422 with the offending fields, in the shape of Moleculer's ValidationError (`[{type, field, message}]`). */
export const unprocessable = (message: string, fields: Array<{ field: string; message: string; type?: string; actual?: unknown }>) =>
	new Errors.ValidationError(
		message,
		"VALIDATION_ERROR",
		fields.map(f => ({ type: f.type ?? "invalid", ...f })),
	);

/** A server the platform reads from (SEC EDGAR) answered what it should not have. */
export const badGateway = (message: string, data?: unknown) => named(new MoleculerError(message, 502, "BAD_GATEWAY", data), "BadGatewayError");

export const serviceUnavailable = (message: string, data?: unknown) => named(new MoleculerError(message, 503, "SERVICE_UNAVAILABLE", data), "ServiceUnavailableError");

export const unsupportedMediaType = (received: string) =>
	named(
		new MoleculerClientError(`Content-Type must be application/json${received ? `, not '${received.slice(0, 100)}'` : ""}`, 415, "UNSUPPORTED_MEDIA_TYPE", {
			expected: "application/json",
		}),
		"UnsupportedMediaTypeError",
	);
