/** Shapes every entity and list shares (docs/api.md). */
export interface Entity {
	id: string;
	created_at: string;
	updated_at: string;
}

export interface Page<T> {
	rows: T[];
	total: number;
	page: number;
	page_size: number;
	total_pages: number;
}

export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 1000;

/** fastest-validator params for `page`, `page_size` and `sort` over the given sortable fields. */
export function listParams(sortable: string[]) {
	return {
		// bounded, so a page never asks the store to skip more than MAX_PAGE × page_size rows
		page: { type: "number", integer: true, min: 1, max: MAX_PAGE, optional: true, convert: true },
		page_size: { type: "number", integer: true, min: 1, max: MAX_PAGE_SIZE, optional: true, convert: true },
		sort: {
			type: "string",
			optional: true,
			pattern: new RegExp(`^-?(${sortable.join("|")})$`),
			messages: { stringPattern: `{field}: one of ${sortable.join(", ")}, optionally prefixed by '-' for descending` },
		},
	} as const;
}

/** `page` and `page_size` alone (for lists whose order is fixed, e.g. worst first). */
export function pageParams() {
	const { page, page_size } = listParams([]);
	return { page, page_size };
}

/** One page of rows already in order. */
export function pageOfAll<T>(all: T[], page: number, pageSize: number): Page<T> {
	return pageOf(all.slice((page - 1) * pageSize, page * pageSize), all.length, page, pageSize);
}

export function pageOf<T>(rows: T[], total: number, page: number, pageSize: number): Page<T> {
	return { rows, total, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
}

export function nowIso(): string {
	return new Date().toISOString();
}

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A calendar date YYYY-MM-DD that exists (2021-02-30 does not). */
export function isIsoDate(value: unknown): value is string {
	if (typeof value !== "string" || !ISO_DATE.test(value)) return false;
	const d = new Date(`${value}T00:00:00Z`);
	return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** A calendar date, or an ISO 8601 date-time with a zone, whose date exists. */
export function isIsoDateTime(value: unknown): value is string {
	if (typeof value !== "string") return false;
	const m = ISO_DATE_TIME.exec(value);
	return !!m && isIsoDate(m[1]) && !Number.isNaN(Date.parse(value));
}

/** fastest-validator rule for a calendar date field, with messages that name the field. */
export function isoDateParam(field: string, optional = false) {
	return {
		type: "string",
		format: "date", // for the OpenAPI document
		optional,
		custom: (value: unknown, errors: Array<{ type: string; actual?: unknown }>) => {
			if (value !== undefined && !isIsoDate(value)) errors.push({ type: "calendarDate", actual: typeof value === "string" ? value.slice(0, 40) : value });
			return value;
		},
		messages: { calendarDate: `{field}: must be a calendar date YYYY-MM-DD` },
	} as const;
}

/** fastest-validator rule for an ISO 8601 date or date-time field. */
export function isoDateTimeParam(field: string, optional = false) {
	return {
		type: "string",
		format: "date-time",
		optional,
		custom: (value: unknown, errors: Array<{ type: string; actual?: unknown }>) => {
			if (value !== undefined && !isIsoDateTime(value)) errors.push({ type: "calendarDateTime", actual: typeof value === "string" ? value.slice(0, 40) : value });
			return value;
		},
		messages: { calendarDateTime: `{field}: must be an ISO 8601 date (YYYY-MM-DD) or date-time with a zone, on a day that exists` },
	} as const;
}
